/**
 * The status batch repository (migration 003): batches of updatestatus items as received, the
 * outcome of each item once applied, and the nightly job's last run. Items and outcomes are
 * written 500 rows per INSERT (compiled once per full chunk, see ChunkStatements); a batch is claimed for applying with a conditional write
 * (`UPDATE … WHERE id = ? AND state = 'PENDING'`), so two runners never apply it twice.
 */
import type { Generated, Kysely, Selectable, Transaction } from 'kysely';
import type { Lease } from '../domain/callback-attempt.js';
import type { BatchState, ItemOutcome, StatusItemRecord } from '../domain/status-batch.js';

export type { BatchState, ItemOutcome, StatusItemRecord };

import type { Ore } from '../domain/money.js';
import type { LogOperation } from '../domain/payment.js';
import type { OperationStatus, RejectionCode } from '../domain/payment-money.js';
import { CHUNK, ChunkStatements } from './payment-ledger.js';
import type { Database } from './schema.js';

export interface StatusBatchesTable {
  /** Assigned by the database (SQLite's rowid; an identity column elsewhere), in the order received. */
  id: Generated<number>;
  psp_id: string;
  merchant_serial_number: string | null;
  received_at: string;
  body_sha256: string;
  idempotency_key: string | null;
  item_count: number;
  state: string;
  duplicate_of: number | null;
  applied_at: string | null;
  applied_count: number;
  unchanged_count: number;
  rejected_count: number;
  /** Migration 006: when the job gave up on a batch whose application threw, and why. */
  failed_at: string | null;
  error: string | null;
}

export interface StatusItemsTable {
  batch_id: number;
  seq: number;
  psp_id: string;
  psp_transaction_id: string;
  status: string;
  amount_ore: number;
  currency: string;
  payment_text: string | null;
  operation_status: string;
}

export interface StatusItemOutcomesTable {
  batch_id: number;
  seq: number;
  payment_id: string | null;
  outcome: string;
  reason_code: string | null;
  detail: string | null;
  logged_amount_ore: number | null;
  decided_at: string;
}

export interface ScheduledRunsTable {
  job: string;
  last_run_for: string;
  ran_at: string;
  /** Migration 007: the node running the job now, and until when its claim holds. */
  claimed_by: string | null;
  lease_until: string | null;
}

/** The tables of migration 003 (kept here, next to their only repository). */
export type StatusBatchTables = {
  status_batches: StatusBatchesTable;
  status_items: StatusItemsTable;
  status_item_outcomes: StatusItemOutcomesTable;
  scheduled_runs: ScheduledRunsTable;
};

type AnyDb = Kysely<Database> | Transaction<Database>;
type Db = Kysely<Database & StatusBatchTables>;
const withStatusTables = (db: AnyDb): Db => db.withTables<StatusBatchTables>();

export interface StoredStatusItem extends StatusItemRecord {
  readonly seq: number;
}

export interface StatusBatch {
  readonly id: number;
  readonly pspId: string;
  readonly merchantSerialNumber: string | null;
  readonly receivedAt: string;
  readonly idempotencyKey: string | null;
  readonly itemCount: number;
  readonly state: BatchState;
  readonly duplicateOf: number | null;
  readonly appliedAt: string | null;
  readonly appliedCount: number;
  readonly unchangedCount: number;
  readonly rejectedCount: number;
  readonly failedAt: string | null;
  readonly error: string | null;
}

export interface ItemOutcomeRecord {
  readonly seq: number;
  readonly paymentId: string | null;
  readonly outcome: ItemOutcome;
  readonly reasonCode: RejectionCode | null;
  readonly detail: string | null;
  readonly loggedAmount: number | null;
}

export interface RejectedItem {
  readonly seq: number;
  readonly pspTransactionId: string;
  readonly status: string;
  readonly amount: number;
  readonly operationStatus: string;
  readonly reasonCode: RejectionCode;
  readonly detail: string | null;
}

export interface PaymentStatusItem extends StatusItemRecord {
  readonly batchId: number;
  readonly seq: number;
  readonly receivedAt: string;
  /** The state of the item's batch (a FAILED batch's items have no outcome). */
  readonly batchState: BatchState;
  /** null while the batch waits for the job (or when the batch is never applied). */
  readonly outcome: ItemOutcome | null;
  readonly reasonCode: RejectionCode | null;
  readonly detail: string | null;
  readonly loggedAmount: number | null;
  readonly decidedAt: string | null;
}

