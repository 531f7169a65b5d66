// Every stream, durable consumer and object store bucket of DESIGN §2, declared once and created idempotently.
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  type JetStreamClient,
  type JetStreamManager,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { Kvm } from '@nats-io/kv';
import { Objm } from '@nats-io/obj';
import { STREAM_SUBJECTS, type Backend, type StreamName, type Subject } from '@autocloud/schemas';
import { TopologyError } from './errors.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface StreamSpec {
  name: StreamName;
  description: string;
  retention: 'limits' | 'workqueue';
  maxAgeMs: number;
  duplicateWindowMs: number;
  /** Byte cap; the oldest messages are discarded past it. */
  maxBytes?: number;
}

export const STREAMS: readonly StreamSpec[] = [
  {
    name: 'PUNGI',
    description: "Fedora's pungi compose messages, as carried in by fedmsg-bridge",
    retention: 'limits',
    maxAgeMs: 90 * DAY_MS,
    // The same upstream message can arrive over AMQP, ZeroMQ and datagrepper hours apart.
    duplicateWindowMs: 2 * DAY_MS,
  },
  {
    name: 'AUTOCLOUD',
    description: 'Autocloud events (compose, image) and control commands',
    retention: 'limits',
    maxAgeMs: 90 * DAY_MS,
    // Long enough that an outbox re-published after a recorder outage is still recognised.
    duplicateWindowMs: 2 * DAY_MS,
  },
  {
    name: 'WORK',
    description: 'Fetch and run work items, each taken by one worker',
    retention: 'workqueue',
    maxAgeMs: 30 * DAY_MS,
    duplicateWindowMs: 2 * DAY_MS,
  },
  {
    name: 'OUTPUT',
    description: 'Live output lines of every job',
    retention: 'limits',
    maxAgeMs: 30 * DAY_MS,
    duplicateWindowMs: 10 * 60 * 1000,
    maxBytes: 4 * 1024 ** 3,
  },
  {
    name: 'DEADLETTER',
    description: 'What a service could not parse or process, with the reason in a header',
    retention: 'limits',
    maxAgeMs: 30 * DAY_MS,
    duplicateWindowMs: 10 * 60 * 1000,
  },
];

/** A durable pull consumer; `S` is the union of subjects it delivers, so handlers are typed. */
export interface ConsumerSpec<S extends Subject = Subject> {
  stream: StreamName;
  durable: string;
  description: string;
  /** One filter subject (nats-server 2.9 has no multi-filter consumers). */
  filterSubject?: string;
  ackWaitMs: number;
  /** Deliveries before the message is dead-lettered; -1: redelivered for ever. */
  maxDeliver: number;
  maxAckPending: number;
  /** Phantom: the subjects this consumer delivers. */
  readonly subjects?: S;
}

type AutocloudSubject = Extract<
  Subject,
  `autocloud.compose.${string}` | `autocloud.image.${string}` | `autocloud.control.${string}`
>;
type RunSubject = `autocloud.work.run.${string}.${string}`;
type JobOutputSubject = `autocloud.job.${string}.output` | `autocloud.job.${string}.steps`;

const defaults = { ackWaitMs: 30_000, maxDeliver: 10, maxAckPending: 1_000 } as const;

export const consumers = {
  composeResolver: {
    ...defaults,
    stream: 'PUNGI',
    durable: 'compose-resolver',
    description: 'compose-resolver: plans jobs for finished composes',
    filterSubject: 'pungi.compose.status.change',
  } satisfies ConsumerSpec<'pungi.compose.status.change'> as ConsumerSpec<'pungi.compose.status.change'>,
  composeSubmit: {
    ...defaults,
    stream: 'AUTOCLOUD',
    durable: 'compose-resolver-submit',
    description: 'compose-resolver: plans jobs for composes submitted by hand',
    filterSubject: 'autocloud.control.submit',
  } satisfies ConsumerSpec<'autocloud.control.submit'> as ConsumerSpec<'autocloud.control.submit'>,
  recorder: {
    ...defaults,
    stream: 'AUTOCLOUD',
    durable: 'results-api',
    description: 'results-api recorder: records every event and command',
  } satisfies ConsumerSpec as ConsumerSpec<AutocloudSubject>,
  recorderOutput: {
    ...defaults,
    stream: 'OUTPUT',
    durable: 'results-api-output',
    description: 'results-api recorder: stores output lines and step records',
    // Every subject of OUTPUT (a job's output and steps); one filter would have to be a wildcard anyway.
    // A batch can come before its job row exists (a replay into an empty database): retried for minutes first.
    maxDeliver: 20,
  } satisfies ConsumerSpec as ConsumerSpec<JobOutputSubject>,
  notifier: {
    ...defaults,
    stream: 'AUTOCLOUD',
    durable: 'notifier',
    description: 'notifier: relays public events outward',
    // Events wait in JetStream for as long as Fedora's broker is away: never given up on.
    maxDeliver: -1,
  } satisfies ConsumerSpec as ConsumerSpec<AutocloudSubject>,
  imageFetcher: {
    ...defaults,
    stream: 'WORK',
    durable: 'image-fetcher',
    description: 'image-fetcher: downloads and verifies images',
    filterSubject: 'autocloud.work.fetch',
    // Long downloads heartbeat every 10 s; a fetcher that died hands its item on after 30 s.
    ackWaitMs: 30_000,
  } satisfies ConsumerSpec as ConsumerSpec<'autocloud.work.fetch'>,
  /** One durable per backend and architecture: work queue consumers may not overlap. */
  runner: (backend: Backend, arch: string): ConsumerSpec<RunSubject> => ({
    ...defaults,
    stream: 'WORK',
    durable: `${backend}-runner-${arch}`,
    description: `${backend}-runner: boots ${arch} images and runs their plans`,
    filterSubject: `autocloud.work.run.${backend}.${arch}`,
    ackWaitMs: 60_000,
    maxDeliver: 5,
  }),
};

