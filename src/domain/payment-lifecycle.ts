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
 *       │                       │                        (AWAITING_3DS ──3dsfailure──▶ FAILED)
 *       └──────── cancel ───────┴──────────▶ USER_CANCELLED  (also 3dscancel)
 *       └──────── due time ─────┴──────────▶ EXPIRED          (also from AWAITING_3DS)
 *
 * docs/ARCHITECTURE.md lists every transition exactly (a test compares it with TRANSITIONS).
 *
 * What the user does only wins before the payment's due time, what the clock does only after it
 * (`due` below), whether or not the sweep has run yet.
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

export type Transition =
  | 'identifyUser'
  | 'confirm'
  | 'reserve'
  | 'fail'
  | 'softDecline'
  | 'complete3ds'
  | 'fail3ds'
  | 'cancelByUser'
  | 'expire';

/**
 * How a transition's guard treats the payment's due time (§2.13), in the SQL itself
 * (store/payments.ts), so the database decides between the user and the clock even when the
 * sweep has not run yet:
 *  - `beforeDue`: only while `due_at > now` — what the user does (identify, confirm, 3-D Secure
 *    return, cancel). A waiting state always has a due time.
 *  - `due`: only once `due_at <= now` — expiry.
 *  - `any`: the due time does not matter — the PSP's answer to a call that was made in time.
 */
export type DueGuard = 'beforeDue' | 'due' | 'any';

/** The one map of allowed transitions: transition → the states it may start from → target. */
export const TRANSITIONS: Readonly<Record<Transition, { from: readonly PaymentState[]; to: PaymentState; due: DueGuard }>> = {
  identifyUser: { from: ['INITIATED'], to: 'AWAITING_USER', due: 'beforeDue' },
  confirm: { from: ['INITIATED', 'AWAITING_USER'], to: 'CONFIRMING', due: 'beforeDue' },
  reserve: { from: ['CONFIRMING', 'CONFIRMING_3DS'], to: 'RESERVED', due: 'any' },
  fail: { from: ['CONFIRMING', 'CONFIRMING_3DS'], to: 'FAILED', due: 'any' },
  softDecline: { from: ['CONFIRMING'], to: 'AWAITING_3DS', due: 'any' },
  complete3ds: { from: ['AWAITING_3DS'], to: 'CONFIRMING_3DS', due: 'beforeDue' },
  /** The 3dsfailure return URL (or any responsecode other than OK / CANCEL). */
  fail3ds: { from: ['AWAITING_3DS'], to: 'FAILED', due: 'beforeDue' },
  cancelByUser: { from: ['INITIATED', 'AWAITING_USER', 'AWAITING_3DS'], to: 'USER_CANCELLED', due: 'beforeDue' },
  expire: { from: ['INITIATED', 'AWAITING_USER', 'AWAITING_3DS'], to: 'EXPIRED', due: 'due' },
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

/**
 * What each transition writes besides the state (typed per transition: a transition cannot set
 * another's columns). The store adds what follows from the table itself: a final state clears the
 * due time; a payment that will make no more calls (reserve, fail, fail3ds) drops its
 * makePaymentToken (store/payments.ts `transitionColumns`).
 */
export interface TransitionPatches {
  identifyUser: { readonly userPhone: string; readonly dueAt: string };
  confirm: { readonly userPhone: string; readonly cardId: string; readonly dueAt: string };
  reserve: { readonly reservedAmount: number; readonly reservedAt: string; readonly userMessage: string };
  fail: {
    readonly failureReason: string;
    readonly pspErrorId: string | null;
    readonly pspErrorText: string | null;
    readonly userMessage: string;
  };
  softDecline: {
    readonly url3dSecure: string;
    readonly pspErrorId: string | null;
    readonly pspErrorText: string | null;
    readonly dueAt: string;
    readonly userMessage: string;
  };
  complete3ds: { readonly dueAt: string };
  fail3ds: { readonly failureReason: string; readonly userMessage: string };
  cancelByUser: { readonly userMessage: string };
  expire: { readonly userMessage: string };
}

/** Whether the user is being asked for something in this state (the app lists it as pending). */
export function awaitsUser(state: PaymentState): boolean {
  return canTransition(state, 'cancelByUser') && !canTransition(state, 'identifyUser');
}

/** Whether the platform is waiting for the PSP's answer to a makePayment call in this state. */
export function awaitsPsp(state: PaymentState): boolean {
  return canTransition(state, 'reserve');
}

/** The user has yet to be identified (the landing page's phone number form). */
export function awaitsPhoneNumber(state: PaymentState): boolean {
  return canTransition(state, 'identifyUser');
}

/** The user may still confirm (the app's Pay button). */
export function awaitsConfirmation(state: PaymentState): boolean {
  return canTransition(state, 'confirm');
}

/** 3-D Secure is waiting for the user's return. */
export function awaitsThreeDs(state: PaymentState): boolean {
  return canTransition(state, 'complete3ds');
}

export type PaymentOutcome = 'reserved' | 'failed' | 'cancelled' | 'expired';

/** How a final state ended for the user; null while the payment is not final. */
export function outcomeOf(state: PaymentState): PaymentOutcome | null {
  switch (state) {
    case 'RESERVED':
      return 'reserved';
    case 'FAILED':
      return 'failed';
    case 'USER_CANCELLED':
      return 'cancelled';
    case 'EXPIRED':
      return 'expired';
    case 'INITIATED':
    case 'AWAITING_USER':
    case 'CONFIRMING':
    case 'AWAITING_3DS':
    case 'CONFIRMING_3DS':
      return null;
    default:
      return assertNever(state, 'payment state');
  }
}
