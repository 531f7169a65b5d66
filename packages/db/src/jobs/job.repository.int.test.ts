// Job repository on both backends: bulk insert, every filter, keyset pages, locks and rolled-back transactions.
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { findComposeByComposeId, insertCompose } from '../composes/compose.repository.js';
import { InvalidCursorError } from '../errors.js';
import { markEventProcessed } from '../events/processed-event.repository.js';
import { enqueueOutbox } from '../outbox/outbox.repository.js';
import { encodeCursor } from '../pagination.js';
import type { Compose, Database, Job, NewJob } from '../schema.js';
import { BACKENDS, openScratchDatabase, type ScratchDatabase } from '../testing/backends.js';
import { newCompose, newJob } from '../testing/rows.js';
import {
  findJob,
  insertJobs,
  listComposeJobs,
  listJobs,
  lockJob,
  updateJob,
  type ListJobsFilter,
} from './job.repository.js';

const ids = (jobs: Job[]) => jobs.map((job) => job.job_id);

describe.each(BACKENDS)('job repository on %s', (kind) => {
  let scratch: ScratchDatabase;
  let db: Kysely<Database>;
  beforeAll(async () => {
    scratch = await openScratchDatabase(kind);
    db = scratch.handle.db;
  });
  afterAll(() => scratch.drop());

  /** A compose of its own (unique release) with the given jobs. */
  async function composeWith(jobs: (compose: Compose) => NewJob[]) {
    const { compose } = await insertCompose(db, newCompose({ release: randomUUID() }));
    return { compose, jobs: await insertJobs(db, jobs(compose)) };
  }

  test('insertJobs returns the rows in the order given, with defaults and exact int8 sizes', async () => {
    const { compose, jobs } = await composeWith((c) => [
      newJob(c, { arch: 'x86_64', limits: { timeout_s: 600, memory_mb: 2048 } }),
      newJob(c, { arch: 'aarch64' }),
      newJob(c, { arch: 'ppc64le' }),
    ]);
    expect(jobs.map((j) => j.arch)).toEqual(['x86_64', 'aarch64', 'ppc64le']);
    expect(ids(jobs)).toEqual([...ids(jobs)].sort((a, b) => a - b));
    expect(jobs[0]).toMatchObject({
      compose_job_id: compose.compose_job_id,
      status: 'queued',
      attempt: 1,
      superseded: false,
      output_lines: 0,
      size: 5_368_709_120,
      limits: { timeout_s: 600, memory_mb: 2048 },
      summary: null,
      rerun_of: null,
    });
    expect(typeof jobs[0]!.job_id).toBe('number');
    expect(await findJob(db, jobs[1]!.job_id)).toEqual(jobs[1]);
    expect(await findJob(db, 987_654_321)).toBeUndefined();
    expect(await insertJobs(db, [])).toEqual([]);
    expect(ids(await listComposeJobs(db, compose.compose_job_id))).toEqual(ids(jobs));
  });

  test('listJobs applies each filter alone and in combination, newest first', async () => {
    const { compose, jobs } = await composeWith((c) => [
      newJob(c, { arch: 'x86_64', type: 'qcow2', family: 'Base', status: 'success' }),
      newJob(c, { arch: 'x86_64', type: 'vagrant-libvirt', family: 'Base', status: 'failed' }),
      newJob(c, {
        arch: 'x86_64',
        type: 'vagrant-virtualbox',
        family: 'Atomic',
        backend: 'vbox',
        status: 'success',
      }),
      newJob(c, {
        arch: 'aarch64',
        type: 'qcow2',
        family: 'Atomic',
        status: 'aborted',
        image_name: 'Fedora-AtomicHost',
      }),
      newJob(c, { arch: 'aarch64', type: 'raw-xz', family: 'Base', status: 'queued' }),
    ]);
    const { release } = compose;
    const expectJobs = async (filter: ListJobsFilter, indexes: number[]) => {
      const page = await listJobs(db, { release, ...filter });
      expect(ids(page.items)).toEqual(indexes.map((i) => jobs[i]!.job_id));
      expect(page.next_cursor).toBeNull();
    };

    await expectJobs({}, [4, 3, 2, 1, 0]);
    await expectJobs({ compose_job_id: compose.compose_job_id }, [4, 3, 2, 1, 0]);
    await expectJobs({ compose_id: compose.compose_id }, [4, 3, 2, 1, 0]);
    await expectJobs({ status: 'success' }, [2, 0]);
    await expectJobs({ arch: 'aarch64' }, [4, 3]);
    await expectJobs({ family: 'Atomic' }, [3, 2]);
    await expectJobs({ image_type: 'qcow2' }, [3, 0]);
    await expectJobs({ backend: 'vbox' }, [2]);
    await expectJobs({ image_name: 'Fedora-AtomicHost' }, [3]);
    await expectJobs({ arch: 'x86_64', family: 'Base' }, [1, 0]);
    await expectJobs(
      { arch: 'x86_64', family: 'Base', status: 'failed', image_type: 'vagrant-libvirt' },
      [1],
    );
    await expectJobs({ arch: 'aarch64', backend: 'vbox' }, []);
    await expectJobs({ compose_id: 'Fedora-Other-1-20000101.0' }, []);
    // Without the release filter the other tests' jobs show up too; with a foreign compose none of these do.
    const { compose: other } = await insertCompose(db, newCompose());
    expect((await listJobs(db, { compose_job_id: other.compose_job_id })).items).toEqual([]);
  });

  test('keyset pages cover every job once, with no gaps, even as new jobs arrive', async () => {
    const { compose, jobs } = await composeWith((c) => Array.from({ length: 23 }, () => newJob(c)));
    const seen: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await listJobs(db, { compose_job_id: compose.compose_job_id, limit: 5, cursor });
      expect(page.items.length).toBe(page.next_cursor === null ? 3 : 5);
      seen.push(...ids(page.items));
      cursor = page.next_cursor ?? undefined;
      pages += 1;
      // A job added mid-way is newer than every page still to come, so it shifts nothing.
      if (pages === 2) await insertJobs(db, [newJob(compose)]);
    } while (cursor !== undefined);
    expect(pages).toBe(5);
    expect(seen).toEqual(ids(jobs).reverse());

    // Exactly one full page: the last page has no cursor.
    const exact = await listJobs(db, { compose_job_id: compose.compose_job_id, limit: 24 });
    expect(exact.items).toHaveLength(24);
    expect(exact.next_cursor).toBeNull();
  });

  test('a cursor this package did not issue is an InvalidCursorError', async () => {
    const forged = [
      '',
      'garbage!',
      Buffer.from('abc').toString('base64url'),
      Buffer.from('-5').toString('base64url'),
      Buffer.from('0').toString('base64url'),
      Buffer.from('12.5').toString('base64url'),
      Buffer.from('99999999999999999999').toString('base64url'),
      'MTI=', // "12" with padding: not what encodeCursor issues
      'MTJ', // also decodes to "12" (stray low bits), but is not the cursor issued for 12
    ];
    for (const cursor of forged) {
      await expect(listJobs(db, { cursor }), cursor).rejects.toBeInstanceOf(InvalidCursorError);
    }
    await expect(listJobs(db, { cursor: encodeCursor(1) })).resolves.toBeDefined();
  });

  test('limit is clamped to 1..500', async () => {
    const { compose } = await composeWith((c) => Array.from({ length: 501 }, () => newJob(c)));
    const filter = { compose_job_id: compose.compose_job_id };
    const huge = await listJobs(db, { ...filter, limit: 10_000 });
    expect(huge.items).toHaveLength(500);
    expect(huge.next_cursor).not.toBeNull();
    expect((await listJobs(db, { ...filter, limit: 0 })).items).toHaveLength(1);
    expect((await listJobs(db, { ...filter, limit: -5 })).items).toHaveLength(1);
    expect((await listJobs(db, { ...filter, limit: Number.NaN })).items).toHaveLength(50);
    expect((await listJobs(db, filter)).items).toHaveLength(50);
  });

  test('updateJob writes the given fields and refreshes updated_at', async () => {
    const { jobs } = await composeWith((c) => [newJob(c)]);
    const job = jobs[0]!;
    await sql`select pg_sleep(0.01)`.execute(db);
    const updated = await updateJob(db, job.job_id, {
      status: 'aborted',
      reason: 'SSH never came up',
      reason_code: 'ssh',
      summary: { total: 3, passed: 1, failed: 0, skipped: 2 },
      finished_at: new Date('2024-10-20T12:00:00Z'),
    });
    expect(updated).toMatchObject({
      status: 'aborted',
      reason_code: 'ssh',
      summary: { total: 3, passed: 1, failed: 0, skipped: 2 },
      image_url: job.image_url,
    });
    expect(updated!.updated_at.getTime()).toBeGreaterThan(job.updated_at.getTime());
    expect(await updateJob(db, 987_654_321, { status: 'running' })).toBeUndefined();
  });

  test('lockJob returns the row inside a transaction and holds it until commit', async () => {
    const { jobs } = await composeWith((c) => [newJob(c)]);
    const jobId = jobs[0]!.job_id;
    await db.transaction().execute(async (trx) => {
      const locked = await lockJob(trx, jobId);
      expect(locked?.status).toBe('queued');
      if (kind === 'postgres') {
        // Another connection cannot take the same lock meanwhile (PGlite has only the one connection).
        await expect(
          db.selectFrom('jobs').select('job_id').where('job_id', '=', jobId).forUpdate().noWait().execute(),
        ).rejects.toThrow(/could not obtain lock/);
      }
      await updateJob(trx, jobId, { status: 'running' });
    });
    expect((await findJob(db, jobId))?.status).toBe('running');
    await db.transaction().execute(async (trx) => expect(await lockJob(trx, 987_654_321)).toBeUndefined());
  });

  test('a rolled-back transaction leaves nothing behind', async () => {
    const compose = newCompose();
    const failure = new Error('handler crashed half-way');
    await expect(
      db.transaction().execute(async (trx) => {
        expect(await markEventProcessed(trx, `evt-${compose.compose_id}`, 'autocloud.compose.resolved')).toBe(
          true,
        );
        const { compose: row } = await insertCompose(trx, compose);
        await insertJobs(trx, [newJob(row), newJob(row)]);
        await enqueueOutbox(trx, [
          {
            subject: 'autocloud.compose.queued',
            msg_id: `queued-${compose.compose_id}`,
            body: { id: row.compose_id },
          },
        ]);
        throw failure;
      }),
    ).rejects.toBe(failure);

    expect(await findComposeByComposeId(db, compose.compose_id)).toBeUndefined();
    expect(
      await db.selectFrom('jobs').select('job_id').where('compose_id', '=', compose.compose_id).execute(),
    ).toEqual([]);
    expect(
      await db
        .selectFrom('outbox')
        .select('id')
        .where('msg_id', '=', `queued-${compose.compose_id}`)
        .execute(),
    ).toEqual([]);
    // The event was not marked either, so its redelivery is processed.
    await db
      .transaction()
      .execute(async (trx) =>
        expect(await markEventProcessed(trx, `evt-${compose.compose_id}`, 'autocloud.compose.resolved')).toBe(
          true,
        ),
      );
  });
});
