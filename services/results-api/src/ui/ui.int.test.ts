// The web UI through inject() on real PostgreSQL and NATS: the original routes render, filters stay in the URL,
// user data is escaped, output lines have #N anchors, and rerun/cancel need a signed-in user and the form's token.
import { type Bus } from '@autocloud/bus';
import { type Job } from '@autocloud/db';
import {
  createTestDatabase,
  startNatsServer,
  streamMessages,
  waitFor,
  type NatsServerHandle,
  type TestDatabase,
} from '@autocloud/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type App } from '../http/app.js';
import {
  buildTestApp,
  connectTestBus,
  seedCompose,
  seedOutput,
  seedSteps,
  TOKEN,
} from '../http/test-support.js';

let nats: NatsServerHandle;
let bus: Bus;
let database: TestDatabase;
let app: App;
let done: Job;
let live: Job;
let composeJobId: number;

beforeAll(async () => {
  [nats, database] = await Promise.all([startNatsServer(), createTestDatabase()]);
  bus = await connectTestBus(nats.url);
  app = await buildTestApp(database.handle, bus);
  const first = await seedCompose(database.handle, {
    jobs: [
      {
        key: 'Fedora-Cloud-Base-Generic',
        update: { status: 'success', boot_ms: 21_000, trace_id: 'a'.repeat(32) },
      },
      {
        key: 'Fedora-Cloud-Base-Generic',
        arch: 'aarch64',
        update: { status: 'failed', reason: '<b>boom</b>' },
      },
    ],
  });
  composeJobId = first.compose.compose_job_id;
  done = first.jobs[0]!;
  await seedSteps(database.handle, done.job_id, [
    { command: 'POLL', passed: true },
    { command: 'curl -sf http://localhost/ && echo "<ok>"', passed: true, first_line: 2 },
  ]);
  await seedOutput(database.handle, done.job_id, ['boot', '<script>alert("x")</script>', 'done']);
  const second = await seedCompose(database.handle, {
    status: 'running',
    jobs: [{ key: 'Fedora-Cloud-Base-Generic', update: { status: 'running', started_at: new Date() } }],
  });
  live = second.jobs[0]!;
});

afterAll(async () => {
  await app?.close();
  await bus?.close();
  await database?.drop();
  await nats?.dispose();
});

const page = async (url: string, headers: Record<string, string> = {}) => {
  const res = await app.inject({ url, headers: { accept: 'text/html', ...headers } });
  return { status: res.statusCode, html: res.body, headers: res.headers };
};

describe('pages', () => {
  test('/ leads to /compose; /compose and /composes list composes with their jobs link', async () => {
    const root = await app.inject('/');
    expect(root.statusCode).toBe(302);
    expect(root.headers.location).toBe('/compose');
    for (const path of ['/compose', '/composes']) {
      const res = await page(path);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.html).toContain(`href="/jobs/${composeJobId}"`);
      expect(res.html).toContain('href="https://kojipkgs.fedoraproject.org/compose/cloud/');
      expect(res.html).toMatch(/✓ 1<\/span>/);
    }
    expect((await page('/compose?status=running')).html).not.toContain(`href="/jobs/${composeJobId}"`);
    expect((await page('/compose?status=')).status).toBe(200); // an empty filter means any
    expect((await page('/compose?status=nonsense')).status).toBe(400);
  });

  test('/jobs keeps its filters in the form and the pager', async () => {
    const res = await page('/jobs?arch=aarch64&status=failed&family=&limit=1');
    expect(res.status).toBe(200);
    expect(res.html).toContain('value="aarch64"');
    expect(res.html).toMatch(/<option value="failed"\s+selected>/);
    expect(res.html).toContain(`/jobs/${done.job_id + 1}/output`);
    expect(res.html).not.toContain(`/jobs/${done.job_id}/output`);
    const all = await page('/jobs?limit=1');
    expect(all.html).toMatch(
      /href="\/jobs\?limit=1&amp;cursor=[A-Za-z0-9_-]+" rel="next"|rel="next" href="\/jobs\?limit=1&amp;cursor=/,
    );
    expect((await page('/jobs?status=bogus')).html).toMatch(/must be one of/);
  });

  test('/jobs/{compose_job_id} is the jobs of one compose (the original route); unknown is a 404 page', async () => {
    const res = await page(`/jobs/${composeJobId}`);
    expect(res.status).toBe(200);
    expect(res.html).toContain(`/jobs/${done.job_id}/output`);
    expect(res.html).not.toContain(`/jobs/${live.job_id}/output`);
    const missing = await page('/jobs/999999');
    expect(missing.status).toBe(404);
    expect(missing.html).toMatch(/Not found/);
  });

  test('/jobs/{job_id}/output: facts, steps, numbered lines with #N anchors, everything escaped', async () => {
    const res = await page(`/jobs/${done.job_id}/output`);
    expect(res.status).toBe(200);
    expect(res.html).toContain('<div class="line s-test" id="2"><a class="n" href="#2">2</a>');
    expect(res.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(res.html).not.toContain('<script>alert');
    expect(res.html).toContain('curl -sf http://localhost/ &amp;&amp; echo &quot;&lt;ok&gt;&quot;');
    expect(res.html).toContain('href="#2">line 2</a>');
    expect(res.html).toContain(done.image_url);
    expect(res.html).toContain('a'.repeat(32));
    expect(res.html).toContain('data-live="false"');
    expect(res.html).toMatch(/Boot to SSH<\/dt>\s*<dd>21 s/);
    const failed = await page(`/jobs/${done.job_id + 1}/output`);
    expect(failed.html).toContain('&lt;b&gt;boom&lt;/b&gt;');
    const running = await page(`/jobs/${live.job_id}/output`);
    expect(running.html).toContain('data-live="true"');
    expect(running.html).toContain('<noscript><meta http-equiv="refresh" content="10" /></noscript>');
    expect((await page('/jobs/999999/output')).status).toBe(404);
  });

  test('the trace id links to the tracing UI when a template is set', async () => {
    const traced = await buildTestApp(database.handle, bus, {
      tracingUrlTemplate: 'https://trace.example/t/{trace_id}',
    });
    try {
      const res = await traced.inject(`/jobs/${done.job_id}/output`);
      expect(res.body).toContain(`href="https://trace.example/t/${'a'.repeat(32)}"`);
    } finally {
      await traced.close();
    }
  });

  test('/history lists images; an image page has its timeline and boot chart', async () => {
    const index = await page('/history');
    expect(index.html).toContain(
      '/history?image=Fedora-Cloud-Base-Generic&amp;arch=x86_64&amp;type=qcow2&amp;release=41',
    );
    const res = await page('/history?image=Fedora-Cloud-Base-Generic&arch=x86_64&type=qcow2&release=41');
    expect(res.status).toBe(200);
    expect(res.html).toContain('Last good compose');
    expect(res.html).toMatch(/<svg\s+role="img"/);
    expect(res.html).toMatch(/<rect class="bar bar-success"/);
    expect(res.html).toMatch(/class="tick tick-success"/);
    expect((await page('/history?image=Nope&arch=x86_64&type=qcow2&release=41')).status).toBe(404);
  });

  test('static assets are served with a content hash', async () => {
    const html = (await page('/compose')).html;
    const css = /href="(\/static\/app\.css\?v=[0-9a-f]{12})"/.exec(html)?.[1];
    const js = /src="(\/static\/app\.js\?v=[0-9a-f]{12})"/.exec(html)?.[1];
    expect(css && js).toBeTruthy();
    const cssRes = await app.inject(css!);
    expect(cssRes.headers['content-type']).toMatch(/^text\/css/);
    expect(cssRes.headers['cache-control']).toMatch(/immutable/);
    expect((await app.inject(js!)).headers['content-type']).toMatch(/javascript/);
    expect((await app.inject('/static/nothing.js')).statusCode).toBe(404);
  });
});

