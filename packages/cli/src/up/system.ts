// A whole Autocloud on this machine, for `up` and `demo`: NATS (the one at NATS_URL, or an embedded nats-server),
// the local compose server, and the seven services as supervised child processes with embedded defaults.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { startComposeServer, type ComposeServer } from '../compose/compose-server.js';
import { CliError } from '../errors.js';
import { type Env } from '../paths.js';
import {
  DEFAULT_NATS_URL,
  embeddedNatsSpec,
  findNatsServer,
  freePort,
  NATS_NOT_INSTALLED_HINT,
  natsAddress,
  natsAnswers,
} from './nats.js';
import { autocloudStreamCreated, pairedWith, readPairing, writePairing } from './nats-pairing.js';
import { rulesFileFor } from './rules.js';
import { distOutdated, serviceCommand } from './service-command.js';
import { displayHost, serviceEnv, type ServiceName } from './services.js';
import { readUpState, removeUpState, writeUpState, type UpState } from './state.js';
import { Supervisor, type SupervisorEvent } from './supervisor.js';
import { ensureApiToken, tokenHash } from './token.js';

export interface SystemOptions {
  /** The user's environment (their settings win over the embedded defaults). */
  env: Env;
  home: string;
  /** Where a relative --rules path is resolved. */
  cwd: string;
  /** --rules: default, test-image, combined (the default) or a file. */
  rules?: string;
  services: readonly ServiceName[];
  /** Every line of every child (raw) and of the system itself. */
  onLine(source: string, line: string): void;
  /** Restart and stop timings (tests shorten them). */
  restart?: { baseMs: number; maxMs: number; resetAfterMs: number };
  stopTimeoutMs?: number;
}

export interface ServiceFailure {
  service: string;
  code: number | null;
  reason: string;
}

const READY_LINE = /"msg":"ready"/;

export class LocalSystem {
  private readonly services: Supervisor;
  private nats: Supervisor | undefined;
  private composeServer: ComposeServer | undefined;
  private state: UpState | undefined;
  private failure: ((f: ServiceFailure) => void) | undefined;
  /** The external NATS to pair this home's database with once the services made their streams. */
  private pairing: string | undefined;
  /** Resolves when a service fails for good (a configuration error) or the embedded NATS cannot run. */
  readonly failed: Promise<ServiceFailure>;
  apiUrl = '';
  composeUrl = '';
  natsUrl = '';
  natsEmbedded = false;
  token = '';

  private constructor(private readonly opts: SystemOptions) {
    this.failed = new Promise((resolve) => (this.failure = resolve));
    this.services = new Supervisor({
      onLine: (name, line) => opts.onLine(name, line),
      onEvent: (e) => this.onEvent(e),
      ...(opts.restart ? { restart: opts.restart } : {}),
      ...(opts.stopTimeoutMs ? { stopTimeoutMs: opts.stopTimeoutMs } : {}),
    });
  }

  /** Starts everything (services may still be getting ready); on failure stops what it started. */
  static async start(opts: SystemOptions): Promise<LocalSystem> {
    const system = new LocalSystem(opts);
    try {
      await system.boot();
    } catch (err) {
      await system.stop();
      throw err;
    }
    return system;
  }

  private note(text: string, level = 'info'): void {
    this.opts.onLine('up', JSON.stringify({ level, time: new Date().toISOString(), msg: text }));
  }

