// fedora-messaging (AMQP 0-9-1) consumer: a queue bound to amq.topic with the bridge's topics; each message is acked
// only after JetStream stored it; reconnects with backoff whenever the broker goes away.
import { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { AmqpConnection, type AmqpTls } from '@autocloud/bus/amqp';
import { type Logger } from '@autocloud/telemetry';
import { type Outcome } from '../forward/forwarder.js';
import { fromAmqp, type Normalized } from '../forward/upstream-message.js';

export interface AmqpSourceOptions {
  url: string;
  /** Durable named queue; unset: an exclusive, auto-delete, server-named queue. */
  queue?: string;
  topics: string[];
  prefetch: number;
  maxBytes: number;
  tls?: AmqpTls;
  log: Logger;
  forward(message: Normalized): Promise<Outcome>;
  /** Called after every (re)connection, e.g. to backfill what a non-durable queue missed. */
  onConnected?(): void;
}

export class AmqpSource {
  private readonly connection: AmqpConnection;
  private stopped = false;
  private inFlight = new Set<Promise<void>>();
  connected = false;

  constructor(private readonly opts: AmqpSourceOptions) {
    this.connection = new AmqpConnection({
      url: opts.url,
      ...(opts.tls ? { tls: opts.tls } : {}),
      name: 'autocloud fedmsg-bridge',
      log: opts.log,
      setup: (model) => this.consume(model),
      onClosed: () => (this.connected = false),
    });
  }

  start(): void {
    this.connection.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.connection.stop(() => Promise.allSettled([...this.inFlight]));
  }

  /** Binds the queue to the topics and consumes it on a new connection. */
  private async consume(model: ChannelModel): Promise<void> {
    const { opts } = this;
    const channel = await model.createChannel();
    channel.on('error', (err: Error) =>
      opts.log.warn({ err: err.message }, 'fedora-messaging channel error'),
    );
    await channel.prefetch(opts.prefetch);
    const { queue } = await channel.assertQueue(
      opts.queue ?? '',
      opts.queue
        ? { durable: true, autoDelete: false }
        : { exclusive: true, autoDelete: true, durable: false },
    );
    for (const topic of opts.topics) await channel.bindQueue(queue, 'amq.topic', topic);
    await channel.consume(queue, (msg) => msg && this.track(this.handle(channel, msg)), { noAck: false });
    this.connected = true;
    opts.log.info({ queue, topics: opts.topics }, 'consuming from fedora-messaging');
    opts.onConnected?.();
  }

  private track(task: Promise<void>): void {
    this.inFlight.add(task);
    void task.finally(() => this.inFlight.delete(task));
  }

  private async handle(channel: Channel, msg: ConsumeMessage): Promise<void> {
    this.opts.log.debug(
      {
        message_id: msg.properties.messageId as unknown,
        topic: msg.fields.routingKey,
        redelivered: msg.fields.redelivered,
      },
      'received',
    );
    const normalized = fromAmqp(
      {
        content: msg.content,
        routingKey: msg.fields.routingKey,
        messageId: typeof msg.properties.messageId === 'string' ? msg.properties.messageId : undefined,
        headers: msg.properties.headers,
      },
      this.opts.maxBytes,
    );
    for (let attempt = 0; ; attempt++) {
      try {
        await this.opts.forward(normalized);
        channel.ack(msg);
        return;
      } catch (err) {
        // NATS cannot take it now: keep the AMQP message unacked (the broker redelivers it if we die) and retry.
        if (this.stopped || !this.connected) {
          this.opts.log.warn({ err }, 'could not forward; leaving the message to the broker');
          return;
        }
        const delay = Math.min(10_000, 250 * 2 ** attempt);
        this.opts.log.warn({ err, retry_in_ms: delay }, 'could not forward; retrying');
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}
