/**
 * The approval engine (psp-facts.md §2.4–§2.7, §2.10, §2.13): what happens between the user
 * saying yes and the PSP holding a network token, and every way it can go wrong.
 *
 * The landing page, the simulated app, force approve and the control API all call these
 * functions; none of them changes a payment any other way. Every change is a named transition
 * with a conditional write, so the app, the expiry sweep and the PSP racing on one payment
 * resolve to exactly one outcome (GUIDE practice 2). A makePayment call is committed as a
 * pending attempt together with its state change, and only then made (GUIDE practice 6).
 */
import type { OutboundHttp } from '../callbacks/outbound-http.js';
import { iso } from '../clock.js';
import { ApiError } from '../domain/errors.js';
import {
  buildMakePaymentBody,
  type CallbackOutcome,
  type CallbackPaymentState,
  type InterpretedAnswer,
  interpretMakePaymentAnswer,
  type ThreeDsOperation,
  userMessageFor,
} from '../domain/make-payment.js';
import type { Card } from '../domain/parties.js';
import { canPayBusinesses, cardUsable } from '../domain/parties.js';
import type { Payment } from '../domain/payment.js';
import { expires, TRANSITIONS } from '../domain/payment-lifecycle.js';
import { osloDate } from '../domain/time.js';
import type { PaymentEvents } from '../events.js';
import type { Platform } from '../platform.js';
import type { AttemptResult, CallbackAttempt } from '../store/callback-attempts.js';
import { newRowId } from '../store/ids.js';
import type { NetworkToken, TokenService } from '../wallet/token-service.js';

/**
 * Time the user has to finish 3-D Secure after a soft decline (undocumented; our decision), within
 * the payment's 10 minutes in all (§2.13; `threeDsDueMs`).
 */
export const THREE_DS_TTL_SECONDS = 300;
/** A CONFIRMING payment whose call was cut off by a restart is failed this long after the deadline. */
const RECOVERY_GRACE_MS = 30_000;
/** What the user is told once the payment has expired (the sweep and a late user action alike). */
const EXPIRED_MESSAGE = 'The payment request expired.';
/**
 * How many times one notification (TIMEOUT / USER_CANCEL) of a payment is sent at most: the first
 * call, and one resend when a restart cut the first off (docs/approval-engine.md).
 */
const MAX_NOTIFICATION_SENDS = 2;
/** How many notification callbacks (TIMEOUT / USER_CANCEL) are delivered at once. */
const NOTIFY_CONCURRENCY = 16;
const SWEEP_BATCH = 1000;

export interface ApprovalOutcome {
  readonly payment: Payment;
  /** The outcome of the last makePayment attempt (null when none was made). */
  readonly outcome: CallbackOutcome | null;
}

export interface ApprovalDeps {
  readonly platform: Platform;
  readonly tokens: TokenService;
  readonly http: OutboundHttp;
  readonly events: PaymentEvents;
}

/** The three 3-D Secure return URLs of one attempt, on this platform (§2.6 → impl). */
export function operationsFor(publicUrl: string, attemptId: string): { url: string; operation: ThreeDsOperation }[] {
  const url = (code: string) => `${publicUrl}/mobileintercept?transactionId=${attemptId}&responsecode=${code}`;
  return [
    { operation: '3dssuccess', url: url('OK') },
    { operation: '3dscancel', url: url('CANCEL') },
    { operation: '3dsfailure', url: url('FAIL') },
  ];
}

export class ApprovalEngine {
  /** Payments whose ACCEPTED call is in flight in this process (the sweep leaves them alone). */
  private readonly inFlight = new Set<string>();
  /**
   * Notification attempts this process is about to send or sending: the sweep leaves them alone,
   * so a user's cancel answers once the PSP has been told (the 1 s sweep would otherwise race it
   * for the committed attempt). An attempt that is IN_FLIGHT in the database but not here was cut
   * off by a restart.
   */
  private readonly notifying = new Set<string>();
  private readonly platform: Platform;

  constructor(private readonly deps: ApprovalDeps) {
    this.platform = deps.platform;
  }

  private now(): number {
    return this.platform.clock.now();
  }

