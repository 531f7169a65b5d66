// Jobs: inserted in bulk when a compose is recorded, filtered and paged for the API, locked while an event applies.
import { sql, type Transaction } from 'kysely';
import { clampLimit, decodeCursor, toPage, type Page } from '../pagination.js';
import type { Backend, Database, DbExecutor, Job, JobStatus, JobUpdate, NewJob } from '../schema.js';

/** Rows per INSERT: ~40 columns each keeps a batch well under PostgreSQL's 65535 bind parameters. */
const INSERT_BATCH = 500;

/** Inserts the jobs and returns them in the order given (job ids are assigned in that order). */
export async function insertJobs(db: DbExecutor, jobs: readonly NewJob[]): Promise<Job[]> {
  const inserted: Job[] = [];
  for (let start = 0; start < jobs.length; start += INSERT_BATCH) {
    const rows = await db
      .insertInto('jobs')
      .values(jobs.slice(start, start + INSERT_BATCH))
      .returningAll()
      .execute();
    // RETURNING has no guaranteed order; identity values follow the VALUES order, so sort by them.
    inserted.push(...rows.sort((a, b) => a.job_id - b.job_id));
  }
  return inserted;
}

export function findJob(db: DbExecutor, jobId: number): Promise<Job | undefined> {
  return db.selectFrom('jobs').selectAll().where('job_id', '=', jobId).executeTakeFirst();
}

/** Locks the job row until the transaction ends: a state change is read, checked and written by one event at a time. */
export function lockJob(trx: Transaction<Database>, jobId: number): Promise<Job | undefined> {
  return trx.selectFrom('jobs').selectAll().where('job_id', '=', jobId).forUpdate().executeTakeFirst();
}

export interface ListJobsFilter {
  compose_job_id?: number;
  compose_id?: string;
  status?: JobStatus;
  arch?: string;
  family?: string;
  /** The productmd image type (the `type` column). */
  image_type?: string;
  backend?: Backend;
  release?: string;
  image_name?: string;
  /** The image across composes (the generated image_key). */
  image_key?: string;
  limit?: number;
  cursor?: string;
}

/** Newest first, every given filter applied; throws InvalidCursorError for a cursor it did not issue. */
export async function listJobs(db: DbExecutor, filter: ListJobsFilter): Promise<Page<Job>> {
  const limit = clampLimit(filter.limit);
  let query = db.selectFrom('jobs').selectAll();
  if (filter.cursor !== undefined) query = query.where('job_id', '<', decodeCursor(filter.cursor));
  if (filter.compose_job_id !== undefined) query = query.where('compose_job_id', '=', filter.compose_job_id);
  if (filter.compose_id !== undefined) query = query.where('compose_id', '=', filter.compose_id);
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  if (filter.arch !== undefined) query = query.where('arch', '=', filter.arch);
  if (filter.family !== undefined) query = query.where('family', '=', filter.family);
  if (filter.image_type !== undefined) query = query.where('type', '=', filter.image_type);
  if (filter.backend !== undefined) query = query.where('backend', '=', filter.backend);
  if (filter.release !== undefined) query = query.where('release', '=', filter.release);
  if (filter.image_name !== undefined) query = query.where('image_name', '=', filter.image_name);
  if (filter.image_key !== undefined) query = query.where('image_key', '=', filter.image_key);
  const rows = await query
    .orderBy('job_id', 'desc')
    .limit(limit + 1)
    .execute();
  return toPage(rows, limit, (row) => row.job_id);
}

/** Every job of one compose, oldest first: what compose.complete reports as its artifacts. */
export function listComposeJobs(db: DbExecutor, composeJobId: number): Promise<Job[]> {
  return db
    .selectFrom('jobs')
    .selectAll()
    .where('compose_job_id', '=', composeJobId)
    .orderBy('job_id', 'asc')
    .execute();
}

export function updateJob(
  db: DbExecutor,
  jobId: number,
  patch: Omit<JobUpdate, 'job_id'>,
): Promise<Job | undefined> {
  return db
    .updateTable('jobs')
    .set({ ...patch, updated_at: sql<Date>`now()` })
    .where('job_id', '=', jobId)
    .returningAll()
    .executeTakeFirst();
}

/** Queued jobs waiting since before `before`, oldest first: candidates for the queue timeout. */
export function listQueuedBefore(db: DbExecutor, before: Date, limit: number): Promise<Job[]> {
  return db
    .selectFrom('jobs')
    .selectAll()
    .where('status', '=', 'queued')
    .where('queued_at', '<', before)
    .orderBy('job_id', 'asc')
    .limit(clampLimit(limit))
    .execute();
}

/**
 * Adds newly stored output lines to the job's count. Callers pass only the lines their insert actually added (a
 * redelivered line adds nothing), so the count is exact whatever the order or concurrency of the batches.
 */
export async function countOutputLines(db: DbExecutor, jobId: number, added: number): Promise<void> {
  if (added <= 0) return;
  await db
    .updateTable('jobs')
    .set((eb) => ({ output_lines: eb('output_lines', '+', added) }))
    .where('job_id', '=', jobId)
    .execute();
}
