/**
 * `vipps-psp-emulator/client`: a TypeScript client for the Vipps MobilePay PSP API v3, the access
 * token API and the PSP Merchant API, plus helpers for the PSP's own makePaymentUrl endpoint.
 * Depends on nothing but Node's built-ins; works against the emulator and the real platform.
 * See docs/client.md.
 */
export {
  VippsApiError,
  VippsAuthError,
  type VippsAuthErrorSource,
  VippsError,
  type VippsErrorInit,
  VippsNetworkError,
  VippsProblemError,
  type VippsRequestInfo,
  VippsTimeoutError,
} from './errors.js';
export type { FetchFunction } from './http.js';
export {
  type AcceptedMakePaymentRequest,
  checkMakePaymentAuthorization,
  type MakePaymentRequest,
  type MakePaymentResponse,
  type MakePaymentStatus,
  MakePaymentValidationError,
  makePaymentFail,
  makePaymentNotAccepted,
  makePaymentOk,
  makePaymentSoftDecline,
  type NetworkToken,
  type NotAcceptedMakePaymentRequest,
  type Operation3DSecure,
  operationUrl,
  type PaymentInstrument,
  type PaymentState,
  parseMakePaymentRequest,
  type ThreeDSecureOperation,
  type TokenType,
} from './make-payment.js';
export type {
  CreateMerchantRequest,
  CreateMerchantResponse,
  GetMerchantsResponse,
  Merchant,
  MerchantAddress,
  MerchantStatus,
  ProblemDetails,
  UpdateMerchantRequest,
} from './merchant-types.js';
export {
  DEFAULT_TIMEOUT_MS,
  type IdempotencyOption,
  type MerchantOption,
  PspClient,
  type PspClientConfig,
  VIPPS_PRODUCTION_BASE_URL,
  VIPPS_TEST_BASE_URL,
} from './psp-client.js';
export { isPspErrorId, PSP_ERROR_IDS, type PspErrorId, type PspErrorIdEntry } from './psp-error-ids.js';
export { forceApproveToken } from './redirect-token.js';
export type {
  AccessTokenResponse,
  Currency,
  ErrorDetails,
  ForceApproveRequest,
  InitiatePaymentRequest,
  Ore,
  PaymentDetailsRepresentation,
  PaymentInitiationRepresentation,
  PaymentTransactionDetails,
  TransactionInfo,
  TransactionOperation,
  TransactionSummary,
  UpdateStatusResponse,
} from './types.js';
