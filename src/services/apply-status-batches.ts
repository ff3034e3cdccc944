/**
 * The status batch job's work (psp-facts.md §2.8, §5): applies pending updatestatus batches in the
 * order received, each in one transaction, item by item in the order sent. Each item is decided
 * against the payment's ledger as the items before it left it (domain/payment-money.ts), and the
 * invariants are asserted after it; the ledgers are written with conditional writes
 * (store/payment-ledger.ts) that must all succeed; rejected items are kept with
 * their reason. When it runs is the schedule's business (jobs/status-batch-job.ts).
 */
import assert from 'node:assert/strict';
import { iso } from '../clock.js';
import { assertNever } from '../domain/errors.js';
import { assertMoneyInvariants, decideStatusItem, type Ledger, type MoneyChange } from '../domain/payment-money.js';
import type { Platform } from '../platform.js';
import { type LedgerChange, type NewLogEntry, paymentLedgerRepository } from '../store/payment-ledger.js';
import { type ItemOutcomeRecord, statusBatchRepository } from '../store/status-batches.js';

/** What the job needs of the platform (it is registered while the platform is being built). */
export type StatusBatchDeps = Pick<Platform, 'config' | 'clock' | 'log' | 'store' | 'repos'>;

export interface AppliedBatch {
  readonly batchId: number;
  readonly pspId: string;
  readonly items: number;
  readonly applied: number;
  readonly unchanged: number;
  readonly rejected: number;
}

/** Batches claimed per round of the pending scan. */
const PENDING_PAGE = 100;

/** One run at a time per database, so batches are applied in the order received. */
const runs = new WeakMap<object, Promise<unknown>>();

/**
 * Applies every pending batch (received before `receivedBefore`, when given) and answers what it
 * applied. Runs one at a time per platform: a call during a run waits for it, then runs.
 */
export async function applyPendingBatches(deps: StatusBatchDeps, options: { receivedBefore?: string } = {}): Promise<AppliedBatch[]> {
  const previous = runs.get(deps.store) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(() => applyAll(deps, options.receivedBefore ?? null));
  runs.set(deps.store, run);
  try {
    return await run;
  } finally {
    if (runs.get(deps.store) === run) runs.delete(deps.store);
  }
}

async function applyAll(deps: StatusBatchDeps, receivedBefore: string | null): Promise<AppliedBatch[]> {
  const batches = statusBatchRepository(deps.store.db);
  const done: AppliedBatch[] = [];
  for (;;) {
    const ids = await batches.pendingIds(PENDING_PAGE, receivedBefore);
    for (const id of ids) {
      const result = await applyBatch(deps, id);
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
  return done;
}

/**
 * Applies one batch in one transaction; null when it was not pending (already applied). The items
 * are decided in order on the ledgers in memory; then the changed ledgers are written with one
 * conditional write per payment (in chunks), and the log entries and outcomes in multi-row inserts.
 * A guard that fails (only possible with a second writer) or a broken invariant throws: the
 * transaction rolls back, the batch stays pending, and the next run decides again.
 */
async function applyBatch(deps: StatusBatchDeps, batchId: number): Promise<AppliedBatch | null> {
  const batches = statusBatchRepository(deps.store.db);
  const ledgers = paymentLedgerRepository(deps.store.db);
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
    // The guard failed: a bug of ours, or another writer. Roll back; the next run decides again.
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
