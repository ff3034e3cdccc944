/** The inspector's payment list: newest first, filtered; read-only. */
import type { Kysely } from 'kysely';
import type { Payment } from '../domain/payment.js';
import { toPayment } from './payments.js';
import type { Database } from './schema.js';

export interface PaymentFilter {
  readonly pspId?: string | undefined;
  readonly merchantSerialNumber?: string | undefined;
  readonly state?: string | undefined;
  /** A prefix of pspTransactionId, merchantOrderId or the internal id. */
  readonly text?: string | undefined;
  readonly limit: number;
}

export async function searchPayments(db: Kysely<Database>, filter: PaymentFilter): Promise<Payment[]> {
  let q = db.selectFrom('payments').selectAll();
  if (filter.pspId) q = q.where('psp_id', '=', filter.pspId);
  if (filter.merchantSerialNumber) q = q.where('merchant_serial_number', '=', filter.merchantSerialNumber);
  if (filter.state) q = q.where('state', '=', filter.state);
  if (filter.text) {
    // A prefix search. `%` is taken out; a `_` matches any one character, which only widens it.
    const like = `${filter.text.replace(/%/g, '')}%`;
    q = q.where((eb) => eb.or([eb('psp_transaction_id', 'like', like), eb('merchant_order_id', 'like', like), eb('id', 'like', like)]));
  }
  const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
  return rows.map(toPayment);
}
