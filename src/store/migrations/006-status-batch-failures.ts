import type { Kysely, Migration } from 'kysely';

/**
 * A status batch whose application throws (a broken money invariant or a failed conditional
 * write: our bug, never the PSP's) is marked FAILED with the error, so later batches are not
 * blocked behind it (docs/status-updates.md "A batch that fails"). `failed_at` is when the job
 * gave up on it; `error` the error's text, for the control API.
 */
export const m006_status_batch_failures: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('status_batches').addColumn('failed_at', 'text').execute();
    await db.schema.alterTable('status_batches').addColumn('error', 'text').execute();
  },
};
