/**
 * `GET /psp/v3/psppayments/{pspTransactionId}/details` (psp-facts.md §2.9). A payment of another
 * PSP answers exactly like an unknown one.
 */
import { ApiError } from '../domain/errors.js';
import { summarize, type TransactionSummary } from '../domain/payment.js';
import { expires, isFinal } from '../domain/payment-lifecycle.js';
import { toOsloIso } from '../domain/time.js';
import type { Platform } from '../platform.js';

export interface PaymentDetails {
  readonly pspTransactionId: string;
  readonly merchantOrderId: string;
  readonly transactionSummary: TransactionSummary;
  readonly transactionLogHistory: readonly {
    amount: number;
    paymentText?: string;
    timeStamp: string;
    operation: string;
    operationSuccess: boolean;
  }[];
}

export async function getPaymentDetails(platform: Platform, pspId: string, pspTransactionId: string): Promise<PaymentDetails> {
  // The PSP-visible log starts with the reservation's outcome, written by the transition into a
  // final state (RESERVED, FAILED, USER_CANCELLED, EXPIRED): a payment still waiting has none, and
  // its log is not queried.
  const found = await platform.repos.payments.detailsOf(pspId, pspTransactionId, (row) => isFinal(row.state));
  if (!found) throw new ApiError('PAYMENT_NOT_FOUND');
  let { row, log } = found;
  // Passive expiry (payment-reads.ts, `current`): an overdue waiting payment is expired by this
  // read; that rare case takes the engine's path and reads the payment again.
  if (expires(row.state) && row.dueAt !== null && Date.parse(row.dueAt) <= platform.clock.now()) {
    const payment = await platform.paymentReads.findByPspTransactionId(pspId, pspTransactionId);
    if (!payment) throw new ApiError('PAYMENT_NOT_FOUND');
    row = payment;
    log = isFinal(payment.state) ? await platform.repos.payments.log(payment.id) : [];
  }
  return {
    pspTransactionId: row.pspTransactionId,
    merchantOrderId: row.merchantOrderId,
    transactionSummary: summarize(row),
    // Newest first, as the eCom API orders its history (§2.9).
    transactionLogHistory: log
      .slice()
      .reverse()
      .map((e) => ({
        amount: e.amount,
        ...(e.paymentText === null ? {} : { paymentText: e.paymentText }),
        timeStamp: toOsloIso(e.at),
        operation: e.operation,
        operationSuccess: e.success,
      })),
  };
}
