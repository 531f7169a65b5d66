// Live output over Server-Sent Events, on a real socket, real PostgreSQL and a real nats-server: what is stored,
// then lines as a runner publishes them, step records, the end event once the job ends, and resuming by
// Last-Event-ID without losing or repeating a line.
import { type Bus } from '@autocloud/bus';
import { updateJob, type Job } from '@autocloud/db';
import { type OutputLine } from '@autocloud/schemas';
import {
  createTestDatabase,
  startNatsServer,
  type NatsServerHandle,
  type TestDatabase,
} from '@autocloud/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type App } from '../http/app.js';
import { imageEvent } from '../recorder/events.js';
import {
  buildTestApp,
  connectTestBus,
  openSse,
  seedCompose,
  seedOutput,
  seedSteps,
  type SseEvent,
} from '../http/test-support.js';

let nats: NatsServerHandle;
let bus: Bus;
let database: TestDatabase;
let app: App;
let base: string;

beforeAll(async () => {
  [nats, database] = await Promise.all([startNatsServer(), createTestDatabase()]);
  bus = await connectTestBus(nats.url);
  app = await buildTestApp(database.handle, bus, { sseHeartbeatMs: 200 });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  await app?.close();
  await bus?.close();
  await database?.drop();
  await nats?.dispose();
});

async function runningJob(): Promise<Job> {
  const { jobs } = await seedCompose(database.handle, {
    status: 'running',
    jobs: [{ update: { status: 'running', started_at: new Date() } }],
  });
  return jobs[0]!;
}

const line = (n: number, text = `line ${n}`): OutputLine => ({
  n,
  ts: new Date().toISOString(),
  text,
  stream: 'test',
});
const publishLines = (jobId: number, lines: OutputLine[]) =>
  bus.publish(`autocloud.job.${jobId}.output`, { job_id: jobId, lines });
const lineNumbers = (events: SseEvent[]) =>
  events.filter((e) => e.event === 'line').map((e) => (JSON.parse(e.data) as { n: number }).n);

async function finish(job: Job, status: 'success' | 'failed') {
  await updateJob(database.handle.db, job.job_id, { status, finished_at: new Date() });
  await bus.publish(`autocloud.image.${status}`, imageEvent(job, status, new Date()));
}

