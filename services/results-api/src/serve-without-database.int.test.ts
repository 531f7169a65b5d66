// `results-api serve` started while PostgreSQL does not answer: it serves anyway, says on /readyz what is missing,
// and is ready by itself once the database answers (no crash loop, no restart needed).
import { createServer, connect, type Server } from 'node:net';
import {
  createTestDatabase,
  freePort,
  spawnService,
  startNatsServer,
  waitFor,
  type NatsServerHandle,
  type ServiceProcess,
  type TestDatabase,
} from '@autocloud/testing';
import { afterAll, beforeAll, expect, test } from 'vitest';

let nats: NatsServerHandle;
let database: TestDatabase;
let serve: ServiceProcess | undefined;
let proxy: Server | undefined;

beforeAll(async () => {
  [nats, database] = await Promise.all([startNatsServer(), createTestDatabase()]);
});
afterAll(async () => {
  await serve?.stop();
  await new Promise((resolve) => (proxy ? proxy.close(resolve) : resolve(undefined)));
  await Promise.all([database?.drop(), nats?.dispose()]);
});

async function readyz(
  port: number,
): Promise<{ status: number; body: { failures?: Record<string, string> } }> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: (await res.json()) as { failures?: Record<string, string> } };
}

test('starts without PostgreSQL, reports not ready, and is ready once PostgreSQL answers', async () => {
  const [port, dbPort] = await Promise.all([freePort(), freePort()]);
  const url = new URL(database.url);
  url.port = String(dbPort);
  serve = spawnService(
    'results-api',
    {
      ...(process.env as Record<string, string>),
      DATABASE_URL: url.toString(),
      NATS_URL: nats.url,
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    ['serve'],
  );
  await serve.waitForLog(/"msg":"HTTP listening"/, 60_000);
  expect(serve.output()).toMatch(/does not answer yet/);
  const down = await readyz(port);
  expect(down.status).toBe(503);
  expect(Object.keys(down.body.failures ?? {})).toEqual(['database']);

  // The database comes up (a TCP forwarder to the real one starts listening on the port it was given).
  proxy = createServer((client) => {
    const upstream = connect(Number(new URL(database.url).port || 5432), '127.0.0.1');
    for (const s of [client, upstream]) s.on('error', () => undefined);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => proxy!.listen(dbPort, '127.0.0.1', resolve));
  await waitFor(async () => (await readyz(port)).status === 200, {
    timeoutMs: 30_000,
    intervalMs: 500,
    what: '/readyz to turn 200',
  });
  const jobs = await fetch(`http://127.0.0.1:${port}/api/v1/jobs`);
  expect(jobs.status).toBe(200);
});
