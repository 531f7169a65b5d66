// Legacy fedmsg over ZeroMQ: a bound PUB socket sending frames [topic, JSON envelope]. Fire and forget: PUB has no
// acknowledgements, so a subscriber that is away misses messages (as with fedmsg itself).
import { Publisher } from 'zeromq';
import { type Logger } from '@autocloud/telemetry';
import { matchesAny, type Destination, type PublicSubject } from '../relay/destination.js';
import { uuidV5 } from '../fedora-messaging/message-id.js';
import { topicFor } from '../fedora-messaging/wire-format.js';

export interface FedmsgOptions {
  endpoint: string;
  env: string;
  subjects: readonly string[];
  log: Logger;
}

export interface FedmsgEnvelope {
  topic: string;
  msg: unknown;
  msg_id: string;
  timestamp: number;
  i: number;
  username: string;
}

export class FedmsgPublisher implements Destination {
  readonly name = 'fedmsg';
  private readonly socket = new Publisher({ sendHighWaterMark: 10_000 });
  private counter = 0;

  constructor(private readonly opts: FedmsgOptions) {}

  async start(): Promise<void> {
    await this.socket.bind(this.opts.endpoint);
    this.opts.log.info({ endpoint: this.opts.endpoint }, 'fedmsg publisher bound');
  }

  stop(): void {
    this.socket.close();
  }

  carries(subject: PublicSubject): boolean {
    return matchesAny(this.opts.subjects, subject);
  }

  async deliver(event: { subject: string; body: unknown; eventId: string }): Promise<void> {
    const topic = topicFor(this.opts.env, event.subject);
    const envelope: FedmsgEnvelope = {
      topic,
      msg: event.body,
      msg_id: `${new Date().getUTCFullYear()}-${uuidV5(`${topic}\n${event.eventId}`)}`,
      timestamp: Date.now() / 1000,
      i: ++this.counter,
      username: 'autocloud',
    };
    await this.socket.send([topic, JSON.stringify(envelope)]);
  }
}
