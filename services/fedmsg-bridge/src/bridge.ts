// The bridge: every configured source feeding one forwarder, and the datagrepper backfill that closes the gaps.
import { type Bus } from '@autocloud/bus';
import { list } from '@autocloud/service';
import { type Logger } from '@autocloud/telemetry';
import { type Registry } from 'prom-client';
import { bridgeTopics, type BridgeConfig } from './config.js';
import { BackfillCursor } from './forward/backfill-cursor.js';
import { Forwarder } from './forward/forwarder.js';
import { type Normalized } from './forward/upstream-message.js';
import { AmqpSource } from './sources/amqp.js';
import { DatagrepperBackfill, type BackfillReport } from './sources/datagrepper.js';
import { ZmqSource } from './sources/zmq.js';

/** Backfill re-reads this much before the cursor: send times from different hosts are not perfectly ordered. */
const OVERLAP_MS = 10 * 60 * 1000;

export interface BridgeDeps {
  config: BridgeConfig;
  bus: Bus;
  log: Logger;
  metrics: Registry;
}

export class Bridge {
  private readonly forwarder: Forwarder;
  private readonly cursor: BackfillCursor;
  private readonly amqp: AmqpSource | undefined;
  private readonly zmq: ZmqSource | undefined;
  private readonly datagrepper: DatagrepperBackfill | undefined;
  private readonly abort = new AbortController();
  private backfilling: Promise<BackfillReport | undefined> = Promise.resolve(undefined);
  private started = false;

  private constructor(
    private readonly deps: BridgeDeps,
    cursor: BackfillCursor,
  ) {
    const { config, log } = deps;
    this.cursor = cursor;
    this.forwarder = new Forwarder({
      bus: deps.bus,
      env: config.FEDORA_ENV,
      log,
      metrics: deps.metrics,
      cursor,
    });
    const topics = bridgeTopics(config);
    const maxBytes = config.BRIDGE_MAX_MESSAGE_BYTES;
    if (config.DATAGREPPER_URL) {
      this.datagrepper = new DatagrepperBackfill({
        baseUrl: config.DATAGREPPER_URL,
        topics,
        maxBytes,
        log: log.child({ source: 'datagrepper' }),
        forward: (m) => this.forward(m, 'datagrepper'),
      });
    }
    if (config.FEDORA_MESSAGING_URL) {
      this.amqp = new AmqpSource({
        url: config.FEDORA_MESSAGING_URL,
        queue: config.FEDORA_MESSAGING_QUEUE,
        topics,
        prefetch: config.FEDORA_MESSAGING_PREFETCH,
        maxBytes,
        tls: {
          certFile: config.FEDORA_MESSAGING_CERT_FILE,
          keyFile: config.FEDORA_MESSAGING_KEY_FILE,
          caFile: config.FEDORA_MESSAGING_CA_FILE,
        },
        log: log.child({ source: 'amqp' }),
        forward: (m) => this.forward(m, 'amqp'),
        // Reconnected after an outage: what the broker did not keep for us, datagrepper has.
        onConnected: () => {
          if (this.started) void this.backfill();
        },
      });
    }
    const endpoints = list(config.FEDMSG_ENDPOINTS);
    if (endpoints.length > 0) {
      this.zmq = new ZmqSource({
        endpoints,
        topics,
        maxBytes,
        log: log.child({ source: 'zmq' }),
        forward: (m) => this.forward(m, 'zmq'),
      });
    }
  }

  static async create(deps: BridgeDeps): Promise<Bridge> {
    return new Bridge(deps, new BackfillCursor(await deps.bus.kv('bridgeState')));
  }

  get sources(): string[] {
    return [this.amqp && 'amqp', this.zmq && 'zmq', this.datagrepper && 'datagrepper'].filter(
      (s): s is string => Boolean(s),
    );
  }

  /** Starts the live sources, then backfills from `since` (default: the cursor) without waiting for it. */
  start(since?: Date): void {
    this.amqp?.start();
    this.zmq?.start();
    this.started = true;
    void this.backfill(since);
  }

  /** Runs one backfill after any running one; resolves with its report (undefined without datagrepper). */
  backfill(since?: Date): Promise<BackfillReport | undefined> {
    const { datagrepper } = this;
    if (!datagrepper) return Promise.resolve(undefined);
    this.backfilling = this.backfilling
      .catch(() => undefined)
      .then(async () => datagrepper.run(since ?? (await this.backfillStart()), this.abort.signal))
      .catch((err: unknown) => {
        if (!this.abort.signal.aborted) this.deps.log.error({ err }, 'datagrepper backfill failed');
        throw err;
      });
    return this.backfilling;
  }

  /** For /readyz: the broker connection, when there is one, is up. */
  checkReady(): void {
    if (this.amqp && !this.amqp.connected) throw new Error('not connected to fedora-messaging');
  }

  async stop(): Promise<void> {
    this.abort.abort(new Error('bridge stopping'));
    await Promise.all([this.amqp?.stop(), this.zmq?.stop()]);
    await this.backfilling.catch(() => undefined);
  }

  private forward(message: Normalized, source: 'amqp' | 'zmq' | 'datagrepper') {
    return this.forwarder.forward(message, source);
  }

  private async backfillStart(): Promise<Date> {
    const cursor = await this.cursor.load();
    if (cursor) return new Date(cursor.getTime() - OVERLAP_MS);
    return new Date(Date.now() - this.deps.config.DATAGREPPER_BACKFILL_HOURS * 3_600_000);
  }
}
