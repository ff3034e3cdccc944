/**
 * Control API: status batches (test profile only; docs/status-updates.md). Every route is per PSP
 * (http/control-scope.ts): `Psp-Id` is required, and another PSP's batch answers exactly like an
 * unknown one (404), for reading, retrying and running alike.
 *   GET  /_emulator/status-batches        the PSP's batches, newest first, with counts and
 *                                         rejected items (`limit`, `offset`, `rejectedLimit`)
 *   GET  /_emulator/status-batches/{id}   one batch, its rejected items paged
 *                                         (`rejectedLimit`, `rejectedOffset`)
 *   POST /_emulator/status-batches/run    applies the PSP's pending batches now and answers with
 *                                         them (`applied`, and `failed`: those whose application threw)
 *   POST /_emulator/status-batches/{id}/retry  puts a FAILED batch back in the queue (PENDING)
 */
import type { FastifyInstance, preValidationAsyncHookHandler } from 'fastify';
import { ApiError } from '../../domain/errors.js';
import type { Platform } from '../../platform.js';
import { applyPendingBatches } from '../../services/apply-status-batches.js';
import {
  listStatusBatches,
  ownStatusBatch,
  retryStatusBatch,
  statusBatchView,
  statusBatchViews,
} from '../../services/status-batch-report.js';
import { controlPspId } from '../control-scope.js';

const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 200, default: 20 },
    offset: { type: 'integer', minimum: 0, default: 0 },
    rejectedLimit: { type: 'integer', minimum: 0, maximum: 1000, default: 100 },
  },
} as const;

const oneQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    rejectedLimit: { type: 'integer', minimum: 0, maximum: 1000, default: 1000 },
    rejectedOffset: { type: 'integer', minimum: 0, default: 0 },
  },
} as const;

/**
 * Query and path values arrive as strings and the validator coerces nothing (app.ts): the
 * integer ones (every one on these routes) are turned into numbers here, so the schema can check
 * their bounds. A value that is not a string of digits is left for the schema to refuse.
 */
const integersFromStrings: preValidationAsyncHookHandler = async (request) => {
  for (const part of [request.query, request.params] as Record<string, unknown>[]) {
    for (const [name, value] of Object.entries(part ?? {})) {
      if (typeof value === 'string' && /^\d{1,15}$/.test(value)) part[name] = Number(value);
    }
  }
};

/** The batch id of the path. */
const idParams = { type: 'object', properties: { id: { type: 'integer', minimum: 1 } } } as const;

export async function emulatorStatusBatchRoutes(app: FastifyInstance, { platform }: { platform: Platform }): Promise<void> {
  // This plugin's routes only (Fastify encapsulates a registered plugin's hooks).
  app.addHook('preValidation', integersFromStrings);

  app.get<{ Querystring: { limit: number; offset: number; rejectedLimit: number } }>(
    '/_emulator/status-batches',
    { schema: { querystring: listQuery } },
    async (request) => listStatusBatches(platform, { pspId: controlPspId(request), ...request.query }),
  );

  app.get<{ Params: { id: number }; Querystring: { rejectedLimit: number; rejectedOffset: number } }>(
    '/_emulator/status-batches/:id',
    { schema: { params: idParams, querystring: oneQuery } },
    async (request) => {
      const batch = await ownStatusBatch(platform, controlPspId(request), request.params.id);
      return statusBatchView(platform, batch, { limit: request.query.rejectedLimit, offset: request.query.rejectedOffset });
    },
  );

  // Only the calling PSP's batches: another PSP's, on the manual schedule, wait for its own run.
  app.post('/_emulator/status-batches/run', async (request) => {
    const pspId = controlPspId(request);
    if (platform.config.statusBatchSchedule === 'never') throw new ApiError('STATUS_BATCHES_NEVER_APPLIED');
    const run = await applyPendingBatches(platform, { pspId });
    return {
      schedule: platform.config.statusBatchSchedule,
      applied: await statusBatchViews(
        platform,
        run.applied.map((a) => a.batchId),
      ),
      failed: await statusBatchViews(
        platform,
        run.failed.map((f) => f.batchId),
      ),
    };
  });

  // After the cause of a failure is fixed (our bug, or a database that was full), the batch can
  // be applied again: it goes back in the queue, and the schedule (or /run) applies it.
  app.post<{ Params: { id: number } }>('/_emulator/status-batches/:id/retry', { schema: { params: idParams } }, async (request) => {
    return retryStatusBatch(platform, controlPspId(request), request.params.id);
  });
}
