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
 * PSPs change only when a seed is applied, so lookups are served from memory after the first
 * read (`invalidate()` after a write).
 */
export class PspRepository {
  private byClientId = new Map<string, PspCredentials>();
  private bySubscriptionKey = new Map<string, PspCredentials>();
  private byId = new Map<string, PspCredentials>();
  private loaded = false;

  constructor(private readonly db: Kysely<Database>) {}

  private async load(): Promise<void> {
    if (this.loaded) return;
    const rows = await this.db.selectFrom('psps').selectAll().execute();
    this.byClientId = new Map();
    this.bySubscriptionKey = new Map();
    this.byId = new Map();
    for (const row of rows) {
      const psp = toPsp(row);
      this.byClientId.set(psp.clientId, psp);
      this.bySubscriptionKey.set(psp.subscriptionKeySha256, psp);
      this.byId.set(psp.pspId, psp);
    }
    this.loaded = true;
  }

  invalidate(): void {
    this.loaded = false;
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