  private async load(paymentId: string): Promise<Payment> {
    const payment = await this.platform.repos.payments.findById(paymentId);
    if (!payment) throw new ApiError('PAYMENT_NOT_FOUND');
    return payment;
  }

  private changed(payment: Payment): void {
    this.deps.events.emit({ paymentId: payment.id, state: payment.state, userPhone: payment.userPhone });
  }

  /** A waiting payment whose due time has passed on the platform's clock, swept or not (§2.13). */
  private overdue(payment: Payment, nowMs: number): boolean {
    return expires(payment.state) && payment.dueAt !== null && Date.parse(payment.dueAt) <= nowMs;
  }

  /**
   * The answer to a user action that lost: the payment is no longer waiting for the user. When it
   * lost to the due time (the database refused it: `due_at > now` is in the guard) the payment is
   * expired right here, exactly as the next sweep would do it, with its TIMEOUT callback — so the
   * user gets the answer of an expired payment, and the payment does not linger in a waiting state
   * until a sweep runs (docs/approval-engine.md).
   */
  private async refusal(paymentId: string, nowMs: number): Promise<ApiError> {
    let current = await this.load(paymentId);
    if (this.overdue(current, nowMs)) current = await this.expireNow(current, nowMs);
    return new ApiError('PAYMENT_NOT_PENDING', {}, `state ${current.state}`);
  }

  /** Expires one overdue payment and sends its TIMEOUT callback (the sweep's work, for one payment). */
  private async expireNow(payment: Payment, nowMs: number): Promise<Payment> {
    const attemptId = newRowId();
    this.notifying.add(attemptId);
    let expired: Payment | null = null;
    try {
      expired = await this.recordExpiry(payment, nowMs, attemptId);
    } finally {
      if (!expired) this.notifying.delete(attemptId);
    }
    if (!expired) return this.load(payment.id); // the sweep (or another late action) got there first
    await this.deliverNotification(expired, attemptId, 'TIMEOUT');
    return expired;
  }

  /**
   * Records the expiry of an overdue payment, as the sweep does: the state, the PSP-visible failed
   * reservation and the TIMEOUT callback in the outbox. Returns null when it was no longer overdue
   * in the database (the sweep or a user action got there first).
   */
  private async recordExpiry(payment: Payment, nowMs: number, attemptId: string): Promise<Payment | null> {
    const nowIso = iso(nowMs);
    const expired = await this.platform.store.db.transaction().execute(async (trx) => {
      const updated = await this.platform.repos.payments.transition(trx, payment.id, 'expire', nowIso, {
        due_at: null,
        user_message: EXPIRED_MESSAGE,
      });
      if (!updated) return null;
      await this.logFailedReservation(trx, updated, nowIso);
      await this.platform.repos.callbacks.enqueue(trx, {
        id: attemptId,
        paymentId: payment.id,
        paymentState: 'TIMEOUT',
        createdAt: nowIso,
      });
      return updated;
    });
    if (expired) this.changed(expired);
    return expired;
  }

  /**
   * The payment as it is now, for whoever reads it (details, the control API, the landing page,
   * the app). A waiting payment past its due time is expired: no user action can take it any more
   * (the guard is in the SQL), and a reader that finds it before the sweep has recorded it records
   * it here — passive expiry next to the active sweep, as Redis expires keys. So a payment reads
   * EXPIRED from its due time on, however many came due at once and however far the sweep is
   * behind. Its TIMEOUT callback is left in the outbox for the sweep to send: a read makes no
   * outbound call and does not wait for one.
   */
  async current(payment: Payment): Promise<Payment> {
    const nowMs = this.now();
    if (!this.overdue(payment, nowMs)) return payment;
    return (await this.recordExpiry(payment, nowMs, newRowId())) ?? this.load(payment.id);
  }

  /** The payment as it is now (`current`), by id; null when there is none. */
  async findById(paymentId: string): Promise<Payment | null> {
    const payment = await this.platform.repos.payments.findById(paymentId);
    return payment && this.current(payment);
  }

  /** The PSP's payment as it is now (`current`); null when there is none (or it is another PSP's). */
  async findByPspTransactionId(pspId: string, pspTransactionId: string): Promise<Payment | null> {
    const payment = await this.platform.repos.payments.findByPspTransactionId(pspId, pspTransactionId);
    return payment && this.current(payment);
  }

