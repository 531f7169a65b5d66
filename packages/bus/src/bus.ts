// A service's handle on NATS: connection with endless reconnects, topology, typed publish and consume, buckets.
import {
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
  type PubAck,
} from '@nats-io/jetstream';
import { type NatsConnection } from '@nats-io/nats-core';
import { Kvm, type KV } from '@nats-io/kv';
import { Objm, setSha256Backend, type ObjectStore } from '@nats-io/obj';
import { connect } from '@nats-io/transport-node';
import { type Subject, type SubjectMap } from '@autocloud/schemas';
import { type Logger } from '@autocloud/telemetry';
import { consume, type ConsumeOptions, type ConsumerHandle, type Handler } from './consume.js';
import { errorMessage } from './errors.js';
import { publishBytes, publishTyped, type PublishOptions } from './publish.js';
import { publishDeadLetter, type DeadLetter } from './deadletter.js';
import { ObjectUpload, type ObjectUploadOptions } from './object-upload.js';
import {
  BUCKETS,
  KV_BUCKETS,
  ensureBuckets,
  ensureConsumer,
  ensureStreams,
  type ConsumerSpec,
  type TopologyOptions,
} from './topology.js';

export interface BusOptions {
  /** One URL or a comma-separated list. */
  servers: string;
  /** Connection name shown by the server (and the dead letter subject's last token). */
  service: string;
  log: Logger;
  /** Gives up waiting for the first connection when aborted. */
  signal?: AbortSignal;
  topology?: TopologyOptions;
}

export class Bus {
  private readonly consumers = new Set<ConsumerHandle>();
  private connected = true;

  private constructor(
    readonly nc: NatsConnection,
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
    readonly service: string,
    private readonly log: Logger,
    private readonly topologyOptions: TopologyOptions,
  ) {
    void this.watchStatus();
  }

  /** Connects, retrying with backoff until NATS answers (or `signal` aborts); reconnects forever afterwards. */
  static async connect(opts: BusOptions): Promise<Bus> {
    const servers = opts.servers.split(',').map((s) => s.trim());
    // Object store digests through node:crypto instead of the pure-JS default (several times slower).
    setSha256Backend('native');
    for (let attempt = 1; ; attempt++) {
      try {
        const nc = await connect({
          servers,
          name: opts.service,
          maxReconnectAttempts: -1,
          reconnectTimeWait: 1_000,
          reconnectJitter: 500,
          timeout: 5_000,
        });
        const jsm = await jetstreamManager(nc, { timeout: 10_000 });
        const js = jetstream(nc, { timeout: 10_000 });
        opts.log.info({ server: nc.getServer() }, 'connected to NATS');
        return new Bus(nc, js, jsm, opts.service, opts.log, opts.topology ?? {});
      } catch (err) {
        if (opts.signal?.aborted) throw err;
        const delay = Math.min(500 * 2 ** attempt, 10_000);
        opts.log.warn({ err: errorMessage(err), servers, retry_in_ms: delay }, 'waiting for NATS');
        await abortableSleep(delay, opts.signal);
      }
    }
  }

  /** Declares every stream and bucket; consumers are declared by the services that use them. */
  async ensureTopology(): Promise<void> {
    await ensureStreams(this.jsm, this.topologyOptions);
    await ensureBuckets(this.js, this.topologyOptions);
  }

  async ensureConsumer(spec: ConsumerSpec): Promise<void> {
    await ensureConsumer(this.jsm, spec);
  }

  publish<S extends Subject>(subject: S, body: SubjectMap[S], opts?: PublishOptions): Promise<PubAck> {
    return publishTyped(this.js, this.service, subject, body, opts);
  }

  publishBytes(subject: string, data: Uint8Array, opts: PublishOptions & { msgId: string }): Promise<PubAck> {
    return publishBytes(this.js, this.service, subject, data, opts);
  }

  /** Declares the durable consumer and starts the loop; closed with the bus. */
  async consume<S extends Subject>(
    spec: ConsumerSpec<S>,
    handler: Handler<S>,
    opts: Omit<ConsumeOptions, 'service' | 'log'> & { log?: Logger } = {},
  ): Promise<ConsumerHandle> {
    await this.ensureConsumer(spec);
    const handle = await consume(this.js, spec, handler, {
      ...opts,
      service: this.service,
      log: opts.log ?? this.log,
    });
    this.consumers.add(handle);
    return {
      get inFlight() {
        return handle.inFlight;
      },
      close: async (timeoutMs) => {
        this.consumers.delete(handle);
        await handle.close(timeoutMs);
      },
    };
  }

  /** Records what this service could not handle on `autocloud.deadletter.<service>`. */
  deadLetter(letter: DeadLetter): Promise<PubAck> {
    return publishDeadLetter(this.js, this.service, letter);
  }

  kv(name: keyof typeof KV_BUCKETS): Promise<KV> {
    return new Kvm(this.js).open(KV_BUCKETS[name].name);
  }

  /** Starts writing an object into a bucket at streaming speed; it is visible only after `commit`. */
  objectUpload(name: keyof typeof BUCKETS, opts?: ObjectUploadOptions): ObjectUpload {
    return new ObjectUpload(
      this.js,
      this.jsm,
      BUCKETS[name].name,
      this.nc.info?.max_payload ?? 1024 * 1024,
      opts,
    );
  }

  objectStore(name: keyof typeof BUCKETS): Promise<ObjectStore> {
    return new Objm(this.js).open(BUCKETS[name].name);
  }

  /** For /readyz: connected now, and JetStream answers. */
  async ping(): Promise<void> {
    if (this.nc.isClosed()) throw new Error('NATS connection closed');
    if (!this.connected) throw new Error('NATS disconnected; reconnecting');
    await this.nc.flush();
  }

  /** Closes consumers (waiting for in-flight handlers), then drains the connection. */
  async close(timeoutMs = 10_000): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.close(timeoutMs)));
    this.consumers.clear();
    if (!this.nc.isClosed()) await this.nc.drain().catch(() => this.nc.close());
  }

  private async watchStatus(): Promise<void> {
    for await (const s of this.nc.status()) {
      switch (s.type) {
        case 'disconnect':
          this.connected = false;
          this.log.warn({ server: s.server }, 'NATS disconnected');
          break;
        case 'reconnect':
          this.connected = true;
          this.log.info({ server: s.server }, 'NATS reconnected');
          break;
        case 'error':
          this.log.error({ err: s.error }, 'NATS error');
          break;
        default:
          break;
      }
    }
  }
}

function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason as Error);
      },
      { once: true },
    );
  });
}
