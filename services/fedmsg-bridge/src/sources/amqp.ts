// fedora-messaging (AMQP 0-9-1) consumer: a queue bound to amq.topic with the bridge's topics; each message is acked
// only after JetStream stored it; reconnects with backoff whenever the broker goes away.
import { readFileSync } from 'node:fs';
import { connect, credentials, type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
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
  tls?: { certFile?: string; keyFile?: string; caFile?: string };
  log: Logger;
  forward(message: Normalized): Promise<Outcome>;
  /** Called after every (re)connection, e.g. to backfill what a non-durable queue missed. */
  onConnected?(): void;
}

export class AmqpSource {
  private model: ChannelModel | undefined;
  private stopped = false;
  private running: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private inFlight = new Set<Promise<void>>();
  connected = false;

  constructor(private readonly opts: AmqpSourceOptions) {}

  start(): void {
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeUp?.();
    await Promise.allSettled([...this.inFlight]);
    await this.model?.close().catch(() => undefined);
    await this.running;
  }

  private async loop(): Promise<void> {
    const { log } = this.opts;
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        const { closed } = await this.connectOnce();
        attempt = 0;
        await closed;
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'fedora-messaging connection failed');
      }
      this.connected = false;
      this.model = undefined;
      if (this.stopped) break;
      const delay = Math.min(30_000, 500 * 2 ** Math.min(attempt, 6)) * (0.8 + Math.random() * 0.4);
      log.info({ retry_in_ms: Math.round(delay) }, 'reconnecting to fedora-messaging');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Connects and starts consuming; `closed` settles when the connection is gone. */
  private async connectOnce(): Promise<{ closed: Promise<void> }> {
    const { opts } = this;
    const tls = opts.tls ?? {};
    const model = await connect(opts.url, {
      ...(tls.certFile ? { cert: readFileSync(tls.certFile), credentials: credentials.external() } : {}),
      ...(tls.keyFile ? { key: readFileSync(tls.keyFile) } : {}),
      ...(tls.caFile ? { ca: [readFileSync(tls.caFile)] } : {}),
      clientProperties: { connection_name: 'autocloud fedmsg-bridge' },
    });
    this.model = model;
    const closed = new Promise<void>((resolve) => {
      model.on('close', () => resolve());
      model.on('error', (err: Error) =>
        opts.log.warn({ err: err.message }, 'fedora-messaging connection error'),
      );
    });
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
    return { closed };
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
