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
    readonly reason: 'foreign' | 'newer',
    message: string,
  ) {
    super(message);
  }
}

const MIGRATION_TABLE = 'kysely_migration';

export async function checkDatabaseBeforeMigrating(db: Kysely<unknown>, knownMigrations: readonly string[], where: string): Promise<void> {
  const tables = (await db.introspection.getTables({ withInternalKyselyTables: true })).map((t) => t.name);
  if (tables.length === 0) return; // a new, empty database
  if (!tables.includes(MIGRATION_TABLE)) {
    throw new DatabaseRefusedError(
      'foreign',
      `${where} holds another program's tables (${tables.slice(0, 3).join(', ')}${tables.length > 3 ? ', …' : ''}), not a vipps-psp-emulator database: point DATABASE_URL (--database-url) at another file or an empty database`,
    );
  }
  const applied = await sql<{ name: string }>`select name from ${sql.table(MIGRATION_TABLE)}`.execute(db);
  const known = new Set(knownMigrations);
  const unknown = applied.rows.map((r) => r.name).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new DatabaseRefusedError(
      'newer',
      `${where} was written by a newer vipps-psp-emulator (migrations ${unknown.join(', ')} unknown to this version): run that version or newer, or start with --reset (erases it) or another DATABASE_URL (--database-url)`,
    );
  }
}
