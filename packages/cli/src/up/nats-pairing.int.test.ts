// A home's PGlite database joins a running NATS only when that NATS holds no other database's Autocloud streams.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { freePort, startNatsServer, type NatsServerHandle } from '@autocloud/testing';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runCli } from '../cli.js';
import { autocloudStreamCreated, pairedWith, writePairing } from './nats-pairing.js';

let nats: NatsServerHandle;
let home: string;

beforeAll(async () => {
  nats = await startNatsServer();
  home = await mkdtemp(join(tmpdir(), 'autocloud-pairing-'));
});
afterAll(async () => {
  await nats.dispose();
  await rm(home, { recursive: true, force: true });
});

test('an empty NATS is fine; one with another database’s streams is not, until this home made them', async () => {
  expect(await autocloudStreamCreated(nats.url)).toBeNull();
  expect(await pairedWith(home, nats.url)).toBe(true);

  const nc = await connect({ servers: nats.url });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'AUTOCLOUD', subjects: ['autocloud.compose.>'] });
  await nc.close();

  const created = await autocloudStreamCreated(nats.url);
  expect(created).toMatch(/^\d{4}-\d\d-\d\dT/);
  expect(await pairedWith(home, nats.url)).toBe(false);
  await writePairing(home, { nats_url: nats.url, stream_created: created! });
  expect(await pairedWith(home, nats.url)).toBe(true);
  await writePairing(home, { nats_url: nats.url, stream_created: '2000-01-01T00:00:00Z' });
  expect(await pairedWith(home, nats.url)).toBe(false);
});

test('`up` with NATS_URL at a NATS that holds another database’s events refuses, saying why (exit 1)', async () => {
  let stderr = '';
  const code = await runCli(['up'], {
    env: {
      PATH: process.env.PATH,
      AUTOCLOUD_HOME: join(home, 'other'),
      NATS_URL: nats.url,
      PORT: String(await freePort()),
      AUTOCLOUD_COMPOSE_PORT: String(await freePort()),
    },
    cwd: process.cwd(),
    stdout: { write: () => true },
    stderr: { write: (s: string) => (stderr += s) },
    interrupt: new AbortController().signal,
    forceInterrupt: new AbortController().signal,
  });
  expect(code).toBe(1);
  expect(stderr).toMatch(
    /the NATS at nats:\/\/127\.0\.0\.1:\d+ \(NATS_URL\) holds the events of another Autocloud database/,
  );
  expect(stderr).toMatch(/set DATABASE_URL to the database that goes with that NATS/);
});
