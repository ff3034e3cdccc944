/**
 * Typed errors of the client. Every error a call can end in is a `VippsError`; the subclass says
 * which layer answered, by the shape of the body (psp-facts.md §1.2, §2.3, §3):
 *
 *  - `VippsApiError`: the PSP API's `ErrorDetails` array `[{errorCode, errorMessage, contextId}]`
 *    (and any other error response that has no recognisable shape).
 *  - `VippsAuthError`: Azure API Management `{statusCode, message}`, Azure AD
 *    `{error, error_description, …}` (access token), the eCom "ErrorFromAzure" shape, or an
 *    empty 401.
 *  - `VippsProblemError`: an RFC 7807 problem (the PSP Merchant API).
 *  - `VippsTimeoutError`: no complete answer within `timeoutMs`.
 *  - `VippsNetworkError`: the request never got an HTTP answer (connection refused, reset, DNS).
 *
 * Each keeps the raw response text in `body`.
 */
import type { ProblemDetails } from './merchant-types.js';
import type { ErrorDetails } from './types.js';

/** The request an error belongs to (no headers: they hold credentials). */
export interface VippsRequestInfo {
  readonly method: string;
  readonly url: string;
}

export interface VippsErrorInit {
  readonly status?: number | undefined;
  readonly body?: string;
  readonly request?: VippsRequestInfo;
  readonly cause?: unknown;
}

export class VippsError extends Error {
  override name = 'VippsError';
  /** HTTP status, or undefined when no response arrived. */
  readonly status: number | undefined;
  /** The raw response text ('' when there was none). */
  readonly body: string;
  readonly request: VippsRequestInfo | undefined;

  constructor(message: string, init: VippsErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.body = init.body ?? '';
    this.request = init.request;
  }
}

/** An error answer of the PSP API (`ErrorDetails` array, §2.3). */
export class VippsApiError extends VippsError {
  override name = 'VippsApiError';
  declare readonly status: number;
  /** Every entry of the ErrorDetails array (usually one). */
  readonly errors: readonly ErrorDetails[];
  /** `errorCode` of the first entry, e.g. `"44"`, `"amount"`; undefined for a body without ErrorDetails. */
  readonly errorCode: string | undefined;
  readonly errorMessage: string;
  readonly contextId: string | undefined;

  constructor(status: number, errors: readonly ErrorDetails[], init: VippsErrorInit & { fallbackMessage?: string } = {}) {
    const first = errors[0];
    const errorMessage = first?.errorMessage ?? init.fallbackMessage ?? `HTTP ${status}`;
    super(first ? `HTTP ${status} [${first.errorCode}] ${errorMessage}` : `HTTP ${status}: ${errorMessage}`, { ...init, status });
    this.errors = errors;
    this.errorCode = first?.errorCode;
    this.errorMessage = errorMessage;
    this.contextId = first?.contextId;
  }
}

export type VippsAuthErrorSource = 'apim' | 'aad' | 'azure' | 'unknown';

/** An authentication error of the Azure layers in front of the APIs (§1.2). */
export class VippsAuthError extends VippsError {
  override name = 'VippsAuthError';
  declare readonly status: number;
  /** Which layer answered: API Management, Azure AD, the "ErrorFromAzure" shape, or unrecognised. */
  readonly source: VippsAuthErrorSource;
  /** Azure AD `error` (e.g. `invalid_client`); undefined for the other sources. */
  readonly errorCode: string | undefined;
  /** APIM `message`, the first line of Azure AD's `error_description`, or the status text. */
  readonly errorMessage: string;
  /** Azure AD `error_codes` (e.g. `[7000215]`). */
  readonly aadErrorCodes: readonly number[];
  /** Azure AD `correlation_id`. */
  readonly correlationId: string | undefined;

  constructor(
    status: number,
    fields: {
      source: VippsAuthErrorSource;
      errorMessage: string;
      errorCode?: string | undefined;
      aadErrorCodes?: readonly number[];
      correlationId?: string | undefined;
    },
    init: VippsErrorInit = {},
  ) {
    super(`HTTP ${status}${fields.errorCode ? ` [${fields.errorCode}]` : ''} ${fields.errorMessage}`, { ...init, status });
    this.source = fields.source;
    this.errorCode = fields.errorCode;
    this.errorMessage = fields.errorMessage;
    this.aadErrorCodes = fields.aadErrorCodes ?? [];
    this.correlationId = fields.correlationId;
  }
}

