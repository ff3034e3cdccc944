/**
 * The database seam (GUIDE practice 8): Kysely over better-sqlite3 as the embedded default, or
 * over PostgreSQL (`pg`, postgres.ts) for a server database shared by several nodes.
 *
 * Every difference between the two dialects is listed here (keep this list complete):
 * - opening: SQLite pragmas, group commit (sqlite-driver.ts) and the WAL sync (wal-sync.ts) vs.
 *   a pg pool of DATABASE_POOL_SIZE connections (postgres.ts); SQLITE_SYNCHRONOUS is SQLite's.
 * - result types: PostgreSQL's `bigint` results (count, sum) are read as numbers (postgres.ts).
 * - the migration lock: Kysely's PostgresAdapter takes a session advisory lock around the
 *   migrations, so nodes that start together migrate once; SQLite has one writer at a time.
 * - the schema of Kysely's migration tables: named on PostgreSQL (migrationTableSchema below).
 * - "look, then insert" in one transaction: serialized per key by an advisory transaction lock on
 *   PostgreSQL (serialize), by SQLite's one writer at a time otherwise.
 * - start-up work of several nodes (the seed): under an advisory lock on PostgreSQL (exclusive).
 * - a unique constraint's violation: `SQLITE_CONSTRAINT_UNIQUE` / `_PRIMARYKEY` vs. SQLSTATE 23505
 *   (isUniqueViolation below), for the callers that let the database decide a race.
 * - ids the database assigns: SQLite's `integer primary key` numbers itself, PostgreSQL needs an
 *   identity (migration 008, which does nothing on SQLite).
 * - statements: none differ. The one raw statement that would (payment-ledger.ts's
 *   `UPDATE … FROM (VALUES …)`) casts its first row so both type the columns the same way.
 *
 * On SQLite, only this file, sqlite-driver.ts (group commit, statement cache) and wal-sync.ts
 * know the dialect. Durability `FULL` (the default) survives power loss: SQLite in WAL mode with
 * `synchronous=NORMAL`, and every group commit acknowledged only after an fdatasync of the WAL
 * off the event loop (wal-sync.ts argues why that is SQLite's FULL). `NORMAL` (no such sync: the
 * last commits may be lost on power loss, never corrupted) is offered for the benchmark's
 * durability comparison (docs/PERFORMANCE.md).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, sql, type Transaction } from 'kysely';
import { MIGRATIONS, migrationProvider } from './migrations.js';
import { checkConnection, createPostgresDialect } from './postgres.js';
import type { Database } from './schema.js';
import { GroupCommitDialect } from './sqlite-driver.js';
import { WalSync } from './wal-sync.js';

export type DialectName = 'sqlite' | 'postgres';

export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  /** The file the data lives in, or null in memory. */
  readonly path: string | null;
  /** How many group commits have been made (SQLite; 0 on PostgreSQL). */
  commits(): number;
  /** How many syncs to disk (fdatasync of the WAL) have been made (SQLite; 0 on PostgreSQL). */
  syncs(): number;
  /** Whether the database answers and holds every migration of this code (GET /health). */
  ready(): Promise<Readiness>;
  /**
   * Runs `work` while no other node runs work under the same `name` (start-up work: the seed and
   * the keys, which "look, then insert"). PostgreSQL: a session advisory lock held on one pooled
   * connection while `work` writes through the others. SQLite: one node, nothing to exclude.
   */
  exclusive<T>(name: string, work: () => Promise<T>): Promise<T>;
  /**
   * Makes the rest of transaction `trx` wait for the other open transactions that serialized on
   * `key`, for a "look, then insert" that a unique index cannot decide (a batch's duplicate by
   * body, an idempotency key). PostgreSQL: `pg_advisory_xact_lock` (released at COMMIT or
   * ROLLBACK). SQLite: nothing; its writing transactions already run one at a time.
   */
  serialize(trx: Transaction<Database>, key: string): Promise<void>;
  close(): Promise<void>;
}

export type Readiness = { readonly ready: true } | { readonly ready: false; readonly reason: string };

export function sqlitePathOf(databaseUrl: string): string | null {
  const rest = databaseUrl.slice('sqlite:'.length);
  if (rest === ':memory:' || rest === '') return null;
  return rest.startsWith('//') ? rest.slice(2) : rest;
}

export function isPostgresUrl(databaseUrl: string): boolean {
  return databaseUrl.startsWith('postgres://') || databaseUrl.startsWith('postgresql://');
}

export interface StoreOptions {
  /** SQLite's durability: FULL (default; every acknowledged commit survives power loss) or NORMAL. */
  readonly synchronous?: 'FULL' | 'NORMAL';
  /** PostgreSQL: connections in the pool (default 10). */
  readonly poolSize?: number;
}

