/**
 * Force approve (psp-facts.md §2.10), test profile only: the user confirms with their default
 * card, through the same engine as the app, magic amounts included. Answers 200 (no body) once the
 * makePayment outcome is known. §2.10 documents no 404 and no 409: an unknown payment and one that
 * is no longer pending answer 400 with the ErrorDetails array (docs/approval-engine.md).
 */
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../domain/errors.js';
import type { Platform } from '../../platform.js';
import { findPaymentOfPsp } from '../../services/control.js';
import { pspAuth, pspContextOf } from '../psp-auth.js';

export async function forceApproveRoutes(app: FastifyInstance, { platform }: { platform: Platform }): Promise<void> {
  app.post<{ Params: { pspTransactionId: string }; Body: { customerPhoneNumber: string; token: string } }>(
    '/psp/v3/integration-test/psppayments/:pspTransactionId/approve',
    {
      onRequest: pspAuth(platform, { msn: 'owned', pspIdRequired: true }),
      schema: {
        params: { type: 'object', properties: { pspTransactionId: { type: 'string', minLength: 1 } } },
        body: {
          type: 'object',
          required: ['customerPhoneNumber', 'token'],
          properties: { customerPhoneNumber: { type: 'string', pattern: '^\\d{8}$' }, token: { type: 'string', minLength: 1 } },
        },
      },
    },
    async (request, reply) => {
      const { psp } = pspContextOf(request);
      const payment = await findPaymentOfPsp(platform, psp.pspId, request.params.pspTransactionId);
      // Another PSP's payment is not found either: it answers exactly like an unknown id.
      if (!payment) throw new ApiError('FORCE_APPROVE_PAYMENT_NOT_FOUND');
      const verified = await platform.landingTokens.verify(request.body.token);
      const paymentId = verified.ok ? verified.claims.paymentId : verified.paymentId;
      // An expired link token still names the payment; the engine then answers for its state.
      if (paymentId !== payment.id) throw new ApiError('FORCE_APPROVE_TOKEN_INVALID');
      try {
        await platform.userActions.approve(payment.id, { phoneNumber: request.body.customerPhoneNumber });
      } catch (error) {
        if (error instanceof ApiError && error.key === 'PAYMENT_NOT_PENDING') throw new ApiError('FORCE_APPROVE_PAYMENT_NOT_PENDING');
        throw error;
      }
      return reply.code(200).send();
    },
  );
}
