// Benchmark `fetch`: a 2 GiB image from a local HTTP server through the image-fetcher (download + sha256 + store in
// the images bucket), against `curl -o` followed by `sha256sum` on the same file, in one run.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Bus } from '@autocloud/bus';
import { bodyOf, startNatsServer, streamMessages, testLogger, waitFor } from '@autocloud/testing/components';
import { type RunWorkItem } from '@autocloud/schemas';

const root = resolve(import.meta.dirname, '..');
const SIZE = Number(process.env.BENCH_FETCH_BYTES ?? 2 * 1024 ** 3);

async function makeFile(path: string): Promise<string> {
  const block = randomBytes(64 * 1024 * 1024);
  const hash = createHash('sha256');
  const fh = await open(path, 'w');
  for (let written = 0; written < SIZE; written += block.length) {
    const part = block.subarray(0, Math.min(block.length, SIZE - written));
    hash.update(part);
    await fh.write(part);
  }
  await fh.close();
  return hash.digest('hex');
}

function startFileServer(path: string): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench/file-server.ts'), path], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((res) =>
    child.stdout.once('data', (d: Buffer) => res({ port: Number(String(d).trim()), child })),
  );
}

function peakRssMiB(pid: number): number {
  const status = execFileSync('cat', [`/proc/${pid}/status`]).toString();
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

export async function benchFetch(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'autocloud-bench-fetch-'));
  const nats = await startNatsServer();
  const log = testLogger('bench');
  let server: ChildProcess | undefined;
  let fetcher: ChildProcess | undefined;
  try {
    const file = join(dir, 'image.qcow2');
    process.stdout.write(`fetch: writing a ${(SIZE / 1024 ** 3).toFixed(2)} GiB file...\n`);
    const sha256 = await makeFile(file);
    const started = await startFileServer(file);
    server = started.child;
    const url = `http://127.0.0.1:${started.port}/compose/images/image.x86_64.qcow2`;

    // Baseline: curl to a file, then sha256sum over it.
    execFileSync('curl', ['-s', '-o', '/dev/null', url]); // warm the page cache for both
    const t0 = performance.now();
    execFileSync('curl', ['-s', '-f', '-o', join(dir, 'curl.out'), url]);
    const curlSum = execFileSync('sha256sum', [join(dir, 'curl.out')])
      .toString()
      .split(' ')[0];
    const baseline = (performance.now() - t0) / 1000;
    if (curlSum !== sha256) throw new Error('curl baseline hashed something else');
    await rm(join(dir, 'curl.out'));

    // The fetcher as in production: its own process, from the build.
    const bus = await Bus.connect({ servers: nats.url, service: 'bench', log });
    await bus.ensureTopology();
    // Exactly what `pnpm --filter @autocloud/image-fetcher start` runs.
    const pkg = JSON.parse(readFileSync(join(root, 'services/image-fetcher/package.json'), 'utf8')) as {
      scripts: { start: string };
    };
    const [, ...args] = pkg.scripts.start.split(' ');
    fetcher = spawn(process.execPath, args, {
      cwd: join(root, 'services/image-fetcher'),
      env: {
        ...process.env,
        NATS_URL: nats.url,
        ALLOWED_HOSTS: `127.0.0.1:${started.port}`,
        HEALTH_PORT: '0',
        LOG_LEVEL: 'warn',
      },
      stdio: 'inherit',
    });
    await new Promise((r) => setTimeout(r, 2000));
    const t1 = performance.now();
    await bus.publish('autocloud.work.fetch', {
      job_id: 1,
      compose_job_id: 1,
      compose_id: 'Bench-1',
      attempt: 1,
      backend: 'libvirt',
      plan: 'bench',
      image: {
        url,
        sha256,
        size: SIZE,
        type: 'qcow2',
        format: 'qcow2',
        arch: 'x86_64',
        variant: 'Cloud',
        subvariant: 'Cloud_Base',
        family: 'Base',
        image_name: 'bench',
        release: '1',
      },
    });
    await waitFor(
      async () =>
        (await streamMessages(bus.jsm, 'WORK')).some(
          (m) => m.subject.startsWith('autocloud.work.run.') && bodyOf<RunWorkItem>(m).job_id === 1,
        ),
      { timeoutMs: 600_000, intervalMs: 100, what: 'the run item' },
    );
    const fetched = (performance.now() - t1) / 1000;
    const rss = peakRssMiB(fetcher.pid!);
    const aborted = await streamMessages(bus.jsm, 'AUTOCLOUD', 'autocloud.image.aborted');
    if (aborted.length > 0) throw new Error(`the fetcher aborted: ${JSON.stringify(bodyOf(aborted[0]!))}`);
    await bus.close();

    const lines = [
      `fetch: ${(SIZE / 1024 ** 3).toFixed(2)} GiB from a local HTTP server`,
      `  curl -o + sha256sum:              ${baseline.toFixed(2)} s`,
      `  image-fetcher (download+verify+store): ${fetched.toFixed(2)} s`,
      `  ratio fetcher / baseline:         ${(fetched / baseline).toFixed(2)}x (goal: at most 1.0x)`,
      `  fetcher peak RSS:                 ${rss.toFixed(0)} MiB (goal: under 150 MiB)`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    fetcher?.kill('SIGTERM');
    server?.kill('SIGTERM');
    await nats.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}
