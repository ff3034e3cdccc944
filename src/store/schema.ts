/**
 * Table types for Kysely. Column types are portable between SQLite and PostgreSQL: text,
 * integer, and booleans as integer 0/1; timestamps are ISO-8601 UTC strings
 * (`2026-11-21T02:47:28.123Z`), which sort lexicographically.
 */
import type { Generated } from 'kysely';

export interface SigningKeysTable {
  kid: string;
  private_jwk: string;
  public_jwk: string;
  created_at: string;
}

export interface PspsTable {
  psp_id: string;
  name: string;
  client_id: string;
  /** sha-256 (hex) of the client secret; the secret itself is never stored. */
  client_secret_sha256: string;
  /** sha-256 (hex) of the subscription key. */
  subscription_key_sha256: string;
  created_at: string;
}

export interface MerchantsTable {
  merchant_serial_number: string;
  psp_id: string;
  name: string;
  company_name: string;
  organization_number: string;
  company_email: string | null;
  email: string | null;
  website: string | null;
  mcc_code: string | null;
  logo: string | null;
  address_json: string | null;
  status: string;
  skip_landing_page: number;
  terms_of_service_accepted: number | null;
  created_at: string;
  updated_at: string;
}

export interface UsersTable {
  phone_number: string;
  name: string;
  birth_date: string;
  status: string;
  created_at: string;
}

export interface CardsTable {
  card_id: string;
  phone_number: string;
  brand: string;
  type: string;
  bin: string;
  last4: string;
  expiry_month: string;
  expiry_year: string;
  token_eligible: number;
  is_default: number;
  position: number;
}

export interface PaymentsTable {
  id: string;
  psp_id: string;
  psp_transaction_id: string;
  merchant_serial_number: string;
  merchant_order_id: string;
  amount_ore: number;
  currency: string;
  customer_mobile_number: string | null;
  psp_redirect_url: string;
  make_payment_url: string;
  /** The PSP's makePaymentToken, sealed (AES-256-GCM) while callbacks may still be sent, then erased. */
  make_payment_token_sealed: string | null;
  payment_text: string | null;
  is_app: number;
  skip_landing_page: number;
  state: string;
  /** When the expiry sweep must look at this payment; null when nothing is due. */
  due_at: string | null;
  /** The landing page link / deeplink expires here (5 minutes after init). */
  link_expires_at: string;
  user_phone: string | null;
  card_id: string | null;
  failure_reason: string | null;
  psp_error_id: string | null;
  psp_error_text: string | null;
  user_message: string | null;
  url_3d_secure: string | null;
  reserved_ore: Generated<number>;
  captured_ore: Generated<number>;
  refunded_ore: Generated<number>;
  cancelled: Generated<number>;
  reserved_at: string | null;
  created_at: string;
  updated_at: string;
}

/** The PSP-visible operation history (details' transactionLogHistory). */
export interface PaymentLogTable {
  payment_id: string;
  seq: number;
  operation: string;
  amount_ore: number;
  payment_text: string | null;
  success: number;
  at: string;
}

/** The internal timeline of a payment (control API). */
export interface PaymentEventsTable {
  payment_id: string;
  seq: number;
  at: string;
  type: string;
  detail_json: string | null;
}

export interface IdempotencyKeysTable {
  psp_id: string;
  scope: string;
  idempotency_key: string;
  request_sha256: string;
  status_code: number;
  response_body: string;
  created_at: string;
  expires_at: string;
}

export interface CallbackAttemptsTable {
  id: string;
  payment_id: string;
  attempt_no: number;
  /** ACCEPTED | TIMEOUT | USER_CANCEL */
  payment_state: string;
  /** PENDING (committed, not yet sent) | IN_FLIGHT | DONE */
  status: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  latency_ms: number | null;
  http_status: number | null;
  content_type: string | null;
  /** OK | FAIL | SOFT_DECLINE | INVALID_RESPONSE | HTTP_ERROR | TIMEOUT | CONNECTION_ERROR | ADDRESS_REFUSED | ABANDONED */
  outcome: string | null;
  response_json: string | null;
  error: string | null;
  token_type: string | null;
  token_last4: string | null;
  bin: string | null;
  eci: string | null;
  /** Migration 007: the node that makes the call, and until when its claim holds (platform clock). */
  claimed_by: string | null;
  lease_until: string | null;
}

/** Migration 007: the control API's clock offset (one row, id 1). */
export interface PlatformClockTable {
  id: number;
  offset_ms: number;
}

/** Migration 007: keys shared by every process on this database (base64). */
export interface PlatformKeysTable {
  name: string;
  key_base64: string;
  created_at: string;
}

export interface Database {
  signing_keys: SigningKeysTable;
  psps: PspsTable;
  merchants: MerchantsTable;
  users: UsersTable;
  cards: CardsTable;
  payments: PaymentsTable;
  payment_log: PaymentLogTable;
  payment_events: PaymentEventsTable;
  idempotency_keys: IdempotencyKeysTable;
  callback_attempts: CallbackAttemptsTable;
  platform_clock: PlatformClockTable;
  platform_keys: PlatformKeysTable;
}
