/**
 * `PspClient`: the PSP's side of the PSP API v3, the access token API and the PSP Merchant API
 * (psp-facts.md §1, §2, §3). Works against this emulator and the real platform alike: the base
 * URL and the credentials are configuration.
 */
import { AccessTokenCache } from './access-token.js';
import { VippsError } from './errors.js';
import { assertOk, exchange, type FetchFunction, type HttpResponse, jsonBody } from './http.js';
import type {
  CreateMerchantRequest,
  CreateMerchantResponse,
  GetMerchantsResponse,
  Merchant,
  UpdateMerchantRequest,
} from './merchant-types.js';
import type {
  AccessTokenResponse,
  ForceApproveRequest,
  InitiatePaymentRequest,
  PaymentDetailsRepresentation,
  PaymentInitiationRepresentation,
  TransactionInfo,
  UpdateStatusResponse,
} from './types.js';

/** The test environment ("MT"), §1.1. */
export const VIPPS_TEST_BASE_URL = 'https://apitest.vipps.no';
/** Production, §1.1. */
export const VIPPS_PRODUCTION_BASE_URL = 'https://api.vipps.no';

export const DEFAULT_TIMEOUT_MS = 10_000;

export interface PspClientConfig {
  /** Scheme and host (and any path prefix) in front of `/accesstoken/get`, `/psp/v3/…`, e.g. `https://apitest.vipps.no`. */
  readonly baseUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The PSP's subscription key (`Ocp-Apim-Subscription-Key`), the same for all its merchants. */
  readonly subscriptionKey: string;
  /** Sent as `Psp-Id`. */
  readonly pspId: string;
  /** Default `Merchant-Serial-Number` of the PSP API calls; each call can override it. */
  readonly merchantSerialNumber?: string;
  /** Deadline of each HTTP request, headers and body (default 10 000). */
  readonly timeoutMs?: number;
  /** `Vipps-System-Name`, at most 30 characters. */
  readonly systemName?: string;
  /** `Vipps-System-Version`, at most 30 characters. */
  readonly systemVersion?: string;
  /** The fetch to use (default: the global fetch). */
  readonly fetch?: FetchFunction;
  /** The clock for the token's expiry, epoch ms (default Date.now). */
  readonly now?: () => number;
}

export interface MerchantOption {
  /** Overrides the configured default `Merchant-Serial-Number`. */
  readonly merchantSerialNumber?: string;
}

export interface IdempotencyOption {
  /** Sent as `Idempotency-Key`: a retry with the same key and body gets the first answer. */
  readonly idempotencyKey?: string;
}

type Method = 'GET' | 'POST' | 'PATCH';

interface Call {
  readonly method: Method;
  readonly path: string;
  /** The Merchant-Serial-Number header, or null for APIs without it. */
  readonly merchantSerialNumber: string | null;
  readonly body?: unknown;
  readonly contentType?: string;
  readonly idempotencyKey?: string | undefined;
}

/** The init and force approve operations declare this content type (§2.1). */
const PSP_JSON = 'application/json;charset=UTF-8';
const JSON_TYPE = 'application/json';
const MERCHANTS_PATH = '/merchant-management/psp/v1/merchants';

function requireText(config: PspClientConfig, field: keyof PspClientConfig): string {
  const value = config[field];
  if (typeof value !== 'string' || value.trim() === '') throw new TypeError(`PspClient: ${field} must be a non-empty string`);
  return value;
}

function optionalHeader(config: PspClientConfig, field: 'systemName' | 'systemVersion'): string | undefined {
  const value = config[field];
  if (value === undefined) return undefined;
  // psp-v3.yaml: maxLength 30.
  if (typeof value !== 'string' || value === '' || value.length > 30) {
    throw new TypeError(`PspClient: ${field} must be 1 to 30 characters`);
  }
  return value;
}

export class PspClient {
  private readonly baseUrl: string;
  private readonly clientId: string;
  private readonly clientSecret: string;
  private readonly subscriptionKey: string;
  private readonly pspId: string;
  private readonly defaultMsn: string | undefined;
  private readonly timeoutMs: number;
  private readonly systemHeaders: Readonly<Record<string, string>>;
  private readonly fetchFn: FetchFunction;
  private readonly tokens: AccessTokenCache;

