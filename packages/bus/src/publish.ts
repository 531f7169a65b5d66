// Typed publishing: validate against the catalogue, set Nats-Msg-Id, carry the trace context, retry transient failures.
import { type JetStreamClient, type PubAck } from '@nats-io/jetstream';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/nats-core';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { entryFor, validator, type Subject, type SubjectMap } from '@autocloud/schemas';
import { injectTraceContext } from '@autocloud/telemetry';
import { errorMessage, PublishValidationError, UnknownSubjectError } from './errors.js';

export interface PublishOptions {
  /** Nats-Msg-Id; defaults to the catalogue's derivation for the subject. */
  msgId?: string;
  headers?: Record<string, string>;
  /** Attempts for transient failures (NATS reconnecting, no JetStream leader yet). */
  attempts?: number;
  timeoutMs?: number;
}

export const HEADER_SERVICE = 'Autocloud-Service';

const tracer = () => trace.getTracer('@autocloud/bus');

export function buildHeaders(service: string, extra: Record<string, string> = {}): MsgHdrs {
  const h = natsHeaders();
  h.set(HEADER_SERVICE, service);
  for (const [k, v] of Object.entries(extra)) h.set(k, v);
  injectTraceContext(h);
  return h;
}

/** Validates and publishes a catalogue message; resolves once JetStream stored it (or recognised a duplicate). */
export async function publishTyped<S extends Subject>(
  js: JetStreamClient,
  service: string,
  subject: S,
  body: SubjectMap[S],
  opts: PublishOptions = {},
): Promise<PubAck> {
  const entry = entryFor(subject);
  if (!entry) throw new UnknownSubjectError(subject);
  const errors = validator(entry.schema).errors(body);
  if (errors.length > 0) throw new PublishValidationError(subject, errors);
  const msgId = opts.msgId ?? entry.msgId?.(body);
  if (!msgId) throw new PublishValidationError(subject, ['no msgId given and none derivable from the body']);
  return publishBytes(js, service, subject, new TextEncoder().encode(JSON.stringify(body)), {
    ...opts,
    msgId,
  });
}

/** Publishes bytes as they are (dead letters, bridged upstream bodies); the caller vouches for them. */
export async function publishBytes(
  js: JetStreamClient,
  service: string,
  subject: string,
  data: Uint8Array,
  opts: PublishOptions & { msgId: string },
): Promise<PubAck> {
  return tracer().startActiveSpan(
    `${subject} publish`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': 'nats',
        'messaging.destination.name': subject,
        'messaging.message.id': opts.msgId,
      },
    },
    async (span) => {
      try {
        const h = buildHeaders(service, opts.headers);
        const attempts = opts.attempts ?? 6;
        for (let attempt = 1; ; attempt++) {
          try {
            const ack = await js.publish(subject, data, {
              msgID: opts.msgId,
              headers: h,
              timeout: opts.timeoutMs ?? 5_000,
            });
            span.setAttribute('autocloud.duplicate', ack.duplicate);
            return ack;
          } catch (err) {
            if (attempt >= attempts || !isTransient(err)) throw err;
            await sleep(Math.min(200 * 2 ** attempt, 5_000));
          }
        }
      } catch (err) {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(err) });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}

function isTransient(err: unknown): boolean {
  const text = `${(err as Error)?.name ?? ''} ${errorMessage(err)}`.toLowerCase();
  return /timeout|no responders|503|disconnect|reconnect|connection|closed/.test(text);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs `fn` with no active span, so a publish starts a new trace (for a source of work, like the bridge). */
export function withoutTrace<T>(fn: () => T): T {
  return context.with(trace.deleteSpan(context.active()), fn);
}
