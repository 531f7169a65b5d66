// The fetcher against a real nats-server and a local HTTP server that misbehaves like real mirrors do.
import { createHash } from 'node:crypto';
import { Bus, consumers, type ConsumerHandle } from '@autocloud/bus';
import { HostAllowList } from '@autocloud/fetch';
import { type ImageEvent, type OutputLines, type RunWorkItem } from '@autocloud/schemas';
import { loadConfig } from '@autocloud/service';
import {
  bodyOf,
  spawnService,
  startNatsServer,
  streamMessages,
  testLogger,
  waitFor,
  type NatsServerHandle,
} from '@autocloud/testing';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { FetcherConfig } from './config.js';
import { Fetcher } from './fetcher.js';
import { ImageStore } from './store/image-store.js';
import { startImageServer, workItem, type ImageServer } from './test-support.js';

const log = testLogger('image-fetcher');
let jobSeq = 100;

describe('image-fetcher', () => {
  let nats: NatsServerHandle;
  let bus: Bus;
  let server: ImageServer;
  let consumer: ConsumerHandle | undefined;

  beforeAll(async () => {
    [nats, server] = await Promise.all([startNatsServer(), startImageServer()]);
    bus = await Bus.connect({ servers: nats.url, service: 'image-fetcher', log });
    await bus.ensureTopology();
  });
  afterAll(async () => {
    await bus?.close();
    await Promise.all([nats?.dispose(), server?.close()]);
  });
  beforeEach(async () => {
    for (const s of ['WORK', 'AUTOCLOUD', 'OUTPUT']) await bus.jsm.streams.purge(s);
    const os = await bus.objectStore('images');
    for (const o of await os.list()) await os.delete(o.name);
    server.mode = { kind: 'normal' };
    server.requests.length = 0;
    server.bytesServed = 0;
  });
  afterEach(async () => {
    await consumer?.close();
    consumer = undefined;
  });

  function env(over: Record<string, string> = {}) {
    return {
      NATS_URL: nats.url,
      ALLOWED_HOSTS: `127.0.0.1:${server.port}`,
      FETCH_IDLE_TIMEOUT_MS: '1000',
      FETCH_ATTEMPTS: '3',
      ...over,
    };
  }

  async function startFetcher(over: Record<string, string> = {}) {
    const config = loadConfig(FetcherConfig, env(over));
    const store = new ImageStore(bus, {
      maxBytes: config.IMAGE_STORE_MAX_BYTES,
      maxAgeMs: config.IMAGE_STORE_MAX_AGE_DAYS * 86_400_000,
      log,
    });
    const fetcher = new Fetcher({
      bus,
      store,
      allow: HostAllowList.parse(config.ALLOWED_HOSTS),
      config,
      log,
      metrics: new Registry(),
    });
    consumer = await bus.consume(consumers.imageFetcher, (d, c) => fetcher.handle(d.body, c), {
      concurrency: config.FETCH_CONCURRENCY,
    });
  }

  const runItems = async () =>
    (await streamMessages(bus.jsm, 'WORK'))
      .filter((m) => m.subject.startsWith('autocloud.work.run.'))
      .map((m) => bodyOf<RunWorkItem>(m));
  const aborted = async () =>
    (await streamMessages(bus.jsm, 'AUTOCLOUD', 'autocloud.image.aborted')).map((m) => bodyOf<ImageEvent>(m));
  const output = async (jobId: number) =>
    (await streamMessages(bus.jsm, 'OUTPUT', `autocloud.job.${jobId}.output`)).flatMap(
      (m) => bodyOf<OutputLines>(m).lines,
    );
  const stored = async () => (await (await bus.objectStore('images')).list()).filter((o) => !o.deleted);

  async function readObject(name: string): Promise<string> {
    const result = await (await bus.objectStore('images')).get(name);
    const hash = createHash('sha256');
    for await (const chunk of result!.data) hash.update(chunk);
    return hash.digest('hex');
  }

  test('an image arrives in the object store under its sha256, verified, and the run item follows', async () => {
    await startFetcher();
    const item = workItem(server, ++jobSeq);
    await bus.publish('autocloud.work.fetch', item);
    const [run] = await waitFor(
      async () => {
        const r = await runItems();
        return r.length === 1 ? r : undefined;
      },
      { what: 'the run item' },
    );
    expect(run).toMatchObject({
      job_id: item.job_id,
      object: { bucket: 'images', name: server.sha256 },
      backend: 'libvirt',
    });
    expect(await readObject(server.sha256)).toBe(server.sha256);
    const info = await (await bus.objectStore('images')).info(server.sha256);
    expect(info?.size).toBe(server.data.length);
    const lines = await output(item.job_id);
    expect(lines.map((l) => l.n)).toEqual(lines.map((_, i) => i + 1));
    expect(run!.next_output_line).toBe(lines.length + 1);
    expect(lines.map((l) => l.text).join('\n')).toMatch(/of 24\.0 MiB \(100%\) at .*\/s/);
    expect(server.requests).toHaveLength(1);
    expect(await streamMessages(bus.jsm, 'WORK', 'autocloud.work.fetch')).toHaveLength(0);
  });

  test('a connection dropped at 40% is resumed with Range, not started over', async () => {
    await startFetcher();
    server.mode = { kind: 'drop-once', at: Math.floor(server.data.length * 0.4) };
    const item = workItem(server, ++jobSeq);
    await bus.publish('autocloud.work.fetch', item);
    await waitFor(async () => (await runItems()).length === 1, { what: 'the run item' });
    expect(server.requests).toHaveLength(2);
    const offset = Number(/^bytes=(\d+)-$/.exec(server.requests[1]!.range ?? '')?.[1]);
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThanOrEqual(server.data.length * 0.4);
    expect(server.bytesServed).toBeLessThan(server.data.length * 1.05);
    expect(await readObject(server.sha256)).toBe(server.sha256);
    expect((await output(item.job_id)).map((l) => l.text).join('\n')).toMatch(
      /resuming at byte \d+ \(attempt 2\)/,
    );
  });

  const failures: [
    string,
    (s: ImageServer) => { mode?: ImageServer['mode']; over?: object; env?: Record<string, string> },
    RegExp,
    string,
  ][] = [
    [
      'a wrong checksum',
      () => ({ over: { sha256: 'a'.repeat(64) } }),
      /sha256 mismatch .*: got [0-9a-f]{64}, the compose metadata says a{64}/,
      'checksum',
    ],
    [
      'a wrong size',
      (s) => ({ over: { size: s.data.length + 1 } }),
      /is 25165824 bytes, the compose metadata says 25165825/,
      'checksum',
    ],
    [
      'a 404',
      () => ({ mode: { kind: 'status', status: 404 } }),
      /image not found \(HTTP 404\) at http:\/\/127\.0\.0\.1:\d+\/compose/,
      'download',
    ],
    [
      'an endless body',
      () => ({ mode: { kind: 'endless' } }),
      /sent more than the 25165824 bytes the compose metadata lists/,
      'checksum',
    ],
    [
      'an image over the size cap',
      () => ({ env: { FETCH_MAX_BYTES: '1048576' } }),
      /over this fetcher's limit of 1048576 \(FETCH_MAX_BYTES\)/,
      'download',
    ],
    [
      'a redirect to a host not allowed',
      () => ({ mode: { kind: 'redirect', location: 'http://169.254.169.254/latest/meta-data/' } }),
      /host 169\.254\.169\.254 is not allowed/,
      'download',
    ],
    [
      'a server that stalls',
      (s) => ({ mode: { kind: 'stall', at: s.data.length / 2 } }),
      /failed after 3 attempts: no data for 1000 ms/,
      'download',
    ],
  ];

  test.each(failures)(
    '%s gives image.aborted with a clear reason and leaves nothing in the store',
    async (_what, setup, reason, code) => {
      const { mode, over, env: extra } = setup(server);
      await startFetcher(extra);
      if (mode) server.mode = mode;
      const item = workItem(server, ++jobSeq, over);
      await bus.publish('autocloud.work.fetch', item);
      const [event] = await waitFor(
        async () => {
          const a = await aborted();
          return a.length === 1 ? a : undefined;
        },
        { timeoutMs: 30_000, what: 'image.aborted' },
      );
      expect(event).toMatchObject({
        job_id: item.job_id,
        status: 'aborted',
        reason_code: code,
        compose_url: item.image.url,
      });
      expect(event!.reason).toMatch(reason);
      expect(await stored()).toHaveLength(0);
      expect(await runItems()).toHaveLength(0);
      expect((await output(item.job_id)).at(-1)?.text).toMatch(/^fetch: failed: /);

      if (extra) return; // every image is over that cap
      // And the fetcher goes on serving other work.
      server.mode = { kind: 'normal' };
      await bus.publish('autocloud.work.fetch', workItem(server, ++jobSeq));
      await waitFor(async () => (await runItems()).length === 1, { what: 'the next item' });
    },
  );

  test('two jobs of one image download it once; a later job finds it stored', async () => {
    await startFetcher({ FETCH_CONCURRENCY: '2' });
    server.mode = { kind: 'slow', bytesPerSecond: 24 * 1024 * 1024 };
    await bus.publish('autocloud.work.fetch', workItem(server, ++jobSeq));
    await bus.publish('autocloud.work.fetch', workItem(server, ++jobSeq, { type: 'qcow2' }));
    await waitFor(async () => (await runItems()).length === 2, { what: 'two run items' });
    expect(server.requests).toHaveLength(1);
    const later = workItem(server, ++jobSeq);
    await bus.publish('autocloud.work.fetch', later);
    await waitFor(async () => (await runItems()).length === 3, { what: 'the third run item' });
    expect(server.requests).toHaveLength(1);
    expect((await output(later.job_id)).map((l) => l.text)).toContain(
      'fetch: already stored; no download needed',
    );
  });

  test('old images are evicted by total size, oldest first', async () => {
    const first = await startImageServer(1024 * 1024);
    try {
      const items = [workItem(first, ++jobSeq), workItem(server, ++jobSeq)];
      await startFetcher({
        IMAGE_STORE_MAX_BYTES: String(server.data.length + 1),
        ALLOWED_HOSTS: `127.0.0.1:${server.port},127.0.0.1:${first.port}`,
      });
      await bus.publish('autocloud.work.fetch', items[0]!);
      await waitFor(async () => (await runItems()).length === 1);
      await bus.publish('autocloud.work.fetch', items[1]!);
      await waitFor(async () => (await runItems()).length === 2);
      expect((await stored()).map((o) => o.name)).toEqual([server.sha256]);
    } finally {
      await first.close();
    }
  });

  test('SIGKILL during a download: the item is redelivered and completes', { timeout: 120_000 }, async () => {
    server.mode = { kind: 'slow', bytesPerSecond: 4 * 1024 * 1024 };
    const item = workItem(server, ++jobSeq);
    await bus.publish('autocloud.work.fetch', item);
    const first = spawnService('image-fetcher', env());
    await waitFor(
      async () => (await output(item.job_id)).some((l) => /\(\d+%\)/.test(l.text) && !/\(0%\)/.test(l.text)),
      {
        timeoutMs: 30_000,
        what: 'the download to be under way',
      },
    );
    await first.kill();
    server.mode = { kind: 'normal' };
    const second = spawnService('image-fetcher', env());
    try {
      await waitFor(async () => (await runItems()).length === 1, {
        timeoutMs: 90_000,
        intervalMs: 500,
        what: 'the redelivered item to complete',
      });
      expect(await readObject(server.sha256)).toBe(server.sha256);
      expect(server.requests.length).toBeGreaterThanOrEqual(2);
    } finally {
      expect(await second.stop()).toBe(0);
    }
  });
});
