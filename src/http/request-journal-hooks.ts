/**
 * Feeds the request journal (src/store/request-journal.ts): for every request to a PSP-facing API
 * route, one row with the method, path, status, latency, error code, ids, and the request and
 * response bodies with their secrets removed (src/security/redact.ts).
 *
 * Hot path: the row is built synchronously in the hooks, with no async context (no
 * AsyncLocalStorage): `onSend` keeps a reference to the answer's text, and `onResponse` (after the
 * answer is sent, so it adds nothing to the PSP's latency) cuts and redacts both bodies and hands
 * the row to the journal's in-memory buffer. The request's raw JSON text is kept by the JSON
 * parser (app.ts), so the body is never serialised again.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiOperation as JournalOperation } from '../domain/api-operations.js';
import type { Platform } from '../platform.js';
import { sha256Hex } from '../security/hash.js';
import { redactBody, redactHeaders } from '../security/redact.js';
import { header } from './psp-auth.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request body as received (JSON routes), for the journal. */
    journalRequestText: string | null;
    /** The answer as sent, for the journal. */
    journalResponseText: string | null;
    /** The injected fault that shaped this answer (src/http/fault-hooks.ts), for the journal. */
    journalFault: string | null;
    /** The row was recorded already (a connection closed by a fault has no onResponse). */
    journalDone: boolean;
  }
}

/**
 * Records a request whose answer never reaches the client (a connection closed by a fault, or by
 * the client while a fault held the answer): no onResponse runs for those. Status 0 and no body
 * when there was no answer; else the answer that was not delivered.
 */
export type RecordUnanswered = (request: FastifyRequest, elapsedMs: number, answer?: { status: number; text: string | null }) => void;

const MERCHANTS = '/merchant-management/psp/v1/merchants';

/** Route pattern (as registered) → operation. */
const OPERATIONS: ReadonlyMap<string, JournalOperation> = new Map([
  ['POST /accesstoken/get', 'TOKEN'],
  ['POST /psp/v3/psppayments/init', 'INIT'],
  ['GET /psp/v3/psppayments/:pspTransactionId/details', 'DETAILS'],
  ['POST /psp/v3/psppayments/updatestatus', 'UPDATESTATUS'],
  ['POST /psp/v3/integration-test/psppayments/:pspTransactionId/approve', 'FORCE_APPROVE'],
  [`GET ${MERCHANTS}`, 'MERCHANT_LIST'],
  [`POST ${MERCHANTS}`, 'MERCHANT_CREATE'],
  [`GET ${MERCHANTS}/:merchantSerialNumber`, 'MERCHANT_GET'],
  [`PATCH ${MERCHANTS}/:merchantSerialNumber`, 'MERCHANT_UPDATE'],
]);

/** The PSP-facing operation of a request (by its matched route), if it is one. */
export const operationOf = (request: FastifyRequest): JournalOperation | undefined =>
  OPERATIONS.get(`${request.method} ${request.routeOptions.url ?? ''}`);

const text = (value: unknown, max = 255): string | null => (typeof value === 'string' && value !== '' ? value.slice(0, max) : null);

/** The error code of an error answer in any of the platform's shapes. */
export function errorCodeOf(payload: string | null): string | null {
  if (!payload || payload.length > 64 * 1024) return null;
  try {
    const body = JSON.parse(payload) as unknown;
    const first = (Array.isArray(body) ? body[0] : body) as Record<string, unknown> | undefined;
    if (!first || typeof first !== 'object') return null;
    if (first.errorCode !== undefined) return text(String(first.errorCode), 64); // PSP API, detail
    if (typeof first.type === 'string' && first.type.includes('#')) return text(first.type.slice(first.type.indexOf('#') + 1), 64); // RFC 7807
    if (typeof first.error === 'string') return text(first.error, 64); // Azure AD
    if (first.statusCode !== undefined) return text(String(first.statusCode), 64); // API Management
    return null;
  } catch {
    return null;
  }
}