describe('GET /api/v1/jobs/{job_id}/output/stream', () => {
  test('stored lines, then live lines and steps, then end; the connection closes', async () => {
    const job = await runningJob();
    await seedOutput(database.handle, job.job_id, ['stored 1', 'stored 2']);
    const sse = await openSse(`${base}/api/v1/jobs/${job.job_id}/output/stream`);
    try {
      expect(sse.status).toBe(200);
      expect(sse.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      expect(sse.headers.get('x-content-type-options')).toBe('nosniff');
      await sse.waitFor((e) => e.id === '2');
      await publishLines(job.job_id, [line(1, 'stored 1'), line(2, 'stored 2'), line(3), line(4)]);
      await sse.waitFor((e) => e.id === '4');
      await bus.publish(`autocloud.job.${job.job_id}.steps`, {
        job_id: job.job_id,
        steps: [
          { idx: 0, command: 'POLL', kind: 'poll', passed: false, started_at: new Date().toISOString() },
        ],
      });
      const step = await sse.waitFor((e) => e.event === 'step');
      expect(JSON.parse(step.data)).toMatchObject({ idx: 0, command: 'POLL', state: 'running' });
      await publishLines(job.job_id, [line(5, 'last words')]);
      await finish(job, 'success');
      const end = await sse.waitFor((e) => e.event === 'end');
      expect(JSON.parse(end.data)).toEqual({ status: 'success' });
      await sse.closed;
      // Every line once, in order, the last one before the end.
      expect(lineNumbers(sse.events)).toEqual([1, 2, 3, 4, 5]);
      expect(sse.events.at(-1)?.event).toBe('end');
      expect(JSON.parse(sse.events.find((e) => e.id === '5')!.data)).toMatchObject({ text: 'last words' });
    } finally {
      sse.close();
    }
  });

  test('Last-Event-ID (or ?after=) resumes after that line', async () => {
    const job = await runningJob();
    await publishLines(job.job_id, [line(1), line(2), line(3)]);
    const first = await openSse(`${base}/api/v1/jobs/${job.job_id}/output/stream`);
    await first.waitFor((e) => e.id === '3');
    first.close();
    await publishLines(job.job_id, [line(4), line(5)]);
    const resumed = await openSse(`${base}/api/v1/jobs/${job.job_id}/output/stream?after=1`, {
      'last-event-id': '3',
    });
    try {
      await resumed.waitFor((e) => e.id === '5');
      expect(lineNumbers(resumed.events)).toEqual([4, 5]);
    } finally {
      resumed.close();
    }
    const byQuery = await openSse(`${base}/api/v1/jobs/${job.job_id}/output/stream?after=4`);
    try {
      await byQuery.waitFor((e) => e.id === '5');
      expect(lineNumbers(byQuery.events)).toEqual([5]);
    } finally {
      byQuery.close();
    }
  });

  test('a finished job: its lines (also those the recorder has not stored yet), its steps, then end at once', async () => {
    const { jobs } = await seedCompose(database.handle, { jobs: [{ update: { status: 'failed' } }] });
    const job = jobs[0]!;
    await seedOutput(database.handle, job.job_id, ['a', 'b']);
    await seedSteps(database.handle, job.job_id, [{ command: 'false', passed: false }]);
    await publishLines(job.job_id, [line(1, 'a'), line(2, 'b'), line(3, 'not stored yet')]);
    const sse = await openSse(`${base}/api/v1/jobs/${job.job_id}/output/stream`);
    await sse.closed;
    expect(lineNumbers(sse.events)).toEqual([1, 2, 3]);
    expect(sse.events.filter((e) => e.event === 'step')).toHaveLength(1);
    expect(sse.events.at(-1)).toMatchObject({ event: 'end', data: '{"status":"failed"}' });
  });

  test('an end event that came before the stream opened is caught by the state in PostgreSQL', async () => {
    const job = await runningJob();
    const sse = await openSse(`${base}/api/v1/jobs/${job.job_id}/output/stream`);
    // The job ends in the database only (its event is long gone): the stream notices and ends.
    await updateJob(database.handle.db, job.job_id, { status: 'aborted' });
    await sse.waitFor((e) => e.event === 'end', 5_000);
    await sse.closed;
  });

  test('unknown jobs and bad ids are JSON errors, not streams', async () => {
    const missing = await fetch(`${base}/api/v1/jobs/987654/output/stream`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'JOB_NOT_FOUND' } });
    expect((await fetch(`${base}/api/v1/jobs/x/output/stream`)).status).toBe(400);
    expect((await fetch(`${base}/api/v1/jobs/1/output/stream?after=-1`)).status).toBe(400);
  });

  test('streams are limited; a closed client frees its place', async () => {
    const limited = await buildTestApp(database.handle, bus, { sseMaxClients: 1 });
    await limited.listen({ host: '127.0.0.1', port: 0 });
    const address = limited.server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    try {
      const job = await runningJob();
      const first = await openSse(`${url}/api/v1/jobs/${job.job_id}/output/stream`);
      const second = await fetch(`${url}/api/v1/jobs/${job.job_id}/output/stream`);
      expect(second.status).toBe(503);
      expect(await second.json()).toMatchObject({ error: { code: 'TOO_MANY_STREAMS' } });
      first.close();
      await expect
        .poll(async () =>
          (await fetch(`${url}/metrics`).then((r) => r.text())).includes('autocloud_live_output_streams 0'),
        )
        .toBe(true);
    } finally {
      await limited.close();
    }
  });

  test('the server closing ends open streams', async () => {
    const closing = await buildTestApp(database.handle, bus);
    await closing.listen({ host: '127.0.0.1', port: 0 });
    const address = closing.server.address();
    const job = await runningJob();
    const sse = await openSse(
      `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/api/v1/jobs/${job.job_id}/output/stream`,
    );
    await closing.close();
    await sse.closed;
  });
});
