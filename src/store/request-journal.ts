/**
 * The request journal: one row per request to the PSP-facing APIs (what Vipps saw and answered),
 * kept for the developer (`GET /_emulator/requests`, the inspector) and read by the go-live
 * checklist (src/services/checklist.ts). The HTTP edge builds each row synchronously in its hooks
 * (src/http/request-journal-hooks.ts) and hands it to `record()`; this repository owns the rest.
 *
 * Writes: rows wait in memory and are written in multi-row INSERTs, in one transaction that joins
 * the store's group commit, at most `FLUSH_DELAY_MS` after the first of them, at once when
 * `FLUSH_ROWS` wait, and on close. A bare INSERT per request would be a durable write of its own
 * for every call, even a details read (docs/PERFORMANCE.md). The cost of that choice: a process
 * killed (not stopped) loses the rows of its last 50 ms. The journal is a debugging aid, not a
 * ledger; nothing the platform decides reads it (the checklist flushes before it reads).
 *
 * Bounded: at most `maxRows` rows (REQUEST_JOURNAL_MAX_ROWS); after a flush that goes over, the
 * oldest are deleted. Ids are time-ordered (UUIDv7), so "oldest" is "smallest id".
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface RequestJournalTable {
  id: string;
  psp_id: string | null;
  operation: string;
  method: string;
  path: string;
  http_status: number;
  error_code: string | null;
  latency_ms: number;
  psp_transaction_id: string | null;
  merchant_order_id: string | null;
  merchant_serial_number: string | null;
  request_headers: string | null;
  request_body: string | null;
  response_body: string | null;
  fault: string | null;
  at: string;
}

export type RequestJournalTables = { request_journal: RequestJournalTable };

export { API_OPERATIONS as JOURNAL_OPERATIONS, type ApiOperation as JournalOperation } from '../domain/api-operations.js';

/** A journal row as the control API and the inspector show it. */
export interface JournalEntry {
  readonly id: string;
  readonly pspId: string | null;
  readonly operation: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly errorCode: string | null;
  readonly latencyMs: number;
  readonly pspTransactionId: string | null;
  readonly merchantOrderId: string | null;
  readonly merchantSerialNumber: string | null;
  readonly requestHeaders: Record<string, string> | null;
  readonly requestBody: string | null;
  readonly responseBody: string | null;
  readonly fault: string | null;
  readonly at: string;
}

export interface JournalQuery {
  readonly pspId?: string | undefined;
  readonly operation?: string | undefined;
  /** An HTTP status (`429`) or a class (`4xx`, `5xx`). */
  readonly status?: string | undefined;
  readonly pspTransactionId?: string | undefined;
  /** ISO-8601: rows at or after this platform time. */
  readonly since?: string | undefined;
  /** Paging, newest first: rows older than this row id (the previous page's `next`). */
  readonly before?: string | undefined;
  readonly limit: number;
}

/** What the checklist reads: the same rows, without bodies. */
export interface JournalCall {
  readonly operation: string;
  readonly http_status: number;
  readonly error_code: string | null;
  readonly psp_transaction_id: string | null;
  readonly merchant_order_id: string | null;
  /** The merchantOrderId of the payment the call named (details and updatestatus do not send it). */
  readonly payment_order_id: string | null;
  readonly at: string;
}

const FLUSH_DELAY_MS = 50;
const FLUSH_ROWS = 500;
/** Rows per INSERT statement (16 parameters each: 100 rows stay under every dialect's limit). */
const ROWS_PER_STATEMENT = 100;

const toEntry = (r: RequestJournalTable): JournalEntry => ({
  id: r.id,
  pspId: r.psp_id,
  operation: r.operation,
  method: r.method,
  path: r.path,
  status: r.http_status,
  errorCode: r.error_code,
  latencyMs: r.latency_ms,
  pspTransactionId: r.psp_transaction_id,
  merchantOrderId: r.merchant_order_id,
  merchantSerialNumber: r.merchant_serial_number,
  requestHeaders: r.request_headers ? (JSON.parse(r.request_headers) as Record<string, string>) : null,
  requestBody: r.request_body,
  responseBody: r.response_body,
  fault: r.fault,
  at: r.at,
});

