/**
 * makePayment attempts: the outbox row committed with the state change, then the record of
 * what happened (when, latency, HTTP status, parsed answer, error). No secret is ever written.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { CallbackOutcome, CallbackPaymentState } from '../domain/make-payment.js';
import type { CallbackAttemptsTable, Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface CallbackAttempt {
  readonly id: string;
  readonly paymentId: string;
  readonly attemptNo: number;
  readonly paymentState: CallbackPaymentState;
  readonly status: 'PENDING' | 'IN_FLIGHT' | 'DONE';
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly latencyMs: number | null;
  readonly httpStatus: number | null;
  readonly contentType: string | null;
  readonly outcome: CallbackOutcome | null;
  readonly response: unknown;
  readonly error: string | null;
  readonly tokenType: string | null;
  readonly tokenLast4: string | null;
  readonly bin: string | null;
  readonly eci: string | null;
}

const toAttempt = (r: Selectable<CallbackAttemptsTable>): CallbackAttempt => ({
  id: r.id,
  paymentId: r.payment_id,
  attemptNo: r.attempt_no,
  paymentState: r.payment_state as CallbackPaymentState,
  status: r.status as CallbackAttempt['status'],
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

export interface AttemptResult {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly latencyMs: number;
  readonly httpStatus: number | null;
  readonly contentType: string | null;
  readonly outcome: CallbackOutcome;
  readonly response: unknown;
  readonly error: string | null;
  readonly token: { type: string; last4: string; bin: string; eci: string } | null;
}

export class CallbackAttemptRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** The outbox row: committed in the same transaction as the state change. */
  async enqueue(trx: Db, a: { id: string; paymentId: string; paymentState: CallbackPaymentState; createdAt: string }): Promise<number> {
    const last = await trx
      .selectFrom('callback_attempts')
      .select((eb) => eb.fn.max('attempt_no').as('n'))
      .where('payment_id', '=', a.paymentId)
      .executeTakeFirst();
    const attemptNo = Number(last?.n ?? 0) + 1;
    await trx
      .insertInto('callback_attempts')
      .values({
        id: a.id,
        payment_id: a.paymentId,
        attempt_no: attemptNo,
        payment_state: a.paymentState,
        status: 'PENDING',
        created_at: a.createdAt,
      })
      .execute();
    return attemptNo;
  }

  /** Bulk form of `enqueue` (the expiry sweep): one pending notification per payment. */
  async enqueueMany(trx: Db, rows: readonly { id: string; paymentId: string; paymentState: CallbackPaymentState }[], createdAt: string) {
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
          chunk.map((r) => ({
            id: r.id,
            payment_id: r.paymentId,
            attempt_no: (lastNo.get(r.paymentId) ?? 0) + 1,
            payment_state: r.paymentState,
            status: 'PENDING',
            created_at: createdAt,
          })),
        )
        .execute();
    }
  }

  /** Claims a pending attempt for sending. False when someone else claimed it (at most one call). */
  async claim(id: string, startedAt: string): Promise<boolean> {
    const r = await this.db
      .updateTable('callback_attempts')
      .set({ status: 'IN_FLIGHT', started_at: startedAt })
      .where('id', '=', id)
      .where('status', '=', 'PENDING')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async complete(trx: Db, id: string, result: AttemptResult): Promise<void> {
    await trx
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
      .execute();
  }

  /**
   * Ends an attempt whose call was cut off (the platform stopped while it was in flight) as
   * `ABANDONED`. Conditional: false when the attempt is no longer in flight.
   */
  async abandonInFlight(trx: Db, id: string, finishedAt: string, error: string): Promise<boolean> {
    const r = await trx
      .updateTable('callback_attempts')
      .set({ status: 'DONE', finished_at: finishedAt, latency_ms: 0, outcome: 'ABANDONED', error })
      .where('id', '=', id)
      .where('status', '=', 'IN_FLIGHT')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async ofPayment(paymentId: string): Promise<CallbackAttempt[]> {
    const rows = await this.db
      .selectFrom('callback_attempts')
      .selectAll()
      .where('payment_id', '=', paymentId)
      .orderBy('attempt_no')
      .execute();
    return rows.map(toAttempt);
  }

  async findById(id: string): Promise<CallbackAttempt | null> {
    const row = await this.db.selectFrom('callback_attempts').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toAttempt(row) : null;
  }

  /** Attempts committed but not sent (or cut off by a restart), oldest first. */
  async listUnfinished(limit: number): Promise<CallbackAttempt[]> {
    const rows = await this.db
      .selectFrom('callback_attempts')
      .selectAll()
      .where('status', 'in', ['PENDING', 'IN_FLIGHT'])
      .orderBy('created_at')
      .limit(limit)
      .execute();
    return rows.map(toAttempt);
  }
}
