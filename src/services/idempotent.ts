/**
 * One idempotency rule for every operation that takes an `Idempotency-Key` (init, updatestatus,
 * the Merchant API's create; psp-facts.md §2.13, §3): keys are scoped per PSP and operation; the
 * same key and request replay the stored answer byte for byte; the same key with another request
 * is a conflict (the operation's own error). The database decides between two first requests with
 * the same key that run at once (in one process or several): the answer is stored with an
 * insert-if-absent in the operation's own transaction, and the one that finds the key taken rolls
 * back and replays the winner's answer. Without a key the operation simply runs.
 */
import type { Transaction } from 'kysely';
import { iso } from '../clock.js';
import { ApiError, type ErrorKey } from '../domain/errors.js';
import type { Platform } from '../platform.js';
import type { Database } from '../store/schema.js';

export interface IdempotentRequest {
  readonly pspId: string;
  readonly scope: string;
  readonly key: string | null;
  /** A digest of what makes two requests "the same" (computed only when a key is sent). */
  readonly requestSha256: () => string;
  /** The error when the key was used for another request. */
  readonly conflict: ErrorKey;
}

export interface StoredAnswer {
  readonly statusCode: number;
  readonly body: string;
}

/** The answer, and whether it was replayed from the key (the operation's work did not run now). */
export type IdempotentResult<T extends StoredAnswer> =
  | { readonly replayed: false; readonly answer: T }
  | { readonly replayed: true; readonly answer: StoredAnswer };

/** Thrown inside the transaction when another request stored an answer for the key first. */
class KeyTaken extends Error {}

export async function idempotent<T extends StoredAnswer>(
  platform: Pick<Platform, 'store' | 'repos' | 'clock' | 'config'>,
  request: IdempotentRequest,
  work: (trx: Transaction<Database>, nowMs: number) => Promise<T>,
): Promise<IdempotentResult<T>> {
  const { store, repos, clock, config } = platform;
  const { key } = request;
  if (key === null) {
    return { replayed: false, answer: await store.db.transaction().execute((trx) => work(trx, clock.now())) };
  }
  const sha = request.requestSha256();
  const replay = async (): Promise<IdempotentResult<T> | null> => {
    const stored = await repos.idempotency.find(store.db, request.pspId, request.scope, key, iso(clock.now()));
    if (!stored) return null;
    if (stored.requestSha256 !== sha) throw new ApiError(request.conflict);
    return { replayed: true, answer: { statusCode: stored.statusCode, body: stored.body } };
  };
  const before = await replay();
  if (before) return before;
  try {
    const answer = await store.db.transaction().execute(async (trx) => {
      const nowMs = clock.now();
      const result = await work(trx, nowMs);
      const stored = await repos.idempotency.saveIfAbsent(trx, {
        pspId: request.pspId,
        scope: request.scope,
        key,
        response: { requestSha256: sha, statusCode: result.statusCode, body: result.body },
        createdAt: iso(nowMs),
        expiresAt: iso(nowMs + config.idempotencyTtlSeconds * 1000),
      });
      if (!stored) throw new KeyTaken();
      return result;
    });
    return { replayed: false, answer };
  } catch (error) {
    // Another request with this key won (KeyTaken), or made this one fail (e.g. its payment took
    // the pspTransactionId first): the winner's stored answer is the answer.
    const winner = await replay();
    if (winner) return winner;
    if (error instanceof KeyTaken) throw new Error('idempotency key taken, but no answer stored for it');
    throw error;
  }
}
