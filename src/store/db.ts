/**
 * The database seam (GUIDE practice 8): Kysely over better-sqlite3 as the embedded default.
 * Only this file, sqlite-driver.ts (group commit, statement cache) and wal-sync.ts know the
 * dialect. Durability `FULL` (the default) survives power loss: SQLite in WAL mode with
 * `synchronous=NORMAL`, and every group commit acknowledged only after an fdatasync of the WAL
 * off the event loop (wal-sync.ts argues why that is SQLite's FULL). `NORMAL` (no such sync: the
 * last commits may be lost on power loss, never corrupted) is offered for the benchmark's
 * durability comparison (docs/PERFORMANCE.md).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator } from 'kysely';
import { BACKSTOP_PAGES, Checkpointer } from './checkpointer.js';
import { checkDatabaseBeforeMigrating } from './database-check.js';
import type { HotPath } from './hot.js';
import { MIGRATIONS, migrationProvider } from './migrations.js';
import type { Database } from './schema.js';
import { GroupCommitDialect } from './sqlite-driver.js';
import { WalSync } from './wal-sync.js';

export interface Store {
  readonly db: Kysely<Database>;
  /** Prepared statements for the hot paths (init, details): hot.ts. */
  readonly hot: HotPath;
  /** The file the data lives in, or null in memory. */
  readonly path: string | null;
  /** How many group commits have been made. */
  commits(): number;
  /** How many syncs to disk (fdatasync of the WAL) have been made. */
  syncs(): number;
  /** How many WAL checkpoints the checkpoint worker has made (checkpointer.ts). */
  checkpoints(): number;
  close(): Promise<void>;
}

export function sqlitePathOf(databaseUrl: string): string | null {
  const rest = databaseUrl.slice('sqlite:'.length);
  if (rest === ':memory:' || rest === '') return null;
  return rest.startsWith('//') ? rest.slice(2) : rest;
}

export interface StoreOptions {
  /** Durability: FULL (default; every acknowledged commit survives power loss) or NORMAL. */
  readonly synchronous?: 'FULL' | 'NORMAL';
}

export async function openStore(databaseUrl: string, options: StoreOptions = {}): Promise<Store> {
  if (!databaseUrl.startsWith('sqlite:')) throw new Error(`unsupported DATABASE_URL: ${databaseUrl}`);
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
  try {
    await checkDatabaseBeforeMigrating(db as Kysely<unknown>, Object.keys(MIGRATIONS), databaseUrl);
  } catch (error) {
    await checkpointer?.close();
    await db.destroy();
    throw error;
  }
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    await checkpointer?.close();
    await db.destroy();
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  }
  return {
    db,
    hot: dialect.driver,
    path,
    commits: () => dialect.driver.commits,
    syncs: () => walSync?.syncs ?? 0,
    checkpoints: () => checkpointer?.checkpoints ?? 0,
    close: async () => {
      // The worker's connection goes first: the last connection to close checkpoints the rest.
      await checkpointer?.close();
      await db.destroy();
    },
  };
}
