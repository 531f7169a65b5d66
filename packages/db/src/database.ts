// Opens the database: PostgreSQL through a pg pool when a URL is given, else embedded PGlite on local disk.
import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import { describePostgresUrl } from './database-url.js';
import { DatabaseError, describeCause } from './errors.js';
import type { Database } from './schema.js';
import { INT8_OID, parseInt8 } from './type-parsers.js';

export interface OpenDatabaseOptions {
  /** postgres:// or postgresql:// URL; when set, dataDir is ignored. */
  url?: string;
  /** PGlite data directory (created if missing), or 'memory://' for a throwaway in-memory database. */
  dataDir?: string;
  log?: (msg: string) => void;
  /** PostgreSQL pool size (10). */
  poolSize?: number;
  /** Give up connecting to PostgreSQL after this long (10 s). */
  connectTimeoutMs?: number;
  /** Server-side statement_timeout (60 s), so a runaway query cannot hold a connection forever. */
  statementTimeoutMs?: number;
  /** application_name seen in pg_stat_activity ('autocloud'). */
  applicationName?: string;
  /**
   * PostgreSQL must answer before openDatabase returns (true). False: an unreachable server is logged and the
   * handle is returned anyway; its queries fail until the server answers (a server that reports itself not ready
   * meanwhile).
   */
  requireConnection?: boolean;
}

export interface DatabaseHandle {
  db: Kysely<Database>;
  kind: 'postgres' | 'pglite';
  /** Runs `select 1`; throws a DatabaseError when the database is unreachable (readiness probes). */
  ping(): Promise<void>;
  /** Ends the pool or closes PGlite; safe to call more than once. */
  close(): Promise<void>;
}

export const MEMORY_DATA_DIR = 'memory://';

/**
 * Opens the database and checks that it answers. Both backends hand out one connection per transaction; PGlite
 * has only one, so code inside a transaction must use its `trx`, never `db`, or it waits on itself forever.
 */
export async function openDatabase(opts: OpenDatabaseOptions): Promise<DatabaseHandle> {
  if (opts.url) return openPostgres(opts.url, opts);
  if (opts.dataDir) return openPglite(opts.dataDir, opts);
  throw new DatabaseError(
    `no database given: set a postgres:// URL, or a PGlite data directory (or ${MEMORY_DATA_DIR})`,
  );
}

async function openPostgres(url: string, opts: OpenDatabaseOptions): Promise<DatabaseHandle> {
  const target = describePostgresUrl(url);
  const types = new pg.TypeOverrides();
  types.setTypeParser(INT8_OID, parseInt8);
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolSize ?? 10,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: opts.statementTimeoutMs ?? 60_000,
    // A transaction left open (a bug, a hung handler) must not keep its FOR UPDATE locks for ever.
    idle_in_transaction_session_timeout: 120_000,
    application_name: opts.applicationName ?? 'autocloud',
    keepAlive: true,
    // Per pool, not pg.types.setTypeParser: a global override would change every other pg user in the process.
    types,
    Client: ListenedClient,
  });
  // Without a listener, an idle connection dropped by the server would crash the process.
  pool.on('error', (err) =>
    opts.log?.(`idle PostgreSQL connection to ${target} failed: ${describeCause(err)}`),
  );
  const handle = createHandle(
    new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }),
    'postgres',
    target,
  );
  try {
    await handle.ping();
  } catch (error) {
    if (opts.requireConnection === false) {
      opts.log?.(
        `PostgreSQL at ${target} does not answer yet (${describeCause(error)}); going on without it`,
      );
      return handle;
    }
    await handle.close();
    throw error;
  }
  opts.log?.(`connected to PostgreSQL at ${target}`);
  return handle;
}

/**
 * A pg client that always has an 'error' listener. A connection cut while the client is still connecting (a network
 * blip, PostgreSQL restarting) is emitted as 'error' before the pool has attached its own listener, and an 'error'
 * without a listener would crash the process. Queries in flight still fail, and the pool still drops the client.
 */
class ListenedClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    this.on('error', () => undefined);
  }
}

async function openPglite(dataDir: string, opts: OpenDatabaseOptions): Promise<DatabaseHandle> {
  const inMemory = dataDir === MEMORY_DATA_DIR;
  const target = inMemory ? 'in-memory PGlite' : `PGlite at ${dataDir}`;
  let pglite: PGlite;
  try {
    if (!inMemory) await mkdir(dataDir, { recursive: true });
    pglite = await PGlite.create(dataDir, { parsers: { [INT8_OID]: parseInt8 } });
  } catch (cause) {
    throw new DatabaseError(`cannot open embedded ${target}: ${describeCause(cause)}`, { cause });
  }
  // kysely-pglite-dialect closes the PGlite instance when kysely is destroyed.
  const handle = createHandle(new Kysely<Database>({ dialect: new PGliteDialect(pglite) }), 'pglite', target);
  opts.log?.(`opened embedded ${target}`);
  return handle;
}

function createHandle(db: Kysely<Database>, kind: DatabaseHandle['kind'], target: string): DatabaseHandle {
  let closing: Promise<void> | undefined;
  return {
    db,
    kind,
    async ping() {
      try {
        await sql`select 1`.execute(db);
      } catch (cause) {
        const where = kind === 'postgres' ? `PostgreSQL at ${target}` : target;
        throw new DatabaseError(`cannot reach ${where}: ${describeCause(cause)}`, { cause });
      }
    },
    close() {
      closing ??= db.destroy();
      return closing;
    },
  };
}
