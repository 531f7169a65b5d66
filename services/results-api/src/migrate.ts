// `results-api migrate`: brings the database schema up to date and exits. A deployment runs it once before a rollout
// (the Kubernetes migration Job), so a schema change is applied, or fails, before any new replica starts.
import { join } from 'node:path';
import { migrateToLatest, openDatabase } from '@autocloud/db';
import { ConfigError, loadConfig } from '@autocloud/service';
import { createLogger } from '@autocloud/telemetry';
import { ResultsApiConfig, resultsApiChecks } from './config.js';

export interface MigrateOptions {
  env?: Record<string, string | undefined>;
  stderr?: (line: string) => void;
}

/** Applies every pending migration; resolves with the exit code (0 done, 1 failed, 2 bad configuration). */
export async function runMigrations(opts: MigrateOptions = {}): Promise<number> {
  const stderr = opts.stderr ?? ((line: string) => process.stderr.write(`${line}\n`));
  let config: ResultsApiConfig;
  try {
    config = loadConfig(ResultsApiConfig, opts.env ?? process.env, resultsApiChecks);
  } catch (err) {
    if (err instanceof ConfigError) {
      stderr(`results-api migrate: ${err.message}`);
      return 2;
    }
    throw err;
  }
  const log = createLogger({ service: 'results-api-migrate', level: config.LOG_LEVEL });
  try {
    const database = await openDatabase({
      url: config.DATABASE_URL,
      dataDir: join(config.AUTOCLOUD_HOME, 'db'),
      applicationName: 'autocloud-migrate',
    });
    try {
      const applied = await migrateToLatest(database.db);
      log.info({ kind: database.kind, applied }, applied.length > 0 ? 'migrated' : 'schema already current');
    } finally {
      await database.close();
    }
    return 0;
  } catch (err) {
    log.fatal({ err }, 'migration failed');
    return 1;
  }
}
