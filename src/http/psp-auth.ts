/**
 * Authentication of the PSP endpoints (psp-facts.md §1.1, §2.1), in the order the real platform
 * layers it: subscription key (API Management), bearer token (case-sensitive "Bearer "), token
 * and key of the same PSP, `Psp-Id` of that PSP, and `Merchant-Serial-Number` a sales unit of it.
 */
import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import { ApiError } from '../domain/errors.js';
import type { Psp, SalesUnitAccess } from '../domain/parties.js';
import type { Platform } from '../platform.js';
import type { TokenSubject } from '../security/access-tokens.js';

export interface PspContext {
  readonly psp: Psp;
  /** The sales unit named by Merchant-Serial-Number (null where the route does not need one). */
  readonly merchant: SalesUnitAccess | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    pspContext: PspContext | null;
  }
}

export interface PspAuthOptions {
  /** How the Merchant-Serial-Number header is treated. */
  readonly msn: 'active' | 'owned' | 'none';
  /** Whether the Psp-Id header is required (PSP API) or only checked when sent (Merchant API, §3). */
  readonly pspIdRequired: boolean;
}

export function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  if (Array.isArray(value)) return value[0];
  return value === undefined || value === '' ? undefined : value;
}

/** What authentication looks up; `undefined` means "not known from memory" (the async path fetches it). */
interface Lookups {
  psp(subscriptionKey: string): Psp | null | undefined;
  subject(token: string): TokenSubject | null | undefined;
  merchant(msn: string): SalesUnitAccess | null | undefined;
}

/** Returned when a lookup is not in memory: the hook then takes the async path. */
const NOT_IN_MEMORY = Symbol('not in memory');

function authenticate(request: FastifyRequest, options: PspAuthOptions, lookups: Lookups): PspContext | typeof NOT_IN_MEMORY {
  const subscriptionKey = header(request, 'ocp-apim-subscription-key');
  if (!subscriptionKey) throw new ApiError('SUBSCRIPTION_KEY_MISSING');
  const keyPsp = lookups.psp(subscriptionKey);
  if (keyPsp === undefined) return NOT_IN_MEMORY;
  if (!keyPsp) throw new ApiError('SUBSCRIPTION_KEY_INVALID');

  const authorization = header(request, 'authorization');
  // The documentation warns that "Bearer" is case-sensitive (§1.1).
  if (!authorization?.startsWith('Bearer ')) throw new ApiError('ACCESS_TOKEN_INVALID');
  const subject = lookups.subject(authorization.slice('Bearer '.length).trim());
  if (subject === undefined) return NOT_IN_MEMORY;
  if (!subject) throw new ApiError('ACCESS_TOKEN_INVALID');
  if (subject.pspId !== keyPsp.pspId) throw new ApiError('SUBSCRIPTION_NOT_FOUND');
  const psp = keyPsp;

  const pspIdHeader = header(request, 'psp-id');
  // A missing required header is a malformed request (400, code 51, like a missing MSN); one
  // that names another PSP is authenticated but not authorised (403).
  if (pspIdHeader === undefined) {
    if (options.pspIdRequired) throw new ApiError('INVALID_REQUEST', {}, 'the Psp-Id header is required');
  } else if (pspIdHeader.toUpperCase() !== psp.pspId.toUpperCase()) {
    throw new ApiError('PSP_ID_MISMATCH');
  }

  let merchant: SalesUnitAccess | null = null;
  if (options.msn !== 'none') {
    const msn = header(request, 'merchant-serial-number');
    if (!msn) throw new ApiError('INVALID_REQUEST', {}, 'the Merchant-Serial-Number header is required');
    const found = lookups.merchant(msn);
    if (found === undefined) return NOT_IN_MEMORY;
    merchant = found;
    if (!merchant) throw new ApiError('MERCHANT_NOT_AVAILABLE');
    if (merchant.pspId !== psp.pspId) throw new ApiError('MSN_NOT_FOR_PSP', { msn });
    if (options.msn === 'active' && merchant.status !== 'ACTIVE') throw new ApiError('MERCHANT_NOT_AVAILABLE');
  }
  return { psp, merchant };
}

/**
 * The hook is synchronous when what it needs is in memory: the PSPs and a verified access token
 * (the usual case) on routes without a sales unit. The sales unit is read from the database on
 * every call (another process may deactivate it: store/merchants.ts), on the hot path's prepared
 * statement. The checks and their order are the same either way (`authenticate`).
 */
export function pspAuth(platform: Platform, options: PspAuthOptions): onRequestHookHandler {
  const { psps, merchants } = platform.repos;
  const { accessTokens } = platform;
  const inMemory: Lookups = {
    psp: (key) => psps.peekBySubscriptionKey(key),
    subject: (token) => accessTokens.verifyCached(token),
    merchant: () => undefined,
  };
  const bearer = (request: FastifyRequest): string | null => {
    const authorization = header(request, 'authorization');
    return authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length).trim() : null;
  };
  const fetchMissing = async (request: FastifyRequest): Promise<PspContext> => {
    const key = header(request, 'ocp-apim-subscription-key');
    const token = bearer(request);
    const msn = header(request, 'merchant-serial-number');
    const [psp, subject, merchant] = await Promise.all([
      key ? (psps.peekBySubscriptionKey(key) ?? psps.findBySubscriptionKey(key)) : null,
      token ? (accessTokens.verifyCached(token) ?? accessTokens.verify(token)) : null,
      msn && options.msn !== 'none' ? merchants.accessByMsn(msn) : null,
    ]);
    const context = authenticate(request, options, { psp: () => psp, subject: () => subject, merchant: () => merchant });
    if (context === NOT_IN_MEMORY) throw new Error('authentication: a lookup was not made');
    return context;
  };
  return (request, _reply, done) => {
    let context: PspContext | typeof NOT_IN_MEMORY;
    try {
      context = authenticate(request, options, inMemory);
    } catch (error) {
      done(error as Error);
      return;
    }
    if (context !== NOT_IN_MEMORY) {
      request.pspContext = context;
      done();
      return;
    }
    fetchMissing(request).then(
      (fetched) => {
        request.pspContext = fetched;
        done();
      },
      (e: Error) => done(e),
    );
  };
}

/** The authenticated context; routes with pspAuth always have one. */
export function pspContextOf(request: FastifyRequest): PspContext {
  if (!request.pspContext) throw new Error('route without pspAuth');
  return request.pspContext;
}

/** The idempotency key, by any of the names the platform's APIs use (§2.13). */
export function idempotencyKeyOf(request: FastifyRequest): string | null {
  return header(request, 'idempotency-key') ?? header(request, 'request-id') ?? header(request, 'x-request-id') ?? null;
}
