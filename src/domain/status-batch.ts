/**
 * A status batch as the PSP sent it (psp-facts.md §2.8): its items, and the states a batch and an
 * item's outcome can be in (docs/status-updates.md).
 */
import type { Ore } from './money.js';
import type { LogOperation } from './payment.js';
import type { OperationStatus } from './payment-money.js';

/** FAILED: applying it threw (our bug); nothing of it was applied, later batches went on. */
export type BatchState = 'PENDING' | 'APPLIED' | 'DUPLICATE' | 'FAILED';
export type ItemOutcome = 'APPLIED' | 'UNCHANGED' | 'REJECTED';

/** One item of updatestatus, parsed. */
export interface StatusItemRecord {
  readonly pspTransactionId: string;
  readonly status: LogOperation;
  readonly amount: Ore;
  readonly currency: string;
  readonly paymentText: string | null;
  readonly operationStatus: OperationStatus;
}

/** The nightly status batch run's name in `scheduled_runs` (jobs/status-batch-job.ts). */
export const NIGHTLY_JOB = 'status-batches-nightly';
