// A connection to fedora-messaging (AMQP 0-9-1) that stays up: TLS with client certificates as Fedora's broker wants
// them, and reconnection with capped, jittered exponential backoff whenever the broker goes away. What a service does
// on the connection (consume a queue, publish with confirms) is its `setup`, run again after every reconnection.
import { readFileSync } from 'node:fs';
import { connect, credentials, type ChannelModel } from 'amqplib';
import { type Logger } from '@autocloud/telemetry';

export interface AmqpTls {
  certFile?: string;
  keyFile?: string;
  caFile?: string;
}

export interface AmqpConnectionOptions {
  url: string;
  tls?: AmqpTls;
  /** The connection name the broker's management UI shows, e.g. `autocloud notifier`. */
  name: string;
  log: Logger;
  /** Opens this service's channels on a new connection; a throw closes the connection and starts over. */
  setup(model: ChannelModel): Promise<void>;
  /** The connection is gone (the service stops using its channels until `setup` runs again). */
  onClosed?(): void;
}

/** The delay before reconnection attempt `attempt` (0-based): 0.5 s doubling up to 30 s, ±20 %. */
export function reconnectDelayMs(attempt: number, random: () => number = Math.random): number {
  return Math.min(30_000, 500 * 2 ** Math.min(attempt, 6)) * (0.8 + random() * 0.4);
}

export class AmqpConnection {
  private model: ChannelModel | undefined;
  private stopped = false;
  private running: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;

  constructor(private readonly opts: AmqpConnectionOptions) {}

  start(): void {
    this.running ??= this.loop();
  }

  /**
   * Stops reconnecting, lets `drain` finish on the open connection (e.g. acknowledge messages in flight), then
   * closes it.
   */
  async stop(drain?: () => Promise<unknown>): Promise<void> {
    this.stopped = true;
    this.wakeUp?.();
    await drain?.();
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
      this.model = undefined;
      this.opts.onClosed?.();
      if (this.stopped) break;
      const delay = reconnectDelayMs(attempt);
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

  /** Connects and runs `setup`; `closed` settles when the connection is gone. */
  private async connectOnce(): Promise<{ closed: Promise<void> }> {
    const { opts } = this;
    const tls = opts.tls ?? {};
    const model = await connect(opts.url, {
      ...(tls.certFile ? { cert: readFileSync(tls.certFile), credentials: credentials.external() } : {}),
      ...(tls.keyFile ? { key: readFileSync(tls.keyFile) } : {}),
      ...(tls.caFile ? { ca: [readFileSync(tls.caFile)] } : {}),
      clientProperties: { connection_name: opts.name },
    });
    this.model = model;
    const closed = new Promise<void>((resolve) => {
      model.on('close', () => resolve());
      model.on('error', (err: Error) =>
        opts.log.warn({ err: err.message }, 'fedora-messaging connection error'),
      );
    });
    try {
      await opts.setup(model);
    } catch (err) {
      await model.close().catch(() => undefined);
      throw err;
    }
    // Stopped while connecting: close what was just opened.
    if (this.stopped) await model.close().catch(() => undefined);
    return { closed };
  }
}