  /** Whether this user may pay businesses: known, active and 15 or older (§2.3 code 81). */
  async eligibleUser(phoneNumber: string) {
    const user = await this.platform.repos.users.findByPhone(phoneNumber);
    if (!user || !canPayBusinesses(user, osloDate(this.now()))) return null;
    return user;
  }

  /**
   * The user is identified (phone number on the landing page, or the app opened through the
   * deeplink): the request is pushed to their app, which has 5 minutes to confirm, within the
   * payment's 10 minutes (§2.13). An unknown number, a user under 15 and a blocked user get the
   * same neutral error.
   */
  async identifyUser(paymentId: string, phoneNumber: string): Promise<Payment> {
    const payment = await this.load(paymentId);
    const user = await this.eligibleUser(phoneNumber);
    if (!user) throw new ApiError('USER_NOT_AVAILABLE');
    const nowMs = this.now();
    if (this.overdue(payment, nowMs)) throw await this.refusal(paymentId, nowMs);
    if (payment.state === 'AWAITING_USER' && payment.userPhone === phoneNumber) return payment;
    const { config } = this.platform;
    const due = Math.min(nowMs + config.appConfirmTtlSeconds * 1000, Date.parse(payment.createdAt) + config.paymentMaxLifeSeconds * 1000);
    const updated = await this.platform.store.db
      .transaction()
      .execute((trx) =>
        this.platform.repos.payments.transition(trx, paymentId, 'identifyUser', iso(nowMs), { user_phone: phoneNumber, due_at: iso(due) }),
      );
    if (!updated) throw await this.refusal(paymentId, nowMs);
    this.changed(updated);
    return updated;
  }

  /**
   * The user confirms with a card: the token service gives a network token, the payment moves to
   * CONFIRMING with a pending ACCEPTED call, and the call is made. Answers once the PSP's outcome
   * is known (RESERVED, FAILED, or AWAITING_3DS after a soft decline).
   */
  async approve(paymentId: string, options: { phoneNumber?: string; cardId?: string } = {}): Promise<ApprovalOutcome> {
    const payment = await this.load(paymentId);
    // Checked first, so an overdue payment answers exactly like an expired one.
    if (!TRANSITIONS.confirm.from.includes(payment.state) || this.overdue(payment, this.now())) {
      throw await this.refusal(paymentId, this.now());
    }
    const phone = options.phoneNumber ?? payment.userPhone ?? payment.customerMobileNumber;
    if (!phone) throw new ApiError('PHONE_NUMBER_REQUIRED', {}, 'phoneNumber is required: no user is known for this payment');
    if (payment.state === 'AWAITING_USER' && payment.userPhone !== null && payment.userPhone !== phone) {
      // The request was pushed to another user's app.
      throw new ApiError('USER_NOT_AVAILABLE');
    }
    const user = await this.eligibleUser(phone);
    if (!user) throw new ApiError('USER_NOT_AVAILABLE');
    const card = this.chooseCard(user.cards, options.cardId);
    const token = this.tokenOrThrow(card, payment);

    const nowMs = this.now();
    const attemptId = newRowId();
    const confirmed = await this.platform.store.db.transaction().execute(async (trx) => {
      const updated = await this.platform.repos.payments.transition(trx, paymentId, 'confirm', iso(nowMs), {
        user_phone: phone,
        card_id: card.cardId,
        due_at: iso(nowMs + this.platform.config.callbackTimeoutMs + RECOVERY_GRACE_MS),
      });
      if (!updated) return null;
      await this.platform.repos.callbacks.enqueue(trx, { id: attemptId, paymentId, paymentState: 'ACCEPTED', createdAt: iso(nowMs) });
      await this.platform.repos.payments.appendEvent(trx, paymentId, iso(nowMs), 'confirmed', { card: card.cardId, brand: card.brand });
      return updated;
    });
    if (!confirmed) throw await this.refusal(paymentId, nowMs);
    this.changed(confirmed);
    return this.deliverAccepted(confirmed, attemptId, token, 'first');
  }

