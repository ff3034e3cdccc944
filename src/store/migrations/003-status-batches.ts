import type { Kysely, Migration } from 'kysely';

/**
 * Status batches (psp-facts.md §2.8, docs/status-updates.md): every updatestatus call is stored
 * on receipt and applied later by the batch job. Items are what the PSP sent (never changed);
 * outcomes are what the job decided. `scheduled_runs` remembers the last nightly run, so a
 * restart neither skips nor repeats a night.
 */
export const m003_status_batches: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('status_batches')
      // Assigned as max + 1 in the receiving transaction: the order in which batches are applied.
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('psp_id', 'text', (c) => c.notNull().references('psps.psp_id'))
      .addColumn('merchant_serial_number', 'text')
      .addColumn('received_at', 'text', (c) => c.notNull())
      .addColumn('body_sha256', 'text', (c) => c.notNull())
      .addColumn('idempotency_key', 'text')
      .addColumn('item_count', 'integer', (c) => c.notNull())
      // PENDING | APPLIED | DUPLICATE
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('duplicate_of', 'integer')
      .addColumn('applied_at', 'text')
      .addColumn('applied_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('unchanged_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('rejected_count', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema.createIndex('status_batches_state').on('status_batches').columns(['state', 'id']).execute();
    await db.schema.createIndex('status_batches_body').on('status_batches').columns(['psp_id', 'body_sha256', 'received_at']).execute();

    await db.schema
      .createTable('status_items')
      .addColumn('batch_id', 'integer', (c) => c.notNull().references('status_batches.id'))
      // The item's index in the request's `transactions` array.
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('psp_id', 'text', (c) => c.notNull())
      .addColumn('psp_transaction_id', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('amount_ore', 'integer', (c) => c.notNull())
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('payment_text', 'text')
      .addColumn('operation_status', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('status_items_pk', ['batch_id', 'seq'])
      .execute();
    await db.schema.createIndex('status_items_payment').on('status_items').columns(['psp_id', 'psp_transaction_id']).execute();

    await db.schema
      .createTable('status_item_outcomes')
      .addColumn('batch_id', 'integer', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('payment_id', 'text')
      // APPLIED | UNCHANGED | REJECTED
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('reason_code', 'text')
      .addColumn('detail', 'text')
      // The amount written to the payment's log (for a cancel: the amount released).
      .addColumn('logged_amount_ore', 'integer')
      .addColumn('decided_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('status_item_outcomes_pk', ['batch_id', 'seq'])
      .addForeignKeyConstraint('status_item_outcomes_item', ['batch_id', 'seq'], 'status_items', ['batch_id', 'seq'])
      .execute();
    await db.schema
      .createIndex('status_item_outcomes_outcome')
      .on('status_item_outcomes')
      .columns(['batch_id', 'outcome', 'seq'])
      .execute();

    await db.schema
      .createTable('scheduled_runs')
      .addColumn('job', 'text', (c) => c.primaryKey())
      // The run this row stands for (for the nightly job: the 02:00 Oslo instant, ISO UTC).
      .addColumn('last_run_for', 'text', (c) => c.notNull())
      .addColumn('ran_at', 'text', (c) => c.notNull())
      .execute();
  },
};
