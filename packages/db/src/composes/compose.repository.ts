// Composes: recorded once per compose_id, listed newest first, counted from their jobs.
import { sql, type Transaction } from 'kysely';
import { clampLimit, decodeCursor, toPage, type Page } from '../pagination.js';
import type { Compose, ComposeStatus, ComposeUpdate, Database, DbExecutor, NewCompose } from '../schema.js';

export interface InsertComposeResult {
  compose: Compose;
  /** false: the compose_id was already recorded (a redelivered or duplicate event), `compose` is that row. */
  created: boolean;
}

export async function insertCompose(db: DbExecutor, compose: NewCompose): Promise<InsertComposeResult> {
  const inserted = await db
    .insertInto('composes')
    .values(compose)
    .onConflict((oc) => oc.column('compose_id').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return { compose: inserted, created: true };
  const existing = await findComposeByComposeId(db, compose.compose_id);
  // Only a concurrent delete between the two statements gets here.
  if (!existing) throw new Error(`compose ${compose.compose_id} conflicted on insert but is gone`);
  return { compose: existing, created: false };
}

export function findComposeById(db: DbExecutor, composeJobId: number): Promise<Compose | undefined> {
  return db.selectFrom('composes').selectAll().where('compose_job_id', '=', composeJobId).executeTakeFirst();
}

export function findComposeByComposeId(db: DbExecutor, composeId: string): Promise<Compose | undefined> {
  return db.selectFrom('composes').selectAll().where('compose_id', '=', composeId).executeTakeFirst();
}

export interface ListComposesFilter {
  status?: ComposeStatus;
  type?: string;
  release?: string;
  limit?: number;
  cursor?: string;
}

/** Newest first; throws InvalidCursorError for a cursor it did not issue. */
export async function listComposes(db: DbExecutor, filter: ListComposesFilter): Promise<Page<Compose>> {
  const limit = clampLimit(filter.limit);
  let query = db.selectFrom('composes').selectAll();
  if (filter.cursor !== undefined) query = query.where('compose_job_id', '<', decodeCursor(filter.cursor));
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  if (filter.type !== undefined) query = query.where('type', '=', filter.type);
  if (filter.release !== undefined) query = query.where('release', '=', filter.release);
  const rows = await query
    .orderBy('compose_job_id', 'desc')
    .limit(limit + 1)
    .execute();
  return toPage(rows, limit, (row) => row.compose_job_id);
}

/** Locks the compose row until the transaction ends, so concurrent job events update its totals in turn. */
export function lockCompose(trx: Transaction<Database>, composeJobId: number): Promise<Compose | undefined> {
  return trx
    .selectFrom('composes')
    .selectAll()
    .where('compose_job_id', '=', composeJobId)
    .forUpdate()
    .executeTakeFirst();
}

export function updateCompose(
  db: DbExecutor,
  composeJobId: number,
  patch: Omit<ComposeUpdate, 'compose_job_id'>,
): Promise<Compose | undefined> {
  return db
    .updateTable('composes')
    .set({ ...patch, updated_at: sql<Date>`now()` })
    .where('compose_job_id', '=', composeJobId)
    .returningAll()
    .executeTakeFirst();
}

/**
 * Recomputes job_count, passed, failed and aborted from the compose's jobs in one statement, so replaying events
 * cannot drift the totals. Superseded jobs (infrastructure aborts retried as a new attempt) are left out.
 */
export function updateComposeCounts(db: DbExecutor, composeJobId: number): Promise<Compose | undefined> {
  const totals = db
    .selectFrom('jobs')
    .where('compose_job_id', '=', composeJobId)
    .where('superseded', '=', false)
    .select((eb) => [
      eb.fn.countAll<number>().as('job_count'),
      eb.fn.countAll<number>().filterWhere('status', '=', 'success').as('passed'),
      eb.fn.countAll<number>().filterWhere('status', '=', 'failed').as('failed'),
      eb.fn.countAll<number>().filterWhere('status', '=', 'aborted').as('aborted'),
    ]);
  return db
    .updateTable('composes')
    .from(totals.as('t'))
    .set((eb) => ({
      job_count: eb.ref('t.job_count'),
      passed: eb.ref('t.passed'),
      failed: eb.ref('t.failed'),
      aborted: eb.ref('t.aborted'),
      updated_at: sql<Date>`now()`,
    }))
    .where('composes.compose_job_id', '=', composeJobId)
    .returningAll('composes')
    .executeTakeFirst();
}
