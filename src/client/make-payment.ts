/**
 * PSP-side helpers for the PSP's own makePaymentUrl endpoint, the call Vipps makes to the PSP
 * with the network token (psp-facts.md §2.5, §2.6; `[ makePaymentUrl ]` in psp-v3.yaml).
 *
 *   const request = parseMakePaymentRequest(body);          // or MakePaymentValidationError
 *   checkMakePaymentAuthorization(req.headers.authorization, makePaymentToken);
 *   reply(makePaymentOk(request.pspTransactionId));          // or makePaymentFail / …SoftDecline
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isPspErrorId, PSP_ERROR_IDS, type PspErrorId } from './psp-error-ids.js';

export type PaymentState = 'ACCEPTED' | 'TIMEOUT' | 'USER_CANCEL';
export type PaymentInstrument = 'TOKEN';
export type TokenType = 'VISA' | 'MASTERCARD';
export type ThreeDSecureOperation = '3dssuccess' | '3dscancel' | '3dsfailure';

/** `NetworkToken`: the card's network token, used in place of the card number (PAN). */
export interface NetworkToken {
  /** Up to 19 digits. */
  readonly number: string;
  /** Base64 (TAVV); use it once, never store or log it. */
  readonly cryptogram: string;
  /** Two digits, `"03"`. */
  readonly expiryMonth: string;
  /** Four digits, `"2030"`. */
  readonly expiryYear: string;
  readonly tokenType: TokenType;
  /** E.g. `"7"` / `"07"` (Visa), `"06"` (Mastercard). */
  readonly eci: string;
}

/** `Operation3DSecure`: where the PSP's 3-D Secure page sends the user at the end (§2.6). */
export interface Operation3DSecure {
  readonly url: string;
  readonly operation: ThreeDSecureOperation;
}

interface MakePaymentRequestBase {
  readonly pspTransactionId: string;
  readonly merchantSerialNumber: string;
  /** `TOKEN` (the spec's default when absent). */
  readonly paymentInstrument: PaymentInstrument;
  /** The 3-D Secure return URLs; empty when the request had none. */
  readonly operations: readonly Operation3DSecure[];
  /** PSP recurring only (historic, §2.12). */
  readonly userToken?: string;
}

/** The user confirmed: the card's network token is there. */
export interface AcceptedMakePaymentRequest extends MakePaymentRequestBase {
  readonly paymentState: 'ACCEPTED';
  readonly binNumber: string;
  readonly networkToken: NetworkToken;
}

/** The user cancelled or let the payment time out: there is no card (§2.5). */
export interface NotAcceptedMakePaymentRequest extends MakePaymentRequestBase {
  readonly paymentState: 'TIMEOUT' | 'USER_CANCEL';
  readonly binNumber?: string;
  readonly networkToken?: NetworkToken;
}

/** `MakePaymentRequest`; narrow on `paymentState` to reach the token. */
export type MakePaymentRequest = AcceptedMakePaymentRequest | NotAcceptedMakePaymentRequest;

export type MakePaymentStatus = 'OK' | 'FAIL' | 'SOFT_DECLINE';

/** `MakePaymentResponse` as the builders produce it. */
export interface MakePaymentResponse {
  readonly errorMessage?: { readonly errorId: string; readonly errorText: string };
  readonly paymentInfo: {
    readonly pspTransactionId: string;
    readonly status: MakePaymentStatus;
    readonly url3dSecure?: string;
  };
}

/** The makePayment request is not what the spec describes; `field` names the first bad field. */
export class MakePaymentValidationError extends Error {
  override name = 'MakePaymentValidationError';
  /** The PSP error id for this case (§2.5: 71 "Invalid request"). */
  readonly errorId = '71';

  constructor(
    /** Dotted path of the field, e.g. `networkToken.cryptogram`, `operations[0].url`; `(body)` for the body itself. */
    readonly field: string,
    readonly problem: string,
  ) {
    super(`makePayment request: ${field} ${problem}`);
  }
}

type JsonObject = Record<string, unknown>;
const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const absent = (v: unknown): boolean => v === undefined || v === null;

const PAYMENT_STATES: readonly PaymentState[] = ['ACCEPTED', 'TIMEOUT', 'USER_CANCEL'];
const TOKEN_TYPES: readonly TokenType[] = ['VISA', 'MASTERCARD'];
const OPERATIONS: readonly ThreeDSecureOperation[] = ['3dssuccess', '3dscancel', '3dsfailure'];

