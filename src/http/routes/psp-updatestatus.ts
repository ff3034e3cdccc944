/**
 * `POST /psp/v3/psppayments/updatestatus` (psp-v3.yaml `PaymentStatus`; psp-facts.md §2.8). Also
 * `/updateStatus`, as the official Postman collection spells it (routing is case-insensitive).
 * A valid batch is stored and answered 9000 SUCCESS; the status batch job applies it later.
 */
import type { FastifyInstance, FastifyRequest, preValidationAsyncHookHandler } from 'fastify';
import { ApiError } from '../../domain/errors.js';
import { amountFromJson, INT32_MAX, type Ore } from '../../domain/money.js';
import { LOG_OPERATIONS, type LogOperation } from '../../domain/payment.js';
import { OPERATION_STATUSES, type OperationStatus } from '../../domain/payment-money.js';
import type { StatusItemRecord } from '../../domain/status-batch.js';
import type { Platform } from '../../platform.js';
import { receiveStatusBatch } from '../../services/receive-status-batch.js';
import { idempotencyKeyOf, pspAuth, pspContextOf } from '../psp-auth.js';

/** Items per batch: far more than a night's worth for most PSPs; the body limit binds first. */
export const MAX_TRANSACTIONS_PER_BATCH = 100_000;

interface TransactionInfoBody {
  pspTransactionId: string;
  status: LogOperation;
  amount: number;
  currency?: string;
  paymentText?: string;
  operationStatus?: OperationStatus;
}

const paymentStatusSchema = {
  type: 'object',
  required: ['transactions'],
  properties: {
    transactions: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_TRANSACTIONS_PER_BATCH,
      items: {
        type: 'object',
        required: ['pspTransactionId', 'status', 'amount'],
        properties: {
          // No pattern in the spec for TransactionInfo; the length bounds what we store.
          pspTransactionId: { type: 'string', minLength: 1, maxLength: 255 },
          status: { type: 'string', enum: [...LOG_OPERATIONS] },
          // int32 øre; a digit string was turned into its number before (rejectCoercibleScalars).
          amount: { type: 'integer', minimum: 0, maximum: INT32_MAX },
          // Anything but NOK is rejected per item when applied (as the real batch validates later).
          currency: { type: 'string', maxLength: 16 },
          paymentText: { type: 'string', maxLength: 255 },
          operationStatus: { type: 'string', enum: [...OPERATION_STATUSES] },
        },
      },
    },
  },
} as const;

const responseSchema = {
  type: 'object',
  properties: {
    responseInfo: { type: 'object', properties: { responseCode: { type: 'string' }, responseMessage: { type: 'string' } } },
  },
} as const;

const STRING_FIELDS = ['pspTransactionId', 'status', 'currency', 'paymentText', 'operationStatus'] as const;
const OPTIONAL_FIELDS = new Set<string>(['currency', 'paymentText', 'operationStatus']);

/**
 * Before the schema, which coerces nothing (app.ts): the raw JSON types are checked here so the
 * error names the field as "must be integer/string". An amount must be a JSON number or a string
 * of decimal digits (the Postman collection sends "{{amount}}", psp-facts.md §2.8); a digit string
 * becomes its number, so "20000" and 20000 are the same batch. The other fields must be strings.
 * A null optional field counts as absent (as a Java/Jackson backend reads it).
 */
const rejectCoercibleScalars: preValidationAsyncHookHandler = async (request) => {
  const transactions = (request.body as { transactions?: unknown } | undefined)?.transactions;
  if (!Array.isArray(transactions)) return; // the schema says what is wrong
  for (let i = 0; i < transactions.length; i++) {
    const item = transactions[i] as Record<string, unknown> | null;
    if (item === null || typeof item !== 'object' || Array.isArray(item)) continue;
    if (item.amount !== undefined) {
      const amount = amountFromJson(item.amount);
      if (typeof amount !== 'number') throw new ApiError('INVALID_REQUEST', {}, `transactions.${i}.amount must be integer`);
      item.amount = amount;
    }
    for (const field of STRING_FIELDS) {
      const value = item[field];
      if (value === null && OPTIONAL_FIELDS.has(field)) delete item[field];
      else if (value !== undefined && typeof value !== 'string') {
        throw new ApiError('INVALID_REQUEST', {}, `transactions.${i}.${field} must be string`);
      }
    }
  }
};

const toItem = (t: TransactionInfoBody): StatusItemRecord => ({
  pspTransactionId: t.pspTransactionId,
  status: t.status,
  amount: t.amount as Ore,
  currency: t.currency ?? 'NOK',
  paymentText: t.paymentText ?? null,
  operationStatus: t.operationStatus ?? 'SUCCESS',
});

export async function pspUpdateStatusRoutes(app: FastifyInstance, { platform }: { platform: Platform }): Promise<void> {
  /** Requests whose batch the `immediate` schedule applies once the answer is sent. */
  const applyAfterAnswer = new WeakSet<FastifyRequest>();

  app.post<{ Body: { transactions: TransactionInfoBody[] } }>(
    '/psp/v3/psppayments/updatestatus',
    {
      onRequest: pspAuth(platform, { msn: 'owned', pspIdRequired: true }),
      preValidation: rejectCoercibleScalars,
      // Batches of 10 000+ transactions: this route alone has the larger limit.
      bodyLimit: platform.config.updateStatusBodyLimitBytes,
      schema: { body: paymentStatusSchema, response: { 200: responseSchema } },
      // `immediate`: apply right after answering, without making the PSP wait for it (the
      // scheduler's run is not awaited; its errors go to the log).
      onResponse: async (request) => {
        if (applyAfterAnswer.has(request)) void platform.scheduler.runDue();
      },
    },
    async (request, reply) => {
      const { psp, merchant } = pspContextOf(request);
      const received = await receiveStatusBatch(platform, {
        pspId: psp.pspId,
        merchantSerialNumber: merchant?.merchantSerialNumber ?? null,
        items: request.body.transactions.map(toItem),
        idempotencyKey: idempotencyKeyOf(request),
      });
      if (received.pending && platform.config.statusBatchSchedule === 'immediate') applyAfterAnswer.add(request);
      return reply.code(received.statusCode).type('application/json').send(received.body);
    },
  );
}
