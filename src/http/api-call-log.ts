/**
 * Records the PSP's API traffic for the go-live checklist report (`src/services/checklist.ts`):
 * one row in `api_calls` (migration 005) per authenticated call of init, details, updatestatus
 * and force approve — who, which operation, when, the HTTP status, the error code and the ids.
 * No body and no header is stored. The insert runs after the answer is sent (`onResponse`), so
 * it adds nothing to the PSP's latency; `flushApiCallLog` waits for the inserts in flight.
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

const inFlight = new WeakMap<Platform, Set<Promise<void>>>();

/** Resolves when every api_calls insert started so far has finished. */
export async function flushApiCallLog(platform: Platform): Promise<void> {
  await Promise.all([...(inFlight.get(platform) ?? [])]);
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
  const pending = new Set<Promise<void>>();
  inFlight.set(platform, pending);
  const errorCodes = new WeakMap<FastifyRequest, string>();
  const db = platform.store.db.withTables<ApiCallTables>();

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
    const insert = db
      .insertInto('api_calls')
      .values({
        id: String(request.id),
        psp_id: psp.pspId,
        operation,
        http_status: reply.statusCode,
        error_code: errorCodes.get(request) ?? null,
        psp_transaction_id: text(body?.pspTransactionId ?? params?.pspTransactionId),
        merchant_order_id: text(body?.merchantOrderId),
        at: new Date(platform.clock.now()).toISOString(),
      })
      .execute()
      .then(
        () => undefined,
        (error: unknown) => request.log.warn({ err: error }, 'api call not recorded'),
      );
    pending.add(insert);
    void insert.finally(() => pending.delete(insert));
  });
}