const toBatch = (r: Selectable<StatusBatchesTable>): StatusBatch => ({
  id: r.id,
  pspId: r.psp_id,
  merchantSerialNumber: r.merchant_serial_number,
  receivedAt: r.received_at,
  idempotencyKey: r.idempotency_key,
  itemCount: r.item_count,
  state: r.state as BatchState,
  duplicateOf: r.duplicate_of,
  appliedAt: r.applied_at,
  appliedCount: r.applied_count,
  unchangedCount: r.unchanged_count,
  rejectedCount: r.rejected_count,
  failedAt: r.failed_at,
  error: r.error,
});

export class StatusBatchRepository {
  private readonly db: Db;
  private readonly statements: ChunkStatements;
  constructor(db: Kysely<Database>) {
    this.db = withStatusTables(db);
    this.statements = new ChunkStatements(db);
  }

  /** The latest original (non-duplicate) batch of this PSP with this body, received after `sinceIso`. */
  async findRecentSameBody(trx: AnyDb, pspId: string, bodySha256: string, sinceIso: string): Promise<number | null> {
    const row = await withStatusTables(trx)
      .selectFrom('status_batches')
      .select('id')
      .where('psp_id', '=', pspId)
      .where('body_sha256', '=', bodySha256)
      .where('received_at', '>', sinceIso)
      // A FAILED batch moved no money: the same body sent again is applied, not a duplicate of it.
      .where('state', 'not in', ['DUPLICATE', 'FAILED'])
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row?.id ?? null;
  }

