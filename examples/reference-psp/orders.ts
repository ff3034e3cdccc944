/**
 * The reference PSP's own record of its orders (in memory: an example, not a product). The PSP
 * learns a payment's outcome from the makePayment call it answers, never from the customer's
 * redirect, and keeps its own ledger of what it captured, cancelled and refunded.
 */
import type { MakePaymentResponse, Operation3DSecure } from '../../src/client/index.js';

/**
 * - `PENDING`: initiated at Vipps, no makePayment yet;
 * - `AWAITING_3DS`: answered SOFT_DECLINE, the customer is on our 3-D Secure page;
 * - `RESERVED`: answered OK (the acquirer authorised);
 * - `FAILED`: answered FAIL (declined, or 3-D Secure failed);
 * - `CANCELLED`: the customer cancelled or timed out at Vipps, or the shop cancelled it while pending.
 */
export type OrderState = 'PENDING' | 'AWAITING_3DS' | 'RESERVED' | 'FAILED' | 'CANCELLED';

/**
 * One capture, cancel or refund in the shop's ledger. It is recorded, with its sequence number and
 * the `Idempotency-Key` derived from them, **before** it is sent: a retry after a failure whose
 * outcome is unknown resends the same key, and Vipps replays its first answer instead of applying
 * the operation twice (docs/status-updates.md §2).
 */
export interface LedgerEntry {
  /** 1, 2, … within the order. */
  readonly sequence: number;
  readonly status: 'CAPTURED' | 'CANCELLED' | 'REFUNDED';
  readonly amountOre: number;
  /** `<merchantOrderId>-<status>-<sequence>`, e.g. `sock-shop-m1x2-1-captured-2`. */
  readonly idempotencyKey: string;
  /**
   * - `unconfirmed`: sent, but no answer came (timeout, network error, 5xx): Vipps may or may not
   *   have it. Nothing else can be sent for the order until it is retried (with the same key);
   * - `sent`: Vipps answered `9000 SUCCESS` ("received"): the money moved in the shop's ledger;
   * - `refused`: Vipps answered with an error (4xx): it was not received; the next operation gets
   *   the next sequence number.
   */
  outcome: 'unconfirmed' | 'sent' | 'refused';
  /** Every attempt: when, and Vipps' answer (`9000 SUCCESS`) or the error it got. */
  readonly attempts: { readonly at: string; readonly result: string }[];
}

export interface Order {
  readonly pspTransactionId: string;
  readonly merchantOrderId: string;
  readonly product: string;
  readonly amountOre: number;
  /** Per payment; Vipps sends it back as the makePayment call's Authorization. */
  readonly makePaymentToken: string;
  readonly createdAt: string;
  state: OrderState;
  /** Why it failed or was cancelled (e.g. `82 Refused by Issuer`, `USER_CANCEL`, `cancelled by the shop`). */
  reason: string | null;
  /** The 3-D Secure return URLs of the makePayment call we soft-declined. */
  operations: readonly Operation3DSecure[];
  threeDsCompleted: boolean;
  authorisationCode: string | null;
  /** Our final answer to makePayment (OK or FAIL), given again if Vipps repeats the call. */
  finalAnswer: MakePaymentResponse | null;
  capturedOre: number;
  refundedOre: number;
  /** Cancelled after the reservation: what was left to capture is released. */
  voided: boolean;
  /** The captures, cancels and refunds, in the order they were first sent. */
  readonly ledger: LedgerEntry[];
}

export class OrderBook {
  private readonly byPspTransactionId = new Map<string, Order>();
  private readonly byMerchantOrderId = new Map<string, Order>();

  add(order: Order): void {
    this.byPspTransactionId.set(order.pspTransactionId, order);
    this.byMerchantOrderId.set(order.merchantOrderId, order);
  }

  byPspId(pspTransactionId: string): Order | undefined {
    return this.byPspTransactionId.get(pspTransactionId);
  }

  byOrderId(merchantOrderId: string): Order | undefined {
    return this.byMerchantOrderId.get(merchantOrderId);
  }

  /** Newest first. */
  list(): Order[] {
    return [...this.byPspTransactionId.values()].reverse();
  }
}

/** The operation whose outcome is unknown (at most one: nothing else is sent until it is retried). */
export const unconfirmed = (o: Order): LedgerEntry | undefined => o.ledger.find((e) => e.outcome === 'unconfirmed');

export const remainingToCapture = (o: Order): number => (o.state === 'RESERVED' && !o.voided ? o.amountOre - o.capturedOre : 0);
export const remainingToRefund = (o: Order): number => o.capturedOre - o.refundedOre;

/**
 * The shop's own view of the order's money, as its back office shows it: before the outcome, the
 * payment's state; after a reservation, what the shop has done with the money since (the PSP's
 * `RESERVED` stays the payment's state, it says nothing about captures and refunds).
 */
export function moneyStatus(o: Order): string {
  switch (o.state) {
    case 'PENDING':
      return 'Awaiting payment';
    case 'AWAITING_3DS':
      return 'Awaiting 3-D Secure';
    case 'FAILED':
      return 'Payment failed';
    case 'CANCELLED':
      return 'Cancelled';
    case 'RESERVED':
      break;
  }
  if (o.refundedOre > 0) return o.refundedOre === o.capturedOre && remainingToCapture(o) === 0 ? 'Refunded' : 'Partially refunded';
  if (o.capturedOre === 0) return o.voided ? 'Cancelled' : 'Reserved';
  if (o.capturedOre === o.amountOre) return 'Captured';
  return o.voided ? 'Captured, rest cancelled' : 'Partially captured';
}
