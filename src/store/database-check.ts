/**
 * Checks, before migrating, that the database is ours and not newer than this code: migrating a
 * foreign database would add our tables to someone else's data, and running old code on a newer
 * schema would corrupt it. Portable (Kysely's introspection and a plain select), so it runs on
 * every dialect the store supports.
 */
import { type Kysely, sql } from 'kysely';

/** The database cannot be used as it is; the message says why and what to do (without the setting). */
export class DatabaseRefusedError extends Error {
  override name = 'DatabaseRefusedError';
  constructor(
    readonly reason: 'foreign' | 'newer' | 'unreachable',
    message: string,
  ) {
    super(message);
  }
}

const MIGRATION_TABLE = 'kysely_migration';

export interface CheckTarget {
  /** The database as the message names it (never with a password). */
  readonly where: string;
  /**
   * PostgreSQL: the schema the store works in (current_schema()). The server's introspection
   * lists the tables of every schema; only this one's tables say whether the database is ours.
   */
  readonly schema?: string;
  /** Whether `--reset` can erase it (SQLite files only: reset-database.ts). */
  readonly resettable: boolean;
}

export async function checkDatabaseBeforeMigrating(
  db: Kysely<unknown>,
  knownMigrations: readonly string[],
  target: CheckTarget,
): Promise<void> {
  const { where, schema } = target;
  const tables = (await db.introspection.getTables({ withInternalKyselyTables: true }))
    .filter((t) => schema === undefined || t.schema === schema)
    .map((t) => t.name);
  if (tables.length === 0) return; // a new, empty database
  if (!tables.includes(MIGRATION_TABLE)) {
    throw new DatabaseRefusedError(
      'foreign',
      `${where} holds another program's tables (${tables.slice(0, 3).join(', ')}${tables.length > 3 ? ', …' : ''}), not a vipps-psp-emulator database: point DATABASE_URL (--database-url) at another file or an empty database`,
    );
  }
  const table = schema === undefined ? sql.table(MIGRATION_TABLE) : sql.table(`${schema}.${MIGRATION_TABLE}`);
  const applied = await sql<{ name: string }>`select name from ${table}`.execute(db);
  const known = new Set(knownMigrations);
  const unknown = applied.rows.map((r) => r.name).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new DatabaseRefusedError(
      'newer',
      `${where} was written by a newer vipps-psp-emulator (migrations ${unknown.join(', ')} unknown to this version): run that version or newer, or ${target.resettable ? 'start with --reset (erases it) or ' : 'use '}another DATABASE_URL (--database-url)`,
    );
  }
}
