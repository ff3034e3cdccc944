/**
 * The money rules of a reserved payment (psp-facts.md §5): what one updatestatus item
 * (§2.8) does to a payment's ledger, decided when the batch job applies it. Pure: input the
 * payment's ledger, the item and the time of application; output the change (the new ledger
 * and the PSP-visible log entry) or a rejection with a stable code.
 *
 * `amount` is the amount of this one operation, never a running total (§2.8 → impl). The
 * ledger is `reserved ≥ captured ≥ refunded ≥ 0`, plus `cancelled` (the uncaptured rest was
 * released). The summary of details (payment.ts `summarize`) is computed from it.
 * Every decision where the sources are silent is in docs/status-updates.md.
 */
import assert from 'node:assert/strict';
import { assertNever } from './errors.js';
import type { Ore } from './money.js';
import type { LogOperation } from './payment.js';
import type { PaymentState } from './payment-lifecycle.js';

const DAY_MS = 86_400_000;
/** Capture (and cancel) up to 180 days after the reservation (§5; eCom KB). */
export const CAPTURE_WINDOW_DAYS = 180;
/** Refund up to 365 days after the reservation (§5; eCom KB). */
export const REFUND_WINDOW_DAYS = 365;

export const OPERATION_STATUSES = ['SUCCESS', 'FAILED'] as const;
export type OperationStatus = (typeof OPERATION_STATUSES)[number];

/** The money side of a payment, as the ledger columns keep it. */
export interface Ledger {
  readonly state: PaymentState;
  readonly reservedOre: number;
  readonly capturedOre: number;
  readonly refundedOre: number;
  readonly cancelled: boolean;
  /** When the payment was reserved (ISO UTC); the capture and refund windows count from here. */
  readonly reservedAt: string | null;
}

/** One TransactionInfo of an updatestatus batch, normalised (defaults applied). */
export interface StatusItem {
  readonly status: LogOperation;
  readonly amount: Ore;
  readonly currency: string;
  readonly operationStatus: OperationStatus;
}

/**
 * Why an item was not applied. The texts are the eCom API's for the same rule where it has one
 * (eCom error table, vipps-ecom-api.md "Error codes"), as the PSP platform shares its backend.
 */
export const REJECTIONS = {
  PAYMENT_NOT_FOUND: {
    message: 'Requested Order not found',
    source: '§2.3 code 35, as details answers; an unknown id and another PSP’s id are rejected alike',
  },
  CURRENCY_INVALID: { message: 'transaction.currency.invalid', source: '§2.3 (init’s currency error): only NOK' },
  AMOUNT_ZERO: {
    message: 'amount.less.than.one',
    source: '§2.3 (init’s amount error): a capture or refund of 0 øre moves nothing; eCom’s "0 = all" is not documented for PSP',
  },
  NOT_RESERVED: {
    message: 'The payment is not reserved',
    source: 'eCom 53/62; only makePayment OK reserves (§2.9 → impl), a status update cannot',
  },
  CAPTURE_AFTER_CANCEL: {
    message: 'The amount you tried to capture is not reserved',
    source: 'eCom 62: a cancel released the reservation',
  },
  CAPTURE_EXCEEDS_RESERVED: { message: 'Captured amount exceeds the reserved amount ordered', source: 'eCom 61; §5' },
  CAPTURE_WINDOW_CLOSED: {
    message: 'Capture is not possible more than 180 days after the reservation',
    source: '§5 (capture ≤ 180 days)',
  },
  CANCEL_AFTER_CANCEL: { message: 'The order is already cancelled', source: 'decision: a second cancel releases nothing' },
  CANCEL_FULLY_CAPTURED: { message: 'Cannot cancel already captured order', source: 'eCom 51; §5 (cancel of a captured payment → refund)' },
  CANCEL_WINDOW_CLOSED: {
    message: 'Cancel is not possible more than 180 days after the reservation',
    source: '§5 (cancel not after 180 days)',
  },
  REFUND_BEFORE_CAPTURE: { message: 'Cannot refund for reserved order, please use Cancel API', source: 'eCom 72; §5' },
  REFUND_CANCELLED_UNCAPTURED: { message: 'Cannot refund on cancelled order', source: 'eCom 73; §5 (nothing was captured)' },
  REFUND_EXCEEDS_CAPTURED: { message: 'Cannot refund more than captured amount', source: 'eCom 71; §5' },
  REFUND_WINDOW_CLOSED: {
    message: 'Refund is not possible more than 365 days after the reservation',
    source: '§5 (refund ≤ 365 days)',
  },
} as const satisfies Record<string, { message: string; source: string }>;

