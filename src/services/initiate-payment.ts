/**
 * `POST /psp/v3/psppayments/init` (psp-facts.md §2.2): validates, stores the payment, and
 * answers with the landing page URL (or the app deeplink). With an Idempotency-Key the stored
 * answer is replayed byte for byte; the same key with another request is a 409 (§2.13).
 */

import { iso } from '../clock.js';
import { ApiError } from '../domain/errors.js';
import { canonicalJson, type InitRequestBody, parseInitRequest } from '../domain/init-request.js';
import type { Merchant, Psp } from '../domain/parties.js';
import type { Platform } from '../platform.js';
import { sha256Hex } from '../security/hash.js';
import { isUniqueViolation } from '../store/db.js';
import { newRowId } from '../store/ids.js';

export interface JsonResponse {
  readonly statusCode: number;
  /** The serialised body, exactly as sent (and replayed). */
  readonly body: string;
}

const SCOPE = 'init';

export function vippsRedirectUrlFor(platform: Platform, token: string, isApp: boolean): string {
  if (isApp) {
    // §2.2, §2.14: a deeplink straight into the app; the test app's scheme is vippsMT://.
    const scheme = platform.config.profile === 'test' ? 'vippsMT' : 'vipps';
    return `${scheme}://?token=${token}`;
  }
  return `${platform.publicUrl()}/dwo-api-application/v1/deeplink/vippsgateway?v=2&token=${token}`;
}

export async function initiatePayment(
  platform: Platform,
  input: { psp: Psp; merchant: Merchant; body: InitRequestBody; idempotencyKey: string | null },
): Promise<JsonResponse> {
  const { psp, merchant, body, idempotencyKey } = input;
  const { repos, clock, config, store } = platform;
  const requestSha256 = sha256Hex(canonicalJson({ msn: merchant.merchantSerialNumber, body }));

  if (idempotencyKey) {
    const stored = await repos.idempotency.find(store.db, psp.pspId, SCOPE, idempotencyKey, iso(clock.now()));
    if (stored) return replay(stored, requestSha256);
  }

  const request = parseInitRequest(body, merchant, platform.urlPolicies);
  const nowMs = clock.now();
  const now = iso(nowMs);
  const id = newRowId();
  const linkExpiresMs = nowMs + config.landingPageTtlSeconds * 1000;
  const token = await platform.landingTokens.issue({ paymentId: id, merchantSerialNumber: merchant.merchantSerialNumber }, linkExpiresMs);
  const responseBody = JSON.stringify({
    pspTransactionId: request.pspTransactionId,
    merchantOrderId: request.merchantOrderId,
    vippsRedirectUrl: vippsRedirectUrlFor(platform, token, request.isApp),
  });
  // skipLandingPage: the push goes straight to the given number (§2.14), so the user has the
  // app's confirmation time from now.
  const skip = request.skipLandingPage;
  const dueMs = skip ? nowMs + config.appConfirmTtlSeconds * 1000 : linkExpiresMs;

  try {
    return await store.db.transaction().execute(async (trx) => {
      if (idempotencyKey) {
        // Concurrent retries with one key (several nodes, PostgreSQL): the second looks after the first saved.
        await store.serialize(trx, `init:${psp.pspId}:${idempotencyKey}`);
        const stored = await repos.idempotency.find(trx, psp.pspId, SCOPE, idempotencyKey, now);
        if (stored) return replay(stored, requestSha256);
      }
      if (await repos.payments.existsPspTransactionId(trx, psp.pspId, request.pspTransactionId)) {
        throw new ApiError('PSP_TRANSACTION_ID_EXISTS');
      }
      if (await repos.payments.existsMerchantOrderId(trx, merchant.merchantSerialNumber, request.merchantOrderId)) {
        throw new ApiError('ORDER_ID_EXISTS');
      }
      await repos.payments.insert(trx, {
        id,
        pspId: psp.pspId,
        pspTransactionId: request.pspTransactionId,
        merchantSerialNumber: merchant.merchantSerialNumber,
        merchantOrderId: request.merchantOrderId,
        amount: request.amount,
        customerMobileNumber: request.customerMobileNumber,
        pspRedirectUrl: request.pspRedirectUrl,
        makePaymentUrl: request.makePaymentUrl,
        makePaymentTokenSealed: request.makePaymentToken === null ? null : platform.secrets.seal(request.makePaymentToken),
        paymentText: request.paymentText,
        isApp: request.isApp,
        skipLandingPage: skip,
        state: skip ? 'AWAITING_USER' : 'INITIATED',
        dueAt: iso(dueMs),
        linkExpiresAt: iso(linkExpiresMs),
        userPhone: skip ? request.customerMobileNumber : null,
        createdAt: now,
      });
      await repos.payments.appendEvent(trx, id, now, 'initiated', {
        amount: request.amount,
        isApp: request.isApp,
        skipLandingPage: skip,
      });
      const response = { statusCode: 200, body: responseBody };
      if (idempotencyKey) {
        await repos.idempotency.save(trx, {
          pspId: psp.pspId,
          scope: SCOPE,
          key: idempotencyKey,
          response: { ...response, requestSha256 },
          createdAt: now,
          expiresAt: iso(nowMs + config.idempotencyTtlSeconds * 1000),
        });
      }
      return response;
    });
  } catch (error) {
    // On PostgreSQL two concurrent first requests can both miss the key; the loser hits the
    // unique constraint. If the winner stored an answer for the same key, replay it.
    if (idempotencyKey && !(error instanceof ApiError && error.key !== 'PSP_TRANSACTION_ID_EXISTS')) {
      const stored = await repos.idempotency.find(store.db, psp.pspId, SCOPE, idempotencyKey, iso(clock.now()));
      if (stored) return replay(stored, requestSha256);
    }
    // A concurrent duplicate that both transactions looked for before either inserted (several
    // nodes, or PostgreSQL's concurrent transactions): the unique index decides; answer as the look would.
    // Also when the look saw the order id of a winner that committed between its two questions:
    // the pspTransactionId (44) is asked first, as the look asks.
    if (isUniqueViolation(error) || (error instanceof ApiError && error.key === 'ORDER_ID_EXISTS')) {
      if (await repos.payments.existsPspTransactionId(store.db, psp.pspId, request.pspTransactionId)) {
        throw new ApiError('PSP_TRANSACTION_ID_EXISTS');
      }
      if (await repos.payments.existsMerchantOrderId(store.db, merchant.merchantSerialNumber, request.merchantOrderId)) {
        throw new ApiError('ORDER_ID_EXISTS');
      }
    }
    throw error;
  }
}

function replay(stored: { requestSha256: string; statusCode: number; body: string }, requestSha256: string): JsonResponse {
  if (stored.requestSha256 !== requestSha256) throw new ApiError('IDEMPOTENCY_CONFLICT');
  return { statusCode: stored.statusCode, body: stored.body };
}
