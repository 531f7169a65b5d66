// One webhook endpoint: each event as a signed JSON POST; a 2xx answer is remembered in the webhook-deliveries KV
// bucket, so a redelivered event is never sent to that endpoint again.
import { createHash } from 'node:crypto';
import { type KV } from '@nats-io/kv';
import { matchesAny, type Destination, type PublicEvent, type PublicSubject } from '../relay/destination.js';
import { SIGNATURE_HEADER, sign } from './signature.js';

export interface WebhookOptions {
  url: string;
  secret: string;
  subjects: readonly string[];
  timeoutMs: number;
  deliveries: KV;
}

const hash = (s: string) => createHash('sha256').update(s).digest('hex');

/** A short stable id of an endpoint, for consumer names and KV keys. */
export function endpointId(url: string): string {
  return hash(url).slice(0, 12);
}

export class WebhookDeliveryError extends Error {
  override readonly name = 'WebhookDeliveryError';
  readonly code = 'WEBHOOK_FAILED';
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, opts);
  }
}

export function webhookDestination(opts: WebhookOptions): Destination {
  const id = endpointId(opts.url);
  const keyFor = (eventId: string) => `${id}.${hash(eventId)}`;
  return {
    name: `webhook-${id}`,
    carries: (subject: PublicSubject) => matchesAny(opts.subjects, subject),
    async deliver(event: PublicEvent, signal: AbortSignal) {
      const key = keyFor(event.eventId);
      if (await opts.deliveries.get(key)) return; // answered 2xx before
      const body = JSON.stringify({ subject: event.subject, event_id: event.eventId, body: event.body });
      let response: Response;
      try {
        response = await fetch(opts.url, {
          method: 'POST',
          body,
          headers: {
            'content-type': 'application/json',
            [SIGNATURE_HEADER]: sign(body, opts.secret),
            'X-Autocloud-Event': event.subject,
            'X-Autocloud-Event-Id': event.eventId,
          },
          signal: AbortSignal.any([signal, AbortSignal.timeout(opts.timeoutMs)]),
        });
        await response.body?.cancel();
      } catch (err) {
        throw new WebhookDeliveryError(`POST failed: ${(err as Error).message}`, { cause: err });
      }
      if (response.status < 200 || response.status >= 300) {
        throw new WebhookDeliveryError(`POST answered ${response.status}`);
      }
      await opts.deliveries.put(key, new Date().toISOString());
    },
  };
}
