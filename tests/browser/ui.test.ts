/// <reference lib="dom" />
// The web UI in a real browser (Debian's Chromium through playwright-core) against results-api as it runs: recorder
// and server in one process, real PostgreSQL and nats-server, results fed in over the bus as the other services
// would. Opens each page, uses the filters, follows a line anchor, watches a running job's output grow, signs in
// and reruns; screenshots go to tests/browser/screenshots/.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Bus } from '@autocloud/bus';
import {
  type ComposeResolved,
  type ImageEvent,
  type JobStep,
  type OutputLine,
  type PlannedJob,
} from '@autocloud/schemas';
import {
  createTestDatabase,
  freePort,
  spawnService,
  startNatsServer,
  testLogger,
  waitFor,
  type NatsServerHandle,
  type ServiceProcess,
  type TestDatabase,
} from '@autocloud/testing';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = join(import.meta.dirname, 'screenshots');
const TOKEN = 'browser-test-token';

interface ApiJob {
  job_id: number;
  compose_job_id: number;
  compose_id: string;
  arch: string;
  type: string;
  status: string;
  image_name: string;
  image_url: string;
  release: string;
  family: string;
}

let nats: NatsServerHandle;
let database: TestDatabase;
let service: ServiceProcess;
let bus: Bus;
let browser: Browser;
let base: string;
/** Per compose (oldest first), its jobs (x86_64 qcow2, aarch64 qcow2). */
const composeJobs: ApiJob[][] = [];
let running: ApiJob;

const api = async <T>(path: string): Promise<T> => {
  const res = await fetch(`${base}${path}`);
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return (await res.json()) as T;
};

function planned(composeId: string, arch: string): PlannedJob {
  const name = `Fedora-Cloud-Base-Generic-41-${composeId.split('-').pop()}`;
  const path = `Cloud/${arch}/images/${name}.${arch}.qcow2`;
  return {
    image_url: `https://kojipkgs.fedoraproject.org/compose/cloud/${composeId}/compose/${path}`,
    path,
    sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    size: 536_870_912,
    type: 'qcow2',
    format: 'qcow2',
    variant: 'Cloud',
    arch,
    subvariant: 'Cloud_Base',
    family: 'Base',
    image_name: name,
    backend: 'libvirt',
    plan: 'fedora-cloud-base',
  };
}

function event(job: ApiJob, status: ImageEvent['status'], extra: Partial<ImageEvent> = {}): ImageEvent {
  return {
    compose_id: job.compose_id,
    compose_url: job.image_url,
    image_name: job.image_name,
    status,
    job_id: job.job_id,
    release: job.release,
    family: job.family,
    type: job.type,
    arch: job.arch,
    compose_job_id: job.compose_job_id,
    ...extra,
  };
}

const lines = (from: number, texts: string[], step = 1): OutputLine[] =>
  texts.map((text, i) => ({
    n: from + i,
    ts: new Date().toISOString(),
    text,
    step,
    stream: 'test' as const,
  }));

function step(idx: number, command: string, state: 'running' | 'passed' | 'failed', first: number): JobStep {
  const started = '2024-10-20T12:00:00.000Z';
  if (state === 'running')
    return { idx, command, kind: 'command', passed: false, started_at: started, first_line: first };
  return {
    idx,
    command,
    kind: idx === 0 ? 'poll' : 'command',
    passed: state === 'passed',
    exit_code: state === 'passed' ? 0 : 7,
    started_at: started,
    finished_at: '2024-10-20T12:00:02.500Z',
    duration_ms: 2500,
    first_line: first,
    last_line: first + 1,
  };
}

