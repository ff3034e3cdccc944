import type { Kysely, Migration } from 'kysely';

/** Injected faults (src/domain/faults.ts, src/store/faults.ts), per PSP; cleared by reset. */
export const m013_faults: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('faults')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('psp_id', 'text', (c) => c.notNull().references('psps.psp_id'))
      .addColumn('operation', 'text', (c) => c.notNull())
      // status | latency | close | timeout
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('status', 'integer')
      // before | after
      .addColumn('when_applied', 'text', (c) => c.notNull())
      .addColumn('delay_ms', 'integer')
      .addColumn('delay_max_ms', 'integer')
      .addColumn('retry_after_seconds', 'integer')
      .addColumn('count', 'integer')
      // What is left of count (null: no count); the row is deleted when it reaches 0.
      .addColumn('remaining', 'integer')
      .addColumn('probability', 'real', (c) => c.notNull())
      .addColumn('seed', 'integer', (c) => c.notNull())
      .addColumn('seen', 'integer', (c) => c.notNull())
      .addColumn('fired', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('faults_psp').on('faults').columns(['psp_id', 'id']).execute();
  },
};
