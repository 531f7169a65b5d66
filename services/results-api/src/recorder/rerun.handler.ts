// control.rerun: a finished job runs again as a new job (attempt + 1, rerun_of); the old one stops counting.
import { PermanentError } from '@autocloud/bus';
import { lockCompose, lockJob, updateComposeCounts, type Database, type Job } from '@autocloud/db';
import { type RerunCommand } from '@autocloud/schemas';
import { type Transaction } from 'kysely';
import { isTerminal, retry } from './image-event.handler.js';
import { type OutboxBatch } from './outbox.js';

export type RerunOutcome = { rerun: Job } | { refused: string };

export async function recordRerun(
  trx: Transaction<Database>,
  command: RerunCommand,
  at: Date,
  outbox: OutboxBatch,
): Promise<RerunOutcome> {
  const job = await lockJob(trx, command.job_id);
  if (!job) throw new PermanentError(`rerun of job ${command.job_id}, which does not exist`);
  if (!isTerminal(job.status)) return { refused: `job ${job.job_id} is ${job.status}, not finished` };
  // Lock order as everywhere: the job, then its compose.
  await lockCompose(trx, job.compose_job_id);
  const rerun = await retry(trx, job, at, outbox);
  await updateComposeCounts(trx, job.compose_job_id);
  return { rerun };
}
