/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument --
   JSON bodies of many shapes, read loosely and pinned down by the assertions. */
// The REST API against real PostgreSQL and nats-server, through inject(): every route, filter, pagination edge,
// auth case and bad input, in the `{error: {code, message}}` shape, with security headers on every reply.
import { type Bus } from '@autocloud/bus';
import { type Job } from '@autocloud/db';
import { type RerunCommand, type SubmitComposeCommand } from '@autocloud/schemas';
import {
  bodyOf,
  createTestDatabase,
  startNatsServer,
  streamMessages,
  waitFor,
  type NatsServerHandle,
  type TestDatabase,
} from '@autocloud/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type App } from './app.js';
import {
  AUTH,
  buildTestApp,
  connectTestBus,
  seedCompose,
  seedOutput,
  seedSteps,
  TOKEN,
} from './test-support.js';

let nats: NatsServerHandle;
let bus: Bus;
let database: TestDatabase;
let app: App;
/** The seeded history, oldest compose first. */
const composes: Array<{ compose_job_id: number; compose_id: string }> = [];
const jobs: Job[] = [];
let running: Job;
let failedJob: Job;

beforeAll(async () => {
  [nats, database] = await Promise.all([startNatsServer(), createTestDatabase()]);
  bus = await connectTestBus(nats.url);
  app = await buildTestApp(database.handle, bus);
  // Four composes of release 41 (generic qcow2 x86_64 passes, then fails from the third), one Rawhide, one running.
  const outcomes = ['success', 'success', 'failed', 'failed'] as const;
  for (const [i, outcome] of outcomes.entries()) {
    const { compose, jobs: made } = await seedCompose(database.handle, {
      date: `2024102${i}`,
      jobs: [
        {
          key: 'Fedora-Cloud-Base-Generic',
          update: {
            status: outcome,
            boot_ms: 20_000 + i * 5_000,
            duration_ms: 90_000,
            finished_at: new Date(),
            ...(outcome === 'failed' ? { reason: 'a gating step failed', reason_code: 'test' } : {}),
          },
        },
        { key: 'Fedora-Cloud-Base-Generic', arch: 'aarch64', update: { status: 'success' } },
        {
          key: 'Fedora-Cloud-Base-Vagrant-libvirt',
          type: 'vagrant-libvirt',
          family: 'Atomic',
          update: { status: 'aborted', reason: 'no boot', reason_code: 'boot' },
        },
      ],
    });
    composes.push(compose);
    jobs.push(...made);
  }
  const rawhide = await seedCompose(database.handle, {
    release: 'Rawhide',
    type: 'production',
    jobs: [{ key: 'Fedora-Cloud-Base-Generic', backend: 'vbox', type: 'vagrant-virtualbox' }],
  });
  composes.push(rawhide.compose);
  jobs.push(...rawhide.jobs);
  const live = await seedCompose(database.handle, {
    status: 'running',
    jobs: [{ key: 'Fedora-Cloud-Base-Generic', update: { status: 'running', started_at: new Date() } }],
  });
  composes.push(live.compose);
  running = live.jobs[0]!;
  jobs.push(running);
  failedJob = jobs[6]!; // the generic x86_64 qcow2 of the third compose: the first bad one
  await seedSteps(database.handle, failedJob.job_id, [
    { command: 'POLL', passed: true },
    { command: 'sudo systemctl is-active sshd', passed: true },
    { command: 'curl -sf http://localhost/', passed: false, exit_code: 7, first_line: 3 },
  ]);
  await seedOutput(database.handle, failedJob.job_id, [
    'booting',
    'sshd is active',
    'curl: (7) refused',
    '<b>x</b>',
  ]);
});

afterAll(async () => {
  await app?.close();
  await bus?.close();
  await database?.drop();
  await nats?.dispose();
});

const get = async (url: string, headers: Record<string, string> = {}) => {
  const res = await app.inject({ method: 'GET', url, headers });
  return { status: res.statusCode, body: res.json<any>(), headers: res.headers };
};
const post = async (url: string, payload?: object, headers: Record<string, string> = AUTH) => {
  const res = await app.inject({
    method: 'POST',
    url,
    headers,
    ...(payload !== undefined ? { payload } : {}),
  });
  return { status: res.statusCode, body: res.json<any>(), headers: res.headers };
};

