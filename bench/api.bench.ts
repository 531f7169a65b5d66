// Benchmark `api`: results-api `serve` (as `pnpm --filter @autocloud/results-api start -- serve` runs it) on a
// history of 1,000,000 jobs in 50,000 composes, generated in PostgreSQL. autocannon drives the filtered jobs list
// and a job's output (API page and web page); the same queries run straight through `pg` in the same run are the
// baseline. Then the live output latency: a line published on NATS, as a runner does, until an SSE client over HTTP
// has it.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { Bus } from '@autocloud/bus';
import { migrateToLatest, openDatabase } from '@autocloud/db';
import { freePort, startNatsServer, testLogger, waitFor } from '@autocloud/testing/components';
import autocannon from 'autocannon';
import pg from 'pg';

const root = resolve(import.meta.dirname, '..');
const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DB_NAME = process.env.BENCH_API_DATABASE ?? 'autocloud_bench';
const JOBS = 1_000_000;
const COMPOSES = 50_000;
const DURATION_S = Number(process.env.BENCH_API_SECONDS ?? 10);
const CONNECTIONS = 10;
const OUTPUT_JOB = 999_990; // a job of the newest composes, with 2,000 output lines
const SSE_LINES = 200;

/** The filter combinations the list is driven with, cycled: one to four filters, common and rare values. */
const LIST_FILTERS: Array<Record<string, string>> = [
  { status: 'failed', arch: 'aarch64', release: '41' },
  { release: 'Rawhide', image_type: 'qcow2' },
  { status: 'aborted', backend: 'vbox' },
  { family: 'Atomic', arch: 's390x', status: 'success' },
  { compose_id: '' }, // filled in: a compose of the bench data
  {},
  { status: 'running' },
  { arch: 'ppc64le', image_type: 'vhd', release: '40', status: 'failed' },
];

