// /readyz follows PostgreSQL and NATS: 503 naming what is unreachable while it is, 200 again on its own once it is
// back; meanwhile API requests are 503s with a clear code, never 500s.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { type Bus } from '@autocloud/bus';
import { openDatabase, type DatabaseHandle } from '@autocloud/db';
import {
  createTestDatabase,
  freePort,
  startNatsServer,
  waitFor,
  type NatsServerHandle,
  type TestDatabase,
} from '@autocloud/testing';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type App } from './app.js';
import { buildTestApp, connectTestBus, seedCompose } from './test-support.js';

/** A TCP proxy to PostgreSQL that can be cut (every connection dropped, nothing accepted) and restored. */
async function pgProxy(
  port: number,
): Promise<{ cut(): Promise<void>; restore(): Promise<void>; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((client) => {
        const upstream = connect(5432, '127.0.0.1');
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => undefined);
        }
        client.pipe(upstream).pipe(client);
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
  const cut = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  };
  await listen();
  return { cut, restore: listen, close: cut };
}

let nats: NatsServerHandle;
let bus: Bus;
let database: TestDatabase;
let proxied: DatabaseHandle;
let proxy: Awaited<ReturnType<typeof pgProxy>>;
let app: App;

beforeAll(async () => {
  [nats, database] = await Promise.all([startNatsServer(), createTestDatabase()]);
  await seedCompose(database.handle, { jobs: [{}] });
  bus = await connectTestBus(nats.url);
  const port = await freePort();
  proxy = await pgProxy(port);
  const url = new URL(database.url);
  url.port = String(port);
  proxied = await openDatabase({ url: url.toString(), connectTimeoutMs: 1_000, poolSize: 2 });
  app = await buildTestApp(proxied, bus, { readinessTimeoutMs: 1_500 }, () => [
    { name: 'database', check: () => proxied.ping() },
    { name: 'nats', check: () => bus.ping() },
  ]);
});

afterAll(async () => {
  await app?.close();
  await proxied?.close();
  await proxy?.close();
  await bus?.close();
  await database?.drop();
  await nats?.dispose();
});

const readyz = async () => {
  const res = await app.inject('/readyz');
  return { status: res.statusCode, body: res.json<{ status: string; failures?: Record<string, string> }>() };
};

test('PostgreSQL unreachable: 503 on /readyz and the API, then ready again by itself', async () => {
  expect(await readyz()).toEqual({ status: 200, body: { status: 'ready' } });
  await proxy.cut();
  const down = await readyz();
  expect(down.status).toBe(503);
  expect(Object.keys(down.body.failures ?? {})).toEqual(['database']);
  const api = await app.inject('/api/v1/jobs');
  expect(api.statusCode).toBe(503);
  expect(api.json()).toMatchObject({ error: { code: 'DATABASE_UNAVAILABLE' } });
  expect(api.headers['retry-after']).toBe('5');
  const page = await app.inject({ url: '/jobs', headers: { accept: 'text/html' } });
  expect(page.statusCode).toBe(503);
  expect(page.body).toMatch(/unreachable/);

  await proxy.restore();
  await waitFor(async () => (await readyz()).status === 200, { timeoutMs: 15_000, what: 'ready again' });
  expect((await app.inject('/api/v1/jobs')).statusCode).toBe(200);
});

test('NATS unreachable: 503 on /readyz, then ready again once it is back', async () => {
  await nats.stop();
  await waitFor(async () => (await readyz()).status === 503, { timeoutMs: 10_000, what: 'not ready' });
  expect(Object.keys((await readyz()).body.failures ?? {})).toEqual(['nats']);
  // Reads from PostgreSQL still work without NATS.
  expect((await app.inject('/api/v1/jobs')).statusCode).toBe(200);
  await nats.restart();
  await waitFor(async () => (await readyz()).status === 200, { timeoutMs: 15_000, what: 'ready again' });
});