function expectError(res: { status: number; body: any }, status: number, code: string, message?: RegExp) {
  expect(res.status).toBe(status);
  expect(Object.keys(res.body)).toEqual(['error']);
  expect(res.body.error.code).toBe(code);
  expect(typeof res.body.error.message).toBe('string');
  if (message) expect(res.body.error.message).toMatch(message);
}

describe('GET /api/v1/composes', () => {
  test('newest first, every field, with counts', async () => {
    const res = await get('/api/v1/composes');
    expect(res.status).toBe(200);
    expect(res.body.items.map((c: any) => c.compose_job_id)).toEqual(
      composes.map((c) => c.compose_job_id).reverse(),
    );
    expect(res.body.next_cursor).toBeNull();
    const third = res.body.items.find((c: any) => c.compose_job_id === composes[2]!.compose_job_id);
    expect(third).toMatchObject({
      status: 'complete',
      job_count: 3,
      passed: 1,
      failed: 1,
      aborted: 1,
      release: '41',
    });
    expect(third.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  test('filters by status, type and release, alone and together', async () => {
    expect((await get('/api/v1/composes?status=running')).body.items).toHaveLength(1);
    expect((await get('/api/v1/composes?type=production')).body.items.map((c: any) => c.release)).toEqual([
      'Rawhide',
    ]);
    expect((await get('/api/v1/composes?release=41&status=complete')).body.items).toHaveLength(4);
    expect((await get('/api/v1/composes?release=41&type=production')).body.items).toEqual([]);
  });

  test('keyset pages cover every compose once; the last page has no cursor', async () => {
    const seen: number[] = [];
    let url = '/api/v1/composes?limit=2';
    for (let pages = 0; pages < 10; pages++) {
      const res = await get(url);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((c: any) => c.compose_job_id));
      if (!res.body.next_cursor) break;
      url = `/api/v1/composes?limit=2&cursor=${res.body.next_cursor}`;
    }
    expect(seen).toEqual(composes.map((c) => c.compose_job_id).reverse());
    const exact = await get(`/api/v1/composes?limit=${composes.length}`);
    expect(exact.body.next_cursor).toBeNull();
  });

  test('bad filters and paging are 400s that say what is allowed', async () => {
    expectError(
      await get('/api/v1/composes?status=bogus'),
      400,
      'VALIDATION_FAILED',
      /status.*queued, running, complete/,
    );
    expectError(await get('/api/v1/composes?limit=0'), 400, 'VALIDATION_FAILED', /limit/);
    expectError(await get('/api/v1/composes?limit=100000000000000000000'), 400, 'VALIDATION_FAILED', /limit/);
    expectError(await get('/api/v1/composes?limit=ten'), 400, 'VALIDATION_FAILED', /limit/);
    expectError(await get('/api/v1/composes?cursor=-1'), 400, 'INVALID_CURSOR', /cursor/);
    expectError(await get('/api/v1/composes?cursor=%27%20OR%201%3D1'), 400, 'VALIDATION_FAILED', /cursor/);
    expectError(await get('/api/v1/composes?cursor=LTE'), 400, 'INVALID_CURSOR'); // base64url of "-1"
    expectError(await get('/api/v1/composes?cursor=MA'), 400, 'INVALID_CURSOR'); // "0"
    expectError(
      await get('/api/v1/composes?stauts=failed'),
      400,
      'VALIDATION_FAILED',
      /unknown parameter stauts/,
    );
  });

  test('SQL-looking values are only values', async () => {
    const res = await get(`/api/v1/composes?release=${encodeURIComponent("41' OR '1'='1")}`);
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([]);
    const drop = await get(`/api/v1/composes?type=${encodeURIComponent('x; drop table composes; --')}`);
    expect(drop.body.items).toEqual([]);
    expect((await get('/api/v1/composes')).body.items).toHaveLength(composes.length);
  });
});

describe('GET /api/v1/composes/{compose_id}', () => {
  test('by compose id and by integer id', async () => {
    const c = composes[1]!;
    expect((await get(`/api/v1/composes/${c.compose_id}`)).body.compose_job_id).toBe(c.compose_job_id);
    expect((await get(`/api/v1/composes/${c.compose_job_id}`)).body.compose_id).toBe(c.compose_id);
  });

  test('unknown ids are 404', async () => {
    expectError(await get('/api/v1/composes/Fedora-Cloud-99-20990101.0'), 404, 'COMPOSE_NOT_FOUND');
    expectError(await get('/api/v1/composes/999999'), 404, 'COMPOSE_NOT_FOUND');
    expectError(await get(`/api/v1/composes/${encodeURIComponent("' or 1=1 --")}`), 404, 'COMPOSE_NOT_FOUND');
  });
});

describe('GET /api/v1/jobs', () => {
  const ids = (body: any) => body.items.map((j: any) => j.job_id);
  const expected = (pred: (j: Job) => boolean) =>
    jobs
      .filter(pred)
      .map((j) => j.job_id)
      .sort((a, b) => b - a);

  test('every filter alone, newest first', async () => {
    const c = composes[2]!;
    const cases: Array<[string, (j: Job) => boolean]> = [
      [`compose_id=${c.compose_id}`, (j) => j.compose_id === c.compose_id],
      [`compose_job_id=${c.compose_job_id}`, (j) => j.compose_job_id === c.compose_job_id],
      ['status=aborted', (j) => j.job_id !== running.job_id && j.type === 'vagrant-libvirt'],
      ['arch=aarch64', (j) => j.arch === 'aarch64'],
      ['family=Atomic', (j) => j.family === 'Atomic'],
      ['image_type=vagrant-virtualbox', (j) => j.type === 'vagrant-virtualbox'],
      ['backend=vbox', (j) => j.backend === 'vbox'],
      ['release=Rawhide', (j) => j.release === 'Rawhide'],
      [`image_name=${failedJob.image_name}`, (j) => j.image_name === failedJob.image_name],
      ['image=Fedora-Cloud-Base-Vagrant-libvirt', (j) => j.type === 'vagrant-libvirt'],
      ['status=running', (j) => j.job_id === running.job_id],
    ];
    for (const [query, pred] of cases) {
      const res = await get(`/api/v1/jobs?${query}`);
      expect(res.status, query).toBe(200);
      expect(ids(res.body), query).toEqual(expected(pred));
      expect(ids(res.body).length, query).toBeGreaterThan(0);
    }
  });

  test('filters combine', async () => {
    const res = await get(
      '/api/v1/jobs?release=41&arch=x86_64&image_type=qcow2&status=failed&backend=libvirt',
    );
    expect(ids(res.body)).toEqual(
      expected(
        (j) =>
          j.arch === 'x86_64' && j.type === 'qcow2' && j.release === '41' && [jobs[6], jobs[9]].includes(j),
      ),
    );
    expect((await get('/api/v1/jobs?arch=aarch64&status=failed')).body.items).toEqual([]);
  });

  test('a job carries its image across composes and its facts', async () => {
    const res = await get(`/api/v1/jobs?image_name=${failedJob.image_name}&arch=x86_64`);
    expect(res.body.items).toHaveLength(1);
    expect(res.body.items[0]).toMatchObject({
      job_id: failedJob.job_id,
      image: 'Fedora-Cloud-Base-Generic',
      status: 'failed',
      reason_code: 'test',
      boot_ms: 30_000,
      size: 500_000_000,
    });
  });

  test('pages of every size cover every job once', async () => {
    for (const limit of [1, 4, 500]) {
      const seen: number[] = [];
      let cursor = '';
      for (let i = 0; i < 50; i++) {
        const res = await get(`/api/v1/jobs?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
        seen.push(...ids(res.body));
        if (!res.body.next_cursor) break;
        cursor = res.body.next_cursor;
      }
      expect(seen).toEqual(expected(() => true));
    }
  });

  test('a cursor keeps its filters: the next page of failed jobs is failed jobs', async () => {
    const first = await get('/api/v1/jobs?status=success&limit=2');
    const second = await get(`/api/v1/jobs?status=success&limit=2&cursor=${first.body.next_cursor}`);
    expect(second.body.items.every((j: any) => j.status === 'success')).toBe(true);
    expect(Math.max(...ids(second.body))).toBeLessThan(Math.min(...ids(first.body)));
  });

  test('bad input is a 400, never a 500', async () => {
    expectError(
      await get('/api/v1/jobs?status=exploded'),
      400,
      'VALIDATION_FAILED',
      /success, failed, aborted/,
    );
    expectError(await get('/api/v1/jobs?backend=docker'), 400, 'VALIDATION_FAILED', /libvirt, vbox/);
    expectError(await get('/api/v1/jobs?compose_job_id=-3'), 400, 'VALIDATION_FAILED');
    expectError(await get('/api/v1/jobs?compose_job_id=99999999999999999999'), 400, 'VALIDATION_FAILED');
    expectError(await get('/api/v1/jobs?limit=501'), 400, 'VALIDATION_FAILED', /500/);
    expectError(await get('/api/v1/jobs?limit=-1'), 400, 'VALIDATION_FAILED');
    expectError(await get('/api/v1/jobs?cursor=%27%3B--'), 400, 'VALIDATION_FAILED', /cursor/);
    expectError(await get(`/api/v1/jobs?arch=${'x'.repeat(201)}`), 400, 'VALIDATION_FAILED', /arch/);
    const sql = await get(`/api/v1/jobs?arch=${encodeURIComponent("x86_64' OR 1=1 --")}`);
    expect(sql.status).toBe(200);
    expect(sql.body.items).toEqual([]);
  });
});

describe('GET /api/v1/jobs/{job_id} and its output', () => {
  test('a job with its steps in order', async () => {
    const res = await get(`/api/v1/jobs/${failedJob.job_id}`);
    expect(res.status).toBe(200);
    expect(res.body.steps.map((s: any) => [s.idx, s.state, s.exit_code])).toEqual([
      [0, 'passed', 0],
      [1, 'passed', 0],
      [2, 'failed', 7],
    ]);
    expect(res.body).toMatchObject({ job_id: failedJob.job_id, output_lines: 4, status: 'failed' });
  });

  test('unknown and malformed ids', async () => {
    expectError(await get('/api/v1/jobs/987654321'), 404, 'JOB_NOT_FOUND', /987654321/);
    expectError(await get('/api/v1/jobs/abc'), 400, 'VALIDATION_FAILED', /job_id/);
    expectError(await get('/api/v1/jobs/0'), 400, 'VALIDATION_FAILED');
    expectError(await get('/api/v1/jobs/-5'), 400, 'VALIDATION_FAILED');
    expectError(await get('/api/v1/jobs/1.5'), 400, 'VALIDATION_FAILED');
    expectError(await get('/api/v1/jobs/99999999999999999999'), 400, 'VALIDATION_FAILED');
    expectError(await get('/api/v1/jobs/987654321/output'), 404, 'JOB_NOT_FOUND');
  });

  test('output in pages, with where to go on and whether it is complete', async () => {
    const all = await get(`/api/v1/jobs/${failedJob.job_id}/output`);
    expect(all.body.lines.map((l: any) => l.text)).toEqual([
      'booting',
      'sshd is active',
      'curl: (7) refused',
      '<b>x</b>',
    ]);
    expect(all.body).toMatchObject({ next_from: 5, complete: true });
    const page = await get(`/api/v1/jobs/${failedJob.job_id}/output?from=2&limit=2`);
    expect(page.body.lines.map((l: any) => l.n)).toEqual([2, 3]);
    expect(page.body).toMatchObject({ next_from: 4, complete: false });
    const past = await get(`/api/v1/jobs/${failedJob.job_id}/output?from=100`);
    expect(past.body).toMatchObject({ lines: [], next_from: 100, complete: true });
    const live = await get(`/api/v1/jobs/${running.job_id}/output`);
    expect(live.body).toMatchObject({ lines: [], next_from: 1, complete: false });
    expectError(await get(`/api/v1/jobs/${failedJob.job_id}/output?limit=5001`), 400, 'VALIDATION_FAILED');
    expectError(await get(`/api/v1/jobs/${failedJob.job_id}/output?from=0`), 400, 'VALIDATION_FAILED');
  });
});

describe('artifacts', () => {
  test('listed and streamed from the artifacts bucket; absent ones are 404', async () => {
    const store = await bus.objectStore('artifacts');
    const console = 'Booting Linux\n<script>alert(1)</script>\nlogin: ';
    await store.putBlob(
      { name: `${failedJob.job_id}/serial-console.log` },
      new TextEncoder().encode(console),
    );
    await store.putBlob({ name: `${failedJob.job_id}/steps.json` }, new TextEncoder().encode('{"steps":[]}'));
    await store.putBlob({ name: `${running.job_id}/other.log` }, new TextEncoder().encode('x'));

    const list = await get(`/api/v1/jobs/${failedJob.job_id}/artifacts`);
    expect(list.body.items.map((a: any) => [a.name, a.size, a.url])).toEqual([
      ['serial-console.log', console.length, `/api/v1/jobs/${failedJob.job_id}/artifacts/serial-console.log`],
      ['steps.json', 12, `/api/v1/jobs/${failedJob.job_id}/artifacts/steps.json`],
    ]);
    const file = await app.inject(`/api/v1/jobs/${failedJob.job_id}/artifacts/serial-console.log`);
    expect(file.statusCode).toBe(200);
    expect(file.body).toBe(console);
    expect(file.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(file.headers['content-security-policy']).toMatch(/sandbox/);
    expect(file.headers['x-content-type-options']).toBe('nosniff');
    const json = await app.inject(`/api/v1/jobs/${failedJob.job_id}/artifacts/steps.json`);
    expect(json.headers['content-type']).toMatch(/^application\/json/);

    expectError(
      await get(`/api/v1/jobs/${failedJob.job_id}/artifacts/cloud-init.log`),
      404,
      'ARTIFACT_NOT_FOUND',
    );
    expectError(
      await get(`/api/v1/jobs/${failedJob.job_id}/artifacts/..%2F${running.job_id}%2Fother.log`),
      400,
      'VALIDATION_FAILED',
    );
    expectError(await get('/api/v1/jobs/987654321/artifacts'), 404, 'JOB_NOT_FOUND');
    expect((await get(`/api/v1/jobs/${jobs[0]!.job_id}/artifacts`)).body.items).toEqual([]);
  });
});

describe('GET /api/v1/history', () => {
  test('an image across composes: last good, first bad after it, the failing step, boot times', async () => {
    const res = await get(
      '/api/v1/history?image=Fedora-Cloud-Base-Generic&arch=x86_64&type=qcow2&release=41',
    );
    expect(res.status).toBe(200);
    expect(res.body.entries.map((e: any) => [e.compose_id, e.status, e.boot_ms])).toEqual([
      [composes[5]!.compose_id, 'running', null],
      [composes[3]!.compose_id, 'failed', 35_000],
      [composes[2]!.compose_id, 'failed', 30_000],
      [composes[1]!.compose_id, 'success', 25_000],
      [composes[0]!.compose_id, 'success', 20_000],
    ]);
    expect(res.body.last_good.compose_id).toBe(composes[1]!.compose_id);
    expect(res.body.first_bad.compose_id).toBe(composes[2]!.compose_id);
    expect(res.body.failing_step).toMatchObject({
      idx: 2,
      command: 'curl -sf http://localhost/',
      exit_code: 7,
    });
  });

  test('unknown images are 404; the image needs all four parts', async () => {
    expectError(
      await get('/api/v1/history?image=Nope&arch=x86_64&type=qcow2&release=41'),
      404,
      'IMAGE_NOT_FOUND',
    );
    expectError(
      await get('/api/v1/history?image=Fedora-Cloud-Base-Generic'),
      400,
      'VALIDATION_FAILED',
      /needs arch/,
    );
  });
});

describe('writes', () => {
  test('need a valid bearer token: missing or wrong is 401 and nothing is published', async () => {
    const url = `/api/v1/jobs/${failedJob.job_id}/rerun`;
    const missing = await post(url, {}, {});
    expectError(missing, 401, 'UNAUTHORIZED', /Bearer/);
    expect(missing.headers['www-authenticate']).toMatch(/^Bearer/);
    expectError(
      await post(url, {}, { authorization: 'Bearer wrong-token' }),
      401,
      'UNAUTHORIZED',
      /not valid/,
    );
    expectError(await post(url, {}, { authorization: `Basic ${TOKEN}` }), 401, 'UNAUTHORIZED');
    expectError(await post(url, {}, { authorization: 'Bearer ' }), 401, 'UNAUTHORIZED');
    expectError(await post('/api/v1/composes', { location: 'https://x.example/c' }, {}), 401, 'UNAUTHORIZED');
    expectError(await post(`/api/v1/jobs/${running.job_id}/cancel`, {}, {}), 401, 'UNAUTHORIZED');
    const published = await streamMessages(bus.jsm, 'AUTOCLOUD', 'autocloud.control.rerun');
    expect(published).toHaveLength(0);
  });

  test('rerun publishes a RerunCommand; unknown or unfinished jobs are refused', async () => {
    const res = await post(`/api/v1/jobs/${failedJob.job_id}/rerun`);
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('accepted');
    const commands = await waitFor(async () => {
      const m = await streamMessages(bus.jsm, 'AUTOCLOUD', 'autocloud.control.rerun');
      return m.length > 0 ? m : undefined;
    });
    expect(bodyOf<RerunCommand>(commands[0]!)).toEqual({
      job_id: failedJob.job_id,
      request_id: res.body.request_id,
      requested_by: expect.stringMatching(/^token:[0-9a-f]{8}$/),
    });
    // Without a body at all, and with a chosen request id.
    expect((await post(`/api/v1/jobs/${failedJob.job_id}/rerun`, undefined)).status).toBe(202);
    expect(
      (await post(`/api/v1/jobs/${failedJob.job_id}/rerun`, { request_id: 'my-id-1' })).body.request_id,
    ).toBe('my-id-1');
    expectError(
      await post(`/api/v1/jobs/${failedJob.job_id}/rerun`, { request_id: 'bad id!' }),
      400,
      'VALIDATION_FAILED',
    );
    expectError(await post('/api/v1/jobs/987654321/rerun'), 404, 'JOB_NOT_FOUND');
    expectError(await post(`/api/v1/jobs/${running.job_id}/rerun`), 409, 'JOB_NOT_FINISHED', /running/);
  });

  test('POST composes publishes a SubmitComposeCommand and answers 202 with its request id', async () => {
    const location = 'https://kojipkgs.fedoraproject.org/compose/cloud/Fedora-Cloud-41-20241031.0/compose';
    const res = await post('/api/v1/composes', { location });
    expect(res.status).toBe(202);
    const submitted = await waitFor(async () => {
      const m = await streamMessages(bus.jsm, 'AUTOCLOUD', 'autocloud.control.submit');
      return m.length > 0 ? m : undefined;
    });
    expect(bodyOf<SubmitComposeCommand>(submitted[0]!)).toMatchObject({
      location,
      request_id: res.body.request_id,
    });
    expectError(await post('/api/v1/composes', {}), 400, 'VALIDATION_FAILED', /needs location/);
    expectError(
      await post('/api/v1/composes', { location: 'ftp://x.example/c' }),
      400,
      'VALIDATION_FAILED',
      /location/,
    );
    expectError(
      await post('/api/v1/composes', { location: 'not a url' }),
      400,
      'VALIDATION_FAILED',
      /location/,
    );
    expectError(
      await post('/api/v1/composes', { location, extra: 1 }),
      400,
      'VALIDATION_FAILED',
      /unknown parameter extra/,
    );
    const badJson = await app.inject({
      method: 'POST',
      url: '/api/v1/composes',
      headers: { ...AUTH, 'content-type': 'application/json' },
      payload: '{"location":',
    });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json().error.code).toBeTypeOf('string');
  });

  test('cancel asks the runner holding the job; none, a refusal or a finished job is a 409', async () => {
    expectError(await post(`/api/v1/jobs/${running.job_id}/cancel`), 409, 'JOB_NOT_RUNNING', /no runner/);
    expectError(await post(`/api/v1/jobs/${failedJob.job_id}/cancel`), 409, 'JOB_FINISHED');
    expectError(await post('/api/v1/jobs/987654321/cancel'), 404, 'JOB_NOT_FOUND');

    // A runner answering on the cancel subject, as runner-core does.
    let answer = { accepted: true, message: 'stopping' } as { accepted: boolean; message?: string };
    const requests: unknown[] = [];
    const sub = bus.nc.subscribe(`autocloud.job.${running.job_id}.cancel`, {
      callback: (_err, msg) => {
        requests.push(JSON.parse(new TextDecoder().decode(msg.data)));
        msg.respond(JSON.stringify(answer));
      },
    });
    try {
      const ok = await post(`/api/v1/jobs/${running.job_id}/cancel`, { reason: 'wrong image' });
      expect(ok.status).toBe(202);
      expect(ok.body).toEqual({ job_id: running.job_id, accepted: true, message: 'stopping' });
      expect(requests[0]).toMatchObject({ job_id: running.job_id, reason: 'wrong image' });
      answer = { accepted: false, message: 'already tearing down' };
      expectError(await post(`/api/v1/jobs/${running.job_id}/cancel`), 409, 'CANCEL_REFUSED', /tearing down/);
    } finally {
      sub.unsubscribe();
    }
  });

  test('without configured tokens every write is refused with a clear message', async () => {
    const closed = await buildTestApp(database.handle, bus, { tokenHashes: [] });
    try {
      const res = await closed.inject({
        method: 'POST',
        url: `/api/v1/jobs/${failedJob.job_id}/rerun`,
        headers: AUTH,
      });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toEqual({
        error: { code: 'WRITES_DISABLED', message: expect.stringMatching(/API_TOKEN_HASHES/) },
      });
    } finally {
      await closed.close();
    }
  });

  test('writes are rate limited per client, before the token is even checked', async () => {
    const limited = await buildTestApp(database.handle, bus, { writeRateLimit: 3 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await limited.inject({
          method: 'POST',
          url: `/api/v1/jobs/${running.job_id}/rerun`,
          headers: { authorization: 'Bearer guess' },
        });
        statuses.push(res.statusCode);
        if (res.statusCode === 429) {
          expect(res.json().error.code).toBe('RATE_LIMITED');
          expect(res.headers['retry-after']).toBeDefined();
        }
      }
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
      // Reads are not limited.
      expect((await limited.inject('/api/v1/jobs?limit=1')).statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('the rest', () => {
  test('security headers on every kind of reply', async () => {
    for (const url of ['/api/v1/composes', '/compose', '/api/v1/jobs/987654321', '/nope', '/healthz']) {
      const res = await app.inject({ url, headers: { accept: 'text/html' } });
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
      expect(res.headers['x-frame-options'], url).toBe('SAMEORIGIN');
      expect(res.headers['content-security-policy'], url).toMatch(/default-src 'self'/);
      expect(res.headers['content-security-policy'], url).toMatch(/frame-ancestors 'none'/);
      expect(res.headers['referrer-policy'], url).toBe('same-origin');
      expect(res.headers['strict-transport-security'], url).toBeDefined();
    }
  });

  test('unknown routes are a JSON 404 for the API', async () => {
    expectError(await get('/api/v1/nothing'), 404, 'NOT_FOUND', /GET \/api\/v1\/nothing/);
  });

  test('OpenAPI 3 at /openapi.json documents every route; Swagger UI at /docs', async () => {
    const spec = (await get('/openapi.json')).body;
    expect(spec.openapi).toMatch(/^3\./);
    expect(Object.keys(spec.paths).sort()).toEqual([
      '/api/v1/composes',
      '/api/v1/composes/{compose_id}',
      '/api/v1/history',
      '/api/v1/jobs',
      '/api/v1/jobs/{job_id}',
      '/api/v1/jobs/{job_id}/artifacts',
      '/api/v1/jobs/{job_id}/artifacts/{name}',
      '/api/v1/jobs/{job_id}/cancel',
      '/api/v1/jobs/{job_id}/output',
      '/api/v1/jobs/{job_id}/output/stream',
      '/api/v1/jobs/{job_id}/rerun',
    ]);
    expect(spec.paths['/api/v1/jobs'].get.parameters.map((p: any) => p.name)).toEqual(
      expect.arrayContaining([
        'compose_id',
        'status',
        'arch',
        'family',
        'image_type',
        'backend',
        'release',
        'limit',
        'cursor',
      ]),
    );
    expect(spec.paths['/api/v1/jobs/{job_id}/rerun'].post.security).toEqual([{ bearer: [] }]);
    // Nullable fields in OpenAPI 3.0's own terms.
    const job =
      spec.paths['/api/v1/jobs'].get.responses['200'].content['application/json'].schema.properties.items
        .items.properties;
    expect(job.reason).toMatchObject({ type: 'string', nullable: true });
    expect(job.finished_at).toMatchObject({ type: 'string', format: 'date-time', nullable: true });
    expect(job.reason_code).toMatchObject({ type: 'string', nullable: true });
    const docs = await app.inject('/docs/');
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toMatch(/swagger/i);
  });

  test('probes and metrics', async () => {
    expect((await get('/healthz')).body).toEqual({ status: 'ok' });
    expect((await get('/readyz')).body).toEqual({ status: 'ready' });
    await get('/api/v1/jobs');
    const metrics = await app.inject('/metrics');
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toMatch(
      /autocloud_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/jobs",status_code="200"\}/,
    );
    expect(metrics.body).toMatch(/autocloud_live_output_streams 0/);
  });

  test('a token is never accepted through its hash', async () => {
    const res = await post(
      `/api/v1/jobs/${failedJob.job_id}/rerun`,
      {},
      { authorization: `Bearer ${'0'.repeat(64)}` },
    );
    expectError(res, 401, 'UNAUTHORIZED');
  });
});
