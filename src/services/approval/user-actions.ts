/**
 * What the user does (psp-facts.md §2.4–§2.7, §2.10, §2.13): identified on the landing page or in
 * the app, confirms with a card, returns from 3-D Secure, cancels. The landing page, the simulated
 * app, force approve and the control API all call these; none of them changes a payment any other
 * way. Every change is a named transition with a conditional write, so the app, the expiry sweep
 * and the PSP racing on one payment resolve to exactly one outcome (GUIDE practice 2). An outbound
 * call is committed as an attempt claimed by this process, together with its state change, and
 * only then made (GUIDE practice 6; outbound-delivery.ts).
 */
import { iso } from '../../clock.js';
import { ApiError } from '../../domain/errors.js';
import type { Card } from '../../domain/parties.js';
import { canPayBusinesses, cardUsable } from '../../domain/parties.js';
import type { Payment } from '../../domain/payment.js';
import { awaitsThreeDs, TRANSITIONS } from '../../domain/payment-lifecycle.js';
import { osloDate } from '../../domain/time.js';
import { newRowId } from '../../store/ids.js';
import type { NetworkToken } from '../../wallet/token-service.js';
import type { ApprovalDeps } from './deps.js';
import type { ApprovalOutcome, OutboundDelivery } from './outbound-delivery.js';
import { overdue, type PaymentReads } from './payment-reads.js';

export class UserActions {
  constructor(
    private readonly deps: ApprovalDeps,
    private readonly reads: PaymentReads,
    private readonly delivery: OutboundDelivery,
  ) {}

  private now(): number {
    return this.deps.clock.now();
  }

  /**
   * The answer to a user action that lost: the payment is no longer waiting for the user. When it
   * lost to the due time (the database refused it: `due_at > now` is in the guard) the payment is
   * expired right here, exactly as the next sweep would do it, with its TIMEOUT callback
   * (docs/approval-engine.md).
   */
  private async refusal(paymentId: string, nowMs: number): Promise<ApiError> {
    let current = await this.reads.load(paymentId);
    if (overdue(current, nowMs)) current = await this.reads.expireNow(current, nowMs);
    return new ApiError('PAYMENT_NOT_PENDING', {}, `state ${current.state}`);
  }

  /** Whether this user may pay businesses: known, active and 15 or older (§2.3 code 81). */
  async eligibleUser(phoneNumber: string) {
    const user = await this.deps.repos.users.findByPhone(phoneNumber);
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
    const payment = await this.reads.load(paymentId);
    const user = await this.eligibleUser(phoneNumber);
    if (!user) throw new ApiError('USER_NOT_AVAILABLE');
    const nowMs = this.now();
    if (overdue(payment, nowMs)) throw await this.refusal(paymentId, nowMs);
    // Already pushed to this user (the state identifyUser leads to): nothing changes.
    if (payment.state === TRANSITIONS.identifyUser.to && payment.userPhone === phoneNumber) return payment;
    const { config, store, repos } = this.deps;
    const due = Math.min(nowMs + config.appConfirmTtlSeconds * 1000, Date.parse(payment.createdAt) + config.paymentMaxLifeSeconds * 1000);
    const updated = await store.db
      .transaction()
      .execute((trx) => repos.payments.transition(trx, paymentId, 'identifyUser', iso(nowMs), { userPhone: phoneNumber, dueAt: iso(due) }));
    if (!updated) throw await this.refusal(paymentId, nowMs);
    this.delivery.changed(updated);
    return updated;
  }