export interface BucketSpec {
  name: string;
  description: string;
  maxBytes?: number;
  ttlMs?: number;
}

export const BUCKETS = {
  images: { name: 'images', description: 'verified images, keyed by sha256' },
  artifacts: {
    name: 'artifacts',
    description: 'per-job artifacts: serial console, cloud-init logs, step results',
    ttlMs: 90 * DAY_MS,
  },
} as const satisfies Record<string, BucketSpec>;

/** Key-value buckets: small durable state that must survive a restart. */
export const KV_BUCKETS = {
  bridgeState: {
    name: 'bridge-state',
    description: 'fedmsg-bridge: the newest upstream message time it forwarded (datagrepper backfill cursor)',
  },
  webhookDeliveries: {
    name: 'webhook-deliveries',
    description: 'notifier: event ids each webhook endpoint already answered 2xx for, so none is sent twice',
    // Longer than any redelivery of an event can take; older ids are forgotten.
    ttlMs: 30 * DAY_MS,
  },
} as const satisfies Record<string, BucketSpec>;

export interface TopologyOptions {
  replicas?: number;
  /** Overrides per stream, e.g. a smaller OUTPUT byte cap in tests. */
  maxBytes?: Partial<Record<StreamName, number>>;
}

function streamConfig(spec: StreamSpec, opts: TopologyOptions): Partial<StreamConfig> & { name: string } {
  const maxBytes = opts.maxBytes?.[spec.name] ?? spec.maxBytes;
  return {
    name: spec.name,
    description: spec.description,
    subjects: [...STREAM_SUBJECTS[spec.name]],
    retention: spec.retention === 'workqueue' ? RetentionPolicy.Workqueue : RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: nanos(spec.maxAgeMs),
    duplicate_window: nanos(spec.duplicateWindowMs),
    max_bytes: maxBytes ?? -1,
    discard: DiscardPolicy.Old,
    num_replicas: opts.replicas ?? 1,
  };
}

/** Creates missing streams and brings existing ones to our subjects and limits; retention cannot change. */
export async function ensureStreams(jsm: JetStreamManager, opts: TopologyOptions = {}): Promise<void> {
  for (const spec of STREAMS) {
    const wanted = streamConfig(spec, opts);
    const existing = await jsm.streams.info(spec.name).catch((err: unknown) => {
      if (err instanceof JetStreamApiError && err.code === 10059) return undefined; // stream not found
      throw err;
    });
    if (!existing) {
      await jsm.streams.add(wanted);
      continue;
    }
    const have = existing.config;
    if (have.retention !== wanted.retention) {
      throw new TopologyError(
        `stream ${spec.name} exists with retention ${have.retention}, wanted ${wanted.retention}; it must be recreated by an operator`,
      );
    }
    const differs =
      JSON.stringify([...have.subjects].sort()) !== JSON.stringify([...(wanted.subjects ?? [])].sort()) ||
      have.max_age !== wanted.max_age ||
      have.duplicate_window !== wanted.duplicate_window ||
      have.max_bytes !== wanted.max_bytes ||
      have.description !== wanted.description;
    if (differs) {
      const { name: _name, ...update } = wanted;
      await jsm.streams.update(spec.name, { ...update, num_replicas: have.num_replicas });
    }
  }
}

/** Creates the durable consumer, or updates the settings that may change in place. */
export async function ensureConsumer(jsm: JetStreamManager, spec: ConsumerSpec): Promise<void> {
  const config = {
    durable_name: spec.durable,
    description: spec.description,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(spec.ackWaitMs),
    max_deliver: spec.maxDeliver,
    max_ack_pending: spec.maxAckPending,
    ...(spec.filterSubject ? { filter_subject: spec.filterSubject } : {}),
  };
  const existing = await jsm.consumers.info(spec.stream, spec.durable).catch((err: unknown) => {
    if (err instanceof JetStreamApiError && err.code === 10014) return undefined; // consumer not found
    throw err;
  });
  if (!existing) {
    await jsm.consumers.add(spec.stream, config);
    return;
  }
  if ((existing.config.filter_subject ?? '') !== (spec.filterSubject ?? '')) {
    throw new TopologyError(
      `consumer ${spec.stream}/${spec.durable} filters ${existing.config.filter_subject ?? '(all)'}, wanted ${spec.filterSubject ?? '(all)'}`,
    );
  }
  const { durable_name: _d, deliver_policy: _p, ack_policy: _a, filter_subject: _f, ...update } = config;
  await jsm.consumers.update(spec.stream, spec.durable, update);
}

export async function ensureBuckets(js: JetStreamClient, opts: TopologyOptions = {}): Promise<void> {
  const kvm = new Kvm(js);
  for (const bucket of Object.values(KV_BUCKETS) as BucketSpec[]) {
    await kvm.create(bucket.name, {
      description: bucket.description,
      storage: StorageType.File,
      replicas: opts.replicas ?? 1,
      history: 1,
      ...(bucket.ttlMs ? { ttl: bucket.ttlMs } : {}),
    });
  }
  const objm = new Objm(js);
  for (const bucket of Object.values(BUCKETS) as BucketSpec[]) {
    await objm.create(bucket.name, {
      description: bucket.description,
      storage: StorageType.File,
      replicas: opts.replicas ?? 1,
      ...(bucket.maxBytes ? { max_bytes: bucket.maxBytes } : {}),
      ...(bucket.ttlMs ? { ttl: nanos(bucket.ttlMs) } : {}),
    });
  }
}
