// Test helpers for the resolver: the compose fixtures, an HTTP server that serves compose directories (and
// misbehaves on request), resolver instances on their own NATS connections, and reading what the streams hold.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bus, type ConsumerSpec } from '@autocloud/bus';
import { type ComposeResolved, type PungiComposeStatusChange } from '@autocloud/schemas';
import { loadConfig } from '@autocloud/service';
import {
  bodyOf,
  startNatsServer,
  streamMessages,
  testLogger,
  type NatsServerHandle,
} from '@autocloud/testing';
import { Registry } from 'prom-client';
import { afterEach, beforeEach } from 'vitest';
import { ResolverConfig, resolverChecks, resolverSettings } from './config.js';
import { ComposeResolver } from './resolve/resolver.js';
import { loadRules } from './rules/rules.js';

type JetStreamManager = Bus['jsm'];

/** The real Fedora-Cloud-27-20180317.0 metadata (old layout, variant CloudImages). */
export const F27_DIR = fileURLToPath(
  new URL('../../../../shared/fixtures/productmd/Fedora-Cloud-27-20180317.0/', import.meta.url),
);
export const F27_ID = 'Fedora-Cloud-27-20180317.0';
/** The newer layout (Cloud, AtomicHost, Container; x86_64 and aarch64; Kiwi-era names), written for these tests. */
export const F43_DIR = fileURLToPath(new URL('../test-fixtures/Fedora-43-20251023.0/', import.meta.url));
export const F43_ID = 'Fedora-43-20251023.0';

export function readMetadata(dir: string, file: 'images.json' | 'composeinfo.json'): Record<string, unknown> {
  return JSON.parse(readFileSync(join(dir, 'metadata', file), 'utf8')) as Record<string, unknown>;
}

/** A pungi message as Fedora sends it since 2018 (release fields included). */
export function pungiMessage(
  composeId: string,
  location: string,
  status = 'FINISHED',
  extra: Partial<PungiComposeStatusChange> = {},
): PungiComposeStatusChange {
  return { status, compose_id: composeId, location, ...extra };
}

export interface ComposeServer {
  port: number;
  /** http://127.0.0.1:<port> */
  origin: string;
  /** Paths requested, as sent. */
  requests: string[];
  /** Serves `dir` (a compose location: metadata/ right under it) at `prefix`; returns the location URL. */
  serveDir(prefix: string, dir: string): string;
  /** Answers this exact path (`//` included) with `handler`. */
  route(path: string, handler: RequestListener): void;
  json(path: string, value: unknown): void;
  /** The next `n` requests for `path` answer `status`. */
  failNext(path: string, n: number, status?: number): void;
  /** Delay before answering anything. */
  delayMs: number;
  close(): Promise<void>;
}

