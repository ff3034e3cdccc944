/** Control API (test profile): payments and test users. Documented in the README. */
import type { FastifyInstance } from 'fastify';
import type { Platform } from '../../platform.js';
import { addTestUser, approveAsUser, cancelAsUser, paymentView } from '../../services/control.js';
import { listUsers } from '../../services/wallet-views.js';
import { header } from '../psp-auth.js';

const idParams = { type: 'object', required: ['pspTransactionId'], properties: { pspTransactionId: { type: 'string', minLength: 1 } } };

export async function emulatorPaymentRoutes(app: FastifyInstance, { platform }: { platform: Platform }): Promise<void> {
  app.get<{ Params: { pspTransactionId: string } }>(
    '/_emulator/payments/:pspTransactionId',
    { schema: { params: idParams } },
    async (request) => paymentView(platform, header(request, 'psp-id'), request.params.pspTransactionId),
  );

  app.post<{ Params: { pspTransactionId: string }; Body: { phoneNumber?: string; cardId?: string } | undefined }>(
    '/_emulator/payments/:pspTransactionId/approve',
    {
      schema: {
        params: idParams,
        body: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: { phoneNumber: { type: 'string', pattern: '^\\d{8}$' }, cardId: { type: 'string', minLength: 1 } },
        },
      },
    },
    async (request) => {
      const body = request.body ?? {};
      return approveAsUser(platform, header(request, 'psp-id'), request.params.pspTransactionId, {
        ...(body.phoneNumber ? { phoneNumber: body.phoneNumber } : {}),
        ...(body.cardId ? { cardId: body.cardId } : {}),
      });
    },
  );

  app.post<{ Params: { pspTransactionId: string } }>(
    '/_emulator/payments/:pspTransactionId/cancel',
    { schema: { params: idParams } },
    async (request) => cancelAsUser(platform, header(request, 'psp-id'), request.params.pspTransactionId),
  );

  app.get('/_emulator/users', async () => ({ users: await listUsers(platform) }));

  app.post('/_emulator/users', async (request, reply) => {
    const { created, user } = await addTestUser(platform, request.body);
    return reply.code(created ? 201 : 200).send(user);
  });
}
