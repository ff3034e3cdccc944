import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Psp } from '../domain/parties.js';
import type { Database, PspsTable } from './schema.js';

export interface PspCredentials extends Psp {
  readonly clientSecretSha256: string;
  readonly subscriptionKeySha256: string;
}

const toPsp = (r: PspsTable): PspCredentials => ({
  pspId: r.psp_id,
  name: r.name,
  clientId: r.client_id,
  clientSecretSha256: r.client_secret_sha256,
  subscriptionKeySha256: r.subscription_key_sha256,
});

/**
 * How long a process trusts its copy of the `psps` table before reading it again, in ms.
 * Another process on the same database (or a seed applied by one) changes PSPs without this
 * process knowing: its change is seen here at most this long after it committed.
 */
export const PSP_CACHE_TTL_MS = 1000;

/** Subscription keys are stored as their SHA-256 digest (hex), like security/hash.ts's sha256Hex. */
const sha256Hex = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');

/**
 * PSPs change only when a seed is applied, so lookups are served from memory: the table (a few
 * rows) is read whole, and read again after `PSP_CACHE_TTL_MS` or at once after a write by this
 * process (`invalidate()`). A stale read across processes is harmless: a subscription key or
 * client secret replaced by another process stays valid here for at most a second, as a key
 * regenerated in the real platform's API Management takes a moment to reach every gateway; a
 * new PSP is known within the same second.
 *
 * The authentication of every PSP call looks the PSP up by its subscription key: `bySubscriptionKey`
 * answers from the key as sent, without hashing it again on every request (the digest of a key
 * that matched is remembered; unknown keys are not, so the map holds at most one key per PSP).
 */
export class PspRepository {
  private byClientId = new Map<string, PspCredentials>();
  private bySubscriptionKey = new Map<string, PspCredentials>();
  private byRawSubscriptionKey = new Map<string, PspCredentials>();
  private byId = new Map<string, PspCredentials>();
  /** When the table was read (performance.now()), or null to read it on the next lookup. */
  private loadedAt: number | null = null;

  constructor(private readonly db: Kysely<Database>) {}

  private fresh(): boolean {
    return this.loadedAt !== null && performance.now() - this.loadedAt < PSP_CACHE_TTL_MS;
  }

  private async load(): Promise<void> {
    if (this.fresh()) return;
    const startedAt = performance.now();
    const rows = await this.db.selectFrom('psps').selectAll().execute();
    this.byClientId = new Map();
    this.bySubscriptionKey = new Map();
    this.byRawSubscriptionKey = new Map();
    this.byId = new Map();
    for (const row of rows) {
      const psp = toPsp(row);
      this.byClientId.set(psp.clientId, psp);
      this.bySubscriptionKey.set(psp.subscriptionKeySha256, psp);
      this.byId.set(psp.pspId, psp);
    }
    this.loadedAt = startedAt;
  }

  invalidate(): void {
    this.loadedAt = null;
  }

  /**
   * The PSP of a subscription key as sent, from memory: `undefined` when the copy of the table is
   * stale (then use `findBySubscriptionKey`), null for an unknown key.
   */
  peekBySubscriptionKey(key: string): PspCredentials | null | undefined {
    if (!this.fresh()) return undefined;
    const known = this.byRawSubscriptionKey.get(key);
    if (known) return known;
    const psp = this.bySubscriptionKey.get(sha256Hex(key)) ?? null;
    if (psp) this.byRawSubscriptionKey.set(key, psp);
    return psp;
  }

  async findBySubscriptionKey(key: string): Promise<PspCredentials | null> {
    await this.load();
    return this.peekBySubscriptionKey(key) ?? this.bySubscriptionKey.get(sha256Hex(key)) ?? null;
  }

  async findByClientId(clientId: string): Promise<PspCredentials | null> {
    await this.load();
    return this.byClientId.get(clientId) ?? null;
  }

  async findBySubscriptionKeySha256(hash: string): Promise<PspCredentials | null> {
    await this.load();
    return this.bySubscriptionKey.get(hash) ?? null;
  }

  async findById(pspId: string): Promise<PspCredentials | null> {
    await this.load();
    return this.byId.get(pspId) ?? null;
  }

  async list(): Promise<PspCredentials[]> {
    await this.load();
    return [...this.byId.values()];
  }

  /** Inserts or updates a PSP (seed). Returns true when something changed. */
  async upsert(psp: PspCredentials, nowIso: string): Promise<boolean> {
    const existing = await this.db.selectFrom('psps').selectAll().where('psp_id', '=', psp.pspId).executeTakeFirst();
    const row = {
      psp_id: psp.pspId,
      name: psp.name,
      client_id: psp.clientId,
      client_secret_sha256: psp.clientSecretSha256,
      subscription_key_sha256: psp.subscriptionKeySha256,
    };
    if (!existing) {
      await this.db
        .insertInto('psps')
        .values({ ...row, created_at: nowIso })
        .execute();
    } else if (
      existing.name !== row.name ||
      existing.client_id !== row.client_id ||
      existing.client_secret_sha256 !== row.client_secret_sha256 ||
      existing.subscription_key_sha256 !== row.subscription_key_sha256
    ) {
      await this.db.updateTable('psps').set(row).where('psp_id', '=', psp.pspId).execute();
    } else {
      return false;
    }
    this.invalidate();
    return true;
  }
}
