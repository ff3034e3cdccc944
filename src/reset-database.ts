/**
 * `--reset`: start with an empty database (then the seed is applied as on a first start). For a
 * SQLite file that is removing the file, its WAL and shared-memory files and the key file of the
 * sealed makePaymentTokens. Only a vipps-psp-emulator database is removed: a file that is not one
 * (another program's, or not SQLite at all) is refused, never deleted.
 */
import { existsSync, rmSync } from 'node:fs';
import SQLite from 'better-sqlite3';
import { OperatingError } from './operating-error.js';
import { sqlitePathOf } from './store/db.js';

/** Returns the files removed (none for an in-memory database or a file that does not exist yet). */
export function resetDatabase(databaseUrl: string): string[] {
  if (!databaseUrl.startsWith('sqlite:')) {
    throw new OperatingError('DATABASE_URL', '--reset works on a sqlite: database only: empty the database by other means');
  }
  const path = sqlitePathOf(databaseUrl);
  if (path === null || !existsSync(path)) return [];
  let ours = false;
  try {
    const probe = new SQLite(path, { readonly: true, fileMustExist: true });
    try {
      ours = probe.prepare("select 1 from sqlite_master where type = 'table' and name = 'kysely_migration'").get() !== undefined;
    } finally {
      probe.close();
    }
  } catch {
    ours = false;
  }
  if (!ours) {
    throw new OperatingError(
      'DATABASE_URL',
      `--reset: ${path} is not a vipps-psp-emulator database, so it is not removed: remove it yourself or point DATABASE_URL (--database-url) elsewhere`,
    );
  }
  const removed: string[] = [];
  for (const file of [path, `${path}-wal`, `${path}-shm`, `${path}.key`]) {
    if (existsSync(file)) {
      rmSync(file);
      removed.push(file);
    }
  }
  return removed;
}
