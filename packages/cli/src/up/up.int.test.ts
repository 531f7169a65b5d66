// `autocloud up` as a user runs it, from a fresh AUTOCLOUD_HOME: nothing answers at NATS_URL, so it runs its own
// nats-server; results-api uses PGlite; a local compose goes through `autocloud submit --follow` and the real
// services (compose-resolver with the shipped rules planning the test image's plan); SIGTERM stops every process.
// No VM boots: the compose's checksums are wrong on purpose, so every job ends at the fetcher.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ComposePage, ComposeResource, JobDetail, JobPage, JobResource } from '@autocloud/schemas';
import { type TSchema } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import { freePort, startDatagrepperStub } from '@autocloud/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCli } from '../cli.js';
import { writeDemoCompose } from '../demo/demo-compose.js';
import { type DemoImageArtifact } from '../demo/test-image.js';
import { repoPath } from '../paths.js';
import { SERVICES } from './services.js';
import { processAlive, type UpState } from './state.js';

let home: string;
let child: ChildProcess;
let output = '';
let exited: Promise<number | null>;
let api: string;
let natsPort: number;

// The API's own schemas, checked as fastify checks them (JSON Schema with type lists for nullable fields).
const ajv = new Ajv({ allErrors: true, strict: false });
ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
ajv.addFormat('uri', (s: string) => URL.canParse(s));
function shapeErrors(schema: TSchema, value: unknown): string[] {
  const validate = ajv.compile(schema);
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function alive(pid: number | null | undefined): boolean {
  return typeof pid === 'number' && processAlive(pid);
}

function state(): UpState {
  return JSON.parse(readFileSync(join(home, 'up.json'), 'utf8')) as UpState;
}

async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    env: { PATH: process.env.PATH, AUTOCLOUD_HOME: home },
    cwd: repoPath(),
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    interrupt: new AbortController().signal,
    forceInterrupt: new AbortController().signal,
  });
  return { code, stdout, stderr };
}

beforeAll(async () => {
  for (const name of SERVICES) {
    if (!existsSync(repoPath('services', name, 'dist', 'main.js'))) {
      throw new Error(`services/${name} is not built: run pnpm build (scripts/test.sh does)`);
    }
  }
  home = await mkdtemp(join(tmpdir(), 'autocloud-up-'));
  natsPort = await freePort();
  const port = await freePort();
  const composePort = await freePort();
  api = `http://127.0.0.1:${port}`;
  const env: Record<string, string | undefined> = {
    ...process.env,
    AUTOCLOUD_HOME: home,
    NATS_URL: `nats://127.0.0.1:${natsPort}`,
    PORT: String(port),
    AUTOCLOUD_COMPOSE_PORT: String(composePort),
    LOG_LEVEL: 'info',
  };
  for (const key of [
    'DATABASE_URL',
    'AUTOCLOUD_URL',
    'FEDORA_MESSAGING_URL',
    'DATAGREPPER_URL',
    'RULES_FILE',
  ]) {
    delete env[key];
  }
  child = spawn(
    process.execPath,
    ['--conditions=@autocloud/source', '--import', 'tsx', 'packages/cli/src/main.ts', 'up'],
    {
      cwd: repoPath(),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, to check afterwards that nothing of it is left.
      detached: true,
    },
  );
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));

  const deadline = Date.now() + 100_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`autocloud up exited with ${child.exitCode}:\n${output}`);
    const ok = await fetch(`${api}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`the UI never answered /healthz:\n${output.slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}, 120_000);

afterAll(async () => {
  if (child?.pid && child.exitCode === null) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Gone.
    }
  }
  const nats = existsSync(join(home, 'up.json')) ? state().nats_pid : null;
  if (alive(nats)) process.kill(nats!, 'SIGKILL');
  await rm(home, { recursive: true, force: true });
});