  private chooseCard(cards: readonly Card[], cardId: string | undefined): Card {
    const today = osloDate(this.now());
    if (cardId !== undefined) {
      const card = cards.find((c) => c.cardId === cardId);
      if (!card) throw new ApiError('CARD_NOT_FOUND');
      if (!cardUsable(card, today)) throw new ApiError('CARD_NOT_USABLE');
      return card;
    }
    const card = cards.find((c) => c.isDefault && cardUsable(c, today)) ?? cards.find((c) => cardUsable(c, today));
    if (!card) throw new ApiError('CARD_NOT_USABLE');
    return card;
  }

  private tokenOrThrow(card: Card, payment: Payment): NetworkToken {
    const result = this.deps.tokens.tokenFor(card, payment.merchantSerialNumber, payment.amount);
    // §2.7: 3100 "card not eligible": no ACCEPTED callback; the user is told and may cancel or let it time out.
    if (!result.eligible) throw new ApiError('CARD_NOT_ELIGIBLE');
    return result.token;
  }

  /** Makes the ACCEPTED call of a committed attempt and applies the PSP's answer. */
  private async deliverAccepted(
    payment: Payment,
    attemptId: string,
    token: NetworkToken,
    phase: 'first' | '3ds',
  ): Promise<ApprovalOutcome> {
    this.inFlight.add(payment.id);
    try {
      const cryptogram = this.deps.tokens.cryptogramFor(token, phase); // in memory only, for this one call
      const body = buildMakePaymentBody({
        pspTransactionId: payment.pspTransactionId,
        merchantSerialNumber: payment.merchantSerialNumber,
        paymentState: 'ACCEPTED',
        card: {
          bin: token.binNumber,
          token: {
            number: token.number,
            cryptogram,
            expiryMonth: token.expiryMonth,
            expiryYear: token.expiryYear,
            tokenType: token.tokenType,
            eci: token.eci,
          },
          operations: operationsFor(this.platform.publicUrl(), attemptId),
        },
      });
      const sent = await this.send(payment, attemptId, body);
      if (!sent) return { payment: await this.load(payment.id), outcome: null };
      const { answer, result } = sent;
      const attemptResult: AttemptResult = {
        ...result,
        token: { type: token.tokenType, last4: token.number.slice(-4), bin: token.binNumber, eci: token.eci },
      };
      const nowIso = iso(this.now());
      const secondSoftDecline = phase === '3ds' && answer.outcome === 'SOFT_DECLINE';
      const final = await this.platform.store.db.transaction().execute(async (trx) => {
        await this.platform.repos.callbacks.complete(trx, attemptId, attemptResult);
        const { payments } = this.platform.repos;
        if (answer.outcome === 'OK') {
          const reserved = await payments.transition(trx, payment.id, 'reserve', nowIso, {
            reserved_ore: payment.amount,
            reserved_at: nowIso,
            due_at: null,
            make_payment_token_sealed: null,
            user_message: userMessageFor('OK', null),
          });
          if (reserved) {
            await payments.appendLog(trx, payment.id, {
              operation: 'RESERVED',
              amount: payment.amount,
              paymentText: payment.paymentText,
              success: true,
              at: nowIso,
            });
          }
          return reserved;
        }
        if (answer.outcome === 'SOFT_DECLINE' && !secondSoftDecline) {
          return payments.transition(trx, payment.id, 'softDecline', nowIso, {
            url_3d_secure: answer.url3dSecure,
            psp_error_id: answer.errorId,
            psp_error_text: answer.errorText,
            due_at: iso(this.threeDsDueMs(payment)),
            user_message: userMessageFor('SOFT_DECLINE', answer.errorId),
          });
        }
        const failed = await payments.transition(trx, payment.id, 'fail', nowIso, {
          failure_reason: secondSoftDecline ? 'second SOFT_DECLINE after 3-D Secure (errorId 94 semantics)' : failureReason(answer, result),
          psp_error_id: secondSoftDecline ? (answer.errorId ?? '94') : answer.errorId,
          psp_error_text: secondSoftDecline ? (answer.errorText ?? 'Unhandled soft decline') : answer.errorText,
          user_message: secondSoftDecline ? userMessageFor('FAIL', '94') : userMessageFor(answer.outcome, answer.errorId),
          due_at: null,
          make_payment_token_sealed: null,
        });
        if (failed) await this.logFailedReservation(trx, failed, nowIso);
        return failed;
      });
      const current = final ?? (await this.load(payment.id));
      this.changed(current);
      return { payment: current, outcome: answer.outcome };
    } finally {
      this.inFlight.delete(payment.id);
    }
  }

