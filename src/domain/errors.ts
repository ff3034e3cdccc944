/**
 * The error catalogue: every error the platform's APIs can return, with its stable code, HTTP
 * status and message (GUIDE practice 3). One error handler (http/error-handler.ts) turns an
 * ApiError into the wire shape; docs/ERRORS.md is the table of this file.
 *
 * Shapes, as the real platform layers them (psp-facts.md §1.2, §2.3, §3):
 *  - `psp`:   PSP API v3 `ErrorDetails` array `[{errorCode, errorMessage, contextId}]`
 *             (RFC 7807 problem on the PSP Merchant API, see the route's `errorFormat`).
 *  - `detail`: one `ErrorDetails` object, not in an array (the 401 "Subscription not found"
 *             body §1.2 shows), on every API alike.
 *  - `apim`:  Azure API Management `{statusCode, message}` (subscription key, bearer token).
 *  - `aad`:   Azure AD token error (`/accesstoken/get` client id / secret).
 */

export type ErrorShape = 'psp' | 'detail' | 'apim' | 'aad';

export interface CatalogueEntry {
  readonly httpStatus: number;
  readonly errorCode: string;
  readonly errorMessage: string;
  readonly shape: ErrorShape;
  /** Azure AD only: the `error` field and the numeric AADSTS code. */
  readonly aad?: { readonly error: string; readonly code: number };
  /** Where the text comes from, or why we chose it. */
  readonly source: string;
}

const psp = (httpStatus: number, errorCode: string, errorMessage: string, source: string): CatalogueEntry => ({
  httpStatus,
  errorCode,
  errorMessage,
  shape: 'psp',
  source,
});

