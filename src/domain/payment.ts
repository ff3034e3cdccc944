import type { Ore } from './money.js';
import type { PaymentState } from './payment-lifecycle.js';

/** A PSP payment as the platform keeps it. */
export interface Payment {
  /** Internal id (UUID); the PSP's own id is pspTransactionId, unique per PSP only. */
  readonly id: string;
  readonly pspId: string;
  readonly pspTransactionId: string;
  readonly merchantSerialNumber: string;
  readonly merchantOrderId: string;
  readonly amount: Ore;
  readonly currency: 'NOK';
  readonly customerMobileNumber: string | null;
  readonly pspRedirectUrl: string;
  readonly makePaymentUrl: string;
  readonly paymentText: string | null;
  readonly isApp: boolean;
  readonly skipLandingPage: boolean;
  readonly state: PaymentState;
  readonly dueAt: string | null;
  readonly linkExpiresAt: string;
  readonly userPhone: string | null;
  readonly cardId: string | null;
  readonly failureReason: string | null;
  readonly pspErrorId: string | null;
  readonly pspErrorText: string | null;
  readonly userMessage: string | null;
  readonly url3dSecure: string | null;
  readonly reservedAmount: Ore;
  readonly capturedAmount: Ore;
  readonly refundedAmount: Ore;
  readonly cancelled: boolean;
  readonly reservedAt: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export const LOG_OPERATIONS = ['RESERVED', 'CAPTURED', 'CANCELLED', 'REFUNDED'] as const;
export type LogOperation = (typeof LOG_OPERATIONS)[number];

/** One entry of the PSP-visible history (details' transactionLogHistory, §2.9). */
export interface PaymentLogEntry {
  readonly seq: number;
  readonly operation: LogOperation;
  readonly amount: Ore;
  readonly paymentText: string | null;
  readonly success: boolean;
  readonly at: string;
}

export interface TransactionSummary {
  readonly capturedAmount: number;
  readonly remainingAmountToCapture: number;
  readonly refundedAmount: number;
  readonly remainingAmountToRefund: number;
}

/**
 * The summary of §2.9, from the payment's ledger: remaining to capture is 0 after a cancel
 * (a cancel after a partial capture releases the rest).
 */
export function summarize(p: Pick<Payment, 'reservedAmount' | 'capturedAmount' | 'refundedAmount' | 'cancelled'>): TransactionSummary {
  return {
    capturedAmount: p.capturedAmount,
    remainingAmountToCapture: p.cancelled ? 0 : p.reservedAmount - p.capturedAmount,
    refundedAmount: p.refundedAmount,
    remainingAmountToRefund: p.capturedAmount - p.refundedAmount,
  };
}
