/**
 * What the control API shows of status batches (docs/status-updates.md): each batch with its
 * counts and its rejected items with their reasons, and the status items of one payment.
 */
import { ApiError } from '../domain/errors.js';
import { REJECTIONS, type RejectionCode } from '../domain/payment-money.js';
import { NIGHTLY_JOB } from '../domain/status-batch.js';
import type { Platform } from '../platform.js';
import type { StatusBatch } from '../store/status-batches.js';

export interface RejectedItemView {
  /** The item's index in the request's `transactions` array. */
  readonly index: number;
  readonly pspTransactionId: string;
  readonly status: string;
  readonly amount: number;
  readonly operationStatus: string;
  readonly reasonCode: RejectionCode;
  readonly reason: string;
  readonly detail: string | null;
}

export interface StatusBatchView {
  readonly id: number;
  readonly pspId: string;
  readonly merchantSerialNumber: string | null;
  readonly receivedAt: string;
  readonly appliedAt: string | null;
  /**
   * PENDING (waits for the job), APPLIED, DUPLICATE (a resend; never applied), or FAILED (applying
   * it threw: our bug; nothing of it was applied, see `error`).
   */
  readonly state: StatusBatch['state'];
  /** When the job gave up on a FAILED batch, and the error it recorded; null otherwise. */
  readonly failedAt: string | null;
  readonly error: string | null;
  readonly duplicateOf: number | null;
  readonly idempotencyKey: string | null;
  readonly counts: { items: number; applied: number; unchanged: number; rejected: number; pending: number };
  readonly rejectedItems: readonly RejectedItemView[];
  /** More rejected items than shown: page with GET /_emulator/status-batches/{id}?rejectedOffset=… */
  readonly rejectedItemsTruncated: boolean;
}

const reasonOf = (code: RejectionCode): string => REJECTIONS[code]?.message ?? code;

export async function statusBatchView(
  platform: Pick<Platform, 'repos'>,
  batch: StatusBatch,
  rejected: { limit: number; offset: number },
): Promise<StatusBatchView> {
  const repository = platform.repos.statusBatches;
  const rows = batch.rejectedCount > 0 ? await repository.rejectedItems(batch.id, rejected.limit, rejected.offset) : [];
  return {
    id: batch.id,
    pspId: batch.pspId,
    merchantSerialNumber: batch.merchantSerialNumber,
    receivedAt: batch.receivedAt,
    appliedAt: batch.appliedAt,
    state: batch.state,
    failedAt: batch.failedAt,
    error: batch.error,
    duplicateOf: batch.duplicateOf,
    idempotencyKey: batch.idempotencyKey,
    counts: {
      items: batch.itemCount,
      applied: batch.appliedCount,
      unchanged: batch.unchangedCount,
      rejected: batch.rejectedCount,
      pending: batch.state === 'PENDING' ? batch.itemCount : 0,
    },
    rejectedItems: rows.map((r) => ({
      index: r.seq,
      pspTransactionId: r.pspTransactionId,
      status: r.status,
      amount: r.amount,
      operationStatus: r.operationStatus,
      reasonCode: r.reasonCode,
      reason: reasonOf(r.reasonCode),
      detail: r.detail,
    })),
    rejectedItemsTruncated: rejected.offset + rows.length < batch.rejectedCount,
  };
}

export interface StatusBatchList {
  readonly schedule: Platform['config']['statusBatchSchedule'];
  /** The last nightly run (the 02:00 Oslo it stands for, and when it ran), or null. */
  readonly lastNightlyRun: { readonly night: string; readonly ranAt: string } | null;
  readonly batches: readonly StatusBatchView[];
}

/** Batches, newest first; each with up to `rejectedLimit` of its rejected items. */
export async function listStatusBatches(
  platform: Pick<Platform, 'repos' | 'config'>,
  options: { pspId: string | null; limit: number; offset: number; rejectedLimit: number },
): Promise<StatusBatchList> {
  const repository = platform.repos.statusBatches;
  const batches = await repository.list(options);
  const lastRun = await repository.lastRun(NIGHTLY_JOB);
  return {
    schedule: platform.config.statusBatchSchedule,
    lastNightlyRun: lastRun ? { night: lastRun.lastRunFor, ranAt: lastRun.ranAt } : null,
    batches: await Promise.all(batches.map((b) => statusBatchView(platform, b, { limit: options.rejectedLimit, offset: 0 }))),
  };
}

