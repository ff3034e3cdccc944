/**
 * Control API (test profile): the go-live checklist report of one PSP (src/services/checklist.ts).
 *   GET /_emulator/checklist            JSON; `Psp-Id` names the PSP
 *   GET /_emulator/checklist?format=text  the same as a readable table
 */
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../domain/errors.js';
import type { Platform } from '../../platform.js';
import { buildChecklist, formatChecklist } from '../../services/checklist.js';
import { findPspByIdHeader } from '../../services/control.js';
import { header } from '../psp-auth.js';

export async function emulatorChecklistRoutes(app: FastifyInstance, { platform }: { platform: Platform }): Promise<void> {
  app.get<{ Querystring: { format: 'json' | 'text' } }>(
    '/_emulator/checklist',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { format: { type: 'string', enum: ['json', 'text'], default: 'json' } },
        },
      },
    },
    async (request, reply) => {
      const pspIdHeader = header(request, 'psp-id');
      if (!pspIdHeader) throw new ApiError('INVALID_REQUEST', {}, 'the Psp-Id header is required');
      const psp = await findPspByIdHeader(platform, pspIdHeader);
      if (!psp) throw new ApiError('INVALID_REQUEST', {}, 'no PSP has this Psp-Id');
      const report = await buildChecklist(platform, psp.pspId);
      if (request.query.format === 'text') return reply.type('text/plain; charset=utf-8').send(formatChecklist(report));
      return reply.type('application/json').send(report);
    },
  );
}
