import type { Kysely, Selectable } from 'kysely';
import type { Merchant, MerchantAddress, MerchantStatus } from '../domain/parties.js';
import type { Database, MerchantsTable } from './schema.js';

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

export class MerchantRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async findByMsn(msn: string): Promise<Merchant | null> {
    const row = await this.db.selectFrom('merchants').selectAll().where('merchant_serial_number', '=', msn).executeTakeFirst();
    return row ? toMerchant(row) : null;
  }

  async listByPsp(pspId: string): Promise<Merchant[]> {
    const rows = await this.db.selectFrom('merchants').selectAll().where('psp_id', '=', pspId).orderBy('merchant_serial_number').execute();
    return rows.map(toMerchant);
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