  /**
   * When the 3-D Secure wait ends: 5 minutes after the soft decline (undocumented; our decision),
   * but never later than the payment's 10 minutes in all (§2.13), counted from its creation as
   * for the app's 5 minutes (identifyUser). A soft decline that comes after those 10 minutes (a slow
   * call at the very end) is due at once: the next sweep expires it.
   */
  private threeDsDueMs(payment: Payment): number {
    const { paymentMaxLifeSeconds } = this.platform.config;
    return Math.min(this.now() + THREE_DS_TTL_SECONDS * 1000, Date.parse(payment.createdAt) + paymentMaxLifeSeconds * 1000);
  }

  private async logFailedReservation(trx: Parameters<Platform['repos']['payments']['appendLog']>[0], payment: Payment, at: string) {
    await this.platform.repos.payments.appendLog(trx, payment.id, {
      operation: 'RESERVED',
      amount: payment.amount,
      paymentText: payment.paymentText,
      success: false,
      at,
    });
  }

  /**
   * Claims the attempt and makes the call. Returns null when the attempt was already claimed
   * (at most one call per attempt, hence per cryptogram).
   */
  private async send(
    payment: Payment,
    attemptId: string,
    body: object,
  ): Promise<{ answer: InterpretedAnswer; result: Omit<AttemptResult, 'token'> } | null> {
    const startedAt = iso(this.now());
    if (!(await this.platform.repos.callbacks.claim(attemptId, startedAt))) return null;
    const sealed = await this.platform.repos.payments.sealedMakePaymentToken(payment.id);
    const headers: Record<string, string> = { 'content-type': 'application/json;charset=UTF-8', accept: 'application/json' };
    // §2.5: the PSP's makePaymentToken, raw, as the Authorization header. psp-v3.yaml marks the
    // header required, so it is always sent: empty when init had no makePaymentToken
    // (docs/differences.md).
    headers.authorization = sealed ? this.platform.secrets.open(sealed) : '';
    const response = await this.deps.http.post({
      url: payment.makePaymentUrl,
      headers,
      body: JSON.stringify(body),
      deadlineMs: this.platform.config.callbackTimeoutMs,
    });
    const finishedAt = iso(this.now());
    if (!response.ok) {
      this.platform.log.warn({ pspTransactionId: payment.pspTransactionId, attemptId, kind: response.kind }, 'makePayment failed');
      return {
        answer: { outcome: response.kind, errorId: null, errorText: null, url3dSecure: null, parsed: null, problem: response.error },
        result: {
          startedAt,
          finishedAt,
          latencyMs: response.latencyMs,
          httpStatus: null,
          contentType: null,
          outcome: response.kind,
          response: null,
          error: response.error,
        },
      };
    }
    const answer = interpretMakePaymentAnswer(response.status, response.text, payment.pspTransactionId);
    return {
      answer,
      result: {
        startedAt,
        finishedAt,
        latencyMs: response.latencyMs,
        httpStatus: response.status,
        contentType: response.contentType,
        outcome: answer.outcome,
        response: answer.parsed ?? (response.text.length > 0 ? response.text.slice(0, 2000) : null),
        error: answer.problem,
      },
    };
  }

