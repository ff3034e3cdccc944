/**
 * The approval sweep (psp-facts.md §2.13), a job over indexed due times and the outbox. Every
 * step is claimed in the database, so any number of processes may sweep at once and each piece of
 * work is done once (docs/ARCHITECTURE.md "Where coordination lives"):
 *  1. waiting payments past their due time expire (a set-based conditional UPDATE) with a TIMEOUT
 *     call claimed by this process in the same transaction;
 *  2. a payment waiting for an ACCEPTED call whose lease ran out is failed (the cut-off rule);
 *  3. notifications nobody holds — PENDING ones (left by a reader's passive expiry) and cut-off ones
 *     — are claimed, or recorded ABANDONED and resent once (outbound-delivery.ts).
 */
import { iso } from '../clock.js';
import { awaitsPsp, expires } from '../domain/payment-lifecycle.js';
import type { ApprovalDeps } from '../services/approval/deps.js';
import type { OutboundDelivery } from '../services/approval/outbound-delivery.js';
import { EXPIRED_MESSAGE } from '../services/approval/payment-reads.js';
import { newRowId } from '../store/ids.js';
import type { Scheduler } from './scheduler.js';

/** How many notification callbacks (TIMEOUT / USER_CANCEL) are delivered at once. */
const NOTIFY_CONCURRENCY = 16;
const SWEEP_BATCH = 1000;

export type SweepDeps = Pick<ApprovalDeps, 'store' | 'repos'> & { readonly delivery: OutboundDelivery };

export async function sweepApprovals(deps: SweepDeps, nowMs: number): Promise<void> {
  const { store, repos, delivery } = deps;
  const nowIso = iso(nowMs);
  const sends: (() => Promise<unknown>)[] = [];
  // 1. Waiting payments: set-based, a chunk per transaction (one fsync per chunk, not per payment).
  for (;;) {
    const lease = delivery.lease(nowMs);
    const expired = await store.db.transaction().execute(async (trx) => {
      const rows = await repos.payments.expireDue(trx, nowIso, SWEEP_BATCH, EXPIRED_MESSAGE);
      const attempts = rows.map((payment) => ({ id: newRowId(), paymentId: payment.id, paymentState: 'TIMEOUT' as const }));
      await repos.callbacks.enqueue(trx, attempts, nowIso, lease);
      return rows.map((payment, i) => ({ payment, attemptId: (attempts[i] as { id: string }).id }));
    });
    for (const { payment, attemptId } of expired) {
      delivery.changed(payment);
      sends.push(() => delivery.deliverNotification(payment, attemptId, 'TIMEOUT'));
    }
    if (expired.length < SWEEP_BATCH) break;
  }
  // 2. A payment whose ACCEPTED call was cut off; a due time left on a state that has none.
  for (const { id, state } of await repos.payments.listDue(nowIso, SWEEP_BATCH)) {
    if (awaitsPsp(state)) await delivery.failCutOffAccepted(id, nowIso);
    else if (!expires(state)) await repos.payments.clearDueTime(id, state);
  }
  // 3. Notifications that nobody holds.
  for (const attempt of await repos.callbacks.listUnclaimedNotifications(nowIso, SWEEP_BATCH)) {
    sends.push(() => delivery.takeOverNotification(attempt, nowMs));
  }
  await runWithConcurrency(sends, NOTIFY_CONCURRENCY);
}

export function registerApprovalSweep(scheduler: Scheduler, deps: SweepDeps): void {
  scheduler.register('approval-sweep', (nowMs) => sweepApprovals(deps, nowMs));
}

async function runWithConcurrency(tasks: readonly (() => Promise<unknown>)[], limit: number): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, tasks.length) }, async () => {
    while (next < tasks.length) {
      const task = tasks[next++] as () => Promise<unknown>;
      await task();
    }
  });
  await Promise.all(workers);
}
