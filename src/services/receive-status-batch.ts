/**
 * `POST /psp/v3/psppayments/updatestatus` (psp-facts.md §2.8): stores the batch and answers
 * 9000 SUCCESS. Nothing is checked against the payments here — the real platform validates in its
 * nightly batch — so unknown ids and other PSPs' ids are accepted now and rejected, with a
 * reason, when the batch is applied (apply-status-batches.ts).
 *
 * Resends never apply twice (docs/status-updates.md):
 *  - With an Idempotency-Key (or Request-Id / X-Request-Id): the same key and body replay the
 *    stored answer and store nothing; the same key with another body is a 409 (§2.13).
 *  - Without a key: a batch whose body equals one this PSP sent in the last 24 hours is a resend.
 *    It is answered 9000 and recorded as a DUPLICATE of the first, without items: never applied.
 */
import { iso } from '../clock.js';
import type { StatusItemRecord } from '../domain/status-batch.js';
import type { Platform } from '../platform.js';
import { sha256Hex } from '../security/hash.js';
import { idempotent } from './idempotent.js';

/** The answer to every valid batch (§2.8). */
export const UPDATE_STATUS_ACCEPTED_BODY = JSON.stringify({ responseInfo: { responseCode: '9000', responseMessage: 'SUCCESS' } });

/** How long an identical batch without a key counts as a resend. */
export const DUPLICATE_WINDOW_MS = 24 * 3600 * 1000;

const SCOPE = 'updatestatus';

export interface ReceivedBatch {
  readonly statusCode: number;
  /** The serialised body, exactly as sent (and replayed). */
  readonly body: string;
  /** A new batch waits for the job (not a replay, not a duplicate). */
  readonly pending: boolean;
}

/**
 * The batch's identity: its items after normalisation (defaults applied, amounts as numbers), in
 * a fixed key order, so `"amount": "100"` and `"amount": 100` are the same batch.
 */
export function batchSha256(items: readonly StatusItemRecord[]): string {
  return sha256Hex(
    JSON.stringify(items.map((i) => [i.pspTransactionId, i.status, i.amount, i.currency, i.paymentText, i.operationStatus] as const)),
  );
}

export async function receiveStatusBatch(
  platform: Pick<Platform, 'clock' | 'config' | 'store' | 'repos'>,
  input: {
    pspId: string;
    merchantSerialNumber: string | null;
    items: readonly StatusItemRecord[];
    idempotencyKey: string | null;
  },
): Promise<ReceivedBatch> {
  const { repos, store } = platform;
  const { pspId, idempotencyKey } = input;
  const batches = repos.statusBatches;
  const bodySha256 = batchSha256(input.items);

  // The key (services/idempotent.ts): the same key and body replay, another body is a 409, and
  // of two first requests at once the loser rolls its batch back and replays the winner's answer.
  const result = await idempotent(
    platform,
    { pspId, scope: SCOPE, key: idempotencyKey, requestSha256: () => bodySha256, conflict: 'IDEMPOTENCY_CONFLICT' },
    async (trx, nowMs): Promise<ReceivedBatch> => {
      // One batch of a PSP at a time from the look to the commit (PostgreSQL; SQLite's writers take
      // turns anyway): the duplicate-by-body look sees the other's batch, and batch ids, which the
      // job applies in order, are numbered in commit order.
      await store.serialize(trx, `status-batch:${pspId}`);
      const now = iso(nowMs);
      // With a key, the key decides: the same body under a new key is a new batch on purpose.
      const duplicateOf = idempotencyKey
        ? null
        : await batches.findRecentSameBody(trx, pspId, bodySha256, iso(nowMs - DUPLICATE_WINDOW_MS));
      await batches.insert(trx, {
        pspId,
        merchantSerialNumber: input.merchantSerialNumber,
        receivedAt: now,
        bodySha256,
        idempotencyKey,
        duplicateOf,
        items: input.items,
      });
      return { statusCode: 200, body: UPDATE_STATUS_ACCEPTED_BODY, pending: duplicateOf === null };
    },
  );
  return result.replayed ? { ...result.answer, pending: false } : result.answer;
}
