// Every service starts with `pnpm --filter @autocloud/<name> start`, becomes ready, and exits 0 soon after SIGTERM;
// a bad setting stops it at once with one clear message.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTestDatabase, freePort, natsTest, waitFor } from '@autocloud/testing';
import { afterAll, beforeAll, describe, expect } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const SERVICES = [
  'fedmsg-bridge',
  'compose-resolver',
  'image-fetcher',
  'libvirt-runner',
  'vbox-runner',
  'results-api',
  'notifier',
] as const;

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function start(name: string, env: Record<string, string>): Running {
  const child = spawn('pnpm', ['--silent', '--filter', `@autocloud/${name}`, 'start'], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return { child, output: () => out, exited };
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('service lifecycle', () => {
  let home: string;
  let databaseUrl: string;
  let dropDatabase: () => Promise<void>;

  beforeAll(async () => {
    for (const name of SERVICES) {
      if (!existsSync(join(root, `services/${name}/dist/main.js`))) {
        throw new Error(`services/${name} is not built: run pnpm build (scripts/test.sh does)`);
      }
    }
    home = await mkdtemp(join(tmpdir(), 'autocloud-home-'));
    const database = await createTestDatabase();
    databaseUrl = database.url;
    await database.handle.close();
    dropDatabase = () => database.drop();
  });
  afterAll(async () => {
    await dropDatabase?.();
    await rm(home, { recursive: true, force: true });
  });

  for (const name of SERVICES) {
    natsTest(
      `${name} starts, reports ready and exits 0 within 10 s of SIGTERM`,
      { timeout: 60_000 },
      async ({ nats }) => {
        const port = await freePort();
        const env: Record<string, string> = {
          NATS_URL: nats.url,
          AUTOCLOUD_HOME: home,
          HEALTH_PORT: String(port),
          PORT: String(port),
          DATABASE_URL: databaseUrl,
        };
        const svc = start(name, env);
        try {
          await waitFor(
            async () => {
              const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
              return res?.status === 200;
            },
            { timeoutMs: 30_000, intervalMs: 200, what: `${name} to be ready; output:\n${svc.output()}` },
          );
          expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
          expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toMatch(/process_cpu/);
          // SIGTERM to the process group, as a terminal's Ctrl-C or a container's init delivers it: pnpm itself
          // dies of the signal, so the exit code that counts is the one the service logs.
          const stoppedAt = Date.now();
          process.kill(-svc.child.pid!, 'SIGTERM');
          await svc.exited;
          await waitFor(() => !groupAlive(svc.child.pid!), { timeoutMs: 10_000, what: `${name} to exit` });
          expect(Date.now() - stoppedAt).toBeLessThan(10_000);
          expect(svc.output()).toMatch(/"msg":"ready"/);
          expect(svc.output()).toMatch(/"exitCode":0,"msg":"stopped"/);
        } finally {
          if (groupAlive(svc.child.pid!)) process.kill(-svc.child.pid!, 'SIGKILL');
        }
      },
    );
  }

  for (const name of SERVICES) {
    natsTest(`${name} refuses NATS_URL=nonsense with one clear message`, { timeout: 30_000 }, async () => {
      const svc = start(name, { NATS_URL: 'nonsense', HEALTH_PORT: '0', PORT: String(await freePort()) });
      const code = await svc.exited;
      expect(code).not.toBe(0);
      expect(svc.output()).toMatch(/invalid configuration:\s+- NATS_URL: expected nats:\/\/host:port/);
      expect(svc.output()).not.toMatch(/at .*\.js:\d+/); // a message, not a stack trace
    });
  }
});
