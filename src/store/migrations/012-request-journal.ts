import { type Kysely, type Migration, sql } from 'kysely';

/**
 * The request journal (src/store/request-journal.ts): one row per request to the PSP-facing APIs
 * (access token, init, details, updatestatus, force approve, Merchant API), with the request and
 * response bodies with their secrets removed. It replaces `api_calls` (migration 005), which had
 * the same rows without the bodies: the go-live checklist reads the journal now, one record, not
 * two. Rows of `api_calls` are carried over (without bodies) so an existing database keeps its
 * checklist evidence.
 */
export const m012_request_journal: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('request_journal')
      // The request id (UUIDv7, time-ordered: the journal's order and what pruning cuts by).
      .addColumn('id', 'text', (c) => c.primaryKey())
      // The PSP whose credentials the request carried (null when it named none we know).
      .addColumn('psp_id', 'text')
      // TOKEN | INIT | DETAILS | UPDATESTATUS | FORCE_APPROVE | MERCHANT_LIST | MERCHANT_CREATE | MERCHANT_GET | MERCHANT_UPDATE
      .addColumn('operation', 'text', (c) => c.notNull())
      .addColumn('method', 'text', (c) => c.notNull())
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('http_status', 'integer', (c) => c.notNull())
      .addColumn('error_code', 'text')
      // Server time from the request's arrival to the answer's end, in milliseconds (0.1 ms steps).
      .addColumn('latency_ms', 'real', (c) => c.notNull())
      .addColumn('psp_transaction_id', 'text')
      .addColumn('merchant_order_id', 'text')
      .addColumn('merchant_serial_number', 'text')
      .addColumn('request_headers', 'text')
      .addColumn('request_body', 'text')
      .addColumn('response_body', 'text')
      // The injected fault that shaped this answer (its id and kind), if any.
      .addColumn('fault', 'text')
      .addColumn('at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('request_journal_psp').on('request_journal').columns(['psp_id', 'id']).execute();
    await db.schema.createIndex('request_journal_payment').on('request_journal').columns(['psp_id', 'psp_transaction_id']).execute();
    // Plain standard SQL (INSERT … SELECT, CASE): the same on SQLite and PostgreSQL.
    await sql`
      INSERT INTO request_journal (id, psp_id, operation, method, path, http_status, error_code, latency_ms, psp_transaction_id, merchant_order_id, at)
      SELECT id, psp_id, operation, CASE WHEN operation = 'DETAILS' THEN 'GET' ELSE 'POST' END, '', http_status, error_code, 0,
             psp_transaction_id, merchant_order_id, at
      FROM api_calls`.execute(db);
    await db.schema.dropTable('api_calls').execute();
  },
};
