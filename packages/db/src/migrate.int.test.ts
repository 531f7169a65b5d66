// Migrations run up, down and back up on both backends, and a failing one is named.
import { sql, type Kysely } from 'kysely';
import { afterEach, describe, expect, test } from 'vitest';
import { MigrationError } from './errors.js';
import { migrateDown, migrateToLatest, migrateToNone, migrationStatus } from './migrate.js';
import type { Database } from './schema.js';
import { BACKENDS, openScratchDatabase, type ScratchDatabase } from './testing/backends.js';

const TABLES = ['composes', 'job_steps', 'jobs', 'outbox', 'output_lines', 'processed_events'];
const ALL = ['0001_initial', '0002_image_history'];

async function appTables(db: Kysely<Database>): Promise<string[]> {
  const { rows } = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = 'public' and table_name not like 'kysely_%'
    order by table_name`.execute(db);
  return rows.map((row) => row.table_name);
}

describe.each(BACKENDS)('migrations on %s', (kind) => {
  let scratch: ScratchDatabase | undefined;
  afterEach(async () => {
    await scratch?.drop();
    scratch = undefined;
  });

  test('go up, all the way down and up again', async () => {
    scratch = await openScratchDatabase(kind, { migrate: false });
    const { db } = scratch.handle;

    expect(await migrateToLatest(db)).toEqual(ALL);
    expect(await appTables(db)).toEqual(TABLES);
    expect(await migrateToLatest(db)).toEqual([]);
    const status = await migrationStatus(db);
    expect(status.map((m) => m.name)).toEqual(ALL);
    expect(status.every((m) => m.executedAt instanceof Date)).toBe(true);

    expect(await migrateDown(db)).toEqual(['0002_image_history']);
    expect(await appTables(db)).toEqual(TABLES);
    expect(await migrateDown(db)).toEqual(['0001_initial']);
    expect(await appTables(db)).toEqual([]);
    expect(await migrateDown(db)).toEqual([]);

    await migrateToLatest(db);
    expect(await migrateToNone(db)).toEqual([...ALL].reverse());
    expect(await appTables(db)).toEqual([]);
    expect((await migrationStatus(db)).every((m) => m.executedAt === undefined)).toBe(true);

    await migrateToLatest(db);
    expect(await appTables(db)).toEqual(TABLES);
  });

  test('a failing migration is a MigrationError that names it, and leaves nothing half-applied', async () => {
    scratch = await openScratchDatabase(kind, { migrate: false });
    const { db } = scratch.handle;
    await sql`create table composes (id int)`.execute(db);

    const error = await migrateToLatest(db).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect(error).toMatchObject({
      name: 'MigrationError',
      code: 'MIGRATION_FAILED',
      migrationName: '0001_initial',
    });
    expect((error as MigrationError).message).toMatch(/0001_initial.*already exists/);
    expect((error as MigrationError).cause).toBeDefined();
    // The migration ran in one transaction: the tables created before the failure are gone too.
    expect(await appTables(db)).toEqual(['composes']);
  });
});
