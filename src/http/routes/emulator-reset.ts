/**
 * Control API (test profile): `POST /_emulator/reset` (services/reset.ts). Body `{"pspId": "…"}`
 * (or the `Psp-Id` header) resets one PSP; neither resets everything.
 */
import type { FastifyInstance } from 'fastify';
import type { Platform } from '../../platform.js';
import { resetPlatform } from '../../services/reset.js';
import { header } from '../psp-auth.js';

export async function emulatorResetRoutes(app: FastifyInstance, { platform }: { platform: Platform }): Promise<void> {
  app.post<{ Body: { pspId?: string } | undefined }>(
    '/_emulator/reset',
    {
      schema: {
        body: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: { pspId: { type: 'string', minLength: 1, maxLength: 64 } },
        },
      },
    },
    async (request) => resetPlatform(platform, request.body?.pspId ?? header(request, 'psp-id')),
  );
}
