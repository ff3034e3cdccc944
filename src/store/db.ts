/**
 * The database seam (GUIDE practice 8): Kysely over better-sqlite3 as the embedded default.
 * Only this file and sqlite-driver.ts (group commit, statement cache) know the dialect. WAL with synchronous=FULL (the default) survives power loss;
 * NORMAL is offered for the benchmark's durability comparison (docs/PERFORMANCE.md).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator } from 'kysely';
import { migrationProvider } from './migrations.js';
import type { Database } from './schema.js';
import { GroupCommitDialect } from './sqlite-driver.js';

export interface Store {
  readonly db: Kysely<Database>;
  /** The file the data lives in, or null in memory. */
  readonly path: string | null;
  /** How many group commits (fsyncs) have been made. */
  commits(): number;
  close(): Promise<void>;
}

export function sqlitePathOf(databaseUrl: string): string | null {
  const rest = databaseUrl.slice('sqlite:'.length);
  if (rest === ':memory:' || rest === '') return null;
  return rest.startsWith('//') ? rest.slice(2) : rest;
}

export interface StoreOptions {
  /** SQLite `synchronous` pragma (default FULL: an fsync per commit). */
  readonly synchronous?: 'FULL' | 'NORMAL';
}

export async function openStore(databaseUrl: string, options: StoreOptions = {}): Promise<Store> {
  if (!databaseUrl.startsWith('sqlite:')) throw new Error(`unsupported DATABASE_URL: ${databaseUrl}`);
  const path = sqlitePathOf(databaseUrl);
  if (path) mkdirSync(dirname(path), { recursive: true });
  const sqlite = new SQLite(path ?? ':memory:');
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma(`synchronous = ${options.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const dialect = new GroupCommitDialect(sqlite);
  const db = new Kysely<Database>({ dialect });
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    await db.destroy();
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  }
  return {
    db,
    path,
    commits: () => dialect.driver.commits,
    close: () => db.destroy(),
  };
}
