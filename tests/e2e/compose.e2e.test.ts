// The whole chain on one machine: a fedora-messaging pungi message on RabbitMQ → fedmsg-bridge → compose-resolver
// → results-api recorder → image-fetcher (from a local HTTP server) → libvirt-runner and vbox-runner booting the test
// image under QEMU → results in the API → the autocloud messages on RabbitMQ through the notifier. Every service is its
// own process, as in production; PostgreSQL, NATS and RabbitMQ are the real local ones.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { chmod, cp, link, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDemoCompose, serveComposes } from '@autocloud/cli';
import {
  collectQueue,
  createTestDatabase,
  createTestVhost,
  freePort,
  publishFedoraMessage,
  spawnService,
  startNatsServer,
  testImage,
  waitFor,
  type NatsServerHandle,
  type ServiceProcess,
  type TestDatabase,
  type TestImage,
  type TestVhost,
} from '@autocloud/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const CLI = ['--conditions=@autocloud/source', '--import', 'tsx', 'packages/cli/src/main.ts'];

/** GET a JSON document on a fresh connection, with a deadline (no pooled sockets shared across a long test). */
function getJson<T>(url: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`GET ${url}: ${res.statusCode} ${body}`));
        else resolve(JSON.parse(body) as T);
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within 10 s`)));
    req.on('error', reject);
  });
}

const SERVICES = [
  'fedmsg-bridge',
  'compose-resolver',
  'results-api',
  'image-fetcher',
  'libvirt-runner',
  'vbox-runner',
  'notifier',
] as const;
type Service = (typeof SERVICES)[number];

const PUBLIC_KINDS = [
  'autocloud.compose.queued',
  'autocloud.compose.running',
  'autocloud.compose.complete',
  'autocloud.image.queued',
  'autocloud.image.running',
  'autocloud.image.success',
  'autocloud.image.failed',
  'autocloud.image.aborted',
];

interface Job {
  job_id: number;
  type: string;
  backend: string;
  status: string;
  hypervisor: string | null;
  superseded: boolean;
  reason: string | null;
}

describe('a compose through all seven services', { timeout: 2_400_000 }, () => {
  let nats: NatsServerHandle;
  let db: TestDatabase;
  let vhost: TestVhost;
  let image: TestImage;
  let home: string;
  let composes: { url: string; close(): Promise<void> };
  let port: number;
  let events: Awaited<ReturnType<typeof collectQueue>>;
  const token = randomBytes(16).toString('hex');
  const running = new Map<Service, ServiceProcess>();

  function env(): Record<string, string> {
    const host = new URL(composes.url).host;
    return {
      NATS_URL: nats.url,
      DATABASE_URL: db.url,
      AUTOCLOUD_HOME: home,
      PORT: String(port),
      API_TOKEN_HASHES: createHash('sha256').update(token).digest('hex'),
      FEDORA_MESSAGING_URL: vhost.url,
      FEDORA_MESSAGING_QUEUE: 'e2e-bridge',
      ALLOWED_HOSTS: host,
      RULES_FILE: join(home, 'rules.yaml'),
      PLANS_DIR: join(home, 'plans'),
      LIBVIRT_DOMAIN_TYPE: 'qemu',
      VBOX_HYPERVISOR: 'qemu',
      RUNNER_NAME: `e2e-${process.pid}`,
      RUNNER_SLOTS: '2',
      PUBLIC_URL: `http://127.0.0.1:${port}`,
    };
  }

  async function start(name: Service): Promise<ServiceProcess> {
    const p = spawnService(name, env());
    running.set(name, p);
    await p.waitForLog(/"msg":"ready"/, 180_000);
    return p;
  }

  function api<T>(path: string): Promise<T> {
    return getJson<T>(`http://127.0.0.1:${port}/api/v1${path}`);
  }

  async function compose(composeId: string) {
    const page = await api<{
      items: {
        compose_id: string;
        status: string;
        compose_job_id: number;
        passed: number;
        failed: number;
        aborted: number;
        job_count: number;
      }[];
    }>(`/composes?limit=50`);
    return page.items.find((c) => c.compose_id === composeId);
  }

  async function jobsOf(composeId: string): Promise<Job[]> {
    return (await api<{ items: Job[] }>(`/jobs?compose_id=${encodeURIComponent(composeId)}&limit=100`)).items;
  }

  async function submitByBus(composeId: string, location: string) {
    await publishFedoraMessage(vhost.url, {
      status: 'FINISHED',
      release_type: 'ga',
      compose_label: null,
      compose_respin: 0,
      compose_date: composeId.split('-').at(-1)!.split('.')[0],
      release_version: '12',
      location,
      compose_type: 'nightly',
      release_is_layered: false,
      release_name: 'Debian-Test',
      release_short: 'Debian-Test',
      compose_id: composeId,
    });
  }

  beforeAll(async () => {
    [nats, db, vhost, image] = await Promise.all([
      startNatsServer(),
      createTestDatabase(),
      createTestVhost(),
      testImage(),
    ]);
    home = await mkdtemp(join(tmpdir(), 'autocloud-e2e-'));
    // libvirt runs QEMU as its own user: it must reach the runners' files under AUTOCLOUD_HOME.
    await chmod(home, 0o755);
    composes = await serveComposes(join(home, 'composes'));
    // The test image's rules and plans, plus an image whose plan fails.
    await cp(new URL('../../plans', import.meta.url), join(home, 'plans'), { recursive: true });
    await writeFile(join(home, 'plans', 'fail-first.txt'), 'echo about-to-fail\nfalse\necho never-runs\n');
    await writeFile(
      join(home, 'rules.yaml'),
      (await readFile(
        new URL('../../services/compose-resolver/rules/test-image.yaml', import.meta.url),
        'utf8',
      )) +
        [
          '',
          '  - name: failing',
          '    match:',
          '      subvariant: Debian_Test_Failing',
          '    backend: libvirt',
          '    plan: fail-first',
          '',
        ].join('\n'),
    );
    port = await freePort();
    events = await collectQueue(vhost.url, 'e2e-autocloud-events', 'org.fedoraproject.prod.autocloud.#');
    await events.start();
    for (const name of SERVICES) await start(name);
  }, 600_000);

  afterAll(async () => {
    await Promise.all([...running.values()].map((p) => p.stop().catch(() => null)));
    await events?.close();
    await composes?.close();
    await Promise.all([nats?.dispose(), db?.drop(), vhost?.dispose()]);
    if (home) await rm(home, { recursive: true, force: true });
  });

  test('a pungi FINISHED message ends in a complete compose: five images tested, eight kinds of messages out', async () => {
    const composeId = 'Debian-Test-12-20261124.n.0';
    const demo = await writeDemoCompose(join(home, 'composes'), image, { composeId, baseUrl: composes.url });
    // Two more images of the same qcow2 file under other paths: one whose plan fails, one with a wrong checksum.
    const meta = join(demo.locationDir, 'metadata', 'images.json');
    const doc = JSON.parse(await readFile(meta, 'utf8')) as {
      payload: {
        images: Record<
          string,
          Record<string, { path: string; type: string; subvariant: string; checksums: { sha256: string } }[]>
        >;
      };
    };
    const list = Object.values(doc.payload.images)[0]!.x86_64!;
    const qcow2 = list.find((i) => i.type === 'qcow2')!;
    for (const [name, change] of [
      ['failing', { subvariant: 'Debian_Test_Failing' }],
      ['badsum', { checksums: { sha256: '0'.repeat(64) } }],
    ] as const) {
      const path = qcow2.path.replace(/[^/]+$/, `debian-test-image-${name}.x86_64.qcow2`);
      await link(join(demo.locationDir, qcow2.path), join(demo.locationDir, path));
      list.push({ ...qcow2, path, ...change });
    }
    await writeFile(meta, JSON.stringify(doc, null, 2));
    await submitByBus(composeId, demo.location);

    const done = await waitFor(
      async () => {
        const c = await compose(composeId);
        return c?.status === 'complete' ? c : undefined;
      },
      { timeoutMs: 1_200_000, intervalMs: 2_000, what: 'the compose to complete' },
    );
    expect(done).toMatchObject({ job_count: 5, passed: 3, failed: 1, aborted: 1 });

    // An abort of a retryable class (download) is retried once or twice: the last attempt of each image counts.
    const jobs = (await jobsOf(composeId)).filter((j) => !j.superseded);
    expect(jobs.map((j) => [j.type, j.backend, j.status, j.hypervisor]).sort()).toEqual([
      ['qcow2', 'libvirt', 'aborted', null],
      ['qcow2', 'libvirt', 'failed', 'qemu-tcg'],
      ['qcow2', 'libvirt', 'success', 'qemu-tcg'],
      ['vagrant-libvirt', 'libvirt', 'success', 'qemu-tcg'],
      ['vagrant-virtualbox', 'vbox', 'success', 'qemu-tcg'],
    ]);
    expect(jobs.find((j) => j.status === 'aborted')!.reason).toMatch(/sha256|checksum/i);

    // The notifier relayed every kind of public event, in the original topic scheme.
    await waitFor(() => events.received.some((m) => m.routingKey.endsWith('autocloud.compose.complete')), {
      timeoutMs: 60_000,
      what: 'compose.complete on RabbitMQ',
    });
    const kinds = new Set(events.received.map((m) => m.routingKey.replace('org.fedoraproject.prod.', '')));
    expect([...kinds].sort()).toEqual([...PUBLIC_KINDS].sort());
    const complete = events.received.find((m) => m.routingKey.endsWith('compose.complete'))!.body as {
      results: { success: number; failed: number; artifacts: Record<string, unknown> };
    };
    // As in the original: an aborted image counts as failed.
    expect(complete.results).toMatchObject({ success: 3, failed: 2 });
    expect(Object.keys(complete.results.artifacts)).toHaveLength(5);
  });

  test('killing each service once in the middle of a compose still completes it, every job accounted for once', async () => {
    const composeId = 'Debian-Test-12-20261124.n.1';
    const { location } = await writeDemoCompose(join(home, 'composes'), image, {
      composeId,
      baseUrl: composes.url,
    });
    const restart = async (name: Service) => {
      await running.get(name)!.kill();
      await start(name);
    };
    // The bridge dies right after the message is published (its durable queue keeps the message).
    await submitByBus(composeId, location);
    await restart('fedmsg-bridge');
    await restart('compose-resolver');
    await waitFor(() => compose(composeId), { timeoutMs: 120_000, what: 'the compose to be recorded' });
    await restart('results-api');
    await restart('image-fetcher');
    // Each runner dies while it has a VM up; JetStream hands the job to its restarted successor.
    for (const runner of ['libvirt-runner', 'vbox-runner'] as const) {
      const backend = runner === 'libvirt-runner' ? 'libvirt' : 'vbox';
      await waitFor(
        async () => (await jobsOf(composeId)).some((j) => j.backend === backend && j.status === 'running'),
        {
          timeoutMs: 600_000,
          intervalMs: 1_000,
          what: `a ${backend} job to run`,
        },
      );
      await restart(runner);
    }
    await restart('notifier');

    const done = await waitFor(
      async () => {
        const c = await compose(composeId);
        return c?.status === 'complete' ? c : undefined;
      },
      { timeoutMs: 1_500_000, intervalMs: 2_000, what: 'the compose to complete' },
    );
    const jobs = (await jobsOf(composeId)).filter((j) => !j.superseded);
    expect(jobs).toHaveLength(3);
    expect(jobs.map((j) => j.type).sort()).toEqual(['qcow2', 'vagrant-libvirt', 'vagrant-virtualbox']);
    expect(done.passed + done.failed + done.aborted).toBe(3);
    expect(
      jobs
        .filter((j) => j.status === 'success')
        .map((j) => j.type)
        .sort(),
    ).toEqual(['qcow2', 'vagrant-libvirt', 'vagrant-virtualbox']);
    // Exactly once on the bus too: one compose.complete, one terminal event per job (by message id).
    await waitFor(
      () =>
        events.received.some(
          (m) => m.routingKey.endsWith('compose.complete') && (m.body as { id?: string }).id === composeId,
        ),
      { timeoutMs: 120_000, what: 'compose.complete on RabbitMQ' },
    );
    const ofCompose = events.received.filter(
      (m) =>
        (m.body as { compose_id?: string; id?: string }).compose_id === composeId ||
        (m.body as { id?: string }).id === composeId,
    );
    const ids = new Set(ofCompose.map((m) => m.properties.messageId as string));
    const completes = ofCompose.filter((m) => m.routingKey.endsWith('compose.complete'));
    expect(new Set(completes.map((m) => m.properties.messageId as string)).size).toBe(1);
    expect(ids.size).toBeGreaterThanOrEqual(3 * 3 + 3);
  });
});

