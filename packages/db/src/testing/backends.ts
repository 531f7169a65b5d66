// Test-only: the two backends this package's integration tests run against, each a throwaway database.
// Services get the same from @autocloud/testing; this package cannot use it, since @autocloud/testing depends on it.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { MEMORY_DATA_DIR, openDatabase, type DatabaseHandle } from '../database.js';
import { migrateToLatest } from '../migrate.js';

export type BackendKind = DatabaseHandle['kind'];
export const BACKENDS: readonly BackendKind[] = ['postgres', 'pglite'];

export interface ScratchDatabase {
  handle: DatabaseHandle;
  /** Closes the handle and deletes the database. */
  drop(): Promise<void>;
}

const adminUrl = () => process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A new, empty database of the given kind; migrated to the latest schema unless `migrate` is false. */
export async function openScratchDatabase(
  kind: BackendKind,
  { migrate = true } = {},
): Promise<ScratchDatabase> {
  const scratch = kind === 'postgres' ? await openScratchPostgres() : await openScratchPglite();
  if (migrate) await migrateToLatest(scratch.handle.db);
  return scratch;
}

async function openScratchPglite(): Promise<ScratchDatabase> {
  const handle = await openDatabase({ dataDir: MEMORY_DATA_DIR });
  return { handle, drop: () => handle.close() };
}

async function openScratchPostgres(): Promise<ScratchDatabase> {
  const name = `autocloud_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`create database ${pg.escapeIdentifier(name)}`);
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  const handle = await openDatabase({ url: url.toString(), poolSize: 4 });
  return {
    handle,
    drop: async () => {
      await handle.close();
      await adminQuery(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`);
    },
  };
}

async function adminQuery(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