  constructor(config: PspClientConfig) {
    const baseUrl = requireText(config, 'baseUrl');
    if (!URL.canParse(baseUrl) || !/^https?:$/.test(new URL(baseUrl).protocol)) {
      throw new TypeError(`PspClient: baseUrl must be an http(s) URL, got ${JSON.stringify(baseUrl)}`);
    }
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.clientId = requireText(config, 'clientId');
    this.clientSecret = requireText(config, 'clientSecret');
    this.subscriptionKey = requireText(config, 'subscriptionKey');
    this.pspId = requireText(config, 'pspId');
    this.defaultMsn = config.merchantSerialNumber === undefined ? undefined : requireText(config, 'merchantSerialNumber');
    const timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new TypeError('PspClient: timeoutMs must be a positive integer');
    this.timeoutMs = timeoutMs;
    const systemName = optionalHeader(config, 'systemName');
    const systemVersion = optionalHeader(config, 'systemVersion');
    this.systemHeaders = {
      ...(systemName ? { 'Vipps-System-Name': systemName } : {}),
      ...(systemVersion ? { 'Vipps-System-Version': systemVersion } : {}),
    };
    this.fetchFn = config.fetch ?? ((input, init) => fetch(input, init));
    this.tokens = new AccessTokenCache(() => this.fetchAccessToken(), config.now ?? Date.now);
  }

  // --- access token (§1.1) ---

  /** A valid access token (cached; renewed when less than 60 s remain). */
  getAccessToken(): Promise<string> {
    return this.tokens.get();
  }

  private async fetchAccessToken(): Promise<AccessTokenResponse> {
    // A POST without a body; Psp-Id is not sent on the token call (§1.1).
    const response = await exchange(
      this.fetchFn,
      {
        method: 'POST',
        url: `${this.baseUrl}/accesstoken/get`,
        headers: {
          client_id: this.clientId,
          client_secret: this.clientSecret,
          'Ocp-Apim-Subscription-Key': this.subscriptionKey,
          ...this.systemHeaders,
        },
      },
      this.timeoutMs,
    );
    assertOk(response);
    const token = jsonBody<AccessTokenResponse>(response);
    if (typeof token?.access_token !== 'string' || token.access_token === '') {
      throw new VippsError('the access token response has no access_token', {
        status: response.status,
        body: response.text,
        request: response.request,
      });
    }
    return token;
  }

  // --- PSP API v3 (§2) ---

  /** `POST /psp/v3/psppayments/init` (§2.2). `currency` defaults to NOK. */
  async initiatePayment(
    request: InitiatePaymentRequest,
    options: MerchantOption & IdempotencyOption = {},
  ): Promise<PaymentInitiationRepresentation> {
    const response = await this.call({
      method: 'POST',
      path: '/psp/v3/psppayments/init',
      merchantSerialNumber: this.msn(options),
      body: { ...request, currency: request.currency ?? 'NOK' },
      contentType: PSP_JSON,
      idempotencyKey: options.idempotencyKey,
    });
    return jsonBody<PaymentInitiationRepresentation>(response);
  }

  /** `GET /psp/v3/psppayments/{pspTransactionId}/details` (§2.9). */
  async getPaymentDetails(pspTransactionId: string, options: MerchantOption = {}): Promise<PaymentDetailsRepresentation> {
    const response = await this.call({
      method: 'GET',
      path: `/psp/v3/psppayments/${encodeURIComponent(pspTransactionId)}/details`,
      merchantSerialNumber: this.msn(options),
    });
    return jsonBody<PaymentDetailsRepresentation>(response);
  }

  /**
   * `POST /psp/v3/psppayments/updatestatus` (§2.8): reports captures, cancels and refunds, many
   * at once. The 200 only means "accepted"; the platform applies them in a batch.
   */
  async updateStatus(
    transactions: readonly TransactionInfo[],
    options: MerchantOption & IdempotencyOption = {},
  ): Promise<UpdateStatusResponse> {
    const response = await this.call({
      method: 'POST',
      path: '/psp/v3/psppayments/updatestatus',
      merchantSerialNumber: this.msn(options),
      body: { transactions },
      contentType: JSON_TYPE,
      idempotencyKey: options.idempotencyKey,
    });
    return jsonBody<UpdateStatusResponse>(response);
  }

