/**
 * The payment repository: one aggregate (payment + its PSP-visible log + its timeline).
 * State changes are named transitions whose SQL carries the guard
 * (`UPDATE … WHERE id = ? AND state IN (…)`, GUIDE practice 2): zero rows means another actor
 * (timer, app, PSP) got there first, and the caller is told so.
 */
import { type Kysely, type Selectable, sql, type Transaction, type Updateable } from 'kysely';
import { assertNever } from '../domain/errors.js';
import type { Ore } from '../domain/money.js';
import type { LogOperation, Payment, PaymentLogEntry } from '../domain/payment.js';
import { isFinal, type PaymentState, TRANSITIONS, type Transition, type TransitionPatches } from '../domain/payment-lifecycle.js';
import { prepareInsert, prepareQuery } from './prepared.js';
import type { Database, PaymentsTable } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Rows per multi-row statement (well under SQLite's parameter limit). */
const BULK_ROWS = 500;

export const toPayment = (r: Selectable<PaymentsTable>): Payment => ({
  id: r.id,
  pspId: r.psp_id,
  pspTransactionId: r.psp_transaction_id,
  merchantSerialNumber: r.merchant_serial_number,
  merchantOrderId: r.merchant_order_id,
  amount: r.amount_ore as Ore,
  currency: 'NOK',
  customerMobileNumber: r.customer_mobile_number,
  pspRedirectUrl: r.psp_redirect_url,
  makePaymentUrl: r.make_payment_url,
  paymentText: r.payment_text,
  isApp: r.is_app === 1,
  skipLandingPage: r.skip_landing_page === 1,
  state: r.state as PaymentState,
  dueAt: r.due_at,
  linkExpiresAt: r.link_expires_at,
  userPhone: r.user_phone,
  cardId: r.card_id,
  failureReason: r.failure_reason,
  pspErrorId: r.psp_error_id,
  pspErrorText: r.psp_error_text,
  userMessage: r.user_message,
  url3dSecure: r.url_3d_secure,
  reservedAmount: r.reserved_ore as Ore,
  capturedAmount: r.captured_ore as Ore,
  refundedAmount: r.refunded_ore as Ore,
  cancelled: r.cancelled === 1,
  reservedAt: r.reserved_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export interface NewPayment {
  readonly id: string;
  readonly pspId: string;
  readonly pspTransactionId: string;
  readonly merchantSerialNumber: string;
  readonly merchantOrderId: string;
  readonly amount: Ore;
  readonly customerMobileNumber: string | null;
  readonly pspRedirectUrl: string;
  readonly makePaymentUrl: string;
  readonly makePaymentTokenSealed: string | null;
  readonly paymentText: string | null;
  readonly isApp: boolean;
  readonly skipLandingPage: boolean;
  readonly state: PaymentState;
  readonly dueAt: string;
  readonly linkExpiresAt: string;
  readonly userPhone: string | null;
  readonly createdAt: string;
}

/** The columns `insert` sets; the others start at their defaults. */
const INSERT_COLUMNS = [
  'id',
  'psp_id',
  'psp_transaction_id',
  'merchant_serial_number',
  'merchant_order_id',
  'amount_ore',
  'currency',
  'customer_mobile_number',
  'psp_redirect_url',
  'make_payment_url',
  'make_payment_token_sealed',
  'payment_text',
  'is_app',
  'skip_landing_page',
  'state',
  'due_at',
  'link_expires_at',
  'user_phone',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof PaymentsTable)[];

/** The queries of init and details, compiled once (prepared.ts). */
function preparedQueries(db: Kysely<Database>) {
  return {
    insertRow: prepareInsert<Pick<PaymentsTable, (typeof INSERT_COLUMNS)[number]>>(
      (row) => db.insertInto('payments').values(row),
      INSERT_COLUMNS,
    ),
    idByPspTransactionId: prepareQuery((pspId: string, pspTransactionId: string) =>
      db.selectFrom('payments').select('id').where('psp_id', '=', pspId).where('psp_transaction_id', '=', pspTransactionId),
    ),
    idByMerchantOrderId: prepareQuery((msn: string, merchantOrderId: string) =>
      db.selectFrom('payments').select('id').where('merchant_serial_number', '=', msn).where('merchant_order_id', '=', merchantOrderId),
    ),
    rowByPspTransactionId: prepareQuery((pspId: string, pspTransactionId: string) =>
      db.selectFrom('payments').selectAll().where('psp_id', '=', pspId).where('psp_transaction_id', '=', pspTransactionId),
    ),
    logRows: prepareQuery((paymentId: string) =>
      db.selectFrom('payment_log').selectAll().where('payment_id', '=', paymentId).orderBy('seq'),
    ),
    insertEvent: prepareQuery((paymentId: string, at: string, type: string, detailJson: string | null) =>
      db
        .insertInto('payment_events')
        .columns(['payment_id', 'seq', 'at', 'type', 'detail_json'])
        .expression((eb) =>
          eb
            .selectFrom('payment_events')
            .select([
              eb.val(paymentId).as('payment_id'),
              sql<number>`coalesce(max(${sql.ref('seq')}), 0) + 1`.as('seq'),
              eb.val(at).as('at'),
              eb.val(type).as('type'),
              eb.val(detailJson).as('detail_json'),
            ])
            .where('payment_id', '=', paymentId),
        ),
    ),
  };
}

export class PaymentRepository {
  private readonly prepared: ReturnType<typeof preparedQueries>;

  constructor(private readonly db: Kysely<Database>) {
    this.prepared = preparedQueries(db);
  }

  async insert(trx: Db, p: NewPayment): Promise<void> {
    await this.prepared.insertRow(trx, {
      id: p.id,
      psp_id: p.pspId,
      psp_transaction_id: p.pspTransactionId,
      merchant_serial_number: p.merchantSerialNumber,
      merchant_order_id: p.merchantOrderId,
      amount_ore: p.amount,
      currency: 'NOK',
      customer_mobile_number: p.customerMobileNumber,
      psp_redirect_url: p.pspRedirectUrl,
      make_payment_url: p.makePaymentUrl,
      make_payment_token_sealed: p.makePaymentTokenSealed,
      payment_text: p.paymentText,
      is_app: p.isApp ? 1 : 0,
      skip_landing_page: p.skipLandingPage ? 1 : 0,
      state: p.state,
      due_at: p.dueAt,
      link_expires_at: p.linkExpiresAt,
      user_phone: p.userPhone,
      created_at: p.createdAt,
      updated_at: p.createdAt,
    });
  }

  async existsPspTransactionId(trx: Db, pspId: string, pspTransactionId: string): Promise<boolean> {
    return (await this.prepared.idByPspTransactionId(trx, pspId, pspTransactionId)).length > 0;
  }

  async existsMerchantOrderId(trx: Db, msn: string, merchantOrderId: string): Promise<boolean> {
    return (await this.prepared.idByMerchantOrderId(trx, msn, merchantOrderId)).length > 0;
  }

  async findByPspTransactionId(pspId: string, pspTransactionId: string, trx: Db = this.db): Promise<Payment | null> {
    const [row] = await this.prepared.rowByPspTransactionId(trx, pspId, pspTransactionId);
    return row ? toPayment(row) : null;
  }

  async findById(id: string, trx: Db = this.db): Promise<Payment | null> {
    const row = await trx.selectFrom('payments').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toPayment(row) : null;
  }

  async sealedMakePaymentToken(id: string, trx: Db = this.db): Promise<string | null> {
    const row = await trx.selectFrom('payments').select('make_payment_token_sealed').where('id', '=', id).executeTakeFirst();
    return row?.make_payment_token_sealed ?? null;
  }

  async log(paymentId: string, trx: Db = this.db): Promise<PaymentLogEntry[]> {
    const rows = await this.prepared.logRows(trx, paymentId);
    return rows.map((r) => ({
      seq: r.seq,
      operation: r.operation as LogOperation,
      amount: r.amount_ore as Ore,
      paymentText: r.payment_text,
      success: r.success === 1,
      at: r.at,
    }));
  }

  async appendLog(
    trx: Db,
    paymentId: string,
    entry: { operation: LogOperation; amount: Ore; paymentText: string | null; success: boolean; at: string },
  ): Promise<void> {
    const last = await trx
      .selectFrom('payment_log')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .where('payment_id', '=', paymentId)
      .executeTakeFirst();
    await trx
      .insertInto('payment_log')
      .values({
        payment_id: paymentId,
        seq: Number(last?.seq ?? 0) + 1,
        operation: entry.operation,
        amount_ore: entry.amount,
        payment_text: entry.paymentText,
        success: entry.success ? 1 : 0,
        at: entry.at,
      })
      .execute();
  }

  /** Erases the sealed makePaymentToken once the payment will make no more calls. */
  async eraseMakePaymentToken(trx: Db, id: string): Promise<void> {
    await trx.updateTable('payments').set({ make_payment_token_sealed: null }).where('id', '=', id).execute();
  }

  /** Appends to the payment's timeline; the next `seq` is computed in the same statement. */
  async appendEvent(trx: Db, paymentId: string, at: string, type: string, detail?: Record<string, unknown>): Promise<void> {
    await this.prepared.insertEvent(trx, paymentId, at, type, detail ? JSON.stringify(detail) : null);
  }

  async events(paymentId: string): Promise<{ at: string; type: string; detail: unknown }[]> {
    const rows = await this.db.selectFrom('payment_events').selectAll().where('payment_id', '=', paymentId).orderBy('seq').execute();
    return rows.map((r) => ({ at: r.at, type: r.type, detail: r.detail_json ? JSON.parse(r.detail_json) : null }));
  }

  /**
   * Applies a named transition with a conditional write. Returns the new payment, or null when
   * the payment was not in one of the transition's `from` states (a race or a repeat), or its due
   * time forbids the transition (`TRANSITIONS[…].due`).
   */
  async transition<T extends Transition>(
    trx: Db,
    id: string,
    transition: T,
    nowIso: string,
    patch: TransitionPatches[T],
  ): Promise<Payment | null> {
    const { from, to, due } = TRANSITIONS[transition];
    let update = trx
      .updateTable('payments')
      .set({ ...transitionColumns(transition, patch), state: to, updated_at: nowIso })
      .where('id', '=', id)
      .where('state', 'in', [...from]);
    // The due time is part of the guard (§2.13): a user action after it loses to expiry even
    // before the sweep has run; expiry never takes a payment whose due time is still ahead.
    if (due === 'beforeDue') update = update.where('due_at', '>', nowIso);
    else if (due === 'due') update = update.where('due_at', '<=', nowIso);
    const result = await update.executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return null;
    await this.appendEvent(trx, id, nowIso, `state:${to}`, { transition });
    return this.findById(id, trx);
  }

  /**
   * Takes the payment's row lock for the rest of the transaction (PostgreSQL; SQLite's write lock
   * is the database's), for a write that numbers the payment's rows without changing the payment.
   */
  async lock(trx: Db, id: string): Promise<void> {
    await trx.updateTable('payments').set({ id }).where('id', '=', id).execute();
  }

  /**
   * The expiry sweep's transition, set-based: moves up to `limit` due payments from the states
   * `expire` may start from to EXPIRED in one statement (the same guard as `transition`), and
   * writes their timeline and PSP-visible log entries in bulk. Returns the expired payments.
   */
  async expireDue(trx: Db, nowIso: string, limit: number, userMessage: string): Promise<Payment[]> {
    const { from, to } = TRANSITIONS.expire;
    const due = trx
      .selectFrom('payments')
      .select('id')
      .where('due_at', '<=', nowIso)
      .where('state', 'in', [...from])
      .orderBy('due_at')
      .limit(limit);
    const rows = await trx
      .updateTable('payments')
      .set({ state: to, due_at: null, user_message: userMessage, updated_at: nowIso })
      .where('id', 'in', due)
      .where('state', 'in', [...from])
      .returningAll()
      .execute();
    const expired = rows.map(toPayment);
    for (let i = 0; i < expired.length; i += BULK_ROWS) {
      const chunk = expired.slice(i, i + BULK_ROWS);
      const ids = chunk.map((p) => p.id);
      const seqs = await trx
        .selectFrom('payment_events')
        .select(['payment_id', (eb) => eb.fn.max('seq').as('seq')])
        .where('payment_id', 'in', ids)
        .groupBy('payment_id')
        .execute();
      const lastSeq = new Map(seqs.map((r) => [r.payment_id, Number(r.seq)]));
      await trx
        .insertInto('payment_events')
        .values(
          chunk.map((p) => ({
            payment_id: p.id,
            seq: (lastSeq.get(p.id) ?? 0) + 1,
            at: nowIso,
            type: `state:${to}`,
            detail_json: JSON.stringify({ transition: 'expire' }),
          })),
        )
        .execute();
      // Waiting payments have no PSP-visible history yet: this is their first entry.
      await trx
        .insertInto('payment_log')
        .values(
          chunk.map((p) => ({
            payment_id: p.id,
            seq: 1,
            operation: 'RESERVED',
            amount_ore: p.amount,
            payment_text: p.paymentText,
            success: 0,
            at: nowIso,
          })),
        )
        .execute();
    }
    return expired;
  }

  /** Payments whose due time has come, oldest first (the expiry sweep). */
  async listDue(nowIso: string, limit: number): Promise<{ id: string; state: PaymentState }[]> {
    const rows = await this.db
      .selectFrom('payments')
      .select(['id', 'state'])
      .where('due_at', '<=', nowIso)
      .orderBy('due_at')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ id: r.id, state: r.state as PaymentState }));
  }

  /** Drops a due time left on a state that has none (conditional on the state). */
  async clearDueTime(id: string, state: PaymentState): Promise<void> {
    await this.db.updateTable('payments').set({ due_at: null }).where('id', '=', id).where('state', '=', state).execute();
  }

  /** A user's payments, newest first (the simulated app's request list and history). */
  async listByUser(phoneNumber: string, limit: number): Promise<Payment[]> {
    const rows = await this.db
      .selectFrom('payments')
      .selectAll()
      .where('user_phone', '=', phoneNumber)
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(toPayment);
  }
}