  /**
   * The user's app reached one of the 3-D Secure return URLs (§2.6). `OK` resends makePayment
   * with a fresh cryptogram; `CANCEL` ends as a user cancel; anything else fails the payment.
   * A repeated hit, or one for an old attempt, changes nothing.
   */
  async completeThreeDs(attemptId: string, responseCode: string): Promise<ApprovalOutcome> {
    const attempt = await this.platform.repos.callbacks.findById(attemptId);
    if (attempt?.paymentState !== 'ACCEPTED') throw new ApiError('PAYMENT_NOT_FOUND');
    const payment = await this.load(attempt.paymentId);
    const attempts = await this.platform.repos.callbacks.ofPayment(payment.id);
    const latest = attempts.filter((a) => a.paymentState === 'ACCEPTED').at(-1);
    if (payment.state !== 'AWAITING_3DS' || latest?.id !== attemptId) return { payment, outcome: null };
    const nowMs = this.now();
    // The return came after the 3-D Secure wait ran out: the payment expires, whatever the code.
    if (this.overdue(payment, nowMs)) return { payment: await this.expireNow(payment, nowMs), outcome: null };
    const code = responseCode.toUpperCase();
    if (code === 'CANCEL') return this.cancel(payment.id, '3dscancel');
    if (code !== 'OK') {
      const failed = await this.platform.store.db.transaction().execute(async (trx) => {
        const updated = await this.platform.repos.payments.transition(trx, payment.id, 'fail3ds', iso(nowMs), {
          failure_reason: `3-D Secure failed (responsecode=${responseCode.slice(0, 40)})`,
          user_message: 'The card verification (3-D Secure) failed. You have not been charged.',
          due_at: null,
          make_payment_token_sealed: null,
        });
        if (updated) await this.logFailedReservation(trx, updated, iso(nowMs));
        return updated;
      });
      const current = failed ?? (await this.load(payment.id));
      this.changed(current);
      return { payment: current, outcome: null };
    }
    const user = payment.userPhone ? await this.platform.repos.users.findByPhone(payment.userPhone) : null;
    const card = user?.cards.find((c) => c.cardId === payment.cardId);
    if (!card) throw new ApiError('CARD_NOT_FOUND');
    const tokenResult = this.deps.tokens.tokenFor(card, payment.merchantSerialNumber, payment.amount);
    if (!tokenResult.eligible) throw new ApiError('CARD_NOT_ELIGIBLE');
    const nextAttemptId = newRowId();
    const resumed = await this.platform.store.db.transaction().execute(async (trx) => {
      const updated = await this.platform.repos.payments.transition(trx, payment.id, 'complete3ds', iso(nowMs), {
        due_at: iso(nowMs + this.platform.config.callbackTimeoutMs + RECOVERY_GRACE_MS),
      });
      if (!updated) return null;
      await this.platform.repos.callbacks.enqueue(trx, {
        id: nextAttemptId,
        paymentId: payment.id,
        paymentState: 'ACCEPTED',
        createdAt: iso(nowMs),
      });
      return updated;
    });
    if (!resumed) {
      const current = await this.load(payment.id);
      return { payment: this.overdue(current, nowMs) ? await this.expireNow(current, nowMs) : current, outcome: null };
    }
    this.changed(resumed);
    return this.deliverAccepted(resumed, nextAttemptId, tokenResult.token, '3ds');
  }

  /** The user cancels (landing page, app, or the 3dscancel return URL): USER_CANCEL to the PSP. */
  async cancel(paymentId: string, via: string): Promise<ApprovalOutcome> {
    const payment = await this.load(paymentId);
    const nowMs = this.now();
    const attemptId = newRowId();
    this.notifying.add(attemptId);
    const cancelled = await this.platform.store.db
      .transaction()
      .execute(async (trx) => {
        const updated = await this.platform.repos.payments.transition(trx, paymentId, 'cancelByUser', iso(nowMs), {
          due_at: null,
          user_message: 'You cancelled the payment.',
        });
        if (!updated) return null;
        await this.platform.repos.payments.appendEvent(trx, paymentId, iso(nowMs), 'cancelled', { via });
        await this.platform.repos.callbacks.enqueue(trx, { id: attemptId, paymentId, paymentState: 'USER_CANCEL', createdAt: iso(nowMs) });
        await this.platform.repos.payments.appendLog(trx, paymentId, {
          operation: 'CANCELLED',
          amount: payment.amount,
          paymentText: payment.paymentText,
          success: true,
          at: iso(nowMs),
        });
        return updated;
      })
      .catch((error: unknown) => {
        this.notifying.delete(attemptId);
        throw error;
      });
    if (!cancelled) {
      this.notifying.delete(attemptId);
      throw await this.refusal(paymentId, nowMs);
    }
    this.changed(cancelled);
    const outcome = await this.deliverNotification(cancelled, attemptId, 'USER_CANCEL');
    return { payment: cancelled, outcome };
  }