function databaseUrl(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Creates and fills the bench database with SQL alone (generate_series); reused when it is already complete. */
async function prepareDatabase(): Promise<void> {
  const url = databaseUrl(DB_NAME);
  const probe = new pg.Client({ connectionString: url });
  const reusable = await probe
    .connect()
    .then(async () => {
      const jobs = await probe.query<{ n: string }>('select count(*) as n from jobs');
      const migrations = await probe.query<{ n: string }>('select count(*) as n from kysely_migration');
      return Number(jobs.rows[0]?.n) === JOBS && Number(migrations.rows[0]?.n) >= 2;
    })
    .catch(() => false)
    .finally(() => probe.end().catch(() => undefined));
  if (reusable && process.env.BENCH_API_REGENERATE !== '1') {
    process.stdout.write(`api: reusing ${DB_NAME} (${JOBS} jobs); BENCH_API_REGENERATE=1 rebuilds it\n`);
    return;
  }
  await admin(`drop database if exists ${DB_NAME} with (force)`);
  await admin(`create database ${DB_NAME}`);
  const handle = await openDatabase({ url });
  await migrateToLatest(handle.db);
  await handle.close();

  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const started = performance.now();
  try {
    await client.query('set synchronous_commit = off');
    await client.query(`
      insert into composes (compose_job_id, compose_id, location, release, date, respin, type, label, pungi_status,
                            status, job_count, passed, failed, aborted, created_at, started_at, completed_at)
      select g,
             'Fedora-Cloud-' || r.release || '-' || d.day || '.n.' || g,
             'https://kojipkgs.fedoraproject.org/compose/cloud/Fedora-Cloud-' || r.release || '-' || d.day || '.n.' || g || '/compose',
             r.release, d.day, g % 3, case when g % 10 = 0 then 'production' else 'nightly' end, null, 'FINISHED',
             case when g > ${COMPOSES - 10} then 'running' else 'complete' end, 20, 16, 3, 1,
             now() - make_interval(hours => ${COMPOSES} - g), now() - make_interval(hours => ${COMPOSES} - g),
             case when g > ${COMPOSES - 10} then null else now() - make_interval(hours => ${COMPOSES} - g) end
      from generate_series(1, ${COMPOSES}) g
      cross join lateral (select (array['39', '40', '41', '42', 'Rawhide'])[1 + g % 5] as release) r
      cross join lateral (select to_char(date '2019-01-01' + (g / 8), 'YYYYMMDD') as day) d`);
    // 20 jobs per compose: 4 arches x 5 image types; a hashed status (82 % success, 12 % failed, 6 % aborted),
    // running and queued jobs in the newest composes.
    await client.query(`
      insert into jobs (job_id, compose_job_id, compose_id, image_url, image_path, image_name, sha256, size, type,
                        format, variant, arch, subvariant, family, release, backend, plan, status, reason, reason_code,
                        boot_ms, duration_ms, queued_at, started_at, finished_at)
      select g, c.compose_job_id, c.compose_id, c.location || '/' || p.path, p.path, p.name,
             'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 536870912, t.type, t.type, 'Cloud',
             a.arch, 'Cloud_Base', case when t.type = 'vagrant-virtualbox' then 'Atomic' else 'Base' end, c.release,
             case when t.type = 'vagrant-virtualbox' then 'vbox' else 'libvirt' end, 'fedora-cloud-base', s.status,
             case when s.status = 'failed' then 'a gating step failed' when s.status = 'aborted' then 'no boot' end,
             case when s.status = 'failed' then 'test' when s.status = 'aborted' then 'boot' end,
             15000 + h.v * 37, 60000 + h.v * 300, c.created_at, c.created_at, c.completed_at
      from generate_series(1, ${JOBS}) g
      join composes c on c.compose_job_id = (g - 1) / 20 + 1
      cross join lateral (select (array['x86_64', 'aarch64', 'ppc64le', 's390x'])[1 + (g - 1) % 4] as arch) a
      cross join lateral (select (array['qcow2', 'raw-xz', 'vagrant-libvirt', 'vagrant-virtualbox', 'vhd'])[1 + ((g - 1) / 4) % 5] as type) t
      cross join lateral (select (hashint4(g)::bigint & 2147483647) % 100 as v) h
      cross join lateral (select case
          when c.status = 'running' then (case when g % 2 = 0 then 'running' else 'queued' end)
          when h.v < 82 then 'success' when h.v < 94 then 'failed' else 'aborted' end as status) s
      cross join lateral (select 'Fedora-Cloud-Base-' || (array['Generic', 'AmazonEC2', 'Vagrant-libvirt', 'Vagrant-virtualbox', 'Azure'])[1 + ((g - 1) / 4) % 5]
                                 || '-' || c.release || '-' || c.date || '.n.0' as name) n
      cross join lateral (select 'Cloud/' || a.arch || '/images/' || n.name || '.' || a.arch || '.' || t.type as path, n.name) p`);
    await client.query(`
      insert into output_lines (job_id, n, ts, text, step, stream)
      select ${OUTPUT_JOB}, g, now(), 'line ' || g || ': ' || repeat('x', 60), g / 200, 'test'
      from generate_series(1, 2000) g`);
    await client.query(`update jobs set output_lines = 2000 where job_id = ${OUTPUT_JOB}`);
    await client.query(`select setval(pg_get_serial_sequence('composes', 'compose_job_id'), ${COMPOSES})`);
    await client.query(`select setval(pg_get_serial_sequence('jobs', 'job_id'), ${JOBS})`);
    await client.query('vacuum analyze');
  } finally {
    await client.end();
  }
  process.stdout.write(
    `api: generated ${JOBS} jobs in ${((performance.now() - started) / 1000).toFixed(0)} s\n`,
  );
}

function startServer(env: Record<string, string>): ChildProcess {
  // Exactly what `pnpm --filter @autocloud/results-api start -- serve` runs.
  const pkg = JSON.parse(readFileSync(join(root, 'services/results-api/package.json'), 'utf8')) as {
    scripts: { start: string };
  };
  const [, ...args] = pkg.scripts.start.replace(/^OTEL_\S+ /, '').split(' ');
  return spawn(process.execPath, [...args.slice(1), 'serve'], {
    cwd: join(root, 'services/results-api'),
    // As the start script has it; BENCH_API_OTEL=none measures without OpenTelemetry's http and pg hooks.
    env: {
      ...process.env,
      OTEL_NODE_ENABLED_INSTRUMENTATIONS: process.env.BENCH_API_OTEL ?? 'http,pg',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

interface Figures {
  name: string;
  /** Latency at a steady, unsaturated rate (LATENCY_RATE requests/s). */
  p50: number;
  p90: number;
  p99: number;
  /** Throughput with CONNECTIONS requests always in flight. */
  rps: number;
}

/** Requests per second of the latency runs: steady traffic well below saturation, as a dashboard sees it. */
const LATENCY_RATE = Number(process.env.BENCH_API_RATE ?? 50);

async function cannon(name: string, base: string, paths: string[]): Promise<Figures> {
  const run = (duration: number, rate?: number) =>
    autocannon({
      url: base,
      connections: rate ? 2 : CONNECTIONS,
      duration,
      ...(rate ? { overallRate: rate } : {}),
      requests: paths.map((path) => ({ method: 'GET' as const, path })),
    });
  await run(2); // warm-up: JIT, pool, caches
  const paced = await run(DURATION_S, LATENCY_RATE);
  const saturated = await run(DURATION_S);
  for (const result of [paced, saturated]) {
    if (result.non2xx > 0 || result.errors > 0) {
      throw new Error(`${name}: ${result.non2xx} non-2xx and ${result.errors} errors`);
    }
  }
  return {
    name,
    p50: paced.latency.p50,
    p90: paced.latency.p90,
    p99: paced.latency.p99,
    rps: saturated.requests.average,
  };
}

/** The same queries straight through pg: paced for latency, then closed loop with CONNECTIONS in flight. */
async function raw(
  name: string,
  queries: Array<Array<{ text: string; values: unknown[] }>>,
): Promise<Figures> {
  const pool = new pg.Pool({ connectionString: databaseUrl(DB_NAME), max: CONNECTIONS });
  let i = 0;
  const once = async () => {
    const request = queries[i++ % queries.length] ?? [];
    const t0 = performance.now();
    for (const q of request) await pool.query(q);
    return performance.now() - t0;
  };
  const closedLoop = async (seconds: number) => {
    const until = performance.now() + seconds * 1000;
    let done = 0;
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (performance.now() < until) {
          await once();
          done += 1;
        }
      }),
    );
    return done / seconds;
  };
  try {
    await closedLoop(2);
    // Paced: one request every 1/LATENCY_RATE s, each timed on its own.
    const latencies: number[] = [];
    const pending: Array<Promise<void>> = [];
    const start = performance.now();
    for (let k = 0; k < LATENCY_RATE * DURATION_S; k++) {
      const due = start + (k * 1000) / LATENCY_RATE;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      pending.push(once().then((ms) => void latencies.push(ms)));
    }
    await Promise.all(pending);
    const rps = await closedLoop(DURATION_S);
    latencies.sort((a, b) => a - b);
    const pct = (p: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
    return { name, p50: pct(50), p90: pct(90), p99: pct(99), rps };
  } finally {
    await pool.end();
  }
}

/** What kysely sends for listJobs: the filters in the repository's order, newest first, limit + 1. */
function listQuery(filters: Record<string, string>): { text: string; values: unknown[] } {
  const columns: Array<[string, string]> = [
    ['compose_id', 'compose_id'],
    ['status', 'status'],
    ['arch', 'arch'],
    ['family', 'family'],
    ['image_type', 'type'],
    ['backend', 'backend'],
    ['release', 'release'],
  ];
  const where: string[] = [];
  const values: unknown[] = [];
  for (const [param, column] of columns) {
    if (filters[param] === undefined) continue;
    values.push(filters[param]);
    where.push(`"${column}" = $${values.length}`);
  }
  values.push(51);
  return {
    text: `select * from "jobs"${where.length ? ` where ${where.join(' and ')}` : ''} order by "job_id" desc limit $${values.length}`,
    values,
  };
}

async function sseLatency(
  base: string,
  bus: Bus,
  jobId: number,
): Promise<{ p50: number; p99: number; max: number }> {
  const abort = new AbortController();
  const res = await fetch(`${base}/api/v1/jobs/${jobId}/output/stream`, { signal: abort.signal });
  if (!res.ok || !res.body) throw new Error(`SSE: ${res.status}`);
  const received = new Map<number, number>();
  let wake: (() => void) | undefined;
  const reading = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          const id = /^id: (\d+)$/m.exec(buffer.slice(0, end))?.[1];
          buffer = buffer.slice(end + 2);
          if (id) received.set(Number(id), performance.now());
          wake?.();
        }
      }
    } catch {
      // Aborted at the end.
    }
  })();
  /** Resolves when line n has arrived (or after 5 s, which then counts as a 5 s latency). */
  const arrival = (n: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        wake = undefined;
        resolve();
      }, 5_000);
      wake = () => {
        if (!received.has(n)) return;
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
    });
  const latencies: number[] = [];
  for (let n = 1; n <= SSE_LINES; n++) {
    const arrived = arrival(n);
    const sent = performance.now();
    await bus.publish(`autocloud.job.${jobId}.output`, {
      job_id: jobId,
      lines: [{ n, ts: new Date().toISOString(), text: `bench line ${n}`, stream: 'test' }],
    });
    await arrived;
    latencies.push((received.get(n) ?? sent + 5_000) - sent);
    await new Promise((r) => setTimeout(r, 10));
  }
  abort.abort();
  await reading;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  return { p50: pct(50), p99: pct(99), max: latencies.at(-1) ?? 0 };
}

