// The notifier's handler: every public event of the AUTOCLOUD stream to every destination that carries it; the
// event is acked only when all of them have it, and retried later (nak with delay) when one could not take it.
import { RetryableError, type Delivery, type HandlerContext } from '@autocloud/bus';
import { PUBLIC_SUBJECTS, type Subject } from '@autocloud/schemas';
import { Counter, type Registry } from 'prom-client';
import { DeliveredCache } from './delivered-cache.js';
import { type Destination, type PublicEvent, type PublicSubject } from './destination.js';

export interface RelayOptions {
  destinations: Destination[];
  metrics: Registry;
  /** The nak delay after a failed delivery; unset: the consumer's exponential backoff. */
  retryDelayMs?: number;
}

const isPublic = (subject: string): subject is PublicSubject =>
  (PUBLIC_SUBJECTS as readonly string[]).includes(subject);

interface RelayMetrics {
  published: Counter<'destination'>;
  failed: Counter<'destination'>;
}

const metricsByRegistry = new WeakMap<Registry, RelayMetrics>();

function relayMetrics(registry: Registry): RelayMetrics {
  let m = metricsByRegistry.get(registry);
  if (!m) {
    m = {
      published: new Counter({
        name: 'autocloud_notifier_published_total',
        help: 'Events delivered per destination',
        labelNames: ['destination'],
        registers: [registry],
      }),
      failed: new Counter({
        name: 'autocloud_notifier_failed_total',
        help: 'Failed delivery attempts per destination (each is retried)',
        labelNames: ['destination'],
        registers: [registry],
      }),
    };
    metricsByRegistry.set(registry, m);
  }
  return m;
}

export function createRelay(opts: RelayOptions) {
  const { published, failed } = relayMetrics(opts.metrics);
  const delivered = new DeliveredCache();

  return async function relay(delivery: Delivery<Subject>, ctx: HandlerContext): Promise<void> {
    // compose.resolved and control.* share the stream but are not announced.
    if (!isPublic(delivery.subject)) return;
    const event = {
      subject: delivery.subject,
      body: delivery.body,
      eventId: ctx.msgId ?? `${delivery.subject}#${ctx.streamSeq}`,
      at: ctx.timestamp,
    } as PublicEvent;
    for (const destination of opts.destinations) {
      if (!destination.carries(event.subject) || delivered.has(destination.name, event.eventId)) continue;
      try {
        await destination.deliver(event, ctx.signal);
      } catch (err) {
        failed.inc({ destination: destination.name });
        throw new RetryableError(`${destination.name}: ${(err as Error).message}`, {
          cause: err,
          code: 'DESTINATION_UNAVAILABLE',
          delayMs: opts.retryDelayMs,
        });
      }
      delivered.add(destination.name, event.eventId);
      published.inc({ destination: destination.name });
      ctx.log.debug({ destination: destination.name }, 'delivered');
    }
  };
}