describe('signing in, rerun and cancel', () => {
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  const postForm = (url: string, fields: Record<string, string>, cookie?: string) =>
    app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
      payload: form(fields),
    });

  test('a bad token is refused; a good one signs in with an HttpOnly SameSite cookie', async () => {
    const bad = await postForm('/login', { token: 'nope', next: '/jobs' });
    expect(bad.statusCode).toBe(401);
    expect(bad.body).toContain('That token is not valid');
    expect(bad.headers['set-cookie']).toBeUndefined();
    const good = await postForm('/login', { token: TOKEN, next: '//evil.example/' });
    expect(good.statusCode).toBe(303);
    expect(good.headers.location).toBe('/compose'); // never off-site
    expect(String(good.headers['set-cookie'])).toMatch(
      /^autocloud_token=.+; Path=\/; HttpOnly; SameSite=Strict/,
    );
  });

  test('signed out: no forms, a sign-in link, and a POST goes to sign in', async () => {
    const res = await page(`/jobs/${done.job_id}/output`);
    expect(res.html).not.toContain(`action="/jobs/${done.job_id}/rerun"`);
    expect(res.html).toContain(`/login?next=${encodeURIComponent(`/jobs/${done.job_id}/output`)}`);
    const post = await postForm(`/jobs/${done.job_id}/rerun`, {});
    expect(post.statusCode).toBe(303);
    expect(post.headers.location).toMatch(/^\/login\?next=/);
  });

  test('signed in: rerun needs the form token, then publishes and comes back with a notice', async () => {
    const cookie = `autocloud_token=${encodeURIComponent(TOKEN)}`;
    const res = await page(`/jobs/${done.job_id}/output`, { cookie });
    expect(res.html).toContain(`action="/jobs/${done.job_id}/rerun"`);
    const csrf = /name="csrf" value="([^"]+)"/.exec(res.html)?.[1];
    expect(csrf).toBeTruthy();
    // A forged form (no token, or another one) does nothing.
    expect((await postForm(`/jobs/${done.job_id}/rerun`, {}, cookie)).statusCode).toBe(403);
    expect(
      (await postForm(`/jobs/${done.job_id}/rerun`, { csrf: 'x' + csrf!.slice(1) }, cookie)).statusCode,
    ).toBe(403);
    expect(await streamMessages(bus.jsm, 'AUTOCLOUD', 'autocloud.control.rerun')).toHaveLength(0);

    const ok = await postForm(`/jobs/${done.job_id}/rerun`, { csrf: csrf! }, cookie);
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe(`/jobs/${done.job_id}/output?notice=rerun`);
    await waitFor(
      async () => (await streamMessages(bus.jsm, 'AUTOCLOUD', 'autocloud.control.rerun')).length === 1,
    );
    expect((await page(String(ok.headers.location), { cookie })).html).toContain('Rerun requested');

    // A running job offers cancel; with no runner holding it, the page says so.
    const running = await page(`/jobs/${live.job_id}/output`, { cookie });
    expect(running.html).toContain(`action="/jobs/${live.job_id}/cancel"`);
    const cancel = await postForm(`/jobs/${live.job_id}/cancel`, { csrf: csrf! }, cookie);
    expect(cancel.statusCode).toBe(409);
    expect(cancel.body).toMatch(/not running on any runner/);

    const out = await postForm('/logout', { csrf: csrf! }, cookie);
    expect(out.statusCode).toBe(303);
    expect(String(out.headers['set-cookie'])).toMatch(/Max-Age=0/);
  });
});
