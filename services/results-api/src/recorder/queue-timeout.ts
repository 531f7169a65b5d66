// A compose always completes: a job no runner has taken within the queue timeout is aborted with a reason that
// names the missing runner, so an architecture nobody boots cannot hang a compose forever.
import {
  listQueuedBefore,
  lockCompose,
  lockJob,
  markEventProcessed,
  updateJob,
  type Database,
  type DatabaseHandle,
} from '@autocloud/db';
import { type Transaction } from 'kysely';
import { completeIfDone } from './completion.js';
import { imageEvent } from './events.js';
import { OutboxBatch } from './outbox.js';

/** Aborts jobs still queued after `timeoutMs`; returns their ids. */
export async function abortStaleJobs(
  database: DatabaseHandle,
  timeoutMs: number,
  now: Date,
): Promise<number[]> {
  const stale = await listQueuedBefore(database.db, new Date(now.getTime() - timeoutMs), 100);
  const aborted: number[] = [];
  for (const candidate of stale) {
    const done = await database.db.transaction().execute(async (trx) => {
      const outbox = new OutboxBatch();
      const ok = await abortOne(trx, candidate.job_id, timeoutMs, now, outbox);
      await outbox.flush(trx);
      return ok;
    });
    if (done) aborted.push(candidate.job_id);
  }
  return aborted;
}

async function abortOne(
  trx: Transaction<Database>,
  jobId: number,
  timeoutMs: number,
  now: Date,
  outbox: OutboxBatch,
): Promise<boolean> {
  const job = await lockJob(trx, jobId);
  if (!job || job.status !== 'queued') return false;
  const compose = await lockCompose(trx, job.compose_job_id);
  const hours = Math.round((timeoutMs / 3_600_000) * 10) / 10;
  const aborted = await updateJob(trx, jobId, {
    status: 'aborted',
    reason: `no runner for ${job.backend}/${job.arch} took the job within ${hours} h`,
    reason_code: 'timeout',
    finished_at: now,
  });
  if (!aborted || !compose) return false;
  const msgId = outbox.add('autocloud.image.aborted', imageEvent(aborted, 'aborted', now));
  // The recorder hears its own event back; it is already applied.
  await markEventProcessed(trx, msgId, 'autocloud.image.aborted');
  await completeIfDone(trx, compose, now, outbox);
  return true;
}
