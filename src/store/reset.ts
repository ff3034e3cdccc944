/**
 * Reset (`POST /_emulator/reset`, `emulator.reset()`): deletes payments with everything that hangs
 * off them (timeline, log, makePayment attempts), status batches with their items and outcomes,
 * and the idempotency keys of init and updatestatus — for one PSP or all. PSPs, sales units,
 * users and cards, the signing key and the Merchant API's idempotency keys stay. One transaction:
 * a reader sees everything before or nothing. The request journal and the faults are cleared by
 * their own repositories (services/reset.ts).
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { StatusBatchTables } from './status-batches.js';

/** Idempotency scopes whose stored answers name payments or batches (services/initiate-payment.ts, receive-status-batch.ts). */
const PAYMENT_SCOPES = ['init', 'updatestatus'];

export interface ResetCounts {
  readonly payments: number;
  readonly statusBatches: number;
}

export async function deletePaymentsAndBatches(db: Kysely<Database>, pspId: string | undefined): Promise<ResetCounts> {
  const tdb = db.withTables<StatusBatchTables>();
  return tdb.transaction().execute(async (trx) => {
    const payments = trx.selectFrom('payments').select('id');
    const ofPsp = pspId === undefined ? payments : payments.where('psp_id', '=', pspId);
    const batches = trx.selectFrom('status_batches').select('id');
    const batchesOfPsp = pspId === undefined ? batches : batches.where('psp_id', '=', pspId);
    await trx.deleteFrom('status_item_outcomes').where('batch_id', 'in', batchesOfPsp).execute();
    await trx.deleteFrom('status_items').where('batch_id', 'in', batchesOfPsp).execute();
    const deletedBatches = await (pspId === undefined
      ? trx.deleteFrom('status_batches')
      : trx.deleteFrom('status_batches').where('psp_id', '=', pspId)
    ).executeTakeFirst();
    await trx.deleteFrom('callback_attempts').where('payment_id', 'in', ofPsp).execute();
    await trx.deleteFrom('payment_events').where('payment_id', 'in', ofPsp).execute();
    await trx.deleteFrom('payment_log').where('payment_id', 'in', ofPsp).execute();
    const deletedPayments = await (pspId === undefined
      ? trx.deleteFrom('payments')
      : trx.deleteFrom('payments').where('psp_id', '=', pspId)
    ).executeTakeFirst();
    let keys = trx.deleteFrom('idempotency_keys').where('scope', 'in', PAYMENT_SCOPES);
    if (pspId !== undefined) keys = keys.where('psp_id', '=', pspId);
    await keys.execute();
    return { payments: Number(deletedPayments.numDeletedRows), statusBatches: Number(deletedBatches.numDeletedRows) };
  });
}
