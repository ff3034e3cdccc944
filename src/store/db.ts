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
 *   (isUniqueViolation in hot.ts), for the callers that let the database decide a race.
 * - the hot paths (init, details; hot.ts): the same statements, compiled once by Kysely in the
 *   store's dialect, run as the group-commit driver's prepared statements on SQLite (a savepoint
 *   of the group, synchronous) and as pg's named prepared statements in a BEGIN/COMMIT on a
 *   pooled client on PostgreSQL (PostgresHotPath in postgres.ts).
 * - the start-up check (database-check.ts): on PostgreSQL only the tables of current_schema()
 *   count (the server lists every schema); --reset is offered on SQLite only.
 * - ids the database assigns: SQLite's `integer primary key` numbers itself, PostgreSQL needs an
 *   identity (migration 009, which does nothing on SQLite).
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
import { BACKSTOP_PAGES, Checkpointer } from './checkpointer.js';
import { checkDatabaseBeforeMigrating } from './database-check.js';
import type { HotPath } from './hot.js';
import { MIGRATIONS, migrationProvider } from './migrations.js';
import { checkConnection, createPostgresDialect, describeServer, PostgresHotPath } from './postgres.js';
import type { Database } from './schema.js';
import { GroupCommitDialect } from './sqlite-driver.js';
import { WalSync } from './wal-sync.js';

export type DialectName = 'sqlite' | 'postgres';

export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  /**
   * Prepared statements for the hot paths (init, details): hot.ts. SQLite: the group-commit
   * driver's statement cache; PostgreSQL: named prepared statements of pg (postgres.ts).
   */
  readonly hot: HotPath;
  /** The file the data lives in, or null in memory. */
  readonly path: string | null;
  /** How many group commits have been made (SQLite; 0 on PostgreSQL). */
  commits(): number;
  /** How many syncs to disk (fdatasync of the WAL) have been made (SQLite; 0 on PostgreSQL). */
  syncs(): number;
  /** How many WAL checkpoints the checkpoint worker has made (checkpointer.ts; 0 on PostgreSQL). */
  checkpoints(): number;
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
   * body). PostgreSQL: `pg_advisory_xact_lock` (released at COMMIT or ROLLBACK). SQLite: nothing;
   * its writing transactions already run one at a time.
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
  try {
    // The first statement reads the file: a corrupt or foreign file fails here (SQLITE_NOTADB).
    sqlite.pragma('journal_mode = WAL');
    // FULL durability comes from WalSync (fdatasync off the event loop), not from the pragma.
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
  } catch (error) {
    sqlite.close();
    throw error;
  }
  const walSync = path && options.synchronous !== 'NORMAL' ? new WalSync(path) : null;
  // Checkpoints run in a worker thread (checkpointer.ts); the main connection's own automatic
  // checkpoint is only a backstop.
  const checkpointer = path ? new Checkpointer(path, (message) => process.emitWarning(`WAL checkpoint failed: ${message}`)) : null;
  if (checkpointer) sqlite.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  const dialect = new GroupCommitDialect(sqlite, walSync, checkpointer ? () => checkpointer.committed() : null);
  const db = new Kysely<Database>({ dialect });
  const closeAll = async () => {
    // The worker's connection goes first: the last connection to close checkpoints the rest.
    await checkpointer?.close();
    await db.destroy();
  };
  await migrateOrClose(db, 'sqlite', databaseUrl, closeAll);
  return {
    db,
    dialect: 'sqlite',
    hot: dialect.driver,
    path,
    commits: () => dialect.driver.commits,
    syncs: () => walSync?.syncs ?? 0,
    checkpoints: () => checkpointer?.checkpoints ?? 0,
    ready: () => checkReady(db),
    exclusive: (_name, work) => work(),
    serialize: async () => {},
    close: closeAll,
  };
}

async function openPostgresStore(databaseUrl: string, options: StoreOptions): Promise<Store> {
  const { dialect, pool } = createPostgresDialect(databaseUrl, { poolSize: options.poolSize ?? 10 });
  const db = new Kysely<Database>({ dialect });
  try {
    await checkConnection(db, databaseUrl);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  await migrateOrClose(db, 'postgres', databaseUrl, () => db.destroy());
  return {
    db,
    dialect: 'postgres',
    hot: new PostgresHotPath(pool),
    path: null,
    commits: () => 0,
    syncs: () => 0,
    checkpoints: () => 0,
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

/**
 * On PostgreSQL, the schema of DATABASE_URL's search_path (`public` unless the URL's `options`
 * say otherwise), named to Kysely's Migrator: it looks for its own tables in every schema of the
 * database, and would take another schema's `kysely_migration` for its own.
 */
async function currentSchema(db: Kysely<Database>, dialect: DialectName): Promise<string | undefined> {
  if (dialect !== 'postgres') return undefined;
  const r = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
  return r.rows[0]?.schema ?? undefined;
}

/**
 * Migrates to the latest schema, or closes the database (`close`) and throws. Refuses another
 * program's database and one migrated by a newer version (database-check.ts: its tables may mean
 * things this code does not know). Several nodes that start together migrate once: on PostgreSQL
 * the Migrator holds an advisory lock while it runs and the others then find nothing left to do.
 */
async function migrateOrClose(db: Kysely<Database>, dialect: DialectName, databaseUrl: string, close: () => Promise<void>): Promise<void> {
  try {
    const schema = await currentSchema(db, dialect);
    await checkDatabaseBeforeMigrating(db as Kysely<unknown>, Object.keys(MIGRATIONS), {
      // Never the URL itself on PostgreSQL: it may hold the password.
      where: dialect === 'postgres' ? `the PostgreSQL database at ${describeServer(databaseUrl)}` : databaseUrl,
      schema,
      resettable: dialect === 'sqlite',
    });
    const migrator = new Migrator({
      db,
      provider: migrationProvider,
      ...(schema ? { migrationTableSchema: schema } : {}),
      // 009_postgres_identity came after 012 and 013 were released: a database migrated by that
      // version gets it now, out of name order (every migration is independent of the later ones).
      allowUnorderedMigrations: true,
    });
    const { error, results } = await migrator.migrateToLatest();
    if (error) {
      const failed = results?.find((r) => r.status === 'Error');
      throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
    }
  } catch (error) {
    await close();
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

/** One definition for both dialects (hot.ts); re-exported for the store's other callers. */
export { isUniqueViolation } from './hot.js';