export type RejectionCode = keyof typeof REJECTIONS;

export interface Rejection {
  readonly code: RejectionCode;
  readonly message: string;
  /** The numbers behind it, for the control API ("capture 30000 > 10000 left to capture"). */
  readonly detail: string;
}

/** The entry the change appends to the PSP-visible log (details' transactionLogHistory). */
export interface LogEntryChange {
  readonly operation: LogOperation;
  readonly amount: Ore;
  readonly success: boolean;
}

export type MoneyChange =
  | { readonly kind: 'capture'; readonly amount: Ore }
  | { readonly kind: 'cancel'; readonly released: Ore }
  | { readonly kind: 'refund'; readonly amount: Ore }
  /** operationStatus FAILED: the PSP reports a failed operation; logged, no money moves. */
  | { readonly kind: 'failed' }
  /** A repeated RESERVED for a reserved payment: harmless, nothing changes, nothing is logged. */
  | { readonly kind: 'none' };

export type Decision =
  | { readonly ok: true; readonly change: MoneyChange; readonly after: Ledger; readonly log: LogEntryChange | null }
  | { readonly ok: false; readonly rejection: Rejection };

const reject = (code: RejectionCode, detail: string): Decision => ({
  ok: false,
  rejection: { code, message: REJECTIONS[code].message, detail },
});

function daysSinceReservation(ledger: Ledger, nowMs: number): number {
  // A RESERVED payment always has its reservation time; its absence is our bug.
  assert.ok(ledger.reservedAt !== null, 'a reserved payment without reserved_at');
  return (nowMs - Date.parse(ledger.reservedAt)) / DAY_MS;
}

/**
 * Decides one item against the payment's ledger as it is when the item is applied.
 * `ledger` is null when the PSP has no payment with this pspTransactionId.
 */
