// fedora-messaging (AMQP 0-9-1) publisher: a ConfirmChannel to amq.topic that resolves a publish only once the broker
// confirmed it; reconnects with backoff by itself whenever the broker goes away.
import { readFileSync } from 'node:fs';
import { connect, credentials, type ChannelModel, type ConfirmChannel } from 'amqplib';
import { type Logger } from '@autocloud/telemetry';
import { amqpPublishOptions, type OutgoingMessage } from './wire-format.js';

export const EXCHANGE = 'amq.topic';

export interface FedoraMessagingOptions {
  url: string;
  tls?: { certFile?: string; keyFile?: string; caFile?: string };
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
  private model: ChannelModel | undefined;
  private channel: ConfirmChannel | undefined;
  private stopped = false;
  private running: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly opts: FedoraMessagingOptions) {}

  get connected(): boolean {
    return this.channel !== undefined;
  }

  start(): void {
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeUp?.();
    for (const wake of this.waiters) wake();
    await this.model?.close().catch(() => undefined);
    await this.running;
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
      this.channel = undefined;
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

  /** Connects and opens the confirm channel; `closed` settles when the connection is gone. */
  private async connectOnce(): Promise<{ closed: Promise<void> }> {
    const { opts } = this;
    const tls = opts.tls ?? {};
    const model = await connect(opts.url, {
      ...(tls.certFile ? { cert: readFileSync(tls.certFile), credentials: credentials.external() } : {}),
      ...(tls.keyFile ? { key: readFileSync(tls.keyFile) } : {}),
      ...(tls.caFile ? { ca: [readFileSync(tls.caFile)] } : {}),
      clientProperties: { connection_name: 'autocloud notifier' },
    });
    this.model = model;
    const closed = new Promise<void>((resolve) => {
      model.on('close', () => {
        this.channel = undefined;
        resolve();
      });
      model.on('error', (err: Error) =>
        opts.log.warn({ err: err.message }, 'fedora-messaging connection error'),
      );
    });
    const channel = await model.createConfirmChannel();
    channel.on('error', (err: Error) =>
      opts.log.warn({ err: err.message }, 'fedora-messaging channel error'),
    );
    // A channel closed by the broker (not the connection) is as good as no connection: start over.
    channel.on('close', () => void model.close().catch(() => undefined));
    this.channel = channel;
    opts.log.info('connected to fedora-messaging');
    for (const wake of this.waiters) wake();
    return { closed };
  }
}
