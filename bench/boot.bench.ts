// Benchmark `boot`: from a run item on NATS to the first test command through the libvirt-runner, against booting
// the same image with plain qemu-system-x86_64 (same CPUs, memory, disk overlay, NoCloud seed, user networking)
// until SSH answers and until cloud-init is done, in one run. The difference is what the runner adds.
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bus } from '@autocloud/bus';
import { makeSeedIso } from '@autocloud/libvirt';
import { generateJobKey, SshSession } from '@autocloud/runner-core';
import { subjects, type ImageEvent, type JobSteps, type OutputLines } from '@autocloud/schemas';
import {
  bodyOf,
  freePort,
  runItem,
  spawnService,
  startNatsServer,
  storeImage,
  streamMessages,
  testImage,
  testLogger,
  waitFor,
} from '@autocloud/testing/components';

const RUNS = Number(process.env.BENCH_BOOT_RUNS ?? 3);
const CPUS = 2;
const MEMORY_MIB = 1024;

interface RunnerTimes {
  toDomain: number;
  toSsh: number;
  toFirstCommand: number;
}

interface PlainTimes {
  toSsh: number;
  toCloudInit: number;
}

export async function benchBoot(): Promise<void> {
  const image = await testImage();
  const nats = await startNatsServer();
  const bus = await Bus.connect({ servers: nats.url, service: 'bench', log: testLogger('bench') });
  await bus.ensureTopology();
  await storeImage(bus, image.qcow2);
  const home = await mkdtemp(join(tmpdir(), 'autocloud-bench-boot-'));
  await chmod(home, 0o755);
  const plans = join(home, 'plans');
  await rm(plans, { recursive: true, force: true });
  await import('node:fs/promises').then((fs) => fs.mkdir(plans));
  await writeFile(join(plans, 'first-command.txt'), 'true\n');
  const runner = spawnService('libvirt-runner', {
    NATS_URL: nats.url,
    AUTOCLOUD_HOME: home,
    PLANS_DIR: plans,
    RUNNER_NAME: 'bench',
    RUNNER_SLOTS: '1',
    RUNNER_CPUS: String(CPUS),
    RUNNER_MEMORY_MIB: String(MEMORY_MIB),
    LIBVIRT_DOMAIN_TYPE: process.env.LIBVIRT_DOMAIN_TYPE ?? 'auto',
    LOG_LEVEL: 'info',
  });
  try {
    await runner.waitForLog(/"msg":"ready"/, 120_000);
    const domainType = /"domain_type":"(\w+)"/.exec(runner.output())?.[1] ?? '?';
    let job = 1;
    const cold = await runnerJob(bus, image.qcow2, job++);
    const warm: RunnerTimes[] = [];
    const plain: PlainTimes[] = [];
    for (let i = 0; i < RUNS; i++) {
      warm.push(await runnerJob(bus, image.qcow2, job++));
      plain.push(await plainQemu(image.qcow2.path, home, domainType === 'kvm' ? 'kvm' : 'tcg'));
    }
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const s = (ms: number) => (ms / 1000).toFixed(2);
    const runnerFirst = med(warm.map((w) => w.toFirstCommand));
    const plainCi = med(plain.map((p) => p.toCloudInit));
    const runnerSsh = med(warm.map((w) => w.toSsh));
    const plainSsh = med(plain.map((p) => p.toSsh));
    console.log(
      `accelerator: ${domainType}, ${CPUS} vCPUs, ${MEMORY_MIB} MiB, ${RUNS} runs each (medians, seconds)`,
    );
    console.table({
      'runner: run item → domain started': s(med(warm.map((w) => w.toDomain))),
      'runner: run item → SSH answers': s(runnerSsh),
      'runner: run item → first test command': s(runnerFirst),
      'runner, cold cache: run item → first test command': s(cold.toFirstCommand),
      'plain qemu: start → SSH answers': s(plainSsh),
      'plain qemu: start → SSH + cloud-init done': s(plainCi),
      'overhead to SSH (runner − plain)': s(runnerSsh - plainSsh),
      'overhead to first command (runner − plain with cloud-init)': s(runnerFirst - plainCi),
    });
    console.log('runs:', JSON.stringify({ warm, plain, cold }));
  } finally {
    await runner.stop();
    await bus.close();
    await nats.dispose();
    await rm(home, { recursive: true, force: true });
  }
}

