/**
 * The payment lifecycle: one union of states, one table of allowed transitions
 * (GUIDE practice 1). Every store write that changes a state is a named transition whose SQL is
 * guarded by the `from` states listed here (store/payments.ts).
 *
 * The approval part (psp-facts.md §2.4–§2.6, §2.13):
 *
 *   INITIATED ──identify──▶ AWAITING_USER ──confirm──▶ CONFIRMING ──OK──▶ RESERVED
 *       │ └────────── confirm (force approve) ─────────▶ │  └─FAIL/error──▶ FAILED
 *       │                       │                        └─SOFT_DECLINE─▶ AWAITING_3DS
 *       │                       │                                            │ 3dssuccess  └─3dsfailure─▶ FAILED
 *       │                       │                                            ▼
 *       │                       │                                     CONFIRMING_3DS ──OK──▶ RESERVED
 *       │                       │                                            └──FAIL/other─▶ FAILED
 *       └──────── cancel ───────┴──────────▶ USER_CANCELLED  (also 3dscancel)
 *       └──────── due time ─────┴──────────▶ EXPIRED          (also from AWAITING_3DS)
 *
 * docs/ARCHITECTURE.md lists every transition exactly (a test compares it with TRANSITIONS).
 *
 * After RESERVED the money moves by the PSP's status updates (capture, cancel, refund); that is
 * kept as a ledger on the payment (payment-money.ts), not as more approval states.
 */
import { assertNever } from './errors.js';

export const PAYMENT_STATES = [
  'INITIATED',
  'AWAITING_USER',
  'CONFIRMING',
  'AWAITING_3DS',
  'CONFIRMING_3DS',
  'RESERVED',
  'FAILED',
  'USER_CANCELLED',
  'EXPIRED',
] as const;

export type PaymentState = (typeof PAYMENT_STATES)[number];

export type Transition = 'identifyUser' | 'confirm' | 'reserve' | 'fail' | 'softDecline' | 'complete3ds' | 'cancelByUser' | 'expire';

/** The one map of allowed transitions: transition → the states it may start from → target. */
export const TRANSITIONS: Readonly<Record<Transition, { from: readonly PaymentState[]; to: PaymentState }>> = {
  identifyUser: { from: ['INITIATED'], to: 'AWAITING_USER' },
  confirm: { from: ['INITIATED', 'AWAITING_USER'], to: 'CONFIRMING' },
  reserve: { from: ['CONFIRMING', 'CONFIRMING_3DS'], to: 'RESERVED' },
  fail: { from: ['CONFIRMING', 'CONFIRMING_3DS', 'AWAITING_3DS'], to: 'FAILED' },
  softDecline: { from: ['CONFIRMING'], to: 'AWAITING_3DS' },
  complete3ds: { from: ['AWAITING_3DS'], to: 'CONFIRMING_3DS' },
  cancelByUser: { from: ['INITIATED', 'AWAITING_USER', 'AWAITING_3DS'], to: 'USER_CANCELLED' },
  expire: { from: ['INITIATED', 'AWAITING_USER', 'AWAITING_3DS'], to: 'EXPIRED' },
};

export function canTransition(from: PaymentState, transition: Transition): boolean {
  return TRANSITIONS[transition].from.includes(from);
}

export function isFinal(state: PaymentState): boolean {
  switch (state) {
    case 'RESERVED':
    case 'FAILED':
    case 'USER_CANCELLED':
    case 'EXPIRED':
      return true;
    case 'INITIATED':
    case 'AWAITING_USER':
    case 'CONFIRMING':
    case 'AWAITING_3DS':
    case 'CONFIRMING_3DS':
      return false;
    default:
      return assertNever(state, 'payment state');
  }
}

/** States in which a due time applies and the expiry sweep may end the payment. */
export function expires(state: PaymentState): boolean {
  return TRANSITIONS.expire.from.includes(state);
}
