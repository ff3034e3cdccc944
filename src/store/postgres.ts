/**
 * PostgreSQL behind the same seam (db.ts): Kysely's PostgresDialect over a `pg` pool. This file
 * and db.ts are the only places that know the server dialect; repositories, migrations and the
 * prepared queries are the same on both (see db.ts for the list of per-dialect differences).
 *
 * Durability is the server's: a COMMIT returns once PostgreSQL has flushed its WAL
 * (`synchronous_commit=on`, its default), so SQLITE_SYNCHRONOUS and the WAL sync of wal-sync.ts
 * do not apply here.
 */
import { type Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';

export interface PostgresOptions {
  /** Connections in the pool (DATABASE_POOL_SIZE). */
  readonly poolSize: number;
}

/**
 * Column types that pg would hand back as strings: `count(*)` and `sum(…)` are `bigint` on
 * PostgreSQL (int8, OID 20) where SQLite gives a number. Every such value here is a count or a
 * sum of int32 øre amounts, far below 2^53, so it is read as a JS number, as on SQLite.
 */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === pg.types.builtins.INT8) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
};

/**
 * pg's errors are safe to surface as they are: they name the host, the port and the user, never
 * the password of the URL (which pg only sends to the server). What this file adds to a failure
 * to connect is the server's address without the credentials.
 */
export function describeServer(databaseUrl: string): string {
  try {
    const u = new URL(databaseUrl);
    return `${u.hostname || 'localhost'}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'the PostgreSQL server of DATABASE_URL';
  }
}

export function createPostgresDialect(databaseUrl: string, options: PostgresOptions): { dialect: PostgresDialect; pool: pg.Pool } {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.poolSize,
    types,
    // A dead server must not hang a request or the boot for ever.
    connectionTimeoutMillis: 10_000,
    // Idle connections are closed after a while, so a quiet node holds few of the server's slots.
    idleTimeoutMillis: 30_000,
  });
  // An idle client that loses its connection (server restart) emits 'error' on the pool; without
  // a listener that would crash the process. The next query gets a fresh connection.
  pool.on('error', () => {});
  return { dialect: new PostgresDialect({ pool }), pool };
}

/** Checks that the server answers before migrating, with an error that names no password. */
// biome-ignore lint/suspicious/noExplicitAny: any schema: only `select 1` runs
export async function checkConnection(db: Kysely<any>, databaseUrl: string): Promise<void> {
  try {
    await sql`select 1`.execute(db);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot connect to PostgreSQL at ${describeServer(databaseUrl)}: ${reason}`);
  }
}
