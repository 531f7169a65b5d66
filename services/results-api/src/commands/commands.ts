// The writes, shared by the REST API and the web UI's forms: rerun and submit are commands on the bus (the recorder
// and compose-resolver carry them out); cancel is a core NATS request answered by the runner that holds the job.
import { randomUUID } from 'node:crypto';
import { type Bus } from '@autocloud/bus';
import { findJob, type DatabaseHandle, type Job } from '@autocloud/db';
import {
  CancelReply,
  CancelRequest,
  parseJson,
  subjects,
  validator,
  type CancelResult,
  type SubmitComposeBody,
} from '@autocloud/schemas';
import { errors, HttpError } from '../http/errors.js';
import { isTerminal } from '../api/resources.js';

export interface CommandDeps {
  database: DatabaseHandle;
  bus: Bus;
  /** How long a runner has to answer a cancel (5 s). */
  cancelTimeoutMs?: number;
}

async function existingJob(deps: CommandDeps, jobId: number): Promise<Job> {
  const job = await findJob(deps.database.db, jobId);
  if (!job) throw errors.jobNotFound(jobId);
  return job;
}

function busError(err: unknown): HttpError {
  return err instanceof HttpError ? err : errors.natsUnavailable(err);
}

/** Asks the recorder to rerun a finished job; resolves with the command's request id. */
export async function requestRerun(
  deps: CommandDeps,
  jobId: number,
  requestedBy: string,
  requestId: string = randomUUID(),
): Promise<string> {
  const job = await existingJob(deps, jobId);
  if (!isTerminal(job.status)) throw errors.jobNotFinished(jobId, job.status);
  await deps.bus
    .publish(subjects.controlRerun, { job_id: jobId, request_id: requestId, requested_by: requestedBy })
    .catch((err: unknown) => {
      throw busError(err);
    });
  return requestId;
}

/** Asks compose-resolver to test a compose by hand; resolves with the command's request id. */
export async function submitCompose(
  deps: CommandDeps,
  body: SubmitComposeBody,
  requestedBy: string,
): Promise<string> {
  const requestId = body.request_id ?? randomUUID();
  await deps.bus
    .publish(subjects.controlSubmit, {
      location: body.location,
      request_id: requestId,
      requested_by: requestedBy,
      ...(body.compose_id ? { compose_id: body.compose_id } : {}),
    })
    .catch((err: unknown) => {
      throw busError(err);
    });
  return requestId;
}

const cancelRequest = validator(CancelRequest);
const cancelReply = validator(CancelReply);

/** Asks the runner holding the job to abort it; 409 when no runner holds it or it refuses. */
export async function requestCancel(
  deps: CommandDeps,
  jobId: number,
  requestedBy: string,
  reason?: string,
): Promise<CancelResult> {
  const job = await existingJob(deps, jobId);
  if (isTerminal(job.status)) throw errors.jobFinished(jobId, job.status);
  const request = cancelRequest.parse({
    job_id: jobId,
    requested_by: requestedBy,
    ...(reason ? { reason } : {}),
  });
  let data: Uint8Array;
  try {
    const msg = await deps.bus.nc.request(subjects.jobCancel(jobId), JSON.stringify(request), {
      timeout: deps.cancelTimeoutMs ?? 5_000,
    });
    data = msg.data;
  } catch (err) {
    const name = (err as Error).name;
    const noResponders =
      (err as { isNoResponders?: () => boolean }).isNoResponders?.() === true || name === 'NoRespondersError';
    if (noResponders) throw errors.jobNotRunning(jobId, `no runner answers for it (it is ${job.status})`);
    if (name === 'TimeoutError' || (err as Error).cause instanceof Error) {
      const cause = (err as Error).cause as Error | undefined;
      if (name === 'TimeoutError' || cause?.name === 'TimeoutError')
        throw errors.jobNotRunning(jobId, 'no runner answered in time');
    }
    throw busError(err);
  }
  const parsed = parseJson(data);
  if (!parsed.ok) throw errors.badRunnerReply(jobId, parsed.reason);
  const problems = cancelReply.errors(parsed.value);
  if (problems.length > 0) throw errors.badRunnerReply(jobId, problems.join('; '));
  const reply = parsed.value as CancelReply;
  if (!reply.accepted) throw errors.cancelRefused(jobId, reply.message ?? 'no reason given');
  return { job_id: jobId, accepted: true, ...(reply.message ? { message: reply.message } : {}) };
}
