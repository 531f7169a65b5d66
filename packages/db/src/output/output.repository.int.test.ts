// Output repository on both backends: redelivered lines are stored once; reads go by line number.
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { insertCompose } from '../composes/compose.repository.js';
import { insertJobs } from '../jobs/job.repository.js';
import type { Database, NewOutputLine } from '../schema.js';
import { BACKENDS, openScratchDatabase, type ScratchDatabase } from '../testing/backends.js';
import { newCompose, newJob } from '../testing/rows.js';
import { insertOutputLines, listOutputLines } from './output.repository.js';

describe.each(BACKENDS)('output repository on %s', (kind) => {
  let scratch: ScratchDatabase;
  let db: Kysely<Database>;
  beforeAll(async () => {
    scratch = await openScratchDatabase(kind);
    db = scratch.handle.db;
  });
  afterAll(() => scratch.drop());

  async function newJobId(): Promise<number> {
    const { compose } = await insertCompose(db, newCompose());
    const [job] = await insertJobs(db, [newJob(compose)]);
    return job!.job_id;
  }
  const line = (job_id: number, n: number): NewOutputLine => ({
    job_id,
    n,
    text: `line ${n}`,
    step: 0,
    stream: 'stdout',
  });

  test('inserting the same lines twice stores them once and counts only the new ones', async () => {
    const jobId = await newJobId();
    expect(
      await insertOutputLines(
        db,
        [1, 2, 3].map((n) => line(jobId, n)),
      ),
    ).toBe(3);
    expect(
      await insertOutputLines(
        db,
        [2, 3, 4].map((n) => line(jobId, n)),
      ),
    ).toBe(1);
    expect(
      await insertOutputLines(
        db,
        [1, 2, 3, 4].map((n) => line(jobId, n)),
      ),
    ).toBe(0);
    expect(await insertOutputLines(db, [])).toBe(0);

    const lines = await listOutputLines(db, jobId, 1, 100);
    expect(lines.map((l) => [l.n, l.text])).toEqual([
      [1, 'line 1'],
      [2, 'line 2'],
      [3, 'line 3'],
      [4, 'line 4'],
    ]);
    expect(lines[0]!.ts).toBeInstanceOf(Date);
  });

  test('listOutputLines reads from a line number, up to a clamped limit, for one job only', async () => {
    const jobId = await newJobId();
    const otherJobId = await newJobId();
    // More than one INSERT batch.
    const many = Array.from({ length: 2500 }, (_, i) => line(jobId, i + 1));
    expect(await insertOutputLines(db, many)).toBe(2500);
    await insertOutputLines(db, [line(otherJobId, 1)]);

    expect((await listOutputLines(db, jobId, 2498, 10)).map((l) => l.n)).toEqual([2498, 2499, 2500]);
    expect((await listOutputLines(db, jobId, 10, 2)).map((l) => l.n)).toEqual([10, 11]);
    expect(await listOutputLines(db, jobId, 2501, 10)).toEqual([]);
    expect(await listOutputLines(db, jobId, 1, 0)).toHaveLength(1);
    expect(await listOutputLines(db, jobId, 1, 1_000_000)).toHaveLength(2500);
    expect(await listOutputLines(db, otherJobId, 0, 10)).toHaveLength(1);
  });
});
