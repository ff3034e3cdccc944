/**
 * What the landing page and the simulated app tell the user: the status of a payment in words,
 * and the engine's errors turned into page messages (the app history's money and labels are in
 * money-view.ts). Pure.
 */
import { assertNever, ERRORS, type ErrorKey } from '../../domain/errors.js';
import type { Payment } from '../../domain/payment.js';
import { awaitsPhoneNumber, isFinal, type PaymentState } from '../../domain/payment-lifecycle.js';

export interface StatusText {
  readonly title: string;
  readonly message: string;
  readonly final: boolean;
}

/**
 * The neutral answer for an unknown number, a user under 15 and a blocked user: the platform's
 * own text for code 81 (psp-facts.md §2.3), so the page never tells them apart.
 */
export const NEUTRAL_USER_MESSAGE = ERRORS.USER_NOT_AVAILABLE.errorMessage;

/** The status of a payment, as the landing page's waiting screen shows it. */
export function landingStatus(p: Pick<Payment, 'state' | 'userMessage'>): StatusText {
  const final = isFinal(p.state);
  switch (p.state) {
    case 'INITIATED':
      return { title: 'Pay with Vipps', message: 'Enter your phone number to continue in the Vipps app.', final };
    case 'AWAITING_USER':
      return {
        title: 'Continue in the Vipps app',
        message: 'Open the Vipps app on your phone and confirm the payment there.',
        final,
      };
    case 'CONFIRMING':
    case 'CONFIRMING_3DS':
      return { title: 'Confirming the payment', message: 'The payment is being confirmed. Keep this page open.', final };
    case 'AWAITING_3DS':
      return {
        title: 'Verify the payment in the app',
        message: 'Your bank needs to verify the payment. Follow the steps in the Vipps app.',
        final,
      };
    case 'RESERVED':
      return { title: 'Payment approved', message: p.userMessage ?? 'Payment approved.', final };
    case 'FAILED':
      return { title: 'Payment failed', message: p.userMessage ?? 'The payment was not completed.', final };
    case 'USER_CANCELLED':
      return { title: 'Payment cancelled', message: p.userMessage ?? 'You cancelled the payment.', final };
    case 'EXPIRED':
      // The title says it expired; the message says what that means (not the same sentence again).
      return { title: 'Payment request expired', message: 'It was not confirmed in time. You have not been charged.', final };
    default:
      return assertNever(p.state, 'payment state');
  }
}

/** The result of a payment in the app (after Pay, Cancel or the 3-D Secure step). */
export function appResultTitle(state: PaymentState): string {
  switch (state) {
    case 'RESERVED':
      return 'Payment approved';
    case 'FAILED':
      return 'Payment failed';
    case 'USER_CANCELLED':
      return 'Payment cancelled';
    case 'EXPIRED':
      return 'Payment request expired';
    case 'INITIATED':
    case 'AWAITING_USER':
      return 'Confirm the payment';
    case 'CONFIRMING':
    case 'CONFIRMING_3DS':
      return 'Processing the payment';
    case 'AWAITING_3DS':
      return 'Verify the payment';
    default:
      return assertNever(state, 'payment state');
  }
}

/**
 * The engine's refusals as page messages. Keys not listed get a generic text (the page never
 * shows an internal message).
 */
const PAGE_ERRORS: Partial<Record<ErrorKey, string>> = {
  USER_NOT_AVAILABLE: NEUTRAL_USER_MESSAGE,
  CARD_NOT_ELIGIBLE: 'Card not eligible. This card cannot be used for this payment.',
  CARD_NOT_USABLE: 'This card has expired or cannot be used for payments. Choose another card.',
  CARD_NOT_FOUND: 'This card cannot be used for payments. Choose another card.',
  PAYMENT_NOT_PENDING: 'This payment is no longer waiting for you.',
  PAYMENT_NOT_FOUND: 'This payment was not found.',
  PHONE_NUMBER_REQUIRED: 'Enter your phone number.',
};

export type PageErrorKey = keyof typeof PAGE_ERRORS;

export function pageErrorMessage(key: string | undefined): string | null {
  if (!key) return null;
  return Object.hasOwn(PAGE_ERRORS, key) ? (PAGE_ERRORS[key as ErrorKey] ?? null) : null;
}

export function isPageErrorKey(key: string): key is PageErrorKey {
  return Object.hasOwn(PAGE_ERRORS, key);
}

/** States in which a payment waits for something the app user does (the request list). */
export function isPendingForUser(state: PaymentState): boolean {
  return !isFinal(state) && !awaitsPhoneNumber(state);
}

/** "91234567" → "912 34 567" (how Norwegian mobile numbers are written). */
export function formatPhone(phone: string): string {
  return /^\d{8}$/.test(phone) ? `${phone.slice(0, 3)} ${phone.slice(3, 5)} ${phone.slice(5)}` : phone;
}

/**
 * A phone number as typed: spaces, dots and dashes removed; a +47 / 0047 prefix dropped.
 * Returns null unless 8 digits remain (only Norwegian numbers, psp-facts.md §2.15).
 */
export function normalizePhone(input: string | undefined): string | null {
  if (!input) return null;
  let digits = input.replace(/[\s.\-()]/g, '');
  if (/^\+47\d{8}$/.test(digits)) digits = digits.slice(3);
  else if (/^0047\d{8}$/.test(digits)) digits = digits.slice(4);
  return /^\d{8}$/.test(digits) ? digits : null;
}

/** Seconds → "4:59". */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')}`;
}
