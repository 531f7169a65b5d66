// Job steps: a runner reports a step when it starts and again when it ends, so writes are upserts by (job, index).
import type { DbExecutor, JobStep, NewJobStep } from '../schema.js';

/**
 * Inserts or replaces the steps; returns how many rows were written. A step that has ended is never replaced by its
 * start record, so the two may arrive in either order (redelivery, concurrent handlers) with the same result.
 */
export async function upsertSteps(db: DbExecutor, steps: readonly NewJobStep[]): Promise<number> {
  if (steps.length === 0) return 0;
  const rows = await db
    .insertInto('job_steps')
    .values([...steps])
    .onConflict((oc) =>
      oc
        .columns(['job_id', 'idx'])
        .doUpdateSet((eb) => ({
          command: eb.ref('excluded.command'),
          kind: eb.ref('excluded.kind'),
          exit_code: eb.ref('excluded.exit_code'),
          passed: eb.ref('excluded.passed'),
          started_at: eb.ref('excluded.started_at'),
          finished_at: eb.ref('excluded.finished_at'),
          duration_ms: eb.ref('excluded.duration_ms'),
          first_line: eb.ref('excluded.first_line'),
          last_line: eb.ref('excluded.last_line'),
        }))
        .where((eb) =>
          eb.or([eb('job_steps.finished_at', 'is', null), eb('excluded.finished_at', 'is not', null)]),
        ),
    )
    .returning('idx')
    .execute();
  return rows.length;
}

export function listSteps(db: DbExecutor, jobId: number): Promise<JobStep[]> {
  return db.selectFrom('job_steps').selectAll().where('job_id', '=', jobId).orderBy('idx', 'asc').execute();
}
