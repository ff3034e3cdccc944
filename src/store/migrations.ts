/**
 * Migrations, written with Kysely's schema builder only (no dialect-specific SQL) so the same
 * list runs on SQLite and PostgreSQL. One file per migration under migrations/; append new
 * ones here, never edit a released one.
 */
import type { Migration, MigrationProvider } from 'kysely';
import { m001_core } from './migrations/001-core.js';
import { m002_callbacks } from './migrations/002-callbacks.js';
import { m003_status_batches } from './migrations/003-status-batches.js';
import { m005_api_calls } from './migrations/005-api-calls.js';
import { m006_status_batch_failures } from './migrations/006-status-batch-failures.js';
import { m007_coordination } from './migrations/007-coordination.js';
import { m008_card_nicknames } from './migrations/008-card-nicknames.js';
import { m009_postgres_identity } from './migrations/009-postgres-identity.js';
import { m012_request_journal } from './migrations/012-request-journal.js';
import { m013_faults } from './migrations/013-faults.js';

export const MIGRATIONS: Record<string, Migration> = {
  '001_core': m001_core,
  '002_callbacks': m002_callbacks,
  '003_status_batches': m003_status_batches,
  '005_api_calls': m005_api_calls,
  '006_status_batch_failures': m006_status_batch_failures,
  '007_coordination': m007_coordination,
  '008_card_nicknames': m008_card_nicknames,
  '009_postgres_identity': m009_postgres_identity,
  '012_request_journal': m012_request_journal,
  '013_faults': m013_faults,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};
