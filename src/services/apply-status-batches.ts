/**
 * The status batch job's work (psp-facts.md §2.8, §5): applies pending updatestatus batches in the
 * order received, each in one transaction, item by item in the order sent. Each item is decided
 * against the payment's ledger as the items before it left it (domain/payment-money.ts), and the
 * invariants are asserted after it; the ledgers are written with conditional writes
 * (store/payment-ledger.ts) that must all succeed; rejected items are kept with
 * their reason. A batch whose application throws is marked FAILED and the run goes on with the
 * next one. When it runs is the schedule's business (jobs/status-batch-job.ts).
 */
import assert from 'node:assert/strict';
import { iso } from '../clock.js';
import { assertNever } from '../domain/errors.js';
import { assertMoneyInvariants, decideStatusItem, type Ledger, type MoneyChange } from '../domain/payment-money.js';
import type { Platform } from '../platform.js';
import type { LedgerChange, NewLogEntry } from '../store/payment-ledger.js';
import type { ItemOutcomeRecord } from '../store/status-batches.js';

/** What the job needs of the platform (it is registered while the platform is being built). */
export type StatusBatchDeps = Pick<Platform, 'config' | 'clock' | 'log' | 'store' | 'repos' | 'nodeId'>;

export interface AppliedBatch {
  readonly batchId: number;
  readonly pspId: string;
  readonly items: number;
  readonly applied: number;
  readonly unchanged: number;
  readonly rejected: number;
}

export interface FailedBatch {
  readonly batchId: number;
  readonly error: string;
}

/** What one run did: the batches it applied and those it marked FAILED, in the order received. */
export interface BatchRun {
  readonly applied: readonly AppliedBatch[];
  readonly failed: readonly FailedBatch[];
}

/** The recorded error text is cut here (an assertion can print large objects). */
const ERROR_TEXT_MAX = 2000;

/** Batches claimed per round of the pending scan. */
const PENDING_PAGE = 100;

/**
 * Applies every pending batch (received before `receivedBefore`, and of one PSP, when given) and
 * answers what it applied. Any number of runs may go at once, in this process or others: each
 * batch is claimed in the database, and a PSP's batch only once its older ones are done
 * (`StatusBatchRepository.claim`).
 */
export async function applyPendingBatches(
  deps: StatusBatchDeps,
  options: { receivedBefore?: string; pspId?: string } = {},
): Promise<BatchRun> {
  const receivedBefore = options.receivedBefore ?? null;
  const pspId = options.pspId ?? null;
  const batches = deps.repos.statusBatches;
  const done: AppliedBatch[] = [];
  const failed: FailedBatch[] = [];
  for (;;) {
    const ids = await batches.pendingIds(PENDING_PAGE, receivedBefore, pspId);
    for (const id of ids) {
      let result: AppliedBatch | null;
      try {
        result = await applyBatch(deps, id);
      } catch (error) {
        // A broken invariant or a failed guard is our bug, not the PSP's, and retrying it would
        // fail again: its transaction rolled back (nothing of it was applied), it is marked
        // FAILED with the error for the control API, and the batches after it are applied.
        const text = errorText(error);
        deps.log.error({ err: error, batchId: id }, 'status batch failed; marked FAILED, going on with the next batches');
        if (await batches.markFailed(id, iso(deps.clock.now()), text)) failed.push({ batchId: id, error: text });
        continue;
      }
      if (result) done.push(result);
    }
    if (ids.length < PENDING_PAGE) break;
  }
  if (done.length > 0) {
    const sum = (k: 'items' | 'applied' | 'unchanged' | 'rejected') => done.reduce((n, b) => n + b[k], 0);
    deps.log.info(
      { batches: done.length, items: sum('items'), applied: sum('applied'), unchanged: sum('unchanged'), rejected: sum('rejected') },
      'status batches applied',
    );
  }
  return { applied: done, failed };
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > ERROR_TEXT_MAX ? `${text.slice(0, ERROR_TEXT_MAX)}…` : text;
}