export async function startComposeServer(): Promise<ComposeServer> {
  const requests: string[] = [];
  const routes = new Map<string, RequestListener>();
  const dirs = new Map<string, string>();
  const failures = new Map<string, { n: number; status: number }>();
  const answer = (req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '/';
    const failure = failures.get(path);
    if (failure && failure.n > 0) {
      failure.n -= 1;
      return void res.writeHead(failure.status).end('try again later');
    }
    const route = routes.get(path);
    if (route) return void route(req, res);
    for (const [prefix, dir] of dirs) {
      if (!path.startsWith(`${prefix}/`)) continue;
      const rel = normalize(decodeURIComponent(path.slice(prefix.length + 1)));
      if (rel.startsWith('..')) break;
      try {
        const body = readFileSync(join(dir, rel));
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      } catch {
        break;
      }
    }
    res.writeHead(404).end('Not Found');
  };
  const server = createServer((req, res) => {
    requests.push(req.url ?? '/');
    if (handle.delayMs > 0) setTimeout(() => answer(req, res), handle.delayMs);
    else answer(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const handle: ComposeServer = {
    port,
    origin: `http://127.0.0.1:${port}`,
    requests,
    delayMs: 0,
    serveDir(prefix, dir) {
      dirs.set(prefix, dir);
      return `http://127.0.0.1:${port}${prefix}`;
    },
    route: (path, handler) => void routes.set(path, handler),
    json: (path, value) =>
      void routes.set(path, (_req, res) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(value)),
      ),
    failNext: (path, n, status = 503) => void failures.set(path, { n, status }),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return handle;
}

export interface RunningResolver {
  resolver: ComposeResolver;
  bus: Bus;
  metrics: Registry;
  stop(): Promise<void>;
}

/** A resolver replica with its own NATS connection, configured as the service would be from `env`. */
export async function startResolver(
  natsUrl: string,
  env: Record<string, string>,
  opts: {
    consumers?: {
      pungi: ConsumerSpec<'pungi.compose.status.change'>;
      submit: ConsumerSpec<'autocloud.control.submit'>;
    };
  } = {},
): Promise<RunningResolver> {
  const config = loadConfig(ResolverConfig, { NATS_URL: natsUrl, ...env }, resolverChecks);
  const rules = loadRules(config.RULES_FILE);
  const settings = resolverSettings(config, rules);
  // Fast in-process retries, so a test of transient failures takes milliseconds.
  settings.metadata = { ...settings.metadata, retryBaseMs: 20, retryMaxMs: 100 };
  const log = testLogger('compose-resolver');
  const bus = await Bus.connect({ servers: natsUrl, service: 'compose-resolver', log });
  await bus.ensureTopology();
  const metrics = new Registry();
  const resolver = new ComposeResolver({
    bus,
    log,
    metrics,
    rules,
    settings,
    backoff: { baseMs: 50, maxMs: 200 },
    ...opts,
  });
  await resolver.start();
  return {
    resolver,
    bus,
    metrics,
    stop: async () => {
      await resolver.stop(2_000);
      await bus.close();
    },
  };
}

export interface ResolverRig {
  readonly nats: NatsServerHandle;
  /** The test's own connection: publishes messages, reads streams. */
  readonly bus: Bus;
  readonly server: ComposeServer;
  /** A resolver replica allowed to fetch from `server`, stopped after the test. */
  resolver: (
    env?: Record<string, string>,
    opts?: Parameters<typeof startResolver>[2],
  ) => Promise<RunningResolver>;
  /** Stops a replica with the others after the test (one started with startResolver directly). */
  track: (...replicas: RunningResolver[]) => void;
}

/** For each test of the calling describe block: a nats-server, a compose server, and the replicas it starts. */
export function resolverRig(): ResolverRig {
  let nats: NatsServerHandle | undefined;
  let bus: Bus | undefined;
  let server: ComposeServer | undefined;
  let running: RunningResolver[] = [];
  beforeEach(async () => {
    [nats, server] = await Promise.all([startNatsServer(), startComposeServer()]);
    bus = await Bus.connect({ servers: nats.url, service: 'test', log: testLogger() });
    await bus.ensureTopology();
  });
  afterEach(async () => {
    await Promise.all(running.map((r) => r.stop()));
    running = [];
    await bus?.close();
    await Promise.all([nats?.dispose(), server?.close()]);
  });
  const rig: ResolverRig = {
    get nats() {
      return nats!;
    },
    get bus() {
      return bus!;
    },
    get server() {
      return server!;
    },
    resolver: async (env = {}, opts = {}) => {
      const r = await startResolver(
        rig.nats.url,
        { ALLOWED_HOSTS: `127.0.0.1:${rig.server.port}`, ...env },
        opts,
      );
      running.push(r);
      return r;
    },
    track: (...replicas) => {
      running.push(...replicas);
    },
  };
  return rig;
}

export async function resolvedMessages(jsm: JetStreamManager): Promise<ComposeResolved[]> {
  const stored = await streamMessages(jsm, 'AUTOCLOUD', 'autocloud.compose.resolved');
  return stored.map((m) => bodyOf<ComposeResolved>(m));
}

/** The consumer has nothing left to deliver and nothing unacknowledged. */
export async function drained(jsm: JetStreamManager, stream: string, durable: string): Promise<boolean> {
  const info = await jsm.consumers.info(stream, durable);
  return info.num_pending === 0 && info.num_ack_pending === 0;
}

/** A counter's value from a registry, 0 when never incremented. */
export async function counter(
  metrics: Registry,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const metric = metrics.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  const found = values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
  return found?.value ?? 0;
}
