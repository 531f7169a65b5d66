// A private RabbitMQ node (its own port, data and name) for tests that stop and start the broker, so they never
// disturb the shared broker other tests use.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './nats.js';
import { waitFor } from './wait.js';
import { createConnection } from 'node:net';

const run = promisify(execFile);

export interface RabbitNode {
  url: string;
  port: number;
  nodeName: string;
  /** Stops the broker application: connections drop and new ones are refused. */
  stopApp(): Promise<void>;
  startApp(): Promise<void>;
  dispose(): Promise<void>;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startRabbitNode(): Promise<RabbitNode> {
  const dir = await mkdtemp(join(tmpdir(), 'autocloud-rabbit-'));
  const port = await freePort();
  const distPort = await freePort();
  const nodeName = `autocloud-${randomBytes(4).toString('hex')}@localhost`;
  await mkdir(join(dir, 'mnesia'));
  await mkdir(join(dir, 'log'));
  await writeFile(join(dir, 'rabbitmq.conf'), `listeners.tcp.1 = 127.0.0.1:${port}\n`);
  await writeFile(join(dir, 'plugins'), '[].\n');
  // rabbitmq-server drops to the rabbitmq user when started as root: it must own its directory.
  if (userInfo().uid === 0) {
    const { stdout } = await run('id', ['-u', 'rabbitmq']);
    const { stdout: gid } = await run('id', ['-g', 'rabbitmq']);
    for (const p of [
      dir,
      join(dir, 'mnesia'),
      join(dir, 'log'),
      join(dir, 'rabbitmq.conf'),
      join(dir, 'plugins'),
    ]) {
      await chown(p, Number(stdout.trim()), Number(gid.trim()));
    }
  }
  const env = {
    ...process.env,
    RABBITMQ_NODENAME: nodeName,
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_FEATURE_FLAGS_FILE: join(dir, 'feature_flags'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_PID_FILE: join(dir, 'pid'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'plugins'),
    RABBITMQ_QUORUM_DIR: join(dir, 'quorum'),
    RABBITMQ_STREAM_DIR: join(dir, 'stream'),
  };
  const server = spawn('rabbitmq-server', [], { env, stdio: 'ignore', detached: true });
  server.unref();
  const ctl = (...args: string[]) => run('rabbitmqctl', ['-n', nodeName, ...args], { env });
  await waitFor(() => portOpen(port), {
    timeoutMs: 60_000,
    intervalMs: 250,
    what: `RabbitMQ node ${nodeName}`,
  });
  return {
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    port,
    nodeName,
    stopApp: async () => {
      await ctl('stop_app');
    },
    startApp: async () => {
      await ctl('start_app');
      await waitFor(() => portOpen(port), { timeoutMs: 30_000, intervalMs: 100, what: 'RabbitMQ to listen' });
    },
    dispose: async () => {
      await ctl('stop').catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