export class RequestJournal {
  private buffer: RequestJournalTable[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  /** Rows in the table as this process last knew (null: not counted yet). */
  private rows: number | null = null;
  private readonly db: Kysely<Database & RequestJournalTables>;

  constructor(
    db: Kysely<Database>,
    private readonly options: { readonly maxRows: number; readonly onError: (error: unknown) => void },
  ) {
    this.db = db.withTables<RequestJournalTables>();
  }

  /** Takes a finished row; synchronous and cheap (the request's answer is already sent). */
  record(row: RequestJournalTable): void {
    this.buffer.push(row);
    if (this.buffer.length >= FLUSH_ROWS) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), FLUSH_DELAY_MS);
      this.timer.unref();
    }
  }

  /** Writes what is buffered; resolves when every row recorded so far is stored (and pruned). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const rows = this.buffer;
    this.buffer = [];
    if (rows.length > 0) {
      const write = this.write(rows).catch(this.options.onError);
      this.writing = Promise.all([this.writing, write]).then(() => undefined);
    }
    return this.writing;
  }

  private async write(rows: RequestJournalTable[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
        await trx
          .insertInto('request_journal')
          .values(rows.slice(i, i + ROWS_PER_STATEMENT))
          .execute();
      }
    });
    if (this.rows === null) {
      const counted = await this.db
        .selectFrom('request_journal')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirst();
      this.rows = Number(counted?.n ?? 0);
    } else this.rows += rows.length;
    if (this.rows > this.options.maxRows) await this.prune();
  }

  /** Deletes all but the newest `maxRows` rows. */
  private async prune(): Promise<void> {
    const oldestKept = await this.db
      .selectFrom('request_journal')
      .select('id')
      .orderBy('id', 'desc')
      .limit(1)
      .offset(this.options.maxRows - 1)
      .executeTakeFirst();
    if (oldestKept) await this.db.deleteFrom('request_journal').where('id', '<', oldestKept.id).execute();
    this.rows = Math.min(this.rows ?? 0, this.options.maxRows);
  }

  /** Newest first; `next` is the `before` of the following page (null on the last page). */
  async list(query: JournalQuery): Promise<{ entries: JournalEntry[]; next: string | null }> {
    await this.flush();
    let q = this.db.selectFrom('request_journal').selectAll();
    if (query.pspId !== undefined) q = q.where('psp_id', '=', query.pspId);
    if (query.operation !== undefined) q = q.where('operation', '=', query.operation);
    if (query.pspTransactionId !== undefined) q = q.where('psp_transaction_id', '=', query.pspTransactionId);
    if (query.since !== undefined) q = q.where('at', '>=', query.since);
    if (query.before !== undefined) q = q.where('id', '<', query.before);
    if (query.status !== undefined) {
      const cls = /^([1-5])xx$/i.exec(query.status);
      if (cls) {
        const low = Number(cls[1]) * 100;
        q = q.where('http_status', '>=', low).where('http_status', '<', low + 100);
      } else q = q.where('http_status', '=', Number(query.status));
    }
    const rows = await q
      .orderBy('id', 'desc')
      .limit(query.limit + 1)
      .execute();
    const page = rows.slice(0, query.limit);
    return { entries: page.map(toEntry), next: rows.length > query.limit ? (page[page.length - 1]?.id ?? null) : null };
  }

  /** One row; with `pspId`, only that PSP's (another PSP's row is "not found"). */
  async get(id: string, pspId?: string): Promise<JournalEntry | null> {
    await this.flush();
    let q = this.db.selectFrom('request_journal').selectAll().where('id', '=', id);
    if (pspId !== undefined) q = q.where('psp_id', '=', pspId);
    const row = await q.executeTakeFirst();
    return row ? toEntry(row) : null;
  }

  /** The PSP's calls, oldest first, for the go-live checklist. */
  async callsOf(pspId: string): Promise<JournalCall[]> {
    await this.flush();
    return this.db
      .selectFrom('request_journal as c')
      .leftJoin('payments as p', (j) => j.onRef('p.psp_id', '=', 'c.psp_id').onRef('p.psp_transaction_id', '=', 'c.psp_transaction_id'))
      .select([
        'c.operation',
        'c.http_status',
        'c.error_code',
        'c.psp_transaction_id',
        'c.merchant_order_id',
        'p.merchant_order_id as payment_order_id',
        'c.at',
      ])
      .where('c.psp_id', '=', pspId)
      .orderBy('c.id')
      .execute();
  }

  /** Reset: the whole journal, or one PSP's rows (the buffer is written first, then deleted). */
  async clear(pspId?: string): Promise<number> {
    await this.flush();
    let q = this.db.deleteFrom('request_journal');
    if (pspId !== undefined) q = q.where('psp_id', '=', pspId);
    const result = await q.executeTakeFirst();
    this.rows = null;
    return Number(result.numDeletedRows);
  }

  /** Writes what is buffered; called before the store closes. */
  async close(): Promise<void> {
    await this.flush();
  }
}
