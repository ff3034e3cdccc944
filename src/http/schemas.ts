/**
 * JSON schemas of the PSP API v3 (psp-v3.yaml 1.0.21), compiled by Fastify for validation and
 * serialisation. Request schemas check types and patterns; the rules that need the merchant or
 * the profile (URL rules, skipLandingPage) are in domain/init-request.ts.
 */
import { INT32_MAX } from '../domain/money.js';

export const errorDetailsSchema = {
  type: 'array',
  items: {
    type: 'object',
    properties: { errorCode: { type: 'string' }, errorMessage: { type: 'string' }, contextId: { type: 'string' } },
  },
} as const;

export const initiatePaymentRequestSchema = {
  type: 'object',
  // psp-v3.yaml lists currency as required (its `default: NOK` notwithstanding; psp-facts.md §2.2).
  required: ['pspTransactionId', 'merchantOrderId', 'amount', 'currency', 'pspRedirectUrl', 'makePaymentUrl'],
  properties: {
    // The spec's pattern "[a-z0-9]" is unanchored; official examples use mixed case (§2.2).
    pspTransactionId: { type: 'string', minLength: 1, maxLength: 36, pattern: '^[A-Za-z0-9-]+$' },
    merchantOrderId: { type: 'string', minLength: 1, maxLength: 50, pattern: '^[a-zA-Z0-9-]{1,50}$' },
    customerMobileNumber: { type: 'string', pattern: '^\\d{8}$' },
    // Integer øre (a digit string is turned into its number before the schema, routes/psp-payments.ts;
    // nothing else is coerced). The range is checked in the domain.
    amount: { type: 'integer', minimum: -1, maximum: INT32_MAX + 1 },
    currency: { type: 'string' },
    pspRedirectUrl: { type: 'string', minLength: 1, maxLength: 2048 },
    makePaymentUrl: { type: 'string', minLength: 1, maxLength: 2048 },
    makePaymentToken: { type: 'string', maxLength: 255 },
    paymentText: { type: 'string', maxLength: 100 },
    isApp: { type: 'boolean' },
    skipLandingPage: { type: 'boolean' },
    merchantAgreementUrl: { type: 'string', maxLength: 2048 },
  },
} as const;

export const paymentInitiationSchema = {
  type: 'object',
  properties: {
    pspTransactionId: { type: 'string' },
    merchantOrderId: { type: 'string' },
    vippsRedirectUrl: { type: 'string' },
  },
} as const;

export const paymentDetailsSchema = {
  type: 'object',
  properties: {
    pspTransactionId: { type: 'string' },
    merchantOrderId: { type: 'string' },
    transactionSummary: {
      type: 'object',
      properties: {
        capturedAmount: { type: 'integer' },
        remainingAmountToCapture: { type: 'integer' },
        refundedAmount: { type: 'integer' },
        remainingAmountToRefund: { type: 'integer' },
      },
    },
    transactionLogHistory: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          amount: { type: 'integer' },
          paymentText: { type: 'string' },
          timeStamp: { type: 'string' },
          operation: { type: 'string' },
          operationSuccess: { type: 'boolean' },
        },
      },
    },
  },
} as const;

export const pspTransactionIdParams = {
  type: 'object',
  required: ['pspTransactionId'],
  properties: { pspTransactionId: { type: 'string', minLength: 1 } },
} as const;
