// Legacy fedmsg over ZeroMQ: a SUB socket connected to every endpoint, subscribed to the bridge's topics. Frames are
// [topic, JSON envelope]; ZeroMQ reconnects by itself.
import { Subscriber } from 'zeromq';
import { type Logger } from '@autocloud/telemetry';
import { type Outcome } from '../forward/forwarder.js';
import { fromEnvelope, type Normalized } from '../forward/upstream-message.js';

export interface ZmqSourceOptions {
  endpoints: string[];
  topics: string[];
  maxBytes: number;
  log: Logger;
  forward(message: Normalized): Promise<Outcome>;
}

export class ZmqSource {
  private readonly socket = new Subscriber({ reconnectInterval: 1_000, reconnectMaxInterval: 30_000 });
  private running: Promise<void> | undefined;

  constructor(private readonly opts: ZmqSourceOptions) {}

  start(): void {
    for (const endpoint of this.opts.endpoints) this.socket.connect(endpoint);
    for (const topic of this.opts.topics) this.socket.subscribe(topic);
    this.opts.log.info({ endpoints: this.opts.endpoints, topics: this.opts.topics }, 'subscribed to fedmsg');
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.socket.close();
    await this.running;
  }

  private async loop(): Promise<void> {
    try {
      for await (const frames of this.socket) {
        const [topicFrame, body] = frames.length >= 2 ? frames : [undefined, frames[0]];
        const topic = topicFrame?.toString('utf8');
        await this.forwardWithRetry(fromEnvelope('zmq', body ?? new Uint8Array(), this.opts.maxBytes, topic));
      }
    } catch (err) {
      if (!this.socket.closed) this.opts.log.error({ err }, 'fedmsg subscriber failed');
    }
  }

  /** ZeroMQ has no redelivery: hold the message until NATS takes it. */
  private async forwardWithRetry(message: Normalized): Promise<void> {
    for (let attempt = 0; !this.socket.closed; attempt++) {
      try {
        await this.opts.forward(message);
        return;
      } catch (err) {
        const delay = Math.min(10_000, 250 * 2 ** attempt);
        this.opts.log.warn({ err, retry_in_ms: delay }, 'could not forward a fedmsg message; retrying');
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}