  private async boot(): Promise<void> {
    const { env, home } = this.opts;
    await mkdir(join(home, 'composes'), { recursive: true });
    const running = readUpState(home);
    if (running) {
      throw new CliError(
        `autocloud up is already running (pid ${running.pid}) with AUTOCLOUD_HOME ${home}`,
        1,
        `its API and UI: ${running.api_url}; stop it first, or use another AUTOCLOUD_HOME`,
      );
    }
    const host = env.HOST || '127.0.0.1';
    const port = portSetting(env, 'PORT', 8080);
    const composePort = portSetting(env, 'AUTOCLOUD_COMPOSE_PORT', 8081);
    await checkPortFree(host, port, 'PORT', 'the API and UI');

    try {
      this.composeServer = await startComposeServer({ root: join(home, 'composes'), port: composePort });
    } catch (err) {
      throw portInUse(err, composePort, 'AUTOCLOUD_COMPOSE_PORT', 'the local compose server');
    }
    this.composeUrl = this.composeServer.url;
    this.apiUrl = `http://${displayHost(host)}:${port}`;

    await this.startNats();
    this.token = await ensureApiToken(home);
    const rulesFile = await rulesFileFor(this.opts.rules ?? env.RULES_FILE, home, this.opts.cwd);
    this.note(
      `home ${home}; database ${env.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : `PGlite in ${join(home, 'db')}`}; NATS ${this.natsUrl}${this.natsEmbedded ? ' (embedded)' : ''}; rules ${rulesFile}; local composes ${this.composeUrl}/ from ${join(home, 'composes')}`,
    );

    for (const name of this.opts.services) {
      const command = serviceCommand(name, env);
      if (command.source === 'src')
        this.note(`${name} is not built (or AUTOCLOUD_FROM_SOURCE=1): running it from src/ with tsx`, 'warn');
      else if (distOutdated(name))
        this.note(`services/${name}/dist is older than its sources: run \`pnpm build\``, 'warn');
      const childEnv = serviceEnv(name, env, {
        home,
        natsUrl: this.natsUrl,
        port,
        host,
        composeHost: `127.0.0.1:${this.composeServer.port}`,
        rulesFile,
        tokenHash: tokenHash(this.token),
      });
      this.services.start({
        name,
        command: process.execPath,
        args: command.nodeArgs,
        cwd: command.cwd,
        env: { ...childEnv, ...command.env },
        isReadyLine: (line) => READY_LINE.test(line),
        // runService exits 2 on a configuration error: it fails the same way every time.
        permanentExitCodes: [2],
      });
    }
    this.state = {
      pid: process.pid,
      home,
      api_url: this.apiUrl,
      compose_url: this.composeUrl,
      composes_dir: join(home, 'composes'),
      nats_url: this.natsUrl,
      nats_pid: this.nats?.pids()['nats-server'] ?? null,
      rules_file: rulesFile,
      services: this.services.pids(),
      started_at: new Date().toISOString(),
    };
    await writeUpState(home, this.state);
  }