export interface PaymentStatusItemView {
  readonly batchId: number;
  readonly index: number;
  readonly receivedAt: string;
  readonly status: string;
  readonly amount: number;
  readonly currency: string;
  readonly paymentText: string | null;
  readonly operationStatus: string;
  /** PENDING until the job applies its batch; then APPLIED, UNCHANGED or REJECTED; FAILED when the batch failed. */
  readonly outcome: 'PENDING' | 'APPLIED' | 'UNCHANGED' | 'REJECTED' | 'FAILED';
  /** The amount written to the payment's log (a cancel logs the amount it released). */
  readonly loggedAmount: number | null;
  readonly reasonCode: RejectionCode | null;
  readonly reason: string | null;
  readonly detail: string | null;
  readonly decidedAt: string | null;
}

/**
 * Every updatestatus item that named this payment (by its PSP and pspTransactionId), oldest
 * first, with its outcome. Items of a DUPLICATE batch are not stored, so they do not appear.
 * An unknown payment id gives an empty list.
 */
export async function statusItemsOfPayment(
  platform: Pick<Platform, 'store' | 'repos'>,
  paymentId: string,
): Promise<PaymentStatusItemView[]> {
  const payment = await platform.repos.payments.findById(paymentId);
  if (!payment) return [];
  const items = await platform.repos.statusBatches.itemsOfPayment(payment.pspId, payment.pspTransactionId);
  return items.map((i) => ({
    batchId: i.batchId,
    index: i.seq,
    receivedAt: i.receivedAt,
    status: i.status,
    amount: i.amount,
    currency: i.currency,
    paymentText: i.paymentText,
    operationStatus: i.operationStatus,
    outcome: i.outcome ?? (i.batchState === 'FAILED' ? 'FAILED' : 'PENDING'),
    loggedAmount: i.loggedAmount,
    reasonCode: i.reasonCode,
    reason: i.reasonCode ? reasonOf(i.reasonCode) : null,
    detail: i.detail,
    decidedAt: i.decidedAt,
  }));
}

/** The PSP's batch; another PSP's and an unknown id answer alike (docs/ARCHITECTURE.md "Isolation"). */
export async function ownStatusBatch(platform: Pick<Platform, 'repos'>, pspId: string, batchId: number): Promise<StatusBatch> {
  const batch = await platform.repos.statusBatches.find(batchId);
  if (!batch || batch.pspId !== pspId) throw new ApiError('STATUS_BATCH_NOT_FOUND');
  return batch;
}

/** The views of batches by id (those that exist), with their first 100 rejected items. */
export async function statusBatchViews(platform: Pick<Platform, 'repos'>, batchIds: readonly number[]): Promise<StatusBatchView[]> {
  const out: StatusBatchView[] = [];
  for (const id of batchIds) {
    const batch = await platform.repos.statusBatches.find(id);
    if (batch) out.push(await statusBatchView(platform, batch, { limit: 100, offset: 0 }));
  }
  return out;
}

/**
 * Puts the PSP's FAILED batch back in the queue (after its cause was fixed) and runs the jobs;
 * answers its view. Ownership first: another PSP's batch is not found, whatever its state.
 */
export async function retryStatusBatch(
  platform: Pick<Platform, 'repos' | 'scheduler'>,
  pspId: string,
  batchId: number,
): Promise<StatusBatchView> {
  await ownStatusBatch(platform, pspId, batchId);
  if (!(await platform.repos.statusBatches.requeueFailed(batchId, pspId))) throw new ApiError('STATUS_BATCH_NOT_FAILED');
  await platform.scheduler.runDue();
  return statusBatchView(platform, await ownStatusBatch(platform, pspId, batchId), { limit: 100, offset: 0 });
}
