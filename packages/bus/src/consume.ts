// The consume-forever loop: pull only as many messages as there are free slots, validate, handle, then ack, nak or
// dead-letter. Invalid input never loops: it is dead-lettered with its reason and term()ed.
import { type ConsumerMessages, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  DEADLETTER_HEADERS,
  entryFor,
  parseJson,
  validator,
  type Subject,
  type SubjectMap,
} from '@autocloud/schemas';
import { extractTraceContext, type Logger } from '@autocloud/telemetry';
import { Counter, Histogram, type Registry } from 'prom-client';
import { errorMessage, PermanentError, RetryableError } from './errors.js';
import { publishDeadLetter } from './deadletter.js';
import { type ConsumerSpec } from './topology.js';

export interface HandlerContext {
  /** Nats-Msg-Id of the message, the event id for idempotency. */
  msgId: string | undefined;
  deliveryCount: number;
  streamSeq: number;
  /** When JetStream stored the message: the event's time, the same on every redelivery and replay. */
  timestamp: Date;
  headers: JsMsg['headers'];
  /** Extends the ack deadline; called automatically while the handler runs, available for explicit use. */
  working(): void;
  /** Aborted when the consumer closes and the handler's time is up: stop and let another replica take over. */
  signal: AbortSignal;
  log: Logger;
}

/** One delivered message, discriminated by subject. */
export type Delivery<S extends Subject> = S extends unknown ? { subject: S; body: SubjectMap[S] } : never;

export type Handler<S extends Subject> = (delivery: Delivery<S>, ctx: HandlerContext) => Promise<void>;

export interface ConsumeOptions {
  /** Name used for the dead letter subject and logs. */
  service: string;
  log: Logger;
  /** Messages handled at once (default 1: in stream order). */
  concurrency?: number;
  /** Heartbeat interval while a handler runs (default ackWait / 3). */
  heartbeatMs?: number;
  backoff?: { baseMs: number; maxMs: number };
  metrics?: Registry;
  /** How long a pull waits for messages before it is renewed. */
  pullExpiresMs?: number;
}

export interface ConsumerHandle {
  /** Stops pulling, waits up to `timeoutMs` for in-flight handlers, then aborts them (they are nak'ed). */
  close(timeoutMs?: number): Promise<void>;
  readonly inFlight: number;
}

interface ConsumerMetrics {
  handled: Counter<'consumer' | 'outcome'>;
  duration: Histogram<'consumer'>;
}

const metricsByRegistry = new WeakMap<Registry, ConsumerMetrics>();

function consumerMetrics(registry: Registry | undefined): ConsumerMetrics | undefined {
  if (!registry) return undefined;
  let m = metricsByRegistry.get(registry);
  if (!m) {
    m = {
      handled: new Counter({
        name: 'autocloud_messages_handled_total',
        help: 'Messages handled per consumer and outcome (ack, nak, deadletter)',
        labelNames: ['consumer', 'outcome'],
        registers: [registry],
      }),
      duration: new Histogram({
        name: 'autocloud_message_handler_seconds',
        help: 'Handler duration per consumer',
        labelNames: ['consumer'],
        buckets: [0.005, 0.05, 0.25, 1, 5, 30, 120, 600, 1800],
        registers: [registry],
      }),
    };
    metricsByRegistry.set(registry, m);
  }
  return m;
}

