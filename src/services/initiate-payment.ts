/**
 * `POST /psp/v3/psppayments/init` (psp-facts.md §2.2): validates, stores the payment, and
 * answers with the landing page URL (or the app deeplink). With an Idempotency-Key the stored
 * answer is replayed byte for byte; the same key with another request is a 409 (§2.13).
 */

import { iso } from '../clock.js';
import { ApiError } from '../domain/errors.js';
import { canonicalJson, type InitRequestBody, parseInitRequest } from '../domain/init-request.js';
import type { Psp, SalesUnitAccess } from '../domain/parties.js';
import type { Platform } from '../platform.js';
import { sha256Hex } from '../security/hash.js';
import { isUniqueViolation } from '../store/hot.js';
import { newRowId } from '../store/ids.js';
import { hotUnit, idempotent } from './idempotent.js';

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

/** Attempts of init's INSERT when a unique violation names a key nobody holds any more. */
const INSERT_ATTEMPTS = 2;

export async function initiatePayment(
  platform: Platform,
  input: { psp: Psp; merchant: SalesUnitAccess; body: InitRequestBody; idempotencyKey: string | null },
): Promise<JsonResponse> {
  const { psp, merchant, body, idempotencyKey } = input;
  const { repos } = platform;
  const request = {
    pspId: psp.pspId,
    scope: SCOPE,
    key: idempotencyKey,
    // The request's digest matters only for an idempotent replay: computed only when a key is sent.
    requestSha256: () => sha256Hex(canonicalJson({ msn: merchant.merchantSerialNumber, body })),
    conflict: 'IDEMPOTENCY_CONFLICT' as const,
  };
  const unit = hotUnit(platform);

  // One INSERT (and the idempotency key's row when one is sent: services/idempotent.ts), in one
  // transaction of the hot path (store.hot: on SQLite a savepoint of the group commit). There is
  // no existence check first: the unique indexes on (PSP, pspTransactionId) and (sales unit,
  // merchantOrderId) refuse a duplicate, and only then is it worked out which of the two was
  // taken (44 before 99, as the platform checks them). A concurrent first request with the same
  // key that loses on either index, or on the key, replays the winner's answer (the helper).
  // The payment's creation is the row's created_at; the timeline shows it from there
  // (PaymentRepository.events).
  for (let attempt = 1; ; attempt++) {
    const prepared: { payment?: Parameters<typeof repos.payments.insert>[1] } = {};
    try {
      const result = await idempotent(
        platform,
        request,
        async (c, _nowMs, { payment, response }) => {
          await repos.payments.insert(c, payment);
          return response;
        },
        {
          unit,
          // Validation and the landing token, only when no stored answer is replayed.
          prepare: async () => {
            const init = await prepareInit(platform, psp, merchant, body);
            prepared.payment = init.payment;
            return init;
          },
        },
      );
      return result.answer;
    } catch (error) {
      const payment = prepared.payment;
      if (!isUniqueViolation(error) || !payment) throw error;
      const taken = await repos.payments.takenKey(
        psp.pspId,
        payment.pspTransactionId,
        merchant.merchantSerialNumber,
        payment.merchantOrderId,
      );
      if (taken === 'pspTransactionId') throw new ApiError('PSP_TRANSACTION_ID_EXISTS');
      if (taken === 'merchantOrderId') throw new ApiError('ORDER_ID_EXISTS');
      // The row that was in the way is gone (a reset of the instance): try once more.
      if (attempt >= INSERT_ATTEMPTS) throw error;
    }
  }
}

/** The payment's row and init's answer, computed before the transaction. */
async function prepareInit(platform: Platform, psp: Psp, merchant: SalesUnitAccess, body: InitRequestBody) {
  const { clock, config } = platform;
  const request = parseInitRequest(body, merchant, platform.urlPolicies);
  const nowMs = clock.now();
  const now = iso(nowMs);
  const id = newRowId();
  const linkExpiresMs = nowMs + config.landingPageTtlSeconds * 1000;
  const token = await platform.landingTokens.issue({ paymentId: id, merchantSerialNumber: merchant.merchantSerialNumber }, linkExpiresMs);
  const response: JsonResponse = {
    statusCode: 200,
    body: JSON.stringify({
      pspTransactionId: request.pspTransactionId,
      merchantOrderId: request.merchantOrderId,
      vippsRedirectUrl: vippsRedirectUrlFor(platform, token, request.isApp),
    }),
  };
  // skipLandingPage: the push goes straight to the given number (§2.14), so the user has the
  // app's confirmation time from now.
  const skip = request.skipLandingPage;
  const dueMs = skip ? nowMs + config.appConfirmTtlSeconds * 1000 : linkExpiresMs;
  const payment = {
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
    state: skip ? ('AWAITING_USER' as const) : ('INITIATED' as const),
    dueAt: iso(dueMs),
    linkExpiresAt: iso(linkExpiresMs),
    userPhone: skip ? request.customerMobileNumber : null,
    createdAt: now,
  };
  return { payment, response };
}