function str(obj: JsonObject, field: string, path: string, pattern?: RegExp, describe?: string): string {
  const value = obj[field];
  if (absent(value)) throw new MakePaymentValidationError(path, 'is required');
  if (typeof value !== 'string' || value === '') throw new MakePaymentValidationError(path, 'must be a non-empty string');
  if (pattern && !pattern.test(value)) throw new MakePaymentValidationError(path, `must be ${describe ?? `like ${pattern}`}`);
  return value;
}

function oneOf<T extends string>(obj: JsonObject, field: string, path: string, allowed: readonly T[]): T {
  const value = str(obj, field, path);
  if (!(allowed as readonly string[]).includes(value)) throw new MakePaymentValidationError(path, `must be one of ${allowed.join(', ')}`);
  return value as T;
}

function parseNetworkToken(value: unknown): NetworkToken {
  if (!isObject(value)) throw new MakePaymentValidationError('networkToken', 'must be an object');
  return {
    number: str(value, 'number', 'networkToken.number', /^\d{12,19}$/, '12 to 19 digits'),
    cryptogram: str(value, 'cryptogram', 'networkToken.cryptogram'),
    expiryMonth: str(value, 'expiryMonth', 'networkToken.expiryMonth', /^(0[1-9]|1[0-2])$/, 'two digits 01-12'),
    expiryYear: str(value, 'expiryYear', 'networkToken.expiryYear', /^\d{4}$/, 'four digits'),
    tokenType: oneOf(value, 'tokenType', 'networkToken.tokenType', TOKEN_TYPES),
    eci: str(value, 'eci', 'networkToken.eci', /^\d{1,2}$/, 'one or two digits'),
  };
}

function parseOperations(value: unknown): Operation3DSecure[] {
  // Required by the spec, left out in the guide's examples (§2.5): absent reads as none.
  if (absent(value)) return [];
  if (!Array.isArray(value)) throw new MakePaymentValidationError('operations', 'must be an array');
  return value.map((item, i) => {
    const path = `operations[${i}]`;
    if (!isObject(item)) throw new MakePaymentValidationError(path, 'must be an object');
    const url = str(item, 'url', `${path}.url`);
    if (!URL.canParse(url)) throw new MakePaymentValidationError(`${path}.url`, 'must be an absolute URL');
    return { url, operation: oneOf(item, 'operation', `${path}.operation`, OPERATIONS) };
  });
}

function toJson(body: unknown): unknown {
  if (typeof body !== 'string' && !(body instanceof Uint8Array)) return body;
  const text = typeof body === 'string' ? body : new TextDecoder().decode(body);
  try {
    return JSON.parse(text);
  } catch {
    throw new MakePaymentValidationError('(body)', 'is not valid JSON');
  }
}

/**
 * Checks the body of a makePayment call and returns it typed. Accepts the parsed JSON, or the
 * raw body as a string or bytes. `binNumber` and `networkToken` are required only for
 * `ACCEPTED`: for `TIMEOUT` / `USER_CANCEL` there is no card (§2.5), and when present they are
 * checked all the same. Unknown fields are ignored.
 *
 * @throws MakePaymentValidationError naming the first bad field (answer it with
 *   `makePaymentFail(id, '71')`).
 */
