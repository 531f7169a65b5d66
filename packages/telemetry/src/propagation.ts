// W3C trace context carried in NATS message headers, so one compose is one trace across every service.
import {
  context,
  propagation,
  ROOT_CONTEXT,
  trace,
  type Context,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';

/** The slice of a NATS `MsgHdrs` (or any header map) that propagation needs. */
export interface HeaderCarrier {
  get(key: string): string;
  set(key: string, value: string): void;
  has(key: string): boolean;
}

const setter: TextMapSetter<HeaderCarrier> = {
  set: (carrier, key, value) => carrier.set(key, value),
};

const getter: TextMapGetter<Pick<HeaderCarrier, 'get' | 'has'> & { keys?(): string[] }> = {
  get: (carrier, key) => (carrier.has(key) ? carrier.get(key) : undefined),
  keys: (carrier) => carrier.keys?.() ?? [],
};

/** Writes the active (or given) context's trace headers into `headers`. */
export function injectTraceContext(headers: HeaderCarrier, ctx: Context = context.active()): void {
  propagation.inject(ctx, headers, setter);
}

/** Reads trace headers into a context to parent a consumer span; the root context when there are none. */
export function extractTraceContext(headers: Pick<HeaderCarrier, 'get' | 'has'> | undefined): Context {
  if (!headers) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, headers, getter);
}

/** The trace id of the active span, for recording beside a job. */
export function activeTraceId(): string | undefined {
  return trace.getActiveSpan()?.spanContext().traceId;
}
