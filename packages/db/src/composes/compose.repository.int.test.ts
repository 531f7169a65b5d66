// Compose repository on both backends: idempotent insert, filters with keyset pages, locking, totals.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { InvalidCursorError } from '../errors.js';
import { insertJobs } from '../jobs/job.repository.js';
import type { Compose, Database } from '../schema.js';
import { BACKENDS, openScratchDatabase, type ScratchDatabase } from '../testing/backends.js';
import { newCompose, newJob } from '../testing/rows.js';
import {
  findComposeByComposeId,
  findComposeById,
  insertCompose,
  listComposes,
  lockCompose,
  updateCompose,
  updateComposeCounts,
} from './compose.repository.js';

describe.each(BACKENDS)('compose repository on %s', (kind) => {
  let scratch: ScratchDatabase;
  let db: Kysely<Database>;
  beforeAll(async () => {
    scratch = await openScratchDatabase(kind);
    db = scratch.handle.db;
  });
  afterAll(() => scratch.drop());

  test('insertCompose records a compose_id once: a second insert returns the first row', async () => {
    const first = await insertCompose(db, newCompose({ compose_id: 'Fedora-Cloud-41-20241020.0' }));
    expect(first.created).toBe(true);
    expect(first.compose).toMatchObject({
      compose_id: 'Fedora-Cloud-41-20241020.0',
      status: 'queued',
      job_count: 0,
      passed: 0,
      reason: null,
      started_at: null,
    });
    expect(Number.isInteger(first.compose.compose_job_id)).toBe(true);
    expect(first.compose.created_at).toBeInstanceOf(Date);

    const again = await insertCompose(
      db,
      newCompose({ compose_id: 'Fedora-Cloud-41-20241020.0', location: 'https://elsewhere.example/compose' }),
    );
    expect(again).toEqual({ compose: first.compose, created: false });
  });

  test('finds a compose by its integer id and by compose_id, and nothing for unknown ones', async () => {
    const { compose } = await insertCompose(db, newCompose());
    expect(await findComposeById(db, compose.compose_job_id)).toEqual(compose);
    expect(await findComposeByComposeId(db, compose.compose_id)).toEqual(compose);
    expect(await findComposeById(db, 987_654_321)).toBeUndefined();
    expect(await findComposeByComposeId(db, 'Fedora-Nope-1-20000101.0')).toBeUndefined();
  });

  test('listComposes filters by status, type and release, newest first, in gapless pages', async () => {
    const release = randomUUID(); // keeps this test's composes apart from the others in this database
    const made: Compose[] = [];
    for (let i = 0; i < 7; i++) {
      const { compose } = await insertCompose(
        db,
        newCompose({
          release,
          type: i % 2 === 0 ? 'production' : 'nightly',
          status: i < 3 ? 'complete' : 'queued',
        }),
      );
      made.push(compose);
    }
    const newestFirst = [...made].reverse().map((c) => c.compose_job_id);
    const ids = (items: Compose[]) => items.map((c) => c.compose_job_id);

    expect(ids((await listComposes(db, { release, limit: 100 })).items)).toEqual(newestFirst);
    const nightly = await listComposes(db, { release, type: 'nightly' });
    expect(ids(nightly.items)).toEqual([5, 3, 1].map((i) => made[i]!.compose_job_id));
    const completeProduction = await listComposes(db, { release, status: 'complete', type: 'production' });
    expect(ids(completeProduction.items)).toEqual([made[2]!.compose_job_id, made[0]!.compose_job_id]);
    expect((await listComposes(db, { release: randomUUID() })).items).toEqual([]);

    const seen: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await listComposes(db, { release, limit: 3, cursor });
      seen.push(...ids(page.items));
      cursor = page.next_cursor ?? undefined;
      pages += 1;
    } while (cursor !== undefined);
    expect(pages).toBe(3);
    expect(seen).toEqual(newestFirst);

    await expect(listComposes(db, { release, cursor: 'not-a-cursor!' })).rejects.toBeInstanceOf(
      InvalidCursorError,
    );
  });

  test('lockCompose holds the row for the transaction; updateComposeCounts leaves superseded jobs out', async () => {
    const { compose } = await insertCompose(db, newCompose());
    const statuses = ['success', 'success', 'failed', 'aborted', 'queued'] as const;
    await insertJobs(
      db,
      statuses.map((status) => newJob(compose, { status })),
    );
    // An infrastructure abort that was retried: history, not a result.
    await insertJobs(db, [
      newJob(compose, { status: 'aborted', reason_code: 'infrastructure', superseded: true }),
    ]);

    const updated = await db.transaction().execute(async (trx) => {
      const locked = await lockCompose(trx, compose.compose_job_id);
      expect(locked?.compose_id).toBe(compose.compose_id);
      return updateComposeCounts(trx, compose.compose_job_id);
    });
    expect(updated).toMatchObject({ job_count: 5, passed: 2, failed: 1, aborted: 1 });
    expect(updated!.updated_at.getTime()).toBeGreaterThanOrEqual(compose.updated_at.getTime());
    expect(await updateComposeCounts(db, 987_654_321)).toBeUndefined();
  });

  test('updateCompose changes the given fields only', async () => {
    const { compose } = await insertCompose(db, newCompose());
    const startedAt = new Date('2024-10-20T12:00:00Z');
    const updated = await updateCompose(db, compose.compose_job_id, {
      status: 'running',
      started_at: startedAt,
    });
    expect(updated).toMatchObject({ status: 'running', started_at: startedAt, location: compose.location });
  });
});
