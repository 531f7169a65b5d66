// autocloud.job.<job_id>.output and .steps from the runners: output lines and step records, stored as they stream.
// Both are keyed (job, line number) and (job, step index), so a redelivered or replayed batch changes nothing.
import { PermanentError, RetryableError } from '@autocloud/bus';
import { countOutputLines, insertOutputLines, upsertSteps, type DatabaseHandle } from '@autocloud/db';
import { type JobSteps, type OutputLines } from '@autocloud/schemas';

/** PostgreSQL's foreign_key_violation: the job row is not there (yet). */
const FOREIGN_KEY_VIOLATION = '23503';

function jobIdOfSubject(subject: string): number {
  return Number(subject.split('.')[2]);
}

/** The subject names the job; a body about another job is a runner bug, never stored under the wrong job. */
function checkSubject(subject: string, jobId: number): void {
  if (jobIdOfSubject(subject) !== jobId) {
    throw new PermanentError(`${subject} carries job_id ${jobId}`, { code: 'SUBJECT_MISMATCH' });
  }
}

/** Output of a job the database does not know yet (its compose is still being recorded): retried a while later. */
function missingJob(err: unknown, jobId: number): unknown {
  if ((err as { code?: unknown })?.code === FOREIGN_KEY_VIOLATION) {
    return new RetryableError(`job ${jobId} is not recorded yet`, { cause: err, code: 'JOB_NOT_RECORDED' });
  }
  return err;
}

/** Stores a batch of lines and counts the new ones on the job; returns how many lines were new. */
export async function recordOutput(
  database: DatabaseHandle,
  subject: string,
  body: OutputLines,
): Promise<number> {
  checkSubject(subject, body.job_id);
  try {
    return await database.db.transaction().execute(async (trx) => {
      const added = await insertOutputLines(
        trx,
        body.lines.map((line) => ({
          job_id: body.job_id,
          n: line.n,
          ts: line.ts,
          text: line.text,
          step: line.step ?? null,
          stream: line.stream ?? null,
        })),
      );
      await countOutputLines(trx, body.job_id, added);
      return added;
    });
  } catch (err) {
    throw missingJob(err, body.job_id);
  }
}

/** Stores step records; an ended step is never turned back into a running one by a late start record. */
export async function recordSteps(
  database: DatabaseHandle,
  subject: string,
  body: JobSteps,
): Promise<number> {
  checkSubject(subject, body.job_id);
  // Within one batch the last record of a step wins, as if they had come one by one.
  const byIdx = new Map(body.steps.map((step) => [step.idx, step]));
  try {
    return await upsertSteps(
      database.db,
      [...byIdx.values()].map((step) => ({
        job_id: body.job_id,
        idx: step.idx,
        command: step.command,
        kind: step.kind,
        exit_code: step.exit_code ?? null,
        passed: step.passed,
        started_at: step.started_at,
        finished_at: step.finished_at ?? null,
        duration_ms: step.duration_ms ?? null,
        first_line: step.first_line ?? null,
        last_line: step.last_line ?? null,
      })),
    );
  } catch (err) {
    throw missingJob(err, body.job_id);
  }
}