  private async startNats(): Promise<void> {
    const { env, home } = this.opts;
    const explicit = Boolean(env.NATS_URL);
    const natsUrl = env.NATS_URL || DEFAULT_NATS_URL;
    const address = natsAddress(natsUrl);
    // PGlite keeps the database in this home; its NATS must be one that holds no other database's events.
    const pglite = !env.DATABASE_URL;
    const ownStore = existsSync(join(home, 'nats', 'jetstream')) && !readPairing(home);
    let port = address.port;
    if (await natsAnswers(address.host, address.port)) {
      if (!pglite) {
        this.natsUrl = natsUrl;
        return;
      }
      if (!(ownStore && !explicit) && (await pairedWith(home, natsUrl))) {
        this.natsUrl = natsUrl;
        this.pairing = natsUrl;
        return;
      }
      if (explicit) {
        throw new CliError(
          `the NATS at ${address.url} (NATS_URL) holds the events of another Autocloud database, not of ${join(home, 'db')}`,
          1,
          "JetStream would drop this database's events as duplicates of those: set DATABASE_URL to the database that goes " +
            'with that NATS, or use another NATS (unset NATS_URL for an embedded one)',
        );
      }
      port = await freePort();
      this.note(
        ownStore
          ? `this AUTOCLOUD_HOME keeps its events in its own nats-server: running it on 127.0.0.1:${port} (${address.url} is another NATS)`
          : `the NATS at ${address.url} holds another Autocloud database's events: running an embedded nats-server on 127.0.0.1:${port} for this AUTOCLOUD_HOME instead`,
        'warn',
      );
    } else if (!address.local) {
      throw new CliError(
        `no NATS answers at ${address.url} (NATS_URL)`,
        1,
        'start it, or unset NATS_URL to run an embedded nats-server on 127.0.0.1:4222',
      );
    }
    const binary = findNatsServer(env);
    if (!binary) {
      throw new CliError(
        port === address.port
          ? `no NATS answers at ${address.url}, and nats-server is not installed to start one`
          : 'this AUTOCLOUD_HOME needs its own NATS, and nats-server is not installed to start one',
        1,
        NATS_NOT_INSTALLED_HINT,
      );
    }
    await mkdir(join(home, 'nats'), { recursive: true });
    const lines: string[] = [];
    this.nats = new Supervisor({
      onLine: (name, line) => {
        lines.push(line);
        if (lines.length > 30) lines.shift();
        this.opts.onLine(name, line);
      },
      onEvent: (e) => this.onEvent(e),
      ...(this.opts.restart ? { restart: this.opts.restart } : {}),
    });
    const spec = embeddedNatsSpec(binary, home, port);
    this.nats.start(spec);
    try {
      await Promise.race([
        this.nats.whenReady([spec.name]),
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error('not ready within 20 s')), 20_000).unref(),
        ),
      ]);
    } catch (err) {
      throw new CliError(
        `the embedded nats-server did not start: ${(err as Error).message}\n${lines.slice(-10).join('\n')}`,
      );
    }
    this.natsUrl = `nats://127.0.0.1:${port}`;
    this.natsEmbedded = true;
  }

  private onEvent(e: SupervisorEvent): void {
    switch (e.kind) {
      case 'started':
        this.note(`${e.name} started (pid ${e.pid})`);
        if (this.state) {
          if (e.name === 'nats-server') this.state.nats_pid = e.pid;
          else this.state.services[e.name] = e.pid;
          void writeUpState(this.opts.home, this.state).catch(() => undefined);
        }
        break;
      case 'ready':
        this.note(`${e.name} is ready`);
        if (this.pairing && e.name === 'results-api') void this.recordPairing(this.pairing);
        break;
      case 'exited':
        if (e.restartInMs === undefined) {
          if (e.code !== 0 && e.signal !== 'SIGINT') {
            this.note(`${e.name} exited (${e.code !== null ? `code ${e.code}` : e.signal})`, 'warn');
          }
        } else {
          this.note(
            `${e.name} exited (${e.code !== null ? `code ${e.code}` : e.signal}); restarting in ${Math.round(e.restartInMs / 1000)} s`,
            'warn',
          );
        }
        break;
      case 'failed':
        this.note(`${e.name} ${e.reason}; not restarting it (see its messages above)`, 'error');
        this.failure?.({ service: e.name, code: e.code, reason: e.reason });
        break;
    }
  }

  private async recordPairing(url: string): Promise<void> {
    try {
      const created = await autocloudStreamCreated(url);
      if (created) await writePairing(this.opts.home, { nats_url: url, stream_created: created });
    } catch (err) {
      this.note(`could not record which NATS this home uses: ${(err as Error).message}`, 'warn');
    }
  }

  /** Resolves once the named services (all by default) are ready. */
  whenReady(names: readonly string[] = this.opts.services, signal?: AbortSignal): Promise<void> {
    return this.services.whenReady(names, signal);
  }

  notReady(): string[] {
    return this.opts.services.filter((s) => !this.services.isReady(s));
  }

  /** The pid of every process this system runs (services, and NATS when embedded). */
  pids(): Record<string, number | null> {
    return { ...this.services.pids(), ...(this.nats?.pids() ?? {}) };
  }

  /** Stops the services, then NATS, then the compose server; true when all stopped by themselves in time. */
  async stop(): Promise<boolean> {
    let clean = await this.services.stop();
    if (this.nats) clean = (await this.nats.stop()) && clean;
    await this.composeServer?.close();
    if (this.state) await removeUpState(this.opts.home);
    return clean;
  }

  /** SIGKILL everything now (a second Ctrl-C). */
  kill(): void {
    this.services.killAll();
    this.nats?.killAll();
  }
}

function portSetting(env: Env, name: string, fallback: number): number {
  const value = env[name];
  if (!value) return fallback;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535)
    throw new CliError(`${name}: expected a port number`, 2);
  return port;
}

async function checkPortFree(host: string, port: number, setting: string, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, host, () => server.close(() => resolve()));
  }).catch((err: unknown) => {
    throw portInUse(err, port, setting, what);
  });
}

function portInUse(err: unknown, port: number, setting: string, what: string): Error {
  if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') return err as Error;
  return new CliError(
    `port ${port} (${setting}, ${what}) is in use`,
    1,
    `another Autocloud (or something else) listens there: stop it, or set ${setting}`,
  );
}