  /**
   * The user confirms with a card: the token service gives a network token, the payment moves to
   * CONFIRMING with an ACCEPTED call claimed by this process, and the call is made. Answers once
   * the PSP's outcome is known (RESERVED, FAILED, or AWAITING_3DS after a soft decline).
   */
  async approve(paymentId: string, options: { phoneNumber?: string; cardId?: string } = {}): Promise<ApprovalOutcome> {
    const payment = await this.reads.load(paymentId);
    // Checked first, so an overdue payment answers exactly like an expired one.
    if (!TRANSITIONS.confirm.from.includes(payment.state) || overdue(payment, this.now())) {
      throw await this.refusal(paymentId, this.now());
    }
    const phone = options.phoneNumber ?? payment.userPhone ?? payment.customerMobileNumber;
    if (!phone) throw new ApiError('PHONE_NUMBER_REQUIRED', {}, 'phoneNumber is required: no user is known for this payment');
    if (payment.state === TRANSITIONS.identifyUser.to && payment.userPhone !== null && payment.userPhone !== phone) {
      // The request was pushed to another user's app.
      throw new ApiError('USER_NOT_AVAILABLE');
    }
    const user = await this.eligibleUser(phone);
    if (!user) throw new ApiError('USER_NOT_AVAILABLE');
    const card = this.chooseCard(user.cards, options.cardId);
    const token = this.tokenOrThrow(card, payment);

    const nowMs = this.now();
    const attemptId = newRowId();
    const lease = this.delivery.lease(nowMs);
    const { store, repos } = this.deps;
    const confirmed = await store.db.transaction().execute(async (trx) => {
      // The payment waits for the call as long as the call's lease: then it is cut off.
      const updated = await repos.payments.transition(trx, paymentId, 'confirm', iso(nowMs), {
        userPhone: phone,
        cardId: card.cardId,
        dueAt: lease.until,
      });
      if (!updated) return null;
      await repos.callbacks.enqueue(trx, [{ id: attemptId, paymentId, paymentState: 'ACCEPTED' }], iso(nowMs), lease);
      await repos.payments.appendEvent(trx, paymentId, iso(nowMs), 'confirmed', { card: card.cardId, brand: card.brand });
      return updated;
    });
    if (!confirmed) throw await this.refusal(paymentId, nowMs);
    this.delivery.changed(confirmed);
    return this.delivery.deliverAccepted(confirmed, attemptId, token, 'first');
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

  /**
   * The user's app reached one of the 3-D Secure return URLs (§2.6). `OK` resends makePayment
   * with a fresh cryptogram; `CANCEL` ends as a user cancel; anything else fails the payment.
   * A repeated hit, or one for an old attempt, changes nothing.
   */
  async completeThreeDs(attemptId: string, responseCode: string): Promise<ApprovalOutcome> {
    const { store, repos } = this.deps;
    const attempt = await repos.callbacks.findById(attemptId);
    if (attempt?.paymentState !== 'ACCEPTED') throw new ApiError('PAYMENT_NOT_FOUND');
    const payment = await this.reads.load(attempt.paymentId);
    const attempts = await repos.callbacks.ofPayment(payment.id);
    const latest = attempts.filter((a) => a.paymentState === 'ACCEPTED').at(-1);
    if (!awaitsThreeDs(payment.state) || latest?.id !== attemptId) return { payment, outcome: null };
    const nowMs = this.now();
    // The return came after the 3-D Secure wait ran out: the payment expires, whatever the code.
    if (overdue(payment, nowMs)) return { payment: await this.reads.expireNow(payment, nowMs), outcome: null };
    const code = responseCode.toUpperCase();
    if (code === 'CANCEL') return this.cancel(payment.id, '3dscancel');
    if (code !== 'OK') {
      const failed = await store.db.transaction().execute(async (trx) => {
        const updated = await repos.payments.transition(trx, payment.id, 'fail3ds', iso(nowMs), {
          failureReason: `3-D Secure failed (responsecode=${responseCode.slice(0, 40)})`,
          userMessage: 'The card verification (3-D Secure) failed. You have not been charged.',
        });
        if (updated) await this.delivery.logReservation(trx, updated, iso(nowMs), false);
        return updated;
      });
      const current = failed ?? (await this.reads.load(payment.id));
      this.delivery.changed(current);
      return { payment: current, outcome: null };
    }
    const user = payment.userPhone ? await repos.users.findByPhone(payment.userPhone) : null;
    const card = user?.cards.find((c) => c.cardId === payment.cardId);
    if (!card) throw new ApiError('CARD_NOT_FOUND');
    const tokenResult = this.deps.tokens.tokenFor(card, payment.merchantSerialNumber, payment.amount);
    if (!tokenResult.eligible) throw new ApiError('CARD_NOT_ELIGIBLE');
    const nextAttemptId = newRowId();
    const lease = this.delivery.lease(nowMs);
    const resumed = await store.db.transaction().execute(async (trx) => {
      const updated = await repos.payments.transition(trx, payment.id, 'complete3ds', iso(nowMs), { dueAt: lease.until });
      if (!updated) return null;
      await repos.callbacks.enqueue(trx, [{ id: nextAttemptId, paymentId: payment.id, paymentState: 'ACCEPTED' }], iso(nowMs), lease);
      return updated;
    });
    if (!resumed) {
      const current = await this.reads.load(payment.id);
      return { payment: overdue(current, nowMs) ? await this.reads.expireNow(current, nowMs) : current, outcome: null };
    }
    this.delivery.changed(resumed);
    return this.delivery.deliverAccepted(resumed, nextAttemptId, tokenResult.token, '3ds');
  }

  /** The user cancels (landing page, app, or the 3dscancel return URL): USER_CANCEL to the PSP. */
  async cancel(paymentId: string, via: string): Promise<ApprovalOutcome> {
    const payment = await this.reads.load(paymentId);
    const nowMs = this.now();
    const nowIso = iso(nowMs);
    const attemptId = newRowId();
    const { store, repos } = this.deps;
    const cancelled = await store.db.transaction().execute(async (trx) => {
      const updated = await repos.payments.transition(trx, paymentId, 'cancelByUser', nowIso, {
        userMessage: 'You cancelled the payment.',
      });
      if (!updated) return null;
      await repos.payments.appendEvent(trx, paymentId, nowIso, 'cancelled', { via });
      // Claimed by this process, which sends it right away: a sweep elsewhere leaves it alone.
      await repos.callbacks.enqueue(trx, [{ id: attemptId, paymentId, paymentState: 'USER_CANCEL' }], nowIso, this.delivery.lease(nowMs));
      await repos.payments.appendLog(trx, paymentId, {
        operation: 'CANCELLED',
        amount: payment.amount,
        paymentText: payment.paymentText,
        success: true,
        at: nowIso,
      });
      return updated;
    });
    if (!cancelled) throw await this.refusal(paymentId, nowMs);
    this.delivery.changed(cancelled);
    const outcome = await this.delivery.deliverNotification(cancelled, attemptId, 'USER_CANCEL');
    return { payment: cancelled, outcome };
  }
}