  /** Stores a batch and its items (PENDING), or only the batch row of a DUPLICATE. Returns its id. */
  async insert(
    trx: AnyDb,
    batch: {
      pspId: string;
      merchantSerialNumber: string | null;
      receivedAt: string;
      bodySha256: string;
      idempotencyKey: string | null;
      duplicateOf: number | null;
      items: readonly StatusItemRecord[];
    },
  ): Promise<number> {
    const db = withStatusTables(trx);
    const { id } = await db
      .insertInto('status_batches')
      .values({
        psp_id: batch.pspId,
        merchant_serial_number: batch.merchantSerialNumber,
        received_at: batch.receivedAt,
        body_sha256: batch.bodySha256,
        idempotency_key: batch.idempotencyKey,
        item_count: batch.items.length,
        state: batch.duplicateOf === null ? 'PENDING' : 'DUPLICATE',
        duplicate_of: batch.duplicateOf,
        applied_at: null,
        applied_count: 0,
        unchanged_count: 0,
        rejected_count: 0,
        failed_at: null,
        error: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    if (batch.duplicateOf !== null) return id;
    for (let start = 0; start < batch.items.length; start += CHUNK) {
      const rows = batch.items.slice(start, start + CHUNK).map((item, i) => ({
        batch_id: id,
        seq: start + i,
        psp_id: batch.pspId,
        psp_transaction_id: item.pspTransactionId,
        status: item.status,
        amount_ore: item.amount,
        currency: item.currency,
        payment_text: item.paymentText,
        operation_status: item.operationStatus,
      }));
      const parameters = rows.flatMap((r) => [
        r.batch_id,
        r.seq,
        r.psp_id,
        r.psp_transaction_id,
        r.status,
        r.amount_ore,
        r.currency,
        r.payment_text,
        r.operation_status,
      ]);
      await trx.executeQuery(
        this.statements.query('insertItems', rows.length, parameters, (d) =>
          withStatusTables(d).insertInto('status_items').values(rows).compile(),
        ),
      );
    }
    return id;
  }

  /**
   * Ids of pending batches in the order received (optionally only those received before
   * `beforeIso`, and only one PSP's).
   */
  async pendingIds(limit: number, beforeIso: string | null = null, pspId: string | null = null): Promise<number[]> {
    let q = this.db.selectFrom('status_batches').select('id').where('state', '=', 'PENDING');
    if (beforeIso !== null) q = q.where('received_at', '<', beforeIso);
    if (pspId !== null) q = q.where('psp_id', '=', pspId);
    const rows = await q.orderBy('id').limit(limit).execute();
    return rows.map((r) => r.id);
  }

  /**
   * Claims a pending batch for applying (conditional write): returns its PSP, or null when it is
   * not pending any more (another runner applied it) or an older batch of the same PSP is still
   * pending — so a PSP's batches are applied in the order received whichever process runs them:
   * the database says so, not a queue in one process's memory.
   */
  async claim(trx: AnyDb, batchId: number, nowIso: string): Promise<{ pspId: string } | null> {
    const db = withStatusTables(trx);
    const row = await db
      .updateTable('status_batches as b')
      .set({ state: 'APPLIED', applied_at: nowIso })
      .where('b.id', '=', batchId)
      .where('b.state', '=', 'PENDING')
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('status_batches as older')
              .select('older.id')
              .whereRef('older.psp_id', '=', 'b.psp_id')
              .whereRef('older.id', '<', 'b.id')
              .where('older.state', '=', 'PENDING'),
          ),
        ),
      )
      .returning('psp_id')
      .executeTakeFirst();
    return row ? { pspId: row.psp_id } : null;
  }

  /**
   * Marks a pending batch FAILED with the error (conditional write; the failed application rolled
   * back its claim). False when it is not pending any more.
   */
  async markFailed(batchId: number, nowIso: string, error: string): Promise<boolean> {
    const result = await this.db
      .updateTable('status_batches')
      .set({ state: 'FAILED', failed_at: nowIso, error })
      .where('id', '=', batchId)
      .where('state', '=', 'PENDING')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Puts the PSP's FAILED batch back in the queue (conditional write: its PSP and FAILED). */
  async requeueFailed(batchId: number, pspId: string): Promise<boolean> {
    const result = await this.db
      .updateTable('status_batches')
      .set({ state: 'PENDING', failed_at: null, error: null })
      .where('id', '=', batchId)
      .where('psp_id', '=', pspId)
      .where('state', '=', 'FAILED')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async items(trx: AnyDb, batchId: number): Promise<StoredStatusItem[]> {
    const rows = await withStatusTables(trx)
      .selectFrom('status_items')
      .select(['seq', 'psp_transaction_id', 'status', 'amount_ore', 'currency', 'payment_text', 'operation_status'])
      .where('batch_id', '=', batchId)
      .orderBy('seq')
      .execute();
    return rows.map((r) => ({
      seq: r.seq,
      pspTransactionId: r.psp_transaction_id,
      status: r.status as LogOperation,
      amount: r.amount_ore as Ore,
      currency: r.currency,
      paymentText: r.payment_text,
      operationStatus: r.operation_status as OperationStatus,
    }));
  }

  /** Records the outcome of every item of a claimed batch, and its counts. */
  async recordOutcomes(trx: AnyDb, batchId: number, decidedAt: string, outcomes: readonly ItemOutcomeRecord[]): Promise<void> {
    const db = withStatusTables(trx);
    for (let start = 0; start < outcomes.length; start += CHUNK) {
      const chunk = outcomes.slice(start, start + CHUNK);
      // The parameters are built in place (no object per row); the rows only when compiling.
      const parameters: unknown[] = [];
      for (const o of chunk) {
        parameters.push(batchId, o.seq, o.paymentId, o.outcome, o.reasonCode, o.detail, o.loggedAmount, decidedAt);
      }
      await trx.executeQuery(
        this.statements.query('recordOutcomes', chunk.length, parameters, (d) =>
          withStatusTables(d)
            .insertInto('status_item_outcomes')
            .values(
              chunk.map((o) => ({
                batch_id: batchId,
                seq: o.seq,
                payment_id: o.paymentId,
                outcome: o.outcome,
                reason_code: o.reasonCode,
                detail: o.detail,
                logged_amount_ore: o.loggedAmount,
                decided_at: decidedAt,
              })),
            )
            .compile(),
        ),
      );
    }
    const count = (outcome: ItemOutcome) => outcomes.filter((o) => o.outcome === outcome).length;
    await db
      .updateTable('status_batches')
      .set({ applied_count: count('APPLIED'), unchanged_count: count('UNCHANGED'), rejected_count: count('REJECTED') })
      .where('id', '=', batchId)
      .execute();
  }

  async find(batchId: number): Promise<StatusBatch | null> {
    const row = await this.db.selectFrom('status_batches').selectAll().where('id', '=', batchId).executeTakeFirst();
    return row ? toBatch(row) : null;
  }

  /** Batches, newest first. */
  async list(options: { pspId: string | null; limit: number; offset: number }): Promise<StatusBatch[]> {
    let q = this.db.selectFrom('status_batches').selectAll();
    if (options.pspId !== null) q = q.where('psp_id', '=', options.pspId);
    const rows = await q.orderBy('id', 'desc').limit(options.limit).offset(options.offset).execute();
    return rows.map(toBatch);
  }

  async rejectedItems(batchId: number, limit: number, offset: number): Promise<RejectedItem[]> {
    const rows = await this.db
      .selectFrom('status_item_outcomes as o')
      .innerJoin('status_items as i', (j) => j.onRef('i.batch_id', '=', 'o.batch_id').onRef('i.seq', '=', 'o.seq'))
      .select(['o.seq', 'i.psp_transaction_id', 'i.status', 'i.amount_ore', 'i.operation_status', 'o.reason_code', 'o.detail'])
      .where('o.batch_id', '=', batchId)
      .where('o.outcome', '=', 'REJECTED')
      .orderBy('o.seq')
      .limit(limit)
      .offset(offset)
      .execute();
    return rows.map((r) => ({
      seq: r.seq,
      pspTransactionId: r.psp_transaction_id,
      status: r.status,
      amount: r.amount_ore,
      operationStatus: r.operation_status,
      reasonCode: r.reason_code as RejectionCode,
      detail: r.detail,
    }));
  }

  /** Every stored item naming this payment (by its PSP and pspTransactionId), oldest first, with its outcome. */
  async itemsOfPayment(pspId: string, pspTransactionId: string): Promise<PaymentStatusItem[]> {
    const rows = await this.db
      .selectFrom('status_items as i')
      .innerJoin('status_batches as b', 'b.id', 'i.batch_id')
      .leftJoin('status_item_outcomes as o', (j) => j.onRef('o.batch_id', '=', 'i.batch_id').onRef('o.seq', '=', 'i.seq'))
      .select([
        'i.batch_id',
        'i.seq',
        'b.received_at',
        'b.state as batch_state',
        'i.psp_transaction_id',
        'i.status',
        'i.amount_ore',
        'i.currency',
        'i.payment_text',
        'i.operation_status',
        'o.outcome',
        'o.reason_code',
        'o.detail',
        'o.logged_amount_ore',
        'o.decided_at',
      ])
      .where('i.psp_id', '=', pspId)
      .where('i.psp_transaction_id', '=', pspTransactionId)
      .orderBy('i.batch_id')
      .orderBy('i.seq')
      .execute();
    return rows.map((r) => ({
      batchId: r.batch_id,
      seq: r.seq,
      receivedAt: r.received_at,
      batchState: r.batch_state as BatchState,
      pspTransactionId: r.psp_transaction_id,
      status: r.status as LogOperation,
      amount: r.amount_ore as Ore,
      currency: r.currency,
      paymentText: r.payment_text,
      operationStatus: r.operation_status as OperationStatus,
      outcome: (r.outcome as ItemOutcome | null) ?? null,
      reasonCode: (r.reason_code as RejectionCode | null) ?? null,
      detail: r.detail ?? null,
      loggedAmount: r.logged_amount_ore ?? null,
      decidedAt: r.decided_at ?? null,
    }));
  }

  async lastRun(job: string): Promise<{ lastRunFor: string; ranAt: string } | null> {
    const row = await this.db
      .selectFrom('scheduled_runs')
      .select(['last_run_for', 'ran_at'])
      .where('job', '=', job)
      .where('last_run_for', '!=', '')
      .executeTakeFirst();
    return row ? { lastRunFor: row.last_run_for, ranAt: row.ran_at } : null;
  }

  /**
   * Claims the run of `job` for `runFor` (conditional write): true when it has not run for
   * `runFor` yet and nobody holds a live lease on it. A process that dies during the run leaves it
   * to another after the lease.
   */
  async claimRun(job: string, runFor: string, lease: Lease, nowIso: string): Promise<boolean> {
    await this.db
      .insertInto('scheduled_runs')
      .values({ job, last_run_for: '', ran_at: '', claimed_by: null, lease_until: null })
      .onConflict((oc) => oc.column('job').doNothing())
      .execute();
    const result = await this.db
      .updateTable('scheduled_runs')
      .set({ claimed_by: lease.nodeId, lease_until: lease.until })
      .where('job', '=', job)
      .where('last_run_for', '<', runFor)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', nowIso)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Records the claimed run as done for `runFor` and releases the claim (only the holder's). */
  async finishRun(job: string, runFor: string, nodeId: string, ranAt: string): Promise<void> {
    await this.db
      .updateTable('scheduled_runs')
      .set({ last_run_for: runFor, ran_at: ranAt, claimed_by: null, lease_until: null })
      .where('job', '=', job)
      .where('claimed_by', '=', nodeId)
      .execute();
  }
}