export function decideStatusItem(ledger: Ledger | null, item: StatusItem, nowMs: number): Decision {
  if (ledger === null) return reject('PAYMENT_NOT_FOUND', 'no payment with this pspTransactionId');
  if (item.currency !== 'NOK') return reject('CURRENCY_INVALID', `currency ${item.currency}; only NOK is supported`);

  if (item.operationStatus === 'FAILED') {
    return { ok: true, change: { kind: 'failed' }, after: ledger, log: { operation: item.status, amount: item.amount, success: false } };
  }

  const reserved = ledger.state === 'RESERVED';
  const remainingToCapture = ledger.reservedOre - ledger.capturedOre;
  const remainingToRefund = ledger.capturedOre - ledger.refundedOre;
  switch (item.status) {
    case 'RESERVED':
      if (!reserved) return reject('NOT_RESERVED', `state ${ledger.state}; a reservation comes from makePayment, not a status update`);
      return { ok: true, change: { kind: 'none' }, after: ledger, log: null };

    case 'CAPTURED': {
      if (!reserved) return reject('NOT_RESERVED', `state ${ledger.state}; only a reserved payment can be captured`);
      if (ledger.cancelled) return reject('CAPTURE_AFTER_CANCEL', 'the payment was cancelled; its reservation was released');
      const days = daysSinceReservation(ledger, nowMs);
      if (days > CAPTURE_WINDOW_DAYS) return reject('CAPTURE_WINDOW_CLOSED', `reserved ${Math.floor(days)} days ago`);
      if (item.amount === 0) return reject('AMOUNT_ZERO', 'a capture of 0 øre');
      if (item.amount > remainingToCapture) {
        return reject('CAPTURE_EXCEEDS_RESERVED', `capture of ${item.amount} øre with ${remainingToCapture} øre left to capture`);
      }
      return {
        ok: true,
        change: { kind: 'capture', amount: item.amount },
        after: { ...ledger, capturedOre: ledger.capturedOre + item.amount },
        log: { operation: 'CAPTURED', amount: item.amount, success: true },
      };
    }

    case 'CANCELLED': {
      if (!reserved) return reject('NOT_RESERVED', `state ${ledger.state}; only a reserved payment can be cancelled`);
      if (ledger.cancelled) return reject('CANCEL_AFTER_CANCEL', 'the payment was already cancelled');
      if (remainingToCapture === 0) return reject('CANCEL_FULLY_CAPTURED', 'nothing is left to capture; refund instead');
      const days = daysSinceReservation(ledger, nowMs);
      if (days > CAPTURE_WINDOW_DAYS) return reject('CANCEL_WINDOW_CLOSED', `reserved ${Math.floor(days)} days ago`);
      // The amount sent with a cancel is not checked: a cancel releases all that is left to
      // capture (also after a partial capture, §2.9), and the log shows what it released.
      const released = remainingToCapture as Ore;
      return {
        ok: true,
        change: { kind: 'cancel', released },
        after: { ...ledger, cancelled: true },
        log: { operation: 'CANCELLED', amount: released, success: true },
      };
    }

    case 'REFUNDED': {
      if (!reserved) return reject('NOT_RESERVED', `state ${ledger.state}; only a captured payment can be refunded`);
      const days = daysSinceReservation(ledger, nowMs);
      if (days > REFUND_WINDOW_DAYS) return reject('REFUND_WINDOW_CLOSED', `reserved ${Math.floor(days)} days ago`);
      if (item.amount === 0) return reject('AMOUNT_ZERO', 'a refund of 0 øre');
      if (ledger.capturedOre === 0) {
        return ledger.cancelled
          ? reject('REFUND_CANCELLED_UNCAPTURED', 'the payment was cancelled before any capture')
          : reject('REFUND_BEFORE_CAPTURE', 'nothing has been captured yet');
      }
      if (item.amount > remainingToRefund) {
        return reject('REFUND_EXCEEDS_CAPTURED', `refund of ${item.amount} øre with ${remainingToRefund} øre left to refund`);
      }
      return {
        ok: true,
        change: { kind: 'refund', amount: item.amount },
        after: { ...ledger, refundedOre: ledger.refundedOre + item.amount },
        log: { operation: 'REFUNDED', amount: item.amount, success: true },
      };
    }

    default:
      return assertNever(item.status, 'status');
  }
}

/**
 * The ledger's invariants (GUIDE practice 11): a violation is a bug of ours, never a client's
 * error, so it is an assertion and not a rejection.
 */
export function assertMoneyInvariants(ledger: Ledger, what: string): void {
  assert.ok(Number.isSafeInteger(ledger.capturedOre) && ledger.capturedOre >= 0, `${what}: captured ${ledger.capturedOre} < 0`);
  assert.ok(Number.isSafeInteger(ledger.refundedOre) && ledger.refundedOre >= 0, `${what}: refunded ${ledger.refundedOre} < 0`);
  assert.ok(ledger.capturedOre <= ledger.reservedOre, `${what}: captured ${ledger.capturedOre} > reserved ${ledger.reservedOre}`);
  assert.ok(ledger.refundedOre <= ledger.capturedOre, `${what}: refunded ${ledger.refundedOre} > captured ${ledger.capturedOre}`);
}