describe.sequential('autocloud up', () => {
  test('runs its own nats-server, every service, PGlite and a private API token in AUTOCLOUD_HOME', () => {
    const s = state();
    expect(s.pid).toBe(child.pid);
    expect(s.nats_url).toBe(`nats://127.0.0.1:${natsPort}`);
    expect(alive(s.nats_pid)).toBe(true);
    expect(readFileSync(`/proc/${s.nats_pid}/cmdline`, 'utf8').split('\0')).toEqual(
      expect.arrayContaining(['-js', '-sd', join(home, 'nats')]),
    );
    expect(Object.keys(s.services).sort()).toEqual([...SERVICES].sort());
    for (const pid of Object.values(s.services)) expect(alive(pid)).toBe(true);
    expect(existsSync(join(home, 'db'))).toBe(true);
    expect(statSync(join(home, 'api-token')).mode & 0o777).toBe(0o600);
    expect(output).toMatch(/nats-server is ready/);
    expect(output).toMatch(/results-api +info +HTTP listening/);
  });

  test('a compose directory submitted with --follow: served, resolved by the test image rules, followed to its end', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'autocloud-user-compose-'));
    try {
      await mkdir(join(dir, 'files'));
      const artifact = async (
        type: DemoImageArtifact['type'],
        format: string,
      ): Promise<DemoImageArtifact> => {
        const path = join(dir, 'files', `image.${format}`);
        await writeFile(path, `not really a ${type} image`);
        // The wrong sha256 on purpose: the fetcher aborts the job, so no VM boots in this test.
        const sha256 = createHash('sha256').update(`wrong ${type}`).digest('hex');
        return { path, type, format, arch: 'x86_64', size: `not really a ${type} image`.length, sha256 };
      };
      const compose = await writeDemoCompose(join(dir, 'composes'), {
        release: '12',
        qcow2: await artifact('qcow2', 'qcow2'),
        vagrantLibvirt: await artifact('vagrant-libvirt', 'vagrant-libvirt.box'),
        vagrantVirtualbox: await artifact('vagrant-virtualbox', 'vagrant-virtualbox.box'),
      });

      const submitted = await cli('submit', compose.topDir, '--follow', '--json');
      expect(submitted.code, submitted.stderr).toBe(1);
      expect(lstatSync(join(home, 'composes', compose.composeId)).isSymbolicLink()).toBe(true);
      const result = JSON.parse(submitted.stdout) as {
        compose: ComposeResource;
        jobs: JobResource[];
        passed: boolean;
      };
      expect(shapeErrors(ComposeResource, result.compose)).toEqual([]);
      for (const job of result.jobs) expect(shapeErrors(JobResource, job)).toEqual([]);
      expect(result.passed).toBe(false);
      expect(result.compose).toMatchObject({
        compose_id: compose.composeId,
        status: 'complete',
        job_count: 3,
        aborted: 3,
        location: `${state().compose_url}/${compose.composeId}/compose`,
      });
      const jobs = result.jobs.sort((a, b) => a.type.localeCompare(b.type));
      expect(jobs.map((j) => [j.type, j.backend, j.plan, j.family, j.status, j.reason_code])).toEqual([
        ['qcow2', 'libvirt', 'debian-test-image', 'Debian', 'aborted', 'checksum'],
        ['vagrant-libvirt', 'libvirt', 'debian-test-image', 'Debian', 'aborted', 'checksum'],
        ['vagrant-virtualbox', 'vbox', 'debian-test-image', 'Debian', 'aborted', 'checksum'],
      ]);
      // Progress went to stderr while it was followed.
      expect(submitted.stderr).toMatch(/job \d+ \(qcow2, libvirt\): fetch: http:\/\/127\.0\.0\.1:\d+\//);
      expect(submitted.stderr).toMatch(/job \d+ \(qcow2, libvirt\): aborted/);

      // The read commands' --json: the API's shapes.
      const list = await cli('jobs', '--json', '--compose-id', compose.composeId);
      expect(list.code).toBe(0);
      const page = JSON.parse(list.stdout) as JobPage;
      expect(shapeErrors(JobPage, page)).toEqual([]);
      expect(page.items).toHaveLength(3);
      const composes = await cli('composes', '--json');
      expect(shapeErrors(ComposePage, JSON.parse(composes.stdout))).toEqual([]);
      const one = await cli('job', String(jobs[0]!.job_id), '--json');
      expect(shapeErrors(JobDetail, JSON.parse(one.stdout))).toEqual([]);

      // A finished job's output, followed: printed, then its status decides the exit code.
      const followed = await cli('job', String(jobs[0]!.job_id), '--follow');
      expect(followed.code).toBe(1);
      expect(followed.stdout).toMatch(/^#1 fetch: http:\/\/127\.0\.0\.1:\d+\/Debian-Test-12-/);
      expect(followed.stderr).toMatch(/: aborted: sha256 mismatch/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);

  test('replay runs the bridge once against datagrepper, into the NATS `up` runs', async () => {
    const datagrepper = await startDatagrepperStub();
    try {
      datagrepper.messages.push({
        topic: 'org.fedoraproject.prod.pungi.compose.status.change',
        msg_id: '2026-replay-test',
        timestamp: Date.now() / 1000 - 600,
        // STARTED: forwarded, and compose-resolver leaves it alone (nothing is fetched from Fedora here).
        msg: {
          status: 'STARTED',
          compose_id: 'Fedora-Cloud-41-20241020.0',
          location: 'https://kojipkgs.fedoraproject.org/compose/cloud/Fedora-Cloud-41-20241020.0/compose',
        },
      });
      const replay = await cli('replay', '--since', '1h', '--datagrepper-url', datagrepper.url);
      expect(replay.code, replay.stderr).toBe(0);
      expect(replay.stderr).toMatch(/replaying .* into nats:\/\/127\.0\.0\.1:\d+/);
      expect(replay.stderr).toMatch(/datagrepper backfill done .*messages=1/);
      expect(datagrepper.requests.length).toBeGreaterThan(0);
    } finally {
      await datagrepper.close();
    }
  }, 60_000);

  test('SIGTERM stops every service, then nats-server, and exits 0 with nothing left', async () => {
    const s = state();
    const pids = [...Object.values(s.services), s.nats_pid];
    process.kill(child.pid!, 'SIGTERM');
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 45_000))]);
    expect(code, output.slice(-3000)).toBe(0);
    for (const pid of pids) expect(alive(pid), `pid ${pid}`).toBe(false);
    // Nothing of its process group is left (what is, is named).
    await expect
      .poll(
        () =>
          groupAlive(child.pid!)
            ? execFileSync('ps', ['-o', 'pid,stat,cmd', '-g', String(child.pid)]).toString()
            : '',
        {
          timeout: 10_000,
        },
      )
      .toBe('');
    expect(existsSync(join(home, 'up.json'))).toBe(false);
    expect(output).toMatch(/up +info +stopped\n/);
    expect(output).not.toMatch(/restarting in/);
    await expect(fetch(`${api}/healthz`)).rejects.toThrow();
  }, 60_000);
});
