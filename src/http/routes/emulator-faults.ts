/**
 * Control API (test profile): fault injection (services/faults.ts, docs/inspector.md "Faults").
 *   GET    /_emulator/faults        active faults (`Psp-Id` filters; without it, every PSP's)
 *   POST   /_emulator/faults        creates one for the `Psp-Id` PSP → 201
 *   GET    /_emulator/faults/{id}   one fault; `Psp-Id` required, another PSP's is unknown
 *   DELETE /_emulator/faults/{id}   removes it → 204
 */
import type { FastifyInstance } from 'fastify';
import type { Platform } from '../../platform.js';
import { createFault, deleteFault, getFault, listFaults } from '../../services/faults.js';
import { header } from '../psp-auth.js';

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } } as const;

export async function emulatorFaultRoutes(app: FastifyInstance, { platform }: { platform: Platform }): Promise<void> {
  app.get('/_emulator/faults', async (request) => ({ faults: await listFaults(platform, header(request, 'psp-id')) }));

  // The body is checked by domain/faults.ts (one place, shared with the inspector's form).
  app.post('/_emulator/faults', async (request, reply) =>
    reply.code(201).send(await createFault(platform, header(request, 'psp-id'), request.body ?? {})),
  );

  app.get<{ Params: { id: string } }>('/_emulator/faults/:id', { schema: { params: idParams } }, async (request) =>
    getFault(platform, header(request, 'psp-id'), request.params.id),
  );

  app.delete<{ Params: { id: string } }>('/_emulator/faults/:id', { schema: { params: idParams } }, async (request, reply) => {
    await deleteFault(platform, header(request, 'psp-id'), request.params.id);
    return reply.code(204).send();
  });
}
