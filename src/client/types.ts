/**
 * Wire types of the PSP API v3 (spec/psp-v3.yaml 1.0.21) and the access token API
 * (spec/access-token.yaml 2.0.0), as the client sends and receives them. Amounts are integers in
 * øre (1 NOK = 100 øre). Field comments name the fact sheet section (psp-facts.md) they follow.
 */

/** An amount in minor units: an integer number of øre (psp-facts.md §2.11). */
export type Ore = number;

/** Only NOK is supported (§2.2). */
export type Currency = 'NOK';

/** `POST /accesstoken/get` 200 body: every value is a string, even the numbers (§1.1). */
export interface AccessTokenResponse {
  readonly token_type: string;
  /** Lifetime in seconds. */
  readonly expires_in: string;
  readonly ext_expires_in: string;
  /** Expiry, epoch seconds. */
  readonly expires_on: string;
  /** Creation time, epoch seconds. */
  readonly not_before: string;
  readonly resource: string;
  readonly access_token: string;
}

/** `InitiatePaymentRequest` (§2.2). */
export interface InitiatePaymentRequest {
  /** Unique per PSP; at most 36 characters. */
  pspTransactionId: string;
  /** Unique per merchant (MSN); `^[a-zA-Z0-9-]{1,50}$`. */
  merchantOrderId: string;
  /** Eight digits, no country code; required with `skipLandingPage`. */
  customerMobileNumber?: string;
  /** Integer øre, at least 100. */
  amount: Ore;
  /** Required by the spec with the default NOK; the client sends `NOK` when it is left out. */
  currency?: Currency;
  /** Where the app sends the user afterwards (best effort, §2.13). */
  pspRedirectUrl: string;
  /** The PSP's endpoint that receives the network token (§2.5). */
  makePaymentUrl: string;
  /** Sent back verbatim as the `Authorization` header of the makePayment call; at most 255 characters. */
  makePaymentToken?: string;
  /** Shown to the user; keep it within 100 characters. */
  paymentText?: string;
  /** `true` → `vippsRedirectUrl` is an app deeplink (`vipps://`, `vippsMT://` in test). */
  isApp?: boolean;
  /** Whitelisted sales units only; needs `customerMobileNumber`. */
  skipLandingPage?: boolean;
  /** Leftover of PSP recurring (historic, §2.12). */
  merchantAgreementUrl?: string;
}

/** `PaymentInitiationRepresentation`: the answer to init (§2.2). */
export interface PaymentInitiationRepresentation {
  readonly pspTransactionId: string;
  readonly merchantOrderId: string;
  /** Landing page URL or app deeplink; use it exactly as returned, it is valid 5 minutes. */
  readonly vippsRedirectUrl: string;
}

export type TransactionOperation = 'RESERVED' | 'CAPTURED' | 'CANCELLED' | 'REFUNDED';

/** `TransactionSummary` (§2.9). */
export interface TransactionSummary {
  readonly capturedAmount: Ore;
  readonly remainingAmountToCapture: Ore;
  readonly refundedAmount: Ore;
  readonly remainingAmountToRefund: Ore;
}

/** `PaymentTransactionDetails`: one entry of the details history (§2.9). */
export interface PaymentTransactionDetails {
  readonly amount: Ore;
  readonly paymentText?: string;
  /** ISO-8601 with offset, e.g. `2018-06-13T18:34:25-07:00`. */
  readonly timeStamp: string;
  readonly operation: TransactionOperation;
  readonly operationSuccess: boolean;
}

/** `PaymentDetailsRepresentation` (§2.9). */
export interface PaymentDetailsRepresentation {
  readonly pspTransactionId: string;
  readonly merchantOrderId: string;
  /**
   * Optional in the type: the spec requires no field here, and the eCom API (same backend) leaves
   * the summary out when the user never acted (§2.9 ⚠). The emulator always sends it.
   */
  readonly transactionSummary?: TransactionSummary;
  readonly transactionLogHistory: readonly PaymentTransactionDetails[];
}

/** `TransactionInfo`: one status update in `updatestatus` (§2.8). */
export interface TransactionInfo {
  pspTransactionId: string;
  status: TransactionOperation;
  /** This operation's amount in øre. */
  amount: Ore;
  currency?: Currency;
  paymentText?: string;
  /** Default `SUCCESS`. */
  operationStatus?: 'FAILED' | 'SUCCESS';
}

/** `Response`: the 200 body of `updatestatus`, `{"responseInfo":{"responseCode":"9000","responseMessage":"SUCCESS"}}` (§2.8). */
export interface UpdateStatusResponse {
  readonly responseInfo: {
    readonly responseCode: string;
    readonly responseMessage: string;
  };
}

/** `ForceApproveRequest` (§2.10). */
export interface ForceApproveRequest {
  /** Eight digits. */
  customerPhoneNumber: string;
  /** The `token` query parameter of `vippsRedirectUrl` (see `forceApproveToken`). */
  token: string;
}

/** `ErrorDetails`: one entry of the PSP API's error array (§2.3). */
export interface ErrorDetails {
  readonly errorCode: string;
  readonly errorMessage: string;
  readonly contextId?: string;
}
