// Runs the schema migrations with kysely's Migrator; a failure becomes a MigrationError naming the migration.
import { Migrator, NO_MIGRATIONS, type Kysely, type MigrationResultSet } from 'kysely';
import { MigrationError, describeCause } from './errors.js';
import { migrations } from './migrations/index.js';
import type { Database } from './schema.js';

export interface MigrationState {
  name: string;
  /** When it ran; undefined while pending. */
  executedAt: Date | undefined;
}

function migrator(db: Kysely<Database>): Migrator {
  return new Migrator({ db, provider: { getMigrations: () => Promise.resolve(migrations) } });
}

/** Applies every pending migration (in one transaction, under kysely's advisory lock); returns their names. */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  return applied(await migrator(db).migrateToLatest(), 'up');
}

/** Reverts the latest applied migration; returns its name (empty when none was applied). */
export async function migrateDown(db: Kysely<Database>): Promise<string[]> {
  return applied(await migrator(db).migrateDown(), 'down');
}

/** Reverts every migration: an empty schema. */
export async function migrateToNone(db: Kysely<Database>): Promise<string[]> {
  return applied(await migrator(db).migrateTo(NO_MIGRATIONS), 'down');
}

export async function migrationStatus(db: Kysely<Database>): Promise<MigrationState[]> {
  try {
    const infos = await migrator(db).getMigrations();
    return infos.map((info) => ({ name: info.name, executedAt: info.executedAt }));
  } catch (cause) {
    throw new MigrationError(`cannot read the migration state: ${describeCause(cause)}`, { cause });
  }
}

function applied(resultSet: MigrationResultSet, direction: 'up' | 'down'): string[] {
  const { error, results = [] } = resultSet;
  if (error !== undefined) {
    const failed = results.find((result) => result.status === 'Error');
    const what = failed ? `migration ${failed.migrationName} (${direction})` : `migrating ${direction}`;
    throw new MigrationError(`${what} failed: ${describeCause(error)}`, {
      cause: error,
      migrationName: failed?.migrationName,
    });
  }
  return results.map((result) => result.migrationName);
}
