// Throwaway migrated databases for tests: a uniquely named PostgreSQL database, or in-memory PGlite.
import { randomBytes } from 'node:crypto';
import { migrateToLatest, openDatabase, type DatabaseHandle } from '@autocloud/db';
import pg from 'pg';
import { test as base } from 'vitest';

export const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  /** URL of the new database, for code under test that opens its own connection (DATABASE_URL). */
  url: string;
  name: string;
  handle: DatabaseHandle;
  /** Closes the handle and drops the database, disconnecting anyone still connected; safe to call twice. */
  drop(): Promise<void>;
}

export interface TestPglite {
  handle: DatabaseHandle;
  drop(): Promise<void>;
}

/** Creates `autocloud_test_<random>` next to the admin URL's database and migrates it to the latest schema. */
export async function createTestDatabase(opts: { adminUrl?: string } = {}): Promise<TestDatabase> {
  const adminUrl = opts.adminUrl ?? process.env.TEST_DATABASE_ADMIN_URL ?? DEFAULT_ADMIN_URL;
  const name = `autocloud_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(adminUrl, `create database ${pg.escapeIdentifier(name)}`);
  const dropDatabase = () =>
    adminQuery(adminUrl, `drop database if exists ${pg.escapeIdentifier(name)} with (force)`);

  const target = new URL(adminUrl);
  target.pathname = `/${name}`;
  const url = target.toString();
  let handle: DatabaseHandle | undefined;
  try {
    handle = await openDatabase({ url, poolSize: 5 });
    await migrateToLatest(handle.db);
  } catch (error) {
    await handle?.close();
    await dropDatabase();
    throw error;
  }
  const opened = handle;
  let dropping: Promise<void> | undefined;
  const drop = () => (dropping ??= opened.close().then(dropDatabase));
  return { url, name, handle: opened, drop };
}

/** An in-memory PGlite database at the latest schema: no server needed, gone once dropped. */
export async function createTestPglite(): Promise<TestPglite> {
  const handle = await openDatabase({ dataDir: 'memory://' });
  try {
    await migrateToLatest(handle.db);
  } catch (error) {
    await handle.close();
    throw error;
  }
  return { handle, drop: () => handle.close() };
}

/**
 * Fixtures for `test.extend<PostgresFixtures>(postgresFixture)` (name the type: vitest cannot infer it from a
 * tuple): one migrated PostgreSQL database per test file.
 */
export interface PostgresFixtures {
  database: TestDatabase;
}

export const postgresFixture: {
  database: [
    (context: object, use: (database: TestDatabase) => Promise<void>) => Promise<void>,
    { scope: 'file' },
  ];
} = {
  database: [
    // vitest reads the fixture's first parameter to find its dependencies, so it must be a destructuring pattern.
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const database = await createTestDatabase();
      try {
        await use(database);
      } finally {
        await database.drop();
      }
    },
    { scope: 'file' },
  ],
};

/** `test` with a `database` fixture: one migrated PostgreSQL database per test file. */
export const postgresTest = base.extend<PostgresFixtures>(postgresFixture);

async function adminQuery(adminUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    await client.query(statement);
  } finally {
    await client.end();
  }
}
