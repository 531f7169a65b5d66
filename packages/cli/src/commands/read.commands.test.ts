// The read commands against a stand-in API that answers in the shapes of @autocloud/schemas: what --json prints,
// which query each filter becomes, how the API's errors are reported.
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { type ComposePage, type JobDetail, type JobResource } from '@autocloud/schemas';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCli } from '../cli.js';

const job = (id: number): JobResource => ({
  job_id: id,
  compose_job_id: 1,
  compose_id: 'Fedora-Cloud-41-20241020.0',
  image_name: 'Fedora-Cloud-Base-Generic-41-20241020.0',
  image: 'Fedora-Cloud-Base-Generic',
  image_url: 'https://kojipkgs.fedoraproject.org/compose/x.qcow2',
  image_path: 'Cloud/x86_64/images/x.qcow2',
  sha256: 'a'.repeat(64),
  size: 1024,
  type: 'qcow2',
  format: 'qcow2',
  variant: 'Cloud',
  subvariant: 'Cloud_Base',
  arch: 'x86_64',
  family: 'Base',
  release: '41',
  backend: 'libvirt',
  plan: 'fedora-cloud-base',
  status: 'success',
  reason: null,
  reason_code: null,
  attempt: 1,
  rerun_of: null,
  superseded: false,
  hypervisor: 'qemu-tcg',
  runner: 'vm',
  trace_id: null,
  summary: { total: 3, passed: 3, failed: 0, skipped: 0 },
  boot_ms: 30_000,
  duration_ms: 90_000,
  output_lines: 12,
  queued_at: '2024-10-20T10:00:00.000Z',
  started_at: '2024-10-20T10:00:01.000Z',
  finished_at: '2024-10-20T10:01:31.000Z',
});

const composes: ComposePage = {
  items: [
    {
      compose_job_id: 1,
      compose_id: 'Fedora-Cloud-41-20241020.0',
      location: 'https://kojipkgs.fedoraproject.org/compose/cloud/Fedora-Cloud-41-20241020.0/compose',
      release: '41',
      date: '20241020',
      respin: 0,
      type: 'production',
      label: null,
      pungi_status: 'FINISHED',
      status: 'complete',
      reason: null,
      job_count: 2,
      passed: 2,
      failed: 0,
      aborted: 0,
      trace_id: null,
      created_at: '2024-10-20T10:00:00.000Z',
      started_at: '2024-10-20T10:00:01.000Z',
      completed_at: '2024-10-20T10:02:00.000Z',
    },
  ],
  next_cursor: null,
};

let server: Server;
let url: string;
const queries: URLSearchParams[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (u.pathname === '/api/v1/composes') return send(200, composes);
    if (u.pathname === '/api/v1/jobs') {
      queries.push(u.searchParams);
      return u.searchParams.get('cursor') === 'p2'
        ? send(200, { items: [job(1)], next_cursor: null })
        : send(200, { items: [job(2)], next_cursor: 'p2' });
    }
    if (u.pathname === '/api/v1/jobs/2') {
      const detail: JobDetail = { ...job(2), steps: [] };
      return send(200, detail);
    }
    send(404, { error: { code: 'JOB_NOT_FOUND', message: `no job ${u.pathname.split('/').pop()}` } });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    env: { AUTOCLOUD_URL: url, AUTOCLOUD_HOME: '/nonexistent/autocloud-home' },
    cwd: process.cwd(),
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    interrupt: new AbortController().signal,
    forceInterrupt: new AbortController().signal,
  });
  return { code, stdout, stderr };
}

describe('--json prints the API’s shapes', () => {
  test('composes: the page as the API sent it', async () => {
    const r = await run('composes', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(composes);
  });

  test('jobs: the page, filters as the API names them; --all joins the pages', async () => {
    queries.length = 0;
    const one = await run(
      'jobs',
      '--json',
      '--compose',
      'F-1',
      '--status',
      'failed',
      '--image-type',
      'qcow2',
      '--limit',
      '5',
    );
    expect(one.code).toBe(0);
    expect(JSON.parse(one.stdout)).toEqual({ items: [job(2)], next_cursor: 'p2' });
    expect(Object.fromEntries(queries[0]!)).toEqual({
      compose_id: 'F-1',
      status: 'failed',
      image_type: 'qcow2',
      limit: '5',
    });

    const all = await run('jobs', '--json', '--all');
    expect(JSON.parse(all.stdout)).toEqual({ items: [job(2), job(1)], next_cursor: null });
  });

  test('job: the job with its steps', async () => {
    const r = await run('job', '2', '--json');
    expect(JSON.parse(r.stdout)).toEqual({ ...job(2), steps: [] });
  });
});

test('tables for people', async () => {
  const r = await run('jobs');
  expect(r.stdout.split('\n')[0]).toMatch(
    /^JOB\s+COMPOSE\s+IMAGE\s+TYPE\s+ARCH\s+BACKEND\s+STATUS\s+DURATION\s+QUEUED$/,
  );
  expect(r.stdout).toMatch(/\b2 {2}Fedora-Cloud-41-20241020\.0 .* success +1m 30s/);
  expect(r.stderr).toMatch(/more: --cursor p2/);
});

test("the API's errors are reported with their code (exit 1)", async () => {
  const r = await run('job', '404');
  expect(r.code).toBe(1);
  expect(r.stderr).toBe('autocloud: no job 404 (HTTP 404 JOB_NOT_FOUND)\n');
});
