// Opening the database: clear named errors for bad settings, int8 as numbers, PGlite that persists on disk.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { insertCompose, findComposeByComposeId } from './composes/compose.repository.js';
import { openDatabase } from './database.js';
import { DatabaseError } from './errors.js';
import { migrateToLatest } from './migrate.js';
import { BACKENDS, openScratchDatabase, type ScratchDatabase } from './testing/backends.js';
import { newCompose } from './testing/rows.js';

async function openError(opts: Parameters<typeof openDatabase>[0]): Promise<DatabaseError> {
  const error = await openDatabase(opts).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DatabaseError);
  return error as DatabaseError;
}

describe('openDatabase refuses bad settings with a named error', () => {
  test('a URL that is not postgres://', async () => {
    const error = await openError({ url: 'mysql://x' });
    expect(error).toMatchObject({ name: 'DatabaseError', code: 'DATABASE_ERROR' });
    expect(error.message).toMatch(/unsupported database URL scheme "mysql:".*postgres:\/\//);
  });

  test('a string that is not a URL, without repeating it', async () => {
    const error = await openError({ url: 'host=db password=hunter2' });
    expect(error.message).toMatch(/not a valid URL/);
    expect(error.message).not.toContain('hunter2');
  });

  test('an unreachable server: names host, port and database, never the password', async () => {
    const error = await openError({
      url: 'postgres://autocloud:s3cret@127.0.0.1:1/results',
      connectTimeoutMs: 2000,
    });
    expect(error.message).toMatch(/cannot reach PostgreSQL at 127\.0\.0\.1:1\/results: .*ECONNREFUSED/);
    expect(error.message).not.toContain('s3cret');
    expect(error.cause).toBeDefined();
  });

  test('a database that does not exist', async () => {
    const error = await openError({ url: 'postgres://postgres@127.0.0.1:5432/autocloud_no_such_db' });
    expect(error.message).toMatch(/127\.0\.0\.1:5432\/autocloud_no_such_db.*does not exist/);
  });

  test('neither a URL nor a data directory', async () => {
    const error = await openError({});
    expect(error.message).toMatch(/no database given/);
  });
});

describe('PGlite on disk', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'autocloud-pglite-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test('keeps its data across close and reopen', async () => {
    const dataDir = join(dir, 'nested', 'db');
    const first = await openDatabase({ dataDir });
    expect(first.kind).toBe('pglite');
    await migrateToLatest(first.db);
    const { compose } = await insertCompose(
      first.db,
      newCompose({ compose_id: 'Fedora-Cloud-41-20241020.0' }),
    );
    await first.close();
    await first.close(); // closing twice is harmless

    const second = await openDatabase({ dataDir });
    try {
      expect(await migrateToLatest(second.db)).toEqual([]);
      expect(await findComposeByComposeId(second.db, 'Fedora-Cloud-41-20241020.0')).toEqual(compose);
    } finally {
      await second.close();
    }
  });
});

describe.each(BACKENDS)('an open %s database', (kind) => {
  let scratch: ScratchDatabase;
  beforeAll(async () => {
    scratch = await openScratchDatabase(kind, { migrate: false });
  });
  afterAll(() => scratch.drop());

  test('returns int8 as numbers, and refuses to round one beyond 2^53', async () => {
    const { db } = scratch.handle;
    const { rows } = await sql<{ n: unknown; big: unknown }>`
      select count(*) as n, 9007199254740991::bigint as big from generate_series(1, 3)`.execute(db);
    expect(rows[0]).toEqual({ n: 3, big: Number.MAX_SAFE_INTEGER });

    await expect(sql`select 9007199254740993::bigint as big`.execute(db)).rejects.toThrow(RangeError);
    await scratch.handle.ping(); // the connection is still usable afterwards
  });

  test('ping fails with a DatabaseError once closed', async () => {
    const other = await openScratchDatabase(kind, { migrate: false });
    await other.handle.ping();
    await other.drop();
    await expect(other.handle.ping()).rejects.toBeInstanceOf(DatabaseError);
  });

  test.runIf(kind === 'postgres')('sets a statement timeout on every connection', async () => {
    const { rows } = await sql<{ statement_timeout: string }>`show statement_timeout`.execute(
      scratch.handle.db,
    );
    expect(rows[0]?.statement_timeout).toBe('1min');
  });
});
