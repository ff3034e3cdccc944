import type { Kysely, Selectable, Transaction, Updateable } from 'kysely';
import type { MerchantChanges } from '../domain/merchant-rules.js';
import type { Merchant, MerchantAddress, MerchantStatus } from '../domain/parties.js';
import { prepareQuery } from './prepared.js';
import type { Database, MerchantsTable } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** The outcome of a conditional update: which of the three it was, decided by the database. */
export type MerchantUpdateOutcome = 'updated' | 'deactivated' | 'not-found';

export const toMerchant = (r: Selectable<MerchantsTable>): Merchant => ({
  merchantSerialNumber: r.merchant_serial_number,
  pspId: r.psp_id,
  name: r.name,
  companyName: r.company_name,
  organizationNumber: r.organization_number,
  companyEmail: r.company_email,
  email: r.email,
  website: r.website,
  mccCode: r.mcc_code,
  logo: r.logo,
  address: r.address_json ? (JSON.parse(r.address_json) as MerchantAddress) : null,
  status: r.status as MerchantStatus,
  skipLandingPage: r.skip_landing_page === 1,
  termsOfServiceAccepted: r.terms_of_service_accepted === null ? null : r.terms_of_service_accepted === 1,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export const toMerchantRow = (m: Merchant): MerchantsTable => ({
  merchant_serial_number: m.merchantSerialNumber,
  psp_id: m.pspId,
  name: m.name,
  company_name: m.companyName,
  organization_number: m.organizationNumber,
  company_email: m.companyEmail,
  email: m.email,
  website: m.website,
  mcc_code: m.mccCode,
  logo: m.logo,
  address_json: m.address ? JSON.stringify(m.address) : null,
  status: m.status,
  skip_landing_page: m.skipLandingPage ? 1 : 0,
  terms_of_service_accepted: m.termsOfServiceAccepted === null ? null : m.termsOfServiceAccepted ? 1 : 0,
  created_at: m.createdAt,
  updated_at: m.updatedAt,
});

/**
 * Every PSP API call names its sales unit: `findByMsn` is a query compiled once (prepared.ts) on the
 * primary key, not a cache in the process's memory — another process on the same database may
 * deactivate a sales unit, and a deactivated one must be refused at once everywhere.
 */
export class MerchantRepository {
  private readonly rowByMsn;

  constructor(private readonly db: Kysely<Database>) {
    this.rowByMsn = prepareQuery((msn: string) => db.selectFrom('merchants').selectAll().where('merchant_serial_number', '=', msn));
  }

  async findByMsn(msn: string): Promise<Merchant | null> {
    const [row] = await this.rowByMsn(this.db, msn);
    return row ? toMerchant(row) : null;
  }

  async listByPsp(pspId: string): Promise<Merchant[]> {
    const rows = await this.db.selectFrom('merchants').selectAll().where('psp_id', '=', pspId).orderBy('merchant_serial_number').execute();
    return rows.map(toMerchant);
  }

  /** A sales unit of this PSP; another PSP's MSN is null, like an unknown one (§3). */
  async findOwned(pspId: string, msn: string): Promise<Merchant | null> {
    const row = await this.db
      .selectFrom('merchants')
      .selectAll()
      .where('merchant_serial_number', '=', msn)
      .where('psp_id', '=', pspId)
      .executeTakeFirst();
    return row ? toMerchant(row) : null;
  }

  /** Whether any sales unit (of any PSP) has this MSN: new MSNs never collide. */
  async msnExists(trx: Db, msn: string): Promise<boolean> {
    const row = await trx
      .selectFrom('merchants')
      .select('merchant_serial_number')
      .where('merchant_serial_number', '=', msn)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** A sales unit created through the PSP Merchant API. */
  async insert(trx: Db, m: Merchant): Promise<void> {
    await trx.insertInto('merchants').values(toMerchantRow(m)).execute();
  }

  /**
   * PATCH: applies the changes (and the deactivation) in one conditional write that refuses a
   * deactivated sales unit: `UPDATE … WHERE msn = ? AND psp_id = ? AND status <> 'DEACTIVATED'`.
   * Zero rows is either another PSP's/unknown MSN or a deactivated one; the outcome says which.
   */
  async update(pspId: string, msn: string, changes: MerchantChanges, nowIso: string): Promise<MerchantUpdateOutcome> {
    const set: Updateable<MerchantsTable> = { updated_at: nowIso };
    if (changes.name !== undefined) set.name = changes.name;
    if (changes.mccCode !== undefined) set.mcc_code = changes.mccCode;
    if (changes.logo !== undefined) set.logo = changes.logo;
    if (changes.email !== undefined) set.email = changes.email;
    if (changes.website !== undefined) set.website = changes.website;
    if (changes.address !== undefined) set.address_json = JSON.stringify(changes.address);
    if (changes.companyName !== undefined) set.company_name = changes.companyName;
    if (changes.termsOfServiceAccepted !== undefined) set.terms_of_service_accepted = changes.termsOfServiceAccepted ? 1 : 0;
    if (changes.deactivate) set.status = 'DEACTIVATED' satisfies MerchantStatus;
    const result = await this.db
      .updateTable('merchants')
      .set(set)
      .where('merchant_serial_number', '=', msn)
      .where('psp_id', '=', pspId)
      .where('status', '<>', 'DEACTIVATED' satisfies MerchantStatus)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 1) return 'updated';
    return (await this.findOwned(pspId, msn)) ? 'deactivated' : 'not-found';
  }

  /**
   * The activation job: PENDING sales units created at or before `createdAtOrBeforeIso` become
   * ACTIVE. Conditional on PENDING, so a sales unit deactivated meanwhile stays deactivated.
   * Returns the MSNs activated.
   */
  async activatePending(createdAtOrBeforeIso: string, nowIso: string): Promise<string[]> {
    const rows = await this.db
      .updateTable('merchants')
      .set({ status: 'ACTIVE' satisfies MerchantStatus, updated_at: nowIso })
      .where('status', '=', 'PENDING' satisfies MerchantStatus)
      .where('created_at', '<=', createdAtOrBeforeIso)
      .returning('merchant_serial_number')
      .execute();
    return rows.map((r) => r.merchant_serial_number);
  }

  /** Seed: inserts or replaces the seeded fields. Returns true when something changed. */
  async upsertSeeded(m: Merchant): Promise<boolean> {
    const existing = await this.db
      .selectFrom('merchants')
      .selectAll()
      .where('merchant_serial_number', '=', m.merchantSerialNumber)
      .executeTakeFirst();
    const row = toMerchantRow(m);
    if (!existing) {
      await this.db.insertInto('merchants').values(row).execute();
      return true;
    }
    const { created_at: _c, updated_at: _u, ...compare } = row;
    const changed = (Object.keys(compare) as (keyof typeof compare)[]).some((k) => existing[k] !== compare[k]);
    if (!changed) return false;
    await this.db
      .updateTable('merchants')
      .set({ ...compare, updated_at: row.updated_at })
      .where('merchant_serial_number', '=', m.merchantSerialNumber)
      .execute();
    return true;
  }
}
