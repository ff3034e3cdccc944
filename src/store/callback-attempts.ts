/**
 * makePayment attempts: the outbox row committed with the state change, then the record of
 * what happened (when, latency, HTTP status, parsed answer, error). No secret is ever written.
 *
 * Who makes a call is decided here, in the database (docs/ARCHITECTURE.md "Where coordination
 * lives"): an attempt is claimed with a conditional write that sets `claimed_by` and `lease_until`
 * (a lease on the platform's clock); only the holder of a live lease completes it; an attempt whose
 * lease ran out is cut off, and `abandonCutOff` ends it for whoever finds it first.
 *
 * `attempt_no` is the payment's next number, computed in the INSERT: every enqueue runs in a
 * transaction that has already written the payment's row (its transition, or `lockPayment`), so
 * the row's lock (PostgreSQL) or the database's write lock (SQLite) orders them; the unique
 * constraint (payment_id, attempt_no) would refuse a duplicate.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { AttemptResult, AttemptStatus, CallbackAttempt, Lease } from '../domain/callback-attempt.js';
import type { CallbackOutcome, CallbackPaymentState } from '../domain/make-payment.js';
import type { CallbackAttemptsTable, Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

const toAttempt = (r: Selectable<CallbackAttemptsTable>): CallbackAttempt => ({
  id: r.id,
  paymentId: r.payment_id,
  attemptNo: r.attempt_no,
  paymentState: r.payment_state as CallbackPaymentState,
  status: r.status as AttemptStatus,
  claimedBy: r.claimed_by,
  leaseUntil: r.lease_until,
  createdAt: r.created_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  latencyMs: r.latency_ms,
  httpStatus: r.http_status,
  contentType: r.content_type,
  outcome: r.outcome as CallbackOutcome | null,
  response: r.response_json ? JSON.parse(r.response_json) : null,
  error: r.error,
  tokenType: r.token_type,
  tokenLast4: r.token_last4,
  bin: r.bin,
  eci: r.eci,
});

export interface NewAttempt {
  readonly id: string;
  readonly paymentId: string;
  readonly paymentState: CallbackPaymentState;
}

export class CallbackAttemptRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Outbox rows, committed in the same transaction as the state change: claimed by `lease` (the
   * process that will make the calls at once), or PENDING for any process to claim.
   */
  async enqueue(trx: Db, rows: readonly NewAttempt[], createdAt: string, lease: Lease | null): Promise<void> {
    for (let i = 0; i < rows.length; i += 500) {
      const chunk = rows.slice(i, i + 500);
      const last = await trx
        .selectFrom('callback_attempts')
        .select(['payment_id', (eb) => eb.fn.max('attempt_no').as('n')])
        .where(
          'payment_id',
          'in',
          chunk.map((r) => r.paymentId),
        )
        .groupBy('payment_id')
        .execute();
      const lastNo = new Map(last.map((r) => [r.payment_id, Number(r.n)]));
      await trx
        .insertInto('callback_attempts')
        .values(
          chunk.map((r) => {
            const attemptNo = (lastNo.get(r.paymentId) ?? 0) + 1;
            lastNo.set(r.paymentId, attemptNo);
            return {
              id: r.id,
              payment_id: r.paymentId,
              attempt_no: attemptNo,
              payment_state: r.paymentState,
              status: lease ? 'IN_FLIGHT' : 'PENDING',
              claimed_by: lease?.nodeId ?? null,
              lease_until: lease?.until ?? null,
              started_at: lease ? createdAt : null,
              created_at: createdAt,
            };
          }),
        )
        .execute();
    }
  }

  /** Claims a PENDING attempt for sending. False when another process claimed it (at most one call). */
  async claim(id: string, lease: Lease, startedAt: string): Promise<boolean> {
    const r = await this.db
      .updateTable('callback_attempts')
      .set({ status: 'IN_FLIGHT', started_at: startedAt, claimed_by: lease.nodeId, lease_until: lease.until })
      .where('id', '=', id)
      .where('status', '=', 'PENDING')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /**
   * Records the call's result. Conditional: only the holder (`nodeId`) of a lease still live at
   * `nowIso` completes; false when the lease ran out or the attempt was taken over.
   */
  async complete(trx: Db, id: string, nodeId: string, nowIso: string, result: AttemptResult): Promise<boolean> {
    const r = await trx
      .updateTable('callback_attempts')
      .set({
        status: 'DONE',
        started_at: result.startedAt,
        finished_at: result.finishedAt,
        latency_ms: result.latencyMs,
        http_status: result.httpStatus,
        content_type: result.contentType,
        outcome: result.outcome,
        response_json: result.response === null || result.response === undefined ? null : JSON.stringify(result.response),
        error: result.error,
        token_type: result.token?.type ?? null,
        token_last4: result.token?.last4 ?? null,
        bin: result.token?.bin ?? null,
        eci: result.token?.eci ?? null,
      })
      .where('id', '=', id)
      .where('status', '=', 'IN_FLIGHT')
      .where('claimed_by', '=', nodeId)
      .where('lease_until', '>', nowIso)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /**
   * Ends an attempt that was cut off as `ABANDONED`: PENDING (committed, never claimed — an
   * ACCEPTED call's cryptogram existed only in the memory of the process that died), or IN_FLIGHT
   * with a lease that ran out by `nowIso`. Conditional: false when the attempt is done or its lease
   * is still live.
   */
  async abandonCutOff(trx: Db, id: string, nowIso: string, error: string): Promise<boolean> {
    const r = await trx
      .updateTable('callback_attempts')
      .set({ status: 'DONE', finished_at: nowIso, latency_ms: 0, outcome: 'ABANDONED', error })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('status', '=', 'PENDING'), eb.and([eb('status', '=', 'IN_FLIGHT'), eb('lease_until', '<=', nowIso)])]))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async ofPayment(paymentId: string, trx: Db = this.db): Promise<CallbackAttempt[]> {
    const rows = await trx.selectFrom('callback_attempts').selectAll().where('payment_id', '=', paymentId).orderBy('attempt_no').execute();
    return rows.map(toAttempt);
  }

  async findById(id: string): Promise<CallbackAttempt | null> {
    const row = await this.db.selectFrom('callback_attempts').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toAttempt(row) : null;
  }

  /**
   * Notification attempts (TIMEOUT / USER_CANCEL) that need someone: PENDING ones, and IN_FLIGHT
   * ones whose lease ran out by `nowIso` (cut off), oldest first.
   */
  async listUnclaimedNotifications(nowIso: string, limit: number): Promise<CallbackAttempt[]> {
    const rows = await this.db
      .selectFrom('callback_attempts')
      .selectAll()
      .where('payment_state', '!=', 'ACCEPTED')
      .where((eb) => eb.or([eb('status', '=', 'PENDING'), eb.and([eb('status', '=', 'IN_FLIGHT'), eb('lease_until', '<=', nowIso)])]))
      .orderBy('created_at')
      .limit(limit)
      .execute();
    return rows.map(toAttempt);
  }

  /** Whether any attempt is PENDING or IN_FLIGHT (`platform.idle()`). */
  async anyOpen(): Promise<boolean> {
    const row = await this.db
      .selectFrom('callback_attempts')
      .select('id')
      .where('status', 'in', ['PENDING', 'IN_FLIGHT'])
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }
}