export async function benchApi(): Promise<void> {
  await prepareDatabase();
  const loadBefore = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  const nats = await startNatsServer();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = startServer({
    NATS_URL: nats.url,
    DATABASE_URL: databaseUrl(DB_NAME),
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
  });
  const bus = await Bus.connect({ servers: nats.url, service: 'bench', log: testLogger('bench') });
  try {
    await waitFor(async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status === 200, {
      timeoutMs: 60_000,
      intervalMs: 200,
      what: 'results-api serve to be ready',
    });
    const pick = new pg.Client({ connectionString: databaseUrl(DB_NAME) });
    await pick.connect();
    const picked = await pick.query<{ compose_id: string }>(
      `select compose_id from composes where compose_job_id = ${Math.floor(COMPOSES * 0.6)}`,
    );
    await pick.end();
    for (const f of LIST_FILTERS) if (f.compose_id === '') f.compose_id = picked.rows[0]?.compose_id ?? '';
    const listPaths = LIST_FILTERS.map(
      (f) => `/api/v1/jobs?${new URLSearchParams({ ...f, limit: '50' }).toString()}`,
    );
    const figures: Array<[Figures, Figures | undefined]> = [];
    figures.push([
      await cannon('GET /api/v1/jobs (8 filter combinations)', base, listPaths),
      await raw(
        'the same SELECTs through pg',
        LIST_FILTERS.map((f) => [listQuery(f)]),
      ),
    ]);
    const outputQueries = [
      [
        { text: 'select * from "jobs" where "job_id" = $1', values: [OUTPUT_JOB] },
        {
          text: 'select * from "output_lines" where "job_id" = $1 and "n" >= $2 order by "n" asc limit $3',
          values: [OUTPUT_JOB, 1, 1000],
        },
      ],
    ];
    figures.push([
      await cannon('GET /api/v1/jobs/{id}/output (1,000 lines)', base, [
        `/api/v1/jobs/${OUTPUT_JOB}/output?limit=1000`,
      ]),
      await raw('the same SELECTs through pg', outputQueries),
    ]);
    figures.push([
      await cannon('GET /jobs/{id}/output (web page, 2,000 lines)', base, [`/jobs/${OUTPUT_JOB}/output`]),
      undefined,
    ]);

    // A running job for the live stream.
    const admin = new pg.Client({ connectionString: databaseUrl(DB_NAME) });
    await admin.connect();
    const { rows } = await admin.query<{ job_id: string }>(
      "select job_id from jobs where status = 'running' order by job_id desc limit 1",
    );
    await admin.end();
    const liveJob = Number(rows[0]?.job_id);
    await bus.ensureTopology();
    const sse = await sseLatency(base, bus, liveJob);

    const ms = (v: number) => `${v.toFixed(2)} ms`.padStart(10);
    const out = [
      `api: ${JOBS} jobs, ${COMPOSES} composes; latency at ${LATENCY_RATE} req/s, throughput with ${CONNECTIONS} connections; ${DURATION_S} s per run; load average before: ${loadBefore}`,
      `  ${'what'.padEnd(48)} ${'p50'.padStart(10)} ${'p90'.padStart(10)} ${'p99'.padStart(10)} ${'max req/s'.padStart(9)}  vs pg`,
    ];
    for (const [api, baseline] of figures) {
      out.push(
        `  ${api.name.padEnd(48)} ${ms(api.p50)} ${ms(api.p90)} ${ms(api.p99)} ${api.rps.toFixed(0).padStart(9)}`,
      );
      if (baseline) {
        out.push(
          `  ${`  ${baseline.name}`.padEnd(48)} ${ms(baseline.p50)} ${ms(baseline.p90)} ${ms(baseline.p99)} ${baseline.rps.toFixed(0).padStart(9)}  API = ${((api.rps / baseline.rps) * 100).toFixed(0)} % of pg`,
        );
      }
    }
    out.push(
      `  live output, NATS publish -> SSE client (${SSE_LINES} lines): p50 ${sse.p50.toFixed(1)} ms, p99 ${sse.p99.toFixed(1)} ms, max ${sse.max.toFixed(1)} ms (goal: under 250 ms)`,
      `  goals: list p99 under 20 ms; API at least 50 % of the raw query rate`,
    );
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    await bus.close();
    server.kill('SIGTERM');
    await nats.dispose();
  }
}
