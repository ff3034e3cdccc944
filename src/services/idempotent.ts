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
import type { HotConnection } from '../store/hot.js';
import type { IdempotencyEntry, StoredResponse } from '../store/idempotency.js';
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

type Parties = Pick<Platform, 'store' | 'repos' | 'clock' | 'config'>;

/**
 * Where the operation's transaction runs and how the key is read and stored there: Kysely
 * (`store.db`, the default) or the hot path (`store.hot`, init: hot.ts).
 */
export interface IdempotentUnit<C> {
  find(pspId: string, scope: string, key: string, nowIso: string): Promise<StoredResponse | null>;
  transaction<T>(work: (connection: C) => Promise<T>): Promise<T>;
  saveIfAbsent(connection: C, entry: IdempotencyEntry): Promise<boolean>;
}

export function kyselyUnit({ store, repos }: Pick<Platform, 'store' | 'repos'>): IdempotentUnit<Transaction<Database>> {
  return {
    find: (pspId, scope, key, nowIso) => repos.idempotency.find(store.db, pspId, scope, key, nowIso),
    transaction: (work) => store.db.transaction().execute(work),
    saveIfAbsent: (trx, entry) => repos.idempotency.saveIfAbsent(trx, entry),
  };
}

export function hotUnit({ store, repos }: Pick<Platform, 'store' | 'repos'>): IdempotentUnit<HotConnection> {
  return {
    find: (pspId, scope, key, nowIso) => store.hot.read((c) => repos.idempotency.findOn(c, pspId, scope, key, nowIso)),
    transaction: (work) => store.hot.write(work),
    saveIfAbsent: (c, entry) => repos.idempotency.saveIfAbsentOn(c, entry),
  };
}

export interface IdempotentOptions<C, P> {
  /** Defaults to Kysely's transaction (kyselyUnit). */
  readonly unit?: IdempotentUnit<C>;
  /**
   * What the operation does before its transaction (validation, signing a token), only when no
   * stored answer is replayed: a replay answers as the first request did, before any check.
   */
  readonly prepare?: () => Promise<P> | P;
}

/** Thrown inside the transaction when another request stored an answer for the key first. */
class KeyTaken extends Error {}

export async function idempotent<T extends StoredAnswer, C = Transaction<Database>, P = undefined>(
  platform: Parties,
  request: IdempotentRequest,
  work: (connection: C, nowMs: number, prepared: P) => Promise<T>,
  options: IdempotentOptions<C, P> = {},
): Promise<IdempotentResult<T>> {
  const { clock, config } = platform;
  const unit = options.unit ?? (kyselyUnit(platform) as unknown as IdempotentUnit<C>);
  const prepare = options.prepare ?? (() => undefined as P);
  const { key } = request;
  if (key === null) {
    const prepared = await prepare();
    return { replayed: false, answer: await unit.transaction((c) => work(c, clock.now(), prepared)) };
  }
  const sha = request.requestSha256();
  const replay = async (): Promise<IdempotentResult<T> | null> => {
    const stored = await unit.find(request.pspId, request.scope, key, iso(clock.now()));
    if (!stored) return null;
    if (stored.requestSha256 !== sha) throw new ApiError(request.conflict);
    return { replayed: true, answer: { statusCode: stored.statusCode, body: stored.body } };
  };
  const before = await replay();
  if (before) return before;
  const prepared = await prepare();
  try {
    const answer = await unit.transaction(async (c) => {
      const nowMs = clock.now();
      const result = await work(c, nowMs, prepared);
      const stored = await unit.saveIfAbsent(c, {
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
