// Idempotency: an event's Nats-Msg-Id is recorded in the same transaction as its effect.
import type { Transaction } from 'kysely';
import type { Database } from '../schema.js';

/** True the first time an event id is seen, false on a redelivery or duplicate (whose effect must be skipped). */
export async function markEventProcessed(
  trx: Transaction<Database>,
  eventId: string,
  subject: string,
): Promise<boolean> {
  const row = await trx
    .insertInto('processed_events')
    .values({ event_id: eventId, subject })
    .onConflict((oc) => oc.column('event_id').doNothing())
    .returning('event_id')
    .executeTakeFirst();
  return row !== undefined;
}
