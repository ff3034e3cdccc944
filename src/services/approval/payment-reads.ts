/**
 * Reading a payment as it is now, and expiring one on the spot (psp-facts.md §2.13).
 *
 * A waiting payment past its due time is expired: no user action can take it any more (the guard
 * is in the SQL), and a reader that finds it before the sweep has recorded it records it here —
 * passive expiry next to the active sweep, as Redis expires keys. So a payment reads EXPIRED from
 * its due time on, however many came due at once and however far the sweep is behind. A reader
 * leaves the TIMEOUT callback PENDING in the outbox for a sweep (of any process) to claim: a read
 * makes no outbound call and does not wait for one.
 */
import { iso } from '../../clock.js';
import { ApiError } from '../../domain/errors.js';
import type { Payment } from '../../domain/payment.js';
import { expires } from '../../domain/payment-lifecycle.js';
import { newRowId } from '../../store/ids.js';
import type { ApprovalDeps } from './deps.js';
import type { OutboundDelivery } from './outbound-delivery.js';

/** What the user is told once the payment has expired (the sweep and a late user action alike). */
export const EXPIRED_MESSAGE = 'The payment request expired.';

export class PaymentReads {
  constructor(
    private readonly deps: ApprovalDeps,
    private readonly delivery: OutboundDelivery,
  ) {}

  /** The payment as it is now (expired on read when overdue). */
  async current(payment: Payment): Promise<Payment> {
    const nowMs = this.deps.clock.now();
    if (!overdue(payment, nowMs)) return payment;
    return (await this.recordExpiry(payment, nowMs, false)) ?? this.delivery.load(payment.id);
  }

  /** The payment as it is now (`current`), by id; null when there is none. */
  async findById(paymentId: string): Promise<Payment | null> {
    const payment = await this.deps.repos.payments.findById(paymentId);
    return payment && this.current(payment);
  }

  /** The PSP's payment as it is now (`current`); null when there is none (or it is another PSP's). */
  async findByPspTransactionId(pspId: string, pspTransactionId: string): Promise<Payment | null> {
    const payment = await this.deps.repos.payments.findByPspTransactionId(pspId, pspTransactionId);
    return payment && this.current(payment);
  }

  /** The payment, or the catalogue's "not found" (the approval's user actions). */
  async load(paymentId: string): Promise<Payment> {
    const payment = await this.deps.repos.payments.findById(paymentId);
    if (!payment) throw new ApiError('PAYMENT_NOT_FOUND');
    return payment;
  }

  /**
   * Expires one overdue payment and sends its TIMEOUT callback (the sweep's work, for one payment:
   * a late user action gets the answer of an expired payment, and the PSP is told at once).
   */
  async expireNow(payment: Payment, nowMs: number): Promise<Payment> {
    const expired = await this.recordExpiry(payment, nowMs, true);
    if (!expired) return this.delivery.load(payment.id); // the sweep (or another late action) got there first
    await this.delivery.deliverNotification(expired.payment, expired.attemptId, 'TIMEOUT');
    return expired.payment;
  }

  /**
   * Records the expiry of an overdue payment, as the sweep does: the state, the PSP-visible failed
   * reservation and the TIMEOUT callback in the outbox — claimed by this process when it is about to
   * send it, PENDING otherwise. Null when it was no longer overdue in the database.
   */
  private async recordExpiry(payment: Payment, nowMs: number, send: true): Promise<{ payment: Payment; attemptId: string } | null>;
  private async recordExpiry(payment: Payment, nowMs: number, send: false): Promise<Payment | null>;
  private async recordExpiry(payment: Payment, nowMs: number, send: boolean) {
    const nowIso = iso(nowMs);
    const attemptId = newRowId();
    const { store, repos } = this.deps;
    const expired = await store.db.transaction().execute(async (trx) => {
      const updated = await repos.payments.transition(trx, payment.id, 'expire', nowIso, { userMessage: EXPIRED_MESSAGE });
      if (!updated) return null;
      await this.delivery.logReservation(trx, updated, nowIso, false);
      await repos.callbacks.enqueue(
        trx,
        [{ id: attemptId, paymentId: payment.id, paymentState: 'TIMEOUT' }],
        nowIso,
        send ? this.delivery.lease(nowMs) : null,
      );
      return updated;
    });
    if (!expired) return null;
    this.delivery.changed(expired);
    return send ? { payment: expired, attemptId } : expired;
  }
}

/** A waiting payment whose due time has passed on the platform's clock, swept or not (§2.13). */
export function overdue(payment: Payment, nowMs: number): boolean {
  return expires(payment.state) && payment.dueAt !== null && Date.parse(payment.dueAt) <= nowMs;
}