/** Runs a job as a runner would: running, steps and output, then its final event. */
async function runJob(job: ApiJob, outcome: 'success' | 'failed', bootMs: number): Promise<void> {
  await bus.publish(
    'autocloud.image.running',
    event(job, 'running', { runner: 'runner-1', hypervisor: 'qemu' }),
  );
  await bus.publish(`autocloud.job.${job.job_id}.output`, {
    job_id: job.job_id,
    lines: lines(1, [
      'Booting the image',
      'SSH is up',
      '$ sudo systemctl is-active sshd',
      'active',
      '$ curl -sf http://localhost/',
      outcome === 'success' ? '<html>It works</html>' : 'curl: (7) Failed to connect to localhost port 80',
    ]),
  });
  await bus.publish(`autocloud.job.${job.job_id}.steps`, {
    job_id: job.job_id,
    steps: [
      step(0, 'POLL', 'passed', 1),
      step(1, 'sudo systemctl is-active sshd', 'passed', 3),
      step(2, 'curl -sf http://localhost/', outcome === 'success' ? 'passed' : 'failed', 5),
    ],
  });
  await bus.publish(
    `autocloud.image.${outcome}`,
    event(job, outcome, {
      boot_ms: bootMs,
      duration_ms: bootMs + 9_000,
      summary: {
        total: 3,
        passed: outcome === 'success' ? 3 : 2,
        failed: outcome === 'success' ? 0 : 1,
        skipped: 0,
      },
      ...(outcome === 'failed' ? { reason: 'curl -sf http://localhost/ exited 7', reason_code: 'test' } : {}),
    }),
  );
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium`);
  await mkdir(SHOTS, { recursive: true });
  [nats, database] = await Promise.all([startNatsServer(), createTestDatabase()]);
  await database.handle.close();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  service = spawnService('results-api', {
    NATS_URL: nats.url,
    DATABASE_URL: database.url,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    API_TOKEN_HASHES: createHash('sha256').update(TOKEN).digest('hex'),
  });
  await waitFor(async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status === 200, {
    timeoutMs: 60_000,
    intervalMs: 250,
    what: `results-api to be ready:\n${service.output().slice(-2000)}`,
  });
  bus = await Bus.connect({ servers: nats.url, service: 'browser-test', log: testLogger('bus') });

  // Three nightly composes: the x86_64 image passes twice, then fails; boot slows down. A fourth is running.
  const ids = [
    'Fedora-Cloud-41-20241020.n.0',
    'Fedora-Cloud-41-20241021.n.0',
    'Fedora-Cloud-41-20241022.n.0',
  ];
  ids.push('Fedora-Cloud-41-20241023.n.0');
  for (const [i, composeId] of ids.entries()) {
    const resolved: ComposeResolved = {
      compose_id: composeId,
      location: `https://kojipkgs.fedoraproject.org/compose/cloud/${composeId}/compose`,
      pungi_status: 'FINISHED',
      release: '41',
      date: `2024102${i}`,
      respin: 0,
      type: 'nightly',
      label: null,
      jobs: [planned(composeId, 'x86_64'), planned(composeId, 'aarch64')],
    };
    await bus.publish('autocloud.compose.resolved', resolved);
    const jobs = await waitFor(
      async () => {
        const page = await api<{ items: ApiJob[] }>(`/api/v1/jobs?compose_id=${composeId}`);
        return page.items.length === 2 ? page.items.sort((a, b) => a.job_id - b.job_id) : undefined;
      },
      { what: `the jobs of ${composeId}` },
    );
    composeJobs.push(jobs);
  }
  for (const [i, [x86, arm]] of composeJobs.slice(0, 3).entries()) {
    await runJob(x86!, i < 2 ? 'success' : 'failed', 18_000 + i * 6_000);
    await runJob(arm!, 'success', 30_000);
  }
  running = composeJobs[3]![0]!;
  await bus.publish('autocloud.image.running', event(running, 'running', { runner: 'runner-2' }));
  await bus.publish(`autocloud.job.${running.job_id}.output`, {
    job_id: running.job_id,
    lines: lines(1, ['Booting the image', 'Waiting for SSH']),
  });
  await waitFor(
    async () => {
      const failed = await api<{ items: ApiJob[] }>('/api/v1/jobs?status=failed');
      const live = await api<{ output_lines: number; status: string }>(`/api/v1/jobs/${running.job_id}`);
      return failed.items.length === 1 && live.status === 'running' && live.output_lines === 2;
    },
    { timeoutMs: 20_000, what: 'the recorder to store the results' },
  );
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await bus?.close();
  await service?.stop();
  await database?.drop();
  await nats?.dispose();
});

