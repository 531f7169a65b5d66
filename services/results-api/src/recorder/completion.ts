// A compose completes once every job that counts (the final attempt of each image) reached a terminal state.
import {
  listComposeJobs,
  updateCompose,
  updateComposeCounts,
  type Compose,
  type Database,
} from '@autocloud/db';
import { type Transaction } from 'kysely';
import { composeComplete } from './events.js';
import { type OutboxBatch } from './outbox.js';

const TERMINAL = new Set(['success', 'failed', 'aborted']);

/** Call with the compose row locked. Publishes compose.complete exactly once. */
export async function completeIfDone(
  trx: Transaction<Database>,
  compose: Compose,
  at: Date,
  outbox: OutboxBatch,
): Promise<boolean> {
  const counted = await updateComposeCounts(trx, compose.compose_job_id);
  if (compose.status === 'complete' || !counted) return false;
  const jobs = await listComposeJobs(trx, compose.compose_job_id);
  if (jobs.some((j) => !j.superseded && !TERMINAL.has(j.status))) return false;
  const done = await updateCompose(trx, compose.compose_job_id, { status: 'complete', completed_at: at });
  if (!done) return false;
  outbox.add('autocloud.compose.complete', composeComplete(done, jobs, at));
  return true;
}
