// An image's history on both backends: the generated image_key, one counted job per compose newest first, the
// first failed step, and the recently tested images.
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { insertCompose } from '../composes/compose.repository.js';
import type { Database, Job } from '../schema.js';
import { BACKENDS, openScratchDatabase, type ScratchDatabase } from '../testing/backends.js';
import { newCompose, newJob } from '../testing/rows.js';
import { firstFailedStep, imageHistory, recentImages } from './history.repository.js';
import { insertJobs, updateJob } from './job.repository.js';
import { upsertSteps } from './step.repository.js';

describe.each(BACKENDS)('image history on %s', (kind) => {
  let scratch: ScratchDatabase;
  let db: Kysely<Database>;
  beforeAll(async () => {
    scratch = await openScratchDatabase(kind);
    db = scratch.handle.db;
  });
  afterAll(() => scratch.drop());

  test('image_key is the image name without its release and compose version', async () => {
    const { compose } = await insertCompose(db, newCompose({ release: 'Rawhide' }));
    const names: Array<[string, string, string]> = [
      ['Fedora-Cloud-Base-Generic-41-20241020.0', '41', 'Fedora-Cloud-Base-Generic'],
      [
        'Fedora-Cloud-Base-Vagrant-libvirt-Rawhide-20241020.n.0',
        'Rawhide',
        'Fedora-Cloud-Base-Vagrant-libvirt',
      ],
      ['Fedora-Cloud-Base-27-20180317.0', '27', 'Fedora-Cloud-Base'],
      // The release appears twice: everything before the last one.
      ['Fedora-41-Cloud-Base-41-20241020.0', '41', 'Fedora-41-Cloud-Base'],
      // A name without its release: trailing version-like tokens go.
      ['Fedora-Cloud-Base-Generic-20241020.0', '42', 'Fedora-Cloud-Base-Generic'],
      ['custom-image', '', 'custom-image'],
    ];
    const jobs = await insertJobs(
      db,
      names.map(([image_name, release]) => newJob(compose, { image_name, release })),
    );
    expect(jobs.map((j) => j.image_key)).toEqual(names.map(([, , key]) => key));
    // Never written by the application: the database derives it again on update.
    const renamed = await updateJob(db, jobs[0]!.job_id, {
      image_name: 'Fedora-Cloud-Base-UKI-41-20241021.0',
    });
    expect(renamed?.image_key).toBe('Fedora-Cloud-Base-UKI');
  });

  test('one counted job per compose, newest compose first; the first failed gating step', async () => {
    const made: Job[] = [];
    for (const [i, status] of (['success', 'failed', 'failed'] as const).entries()) {
      const { compose } = await insertCompose(db, newCompose({ release: '40', date: `2024102${i}` }));
      const [job, other] = await insertJobs(db, [
        newJob(compose, { image_name: `Fedora-Cloud-Base-Generic-40-2024102${i}.0`, release: '40' }),
        newJob(compose, {
          image_name: `Fedora-Cloud-Base-Generic-40-2024102${i}.0`,
          release: '40',
          arch: 'aarch64',
        }),
      ]);
      await updateJob(db, job!.job_id, { status, boot_ms: 1000 * (i + 1) });
      made.push(job!, other!);
    }
    // A superseded attempt of the last compose's job is left out.
    await updateJob(db, made[4]!.job_id, { superseded: true });
    const image = { image: 'Fedora-Cloud-Base-Generic', arch: 'x86_64', type: 'qcow2', release: '40' };
    const rows = await imageHistory(db, image, 10);
    expect(rows.map((r) => [r.job_id, r.status, r.boot_ms, r.compose_date])).toEqual([
      [made[2]!.job_id, 'failed', 2000, '20241021'],
      [made[0]!.job_id, 'success', 1000, '20241020'],
    ]);
    expect(await imageHistory(db, { ...image, arch: 's390x' }, 10)).toEqual([]);
    expect((await imageHistory(db, image, 1)).length).toBe(1);

    const started = new Date('2024-10-21T10:00:00Z');
    const step = { job_id: made[2]!.job_id, started_at: started, finished_at: started };
    await upsertSteps(db, [
      { ...step, idx: 0, command: 'POLL', kind: 'poll', passed: true },
      { ...step, idx: 1, command: 'rpm -q foo', kind: 'non-gating', passed: false, exit_code: 1 },
      { ...step, idx: 2, command: 'curl -sf localhost', kind: 'command', passed: false, exit_code: 7 },
      { ...step, idx: 3, command: 'true', kind: 'command', passed: false, finished_at: null },
    ]);
    expect(await firstFailedStep(db, made[2]!.job_id)).toMatchObject({ idx: 2, exit_code: 7 });
    expect(await firstFailedStep(db, made[0]!.job_id)).toBeUndefined();

    const recent = await recentImages(db);
    expect(recent).toContainEqual(
      expect.objectContaining({ ...image, last_job_id: made[2]!.job_id, last_status: 'failed' }),
    );
  });
});