export async function consume<S extends Subject>(
  js: JetStreamClient,
  spec: ConsumerSpec<S>,
  handler: Handler<S>,
  opts: ConsumeOptions,
): Promise<ConsumerHandle> {
  const consumer = await js.consumers.get(spec.stream, spec.durable);
  const log = opts.log.child({ consumer: spec.durable });
  const concurrency = Math.max(1, opts.concurrency ?? 1);
  const heartbeatMs = opts.heartbeatMs ?? Math.max(1_000, Math.floor(spec.ackWaitMs / 3));
  const backoff = opts.backoff ?? { baseMs: 1_000, maxMs: 60_000 };
  const metrics = consumerMetrics(opts.metrics);
  const tracer = trace.getTracer('@autocloud/bus');
  const abort = new AbortController();

  const inFlight = new Set<Promise<void>>();
  let stopping = false;
  let batch: ConsumerMessages | undefined;
  let wake: (() => void) | undefined;
  const waitForSlot = () => new Promise<void>((resolve) => (wake = resolve));

  const deadLetter = async (msg: JsMsg, reason: string): Promise<void> => {
    const headers: Record<string, string> = {
      [DEADLETTER_HEADERS.subject]: msg.subject,
      [DEADLETTER_HEADERS.stream]: spec.stream,
      [DEADLETTER_HEADERS.seq]: String(msg.seq),
    };
    const originalId = msg.headers?.get('Nats-Msg-Id');
    if (originalId) headers[DEADLETTER_HEADERS.msgId] = originalId;
    try {
      await publishDeadLetter(js, opts.service, {
        data: msg.data,
        reason,
        msgId: `${spec.stream}.${msg.seq}`,
        headers,
      });
    } catch (err) {
      // Nothing may be lost: without a dead letter record the message stays and comes back later.
      log.error({ err, seq: msg.seq }, 'could not dead-letter a message; will retry');
      msg.nak(backoff.maxMs);
      metrics?.handled.inc({ consumer: spec.durable, outcome: 'nak' });
      return;
    }
    // No reason text: nats-server 2.9 does not understand `+TERM <reason>`; the reason is in the dead letter.
    msg.term();
    metrics?.handled.inc({ consumer: spec.durable, outcome: 'deadletter' });
    log.warn({ seq: msg.seq, subject: msg.subject, reason }, 'dead-lettered');
  };

  const handle = async (msg: JsMsg): Promise<void> => {
    const deliveryCount = msg.info.deliveryCount;
    const entry = entryFor(msg.subject);
    if (!entry) return deadLetter(msg, `no schema for subject ${msg.subject}`);
    const parsed = parseJson(msg.data);
    if (!parsed.ok) return deadLetter(msg, parsed.reason);
    const errors = validator(entry.schema).errors(parsed.value);
    if (errors.length > 0) {
      return deadLetter(msg, `invalid ${String(entry.schema.$id ?? msg.subject)}: ${errors.join('; ')}`);
    }

    const parent = extractTraceContext(msg.headers);
    const span = tracer.startSpan(
      `${msg.subject} process`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'nats',
          'messaging.destination.name': msg.subject,
          'messaging.consumer.group.name': spec.durable,
          'messaging.message.delivery_count': deliveryCount,
        },
      },
      parent,
    );
    const msgId = msg.headers?.get('Nats-Msg-Id') || undefined;
    const ctx: HandlerContext = {
      msgId,
      deliveryCount,
      streamSeq: msg.seq,
      timestamp: new Date(Math.floor(msg.info.timestampNanos / 1e6)),
      headers: msg.headers,
      working: () => msg.working(),
      signal: abort.signal,
      log: log.child({ seq: msg.seq, subject: msg.subject, ...(msgId ? { msg_id: msgId } : {}) }),
    };
    const heartbeat = setInterval(() => msg.working(), heartbeatMs);
    const started = performance.now();
    try {
      await context.with(trace.setSpan(parent, span), () =>
        handler({ subject: msg.subject, body: parsed.value } as Delivery<S>, ctx),
      );
      clearInterval(heartbeat);
      await msg.ackAck().catch((err: unknown) => {
        // The work is done; a redelivery will find it done (handlers are idempotent).
        ctx.log.warn({ err }, 'ack not confirmed');
      });
      metrics?.handled.inc({ consumer: spec.durable, outcome: 'ack' });
    } catch (err) {
      clearInterval(heartbeat);
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(err) });
      if (err instanceof PermanentError) {
        await deadLetter(msg, err.message);
      } else if (!abort.signal.aborted && spec.maxDeliver > 0 && deliveryCount >= spec.maxDeliver) {
        await deadLetter(msg, `gave up after ${deliveryCount} deliveries: ${errorMessage(err)}`);
      } else {
        const delay = abort.signal.aborted
          ? 0
          : err instanceof RetryableError && err.delayMs !== undefined
            ? err.delayMs
            : backoffDelay(deliveryCount, backoff);
        ctx.log.warn({ err, delay_ms: delay, delivery: deliveryCount }, 'handler failed; will retry');
        msg.nak(delay);
        metrics?.handled.inc({ consumer: spec.durable, outcome: 'nak' });
      }
    } finally {
      span.end();
      metrics?.duration.observe({ consumer: spec.durable }, (performance.now() - started) / 1000);
    }
  };

  const loop = async () => {
    while (!stopping) {
      if (inFlight.size >= concurrency) {
        await waitForSlot();
        continue;
      }
      try {
        batch = await consumer.fetch({
          max_messages: concurrency - inFlight.size,
          expires: opts.pullExpiresMs ?? 5_000,
        });
        for await (const msg of batch) {
          if (stopping) {
            msg.nak(); // pulled after close began: hand it straight back
            continue;
          }
          const task = handle(msg)
            .catch((err: unknown) => log.error({ err }, 'message handling failed'))
            .finally(() => {
              inFlight.delete(task);
              wake?.();
            });
          inFlight.add(task);
        }
      } catch (err) {
        if (stopping) break;
        log.warn({ err }, 'pull failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  };
  const running = loop();

  return {
    get inFlight() {
      return inFlight.size;
    },
    async close(timeoutMs = 10_000) {
      stopping = true;
      await batch?.close().catch(() => undefined);
      wake?.();
      const settled = Promise.allSettled([...inFlight]);
      const timedOut = await Promise.race([
        settled.then(() => false),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(true), timeoutMs).unref()),
      ]);
      if (timedOut) {
        log.warn({ in_flight: inFlight.size }, 'handlers still running at close; aborting them');
        abort.abort(new Error('consumer closing'));
        await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
      }
      await running;
    },
  };
}

function backoffDelay(deliveryCount: number, backoff: { baseMs: number; maxMs: number }): number {
  const exp = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, deliveryCount - 1));
  return Math.round(exp * (0.8 + Math.random() * 0.4));
}
