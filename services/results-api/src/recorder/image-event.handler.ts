// image.running/success/failed/aborted from the fetcher and the runners: applied to the job under the state machine
// queued → running → success | failed | aborted, where a terminal state never changes. An abort of an infrastructure
// class is retried as a new attempt (up to a limit) before it counts, so a flaky host does not read as a broken image.
import { PermanentError } from '@autocloud/bus';
import {
  insertJobs,
  lockCompose,
  lockJob,
  updateCompose,
  updateJob,
  type Compose,
  type Database,
  type Job,
  type ReasonCode,
} from '@autocloud/db';
import { type ImageEvent } from '@autocloud/schemas';
import { type Transaction } from 'kysely';
import { completeIfDone } from './completion.js';
import { composeEvent, fetchWorkItem, imageEvent } from './events.js';
import { type OutboxBatch } from './outbox.js';

export interface RetryPolicy {
  /** Automatic new attempts after an abort of a retryable class (default 2). */
  maxRetries: number;
  codes: ReadonlySet<ReasonCode>;
}

export type ImageEventOutcome = 'running' | 'finished' | 'retried' | 'ignored';

const TERMINAL = new Set<Job['status']>(['success', 'failed', 'aborted']);

export function isTerminal(status: Job['status']): boolean {
  return TERMINAL.has(status);
}

export async function recordImageEvent(
  trx: Transaction<Database>,
  event: ImageEvent,
  at: Date,
  outbox: OutboxBatch,
  policy: RetryPolicy,
): Promise<ImageEventOutcome> {
  const job = await lockJob(trx, event.job_id);
  if (!job) throw new PermanentError(`image.${event.status} for job ${event.job_id}, which does not exist`);
  if (event.status === 'queued' || isTerminal(job.status)) return 'ignored';
  if (event.status === 'running' && job.status === 'running') return 'ignored';
  const compose = await lockCompose(trx, job.compose_job_id);
  if (!compose) throw new PermanentError(`job ${job.job_id} has no compose ${job.compose_job_id}`);
  const when = event.at ? new Date(event.at) : at;
  const running = await markComposeRunning(trx, compose, when, outbox);

  if (event.status === 'running') {
    await updateJob(trx, job.job_id, {
      status: 'running',
      started_at: when,
      ...runnerFacts(event),
    });
    return 'running';
  }

  const finished = await updateJob(trx, job.job_id, {
    status: event.status,
    started_at: job.started_at ?? when,
    finished_at: when,
    reason: event.reason ?? null,
    reason_code: event.reason_code ?? (event.status === 'failed' ? 'test' : null),
    summary: event.summary ?? null,
    duration_ms: event.duration_ms ?? null,
    ...runnerFacts(event),
  });
  let outcome: ImageEventOutcome = 'finished';
  if (finished && shouldRetry(finished, policy)) {
    await retry(trx, finished, when, outbox);
    outcome = 'retried';
  }
  await completeIfDone(trx, running, when, outbox);
  return outcome;
}

/** Creates the next attempt of `job` (an automatic retry or a rerun by hand); `job` stops counting. */
export async function retry(
  trx: Transaction<Database>,
  job: Job,
  at: Date,
  outbox: OutboxBatch,
): Promise<Job> {
  await updateJob(trx, job.job_id, { superseded: true });
  const [next] = await insertJobs(trx, [
    {
      compose_job_id: job.compose_job_id,
      compose_id: job.compose_id,
      image_url: job.image_url,
      image_path: job.image_path,
      image_name: job.image_name,
      sha256: job.sha256,
      size: job.size,
      type: job.type,
      format: job.format,
      variant: job.variant,
      arch: job.arch,
      subvariant: job.subvariant,
      family: job.family,
      release: job.release,
      backend: job.backend,
      plan: job.plan,
      limits: job.limits,
      attempt: job.attempt + 1,
      rerun_of: job.job_id,
      trace_id: job.trace_id,
      queued_at: at,
    },
  ]);
  if (!next) throw new Error(`could not create attempt ${job.attempt + 1} of job ${job.job_id}`);
  outbox.add('autocloud.image.queued', imageEvent(next, 'queued', at));
  outbox.add('autocloud.work.fetch', fetchWorkItem(next));
  return next;
}

/** The first job that runs (or ends without running) moves its compose to running, once. */
async function markComposeRunning(
  trx: Transaction<Database>,
  compose: Compose,
  at: Date,
  outbox: OutboxBatch,
): Promise<Compose> {
  if (compose.status !== 'queued') return compose;
  const running = await updateCompose(trx, compose.compose_job_id, { status: 'running', started_at: at });
  if (!running) return compose;
  outbox.add('autocloud.compose.running', composeEvent(running, 'running', at));
  return running;
}

function shouldRetry(job: Job, policy: RetryPolicy): boolean {
  return (
    job.status === 'aborted' &&
    job.reason_code !== null &&
    policy.codes.has(job.reason_code) &&
    job.attempt <= policy.maxRetries
  );
}

function runnerFacts(event: ImageEvent) {
  return {
    ...(event.hypervisor ? { hypervisor: event.hypervisor } : {}),
    ...(event.runner ? { runner: event.runner } : {}),
    ...(event.trace_id ? { trace_id: event.trace_id } : {}),
    ...(event.boot_ms !== undefined ? { boot_ms: event.boot_ms } : {}),
  };
}