describe(
  'the same compose through `autocloud up` (one command: its own nats-server, PGlite)',
  { timeout: 2_400_000 },
  () => {
    let home: string;
    let up: ChildProcess | undefined;
    let upLog = '';

    afterAll(async () => {
      if (up && up.exitCode === null) {
        up.kill('SIGTERM');
        await new Promise((resolve) => up!.once('exit', resolve));
      }
      if (home) await rm(home, { recursive: true, force: true });
    });

    test('submit --follow of the demo compose directory: three images tested, all passed, as through the services', async () => {
      const image = await testImage();
      home = await mkdtemp(join(tmpdir(), 'autocloud-up-'));
      await chmod(home, 0o755);
      const [port, composePort, natsPort] = await Promise.all([freePort(), freePort(), freePort()]);
      const env: Record<string, string> = {
        ...(process.env as Record<string, string>),
        AUTOCLOUD_HOME: home,
        NATS_URL: `nats://127.0.0.1:${natsPort}`,
        PORT: String(port),
        AUTOCLOUD_COMPOSE_PORT: String(composePort),
        AUTOCLOUD_URL: `http://127.0.0.1:${port}`,
        LIBVIRT_DOMAIN_TYPE: 'qemu',
        RUNNER_NAME: `e2e-up-${process.pid}`,
      };
      delete env.DATABASE_URL;
      up = spawn(process.execPath, [...CLI, 'up'], {
        cwd: root,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      up.stdout!.on('data', (d: Buffer) => (upLog += d.toString()));
      up.stderr!.on('data', (d: Buffer) => (upLog += d.toString()));
      await waitFor(
        async () => (await getJson(`http://127.0.0.1:${port}/readyz`).catch(() => undefined)) !== undefined,
        {
          timeoutMs: 300_000,
          intervalMs: 1_000,
          what: `autocloud up to serve the API (log so far: ${upLog.slice(-2000)})`,
        },
      );

      const { topDir, composeId } = await writeDemoCompose(join(home, 'demo'), image, {
        composeId: 'Debian-Test-12-20261124.n.7',
      });
      // Asynchronously: a blocked event loop here would stop draining up's output and stall it.
      const submit = spawn(process.execPath, [...CLI, 'submit', topDir, '--follow'], {
        cwd: root,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let submitLog = '';
      submit.stdout.on('data', (d: Buffer) => (submitLog += d.toString()));
      submit.stderr.on('data', (d: Buffer) => (submitLog += d.toString()));
      const submitted = await new Promise<number | null>((resolve) => submit.once('exit', resolve));
      expect(submitted, `${submitLog}\n--- up:\n${upLog.slice(-4000)}`).toBe(0);

      const jobs = await waitFor(
        async () =>
          (
            await getJson<{ items: Job[] }>(
              `http://127.0.0.1:${port}/api/v1/jobs?compose_id=${composeId}&limit=10`,
            )
          ).items.filter((j) => !j.superseded),
        {
          timeoutMs: 30_000,
          intervalMs: 1_000,
          what: `the API of autocloud up (its log:\n${upLog.slice(-3000)})`,
        },
      );
      expect(jobs.map((j) => [j.type, j.backend, j.status, j.hypervisor]).sort()).toEqual([
        ['qcow2', 'libvirt', 'success', 'qemu-tcg'],
        ['vagrant-libvirt', 'libvirt', 'success', 'qemu-tcg'],
        ['vagrant-virtualbox', 'vbox', 'success', 'qemu-tcg'],
      ]);
      // Its own nats-server and the embedded database, nothing of the machine's.
      expect(upLog).toMatch(/nats-server/);
      expect(existsSync(join(home, 'db'))).toBe(true);

      up.kill('SIGTERM');
      const code = await new Promise<number | null>((resolve) => up!.once('exit', resolve));
      expect(code).toBe(0);
    });
  },
);