/** The payment a request names: init's body, the path, or a one-item updatestatus. */
function idsOf(request: FastifyRequest, operation: JournalOperation): { pspTransactionId: string | null; merchantOrderId: string | null } {
  const params = request.params as { pspTransactionId?: unknown } | undefined;
  if (operation === 'INIT') {
    const body = request.body as { pspTransactionId?: unknown; merchantOrderId?: unknown } | undefined;
    return { pspTransactionId: text(body?.pspTransactionId), merchantOrderId: text(body?.merchantOrderId) };
  }
  if (operation === 'UPDATESTATUS') {
    const items = (request.body as { transactions?: unknown } | undefined)?.transactions;
    const only = Array.isArray(items) && items.length === 1 ? (items[0] as { pspTransactionId?: unknown } | undefined) : undefined;
    return { pspTransactionId: text(only?.pspTransactionId), merchantOrderId: null };
  }
  return { pspTransactionId: text(params?.pspTransactionId), merchantOrderId: null };
}

function responseTextOf(payload: unknown): string | null {
  if (typeof payload === 'string') return payload;
  if (Buffer.isBuffer(payload)) return payload.toString('utf8');
  return null;
}

const recordUnanswered = new WeakMap<Platform, RecordUnanswered>();

/** The journal's recorder of unanswered requests (for the fault hooks). */
export function unansweredRecorder(platform: Platform): RecordUnanswered {
  return (request, elapsedMs, answer) => recordUnanswered.get(platform)?.(request, elapsedMs, answer);
}

/** Adds the hooks to the root instance (before the routes are registered). */
export function installRequestJournal(app: FastifyInstance, platform: Platform): void {
  const { journal, psps } = platform.repos;
  const maxChars = platform.config.requestJournalBodyMaxChars;
  app.decorateRequest('journalRequestText', null);
  app.decorateRequest('journalResponseText', null);
  app.decorateRequest('journalFault', null);
  app.decorateRequest('journalDone', false);

  app.addHook('onSend', async (request, _reply, payload) => {
    if (operationOf(request)) request.journalResponseText = responseTextOf(payload);
    return payload;
  });

  const build = (request: FastifyRequest, status: number, responseText: string | null, elapsedMs: number) => {
    const operation = operationOf(request);
    if (!operation || request.journalDone) return;
    request.journalDone = true;
    const ids = idsOf(request, operation);
    const params = request.params as { merchantSerialNumber?: unknown } | undefined;
    const row = {
      id: String(request.id),
      psp_id: request.pspContext?.psp.pspId ?? null,
      operation,
      method: request.method,
      path: request.url.slice(0, 1024),
      http_status: status,
      error_code: status >= 400 ? errorCodeOf(responseText) : null,
      latency_ms: Math.round(elapsedMs * 10) / 10,
      psp_transaction_id: ids.pspTransactionId,
      merchant_order_id: ids.merchantOrderId,
      merchant_serial_number: text(params?.merchantSerialNumber ?? header(request, 'merchant-serial-number'), 32),
      request_headers: JSON.stringify(redactHeaders(request.headers)),
      request_body: redactBody(request.journalRequestText, maxChars),
      response_body: redactBody(responseText, maxChars),
      fault: request.journalFault,
      at: new Date(platform.clock.now()).toISOString(),
    };
    if (row.psp_id !== null) return journal.record(row);
    // Not authenticated (the token call, a refused key or token): the PSP whose subscription key
    // was sent, so a developer finds their failed calls under their PSP. Served from memory.
    const key = header(request, 'ocp-apim-subscription-key');
    if (!key) return journal.record(row);
    void psps
      .findBySubscriptionKeySha256(sha256Hex(key))
      .then((psp) => journal.record({ ...row, psp_id: psp?.pspId ?? null }))
      .catch(() => journal.record(row));
  };

  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    build(request, reply.statusCode, request.journalResponseText, reply.elapsedTime);
  });
  recordUnanswered.set(platform, (request, elapsedMs, answer) => build(request, answer?.status ?? 0, answer?.text ?? null, elapsedMs));

  // The server stops before the store closes (main.ts): write what is still buffered.
  app.addHook('onClose', async () => {
    await journal.flush();
  });
}
