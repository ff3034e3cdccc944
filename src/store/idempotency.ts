/**
 * Idempotency keys (psp-facts.md §2.13): scoped per PSP and operation, kept at least 24 hours.
 * The stored response is replayed byte for byte for the same key and request.
 */
import type { Kysely, Transaction } from 'kysely';
import { type HotConnection, hotQuery } from './hot.js';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface StoredResponse {
  readonly requestSha256: string;
  readonly statusCode: number;
  readonly body: string;
}

/** init's statements on the hot path (hot.ts). */
function hotQueries(db: Kysely<Database>) {
  return {
    find: hotQuery((pspId: string, scope: string, key: string, nowIso: string) =>
      db
        .selectFrom('idempotency_keys')
        .select(['request_sha256', 'status_code', 'response_body'])
        .where('psp_id', '=', pspId)
        .where('scope', '=', scope)
        .where('idempotency_key', '=', key)
        .where('expires_at', '>', nowIso),
    ),
    /** saveIfAbsent's statement: an expired answer is replaced, a live one is kept (0 rows). */
    saveIfAbsent: hotQuery(
      (
        pspId: string,
        scope: string,
        key: string,
        requestSha256: string,
        statusCode: number,
        body: string,
        createdAt: string,
        expiresAt: string,
      ) =>
        db
          .insertInto('idempotency_keys')
          .values({
            psp_id: pspId,
            scope,
            idempotency_key: key,
            request_sha256: requestSha256,
            status_code: statusCode,
            response_body: body,
            created_at: createdAt,
            expires_at: expiresAt,
          })
          .onConflict((oc) =>
            oc
              .columns(['psp_id', 'scope', 'idempotency_key'])
              .doUpdateSet({
                request_sha256: requestSha256,
                status_code: statusCode,
                response_body: body,
                created_at: createdAt,
                expires_at: expiresAt,
              })
              .where('idempotency_keys.expires_at', '<=', createdAt),
          ),
    ),
  };
}

export interface IdempotencyEntry {
  readonly pspId: string;
  readonly scope: string;
  readonly key: string;
  readonly response: StoredResponse;
  readonly createdAt: string;
  readonly expiresAt: string;
}

export class IdempotencyRepository {
  private readonly hot: ReturnType<typeof hotQueries>;

  constructor(private readonly db: Kysely<Database>) {
    this.hot = hotQueries(db);
  }

  /** `find` on the hot path's connection. */
  async findOn(connection: HotConnection, pspId: string, scope: string, key: string, nowIso: string): Promise<StoredResponse | null> {
    const [row] = await connection.all(this.hot.find, pspId, scope, key, nowIso);
    return row ? { requestSha256: row.request_sha256, statusCode: row.status_code, body: row.response_body } : null;
  }

  /** `saveIfAbsent` on the hot path's connection. */
  async saveIfAbsentOn(connection: HotConnection, entry: IdempotencyEntry): Promise<boolean> {
    const { response } = entry;
    const changed = await connection.run(
      this.hot.saveIfAbsent,
      entry.pspId,
      entry.scope,
      entry.key,
      response.requestSha256,
      response.statusCode,
      response.body,
      entry.createdAt,
      entry.expiresAt,
    );
    return changed === 1;
  }

  async find(trx: Db, pspId: string, scope: string, key: string, nowIso: string): Promise<StoredResponse | null> {
    const row = await trx
      .selectFrom('idempotency_keys')
      .select(['request_sha256', 'status_code', 'response_body'])
      .where('psp_id', '=', pspId)
      .where('scope', '=', scope)
      .where('idempotency_key', '=', key)
      .where('expires_at', '>', nowIso)
      .executeTakeFirst();
    return row ? { requestSha256: row.request_sha256, statusCode: row.status_code, body: row.response_body } : null;
  }

  /**
   * Stores the answer for a key unless a live answer is stored for it already (an expired one is
   * replaced): false when another request holds the key. The unique key decides, so two first
   * requests that run at once cannot both store (services/idempotent.ts).
   */
  async saveIfAbsent(trx: Db, entry: IdempotencyEntry): Promise<boolean> {
    const result = await trx
      .insertInto('idempotency_keys')
      .values({
        psp_id: entry.pspId,
        scope: entry.scope,
        idempotency_key: entry.key,
        request_sha256: entry.response.requestSha256,
        status_code: entry.response.statusCode,
        response_body: entry.response.body,
        created_at: entry.createdAt,
        expires_at: entry.expiresAt,
      })
      .onConflict((oc) =>
        oc
          .columns(['psp_id', 'scope', 'idempotency_key'])
          .doUpdateSet({
            request_sha256: entry.response.requestSha256,
            status_code: entry.response.statusCode,
            response_body: entry.response.body,
            created_at: entry.createdAt,
            expires_at: entry.expiresAt,
          })
          .where('idempotency_keys.expires_at', '<=', entry.createdAt),
      )
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async purgeExpired(nowIso: string): Promise<number> {
    const result = await this.db.deleteFrom('idempotency_keys').where('expires_at', '<=', nowIso).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
