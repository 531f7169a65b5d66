// The recorder's OUTPUT consumer against real nats-server and PostgreSQL: output lines and step records stored as
// they stream, the job's line count kept, redeliveries and late start records changing nothing, and boot_ms from
// the terminal event stored.
import { type Bus } from '@autocloud/bus';
import { findJob, listOutputLines, listSteps, type Job, type ReasonCode } from '@autocloud/db';
import { type JobStep, type OutputLine } from '@autocloud/schemas';
import {
  createTestDatabase,
  startNatsServer,
  streamMessages,
  testLogger,
  waitFor,
  type NatsServerHandle,
  type TestDatabase,
} from '@autocloud/testing';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connectTestBus } from '../http/test-support.js';
import { imageEvent } from './events.js';
import { Recorder } from './recorder.js';
import { resolvedFixture } from './test-support.js';

let nats: NatsServerHandle;
let bus: Bus;
let database: TestDatabase;
let recorder: Recorder;
let jobs: Job[];

beforeAll(async () => {
  [nats, database] = await Promise.all([startNatsServer(), createTestDatabase()]);
  bus = await connectTestBus(nats.url);
  recorder = new Recorder({
    database: database.handle,
    bus,
    log: testLogger('results-api'),
    metrics: new Registry(),
    retry: { maxRetries: 2, codes: new Set<ReasonCode>(['infrastructure']) },
    queueTimeoutMs: 12 * 3_600_000,
  });
  await recorder.start();
  await bus.publish('autocloud.compose.resolved', resolvedFixture());
  jobs = await waitFor(async () => {
    const rows = await database.handle.db.selectFrom('jobs').selectAll().orderBy('job_id').execute();
    return rows.length === 3 ? rows : undefined;
  });
});

afterAll(async () => {
  await recorder?.stop();
  await bus?.close();
  await database?.drop();
  await nats?.dispose();
});

const lines = (from: number, count: number, text = (n: number) => `line ${n}`): OutputLine[] =>
  Array.from({ length: count }, (_, i) => ({
    n: from + i,
    ts: new Date().toISOString(),
    text: text(from + i),
    step: 1,
    stream: 'test' as const,
  }));

describe('output lines', () => {
  test('are stored as they stream, once each, and the job counts them', async () => {
    const job = jobs[0]!;
    await bus.publish(`autocloud.job.${job.job_id}.output`, { job_id: job.job_id, lines: lines(1, 500) });
    await bus.publish(`autocloud.job.${job.job_id}.output`, { job_id: job.job_id, lines: lines(501, 3) });
    // The same batch again under another message id (a runner that retried after a lost ack): no duplicates.
    await bus.publish(
      `autocloud.job.${job.job_id}.output`,
      { job_id: job.job_id, lines: lines(501, 3) },
      { msgId: 'retried-batch' },
    );
    await waitFor(async () => (await findJob(database.handle.db, job.job_id))?.output_lines === 503, {
      what: 'the line count',
    });
    // The duplicate batch is handled too, and counts nothing.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await findJob(database.handle.db, job.job_id))?.output_lines).toBe(503);
    const stored = await listOutputLines(database.handle.db, job.job_id, 1, 5000);
    expect(stored.map((l) => l.n)).toEqual(Array.from({ length: 503 }, (_, i) => i + 1));
    expect(stored[502]).toMatchObject({ text: 'line 503', step: 1, stream: 'test' });
  });

  test('batches that arrive out of order leave the same rows and count', async () => {
    const job = jobs[1]!;
    await bus.publish(`autocloud.job.${job.job_id}.output`, { job_id: job.job_id, lines: lines(11, 5) });
    await bus.publish(`autocloud.job.${job.job_id}.output`, { job_id: job.job_id, lines: lines(1, 10) });
    await waitFor(async () => (await listOutputLines(database.handle.db, job.job_id, 1)).length === 15);
    expect((await findJob(database.handle.db, job.job_id))?.output_lines).toBe(15);
  });

  test('a batch about another job than its subject says is dead-lettered, not stored', async () => {
    const [a, b] = [jobs[0]!, jobs[2]!];
    await bus.publish(`autocloud.job.${a.job_id}.output`, { job_id: b.job_id, lines: lines(1, 1) });
    const letters = await waitFor(async () => {
      const m = await streamMessages(bus.jsm, 'DEADLETTER');
      return m.length > 0 ? m : undefined;
    });
    expect(letters[0]!.header?.get('Autocloud-Deadletter-Reason') ?? '').toMatch(/carries job_id/);
    expect(await listOutputLines(database.handle.db, b.job_id, 1)).toEqual([]);
  });
});

describe('step records', () => {
  const step = (idx: number, ended: boolean, passed = ended): JobStep => ({
    idx,
    command: idx === 0 ? 'POLL' : 'curl -sf http://localhost/',
    kind: idx === 0 ? 'poll' : 'command',
    passed,
    started_at: '2024-10-20T12:00:00.000Z',
    ...(ended
      ? { finished_at: '2024-10-20T12:00:03.000Z', duration_ms: 3000, exit_code: passed ? 0 : 7 }
      : {}),
    first_line: 1,
    ...(ended ? { last_line: 9 } : {}),
  });

  test('a step is stored when it starts and replaced when it ends; a late start record changes nothing', async () => {
    const job = jobs[2]!;
    const subject = `autocloud.job.${job.job_id}.steps` as const;
    await bus.publish(subject, { job_id: job.job_id, steps: [step(0, false)] });
    await waitFor(async () => (await listSteps(database.handle.db, job.job_id)).length === 1);
    await bus.publish(subject, { job_id: job.job_id, steps: [step(0, true), step(1, false)] });
    await bus.publish(subject, { job_id: job.job_id, steps: [step(1, true, false)] });
    // The start of step 1 again, after its end (a redelivery): ignored.
    await bus.publish(subject, { job_id: job.job_id, steps: [step(1, false)] }, { msgId: 'late-start' });
    await waitFor(async () => {
      const rows = await listSteps(database.handle.db, job.job_id);
      return rows.length === 2 && rows[1]!.finished_at !== null;
    });
    // Let the late start record be handled too.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const rows = await listSteps(database.handle.db, job.job_id);
    expect(rows.map((r) => [r.idx, r.passed, r.exit_code, r.duration_ms, r.last_line])).toEqual([
      [0, true, 0, 3000, 9],
      [1, false, 7, 3000, 9],
    ]);
  });
});

test('boot_ms from the terminal event is stored on the job', async () => {
  const job = jobs[0]!;
  await bus.publish('autocloud.image.running', {
    ...imageEvent(job, 'running', new Date()),
    runner: 'host-1',
  });
  await bus.publish('autocloud.image.success', {
    ...imageEvent(job, 'success', new Date()),
    boot_ms: 23_456,
    duration_ms: 60_000,
  });
  const done = await waitFor(async () => {
    const row = await findJob(database.handle.db, job.job_id);
    return row?.status === 'success' ? row : undefined;
  });
  expect(done).toMatchObject({ boot_ms: 23_456, duration_ms: 60_000, runner: 'host-1' });
});
