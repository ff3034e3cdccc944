/**
 * The rules of `POST /psp/v3/psppayments/init` beyond the JSON schema (psp-facts.md §2.2, §2.3,
 * §2.11): amount range, currency, URL rules per profile, and the skipLandingPage whitelist.
 * Pure: returns the parsed request or throws an ApiError from the catalogue.
 */
import { ApiError } from './errors.js';
import { INT32_MAX, MIN_PAYMENT_ORE, type Ore, parseOre } from './money.js';
import type { Merchant } from './parties.js';
import { checkRedirectUrlMemo, checkUrlMemo } from './url-memo.js';
import type { RedirectUrlPolicy, UrlPolicy } from './url-rules.js';

/** The body after schema validation (JSON types as sent; a digit-string amount turned into its number). */
export interface InitRequestBody {
  pspTransactionId: string;
  merchantOrderId: string;
  customerMobileNumber?: string;
  amount: number | string;
  currency: string;
  pspRedirectUrl: string;
  makePaymentUrl: string;
  makePaymentToken?: string;
  paymentText?: string;
  isApp?: boolean;
  skipLandingPage?: boolean;
  merchantAgreementUrl?: string;
}

export interface InitRequest {
  readonly pspTransactionId: string;
  readonly merchantOrderId: string;
  readonly customerMobileNumber: string | null;
  readonly amount: Ore;
  readonly currency: 'NOK';
  readonly pspRedirectUrl: string;
  readonly makePaymentUrl: string;
  readonly makePaymentToken: string | null;
  readonly paymentText: string | null;
  readonly isApp: boolean;
  readonly skipLandingPage: boolean;
}

export interface InitPolicy {
  /** Rules for makePaymentUrl: the platform connects to it. */
  readonly makePaymentUrl: UrlPolicy;
  /** Rules for pspRedirectUrl: only the user's browser is sent there (never fetched by us). */
  readonly pspRedirectUrl: RedirectUrlPolicy;
}

export function parseInitRequest(body: InitRequestBody, merchant: Pick<Merchant, 'skipLandingPage'>, policy: InitPolicy): InitRequest {
  const amount = parseOre(body.amount);
  if (amount === null || amount < MIN_PAYMENT_ORE || amount > INT32_MAX) throw new ApiError('AMOUNT_INVALID');
  // Required (the schema's `required` maps a missing one to this code too); only NOK (§2.2).
  if (body.currency !== 'NOK') throw new ApiError('CURRENCY_INVALID');

  const isApp = body.isApp ?? false;
  // With isApp the redirect URL may be an app's own scheme (myapp://…) and is not URL-validated (§2.11).
  if (!isApp && checkRedirectUrlMemo(body.pspRedirectUrl, policy.pspRedirectUrl) !== null) throw new ApiError('INVALID_PSP_REDIRECT_URL');
  if (isApp && body.pspRedirectUrl.trim() === '') throw new ApiError('INVALID_PSP_REDIRECT_URL');
  if (checkUrlMemo(body.makePaymentUrl, policy.makePaymentUrl) !== null) throw new ApiError('MAKE_PAYMENT_URL_INVALID');

  const skipLandingPage = body.skipLandingPage ?? false;
  if (skipLandingPage) {
    if (!merchant.skipLandingPage) throw new ApiError('SKIP_LANDING_PAGE_NOT_ALLOWED');
    if (!body.customerMobileNumber) {
      throw new ApiError('INVALID_REQUEST', {}, 'customerMobileNumber is required when skipLandingPage is true');
    }
  }
  return {
    pspTransactionId: body.pspTransactionId,
    merchantOrderId: body.merchantOrderId,
    customerMobileNumber: body.customerMobileNumber ?? null,
    amount,
    currency: 'NOK',
    pspRedirectUrl: body.pspRedirectUrl,
    makePaymentUrl: body.makePaymentUrl,
    makePaymentToken: body.makePaymentToken ?? null,
    paymentText: body.paymentText ?? null,
    isApp,
    skipLandingPage,
  };
}

/**
 * The request's identity for idempotency: the same key with another request is a conflict.
 * Recursive, and bounded: bodies reach it only through the JSON parser, which refuses nesting
 * deeper than JSON_MAX_DEPTH before parsing (http/json-depth.ts).
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
