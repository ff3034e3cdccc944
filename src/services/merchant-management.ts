/**
 * The PSP Merchant API (formerly "PSP Signup API", psp-facts.md §3): a PSP lists, reads, creates
 * and updates its own sales units. Another PSP's MSN answers exactly like an unknown one. Create is
 * idempotent (Idempotency-Key, scope `merchant-create`, per PSP): the same key and body replay the
 * stored answer, the same key with another body is a 409. See docs/merchant-api.md.
 */
import { randomInt } from 'node:crypto';
import { iso } from '../clock.js';
import { ApiError, assertNever } from '../domain/errors.js';
import { canonicalJson } from '../domain/init-request.js';
import {
  type CreateMerchantBody,
  organizationNumberProblem,
  parseCreateMerchantRequest,
  parseUpdateMerchantRequest,
  type UpdateMerchantBody,
} from '../domain/merchant-rules.js';
import type { Merchant, MerchantStatus, Psp } from '../domain/parties.js';
import type { Platform } from '../platform.js';
import { sha256Hex } from '../security/hash.js';
import { idempotent } from './idempotent.js';
import type { JsonResponse } from './initiate-payment.js';

const SCOPE = 'merchant-create';
/** New MSNs are random 6-digit numbers (valid under both the 2023 `^\d{5,6}$` and the 2026 `^\d{5,10}$`). */
const MSN_MIN = 100_000;
const MSN_MAX_EXCLUSIVE = 1_000_000;
/** With 900 000 numbers, 50 misses in a row means the space is (nearly) full: a 500, not a loop. */
const MSN_MAX_ATTEMPTS = 50;

export const randomMsn = (): string => String(randomInt(MSN_MIN, MSN_MAX_EXCLUSIVE));

/** `Merchant` of psp-signup-v1.yaml, in the spec's x-order. mccCode and logoUrl left GET in Sept 2023. */
export interface MerchantResponse {
  organizationNumber: string;
  companyName: string;
  companyEmail: string | null;
  merchantSerialNumber: string;
  name: string;
  status: MerchantStatus;
  email: string | null;
  website: string | null;
  createdAt: string;
  updatedAt: string;
  address: {
    addressLine1: string;
    addressLine2: string | null;
    city: string;
    postCode: string;
    country: string;
  } | null;
}

export function toMerchantResponse(m: Merchant): MerchantResponse {
  return {
    organizationNumber: m.organizationNumber,
    companyName: m.companyName,
    companyEmail: m.companyEmail,
    merchantSerialNumber: m.merchantSerialNumber,
    name: m.name,
    status: m.status,
    email: m.email,
    website: m.website,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
    address: m.address
      ? {
          addressLine1: m.address.addressLine1,
          addressLine2: m.address.addressLine2 ?? null,
          city: m.address.city,
          postCode: m.address.postCode,
          country: m.address.country,
        }
      : null,
  };
}

export async function listMerchants(platform: Platform, pspId: string): Promise<{ merchants: MerchantResponse[] }> {
  const merchants = await platform.repos.merchants.listByPsp(pspId);
  return { merchants: merchants.map(toMerchantResponse) };
}

export async function getMerchant(platform: Platform, pspId: string, msn: string): Promise<MerchantResponse> {
  const merchant = await platform.repos.merchants.findOwned(pspId, msn);
  if (!merchant) throw new ApiError('MERCHANT_NOT_FOUND');
  return toMerchantResponse(merchant);
}

export interface CreateMerchantInput {
  readonly psp: Psp;
  readonly body: CreateMerchantBody;
  readonly idempotencyKey: string | null;
  /** The MSN source (tests inject one to prove collisions are skipped). */
  readonly nextMsn?: () => string;
}

export async function createMerchant(platform: Platform, input: CreateMerchantInput): Promise<JsonResponse> {
  const { psp, body, idempotencyKey } = input;
  const nextMsn = input.nextMsn ?? randomMsn;
  const { repos, config } = platform;
  if (!idempotencyKey) throw new ApiError('MERCHANT_IDEMPOTENCY_KEY_MISSING');

  // The key (services/idempotent.ts): the same key and body replay, another body is a 409, and of
  // two first requests at once the loser rolls its sales unit back and replays the winner's answer.
  const result = await idempotent(
    platform,
    {
      pspId: psp.pspId,
      scope: SCOPE,
      key: idempotencyKey,
      requestSha256: () => sha256Hex(canonicalJson(body)),
      conflict: 'MERCHANT_IDEMPOTENT_CONFLICT',
    },
    async (trx, nowMs, fields) => {
      const now = iso(nowMs);
      let msn: string | null = null;
      for (let attempt = 0; attempt < MSN_MAX_ATTEMPTS && msn === null; attempt++) {
        const candidate = nextMsn();
        if (!(await repos.merchants.msnExists(trx, candidate))) msn = candidate;
      }
      if (msn === null) throw new Error(`no free merchant serial number after ${MSN_MAX_ATTEMPTS} attempts`);
      await repos.merchants.insert(trx, {
        ...fields,
        merchantSerialNumber: msn,
        pspId: psp.pspId,
        status: config.merchantInitialStatus,
        skipLandingPage: false,
        createdAt: now,
        updatedAt: now,
      });
      return { statusCode: 200, body: JSON.stringify({ merchantSerialNumber: msn }), msn };
    },
    { prepare: () => parseCreateMerchantRequest(body) },
  );
  if (result.replayed) return result.answer;
  const { statusCode, body: answer, msn } = result.answer;
  platform.log.info({ merchantSerialNumber: msn, pspId: psp.pspId, status: config.merchantInitialStatus }, 'sales unit created');
  return { statusCode, body: answer };
}

/**
 * PATCH: at least one property; a deactivated sales unit refuses any update (it cannot be
 * reactivated). The conditional write in the repository is what decides, so a concurrent
 * deactivation cannot be overwritten.
 */
export async function updateMerchant(platform: Platform, input: { psp: Psp; msn: string; body: UpdateMerchantBody }): Promise<void> {
  const { psp, msn, body } = input;
  const { repos, clock } = platform;
  const merchant = await repos.merchants.findOwned(psp.pspId, msn);
  if (!merchant) throw new ApiError('MERCHANT_NOT_FOUND');
  if (merchant.status === 'DEACTIVATED') throw new ApiError('MERCHANT_DEACTIVATED', { msn });
  const changes = parseUpdateMerchantRequest(body);
  if (changes.address) {
    // A new address in Norway needs a Norwegian organisation number (the number itself cannot change).
    const problem = organizationNumberProblem(merchant.organizationNumber, changes.address.country);
    if (problem) throw new ApiError('MERCHANT_FIELD_INVALID', { field: 'address.country' }, `${problem} (organizationNumber)`);
  }
  const outcome = await repos.merchants.update(psp.pspId, msn, changes, iso(clock.now()));
  switch (outcome) {
    case 'updated':
      if (changes.deactivate) platform.log.info({ merchantSerialNumber: msn, pspId: psp.pspId }, 'sales unit deactivated');
      return;
    case 'deactivated':
      throw new ApiError('MERCHANT_DEACTIVATED', { msn });
    case 'not-found':
      throw new ApiError('MERCHANT_NOT_FOUND');
    default:
      return assertNever(outcome, 'merchant update outcome');
  }
}