  /**
   * `POST /psp/v3/integration-test/psppayments/{pspTransactionId}/approve` (§2.10): approves the
   * payment as the test user would in the app. Test environment only; `token` comes from
   * `forceApproveToken(vippsRedirectUrl)`.
   */
  async forceApprove(pspTransactionId: string, request: ForceApproveRequest, options: MerchantOption = {}): Promise<void> {
    await this.call({
      method: 'POST',
      path: `/psp/v3/integration-test/psppayments/${encodeURIComponent(pspTransactionId)}/approve`,
      merchantSerialNumber: this.msn(options),
      body: { customerPhoneNumber: request.customerPhoneNumber, token: request.token },
      contentType: PSP_JSON,
    });
  }

  // --- PSP Merchant API (§3) ---

  /** `GET /merchant-management/psp/v1/merchants`: the PSP's merchants. */
  async listMerchants(): Promise<GetMerchantsResponse> {
    return jsonBody<GetMerchantsResponse>(await this.call({ method: 'GET', path: MERCHANTS_PATH, merchantSerialNumber: null }));
  }

  /** `GET /merchant-management/psp/v1/merchants/{merchantSerialNumber}`. */
  async getMerchant(merchantSerialNumber: string): Promise<Merchant> {
    const response = await this.call({
      method: 'GET',
      path: `${MERCHANTS_PATH}/${encodeURIComponent(merchantSerialNumber)}`,
      merchantSerialNumber: null,
    });
    return jsonBody<Merchant>(response);
  }

  /** `POST /merchant-management/psp/v1/merchants`; the `Idempotency-Key` is required by the API. */
  async createMerchant(request: CreateMerchantRequest, options: { readonly idempotencyKey: string }): Promise<CreateMerchantResponse> {
    if (typeof options?.idempotencyKey !== 'string' || options.idempotencyKey === '') {
      throw new TypeError('createMerchant: an idempotencyKey is required');
    }
    const response = await this.call({
      method: 'POST',
      path: MERCHANTS_PATH,
      merchantSerialNumber: null,
      body: request,
      contentType: JSON_TYPE,
      idempotencyKey: options.idempotencyKey,
    });
    return jsonBody<CreateMerchantResponse>(response);
  }

  /** `PATCH /merchant-management/psp/v1/merchants/{merchantSerialNumber}` (200, no body). */
  async updateMerchant(merchantSerialNumber: string, patch: UpdateMerchantRequest, options: IdempotencyOption = {}): Promise<void> {
    await this.call({
      method: 'PATCH',
      path: `${MERCHANTS_PATH}/${encodeURIComponent(merchantSerialNumber)}`,
      merchantSerialNumber: null,
      body: patch,
      contentType: JSON_TYPE,
      idempotencyKey: options.idempotencyKey,
    });
  }

  // --- plumbing ---

  private msn(options: MerchantOption): string {
    const msn = options.merchantSerialNumber ?? this.defaultMsn;
    if (msn === undefined || msn === '') {
      throw new TypeError('PspClient: no merchantSerialNumber: set one in the config or pass it to the call');
    }
    return msn;
  }

  /**
   * One business call with the bearer token. A 401 is answered once by renewing the token and
   * sending the request again: the platform refused the request before acting on it.
   */
  private async call(call: Call): Promise<HttpResponse> {
    for (let attempt = 1; ; attempt += 1) {
      const token = await this.tokens.get();
      const response = await exchange(
        this.fetchFn,
        {
          method: call.method,
          url: `${this.baseUrl}${call.path}`,
          headers: this.headers(call, token),
          ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
        },
        this.timeoutMs,
      );
      if (response.status === 401 && attempt === 1) {
        this.tokens.invalidate(token);
        continue;
      }
      assertOk(response);
      return response;
    }
  }

  private headers(call: Call, token: string): Record<string, string> {
    return {
      Authorization: `Bearer ${token}`,
      'Ocp-Apim-Subscription-Key': this.subscriptionKey,
      'Psp-Id': this.pspId,
      ...(call.merchantSerialNumber === null ? {} : { 'Merchant-Serial-Number': call.merchantSerialNumber }),
      ...(call.body === undefined ? {} : { 'Content-Type': call.contentType ?? JSON_TYPE }),
      ...(call.idempotencyKey ? { 'Idempotency-Key': call.idempotencyKey } : {}),
      ...this.systemHeaders,
    };
  }
}
