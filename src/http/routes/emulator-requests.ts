/**
 * Control API (test profile): the request journal (src/store/request-journal.ts).
 *   GET /_emulator/requests        newest first; filters `pspId` (or the `Psp-Id` header),
 *                                  `operation`, `status` (`429`, `4xx`), `pspTransactionId`,
 *                                  `since` (ISO-8601, platform time); paging `limit` + `before`
 *                                  (the previous page's `next`)
 *   GET /_emulator/requests/{id}   one request; `Psp-Id` required, another PSP's id is unknown
 */
import type { FastifyInstance } from 'fastify';
import { API_OPERATIONS as JOURNAL_OPERATIONS } from '../../domain/api-operations.js';
import { ApiError } from '../../domain/errors.js';
import type { Platform } from '../../platform.js';
import { journalEntries, journalEntryOfPsp } from '../../services/inspector-queries.js';
import { controlPspId } from '../control-scope.js';
import { header } from '../psp-auth.js';

const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    pspId: { type: 'string', minLength: 1, maxLength: 64 },
    operation: { type: 'string', enum: [...JOURNAL_OPERATIONS] },
    status: { type: 'string', pattern: '^([1-5][0-9][0-9]|[1-5]xx)$' },
    pspTransactionId: { type: 'string', minLength: 1, maxLength: 64 },
    since: { type: 'string', format: 'date-time' },
    before: { type: 'string', pattern: '^[0-9a-f-]{36}$' },
    limit: { type: 'string', pattern: '^[0-9]{1,3}$' },
  },
} as const;

interface ListQuery {
  pspId?: string;
  operation?: string;
  status?: string;
  pspTransactionId?: string;
  since?: string;
  before?: string;
  limit?: string;
}

/** At most this many rows per page (default 50). */
const MAX_PAGE = 500;

export async function emulatorRequestRoutes(app: FastifyInstance, { platform }: { platform: Platform }): Promise<void> {
  app.get<{ Querystring: ListQuery }>('/_emulator/requests', { schema: { querystring: listQuery } }, async (request) => {
    const q = request.query;
    const limit = q.limit === undefined ? 50 : Number(q.limit);
    if (limit < 1 || limit > MAX_PAGE) throw new ApiError('INVALID_REQUEST', {}, `limit must be between 1 and ${MAX_PAGE}`);
    const pspId = q.pspId ?? header(request, 'psp-id');
    const page = await journalEntries(platform, {
      pspId,
      operation: q.operation,
      status: q.status,
      pspTransactionId: q.pspTransactionId,
      since: q.since === undefined ? undefined : new Date(q.since).toISOString(),
      before: q.before,
      limit,
    });
    return { requests: page.entries, next: page.next };
  });

  app.get<{ Params: { id: string } }>(
    '/_emulator/requests/:id',
    { schema: { params: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } } } },
    async (request) => {
      const entry = await journalEntryOfPsp(platform, request.params.id, controlPspId(request));
      if (!entry) throw new ApiError('JOURNAL_ENTRY_NOT_FOUND');
      return entry;
    },
  );
}
