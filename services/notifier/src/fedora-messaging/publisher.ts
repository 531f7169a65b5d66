// fedora-messaging (AMQP 0-9-1) publisher: a ConfirmChannel to amq.topic that resolves a publish only once the broker
// confirmed it; reconnects with backoff by itself whenever the broker goes away.
import { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { AmqpConnection, type AmqpTls } from '@autocloud/bus/amqp';
import { type Logger } from '@autocloud/telemetry';
import { amqpPublishOptions, type OutgoingMessage } from './wire-format.js';

export const EXCHANGE = 'amq.topic';

export interface FedoraMessagingOptions {
  url: string;
  tls?: AmqpTls;
  log: Logger;
  /** A publish not confirmed within this time fails (and is retried later). */
  confirmTimeoutMs?: number;
}

/** The broker is not reachable or did not confirm: try again later. */
export class BrokerUnavailableError extends Error {
  override readonly name = 'BrokerUnavailableError';
  readonly code = 'BROKER_UNAVAILABLE';
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, opts);
  }
}

export class FedoraMessagingPublisher {
  private readonly connection: AmqpConnection;
  private channel: ConfirmChannel | undefined;
  private stopped = false;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly opts: FedoraMessagingOptions) {
    this.connection = new AmqpConnection({
      url: opts.url,
      ...(opts.tls ? { tls: opts.tls } : {}),
      name: 'autocloud notifier',
      log: opts.log,
      setup: (model) => this.openChannel(model),
      onClosed: () => (this.channel = undefined),
    });
  }

  get connected(): boolean {
    return this.channel !== undefined;
  }

  start(): void {
    this.connection.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const wake of this.waiters) wake();
    await this.connection.stop();
  }

  /** Resolves true once connected, false if `timeoutMs` passed or `signal` aborted first. */
  async waitUntilConnected(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.connected) return true;
    if (timeoutMs <= 0 || this.stopped || signal?.aborted) return false;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal?.addEventListener('abort', done);
      this.waiters.add(done);
    });
    return this.connected;
  }

  /** Publishes and waits for the broker's confirm; throws BrokerUnavailableError otherwise. */
  async publish(message: OutgoingMessage): Promise<void> {
    const { channel } = this;
    if (!channel) throw new BrokerUnavailableError('not connected to fedora-messaging');
    const content = Buffer.from(JSON.stringify(message.body), 'utf8');
    const timeoutMs = this.opts.confirmTimeoutMs ?? 15_000;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new BrokerUnavailableError(`no confirm within ${timeoutMs} ms`)),
        timeoutMs,
      );
      try {
        channel.publish(EXCHANGE, message.topic, content, amqpPublishOptions(message), (err: unknown) => {
          clearTimeout(timer);
          if (err) reject(new BrokerUnavailableError('the broker did not confirm', { cause: err }));
          else resolve();
        });
      } catch (err) {
        clearTimeout(timer);
        reject(new BrokerUnavailableError('publish failed', { cause: err }));
      }
    });
  }

  /** Opens the confirm channel on a new connection. */
  private async openChannel(model: ChannelModel): Promise<void> {
    const { opts } = this;
    const channel = await model.createConfirmChannel();
    channel.on('error', (err: Error) =>
      opts.log.warn({ err: err.message }, 'fedora-messaging channel error'),
    );
    // A channel closed by the broker (not the connection) is as good as no connection: start over.
    channel.on('close', () => void model.close().catch(() => undefined));
    this.channel = channel;
    opts.log.info('connected to fedora-messaging');
    for (const wake of this.waiters) wake();
  }
}
