import type { Kysely, Migration } from 'kysely';

/**
 * makePayment calls to the PSP: each row is first the pending call (the outbox, committed with
 * the state change before the call is made) and then the record of the attempt. Never holds the
 * cryptogram or the makePaymentToken; the network token only as its last four digits.
 */
export const m002_callbacks: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('callback_attempts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('payment_id', 'text', (c) => c.notNull().references('payments.id'))
      .addColumn('attempt_no', 'integer', (c) => c.notNull())
      .addColumn('payment_state', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('started_at', 'text')
      .addColumn('finished_at', 'text')
      .addColumn('latency_ms', 'integer')
      .addColumn('http_status', 'integer')
      .addColumn('content_type', 'text')
      .addColumn('outcome', 'text')
      .addColumn('response_json', 'text')
      .addColumn('error', 'text')
      .addColumn('token_type', 'text')
      .addColumn('token_last4', 'text')
      .addColumn('bin', 'text')
      .addColumn('eci', 'text')
      .addUniqueConstraint('callback_attempts_seq', ['payment_id', 'attempt_no'])
      .execute();
    await db.schema.createIndex('callback_attempts_status').on('callback_attempts').columns(['status', 'created_at']).execute();
  },
};