/** The columns a transition writes: its typed patch, and what the lifecycle table implies. */
function transitionColumns<T extends Transition>(transition: T, patch: TransitionPatches[T]): Updateable<PaymentsTable> {
  const t = transition as Transition;
  const implied: Updateable<PaymentsTable> = isFinal(TRANSITIONS[t].to) ? { due_at: null } : {};
  switch (t) {
    case 'identifyUser': {
      const p = patch as TransitionPatches['identifyUser'];
      return { user_phone: p.userPhone, due_at: p.dueAt };
    }
    case 'confirm': {
      const p = patch as TransitionPatches['confirm'];
      return { user_phone: p.userPhone, card_id: p.cardId, due_at: p.dueAt };
    }
    case 'reserve': {
      const p = patch as TransitionPatches['reserve'];
      return {
        ...implied,
        reserved_ore: p.reservedAmount,
        reserved_at: p.reservedAt,
        user_message: p.userMessage,
        make_payment_token_sealed: null,
      };
    }
    case 'fail': {
      const p = patch as TransitionPatches['fail'];
      return {
        ...implied,
        failure_reason: p.failureReason,
        psp_error_id: p.pspErrorId,
        psp_error_text: p.pspErrorText,
        user_message: p.userMessage,
        make_payment_token_sealed: null,
      };
    }
    case 'softDecline': {
      const p = patch as TransitionPatches['softDecline'];
      return {
        url_3d_secure: p.url3dSecure,
        psp_error_id: p.pspErrorId,
        psp_error_text: p.pspErrorText,
        due_at: p.dueAt,
        user_message: p.userMessage,
      };
    }
    case 'complete3ds':
      return { due_at: (patch as TransitionPatches['complete3ds']).dueAt };
    case 'fail3ds': {
      const p = patch as TransitionPatches['fail3ds'];
      return { ...implied, failure_reason: p.failureReason, user_message: p.userMessage, make_payment_token_sealed: null };
    }
    case 'cancelByUser':
      return { ...implied, user_message: (patch as TransitionPatches['cancelByUser']).userMessage };
    case 'expire':
      return { ...implied, user_message: (patch as TransitionPatches['expire']).userMessage };
    default:
      return assertNever(t, 'transition');
  }
}
