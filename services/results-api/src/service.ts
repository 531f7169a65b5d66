// results-api: the recorder (the only writer of PostgreSQL) and the HTTP server, as one or two processes.
import { join } from 'node:path';
import { migrateToLatest, openDatabase, type ReasonCode } from '@autocloud/db';
import { connectServiceBus, list, startHealthServer, type ServiceDefinition } from '@autocloud/service';
import { ResultsApiConfig, resultsApiChecks, type Role } from './config.js';
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
        const server = await startHealthServer({
          host: config.HOST,
          port: config.PORT,
          registry: ctx.metrics,
          checks: () => ctx.readinessChecks(),
        });
        ctx.onShutdown('http', () => server.close());
        log.info({ port: server.port }, 'HTTP listening');
      }
    },
  };
}
