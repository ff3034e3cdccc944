/**
 * What every process on one database must agree on besides the payments: the clock offset the
 * control API sets, and the keys that seal makePaymentTokens and sign the app's sessions. Kept in
 * the database, so a restarted or second process reads what the first wrote (docs/ARCHITECTURE.md
 * "Where coordination lives").
 */
import { randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Database } from './schema.js';

const CLOCK_ROW = 1;

export class PlatformStateRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** The stored clock offset in ms (0 before the first advance). */
  async clockOffsetMs(): Promise<number> {
    const row = await this.db.selectFrom('platform_clock').select('offset_ms').where('id', '=', CLOCK_ROW).executeTakeFirst();
    return Number(row?.offset_ms ?? 0);
  }

  /**
   * Moves the stored offset forward by `ms` and answers the new offset. An increment, not an
   * absolute value, so that two processes advancing at once both count.
   */
  async advanceClock(ms: number): Promise<number> {
    const row = await this.db
      .insertInto('platform_clock')
      .values({ id: CLOCK_ROW, offset_ms: ms })
      .onConflict((oc) => oc.column('id').doUpdateSet({ offset_ms: sql`platform_clock.offset_ms + ${ms}` }))
      .returning('offset_ms')
      .executeTakeFirstOrThrow();
    return Number(row.offset_ms);
  }

  /**
   * The named key (32 bytes): the stored one, or, on first use, `initial` (or a random key)
   * stored for every later process. Insert-or-keep, then read: when two processes start together
   * both end up with the key that won the insert.
   */
  async key(name: string, nowIso: string, initial?: Buffer): Promise<Buffer> {
    const stored = await this.storedKey(name);
    if (stored) return stored;
    await this.db
      .insertInto('platform_keys')
      .values({ name, key_base64: (initial ?? randomBytes(32)).toString('base64'), created_at: nowIso })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const key = await this.storedKey(name);
    if (!key) throw new Error(`platform key ${name} could not be stored`);
    return key;
  }

  private async storedKey(name: string): Promise<Buffer | null> {
    const row = await this.db.selectFrom('platform_keys').select('key_base64').where('name', '=', name).executeTakeFirst();
    return row ? Buffer.from(row.key_base64, 'base64') : null;
  }
}
