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
import { DatabaseRefusedError } from './database-check.js';
import { bindArguments, type HotConnection, type HotPath, type HotQuery } from './hot.js';

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

/** The URL with its password shown as `***` (the store may not use src/redact.ts: layers.test.ts). */
function withoutPassword(databaseUrl: string): string {
  try {
    const u = new URL(databaseUrl);
    if (u.password) u.password = '***';
    return u.href;
  } catch {
    return describeServer(databaseUrl);
  }
}

/**
 * Checks that the server answers before migrating. Its failure is an operating error
 * (operating-error.ts: one line naming DATABASE_URL), with the URL's password shown as `***`.
 */
// biome-ignore lint/suspicious/noExplicitAny: any schema: only `select 1` runs
export async function checkConnection(db: Kysely<any>, databaseUrl: string): Promise<void> {
  try {
    await sql`select 1`.execute(db);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DatabaseRefusedError(
      'unreachable',
      `cannot connect to PostgreSQL at ${withoutPassword(databaseUrl)}: ${reason}: start the server, or point DATABASE_URL (--database-url) at one that runs`,
    );
  }
}

/**
 * `store.hot` on PostgreSQL (hot.ts): the hot paths' statements, compiled by Kysely once in this
 * dialect, run as named prepared statements of pg (parsed once per pooled connection, then only
 * bound and executed), without Kysely's runtime. `write` is one transaction on one pooled client,
 * acknowledged after its COMMIT (durable as any commit on the server); `read` runs on a client
 * outside a transaction. SQLite's counterpart is the group-commit driver (sqlite-driver.ts).
 */
export class PostgresHotPath implements HotPath {
  constructor(private readonly pool: pg.Pool) {}

  async read<T>(work: (connection: HotConnection) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      return await work(hotConnection(client));
    } finally {
      client.release();
    }
  }

  async write<T>(work: (connection: HotConnection) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('begin');
      try {
        const result = await work(hotConnection(client));
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback').catch((e: Error) => {
          broken = e; // a connection that cannot roll back is not given back to the pool
        });
        throw error;
      }
    } finally {
      client.release(broken);
    }
  }
}

/** A name per query, so that pg prepares each statement once per connection. */
const statementNames = new WeakMap<HotQuery<unknown[], unknown>, string>();
let statementCount = 0;

function statementName(query: HotQuery<unknown[], unknown>): string {
  let name = statementNames.get(query);
  if (name === undefined) {
    name = `hot_${++statementCount}`;
    statementNames.set(query, name);
  }
  return name;
}

function hotConnection(client: pg.PoolClient): HotConnection {
  const execute = (query: HotQuery<unknown[], unknown>, args: unknown[]) =>
    client.query({ name: statementName(query), text: query.sql, values: bindArguments(query, args) });
  return {
    async all<A extends unknown[], R>(query: HotQuery<A, R>, ...args: A): Promise<R[]> {
      return (await execute(query as HotQuery<unknown[], unknown>, args)).rows as R[];
    },
    async run<A extends unknown[]>(query: HotQuery<A, unknown>, ...args: A): Promise<number> {
      return (await execute(query as HotQuery<unknown[], unknown>, args)).rowCount ?? 0;
    },
  };
}