export const ERRORS = {
  // --- Access token API (§1.2) ---
  SUBSCRIPTION_KEY_MISSING: {
    httpStatus: 401,
    errorCode: '401',
    errorMessage: 'Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.',
    shape: 'apim',
    source: 'psp-facts.md §1.2 (Azure APIM)',
  },
  SUBSCRIPTION_KEY_INVALID: {
    httpStatus: 401,
    errorCode: '401',
    errorMessage: 'Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.',
    shape: 'apim',
    source: 'psp-facts.md §1.2 (Azure APIM)',
  },
  CLIENT_ID_MISSING: {
    httpStatus: 400,
    errorCode: 'invalid_request',
    errorMessage: "AADSTS900144: The request body must contain the following parameter: 'client_id'.",
    shape: 'aad',
    aad: { error: 'invalid_request', code: 900144 },
    source: 'Azure AD error for a missing client id; 400 = invalid client_id (§1.1)',
  },
  CLIENT_ID_UNKNOWN: {
    httpStatus: 400,
    errorCode: 'unauthorized_client',
    errorMessage: "AADSTS700016: Application with identifier '{clientId}' was not found in the directory 'testapivipps.no'.",
    shape: 'aad',
    aad: { error: 'unauthorized_client', code: 700016 },
    source: 'psp-facts.md §1.2 (2021 variant); 400 = invalid client_id (§1.1)',
  },
  CLIENT_SECRET_INVALID: {
    httpStatus: 401,
    errorCode: 'invalid_client',
    errorMessage:
      "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{clientId}'.",
    shape: 'aad',
    aad: { error: 'invalid_client', code: 7000215 },
    source:
      'decision: what Azure AD answers for a wrong secret of a known application (§1.2 shows only the unknown-client shape, `unauthorized_client`); 401 = invalid client_secret (§1.1)',
  },

  // --- Authentication of the business endpoints (§1.1, §2.1) ---
  ACCESS_TOKEN_INVALID: {
    httpStatus: 401,
    errorCode: '401',
    errorMessage: 'Unauthorized. Access token is missing or invalid.',
    shape: 'apim',
    source: 'Azure APIM validate-jwt default message; also for a token without the case-sensitive "Bearer " prefix',
  },
  SUBSCRIPTION_NOT_FOUND: {
    httpStatus: 401,
    errorCode: 'Unauthorized',
    errorMessage: 'Subscription not found',
    shape: 'detail',
    source:
      '§1.2: body seen on business endpoints, a single object (not an array); used when the subscription key and the access token belong to different PSPs',
  },
  PSP_ID_MISMATCH: psp(
    403,
    'Forbidden',
    'Invalid Psp-Id. The Psp-Id header does not match the provided credentials.',
    'decision: the Psp-Id must be the one of the token’s PSP (§2.1); 403 = authenticated but not authorised',
  ),
  MSN_NOT_FOR_PSP: psp(
    403,
    'Forbidden',
    'Invalid MSN: {msn}. This MSN is not valid for the provided PSP id. Check that you are using the correct credentials for the right environment.',
    '§2.1 exact FAQ text; status decided (403)',
  ),

  // --- PSP API v3 (§2.3) ---
  MERCHANT_NOT_AVAILABLE: psp(400, '21', 'Merchant not available or active', '§2.3'),
  PSP_TRANSACTION_ID_EXISTS: psp(400, '44', 'PSP Transaction id already exists', '§2.3'),
  INVALID_REQUEST: psp(400, '51', 'Invalid request', '§2.3; field detail appended after ": "'),
  INVALID_PSP_REDIRECT_URL: psp(400, '51', 'Invalid pspRedirectUrl', '§2.3, §2.11'),
  ORDER_ID_EXISTS: psp(400, '99', 'OrderId already exists', '§2.3'),
  AMOUNT_INVALID: psp(400, 'amount', 'amount.less.than.one', '§2.3; also for < 100 øre, non-integers and > int32'),
  CURRENCY_INVALID: psp(
    400,
    'currency',
    'transaction.currency.invalid',
    '§2.3; decision: also a missing currency (required in psp-v3.yaml), as a missing amount gets `amount`',
  ),
  MAKE_PAYMENT_URL_INVALID: psp(400, 'makePaymentUrl', 'Invalid makePaymentUrl', '§2.3, §2.11'),
  SKIP_LANDING_PAGE_NOT_ALLOWED: psp(
    400,
    '38',
    'The sales unit is not allowed to skip the landing page. See the FAQ.',
    '§2.3 (eCom code 38; the PSP code is undocumented)',
  ),
  PAYMENT_NOT_FOUND: psp(
    404,
    '35',
    'Requested Order not found',
    'decision (§2.9 has no 404): unknown ids and other PSPs’ ids answer alike',
  ),
  IDEMPOTENCY_CONFLICT: psp(
    409,
    '93',
    'The request body must be identical to the previous request(s) in an idempotent retry',
    '§2.13: eCom code 93; the same key with another body',
  ),
  // --- The approval engine: force approve and the control API (§2.10, docs/approval-engine.md) ---
  USER_NOT_AVAILABLE: psp(
    400,
    '81',
    'User not registered with Vipps',
    '§2.3 code 81; the same neutral answer for an unknown number, a user under 15 and a blocked user',
  ),
  PHONE_NUMBER_REQUIRED: psp(400, '51', 'Invalid request', 'decision: approve without a phone number and none known for the payment'),
  PAYMENT_NOT_PENDING: psp(
    409,
    'PaymentNotPending',
    'The payment is not waiting for the user',
    'decision: approve/cancel of a payment that already has an outcome (or lost a race to one)',
  ),
  CARD_NOT_FOUND: psp(400, 'CardNotFound', 'The user has no card with this id', 'decision (control API cardId)'),
  CARD_NOT_USABLE: psp(
    400,
    'CardNotUsable',
    'The card is expired or cannot be used for payments',
    'decision: expired or non-eligible card',
  ),
  CARD_NOT_ELIGIBLE: psp(400, 'CardNotEligible', 'Card not eligible', '§2.7 magic amount 3100 "Emulates Card not eligible"'),
  // §2.10 lists only 200, 400, 401, 500, 503, 504 for force approve: its refusals are all 400s.
  FORCE_APPROVE_PAYMENT_NOT_FOUND: psp(
    400,
    '35',
    'Requested Order not found',
    'decision: §2.10 has no 404, so 400 with eCom code 35 (§2.3); unknown ids and other PSPs’ ids answer alike',
  ),
  FORCE_APPROVE_PAYMENT_NOT_PENDING: psp(
    400,
    '51',
    'Invalid request: the payment is not waiting for approval',
    'decision: §2.10 has no 409; code 51 (§2.3) for a payment that already has an outcome, is past its due time, or lost a race to one',
  ),
  FORCE_APPROVE_TOKEN_INVALID: psp(
    400,
    '51',
    'Invalid token',
    'decision: the ForceApproveRequest token must be the one of this payment’s vippsRedirectUrl (§2.10)',
  ),
  NOT_FOUND: {
    httpStatus: 404,
    errorCode: '404',
    errorMessage: 'Resource not found',
    shape: 'apim',
    source:
      'Azure APIM answer for an unknown operation, which includes a known path with another method (a GET on init): no 405 on the PSP API (the Merchant API documents its own 405)',
  },
  UNSUPPORTED_MEDIA_TYPE: psp(415, '415', 'Unsupported media type', 'decision (Content-Type must be JSON)'),
  BODY_TOO_LARGE: psp(413, '413', 'Request body too large', 'decision: body limits per route'),
  REQUEST_TIMEOUT: psp(408, '408', 'Request timeout', 'decision: the request did not arrive within REQUEST_TIMEOUT_MS'),
  URI_TOO_LONG: psp(
    414,
    '414',
    'Request URI too long',
    'decision: a path segment over 100 characters (the router’s limit; no id of the APIs is longer), or a request line over 8 KiB',
  ),
  HEADERS_TOO_LARGE: psp(
    431,
    '431',
    'Request header fields too large',
    'decision: the request’s header section exceeds Node’s 16 KiB limit (the API Management layer has one too)',
  ),
  MALFORMED_REQUEST: psp(
    400,
    '51',
    'Invalid request',
    '§2.3 code 51; a request that is not well-formed HTTP or URL (bad Content-Length, header or percent-encoding); the defect after ": "',
  ),
  JSON_TOO_DEEP: psp(
    400,
    '51',
    'Invalid request: the JSON body nests deeper than {maxDepth} levels',
    '§2.3 code 51; decision: JSON_MAX_DEPTH (default 64; the APIs’ bodies nest 3 levels at most), checked before the body is parsed',
  ),
  INTERNAL_ERROR: psp(500, '500', 'Internal Server Error', 'any unexpected error; never a stack trace'),
  // --- Status updates: the status batch control API (§2.8, docs/status-updates.md) ---
  STATUS_BATCHES_NEVER_APPLIED: psp(
    409,
    'StatusBatchesNeverApplied',
    'Status batches are never applied: STATUS_BATCH_SCHEDULE is never',
    'decision: `never` keeps batches stored and unapplied, like the real test environment (§2.8)',
  ),
  STATUS_BATCH_NOT_FOUND: psp(404, 'StatusBatchNotFound', 'Status batch not found', 'decision (control API)'),
  STATUS_BATCH_NOT_FAILED: psp(
    409,
    'StatusBatchNotFailed',
    'Only a FAILED status batch can be retried',
    'decision (control API): a retry puts a FAILED batch back in the queue, nothing else',
  ),
  // --- PSP Merchant API (§3, docs/merchant-api.md): RFC 7807 problems; errorCode names the `type` ---
  MERCHANT_NOT_FOUND: psp(
    404,
    'item-does-not-exist',
    'Item does not exist',
    'psp-signup-v1.yaml 404 description; another PSP’s MSN answers exactly like an unknown one',
  ),
  MERCHANT_FIELD_REQUIRED: psp(
    400,
    'validation-error',
    '{field} is required',
    'decision: spec 400 "Invalid request, check request parameters"; names the field',
  ),
  MERCHANT_FIELD_INVALID: psp(
    400,
    'validation-error',
    '{field} is invalid',
    'decision: names the field; the rule it breaks is appended after ": " (pattern, length, MOD11, PNG size…)',
  ),
  MERCHANT_FIELD_UNKNOWN: psp(
    400,
    'validation-error',
    '{field} is not a property of {schema}',
    'decision: unknown properties are refused (GUIDE practice 5) so a misspelt field is not silently lost',
  ),
  MERCHANT_BODY_INVALID: psp(400, 'validation-error', 'The request body must be a JSON object', 'decision'),
  MERCHANT_UPDATE_EMPTY: psp(
    400,
    'validation-error',
    'At least one property is required',
    'psp-signup-v1.yaml UpdateMerchantRequest: "At least one of the properties is required"',
  ),
  MERCHANT_DEACTIVATED: psp(
    400,
    'merchant-deactivated',
    'The sales unit {msn} is deactivated and cannot be updated or reactivated',
    'spec: "Already deactivated merchant cannot be activated or updated through the API"; 400 because patchMerchant documents no 409',
  ),
  MERCHANT_IDEMPOTENCY_KEY_MISSING: psp(
    400,
    'validation-error',
    'The Idempotency-Key header is required',
    'psp-signup-v1.yaml: addMerchant header Idempotency-Key required',
  ),
  MERCHANT_IDEMPOTENT_CONFLICT: psp(
    409,
    'idempotent-conflict',
    'Idempotent conflict: this Idempotency-Key was used with another request body',
    'psp-signup-v1.yaml 409 description "Idempotent conflict"; the same key with another body',
  ),
  MERCHANT_METHOD_NOT_SUPPORTED: psp(405, 'method-not-supported', 'Request method not supported', 'psp-signup-v1.yaml 405 description'),
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorKey = keyof typeof ERRORS;

/** A client error with a catalogue entry. Thrown by services, formatted by the one error handler. */
export class ApiError extends Error {
  readonly entry: CatalogueEntry;
  constructor(
    readonly key: ErrorKey,
    /** Values for `{placeholders}` in the message. */
    readonly params: Readonly<Record<string, string>> = {},
    /** Extra detail appended to the message after ": " (validation errors). */
    readonly detail?: string,
  ) {
    const entry: CatalogueEntry = ERRORS[key];
    super(formatMessage(entry, params, detail));
    this.entry = entry;
    this.name = 'ApiError';
  }
}

export function formatMessage(entry: CatalogueEntry, params: Readonly<Record<string, string>>, detail: string | undefined): string {
  const base = entry.errorMessage.replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? '');
  return detail ? `${base}: ${detail}` : base;
}

/** Exhaustiveness guard for `switch` statements (GUIDE practice 1). */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`Unexpected ${what}: ${String(value)}`);
}