/** An RFC 7807 problem (the PSP Merchant API's `Error`, §3). */
export class VippsProblemError extends VippsError {
  override name = 'VippsProblemError';
  declare readonly status: number;
  readonly problem: ProblemDetails;
  readonly type: string | undefined;
  readonly title: string;
  readonly detail: string;
  readonly instance: string;
  /** The `contextId` extension member, when the server sends one. */
  readonly contextId: string | undefined;

  constructor(status: number, problem: ProblemDetails, init: VippsErrorInit = {}) {
    super(`HTTP ${status} ${problem.title}${problem.detail ? `: ${problem.detail}` : ''}`, { ...init, status });
    this.problem = problem;
    this.type = problem.type;
    this.title = problem.title;
    this.detail = problem.detail;
    this.instance = problem.instance;
    this.contextId = typeof problem.contextId === 'string' ? problem.contextId : undefined;
  }
}

/** No complete answer within the configured `timeoutMs`. */
export class VippsTimeoutError extends VippsError {
  override name = 'VippsTimeoutError';
  readonly timeoutMs: number;

  constructor(timeoutMs: number, init: VippsErrorInit = {}) {
    super(`no answer within ${timeoutMs} ms${init.request ? ` (${init.request.method} ${init.request.url})` : ''}`, init);
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The request got no HTTP answer. For a POST the server may or may not have acted on it: retry
 * with the same Idempotency-Key.
 */
export class VippsNetworkError extends VippsError {
  override name = 'VippsNetworkError';
}

// --- classification of error responses ---

type JsonObject = Record<string, unknown>;

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

function toErrorDetails(v: unknown): ErrorDetails | null {
  if (!isObject(v)) return null;
  const code = v.errorCode;
  if (typeof code !== 'string' && typeof code !== 'number') return null;
  return {
    errorCode: String(code),
    errorMessage: typeof v.errorMessage === 'string' ? v.errorMessage : '',
    ...(typeof v.contextId === 'string' ? { contextId: v.contextId } : {}),
  };
}

/** Turns a non-2xx answer into the matching VippsError subclass. */
export function errorFromResponse(
  response: { status: number; statusText: string; text: string; contentType: string },
  request: VippsRequestInfo,
): VippsError {
  const { status, text } = response;
  const init = { body: text, request };
  let json: unknown;
  try {
    json = text.trim() === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }

  if (Array.isArray(json) && json.length > 0) {
    const details = json.map(toErrorDetails);
    if (details.every((d): d is ErrorDetails => d !== null)) return new VippsApiError(status, details, init);
  }
  if (isObject(json)) {
    // A single ErrorDetails object (seen on 401s of business endpoints, §1.2).
    const single = toErrorDetails(json);
    if (single) return new VippsApiError(status, [single], init);
    // Azure AD (access token: wrong client id or secret).
    if (typeof json.error === 'string' && typeof json.error_description === 'string') {
      return new VippsAuthError(
        status,
        {
          source: 'aad',
          errorCode: json.error,
          errorMessage: json.error_description.split(/\r?\n/)[0] ?? json.error_description,
          aadErrorCodes: Array.isArray(json.error_codes) ? json.error_codes.filter((c): c is number => typeof c === 'number') : [],
          correlationId: typeof json.correlation_id === 'string' ? json.correlation_id : undefined,
        },
        init,
      );
    }
    // Azure API Management (subscription key, bearer token).
    if (typeof json.statusCode === 'number' && typeof json.message === 'string') {
      return new VippsAuthError(status, { source: 'apim', errorMessage: json.message }, init);
    }
    // eCom "ErrorFromAzure": {responseInfo:{responseCode,responseMessage},result:{message}}.
    if (isObject(json.responseInfo) && isObject(json.result) && typeof json.result.message === 'string') {
      return new VippsAuthError(status, { source: 'azure', errorMessage: json.result.message }, init);
    }
    // RFC 7807.
    if (response.contentType.includes('problem+json') || (typeof json.title === 'string' && json.status !== undefined)) {
      const problemStatus = typeof json.status === 'number' ? json.status : Number(json.status);
      const problem: ProblemDetails = {
        ...json,
        title: typeof json.title === 'string' ? json.title : '',
        status: Number.isFinite(problemStatus) ? problemStatus : status,
        detail: typeof json.detail === 'string' ? json.detail : '',
        instance: typeof json.instance === 'string' ? json.instance : '',
      };
      return new VippsProblemError(status, problem, init);
    }
  }
  if (status === 401) {
    return new VippsAuthError(status, { source: 'unknown', errorMessage: response.statusText || 'Unauthorized' }, init);
  }
  const snippet = text.trim().slice(0, 200);
  return new VippsApiError(status, [], { ...init, fallbackMessage: snippet || response.statusText || `HTTP ${status}` });
}
