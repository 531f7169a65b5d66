// Runs a service: configuration, logger, health endpoint, start, readiness, and an ordered shutdown on SIGTERM.
import { type Static, type TObject } from '@sinclair/typebox';
import { createLogger, shutdownTelemetry, type Logger } from '@autocloud/telemetry';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { ConfigError, loadConfig, type CommonConfig, type ConfigCheck } from './config.js';
import { startHealthServer, type HealthServer, type ReadinessCheck } from './health.js';

export interface ServiceContext<C> {
  readonly name: string;
  readonly config: C;
  readonly log: Logger;
  readonly metrics: Registry;
  /** Aborted when shutdown begins: long start-up work (waiting for NATS, say) gives up. */
  readonly signal: AbortSignal;
  /** Registers a shutdown step; steps run in reverse order of registration (last started, first stopped). */
  onShutdown(name: string, step: () => Promise<void> | void): void;
  /** Adds a check that /readyz runs; the service is ready when start() returned and every check passes. */
  addReadinessCheck(check: ReadinessCheck): void;
  /** Every readiness check, for a service that serves its own /readyz. */
  readinessChecks(): ReadinessCheck[];
  /** Ends the service as SIGTERM would, for one-shot runs; `exitCode` is what the process exits with. */
  requestStop(reason: string, exitCode?: number): void;
}

export interface ServiceDefinition<S extends TObject> {
  name: string;
  /** The whole configuration schema; must include CommonConfig's properties and `HEALTH_PORT`. */
  config: S;
  checks?: ConfigCheck<Static<S>>[];
  start(ctx: ServiceContext<Static<S>>): Promise<void>;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  /** Overall budget for the shutdown steps. */
  shutdownTimeoutMs?: number;
  stderr?: (line: string) => void;
}

/** Runs until SIGTERM/SIGINT and resolves with the exit code; `main` passes it to process.exit. */
export async function runService<S extends TObject>(
  def: ServiceDefinition<S>,
  opts: RunOptions = {},
): Promise<number> {
  const stderr = opts.stderr ?? ((line: string) => process.stderr.write(`${line}\n`));
  let config: Static<S> & CommonConfig & { HEALTH_PORT: number };
  try {
    config = loadConfig(def.config, opts.env ?? process.env, def.checks) as typeof config;
  } catch (err) {
    if (err instanceof ConfigError) {
      stderr(`${def.name}: ${err.message}`);
      return 2;
    }
    throw err;
  }

  const log = createLogger({ service: def.name, level: config.LOG_LEVEL });
  const metrics = new Registry();
  metrics.setDefaultLabels({ service: def.name });
  collectDefaultMetrics({ register: metrics });

  const steps: { name: string; step: () => Promise<void> | void }[] = [];
  const checks: ReadinessCheck[] = [];
  let started = false;
  const abort = new AbortController();
  let requestShutdown!: (reason: string) => void;
  const shutdownRequested = new Promise<string>((resolve) => (requestShutdown = resolve));

  const onSignal = (signal: NodeJS.Signals) => {
    log.info({ signal }, 'shutting down');
    abort.abort(new Error(`received ${signal}`));
    requestShutdown(signal);
  };
  const onFatal = (err: unknown) => {
    log.fatal({ err }, 'unexpected error; shutting down');
    exitCode = 1;
    abort.abort(err);
    requestShutdown('fatal');
  };
  let exitCode = 0;
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('uncaughtException', onFatal);
  process.on('unhandledRejection', onFatal);

  let health: HealthServer | undefined;
  const ctx: ServiceContext<typeof config> = {
    name: def.name,
    config,
    log,
    metrics,
    signal: abort.signal,
    onShutdown: (name, step) => void steps.push({ name, step }),
    addReadinessCheck: (check) => void checks.push(check),
    readinessChecks: () => [
      {
        name: 'started',
        check: () => {
          if (!started) throw new Error('starting');
        },
      },
      ...checks,
    ],
    requestStop: (reason, code = 0) => {
      log.info({ reason }, 'stopping');
      exitCode = exitCode || code;
      abort.abort(new Error(reason));
      requestShutdown(reason);
    },
  };

  try {
    if (config.HEALTH_PORT > 0) {
      health = await startHealthServer({
        host: config.HEALTH_HOST,
        port: config.HEALTH_PORT,
        registry: metrics,
        checks: () => ctx.readinessChecks(),
      });
      log.info({ port: health.port }, 'health endpoint listening');
    }
    await def.start(ctx);
    if (!abort.signal.aborted) {
      started = true;
      log.info('ready');
    }
  } catch (err) {
    if (!abort.signal.aborted) {
      log.fatal({ err }, 'start failed');
      exitCode = 1;
      requestShutdown('start failed');
    }
  }

  await shutdownRequested;
  started = false;
  const ok = await runSteps(steps.reverse(), log, opts.shutdownTimeoutMs ?? 8_000);
  if (!ok) exitCode = exitCode || 1;
  await health?.close();
  await shutdownTelemetry().catch((err: unknown) => log.warn({ err }, 'telemetry flush failed'));
  log.info({ exitCode }, 'stopped');
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  process.off('uncaughtException', onFatal);
  process.off('unhandledRejection', onFatal);
  return exitCode;
}

async function runSteps(
  steps: { name: string; step: () => Promise<void> | void }[],
  log: Logger,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let ok = true;
  for (const { name, step } of steps) {
    const remaining = deadline - Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.resolve().then(step),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`did not finish in time`)), Math.max(remaining, 0));
        }),
      ]);
      log.debug({ step: name }, 'stopped');
    } catch (err) {
      ok = false;
      log.error({ err, step: name }, 'shutdown step failed');
    } finally {
      clearTimeout(timer);
    }
  }
  return ok;
}
