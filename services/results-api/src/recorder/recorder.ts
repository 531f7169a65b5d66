// The recorder: the only writer of PostgreSQL. It consumes the AUTOCLOUD stream in order, applies each event in one
// transaction with the event id marked processed (so redeliveries and replays change nothing), and publishes what it
// derives through the outbox.
import { consumers, type Bus, type ConsumerHandle, type Delivery, type HandlerContext } from '@autocloud/bus';
import { markEventProcessed, type DatabaseHandle } from '@autocloud/db';
import { type Subject } from '@autocloud/schemas';
import { activeTraceId, type Logger } from '@autocloud/telemetry';
import { Counter, type Registry } from 'prom-client';
import { recordResolved } from './compose-resolved.handler.js';
import { recordImageEvent, type RetryPolicy } from './image-event.handler.js';
import { recordOutput, recordSteps } from './output.handler.js';
import { OutboxBatch, OutboxRelay } from './outbox.js';
import { abortStaleJobs } from './queue-timeout.js';
import { recordRerun } from './rerun.handler.js';

type RecordedSubject = NonNullable<(typeof consumers.recorder)['subjects']>;
type OutputSubject = NonNullable<(typeof consumers.recorderOutput)['subjects']>;

export interface RecorderDeps {
  database: DatabaseHandle;
  bus: Bus;
  log: Logger;
  metrics: Registry;
  retry: RetryPolicy;
  /** Jobs no runner took within this time are aborted (default 12 h). */
  queueTimeoutMs: number;
  /** How often to look for such jobs. */
  sweepIntervalMs?: number;
  /** Off only in tests that play a crash between commit and publish. */
  publishAfterCommit?: boolean;
  /** Output and step batches stored at once (default 4): independent rows, so order does not matter. */
  outputConcurrency?: number;
}

/** Events the recorder itself derives: it hears them back from the stream and has nothing to do. */
const OWN_EVENTS = new Set<string>([
  'autocloud.compose.queued',
  'autocloud.compose.running',
  'autocloud.compose.complete',
  'autocloud.image.queued',
  // Resolved by compose-resolver, which consumes it itself.
  'autocloud.control.submit',
]);

export class Recorder {
  readonly relay: OutboxRelay;
  private consumer: ConsumerHandle | undefined;
  private outputConsumer: ConsumerHandle | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private readonly events: Counter<'subject' | 'outcome'>;

  constructor(private readonly deps: RecorderDeps) {
    this.relay = new OutboxRelay({ database: deps.database, bus: deps.bus, log: deps.log });
    this.events = new Counter({
      name: 'autocloud_recorder_events_total',
      help: 'Events the recorder handled, per subject and outcome',
      labelNames: ['subject', 'outcome'],
      registers: [deps.metrics],
    });
  }

  async start(): Promise<void> {
    if (this.deps.publishAfterCommit !== false) this.relay.start();
    // One at a time, in stream order: replaying the stream into an empty database yields the same rows and ids.
    this.consumer = await this.deps.bus.consume(consumers.recorder, (d, ctx) => this.handle(d, ctx), {
      concurrency: 1,
      metrics: this.deps.metrics,
    });
    this.outputConsumer = await this.deps.bus.consume(
      consumers.recorderOutput,
      (d, ctx) => this.handleOutput(d, ctx),
      { concurrency: this.deps.outputConcurrency ?? 4, metrics: this.deps.metrics },
    );
    this.sweeper = setInterval(() => void this.sweep(), this.deps.sweepIntervalMs ?? 60_000);
  }

  async stop(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([this.consumer?.close(), this.outputConsumer?.close()]);
    await this.relay.stop();
  }

  /** Aborts jobs that waited too long for a runner (also run periodically). */
  async sweep(now = new Date()): Promise<number[]> {
    try {
      const aborted = await abortStaleJobs(this.deps.database, this.deps.queueTimeoutMs, now);
      if (aborted.length > 0) {
        this.deps.log.warn({ jobs: aborted }, 'aborted jobs no runner took');
        this.kickRelay();
      }
      return aborted;
    } catch (err) {
      this.deps.log.error({ err }, 'queue timeout sweep failed');
      return [];
    }
  }

  async handle(delivery: Delivery<RecordedSubject>, ctx: HandlerContext): Promise<void> {
    const { subject } = delivery;
    if (OWN_EVENTS.has(subject)) return;
    // A command's request id is its identity, whatever message id it arrived with.
    const eventId =
      delivery.subject === 'autocloud.control.rerun'
        ? `rerun.${delivery.body.request_id}`
        : (ctx.msgId ?? `${subject}.${ctx.streamSeq}`);
    const outbox = new OutboxBatch();
    const outcome = await this.deps.database.db.transaction().execute(async (trx) => {
      if (!(await markEventProcessed(trx, eventId, subject))) return 'duplicate';
      let result: string;
      switch (delivery.subject) {
        case 'autocloud.compose.resolved':
          result = await recordResolved(trx, delivery.body, ctx.timestamp, outbox, activeTraceId());
          break;
        case 'autocloud.image.running':
        case 'autocloud.image.success':
        case 'autocloud.image.failed':
        case 'autocloud.image.aborted':
          result = await recordImageEvent(trx, delivery.body, ctx.timestamp, outbox, this.deps.retry);
          break;
        case 'autocloud.control.rerun': {
          const r = await recordRerun(trx, delivery.body, ctx.timestamp, outbox);
          if ('refused' in r) ctx.log.warn({ reason: r.refused }, 'rerun refused');
          result = 'refused' in r ? 'refused' : 'rerun';
          break;
        }
        default:
          result = 'ignored';
      }
      await outbox.flush(trx);
      return result;
    });
    this.events.inc({ subject: subjectLabel(subject), outcome });
    ctx.log.debug({ outcome, derived: outbox.size }, 'recorded');
    if (outbox.size > 0) this.kickRelay();
  }

  /** A job's output lines and step records: idempotent by their keys, so no processed-event record is needed. */
  async handleOutput(delivery: Delivery<OutputSubject>, ctx: HandlerContext): Promise<void> {
    if (delivery.subject.endsWith('.output')) {
      const body = delivery.body as Delivery<`autocloud.job.${string}.output`>['body'];
      const added = await recordOutput(this.deps.database, delivery.subject, body);
      this.events.inc({ subject: 'job.output', outcome: added > 0 ? 'recorded' : 'duplicate' });
    } else {
      const body = delivery.body as Delivery<`autocloud.job.${string}.steps`>['body'];
      await recordSteps(this.deps.database, delivery.subject, body);
      this.events.inc({ subject: 'job.steps', outcome: 'recorded' });
    }
    ctx.log.trace('recorded output');
  }

  private kickRelay(): void {
    if (this.deps.publishAfterCommit !== false) this.relay.kick();
  }
}

function subjectLabel(subject: Subject): string {
  return subject.replace(/^autocloud\./, '');
}