export async function openStore(databaseUrl: string, options: StoreOptions = {}): Promise<Store> {
  if (isPostgresUrl(databaseUrl)) return openPostgresStore(databaseUrl, options);
  // Not echoed: the URL may hold a password (config.ts has already named the accepted forms).
  if (!databaseUrl.startsWith('sqlite:')) throw new Error('unsupported DATABASE_URL');
  const path = sqlitePathOf(databaseUrl);
  if (path) mkdirSync(dirname(path), { recursive: true });
  const sqlite = new SQLite(path ?? ':memory:');
  sqlite.pragma('journal_mode = WAL');
  // FULL durability comes from WalSync (fdatasync off the event loop), not from the pragma.
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const walSync = path && options.synchronous !== 'NORMAL' ? new WalSync(path) : null;
  const dialect = new GroupCommitDialect(sqlite, walSync);
  const db = new Kysely<Database>({ dialect });
  await migrateOrClose(db, 'sqlite');
  return {
    db,
    dialect: 'sqlite',
    path,
    commits: () => dialect.driver.commits,
    syncs: () => walSync?.syncs ?? 0,
    ready: () => checkReady(db),
    exclusive: (_name, work) => work(),
    serialize: async () => {},
    close: () => db.destroy(),
  };
}

async function openPostgresStore(databaseUrl: string, options: StoreOptions): Promise<Store> {
  const { dialect } = createPostgresDialect(databaseUrl, { poolSize: options.poolSize ?? 10 });
  const db = new Kysely<Database>({ dialect });
  try {
    await checkConnection(db, databaseUrl);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  await migrateOrClose(db, 'postgres');
  return {
    db,
    dialect: 'postgres',
    path: null,
    commits: () => 0,
    syncs: () => 0,
    ready: () => checkReady(db),
    exclusive: (name, work) =>
      db.connection().execute(async (connection) => {
        await sql`select pg_advisory_lock(hashtext(${`vipps-psp-emulator:${name}`}))`.execute(connection);
        try {
          return await work();
        } finally {
          await sql`select pg_advisory_unlock(hashtext(${`vipps-psp-emulator:${name}`}))`.execute(connection);
        }
      }),
    serialize: async (trx, key) => {
      await sql`select pg_advisory_xact_lock(hashtext(${`vipps-psp-emulator:${key}`}))`.execute(trx);
    },
    close: () => db.destroy(),
  };
}

/** Thrown when the database holds migrations this code does not know (a newer version ran on it). */
export class SchemaTooNewError extends Error {
  constructor(readonly unknownMigrations: readonly string[]) {
    // One line, worded as the SQLite start-up check of the CLI words it (issue 13's database-check).
    super(
      `the database was written by a newer vipps-psp-emulator (migrations ${unknownMigrations.join(', ')} unknown to this version): run that version or newer, or use another DATABASE_URL (--database-url)`,
    );
    this.name = 'SchemaTooNewError';
  }
}

/** The names of the migrations recorded in the database (none on a fresh database). */
async function appliedMigrations(db: Kysely<Database>): Promise<string[]> {
  try {
    const r = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
    return r.rows.map((row) => row.name);
  } catch {
    return []; // no table yet: a fresh database (any other fault shows again when migrating)
  }
}

/**
 * On PostgreSQL, the schema of DATABASE_URL's search_path (`public` unless the URL's `options`
 * say otherwise), named to Kysely's Migrator: it looks for its own tables in every schema of the
 * database, and would take another schema's `kysely_migration` for its own.
 */
async function migrationTableSchema(db: Kysely<Database>, dialect: DialectName): Promise<{ migrationTableSchema?: string }> {
  if (dialect !== 'postgres') return {};
  const r = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  const schema = r.rows[0]?.schema;
  return schema ? { migrationTableSchema: schema } : {};
}

/**
 * Migrates to the latest schema, or closes the database and throws. Refuses a database migrated
 * by a newer version (its tables may mean things this code does not know). Several nodes that
 * start together migrate once: on PostgreSQL the Migrator holds an advisory lock while it runs
 * and the others then find nothing left to do.
 */
async function migrateOrClose(db: Kysely<Database>, dialect: DialectName): Promise<void> {
  try {
    const unknown = (await appliedMigrations(db)).filter((name) => !(name in MIGRATIONS));
    if (unknown.length > 0) throw new SchemaTooNewError(unknown);
    const migrator = new Migrator({ db, provider: migrationProvider, ...(await migrationTableSchema(db, dialect)) });
    const { error, results } = await migrator.migrateToLatest();
    if (error) {
      const failed = results?.find((r) => r.status === 'Error');
      throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
    }
  } catch (error) {
    await db.destroy();
    throw error;
  }
}

async function checkReady(db: Kysely<Database>): Promise<Readiness> {
  try {
    const r = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
    const applied = new Set(r.rows.map((row) => row.name));
    const missing = Object.keys(MIGRATIONS).filter((name) => !applied.has(name));
    if (missing.length > 0) return { ready: false, reason: `migrations not applied: ${missing.join(', ')}` };
    return { ready: true };
  } catch (error) {
    return { ready: false, reason: `database unavailable: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/**
 * Whether `error` is the violation of a unique index or primary key, on either dialect: the
 * database's answer to "two requests inserted the same ids at once" (init relies on it).
 */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}