export function parseMakePaymentRequest(body: unknown): MakePaymentRequest {
  const json = toJson(body);
  if (!isObject(json)) throw new MakePaymentValidationError('(body)', 'must be a JSON object');
  const pspTransactionId = str(json, 'pspTransactionId', 'pspTransactionId');
  // The spec says six digits; MSNs have been 5 to 6 digits and up to 10 since 2025 (§2.5, §3).
  const merchantSerialNumber = str(json, 'merchantSerialNumber', 'merchantSerialNumber', /^\d{4,10}$/, '4 to 10 digits');
  const paymentState = oneOf(json, 'paymentState', 'paymentState', PAYMENT_STATES);
  const paymentInstrument: PaymentInstrument = absent(json.paymentInstrument)
    ? 'TOKEN'
    : oneOf(json, 'paymentInstrument', 'paymentInstrument', ['TOKEN'] as const);
  const operations = parseOperations(json.operations);
  let userToken: string | undefined;
  if (!absent(json.userToken)) userToken = str(json, 'userToken', 'userToken');
  const base = { pspTransactionId, merchantSerialNumber, paymentInstrument, operations, ...(userToken ? { userToken } : {}) };

  const binNumber = (): string => str(json, 'binNumber', 'binNumber', /^\d{6,8}$/, '6 to 8 digits');
  if (paymentState === 'ACCEPTED') {
    const bin = binNumber();
    if (absent(json.networkToken)) throw new MakePaymentValidationError('networkToken', 'is required');
    return { ...base, paymentState, binNumber: bin, networkToken: parseNetworkToken(json.networkToken) };
  }
  return {
    ...base,
    paymentState,
    ...(absent(json.binNumber) ? {} : { binNumber: binNumber() }),
    ...(absent(json.networkToken) ? {} : { networkToken: parseNetworkToken(json.networkToken) }),
  };
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * Whether the `Authorization` header of a makePayment call carries the `makePaymentToken` the
 * PSP gave at init: the raw token, no `Bearer` (§2.5). Compared in constant time (as sha-256
 * digests, so the length does not leak either).
 *
 * @param headerValue e.g. `req.headers.authorization` (a repeated header is refused)
 * @param expectedToken the makePaymentToken of this payment; must not be empty
 */
export function checkMakePaymentAuthorization(headerValue: string | readonly string[] | null | undefined, expectedToken: string): boolean {
  if (typeof expectedToken !== 'string' || expectedToken === '') {
    throw new TypeError('checkMakePaymentAuthorization: expectedToken must be a non-empty string');
  }
  const value = Array.isArray(headerValue) ? (headerValue.length === 1 ? headerValue[0] : undefined) : headerValue;
  if (typeof value !== 'string') return false;
  return timingSafeEqual(digest(value), digest(expectedToken));
}

/** `200 {"paymentInfo":{"pspTransactionId":…,"status":"OK"}}`: the payment becomes RESERVED (§2.5). */
export function makePaymentOk(pspTransactionId: string): MakePaymentResponse {
  return { paymentInfo: { pspTransactionId, status: 'OK' } };
}

/**
 * `FAIL` with the PSP's error id and text (§2.5). `errorText` defaults to the documented text of
 * a known id (see PSP_ERROR_IDS); the id is sent as a string, as the spec types it.
 */
export function makePaymentFail(pspTransactionId: string, errorId: PspErrorId | number | string, errorText?: string): MakePaymentResponse {
  const id = String(errorId);
  const text = errorText ?? (isPspErrorId(id) ? PSP_ERROR_IDS[id].errorText : undefined);
  if (text === undefined) throw new TypeError(`makePaymentFail: no errorText for the unknown errorId ${id}`);
  return { errorMessage: { errorId: id, errorText: text }, paymentInfo: { pspTransactionId, status: 'FAIL' } };
}

/**
 * The answer to a makePayment that carries no accepted payment (TIMEOUT, USER_CANCEL): `FAIL`
 * with 93 and "Status from Vipps:TIMEOUT" / "Status from Vipps:CANCEL" (§2.5, FAQ).
 */
export function makePaymentNotAccepted(request: NotAcceptedMakePaymentRequest): MakePaymentResponse {
  const status = request.paymentState === 'TIMEOUT' ? 'TIMEOUT' : 'CANCEL';
  return makePaymentFail(request.pspTransactionId, '93', `Status from Vipps:${status}`);
}

/**
 * `SOFT_DECLINE`: the issuer wants 3-D Secure; the app opens `url3dSecure` (the PSP's 3-D Secure
 * page), which ends on one of the request's operation URLs, and Vipps then resends makePayment
 * (§2.6). Carries errorMessage 1036 "Soft Decline" as the guide's example does.
 */
export function makePaymentSoftDecline(pspTransactionId: string, url3dSecure: string): MakePaymentResponse {
  if (!URL.canParse(url3dSecure) || !/^https?:$/.test(new URL(url3dSecure).protocol)) {
    throw new TypeError(`makePaymentSoftDecline: url3dSecure must be an absolute http(s) URL, got ${JSON.stringify(url3dSecure)}`);
  }
  return {
    errorMessage: { errorId: '1036', errorText: PSP_ERROR_IDS['1036'].errorText },
    paymentInfo: { pspTransactionId, status: 'SOFT_DECLINE', url3dSecure },
  };
}

/**
 * The URL the PSP's 3-D Secure page must end on for `operation` (§2.6 step 4).
 * @throws MakePaymentValidationError (field `operations`) when the request has no such entry
 */
export function operationUrl(request: Pick<MakePaymentRequest, 'operations'>, operation: ThreeDSecureOperation): string {
  const found = request.operations.find((o) => o.operation === operation);
  if (!found) throw new MakePaymentValidationError('operations', `has no ${operation} entry`);
  return found.url;
}
