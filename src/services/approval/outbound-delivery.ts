/**
 * The delivery of makePayment calls (psp-facts.md §2.5): the ACCEPTED call with the network token
 * and the notifications (TIMEOUT, USER_CANCEL). Every call belongs to an attempt that was committed
 * with its state change and claimed with a lease (store/callback-attempts.ts): this process makes
 * the call, and records it only while its lease is live. A call whose lease ran out is cut off and
 * the documented rule applies, whoever finds it first (docs/approval-engine.md "Cut-off calls"):
 *  - an ACCEPTED call: the payment fails as if the PSP had not answered in time. Its cryptogram was
 *    only ever in the memory of the process that made the call, so it is never sent twice.
 *  - a notification: it is recorded ABANDONED and sent once more as a new attempt (it carries no
 *    cryptogram; the PSP may get it twice, and answers the second FAIL 93).
 */

import type { Transaction } from 'kysely';
import { iso } from '../../clock.js';
import type { AttemptResult, CallbackAttempt, Lease } from '../../domain/callback-attempt.js';
import {
  buildMakePaymentBody,
  type CallbackOutcome,
  type CallbackPaymentState,
  type InterpretedAnswer,
  interpretMakePaymentAnswer,
  type ThreeDsOperation,
} from '../../domain/make-payment.js';
import { type AcceptedPhase, decideCutOff, decideMakePaymentAnswer, type MakePaymentDecision } from '../../domain/make-payment-decision.js';
import type { Payment } from '../../domain/payment.js';
import { newRowId } from '../../store/ids.js';
import type { Database } from '../../store/schema.js';
import type { NetworkToken } from '../../wallet/token-service.js';
import type { ApprovalDeps } from './deps.js';

/**
 * Time the user has to finish 3-D Secure after a soft decline (undocumented; our decision), within
 * the payment's 10 minutes in all (§2.13).
 */
export const THREE_DS_TTL_SECONDS = 300;
/**
 * How many times one notification (TIMEOUT / USER_CANCEL) of a payment is sent at most: the first
 * call, and one resend when the first was cut off (docs/approval-engine.md).
 */
const MAX_NOTIFICATION_SENDS = 2;
const CUT_OFF_ERROR = 'the call was cut off: its lease ran out before an answer was recorded';

export interface ApprovalOutcome {
  readonly payment: Payment;
  /** The outcome of the last makePayment attempt (null when none was made). */
  readonly outcome: CallbackOutcome | null;
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

interface Sent {
  readonly answer: InterpretedAnswer;
  readonly result: Omit<AttemptResult, 'token'>;
}

export class OutboundDelivery {
  constructor(private readonly deps: ApprovalDeps) {}

  /** A lease for a call starting now: its deadline plus the margin (CALLBACK_LEASE_MARGIN_MS). */
  lease(nowMs: number = this.deps.clock.now()): Lease {
    const { callbackTimeoutMs, callbackLeaseMarginMs } = this.deps.config;
    return { nodeId: this.deps.nodeId, until: iso(nowMs + callbackTimeoutMs + callbackLeaseMarginMs) };
  }

  changed(payment: Payment): void {
    this.deps.events.emit({ paymentId: payment.id, state: payment.state, userPhone: payment.userPhone });
  }

  async load(paymentId: string): Promise<Payment> {
    const payment = await this.deps.repos.payments.findById(paymentId);
    if (!payment) throw new Error(`payment ${paymentId} vanished`);
    return payment;
  }

  /** Appends the PSP-visible RESERVED entry (success or not) of a payment's approval. */
  async logReservation(trx: Transaction<Database>, payment: Payment, at: string, success: boolean): Promise<void> {
    await this.deps.repos.payments.appendLog(trx, payment.id, {
      operation: 'RESERVED',
      amount: payment.amount,
      paymentText: payment.paymentText,
      success,
      at,
    });
  }

  /**
   * When the 3-D Secure wait ends: 5 minutes after the soft decline, but never later than the
   * payment's 10 minutes in all (§2.13), counted from its creation as for the app's 5 minutes.
   */
  threeDsDueMs(payment: Payment, nowMs: number): number {
    return Math.min(nowMs + THREE_DS_TTL_SECONDS * 1000, Date.parse(payment.createdAt) + this.deps.config.paymentMaxLifeSeconds * 1000);
  }

