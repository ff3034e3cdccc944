/**
 * The control API's use cases (test profile): drive a payment as its user would, look inside it,
 * add test users. Shared by the HTTP control API and `startEmulator()`; everything goes through
 * the approval engine, exactly as the landing page and the app do.
 */
import { iso } from '../clock.js';
import type { CallbackAttempt } from '../domain/callback-attempt.js';
import { ApiError } from '../domain/errors.js';
import { summarize } from '../domain/payment.js';
import type { Platform } from '../platform.js';
import { parseSeed, type SeedUser, toUserWithCards } from '../seed.js';
import { statusItemsOfPayment } from './status-batch-report.js';

export async function resolvePayment(platform: Platform, pspId: string | undefined, pspTransactionId: string) {
  if (!pspId) throw new ApiError('INVALID_REQUEST', {}, 'the Psp-Id header is required');
  const payment = await platform.repos.payments.findByPspTransactionId(pspId, pspTransactionId);
  if (!payment) throw new ApiError('PAYMENT_NOT_FOUND');
  return payment;
}

const attemptView = (a: CallbackAttempt) => ({
  attemptNo: a.attemptNo,
  paymentState: a.paymentState,
  status: a.status,
  createdAt: a.createdAt,
  startedAt: a.startedAt,
  finishedAt: a.finishedAt,
  latencyMs: a.latencyMs,
  httpStatus: a.httpStatus,
  contentType: a.contentType,
  outcome: a.outcome,
  response: a.response,
  error: a.error,
  networkToken: a.tokenLast4 ? { tokenType: a.tokenType, last4: a.tokenLast4, bin: a.bin, eci: a.eci } : null,
});

/** The payment's full internal state, its timeline and its callback attempts. */
export async function paymentView(platform: Platform, pspId: string | undefined, pspTransactionId: string) {
  const p = await platform.paymentReads.current(await resolvePayment(platform, pspId, pspTransactionId));
  const [events, attempts, log, statusUpdates] = await Promise.all([
    platform.repos.payments.events(p.id),
    platform.repos.callbacks.ofPayment(p.id),
    platform.repos.payments.log(p.id),
    statusItemsOfPayment(platform, p.id),
  ]);
  return {
    paymentId: p.id,
    pspId: p.pspId,
    pspTransactionId: p.pspTransactionId,
    merchantSerialNumber: p.merchantSerialNumber,
    merchantOrderId: p.merchantOrderId,
    amount: p.amount,
    currency: p.currency,
    paymentText: p.paymentText,
    state: p.state,
    isApp: p.isApp,
    skipLandingPage: p.skipLandingPage,
    customerMobileNumber: p.customerMobileNumber,
    userPhone: p.userPhone,
    cardId: p.cardId,
    dueAt: p.dueAt,
    linkExpiresAt: p.linkExpiresAt,
    failureReason: p.failureReason,
    pspError: p.pspErrorId || p.pspErrorText ? { errorId: p.pspErrorId, errorText: p.pspErrorText } : null,
    userMessage: p.userMessage,
    url3dSecure: p.url3dSecure,
    money: { reserved: p.reservedAmount, captured: p.capturedAmount, refunded: p.refundedAmount, cancelled: p.cancelled, ...summarize(p) },
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
    timeline: events,
    transactionLog: log,
    callbacks: attempts.map(attemptView),
    /** Every status update item that named this payment, with its outcome and reason. */
    statusUpdates,
  };
}

export async function approveAsUser(
  platform: Platform,
  pspId: string | undefined,
  pspTransactionId: string,
  options: { phoneNumber?: string; cardId?: string },
) {
  const p = await resolvePayment(platform, pspId, pspTransactionId);
  await platform.userActions.approve(p.id, options);
  return paymentView(platform, pspId, pspTransactionId);
}

export async function cancelAsUser(platform: Platform, pspId: string | undefined, pspTransactionId: string) {
  const p = await resolvePayment(platform, pspId, pspTransactionId);
  await platform.userActions.cancel(p.id, 'control API');
  return paymentView(platform, pspId, pspTransactionId);
}

/** Adds (or replaces) a test user with cards; the body has the seed file's user shape. */
export async function addTestUser(platform: Platform, body: unknown) {
  let user: SeedUser;
  try {
    const parsed = parseSeed({ psps: [], merchants: [], users: [body] });
    user = parsed.users[0] as SeedUser;
  } catch (error) {
    throw new ApiError('INVALID_REQUEST', {}, (error as Error).message.replace(/^users\[0\]\.?/, ''));
  }
  for (const card of user.cards ?? []) {
    const owner = await platform.store.db.selectFrom('cards').select('phone_number').where('card_id', '=', card.id).executeTakeFirst();
    if (owner && owner.phone_number !== user.phoneNumber) {
      throw new ApiError('INVALID_REQUEST', {}, `card id ${card.id} belongs to another user`);
    }
  }
  const created = !(await platform.repos.users.findByPhone(user.phoneNumber));
  await platform.repos.users.upsert(toUserWithCards(user), iso(platform.clock.now()));
  return { created, user: await platform.repos.users.findByPhone(user.phoneNumber) };
}

/** The PSP a `Psp-Id` header names (as sent, or upper-cased: the id is a hex string); null when none. */
export async function findPspByIdHeader(platform: Pick<Platform, 'repos'>, pspIdHeader: string) {
  return (await platform.repos.psps.findById(pspIdHeader)) ?? (await platform.repos.psps.findById(pspIdHeader.toUpperCase()));
}

/** The PSP's payment as stored (no expiry on read); null for an unknown or another PSP's id. */
export function findPaymentOfPsp(platform: Pick<Platform, 'repos'>, pspId: string, pspTransactionId: string) {
  return platform.repos.payments.findByPspTransactionId(pspId, pspTransactionId);
}
