/**
 * Fault injection on the Vipps side (docs/inspector.md "Faults"): what a fault is, how a fault
 * request is checked, which answer each injected status gets, and the seeded draw. Pure.
 *
 * Kinds, and their effect on the platform's state:
 *  - `status` before: the request is answered with the status and does nothing ("failed before
 *    applying"). `status` after (500/502/503/504 only): the request is handled as usual — the
 *    payment is created, the batch stored — and the PSP gets the status instead of the answer
 *    ("applied, then failed"; only a request that succeeded is turned into a failure).
 *  - `latency`: the request waits (fixed, or uniform in a range), then is handled and answered as
 *    usual. Nothing fails unless the PSP's client gives up first.
 *  - `close` before: the connection is closed without an answer; nothing applied. `close` after:
 *    handled as usual, then the connection is closed instead of answering ("applied, no answer").
 *  - `timeout`: handled as usual, and the answer is held for `delayMs` (default 30 s, longer than
 *    the PSP client's usual 10–15 s time-out): applied, and answered after the client gave up.
 */
import { API_OPERATIONS, type ApiOperation } from './api-operations.js';

export const FAULT_KINDS = ['status', 'latency', 'close', 'timeout'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
export const FAULT_STATUSES = [429, 500, 502, 503, 504] as const;
export type FaultStatus = (typeof FAULT_STATUSES)[number];
export type FaultWhen = 'before' | 'after';
/** An operation of the PSP-facing APIs, or `ANY`. */
export type FaultOperation = ApiOperation | 'ANY';
export const FAULT_OPERATIONS: readonly FaultOperation[] = [...API_OPERATIONS, 'ANY'];

export interface FaultSpec {
  readonly operation: FaultOperation;
  readonly kind: FaultKind;
  readonly status: FaultStatus | null;
  readonly when: FaultWhen;
  /** latency: the fixed delay, or the range's low end; timeout: how long the answer is held. */
  readonly delayMs: number | null;
  /** latency: the range's high end (null: fixed). */
  readonly delayMaxMs: number | null;
  /** 429: the Retry-After header, in seconds. */
  readonly retryAfterSeconds: number | null;
  /** Fires for the next N matching requests, then expires (null: until deleted or reset). */
  readonly count: number | null;
  /** Fires for this share of matching requests (1: all), drawn from `seed`. */
  readonly probability: number;
  readonly seed: number;
}

export interface Fault extends FaultSpec {
  readonly id: string;
  readonly pspId: string;
  /** What is left of `count` (null: no count). */
  readonly remaining: number | null;
  /** Matching requests seen (the probability's draws) and how often it fired. */
  readonly seen: number;
  readonly fired: number;
  readonly createdAt: string;
}

export const TIMEOUT_DEFAULT_MS = 30_000;
export const MAX_DELAY_MS = 600_000;

export class FaultSpecError extends Error {}

const isInt = (v: unknown, min: number, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

/** Checks a fault request (the control API's JSON body); throws FaultSpecError naming the field. */
export function parseFaultSpec(input: unknown): FaultSpec {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new FaultSpecError('the body must be a JSON object');
  const b = input as Record<string, unknown>;
  const known = ['operation', 'kind', 'status', 'when', 'delayMs', 'delayMaxMs', 'retryAfterSeconds', 'count', 'probability', 'seed'];
  for (const key of Object.keys(b)) if (!known.includes(key)) throw new FaultSpecError(`${key} is not a property of a fault`);
  const operation = b.operation ?? 'ANY';
  if (!FAULT_OPERATIONS.includes(operation as FaultOperation))
    throw new FaultSpecError(`operation must be one of ${FAULT_OPERATIONS.join(', ')}`);
  const kind = b.kind;
  if (!FAULT_KINDS.includes(kind as FaultKind)) throw new FaultSpecError(`kind must be one of ${FAULT_KINDS.join(', ')}`);
  const when = b.when ?? (kind === 'timeout' ? 'after' : 'before');
  if (when !== 'before' && when !== 'after') throw new FaultSpecError('when must be before or after');
  let status: FaultStatus | null = null;
  let delayMs: number | null = null;
  let delayMaxMs: number | null = null;
  let retryAfterSeconds: number | null = null;
  switch (kind as FaultKind) {
    case 'status':
      if (!FAULT_STATUSES.includes(b.status as FaultStatus)) throw new FaultSpecError(`status must be one of ${FAULT_STATUSES.join(', ')}`);
      status = b.status as FaultStatus;
      // API Management's rate limit answers before the API sees the request.
      if (status === 429 && when === 'after')
        throw new FaultSpecError('a 429 comes from API Management before the API: when must be before');
      if (b.retryAfterSeconds !== undefined) {
        if (status !== 429) throw new FaultSpecError('retryAfterSeconds is for status 429');
        if (!isInt(b.retryAfterSeconds, 0, 3600)) throw new FaultSpecError('retryAfterSeconds must be an integer from 0 to 3600');
      }
      if (status === 429) retryAfterSeconds = (b.retryAfterSeconds as number | undefined) ?? 1;
      break;
    case 'latency':
      if (when !== 'before') throw new FaultSpecError('latency delays the request before it is handled: when must be before');
      if (!isInt(b.delayMs, 0, MAX_DELAY_MS)) throw new FaultSpecError(`delayMs must be an integer from 0 to ${MAX_DELAY_MS}`);
      delayMs = b.delayMs;
      if (b.delayMaxMs !== undefined) {
        if (!isInt(b.delayMaxMs, delayMs, MAX_DELAY_MS))
          throw new FaultSpecError(`delayMaxMs must be an integer from delayMs to ${MAX_DELAY_MS}`);
        delayMaxMs = b.delayMaxMs;
      }
      break;
    case 'close':
      break;
    case 'timeout':
      if (when !== 'after') throw new FaultSpecError('timeout answers after handling the request: when must be after');
      if (b.delayMs !== undefined && !isInt(b.delayMs, 1, MAX_DELAY_MS))
        throw new FaultSpecError(`delayMs must be an integer from 1 to ${MAX_DELAY_MS}`);
      delayMs = (b.delayMs as number | undefined) ?? TIMEOUT_DEFAULT_MS;
      break;
  }
  for (const field of ['status', 'delayMs', 'delayMaxMs', 'retryAfterSeconds'] as const) {
    const allowed = {
      status: kind === 'status',
      delayMs: kind === 'latency' || kind === 'timeout',
      delayMaxMs: kind === 'latency',
      retryAfterSeconds: status === 429,
    };
    if (b[field] !== undefined && !allowed[field]) throw new FaultSpecError(`${field} does not apply to kind ${String(kind)}`);
  }
  if (b.count !== undefined && b.count !== null && !isInt(b.count, 1, 1_000_000))
    throw new FaultSpecError('count must be an integer from 1 to 1000000');
  const probability = b.probability ?? 1;
  if (typeof probability !== 'number' || !(probability > 0 && probability <= 1))
    throw new FaultSpecError('probability must be a number above 0, at most 1');
  const seed = b.seed ?? 1;
  if (!isInt(seed, 0, 2 ** 31 - 1)) throw new FaultSpecError('seed must be an integer from 0 to 2147483647');
  return {
    operation: operation as FaultOperation,
    kind: kind as FaultKind,
    status,
    when,
    delayMs,
    delayMaxMs,
    retryAfterSeconds,
    count: (b.count as number | null | undefined) ?? null,
    probability,
    seed,
  };
}

/**
 * The n-th draw (n ≥ 1) of a fault's seeded sequence, uniform in [0, 1): mulberry32 of
 * seed ⊕ n. A function of (seed, n) alone, so the sequence is the same whichever node draws it
 * (n is counted in the database).
 */
export function draw(seed: number, n: number): number {
  let t = (seed ^ Math.imul(n, 0x9e3779b9)) >>> 0;
  t = (t + 0x6d2b79f5) >>> 0;
  let r = Math.imul(t ^ (t >>> 15), t | 1);
  r ^= r + Math.imul(r ^ (r >>> 7), r | 61);
  return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
}

/** The latency of the n-th firing: fixed, or uniform in [delayMs, delayMaxMs] from the seeded sequence. */
export function latencyOf(fault: Pick<FaultSpec, 'delayMs' | 'delayMaxMs' | 'seed'>, n: number): number {
  const low = fault.delayMs ?? 0;
  if (fault.delayMaxMs === null || fault.delayMaxMs === low) return low;
  return low + Math.floor(draw(fault.seed + 1, n) * (fault.delayMaxMs - low + 1));
}

export interface FaultAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * The answer of an injected status, except 500, which is the route's own internal-error answer
 * (the error catalogue's INTERNAL_ERROR in the route's shape: PSP ErrorDetails array, psp-facts.md
 * §2.3; RFC 7807 on the Merchant API). Sources and decisions:
 *  - 429: Azure API Management's rate-limit policy answer (psp-facts.md §2.13: "429 comes from
 *    Azure"; §1.2: APIM's `{statusCode, message}` body), with `Retry-After`.
 *  - 502: what Azure Application Gateway answers when the backend is unreachable (an nginx-style
 *    HTML page): the one fault whose body is not JSON, as a real gateway's is not.
 *  - 503, 504: listed by the spec without a body (§2.2, §2.9); decision: API Management's
 *    `{statusCode, message}` shape, the layer that answers when the backend is down or slow.
 */
export function faultAnswer(status: Exclude<FaultStatus, 500>, retryAfterSeconds: number | null): FaultAnswer {
  const apim = (message: string, headers: Record<string, string> = {}): FaultAnswer => ({
    status,
    contentType: 'application/json',
    body: JSON.stringify({ statusCode: status, message }),
    headers,
  });
  switch (status) {
    case 429: {
      const seconds = retryAfterSeconds ?? 1;
      return apim(`Rate limit is exceeded. Try again in ${seconds} seconds.`, { 'retry-after': String(seconds) });
    }
    case 502:
      return {
        status,
        contentType: 'text/html',
        body: '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>Microsoft-Azure-Application-Gateway/v2</center>\r\n</body>\r\n</html>\r\n',
        headers: {},
      };
    case 503:
      return apim('Service Unavailable');
    case 504:
      return apim('Gateway Timeout');
  }
}