async function open(path: string, viewport = { width: 1280, height: 900 }): Promise<Page> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  (page as Page & { errors: string[] }).errors = errors;
  await page.goto(`${base}${path}`);
  return page;
}
const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
const pageErrors = (page: Page) => (page as Page & { errors: string[] }).errors;

describe('web UI in Chromium', () => {
  test('composes list, newest first, leads to the jobs of a compose', async () => {
    const page = await open('/compose');
    const rows = page.locator('table.list tbody tr');
    expect(await rows.count()).toBe(4);
    expect(await rows.first().locator('td').first().innerText()).toContain('Fedora-Cloud-41-20241023.n.0');
    await shot(page, 'composes');
    await rows
      .nth(1)
      .getByRole('link', { name: /2 jobs/ })
      .click();
    await page.waitForURL(new RegExp(`/jobs/${composeJobs[2]![0]!.compose_job_id}$`));
    expect(await page.locator('table.list tbody tr').count()).toBe(2);
    await shot(page, 'compose-jobs');
    expect(pageErrors(page)).toEqual([]);
    await page.context().close();
  });

  test('job filters stay in the URL', async () => {
    const page = await open('/jobs');
    await page.selectOption('select[name="status"]', 'success');
    await page.fill('input[name="arch"]', 'aarch64');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/status=success/);
    const url = new URL(page.url());
    expect(url.searchParams.get('arch')).toBe('aarch64');
    expect(url.searchParams.get('status')).toBe('success');
    expect(url.searchParams.has('family')).toBe(true); // empty fields are sent, and mean "any"
    const statuses = await page.locator('table.list tbody td[data-label="Status"]').allInnerTexts();
    expect(statuses).toHaveLength(3);
    expect(statuses.every((s) => s.includes('success'))).toBe(true);
    // The filter survives a reload: the view is its URL.
    await page.reload();
    expect(await page.inputValue('input[name="arch"]')).toBe('aarch64');
    await shot(page, 'jobs-filtered');
    await page.context().close();
  });

  test('a job page: facts, steps, numbered lines; a line anchor is followed and highlighted', async () => {
    const failed = composeJobs[2]![0]!;
    const page = await open(`/jobs/${failed.job_id}/output#6`);
    await expect.poll(() => page.evaluate(() => document.querySelector(':target')?.id)).toBe('6');
    const highlighted = await page.evaluate(
      () => getComputedStyle(document.getElementById('6')!).backgroundColor,
    );
    expect(highlighted).not.toBe('rgba(0, 0, 0, 0)');
    expect(await page.locator('#steps tr').count()).toBe(3);
    expect(await page.locator('#step-2').innerText()).toMatch(/failed/);
    // Following a step's output link moves the anchor.
    await page.locator('#step-1').getByRole('link', { name: 'line 3' }).click();
    await page.waitForURL(/#3$/);
    expect(await page.evaluate(() => document.querySelector(':target')?.id)).toBe('3');
    expect(await page.locator('#job-status').innerText()).toMatch(/failed/);
    expect(await page.getByText('Boot to SSH').count()).toBe(1);
    await shot(page, 'job-failed');
    expect(pageErrors(page)).toEqual([]);
    await page.context().close();
  });

  test('image history: timeline, last good and first bad compose, failing step, boot time trend', async () => {
    const page = await open('/history');
    await page
      .getByRole('row', { name: /Fedora-Cloud-Base-Generic.*x86_64/ })
      .getByRole('link')
      .first()
      .click();
    await page.waitForURL(/\/history\?image=Fedora-Cloud-Base-Generic&arch=x86_64/);
    expect(await page.locator('.card.good').innerText()).toContain('Fedora-Cloud-41-20241021.n.0');
    expect(await page.locator('.card.bad').innerText()).toContain('Fedora-Cloud-41-20241022.n.0');
    expect(await page.locator('.card.bad').innerText()).toContain('curl -sf http://localhost/');
    expect(await page.locator('.timeline li').count()).toBe(4);
    expect(await page.locator('svg rect.bar').count()).toBe(3); // the running job has no boot time yet
    await shot(page, 'history');
    await page.context().close();
  });

  test("a running job's output grows live, its steps update, and the page notices the end", async () => {
    const page = await open(`/jobs/${running.job_id}/output`);
    expect(await page.locator('#output .line').count()).toBe(2);
    await bus.publish(`autocloud.job.${running.job_id}.output`, {
      job_id: running.job_id,
      lines: lines(3, ['SSH is up', '$ sudo systemctl is-active sshd']),
    });
    await page.locator('[id="4"]').waitFor({ timeout: 5_000 });
    await bus.publish(`autocloud.job.${running.job_id}.steps`, {
      job_id: running.job_id,
      steps: [step(0, 'POLL', 'passed', 1), step(1, 'sudo systemctl is-active sshd', 'running', 4)],
    });
    await page.locator('#step-1').waitFor({ timeout: 5_000 });
    expect(await page.locator('#step-1').innerText()).toMatch(/running/);
    expect(await page.locator('#line-count').innerText()).toBe('4 lines');
    await shot(page, 'job-live');

    await bus.publish(`autocloud.job.${running.job_id}.output`, {
      job_id: running.job_id,
      lines: lines(5, ['active']),
    });
    await bus.publish(`autocloud.job.${running.job_id}.steps`, {
      job_id: running.job_id,
      steps: [step(1, 'sudo systemctl is-active sshd', 'passed', 4)],
    });
    await bus.publish('autocloud.image.success', event(running, 'success', { boot_ms: 40_000 }));
    await expect.poll(() => page.locator('#job-status').innerText(), { timeout: 5_000 }).toMatch(/success/);
    expect(await page.locator('[id="5"] .t').innerText()).toBe('active');
    expect(await page.locator('#step-1').innerText()).toMatch(/passed/);
    expect(await page.locator('#live-note').innerText()).toMatch(/ended: success/);
    // Exactly one of each line, in order.
    expect(await page.locator('#output .line .n').allInnerTexts()).toEqual(['1', '2', '3', '4', '5']);
    await shot(page, 'job-ended');
    expect(pageErrors(page)).toEqual([]);
    await page.context().close();
  });

  test('on a phone: no sideways scrolling, statuses readable without colour', async () => {
    for (const path of ['/compose', '/jobs', `/jobs/${composeJobs[2]![0]!.job_id}/output`]) {
      const page = await open(path, { width: 375, height: 812 });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, path).toBeLessThanOrEqual(0);
      const name = path === '/compose' ? 'phone-composes' : path === '/jobs' ? 'phone-jobs' : 'phone-job';
      await shot(page, name);
      await page.context().close();
    }
    const page = await open('/jobs?status=failed');
    // Each status badge carries a symbol and a word, not only a colour.
    expect(await page.locator('.status').first().innerText()).toMatch(/✗\s*failed/);
    await page.context().close();
  });

  test('signing in offers rerun; the rerun is recorded as a new attempt', async () => {
    const job = composeJobs[2]![0]!;
    const page = await open(`/jobs/${job.job_id}/output`);
    expect(await page.getByRole('button', { name: 'Rerun' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Sign in' }).first().click();
    await page.fill('input[name="token"]', TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(new RegExp(`/jobs/${job.job_id}/output$`));
    await page.getByRole('button', { name: 'Rerun' }).click();
    await page.waitForURL(/notice=rerun/);
    expect(await page.locator('.notice').innerText()).toMatch(/Rerun requested/);
    await shot(page, 'rerun-requested');
    const attempts = await waitFor(async () => {
      const jobs = await api<{ items: Array<{ attempt: number; status: string }> }>(
        `/api/v1/jobs?compose_id=${job.compose_id}&arch=x86_64`,
      );
      return jobs.items.length === 2 ? jobs.items : undefined;
    });
    expect(attempts.map((j) => [j.attempt, j.status])).toEqual([
      [2, 'queued'],
      [1, 'failed'],
    ]);
    await page.context().close();
  });

  test('Swagger UI renders the API', async () => {
    const page = await open('/docs');
    await page.getByText('/api/v1/jobs/{job_id}/output/stream').first().waitFor({ timeout: 15_000 });
    await shot(page, 'api-docs');
    await page.context().close();
  });
});
