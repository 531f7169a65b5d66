// A runner under test (libvirt-runner or vbox-runner): its own nats-server, the test image, the runner as a separate
// process (so it can be killed like an operator would), and what it publishes read back from the streams.
import { execFileSync } from 'node:child_process';
import { chmod, cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bus } from '@autocloud/bus';
import {
  subjects,
  type ImageEvent,
  type JobSteps,
  type OutputLines,
  type RunWorkItem,
} from '@autocloud/schemas';
import { startNatsServer, type NatsServerHandle } from './nats.js';
import { spawnService, type ServiceProcess } from './service-process.js';
import { bodyOf, streamMessages } from './streams.js';
import { testImage, type TestImage } from './test-image.js';
import { testLogger } from './logger.js';
import { waitFor } from './wait.js';

export interface RunnerRig {
  nats: NatsServerHandle;
  bus: Bus;
  image: TestImage;
  home: string;
  runnerName: string;
  start(env?: Record<string, string>): Promise<ServiceProcess>;
  submit(item: RunWorkItem): Promise<void>;
  /** Waits for the job's terminal event. */
  finished(jobId: number, timeoutMs?: number): Promise<ImageEvent>;
  events(jobId: number): Promise<ImageEvent[]>;
  output(jobId: number): Promise<OutputLines['lines']>;
  steps(jobId: number): Promise<JobSteps['steps']>;
  artifact(jobId: number, file: string): Promise<string | undefined>;
  dispose(): Promise<void>;
}

/** Every libvirt domain on this host (running or not). */
export function domains(): string[] {
  return execFileSync('virsh', ['-q', '-c', 'qemu:///system', 'list', '--all', '--name'], {
    encoding: 'utf8',
  })
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}
const repoPlans = new URL('../../../plans', import.meta.url);

export interface RigOptions {
  backend?: 'libvirt' | 'vbox';
  /** Extra test plans by name (beside the shipped ones). */
  plans?: Record<string, string>;
}

export async function startRig(opts: RigOptions = {}): Promise<RunnerRig> {
  const backend = opts.backend ?? 'libvirt';
  const [nats, image] = await Promise.all([startNatsServer(), testImage()]);
  const bus = await Bus.connect({ servers: nats.url, service: 'test', log: testLogger() });
  await bus.ensureTopology();
  const home = await mkdtemp(join(tmpdir(), `autocloud-${backend}-runner-`));
  await chmod(home, 0o755);
  const plansDir = join(home, 'plans');
  await cp(repoPlans, plansDir, { recursive: true });
  for (const [name, text] of Object.entries(opts.plans ?? {}))
    await writeFile(join(plansDir, `${name}.txt`), text);
  const runnerName = `test-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
  const processes: ServiceProcess[] = [];
  const terminal = async (jobId: number) =>
    (await streamMessages(bus.jsm, 'AUTOCLOUD'))
      .filter((m) => /^autocloud\.image\.(success|failed|aborted)$/.test(m.subject))
      .map((m) => bodyOf<ImageEvent>(m))
      .filter((e) => e.job_id === jobId);
  return {
    nats,
    bus,
    image,
    home,
    runnerName,
    async start(env = {}) {
      const p = spawnService(`${backend}-runner`, {
        NATS_URL: nats.url,
        AUTOCLOUD_HOME: home,
        PLANS_DIR: plansDir,
        RUNNER_NAME: runnerName,
        LIBVIRT_DOMAIN_TYPE: 'qemu',
        RUNNER_CPUS: '2',
        ...env,
      });
      processes.push(p);
      await p.waitForLog(/"msg":"ready"/, 120_000);
      return p;
    },
    async submit(item) {
      await bus.publish(subjects.workRun(item.backend, item.image.arch), item);
    },
    async finished(jobId, timeoutMs = 300_000) {
      return waitFor(async () => (await terminal(jobId))[0], {
        timeoutMs,
        intervalMs: 500,
        what: `job ${jobId} to finish`,
      });
    },
    async events(jobId) {
      return (await streamMessages(bus.jsm, 'AUTOCLOUD'))
        .filter((m) => m.subject.startsWith('autocloud.image.'))
        .map((m) => bodyOf<ImageEvent>(m))
        .filter((e) => e.job_id === jobId);
    },
    async output(jobId) {
      return (await streamMessages(bus.jsm, 'OUTPUT'))
        .filter((m) => m.subject === subjects.jobOutput(jobId))
        .flatMap((m) => bodyOf<OutputLines>(m).lines);
    },
    async steps(jobId) {
      const latest = new Map<number, JobSteps['steps'][number]>();
      for (const m of await streamMessages(bus.jsm, 'OUTPUT')) {
        if (m.subject !== subjects.jobSteps(jobId)) continue;
        for (const s of bodyOf<JobSteps>(m).steps) latest.set(s.idx, s);
      }
      return [...latest.values()].sort((a, b) => a.idx - b.idx);
    },
    async artifact(jobId, file) {
      const store = await bus.objectStore('artifacts');
      const blob = await store.getBlob(`${jobId}/${file}`);
      return blob ? new TextDecoder().decode(blob) : undefined;
    },
    async dispose() {
      await Promise.all(processes.map((p) => p.stop().catch(() => null)));
      await bus.close();
      await nats.dispose();
      await rm(home, { recursive: true, force: true });
    },
  };
}
