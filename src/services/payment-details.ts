/**
 * `GET /psp/v3/psppayments/{pspTransactionId}/details` (psp-facts.md §2.9). A payment of another
 * PSP answers exactly like an unknown one.
 */
import { ApiError } from '../domain/errors.js';
import { summarize, type TransactionSummary } from '../domain/payment.js';
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
  const payment = await platform.paymentReads.findByPspTransactionId(pspId, pspTransactionId);
  if (!payment) throw new ApiError('PAYMENT_NOT_FOUND');
  const log = await platform.repos.payments.log(payment.id);
  return {
    pspTransactionId: payment.pspTransactionId,
    merchantOrderId: payment.merchantOrderId,
    transactionSummary: summarize(payment),
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
