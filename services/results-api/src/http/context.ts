// What route modules share: the app's type (fastify with TypeBox types), its dependencies and settings.
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { type Bus } from '@autocloud/bus';
import { type DatabaseHandle } from '@autocloud/db';
import { type ReadinessCheck } from '@autocloud/service';
import { type Logger } from '@autocloud/telemetry';
import { type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  type FastifyBaseLogger,
  type FastifyInstance,
  type preValidationHookHandler,
  type RawServerDefault,
} from 'fastify';
import { type Registry } from 'prom-client';
import { type ArtifactStore } from '../artifacts/artifact.store.js';
import { type JobEndWatcher } from '../live/job-end-watcher.js';
import { type TokenVerifier } from './auth.js';

export type App = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export interface AppSettings {
  /** sha256 hex of the accepted bearer tokens; none: writes refused. */
  tokenHashes: readonly string[];
  /** Writes per client per minute (30). */
  writeRateLimit?: number;
  /** e.g. https://tracing.example/trace/{trace_id}; unset: trace ids are shown, not linked. */
  tracingUrlTemplate?: string | undefined;
  /** Open live output streams at most (1000). */
  sseMaxClients?: number;
  /** Comment line sent on idle live streams (15 s), so proxies keep them open. */
  sseHeartbeatMs?: number;
  /** Trust X-Forwarded-* (behind an ingress), for client addresses and https. */
  trustProxy?: boolean;
  /** How long one listing of the artifacts bucket is reused (2 s). */
  artifactListTtlMs?: number;
  /** How long a runner has to answer a cancel (5 s). */
  cancelTimeoutMs?: number;
  /** How long each readiness check may take (2 s). */
  readinessTimeoutMs?: number;
  /** Live streams re-read the job's state this often (2 s). */
  livePollMs?: number;
}

export interface AppDeps {
  database: DatabaseHandle;
  bus: Bus;
  log: Logger;
  metrics: Registry;
  /** What /readyz checks (the service's checks: started, database, NATS). */
  readiness: () => ReadinessCheck[];
  settings: AppSettings;
}

export interface RouteContext {
  deps: AppDeps;
  tokens: TokenVerifier;
  artifacts: ArtifactStore;
  endWatcher: JobEndWatcher;
  streams: LiveStreams;
  assets: { css: string; js: string };
  /** Route config for the rate-limited writes. */
  writeLimit: { max: number; timeWindow: number };
  /** preValidation hook of the API's writes: a valid bearer token (401/403 otherwise), before the body is checked. */
  requireToken: preValidationHookHandler;
}

/** The open live output streams: counted against the limit and ended when the server closes. */
export class LiveStreams {
  private readonly open = new Set<AbortController>();
  constructor(readonly max: number) {}
  get size(): number {
    return this.open.size;
  }
  add(): AbortController | undefined {
    if (this.open.size >= this.max) return undefined;
    const controller = new AbortController();
    this.open.add(controller);
    return controller;
  }
  remove(controller: AbortController): void {
    this.open.delete(controller);
  }
  closeAll(): void {
    for (const c of this.open) c.abort(new Error('server closing'));
    this.open.clear();
  }
}
