/** PSP API v3 payment routes (psp-v3.yaml): init and details. */
import type { FastifyInstance, preValidationAsyncHookHandler } from 'fastify';
import type { InitRequestBody } from '../../domain/init-request.js';
import { amountFromJson } from '../../domain/money.js';
import type { Platform } from '../../platform.js';
import { initiatePayment } from '../../services/initiate-payment.js';
import { getPaymentDetails } from '../../services/payment-details.js';
import { PSP_JSON } from '../error-handler.js';
import { idempotencyKeyOf, pspAuth, pspContextOf } from '../psp-auth.js';
import { initiatePaymentRequestSchema, paymentDetailsSchema, paymentInitiationSchema, pspTransactionIdParams } from '../schemas.js';

/**
 * Before the schema (which coerces nothing, see app.ts): an amount sent as a string of digits
 * becomes the number it spells (psp-facts.md §2.2). Anything else ("49900.0", " 49900", "1e4",
 * "0x1F40", [49900], true) is left for the schema to refuse with the `amount` code.
 */
const amountAsNumber: preValidationAsyncHookHandler = async (request) => {
  const body = request.body as Record<string, unknown> | null | undefined;
  if (body !== null && typeof body === 'object' && !Array.isArray(body) && 'amount' in body) body.amount = amountFromJson(body.amount);
};

export async function pspPaymentRoutes(app: FastifyInstance, { platform }: { platform: Platform }): Promise<void> {
  app.post<{ Body: InitRequestBody }>(
    '/psp/v3/psppayments/init',
    {
      onRequest: pspAuth(platform, { msn: 'active', pspIdRequired: true }),
      preValidation: amountAsNumber,
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