  /** Makes the ACCEPTED call of an attempt this process holds, and applies the PSP's answer. */
  async deliverAccepted(payment: Payment, attemptId: string, token: NetworkToken, phase: AcceptedPhase): Promise<ApprovalOutcome> {
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
        operations: operationsFor(this.deps.publicUrl(), attemptId),
      },
    });
    const { answer, result } = await this.send(payment, body);
    const attemptResult: AttemptResult = {
      ...result,
      token: { type: token.tokenType, last4: token.number.slice(-4), bin: token.binNumber, eci: token.eci },
    };
    const nowMs = this.deps.clock.now();
    const nowIso = iso(nowMs);
    const decision = decideMakePaymentAnswer({
      phase,
      answer,
      httpStatus: result.httpStatus,
      error: result.error,
      amount: payment.amount,
      nowIso,
      threeDsDueIso: iso(this.threeDsDueMs(payment, nowMs)),
    });
    const { store, repos, nodeId } = this.deps;
    const applied = await store.db.transaction().execute(async (trx) => {
      if (!(await repos.callbacks.complete(trx, attemptId, nodeId, nowIso, attemptResult))) return 'cut-off' as const;
      return this.apply(trx, payment, decision, nowIso);
    });
    if (applied === 'cut-off') {
      // The lease ran out before the answer could be recorded: the cut-off rule, here and now.
      this.deps.log.warn({ pspTransactionId: payment.pspTransactionId, attemptId }, 'makePayment answer came after the lease ran out');
      const failed = await this.failCutOffAccepted(payment.id, nowIso);
      return { payment: failed ?? (await this.load(payment.id)), outcome: null };
    }
    const current = applied ?? (await this.load(payment.id));
    this.changed(current);
    return { payment: current, outcome: answer.outcome };
  }

  private async apply(
    trx: Transaction<Database>,
    payment: Payment,
    decision: MakePaymentDecision,
    nowIso: string,
  ): Promise<Payment | null> {
    const { payments } = this.deps.repos;
    const updated =
      decision.transition === 'reserve'
        ? await payments.transition(trx, payment.id, 'reserve', nowIso, decision.patch)
        : decision.transition === 'softDecline'
          ? await payments.transition(trx, payment.id, 'softDecline', nowIso, decision.patch)
          : await payments.transition(trx, payment.id, 'fail', nowIso, decision.patch);
    if (updated && decision.logSuccess !== null) await this.logReservation(trx, updated, nowIso, decision.logSuccess);
    return updated;
  }

  /**
   * The cut-off rule for a payment waiting for its ACCEPTED call (CONFIRMING, CONFIRMING_3DS):
   * when no attempt of it holds a live lease any more, its open attempts are recorded ABANDONED and
   * the payment fails. Null when a lease is still live or the payment no longer waits.
   */
  async failCutOffAccepted(paymentId: string, nowIso: string): Promise<Payment | null> {
    const { store, repos } = this.deps;
    const failed = await store.db.transaction().execute(async (trx) => {
      await repos.payments.lock(trx, paymentId);
      const open = (await repos.callbacks.ofPayment(paymentId, trx)).filter((a) => a.paymentState === 'ACCEPTED' && a.status !== 'DONE');
      for (const a of open) {
        if (!(await repos.callbacks.abandonCutOff(trx, a.id, nowIso, CUT_OFF_ERROR))) return null; // a live lease
      }
      const payment = await this.apply(trx, await this.load(paymentId), decideCutOff(), nowIso);
      return payment;
    });
    if (failed) this.changed(failed);
    return failed;
  }

  /** Sends a TIMEOUT or USER_CANCEL (no card fields) for an attempt this process holds. */
  async deliverNotification(payment: Payment, attemptId: string, state: CallbackPaymentState): Promise<CallbackOutcome | null> {
    const body = buildMakePaymentBody({
      pspTransactionId: payment.pspTransactionId,
      merchantSerialNumber: payment.merchantSerialNumber,
      paymentState: state,
    });
    const sent = await this.send(payment, body);
    const nowIso = iso(this.deps.clock.now());
    const { store, repos, nodeId } = this.deps;
    const recorded = await store.db.transaction().execute(async (trx) => {
      if (!(await repos.callbacks.complete(trx, attemptId, nodeId, nowIso, { ...sent.result, token: null }))) return false;
      // The last call this payment will ever make: the makePaymentToken is no longer needed.
      await repos.payments.eraseMakePaymentToken(trx, payment.id);
      return true;
    });
    // Not recorded: the lease ran out meanwhile; whoever finds it applies the cut-off rule.
    return recorded ? sent.answer.outcome : null;
  }

  /**
   * A notification that needs someone (listed by the sweep): a PENDING one is claimed (false when
   * another process did), a cut-off one is recorded ABANDONED and, the first time, sent again as a
   * new attempt. Then the call is made.
   */
  async takeOverNotification(attempt: CallbackAttempt, nowMs: number): Promise<boolean> {
    const nowIso = iso(nowMs);
    if (attempt.status === 'PENDING') {
      if (!(await this.deps.repos.callbacks.claim(attempt.id, this.lease(nowMs), nowIso))) return false;
      await this.deliverNotification(await this.load(attempt.paymentId), attempt.id, attempt.paymentState);
      return true;
    }
    const resendId = await this.resolveCutOffNotification(attempt, nowMs);
    if (resendId) await this.deliverNotification(await this.load(attempt.paymentId), resendId, attempt.paymentState);
    return resendId !== null;
  }

  /**
   * A TIMEOUT or USER_CANCEL whose lease ran out: nobody knows whether the PSP got it. Recorded as
   * ABANDONED and sent again once as a new attempt claimed by this process; if that was the resend
   * already, the makePaymentToken is erased and nothing more is sent. Returns the resend's id.
   */
  private async resolveCutOffNotification(attempt: CallbackAttempt, nowMs: number): Promise<string | null> {
    const nowIso = iso(nowMs);
    const { store, repos } = this.deps;
    const resendId = await store.db.transaction().execute(async (trx) => {
      await repos.payments.lock(trx, attempt.paymentId);
      if (!(await repos.callbacks.abandonCutOff(trx, attempt.id, nowIso, CUT_OFF_ERROR))) return null;
      const sends = (await repos.callbacks.ofPayment(attempt.paymentId, trx)).filter((a) => a.paymentState === attempt.paymentState).length;
      if (sends >= MAX_NOTIFICATION_SENDS) {
        await repos.payments.eraseMakePaymentToken(trx, attempt.paymentId);
        return null;
      }
      const id = newRowId();
      await repos.callbacks.enqueue(
        trx,
        [{ id, paymentId: attempt.paymentId, paymentState: attempt.paymentState }],
        nowIso,
        this.lease(nowMs),
      );
      return id;
    });
    if (resendId) {
      this.deps.log.warn({ paymentId: attempt.paymentId, attemptId: attempt.id, resendId }, 'notification cut off: resent');
    }
    return resendId;
  }

  /** Makes the call (the attempt is already claimed by this process). */
  private async send(payment: Payment, body: object): Promise<Sent> {
    const startedAt = iso(this.deps.clock.now());
    const sealed = await this.deps.repos.payments.sealedMakePaymentToken(payment.id);
    const headers: Record<string, string> = { 'content-type': 'application/json;charset=UTF-8', accept: 'application/json' };
    // §2.5: the PSP's makePaymentToken, raw, as the Authorization header (omitted when none was given).
    if (sealed) headers.authorization = this.deps.secrets.open(sealed);
    const response = await this.deps.http.post({
      url: payment.makePaymentUrl,
      headers,
      body: JSON.stringify(body),
      deadlineMs: this.deps.config.callbackTimeoutMs,
    });
    const finishedAt = iso(this.deps.clock.now());
    if (!response.ok) {
      this.deps.log.warn({ pspTransactionId: payment.pspTransactionId, kind: response.kind }, 'makePayment failed');
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
}
