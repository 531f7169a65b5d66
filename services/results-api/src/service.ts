// results-api: the recorder (the only writer of PostgreSQL) and the HTTP server, as one or two processes.
import { join } from 'node:path';
import { migrateToLatest, openDatabase, type ReasonCode } from '@autocloud/db';
import { connectServiceBus, list, type ServiceDefinition } from '@autocloud/service';
import { ResultsApiConfig, resultsApiChecks, type Role } from './config.js';
import { build } from './http/app.js';
import { Recorder } from './recorder/recorder.js';

export function resultsApiService(role: Role): ServiceDefinition<typeof ResultsApiConfig> {
  return {
    name: role === 'all' ? 'results-api' : `results-api-${role}`,
    config: ResultsApiConfig,
    checks: resultsApiChecks,
    async start(ctx) {
      const { config, log } = ctx;
      const database = await openDatabase({
        url: config.DATABASE_URL,
        dataDir: join(config.AUTOCLOUD_HOME, 'db'),
        applicationName: ctx.name,
        // The server answers people: a query that takes long, or a database that does not answer, is a quick 503.
        // It starts without the database too (its /readyz says so) and serves as soon as the database answers.
        ...(role === 'serve'
          ? { connectTimeoutMs: 3_000, statementTimeoutMs: 15_000, requireConnection: false }
          : {}),
        log: (msg) => log.info(msg),
      });
      ctx.onShutdown('database', () => database.close());
      ctx.addReadinessCheck({ name: 'database', check: () => database.ping() });
      log.info({ kind: database.kind }, 'database open');
      if (role !== 'serve') await migrateToLatest(database.db);

      const bus = await connectServiceBus(ctx);
      if (role !== 'serve') {
        const recorder = new Recorder({
          database,
          bus,
          log: log.child({ component: 'recorder' }),
          metrics: ctx.metrics,
          retry: {
            maxRetries: config.AUTO_RETRIES,
            codes: new Set(list(config.AUTO_RETRY_REASONS) as ReasonCode[]),
          },
          queueTimeoutMs: config.QUEUE_TIMEOUT_HOURS * 3_600_000,
        });
        await recorder.start();
        ctx.onShutdown('recorder', () => recorder.stop());
      }

      if (role !== 'record') {
        const app = await build({
          database,
          bus,
          log: log.child({ component: 'http' }),
          metrics: ctx.metrics,
          readiness: () => ctx.readinessChecks(),
          settings: {
            tokenHashes: list(config.API_TOKEN_HASHES),
            writeRateLimit: config.WRITE_RATE_LIMIT,
            sseMaxClients: config.SSE_MAX_CLIENTS,
            tracingUrlTemplate: config.TRACING_URL_TEMPLATE,
            trustProxy: config.TRUST_PROXY,
          },
        });
        // Registered after the database and NATS, so it stops first: no request finds them closed.
        ctx.onShutdown('http', () => app.close());
        await app.listen({ host: config.HOST, port: config.PORT });
        log.info({ port: config.PORT, writes: list(config.API_TOKEN_HASHES).length > 0 }, 'HTTP listening');
      }
    },
  };
}
