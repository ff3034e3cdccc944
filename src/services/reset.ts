/**
 * Reset (`POST /_emulator/reset`, `emulator.reset()`): a test suite starts clean without a
 * restart. Everything, or one PSP's: payments (with their timeline, log and makePayment
 * attempts), status batches, the idempotency keys of init and updatestatus, the request journal
 * and the injected faults. PSPs, sales units (seeded or created through the Merchant API), users
 * and cards, and the platform's clock stay. A makePayment call in flight when its payment is
 * deleted finds no payment to write to afterwards; its outcome is dropped.
 */
import { ApiError } from '../domain/errors.js';
import type { Platform } from '../platform.js';
import { deletePaymentsAndBatches } from '../store/reset.js';

export interface ResetResult {
  readonly pspId: string | null;
  readonly deleted: { readonly payments: number; readonly statusBatches: number; readonly requests: number; readonly faults: number };
}

export async function resetPlatform(platform: Platform, pspIdInput?: string): Promise<ResetResult> {
  let pspId: string | undefined;
  if (pspIdInput !== undefined) {
    const psp = (await platform.repos.psps.findById(pspIdInput)) ?? (await platform.repos.psps.findById(pspIdInput.toUpperCase()));
    if (!psp) throw new ApiError('PSP_NOT_FOUND');
    pspId = psp.pspId;
  }
  const faults = await platform.repos.faults.clear(pspId);
  const counts = await deletePaymentsAndBatches(platform.store.db, pspId);
  const requests = await platform.repos.journal.clear(pspId);
  platform.log.info({ pspId: pspId ?? 'all', ...counts, requests, faults }, 'reset');
  return { pspId: pspId ?? null, deleted: { ...counts, requests, faults } };
}
