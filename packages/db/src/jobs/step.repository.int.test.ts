// Step repository on both backends: a step reported at start and again at its end is one row.
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { insertCompose } from '../composes/compose.repository.js';
import type { Database } from '../schema.js';
import { BACKENDS, openScratchDatabase, type ScratchDatabase } from '../testing/backends.js';
import { newCompose, newJob } from '../testing/rows.js';
import { insertJobs } from './job.repository.js';
import { listSteps, upsertSteps } from './step.repository.js';

describe.each(BACKENDS)('step repository on %s', (kind) => {
  let scratch: ScratchDatabase;
  let db: Kysely<Database>;
  beforeAll(async () => {
    scratch = await openScratchDatabase(kind);
    db = scratch.handle.db;
  });
  afterAll(() => scratch.drop());

  test('upsertSteps inserts, then replaces a step by (job, index); listSteps returns them in order', async () => {
    const { compose } = await insertCompose(db, newCompose());
    const [job] = await insertJobs(db, [newJob(compose)]);
    const startedAt = new Date('2024-10-20T12:00:00Z');
    const started = { job_id: job!.job_id, passed: false, started_at: startedAt, first_line: 1 };

    expect(
      await upsertSteps(db, [
        { ...started, idx: 1, command: 'sudo systemctl is-active sshd', kind: 'command' },
        { ...started, idx: 0, command: 'POLL', kind: 'poll' },
      ]),
    ).toBe(2);
    expect(
      await upsertSteps(db, [
        {
          ...started,
          idx: 1,
          command: 'sudo systemctl is-active sshd',
          kind: 'command',
          exit_code: 0,
          passed: true,
          finished_at: new Date('2024-10-20T12:00:02Z'),
          duration_ms: 2000,
          last_line: 4,
        },
      ]),
    ).toBe(1);
    expect(await upsertSteps(db, [])).toBe(0);

    const steps = await listSteps(db, job!.job_id);
    expect(steps.map((s) => [s.idx, s.kind, s.passed, s.exit_code])).toEqual([
      [0, 'poll', false, null],
      [1, 'command', true, 0],
    ]);
    expect(steps[1]).toMatchObject({ duration_ms: 2000, first_line: 1, last_line: 4, started_at: startedAt });
  });
});
