/**
 * The makePayment callback (psp-facts.md §2.5, §2.6): the request body the platform sends to the
 * PSP's makePaymentUrl, and how the PSP's answer is read. Pure.
 */
import type { CardBrand } from './parties.js';

export type CallbackPaymentState = 'ACCEPTED' | 'TIMEOUT' | 'USER_CANCEL';
export type ThreeDsOperation = '3dssuccess' | '3dscancel' | '3dsfailure';

export interface MakePaymentToken {
  readonly number: string;
  readonly cryptogram: string;
  readonly expiryMonth: string;
  readonly expiryYear: string;
  readonly tokenType: CardBrand;
  readonly eci: string;
}

export interface MakePaymentRequestBody {
  pspTransactionId: string;
  merchantSerialNumber: string;
  paymentState: CallbackPaymentState;
  paymentInstrument?: 'TOKEN';
  binNumber?: string;
  networkToken?: MakePaymentToken;
  operations?: { url: string; operation: ThreeDsOperation }[];
}

/**
 * ACCEPTED carries the token, the BIN and the three 3-D Secure return URLs. TIMEOUT and
 * USER_CANCEL carry no card at all: there is none (documented decision against the spec's
 * "required", §2.5 ⚠; docs/approval-engine.md).
 */
export function buildMakePaymentBody(input: {
  pspTransactionId: string;
  merchantSerialNumber: string;
  paymentState: CallbackPaymentState;
  card?: { bin: string; token: MakePaymentToken; operations: { url: string; operation: ThreeDsOperation }[] };
}): MakePaymentRequestBody {
  const body: MakePaymentRequestBody = {
    pspTransactionId: input.pspTransactionId,
    merchantSerialNumber: input.merchantSerialNumber,
    paymentState: input.paymentState,
  };
  if (input.paymentState === 'ACCEPTED' && input.card) {
    body.paymentInstrument = 'TOKEN';
    body.binNumber = input.card.bin;
    body.networkToken = input.card.token;
    body.operations = input.card.operations;
  }
  return body;
}

export type CallbackOutcome =
  | 'OK'
  | 'FAIL'
  | 'SOFT_DECLINE'
  | 'INVALID_RESPONSE'
  | 'HTTP_ERROR'
  | 'TIMEOUT'
  | 'CONNECTION_ERROR'
  | 'ADDRESS_REFUSED'
  | 'ABANDONED';

export interface InterpretedAnswer {
  readonly outcome: CallbackOutcome;
  readonly errorId: string | null;
  readonly errorText: string | null;
  readonly url3dSecure: string | null;
  /** The parsed JSON, for the attempt record. */
  readonly parsed: unknown;
  /** Why the answer counts as a failure, for the attempt record. */
  readonly problem: string | null;
}

const fail = (outcome: CallbackOutcome, problem: string, parsed: unknown = null): InterpretedAnswer => ({
  outcome,
  errorId: null,
  errorText: null,
  url3dSecure: null,
  parsed,
  problem,
});

/**
 * Reads the PSP's answer. Only HTTP 200 with `paymentInfo.status: "OK"` reserves (§2.5);
 * anything else fails. `errorId` may be a number or a string (§2.5: the guide's examples send
 * numbers, the spec says string).
 */
export function interpretMakePaymentAnswer(httpStatus: number, text: string, pspTransactionId: string): InterpretedAnswer {
  if (httpStatus !== 200) return fail('HTTP_ERROR', `HTTP ${httpStatus}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return fail('INVALID_RESPONSE', 'the answer is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return fail('INVALID_RESPONSE', 'the answer is not a JSON object', parsed);
  }
  const root = parsed as Record<string, unknown>;
  const info = root.paymentInfo as Record<string, unknown> | undefined;
  if (typeof info !== 'object' || info === null) return fail('INVALID_RESPONSE', 'paymentInfo is missing', parsed);
  if (info.pspTransactionId !== undefined && info.pspTransactionId !== pspTransactionId) {
    return fail('INVALID_RESPONSE', 'paymentInfo.pspTransactionId is another payment’s', parsed);
  }
  const errorMessage = root.errorMessage as Record<string, unknown> | undefined;
  const rawId = errorMessage?.errorId;
  const errorId = typeof rawId === 'number' || typeof rawId === 'string' ? String(rawId) : null;
  const errorText = typeof errorMessage?.errorText === 'string' ? errorMessage.errorText : null;
  // The spec's default status is OK, but an answer without it is not an explicit approval.
  switch (info.status) {
    case 'OK':
      return { outcome: 'OK', errorId, errorText, url3dSecure: null, parsed, problem: null };
    case 'FAIL':
      return { outcome: 'FAIL', errorId, errorText, url3dSecure: null, parsed, problem: null };
    case 'SOFT_DECLINE': {
      const url = info.url3dSecure;
      if (typeof url !== 'string' || !/^https?:\/\//i.test(url)) {
        return fail('INVALID_RESPONSE', 'SOFT_DECLINE without an http(s) url3dSecure', parsed);
      }
      return { outcome: 'SOFT_DECLINE', errorId, errorText, url3dSecure: url, parsed, problem: null };
    }
    default:
      return fail('INVALID_RESPONSE', 'paymentInfo.status is not OK, FAIL or SOFT_DECLINE', parsed);
  }
}

/** What the app tells the user when the PSP refuses (§2.5 errorId table). */
export function userMessageFor(outcome: CallbackOutcome, errorId: string | null): string {
  if (outcome === 'OK') return 'Payment approved.';
  if (outcome === 'FAIL') {
    switch (errorId) {
      case '81':
      case '87':
        return 'The card could not be used. Try another card or contact your bank.';
      case '82':
        return 'Your bank refused the payment. Contact your bank or try another card.';
      case '83':
        return 'The payment was stopped by your bank for security reasons. Contact your bank.';
      case '84':
        return 'The payment exceeds the limit on your card. Contact your bank or try another card.';
      case '85':
        return 'The shop cancelled the payment before it was confirmed. Go back to the shop and try again.';
      case '86':
        return 'The card has expired. Update your card in Vipps or try another card.';
      case '88':
        return 'The shop does not accept credit cards. Try a debit card.';
      case '89':
        return 'There is not enough money in the account. Try another card.';
      case '94':
        return 'The payment needed a card verification that could not be completed.';
      default:
        return 'The payment was not approved by the shop’s payment provider. Try again or contact the shop.';
    }
  }
  if (outcome === 'SOFT_DECLINE') return 'Your bank needs to verify the payment.';
  return 'The payment could not be completed because the shop’s payment provider did not answer. You have not been charged.';
}
