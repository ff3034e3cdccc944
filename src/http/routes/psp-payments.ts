/** PSP API v3 payment routes (psp-v3.yaml): init and details. */
import type { FastifyInstance } from 'fastify';
import type { InitRequestBody } from '../../domain/init-request.js';
import type { Platform } from '../../platform.js';
import { initiatePayment } from '../../services/initiate-payment.js';
import { getPaymentDetails } from '../../services/payment-details.js';
import { PSP_JSON } from '../error-handler.js';
import { idempotencyKeyOf, pspAuth, pspContextOf } from '../psp-auth.js';
import { initiatePaymentRequestSchema, paymentDetailsSchema, paymentInitiationSchema, pspTransactionIdParams } from '../schemas.js';

export async function pspPaymentRoutes(app: FastifyInstance, { platform }: { platform: Platform }): Promise<void> {
  app.post<{ Body: InitRequestBody }>(
    '/psp/v3/psppayments/init',
    {
      onRequest: pspAuth(platform, { msn: 'active', pspIdRequired: true }),
      schema: {
        body: initiatePaymentRequestSchema,
        response: { 200: paymentInitiationSchema },
      },
      config: {
        fieldErrors: {
          amount: 'AMOUNT_INVALID',
          currency: 'CURRENCY_INVALID',
          pspRedirectUrl: 'INVALID_PSP_REDIRECT_URL',
          makePaymentUrl: 'MAKE_PAYMENT_URL_INVALID',
        },
      },
    },
    async (request, reply) => {
      const { psp, merchant } = pspContextOf(request);
      if (!merchant) throw new Error('init without merchant');
      const response = await initiatePayment(platform, {
        psp,
        merchant,
        body: request.body,
        idempotencyKey: idempotencyKeyOf(request),
      });
      // The body is already serialised (and stored for idempotent replays): send it as is.
      return reply.code(response.statusCode).type(PSP_JSON).send(response.body);
    },
  );

  app.get<{ Params: { pspTransactionId: string } }>(
    '/psp/v3/psppayments/:pspTransactionId/details',
    {
      onRequest: pspAuth(platform, { msn: 'owned', pspIdRequired: true }),
      schema: { params: pspTransactionIdParams, response: { 200: paymentDetailsSchema } },
    },
    async (request, reply) => {
      const { psp } = pspContextOf(request);
      const details = await getPaymentDetails(platform, psp.pspId, request.params.pspTransactionId);
      return reply.type('application/json').send(details);
    },
  );
}
