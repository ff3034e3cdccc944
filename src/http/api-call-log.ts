/**
 * Records the PSP's API traffic for the go-live checklist report (`src/services/checklist.ts`):
 * one row in `api_calls` (migration 005) per authenticated call of init, details, updatestatus
 * and force approve — who, which operation, when, the HTTP status, the error code and the ids.
 * No body and no header is stored. The row is recorded after the answer is sent (`onResponse`),
 * so it adds nothing to the PSP's latency; `flushApiCallLog` writes and waits for what is buffered.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Platform } from '../platform.js';

export interface ApiCallsTable {
  id: string;
  psp_id: string;
  operation: string;
  http_status: number;
  error_code: string | null;
  psp_transaction_id: string | null;
  merchant_order_id: string | null;
  at: string;
}

export type ApiCallTables = { api_calls: ApiCallsTable };

export type ApiOperation = 'INIT' | 'DETAILS' | 'UPDATESTATUS' | 'FORCE_APPROVE';

/** Route pattern (as registered) → operation. */
const OPERATIONS: ReadonlyMap<string, ApiOperation> = new Map([
  ['POST /psp/v3/psppayments/init', 'INIT'],
  ['GET /psp/v3/psppayments/:pspTransactionId/details', 'DETAILS'],
  ['POST /psp/v3/psppayments/updatestatus', 'UPDATESTATUS'],
  ['POST /psp/v3/integration-test/psppayments/:pspTransactionId/approve', 'FORCE_APPROVE'],
]);

const operationOf = (request: FastifyRequest): ApiOperation | undefined =>
  OPERATIONS.get(`${request.method} ${request.routeOptions.url ?? ''}`);

/**
 * Rows wait in memory and are written together, in one transaction that joins the store's group
 * commit, at most `FLUSH_DELAY_MS` after the first of them (or at once when `FLUSH_ROWS` wait).
 * A bare INSERT per call would be an autocommit with an fsync of its own on the one thread: the
 * benchmark showed it made every details call (a read) cost a durable write (docs/PERFORMANCE.md).
 * The rows are diagnostics for the checklist, not money: a crash may lose the last 50 ms of them.
 */
const FLUSH_DELAY_MS = 50;
const FLUSH_ROWS = 500;
/** Rows per INSERT statement (8 parameters each: well under every dialect's parameter limit). */
const ROWS_PER_STATEMENT = 500;

class ApiCallRecorder {
  private buffer: ApiCallsTable[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly platform: Platform,
    private readonly onError: (error: unknown) => void,
  ) {}

  record(row: ApiCallsTable): void {
    this.buffer.push(row);
    if (this.buffer.length >= FLUSH_ROWS) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), FLUSH_DELAY_MS);
      this.timer.unref();
    }
  }

  /** Writes what is buffered; resolves when every row recorded so far is stored. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const rows = this.buffer;
    this.buffer = [];
    if (rows.length > 0) {
      const db = this.platform.store.db.withTables<ApiCallTables>();
      const write = db.transaction().execute(async (trx) => {
        for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
          await trx
            .insertInto('api_calls')
            .values(rows.slice(i, i + ROWS_PER_STATEMENT))
            .execute();
        }
      });
      this.writing = Promise.all([this.writing, write.catch(this.onError)]).then(() => undefined);
    }
    return this.writing;
  }
}

const recorders = new WeakMap<Platform, ApiCallRecorder>();

/** Resolves when every API call recorded so far has been stored. */
export async function flushApiCallLog(platform: Platform): Promise<void> {
  await recorders.get(platform)?.flush();
}

const text = (value: unknown, max = 255): string | null => (typeof value === 'string' && value !== '' ? value.slice(0, max) : null);

/** The `errorCode` of a PSP API error body (`[{errorCode, …}]`), if that is what it is. */
function errorCodeOf(payload: unknown): string | null {
  if (typeof payload !== 'string' || !payload.startsWith('[')) return null;
  try {
    const body = JSON.parse(payload) as unknown;
    return Array.isArray(body) ? text((body[0] as { errorCode?: unknown } | undefined)?.errorCode, 64) : null;
  } catch {
    return null;
  }
}

/** Adds the hooks to the root instance (before the routes are registered). */
export function installApiCallLog(app: FastifyInstance, platform: Platform): void {
  const recorder = new ApiCallRecorder(platform, (error) => platform.log.warn({ err: error }, 'api calls not recorded'));
  recorders.set(platform, recorder);
  const errorCodes = new WeakMap<FastifyRequest, string>();

  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode >= 400 && operationOf(request)) {
      const code = errorCodeOf(payload);
      if (code) errorCodes.set(request, code);
    }
    return payload;
  });

  app.addHook('onResponse', async (request, reply) => {
    const operation = operationOf(request);
    // Only calls that passed authentication are the PSP's (a failed one names nobody for sure).
    const psp = request.pspContext?.psp;
    if (!operation || !psp) return;
    const body = (operation === 'INIT' ? request.body : undefined) as { pspTransactionId?: unknown; merchantOrderId?: unknown } | undefined;
    const params = request.params as { pspTransactionId?: unknown } | undefined;
    recorder.record({
      id: String(request.id),
      psp_id: psp.pspId,
      operation,
      http_status: reply.statusCode,
      error_code: errorCodes.get(request) ?? null,
      psp_transaction_id: text(body?.pspTransactionId ?? params?.pspTransactionId),
      merchant_order_id: text(body?.merchantOrderId),
      at: new Date(platform.clock.now()).toISOString(),
    });
  });

  // The server stops before the store closes (main.ts): write what is still buffered.
  app.addHook('onClose', async () => {
    await recorder.flush();
  });
}
