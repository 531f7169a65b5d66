// The recorder against real nats-server and PostgreSQL: intake, state machine, completion, retries, the outbox
// surviving a crash, and a replay of the stream reproducing the same rows.
import { readFileSync } from 'node:fs';
import { Bus, consumers } from '@autocloud/bus';
import { listComposeJobs, type DatabaseHandle, type Job, type ReasonCode } from '@autocloud/db';
import { type ImageEvent } from '@autocloud/schemas';
import {
  bodyOf,
  createTestDatabase,
  startNatsServer,
  streamMessages,
  testLogger,
  waitFor,
  type NatsServerHandle,
  type TestDatabase,
} from '@autocloud/testing';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { imageEvent } from './events.js';
import { Recorder, type RecorderDeps } from './recorder.js';
import { resolvedFixture } from './test-support.js';

const log = testLogger('results-api');
const originals = JSON.parse(
  readFileSync(
    new URL('../../../../../shared/fixtures/autocloud-messages/original-bodies.json', import.meta.url),
    'utf8',
  ),
) as Record<string, Record<string, unknown>>;

describe('recorder', () => {
  let nats: NatsServerHandle;
  let bus: Bus;
  let database: TestDatabase;
  let recorders: Recorder[] = [];
  // Each test its own compose: JetStream remembers message ids across purges.
  let composeSeq = 0;
  let composeId = '';

  // A nats-server and a database per test: ids restart in every new database, and JetStream remembers ids.
  beforeEach(async () => {
    nats = await startNatsServer();
    bus = await Bus.connect({ servers: nats.url, service: 'results-api', log });
    await bus.ensureTopology();
    database = await createTestDatabase();
    composeSeq += 1;
    composeId = `Fedora-Cloud-27-20180317.${composeSeq}`;
  });
  afterEach(async () => {
    for (const r of recorders) await r.stop();
    recorders = [];
    await database.drop();
    await bus.close();
    await nats.dispose();
  });

  async function startRecorder(
    overrides: Partial<RecorderDeps> = {},
    handle: DatabaseHandle = database.handle,
  ) {
    const recorder = new Recorder({
      database: handle,
      bus,
      log,
      metrics: new Registry(),
      retry: { maxRetries: 2, codes: new Set<ReasonCode>(['infrastructure', 'download']) },
      queueTimeoutMs: 12 * 3_600_000,
      ...overrides,
    });
    await recorder.start();
    recorders.push(recorder);
    return recorder;
  }

  const jobsOf = async () =>
    database.handle.db
      .selectFrom('jobs')
      .selectAll()
      .where('compose_id', '=', composeId)
      .orderBy('job_id')
      .execute();
  const composeRow = () =>
    database.handle.db
      .selectFrom('composes')
      .selectAll()
      .where('compose_id', '=', composeId)
      .executeTakeFirst();

  async function intake(): Promise<Job[]> {
    await bus.publish('autocloud.compose.resolved', resolvedFixture(composeId));
    return waitFor(
      async () => {
        const jobs = await jobsOf();
        return jobs.length === 3 ? jobs : undefined;
      },
      { what: 'the jobs' },
    );
  }

  async function report(job: Job, status: ImageEvent['status'], extra: Partial<ImageEvent> = {}) {
    await bus.publish(`autocloud.image.${status}` as 'autocloud.image.success', {
      ...imageEvent(job, status, new Date()),
      ...extra,
    });
  }

  async function complete() {
    return waitFor(
      async () => {
        const c = await composeRow();
        return c?.status === 'complete' ? c : undefined;
      },
      { what: 'the compose to complete' },
    );
  }

  test('a resolved compose becomes rows, queued events in the original shapes, and fetch work', async () => {
    await startRecorder();
    const jobs = await intake();
    expect(jobs.map((j) => [j.type, j.backend, j.status, j.attempt])).toEqual([
      ['qcow2', 'libvirt', 'queued', 1],
      ['vagrant-libvirt', 'libvirt', 'queued', 1],
      ['vagrant-virtualbox', 'vbox', 'queued', 1],
    ]);
    const compose = await composeRow();
    expect(compose).toMatchObject({ status: 'queued', job_count: 3, release: '27', respin: 0 });

    const queued = await waitFor(async () => {
      const m = await streamMessages(bus.jsm, 'AUTOCLOUD', 'autocloud.image.queued');
      return m.length === 3 ? m : undefined;
    });
    const composeQueued = await streamMessages(bus.jsm, 'AUTOCLOUD', 'autocloud.compose.queued');
    expect(composeQueued).toHaveLength(1);
    const fetches = await streamMessages(bus.jsm, 'WORK', 'autocloud.work.fetch');
    expect(fetches.map((m) => bodyOf<{ job_id: number }>(m).job_id)).toEqual(jobs.map((j) => j.job_id));

    // Every field of the original bodies, with the same type and meaning.
    const image = bodyOf(queued[0]!);
    for (const [key, value] of Object.entries(originals['autocloud.image.queued']!)) {
      expect(typeof image[key], key).toBe(typeof value);
    }
    expect(image).toMatchObject({
      compose_id: composeId,
      compose_url: jobs[0]!.image_url,
      image_name: 'Fedora-Cloud-Base-27-20180317.0',
      family: 'Base',
      job_id: jobs[0]!.job_id,
      release: '27',
      status: 'queued',
      type: 'qcow2',
    });
    const c = bodyOf(composeQueued[0]!);
    for (const [key, value] of Object.entries(originals['autocloud.compose.queued']!)) {
      expect(typeof c[key], key).toBe(typeof value);
    }
    expect(c).toMatchObject({
      id: composeId,
      status: 'queued',
      compose_job_id: compose!.compose_job_id,
      date: '20180317',
    });
  });

  test('the same compose resolved three times, from different sources, is one compose', async () => {
    await startRecorder();
    for (const msgId of ['a', 'b', 'c'].map((x) => `${composeId}.${x}`)) {
      await bus.publish('autocloud.compose.resolved', resolvedFixture(composeId), { msgId });
    }
    await waitFor(async () => {
      const info = await bus.jsm.consumers.info('AUTOCLOUD', consumers.recorder.durable);
      return info.num_pending === 0 && info.num_ack_pending === 0 && info.delivered.stream_seq >= 3;
    });
    const composes = await database.handle.db.selectFrom('composes').selectAll().execute();
    expect(composes).toHaveLength(1);
    expect(await jobsOf()).toHaveLength(3);
  });

  test('killed between commit and publish, the outbox is published on restart and duplicates are dropped', async () => {
    const crashed = await startRecorder({ publishAfterCommit: false });
    await intake();
    await waitFor(async () => {
      const rows = await database.handle.db.selectFrom('outbox').selectAll().execute();
      return rows.length === 7 ? rows : undefined;
    });
    // One message made it out before the crash.
    const first = await database.handle.db
      .selectFrom('outbox')
      .selectAll()
      .orderBy('id')
      .executeTakeFirstOrThrow();
    await bus.publish(first.subject as 'autocloud.compose.queued', first.body as never, {
      msgId: first.msg_id,
    });
    await crashed.stop();
    recorders = [];
    expect(await streamMessages(bus.jsm, 'AUTOCLOUD', 'autocloud.image.queued')).toHaveLength(0);

    const restarted = await startRecorder();
    await restarted.relay.drain();
    expect(await streamMessages(bus.jsm, 'AUTOCLOUD', 'autocloud.compose.queued')).toHaveLength(1);
    expect(await streamMessages(bus.jsm, 'AUTOCLOUD', 'autocloud.image.queued')).toHaveLength(3);
    expect(await streamMessages(bus.jsm, 'WORK', 'autocloud.work.fetch')).toHaveLength(3);
    const unpublished = await database.handle.db
      .selectFrom('outbox')
      .where('published_at', 'is', null)
      .selectAll()
      .execute();
    expect(unpublished).toHaveLength(0);
  });

  test('the compose completes once, with the right counts, whatever the order of its events', async () => {
    await startRecorder();
    const [qcow2, libvirtBox, vboxBox] = await intake();
    // Out of order and repeated: success before running, running after success, a duplicate failure.
    await report(vboxBox!, 'aborted', { reason: 'no SSH after 300 s', reason_code: 'ssh' });
    await report(qcow2!, 'success', {
      summary: { total: 5, passed: 5, failed: 0, skipped: 0 },
      duration_ms: 61_000,
    });
    await report(qcow2!, 'running');
    await report(libvirtBox!, 'running');
    await report(libvirtBox!, 'failed', { reason: 'step 3 failed', reason_code: 'test' });
    await report(libvirtBox!, 'failed', { reason: 'step 3 failed', reason_code: 'test' });
    await bus.publish(
      'autocloud.image.failed',
      { ...imageEvent(libvirtBox!, 'failed', new Date()), reason: 'again' },
      { msgId: `${composeId}.other-source` },
    );

    const compose = await complete();
    expect(compose).toMatchObject({ job_count: 3, passed: 1, failed: 1, aborted: 1 });
    const jobs = await jobsOf();
    expect(jobs.map((j) => j.status)).toEqual(['success', 'failed', 'aborted']);
    expect(jobs[0]!.summary).toEqual({ total: 5, passed: 5, failed: 0, skipped: 0 });
    expect(jobs[1]!.reason).toBe('step 3 failed');
    expect(jobs[2]).toMatchObject({ reason: 'no SSH after 300 s', reason_code: 'ssh' });

    const completes = await waitFor(async () => {
      const m = await streamMessages(bus.jsm, 'AUTOCLOUD', 'autocloud.compose.complete');
      return m.length > 0 ? m : undefined;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await streamMessages(bus.jsm, 'AUTOCLOUD', 'autocloud.compose.complete')).toHaveLength(1);
    expect(await streamMessages(bus.jsm, 'AUTOCLOUD', 'autocloud.compose.running')).toHaveLength(1);
    const body = bodyOf<{
      status: string;
      results: {
        success: number;
        failed: number;
        aborted: number;
        artifacts: Record<string, { status: string; name: string }>;
      };
    }>(completes[0]!);
    expect(body.status).toBe('completed');
    expect(body.results).toMatchObject({ success: 1, failed: 2, aborted: 1 });
    expect(body.results.artifacts[String(qcow2!.job_id)]).toEqual({
      architecture: 'x86_64',
      family: 'Base',
      image_url: qcow2!.image_url,
      release: '27',
      subvariant: 'Cloud_Base',
      format: 'qcow2',
      type: 'qcow2',
      name: 'Fedora-Cloud-Base-27-20180317.0',
      status: 'success',
    });
    const original = originals['autocloud.compose.complete']!;
    for (const key of Object.keys(original)) expect(body, key).toHaveProperty(key);
  });

  test('an infrastructure abort is retried as a new attempt; a test failure never is', async () => {
    await startRecorder();
    const [qcow2, libvirtBox, vboxBox] = await intake();
    await report(qcow2!, 'aborted', { reason: 'runner host lost', reason_code: 'infrastructure' });
    await report(libvirtBox!, 'failed', { reason: 'step 2 failed', reason_code: 'test' });
    const retried = await waitFor(async () => {
      const jobs = await jobsOf();
      return jobs.length === 4 ? jobs[3] : undefined;
    });
    expect(retried).toMatchObject({ attempt: 2, rerun_of: qcow2!.job_id, status: 'queued', type: 'qcow2' });
    expect((await jobsOf())[0]!.superseded).toBe(true);
    await waitFor(async () => (await streamMessages(bus.jsm, 'WORK', 'autocloud.work.fetch')).length === 4);

    // The retry aborts for the same reason, and so does its retry: after two retries the abort counts.
    await report(retried, 'aborted', { reason: 'runner host lost', reason_code: 'infrastructure' });
    const third = await waitFor(async () => (await jobsOf())[4]);
    expect(third.attempt).toBe(3);
    await report(third, 'aborted', { reason: 'runner host lost', reason_code: 'infrastructure' });
    await report(vboxBox!, 'success');
    const compose = await complete();
    expect(compose).toMatchObject({ job_count: 3, passed: 1, failed: 1, aborted: 1 });
    expect(await jobsOf()).toHaveLength(5);
  });

  test('a rerun by hand is a new job, once per request; a rerun of an unfinished job changes nothing', async () => {
    await startRecorder();
    const [qcow2, libvirtBox] = await intake();
    await report(qcow2!, 'failed', { reason_code: 'test', reason: 'x' });
    await waitFor(async () => (await jobsOf())[0]!.status === 'failed');
    await bus.publish('autocloud.control.rerun', { job_id: qcow2!.job_id, request_id: `${composeSeq}-1` });
    await bus.publish('autocloud.control.rerun', {
      job_id: libvirtBox!.job_id,
      request_id: `${composeSeq}-2`,
    });
    await bus.publish(
      'autocloud.control.rerun',
      { job_id: qcow2!.job_id, request_id: `${composeSeq}-1` },
      { msgId: `${composeId}.again` },
    );
    const rerun = await waitFor(async () => (await jobsOf())[3]);
    expect(rerun).toMatchObject({ attempt: 2, rerun_of: qcow2!.job_id, status: 'queued' });
    await waitFor(async () => {
      const info = await bus.jsm.consumers.info('AUTOCLOUD', consumers.recorder.durable);
      return info.num_pending === 0 && info.num_ack_pending === 0;
    });
    // The repeated request (same request_id, another message id) is the same request: one rerun.
    const jobs = await jobsOf();
    expect(jobs).toHaveLength(4);
    expect(jobs.filter((j) => j.rerun_of === qcow2!.job_id)).toHaveLength(1);
    expect(jobs.some((j) => j.rerun_of === libvirtBox!.job_id)).toBe(false);
  });

  test('a job no runner takes within the queue timeout is aborted, and its compose completes', async () => {
    const recorder = await startRecorder();
    const [qcow2, libvirtBox] = await intake();
    await report(qcow2!, 'success');
    await report(libvirtBox!, 'success');
    await waitFor(async () => (await jobsOf()).filter((j) => j.status === 'success').length === 2);
    const aborted = await recorder.sweep(new Date(Date.now() + 13 * 3_600_000));
    expect(aborted).toHaveLength(1);
    const compose = await complete();
    expect(compose).toMatchObject({ passed: 2, failed: 0, aborted: 1 });
    const vbox = (await jobsOf())[2]!;
    expect(vbox).toMatchObject({ status: 'aborted', reason_code: 'timeout' });
    expect(vbox.reason).toMatch(/^no runner for vbox\/x86_64/);
    await waitFor(
      async () => (await streamMessages(bus.jsm, 'AUTOCLOUD', 'autocloud.image.aborted')).length === 1,
    );
  });

  test('replaying the AUTOCLOUD stream into an empty database reproduces the same rows', async () => {
    await startRecorder();
    const [qcow2, libvirtBox, vboxBox] = await intake();
    await report(qcow2!, 'running');
    await report(qcow2!, 'success');
    await report(libvirtBox!, 'aborted', { reason_code: 'infrastructure', reason: 'lost' });
    const retried = await waitFor(async () => (await jobsOf())[3]);
    await report(retried, 'failed', { reason_code: 'test', reason: 'step 1' });
    await report(vboxBox!, 'success');
    await complete();
    await bus.publish('autocloud.control.rerun', { job_id: retried.job_id, request_id: `${composeSeq}-r` });
    await waitFor(async () => (await jobsOf()).length === 5);
    for (const r of recorders) await r.stop();
    recorders = [];

    const fresh = await createTestDatabase();
    try {
      await bus.jsm.consumers.delete('AUTOCLOUD', consumers.recorder.durable);
      const replay = await startRecorder({}, fresh.handle);
      await waitFor(
        async () => {
          const info = await bus.jsm.consumers.info('AUTOCLOUD', consumers.recorder.durable);
          return info.num_pending === 0 && info.num_ack_pending === 0;
        },
        { timeoutMs: 20_000 },
      );
      await replay.relay.drain();
      const rows = async (h: DatabaseHandle) => ({
        composes: (await h.db.selectFrom('composes').selectAll().orderBy('compose_job_id').execute()).map(
          ({ updated_at: _u, ...rest }) => rest,
        ),
        jobs: (await listComposeJobs(h.db, 1)).map(({ updated_at: _u, ...rest }) => rest),
      });
      expect(await rows(fresh.handle)).toEqual(await rows(database.handle));
      expect((await rows(fresh.handle)).jobs).toHaveLength(5);
    } finally {
      for (const r of recorders) await r.stop();
      recorders = [];
      await fresh.drop();
    }
  });
});