async function runnerJob(
  bus: Bus,
  artifact: Awaited<ReturnType<typeof testImage>>['qcow2'],
  jobId: number,
): Promise<RunnerTimes> {
  const item = runItem(artifact, { jobId, plan: 'first-command' });
  const t0 = Date.now();
  await bus.publish(subjects.workRun('libvirt', artifact.arch), item);
  const end = await waitFor(
    async () =>
      (await streamMessages(bus.jsm, 'AUTOCLOUD'))
        .map((m) => bodyOf<ImageEvent>(m))
        .find((e) => e.job_id === jobId && e.status !== 'running'),
    { timeoutMs: 600_000, intervalMs: 200, what: `job ${jobId}` },
  );
  if (end.status !== 'success') throw new Error(`bench job ${jobId} ended ${end.status}: ${end.reason}`);
  const messages = await streamMessages(bus.jsm, 'OUTPUT');
  const lines = messages
    .filter((m) => m.subject === subjects.jobOutput(jobId))
    .flatMap((m) => bodyOf<OutputLines>(m).lines);
  const steps = messages
    .filter((m) => m.subject === subjects.jobSteps(jobId))
    .flatMap((m) => bodyOf<JobSteps>(m).steps);
  const started = lines.find((l) => / started under /.test(l.text));
  const ssh = lines.find((l) => /SSH answered/.test(l.text));
  const first = steps.find((st) => st.idx === 0);
  if (!started || !ssh || !first) throw new Error(`bench job ${jobId}: milestones missing from its output`);
  return {
    toDomain: Date.parse(started.ts) - t0,
    toSsh: Date.parse(ssh.ts) - t0,
    toFirstCommand: Date.parse(first.started_at) - t0,
  };
}

async function plainQemu(base: string, home: string, accel: 'kvm' | 'tcg'): Promise<PlainTimes> {
  const dir = await mkdtemp(join(home, 'plain-'));
  const overlay = join(dir, 'overlay.qcow2');
  await new Promise<void>((res, rej) =>
    spawn('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', base, '-F', 'qcow2', overlay], {
      stdio: 'inherit',
    })
      .once('error', rej)
      .once('close', (code) => (code === 0 ? res() : rej(new Error(`qemu-img exit ${code}`)))),
  );
  const key = generateJobKey('bench');
  const seed = await makeSeedIso(dir, {
    username: 'bench',
    publicKey: key.publicKey,
    instanceId: `bench-${Date.now()}`,
    hostname: 'bench',
  });
  const port = await freePort();
  const t0 = Date.now();
  const qemu = spawn(
    'qemu-system-x86_64',
    [
      '-accel',
      accel,
      '-machine',
      'pc',
      '-m',
      String(MEMORY_MIB),
      '-smp',
      String(CPUS),
      '-display',
      'none',
      '-drive',
      `file=${overlay},format=qcow2,if=virtio`,
      '-drive',
      `file=${seed},format=raw,media=cdrom,readonly=on`,
      '-netdev',
      `user,id=n0,hostfwd=tcp:127.0.0.1:${port}-:22`,
      '-device',
      'virtio-net-pci,netdev=n0,addr=0x10',
      '-device',
      'virtio-rng-pci',
      '-serial',
      `file:${join(dir, 'console.log')}`,
    ],
    { stdio: 'ignore' },
  );
  try {
    let session: SshSession | undefined;
    while (!session) {
      session = await SshSession.connect(
        { host: '127.0.0.1', port, username: 'bench', privateKey: key.privateKey },
        { timeoutMs: 20_000 },
      ).catch(() => undefined);
      if (!session) await new Promise((r) => setTimeout(r, 250));
      if (Date.now() - t0 > 600_000) throw new Error('plain qemu: no SSH within 600 s');
    }
    const toSsh = Date.now() - t0;
    await session.exec('cloud-init status --wait', { timeoutMs: 600_000, onLine: () => {} });
    const toCloudInit = Date.now() - t0;
    session.close();
    return { toSsh, toCloudInit };
  } finally {
    qemu.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
}