  /** Sends a TIMEOUT or USER_CANCEL makePayment (no card fields) and records the attempt. */
  private async deliverNotification(payment: Payment, attemptId: string, state: CallbackPaymentState): Promise<CallbackOutcome | null> {
    const body = buildMakePaymentBody({
      pspTransactionId: payment.pspTransactionId,
      merchantSerialNumber: payment.merchantSerialNumber,
      paymentState: state,
    });
    this.notifying.add(attemptId);
    let sent: Awaited<ReturnType<ApprovalEngine['send']>>;
    try {
      sent = await this.send(payment, attemptId, body);
    } finally {
      this.notifying.delete(attemptId);
    }
    if (!sent) return null;
    await this.platform.store.db.transaction().execute(async (trx) => {
      await this.platform.repos.callbacks.complete(trx, attemptId, { ...sent.result, token: null });
      // The last call this payment will ever make: the makePaymentToken is no longer needed.
      await this.platform.repos.payments.eraseMakePaymentToken(trx, payment.id);
    });
    return sent.answer.outcome;
  }

  /**
   * The expiry sweep (§2.13): payments whose due time has passed on the platform's clock. Waiting
   * payments expire with a TIMEOUT callback; a CONFIRMING payment whose call was cut off by a
   * restart fails (the PSP's answer can no longer arrive in time). Also sends notification
   * callbacks that were committed but not sent (e.g. the platform stopped in between).
   */
  async sweep(nowMs: number): Promise<void> {
    const nowIso = iso(nowMs);
    const notifications: { payment: Payment; attemptId: string }[] = [];
    // Waiting payments: set-based, a chunk per transaction (one fsync per chunk, not per payment).
    for (;;) {
      const expired = await this.platform.store.db.transaction().execute(async (trx) => {
        const rows = await this.platform.repos.payments.expireDue(trx, nowIso, SWEEP_BATCH, EXPIRED_MESSAGE);
        const attempts = rows.map((payment) => ({ id: newRowId(), paymentId: payment.id, paymentState: 'TIMEOUT' as const }));
        await this.platform.repos.callbacks.enqueueMany(trx, attempts, nowIso);
        return rows.map((payment, i) => ({ payment, attemptId: (attempts[i] as { id: string }).id }));
      });
      for (const e of expired) {
        this.changed(e.payment);
        notifications.push(e);
      }
      if (expired.length < SWEEP_BATCH) break;
    }
    // A CONFIRMING payment whose call was cut off by a restart; a due time left on another state.
    for (const { id, state } of await this.platform.repos.payments.listDue(nowIso, SWEEP_BATCH)) {
      if (this.inFlight.has(id)) continue;
      if (state === 'CONFIRMING' || state === 'CONFIRMING_3DS') {
        await this.abandon(id, nowIso);
      } else if (!TRANSITIONS.expire.from.includes(state)) {
        await this.platform.store.db
          .updateTable('payments')
          .set({ due_at: null })
          .where('id', '=', id)
          .where('state', '=', state)
          .execute();
      }
    }
    const queued = new Set(notifications.map((n) => n.attemptId));
    for (const attempt of await this.platform.repos.callbacks.listUnfinished(SWEEP_BATCH)) {
      if (attempt.paymentState === 'ACCEPTED' || queued.has(attempt.id) || this.notifying.has(attempt.id)) continue;
      if (attempt.status === 'PENDING') {
        notifications.push({ payment: await this.load(attempt.paymentId), attemptId: attempt.id });
      } else {
        const resend = await this.resolveCutOffNotification(attempt, nowIso);
        if (resend) notifications.push(resend);
      }
    }
    await runWithConcurrency(notifications, NOTIFY_CONCURRENCY, async ({ payment, attemptId }) => {
      const attempt = await this.platform.repos.callbacks.findById(attemptId);
      if (attempt) await this.deliverNotification(payment, attemptId, attempt.paymentState);
    });
  }

