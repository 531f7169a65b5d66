// Transactional outbox: events are written with the state they announce, then published after commit.
import { sql, type Transaction } from 'kysely';
import { clampLimit } from '../pagination.js';
import type { Database, DbExecutor, NewOutboxMessage, OutboxMessage } from '../schema.js';

const MAX_CLAIM = 1000;

/**
 * Adds messages to the outbox in the caller's transaction. A msg_id already present is skipped (the same event
 * derived twice is published once); returns the rows actually added.
 */
export async function enqueueOutbox(
  trx: Transaction<Database>,
  rows: readonly NewOutboxMessage[],
): Promise<OutboxMessage[]> {
  if (rows.length === 0) return [];
  const added = await trx
    .insertInto('outbox')
    .values([...rows])
    .onConflict((oc) => oc.column('msg_id').doNothing())
    .returningAll()
    .execute();
  return added.sort((a, b) => a.id - b.id);
}

/**
 * The oldest unpublished messages, in id order. Inside a transaction the rows are also locked (SKIP LOCKED), so
 * relays on several replicas share the backlog; outside one, replicas may publish the same row twice, which
 * JetStream drops by its Nats-Msg-Id.
 */
export function claimUnpublished(db: DbExecutor, limit: number): Promise<OutboxMessage[]> {
  const query = db
    .selectFrom('outbox')
    .selectAll()
    .where('published_at', 'is', null)
    .orderBy('id', 'asc')
    .limit(clampLimit(limit, MAX_CLAIM));
  return (db.isTransaction ? query.forUpdate().skipLocked() : query).execute();
}

/** Marks messages as published; returns how many were still unpublished. */
export async function markPublished(db: DbExecutor, ids: readonly number[]): Promise<number> {
  if (ids.length === 0) return 0;
  const rows = await db
    .updateTable('outbox')
    .set({ published_at: sql<Date>`now()` })
    .where('id', 'in', [...ids])
    .where('published_at', 'is', null)
    .returning('id')
    .execute();
  return rows.length;
}