/**
 * Applies one batch in one transaction; null when it was not pending (already applied). The items
 * are decided in order on the ledgers in memory; then the changed ledgers are written with one
 * conditional write per payment (in chunks), and the log entries and outcomes in multi-row inserts.
 * A guard that fails (only possible with a second writer) or a broken invariant throws: the
 * transaction rolls back and the caller marks the batch FAILED.
 */
async function applyBatch(deps: StatusBatchDeps, batchId: number): Promise<AppliedBatch | null> {
  const batches = deps.repos.statusBatches;
  const ledgers = deps.repos.ledgers;
  return deps.store.db.transaction().execute(async (trx) => {
    const nowMs = deps.clock.now();
    const now = iso(nowMs);
    const claimed = await batches.claim(trx, batchId, now);
    if (!claimed) return null;
    const items = await batches.items(trx, batchId);
    const loaded = await ledgers.load(trx, claimed.pspId, [...new Set(items.map((i) => i.pspTransactionId))]);
    /** The ledgers as the items so far left them, by payment id. */
    const current = new Map<string, Ledger>();
    const outcomes: ItemOutcomeRecord[] = [];
    const log: NewLogEntry[] = [];

    for (const item of items) {
      const payment = loaded.get(item.pspTransactionId);
      const ledger = payment ? (current.get(payment.paymentId) ?? payment.ledger) : null;
      const decision = decideStatusItem(ledger, item, nowMs);
      if (!decision.ok) {
        outcomes.push({
          seq: item.seq,
          paymentId: payment?.paymentId ?? null,
          outcome: 'REJECTED',
          reasonCode: decision.rejection.code,
          detail: decision.rejection.detail,
          loggedAmount: null,
        });
        continue;
      }
      assert.ok(payment, 'a decision without a payment');
      if (changesLedger(decision.change)) {
        assertMoneyInvariants(decision.after, `payment ${payment.paymentId} after item ${batchId}/${item.seq}`);
        current.set(payment.paymentId, decision.after);
      }
      if (decision.log) log.push({ paymentId: payment.paymentId, ...decision.log, paymentText: item.paymentText, at: now });
      outcomes.push({
        seq: item.seq,
        paymentId: payment.paymentId,
        outcome: decision.change.kind === 'none' ? 'UNCHANGED' : 'APPLIED',
        reasonCode: null,
        detail: null,
        loggedAmount: decision.log?.amount ?? null,
      });
    }

    const changes: LedgerChange[] = [];
    for (const payment of loaded.values()) {
      const after = current.get(payment.paymentId);
      if (after) changes.push({ paymentId: payment.paymentId, before: payment.ledger, after });
    }
    const failed = await ledgers.write(trx, changes, now);
    // The guard failed: a bug of ours, or another writer. Roll back; the batch is marked FAILED.
    assert.deepEqual(failed, [], 'the conditional ledger write failed for these payments');
    await ledgers.appendLog(trx, log, new Map([...loaded.values()].map((p) => [p.paymentId, p.lastLogSeq])));
    await batches.recordOutcomes(trx, batchId, now, outcomes);
    const count = (o: ItemOutcomeRecord['outcome']) => outcomes.filter((x) => x.outcome === o).length;
    return {
      batchId,
      pspId: claimed.pspId,
      items: items.length,
      applied: count('APPLIED'),
      unchanged: count('UNCHANGED'),
      rejected: count('REJECTED'),
    };
  });
}

/** Whether a change writes ledger columns (a FAILED operation and a repeated RESERVED do not). */
function changesLedger(change: MoneyChange): boolean {
  switch (change.kind) {
    case 'capture':
    case 'cancel':
    case 'refund':
      return true;
    case 'failed':
    case 'none':
      return false;
    default:
      return assertNever(change, 'money change');
  }
}
