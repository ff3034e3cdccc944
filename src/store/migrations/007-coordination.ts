import type { Kysely, Migration } from 'kysely';

/**
 * Coordination in the database, so that several processes on one database agree (issue "One
 * source of truth", docs/ARCHITECTURE.md "Where coordination lives"):
 *  - `callback_attempts.claimed_by` / `lease_until`: the node that makes an outbound call and until
 *    when (on the platform's clock) its claim holds. Only the holder of a live lease completes the
 *    attempt; an attempt whose lease ran out is cut off and the documented rule applies.
 *  - `scheduled_runs.claimed_by` / `lease_until`: the nightly status batch run is claimed the same way.
 *  - `platform_clock`: the offset the control API adds to the real clock (one row).
 *  - `platform_keys`: the keys that seal makePaymentTokens and sign the app's sessions, created once
 *    by whichever process starts first (unless configuration gives them).
 */
export const m007_coordination: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('callback_attempts').addColumn('claimed_by', 'text').execute();
    await db.schema.alterTable('callback_attempts').addColumn('lease_until', 'text').execute();
    await db.schema.alterTable('scheduled_runs').addColumn('claimed_by', 'text').execute();
    await db.schema.alterTable('scheduled_runs').addColumn('lease_until', 'text').execute();
    await db.schema
      .createTable('platform_clock')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('offset_ms', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('platform_keys')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('key_base64', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
  },
};