  /**
   * A TIMEOUT or USER_CANCEL call cut off by a restart (IN_FLIGHT in the database, not in flight
   * here): nobody knows whether the PSP got it. It is recorded as ABANDONED and sent again once as
   * a new attempt — a notification carries no cryptogram, so a resend is safe, and a PSP that never
   * got it would otherwise never learn the outcome; the PSP may get it twice (it should answer
   * both FAIL 93). If the resend was cut off too, the makePaymentToken is erased and nothing more
   * is sent. Returns the resend to deliver, if any.
   */
  private async resolveCutOffNotification(
    attempt: CallbackAttempt,
    nowIso: string,
  ): Promise<{ payment: Payment; attemptId: string } | null> {
    const sends = (await this.platform.repos.callbacks.ofPayment(attempt.paymentId)).filter(
      (a) => a.paymentState === attempt.paymentState,
    ).length;
    const resendId = sends < MAX_NOTIFICATION_SENDS ? newRowId() : null;
    const resolved = await this.platform.store.db.transaction().execute(async (trx) => {
      const abandoned = await this.platform.repos.callbacks.abandonInFlight(
        trx,
        attempt.id,
        nowIso,
        'the platform stopped before the answer arrived',
      );
      if (!abandoned) return false;
      if (resendId) {
        await this.platform.repos.callbacks.enqueue(trx, {
          id: resendId,
          paymentId: attempt.paymentId,
          paymentState: attempt.paymentState,
          createdAt: nowIso,
        });
      } else {
        await this.platform.repos.payments.eraseMakePaymentToken(trx, attempt.paymentId);
      }
      return true;
    });
    if (!resolved || !resendId) return null;
    this.platform.log.warn({ paymentId: attempt.paymentId, attemptId: attempt.id, resendId }, 'notification cut off by a restart: resent');
    return { payment: await this.load(attempt.paymentId), attemptId: resendId };
  }

  /** Fails a payment whose ACCEPTED call was cut off (no answer can arrive in time any more). */
  private async abandon(paymentId: string, nowIso: string): Promise<boolean> {
    const attempts = await this.platform.repos.callbacks.ofPayment(paymentId);
    const open = attempts.filter((a) => a.paymentState === 'ACCEPTED' && a.status !== 'DONE');
    const failed = await this.platform.store.db.transaction().execute(async (trx) => {
      for (const a of open) {
        await this.platform.repos.callbacks.complete(trx, a.id, {
          startedAt: a.startedAt ?? nowIso,
          finishedAt: nowIso,
          latencyMs: 0,
          httpStatus: null,
          contentType: null,
          outcome: 'ABANDONED',
          response: null,
          error: 'the platform stopped before the answer arrived',
          token: null,
        });
      }
      const updated = await this.platform.repos.payments.transition(trx, paymentId, 'fail', nowIso, {
        failure_reason: 'no answer from the PSP in time (the platform was stopped during the call)',
        user_message: userMessageFor('TIMEOUT', null),
        due_at: null,
        make_payment_token_sealed: null,
      });
      if (updated) await this.logFailedReservation(trx, updated, nowIso);
      return updated;
    });
    if (failed) this.changed(failed);
    return failed !== null;
  }
}

function failureReason(answer: InterpretedAnswer, result: Omit<AttemptResult, 'token'>): string {
  switch (answer.outcome) {
    case 'FAIL':
      return `the PSP answered FAIL${answer.errorId ? ` (errorId ${answer.errorId})` : ''}`;
    case 'HTTP_ERROR':
      return `the PSP answered HTTP ${result.httpStatus}`;
    case 'INVALID_RESPONSE':
      return `the PSP's answer is not the documented JSON: ${answer.problem}`;
    case 'TIMEOUT':
      return 'no answer from the PSP within the deadline';
    case 'CONNECTION_ERROR':
      return `could not reach the PSP: ${result.error}`;
    case 'ADDRESS_REFUSED':
      return `the makePaymentUrl address is not allowed: ${result.error}`;
    default:
      return `unexpected outcome ${answer.outcome}`;
  }
}

async function runWithConcurrency<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  });
  await Promise.all(workers);
}
