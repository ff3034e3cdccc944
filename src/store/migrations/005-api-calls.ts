import type { Kysely, Migration } from 'kysely';

/**
 * The PSP's calls to the PSP API (init, details, updatestatus, force approve), one row per call,
 * for the go-live checklist report. Superseded by the request journal (migration 012 copies the
 * rows and drops this table) (docs/differences.md, `GET /_emulator/checklist`). No body and
 * no header is stored: only who, what, when, the HTTP status, the error code and the ids.
 */
export const m005_api_calls: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('api_calls')
      // The request id (a UUID), also the contextId of an error answer.
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('psp_id', 'text', (c) => c.notNull())
      // INIT | DETAILS | UPDATESTATUS | FORCE_APPROVE
      .addColumn('operation', 'text', (c) => c.notNull())
      .addColumn('http_status', 'integer', (c) => c.notNull())
      .addColumn('error_code', 'text')
      .addColumn('psp_transaction_id', 'text')
      .addColumn('merchant_order_id', 'text')
      .addColumn('at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('api_calls_psp').on('api_calls').columns(['psp_id', 'operation', 'at']).execute();
  },
};
