/**
 * A makePayment call to the PSP as the platform records it (psp-facts.md §2.5): first the outbox
 * row committed with the state change, then what happened. Never holds the cryptogram or the
 * makePaymentToken; the network token only as its last four digits.
 */
import type { CallbackOutcome, CallbackPaymentState } from './make-payment.js';

/**
 * PENDING: committed, nobody is making the call yet (any process may claim it);
 * IN_FLIGHT: claimed by `claimedBy` until `leaseUntil` (platform clock); DONE: recorded.
 */
export type AttemptStatus = 'PENDING' | 'IN_FLIGHT' | 'DONE';

export interface CallbackAttempt {
  readonly id: string;
  readonly paymentId: string;
  readonly attemptNo: number;
  readonly paymentState: CallbackPaymentState;
  readonly status: AttemptStatus;
  readonly claimedBy: string | null;
  readonly leaseUntil: string | null;
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

/** What one call did, as recorded when it completes. */
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

/** A claim on an attempt: who makes the call, and until when (platform clock, ISO). */
export interface Lease {
  readonly nodeId: string;
  readonly until: string;
}
