/**
 * Wire types of the PSP Merchant API, formerly "PSP Signup API" (spec/psp-signup-v1.yaml 1.1.7,
 * psp-facts.md §3). Fields added after 1.1.7 (v1.2.0, 2026) are marked; send them only to a
 * platform that knows them.
 */

export type MerchantStatus = 'ACTIVE' | 'DEACTIVATED' | 'PENDING';

/** `Address` (§3). */
export interface MerchantAddress {
  addressLine1: string;
  addressLine2?: string | null;
  city: string;
  /** At most 10 of `A-Z a-z 0-9` and space. */
  postCode: string;
  /** ISO 3166 two-letter code, e.g. `NO`. */
  country: string;
}

/** `Merchant`: one sales unit as GET returns it (§3). */
export interface Merchant {
  readonly organizationNumber: string;
  readonly companyName: string;
  readonly companyEmail: string | null;
  readonly merchantSerialNumber: string;
  readonly name: string;
  readonly status: MerchantStatus;
  readonly email?: string | null;
  readonly website?: string | null;
  readonly createdAt?: string | null;
  readonly updatedAt?: string | null;
  readonly address: Readonly<MerchantAddress>;
}

/** `GetMerchantsResponse` (§3). */
export interface GetMerchantsResponse {
  readonly merchants: readonly Merchant[];
}

/** `CreateMerchantRequest` (§3). */
export interface CreateMerchantRequest {
  /** Norway: 9 digits, a main entity in the Brønnøysund register. */
  organizationNumber: string;
  /** Shown in the app; at most 200 characters. */
  name: string;
  /** ISO 18245 merchant category code, four digits (e.g. `5411`). */
  mccCode: string;
  /** Base64 PNG, at least 100×100 px, longest side at most 1000 px. */
  logo: string;
  email?: string;
  website?: string;
  address: MerchantAddress;
  /** The legal name. */
  companyName: string;
  companyEmail: string;
  /** v1.2.0 (2026), not in the 1.1.7 spec. */
  termsOfServiceAccepted?: boolean;
}

/** `CreateMerchantResponse` (§3). */
export interface CreateMerchantResponse {
  readonly merchantSerialNumber: string;
}

/** `UpdateMerchantRequest` (PATCH): at least one property (§3). */
export interface UpdateMerchantRequest {
  /** A deactivated merchant cannot be reactivated or updated through the API. */
  deactivate?: boolean;
  name?: string;
  mccCode?: string;
  logo?: string;
  email?: string;
  website?: string;
  address?: MerchantAddress;
  /** v1.2.0 (2026), not in the 1.1.7 spec. */
  companyName?: string;
  /** v1.2.0 (2026), not in the 1.1.7 spec. */
  termsOfServiceAccepted?: boolean;
}

/** RFC 7807 problem body of the Merchant API errors (`Error` in the spec). */
export interface ProblemDetails {
  readonly type?: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance: string;
  readonly [extension: string]: unknown;
}
