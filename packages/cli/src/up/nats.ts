// NATS for `up`: use the server at NATS_URL when one answers; otherwise run `nats-server -js` with its store in
// AUTOCLOUD_HOME (only for a local address: a remote NATS that does not answer is a mistake to report).
import { existsSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { CliError } from '../errors.js';
import { type Env } from '../paths.js';
import { type ChildSpec } from './supervisor.js';

export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

export interface NatsAddress {
  url: string;
  host: string;
  port: number;
  local: boolean;
}

/** The first server of NATS_URL. */
export function natsAddress(natsUrl: string): NatsAddress {
  const first = natsUrl.split(',')[0]?.trim() ?? '';
  let url: URL;
  try {
    url = new URL(first);
  } catch {
    throw new CliError(`NATS_URL: ${JSON.stringify(first)} is not a nats:// URL`, 2);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port ? Number(url.port) : 4222;
  return { url: first, host, port, local: ['127.0.0.1', 'localhost', '::1'].includes(host) };
}

/** Whether a NATS server greets (`INFO {...}`) at host:port within `timeoutMs`. */
export function natsAnswers(host: string, port: number, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let data = '';
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('latin1');
      if (data.includes('\n')) finish(data.startsWith('INFO '));
    });
    socket.on('error', () => finish(false));
    socket.on('close', () => finish(false));
  });
}

/** nats-server on this machine: NATS_SERVER_BIN, Debian's /usr/sbin/nats-server, or one on PATH. */
export function findNatsServer(env: Env): string | undefined {
  if (env.NATS_SERVER_BIN) return existsSync(env.NATS_SERVER_BIN) ? env.NATS_SERVER_BIN : undefined;
  const dirs = ['/usr/sbin', '/usr/bin', '/usr/local/bin', '/usr/local/sbin', ...(env.PATH ?? '').split(':')];
  for (const dir of dirs) {
    if (dir && existsSync(join(dir, 'nats-server'))) return join(dir, 'nats-server');
  }
  return undefined;
}

export const NATS_NOT_INSTALLED_HINT = [
  'install it, then run this again:',
  '  Debian/Ubuntu:  sudo apt-get install nats-server      (the Debian package nats-server)',
  '  elsewhere:      the nats-server binary from https://github.com/nats-io/nats-server/releases on PATH',
  '                  (or NATS_SERVER_BIN=/path/to/nats-server)',
  'or point NATS_URL at a running NATS server with JetStream (nats-server -js).',
].join('\n');

/** The embedded nats-server as a supervised child: JetStream on, 127.0.0.1 only, store in `home`/nats. */
export function embeddedNatsSpec(binary: string, home: string, port: number): ChildSpec {
  return {
    name: 'nats-server',
    command: binary,
    args: ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', join(home, 'nats')],
    cwd: home,
    env: { PATH: process.env.PATH },
    isReadyLine: (line) => line.includes('Server is ready'),
    // Stopped by `up` after the services, not by the terminal's Ctrl-C together with them.
    detached: true,
    // nats-server exits 0 after SIGINT (1 after SIGTERM).
    stopSignal: 'SIGINT',
    permanentExitCodes: [1],
  };
}

/** A TCP port nothing listens on at 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
