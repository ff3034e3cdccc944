/**
 * The field rules of the PSP Merchant API (psp-facts.md §3; psp-signup-v1.yaml 1.1.7 plus the
 * 2025/2026 changes). Pure: the spec's patterns and limits (used by the route's JSON schemas), the
 * Norwegian organisation number check digit (MOD11), the logo's PNG dimensions, and the rules of the
 * create/update bodies that a JSON schema cannot say (unknown properties, "at least one property",
 * organisation number per country, the logo image). See docs/merchant-api.md.
 */
import { isIso3166Alpha2 } from './countries.js';
import { ApiError } from './errors.js';
import type { MerchantAddress } from './parties.js';

/**
 * `merchantSerialNumber` in paths: `^\d{5,10}$` since June 2025 (§3). The 2023 file still says
 * `^\d{5,6}$`; the newer rule wins (psp-facts.md §6 item 8).
 */
export const MSN_PATTERN = /^\d{5,10}$/;
export const MCC_CODE_PATTERN = /^\d{4}$/;
export const POST_CODE_PATTERN = /^[A-Za-z0-9 ]+$/;
/** The spec's pattern, kept in the JSON schema; the ISO 3166 check is `parseCountry`. */
export const COUNTRY_PATTERN = /^\w{2}$/;
export const NORWEGIAN_ORGANIZATION_NUMBER_PATTERN = /^\d{9}$/;

/** EMAIL of psp-signup-v1.yaml, verbatim (`email` and `companyEmail`). */
export const EMAIL_PATTERN =
  /^[a-zA-Z0-9.!#$%&*+/=?^_{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/**
 * WEBSITE of psp-signup-v1.yaml, with one safe rewrite. The spec's pattern ends in
 * `([-a-zA-Z0-9@:%_\+.~#?&//=]*)*$`, a starred group of a starred class: it matches exactly the
 * strings `[…]*$` matches, but backtracks exponentially on a near miss (a 251-character website
 * ending in `!` took 68 s of CPU in Node 20). `(X*)*` and `X*` describe the same language, so the
 * rewrite accepts and refuses the same values, in microseconds. The leading `[(http(s)?):\/\/(www\.)?…]`
 * is a character class, as in the spec: `https://example.com` and `example.com` both pass it.
 */
export const WEBSITE_PATTERN = /^[(http(s)?)://(www.)?a-zA-Z0-9@:%._+~#=]{2,256}\.[a-z]{2,6}\b[-a-zA-Z0-9@:%_+.~#?&//=]*$/;

/** Lengths in characters, from the 2023 file (minimums of 1 are our decision, docs/merchant-api.md). */
export const MAX_LENGTH = {
  organizationNumber: 50,
  name: 200,
  companyName: 255,
  email: 255,
  website: 255,
  addressLine: 255,
  city: 255,
  postCode: 10,
} as const;

/** The logo: a PNG, at least 100 × 100 px, the longest side at most 1000 px (spec `logo`). */
export const LOGO_MIN_SIDE_PX = 100;
export const LOGO_MAX_SIDE_PX = 1000;

const MOD11_WEIGHTS = [3, 2, 7, 6, 5, 4, 3, 2] as const;

/**
 * The MOD11 check digit of a Norwegian organisation number's first eight digits (Brønnøysund
 * register rules): weights 3,2,7,6,5,4,3,2; 11 − (sum mod 11); 11 gives 0; 10 means no valid number
 * has these eight digits (null).
 */
export function norwegianCheckDigit(firstEight: string): number | null {
  if (!/^\d{8}$/.test(firstEight)) return null;
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += Number(firstEight[i]) * (MOD11_WEIGHTS[i] ?? 0);
  const check = 11 - (sum % 11);
  if (check === 11) return 0;
  if (check === 10) return null;
  return check;
}

export function isNorwegianOrganizationNumber(value: string): boolean {
  if (!NORWEGIAN_ORGANIZATION_NUMBER_PATTERN.test(value)) return false;
  return norwegianCheckDigit(value.slice(0, 8)) === Number(value[8]);
}

/**
 * Why an organisation number is not acceptable for a sales unit in `country`, or null. Norway: 9
 * digits with a valid MOD11 check digit (the register lookup, "active" and "hovedenhet" checks of the
 * real platform are not emulated). Other countries: 1–50 characters, checked by the schema.
 */
export function organizationNumberProblem(organizationNumber: string, country: string): string | null {
  if (country.toUpperCase() !== 'NO') return null;
  if (!NORWEGIAN_ORGANIZATION_NUMBER_PATTERN.test(organizationNumber)) {
    return 'a Norwegian organization number is 9 digits without spaces';
  }
  if (!isNorwegianOrganizationNumber(organizationNumber)) return 'the MOD11 check digit of this Norwegian organization number is wrong';
  return null;
}

/** Strict base64 (RFC 4648 §4, with padding; no whitespace, no data: URL prefix), or null. */
export function decodeBase64(value: string): Uint8Array | null {
  if (value.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) return null;
  return Buffer.from(value, 'base64');
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] as const;

/**
 * Width and height from a PNG's IHDR chunk, or null when the bytes are not a PNG. The IHDR is the
 * first chunk (PNG spec §5.6): length 13 at offset 8, type `IHDR` at 12, width at 16, height at 20,
 * big-endian. Only the header is read; the image data is not decoded.
 */
export function pngDimensions(bytes: Uint8Array): { width: number; height: number } | null {
  if (bytes.length < 33) return null; // signature (8) + IHDR length, type, data (13) and CRC
  for (let i = 0; i < PNG_SIGNATURE.length; i++) if (bytes[i] !== PNG_SIGNATURE[i]) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(8) !== 13) return null;
  if (String.fromCharCode(bytes[12] ?? 0, bytes[13] ?? 0, bytes[14] ?? 0, bytes[15] ?? 0) !== 'IHDR') return null;
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  if (width === 0 || height === 0) return null;
  return { width, height };
}

/** Why a (non-empty) base64 logo is not acceptable, or null. */
export function logoProblem(base64: string): string | null {
  const bytes = decodeBase64(base64);
  if (!bytes) return 'must be base64 (no whitespace, no data: prefix)';
  const size = pngDimensions(bytes);
  if (!size) return 'must be a PNG image';
  const { width, height } = size;
  if (width < LOGO_MIN_SIDE_PX || height < LOGO_MIN_SIDE_PX) {
    return `the image is ${width}×${height} px; the minimum is ${LOGO_MIN_SIDE_PX}×${LOGO_MIN_SIDE_PX} px`;
  }
  if (Math.max(width, height) > LOGO_MAX_SIDE_PX) {
    return `the image is ${width}×${height} px; the longest side can be at most ${LOGO_MAX_SIDE_PX} px`;
  }
  return null;
}

// --- Request bodies (after the route's JSON schema: types, lengths and patterns are checked) ---

export interface AddressBody {
  addressLine1: string;
  addressLine2?: string | null;
  city: string;
  postCode: string;
  country: string;
}

export interface CreateMerchantBody {
  organizationNumber: string;
  name: string;
  mccCode: string;
  logo: string;
  email?: string | null;
  website?: string | null;
  address: AddressBody;
  companyName: string;
  companyEmail: string;
  termsOfServiceAccepted?: boolean;
}

export interface UpdateMerchantBody {
  deactivate?: boolean;
  name?: string;
  mccCode?: string;
  logo?: string;
  email?: string | null;
  website?: string | null;
  address?: AddressBody;
  companyName?: string;
  termsOfServiceAccepted?: boolean;
}

/** The properties each body may have: the 2023 file plus the 2026 additions (§3). */
export const CREATE_PROPERTIES = [
  'organizationNumber',
  'name',
  'mccCode',
  'logo',
  'email',
  'website',
  'address',
  'companyName',
  'companyEmail',
  'termsOfServiceAccepted',
] as const;
export const UPDATE_PROPERTIES = [
  'deactivate',
  'name',
  'mccCode',
  'logo',
  'email',
  'website',
  'address',
  'companyName',
  'termsOfServiceAccepted',
] as const;
export const ADDRESS_PROPERTIES = ['addressLine1', 'addressLine2', 'city', 'postCode', 'country'] as const;

export interface NewMerchantFields {
  readonly organizationNumber: string;
  readonly name: string;
  readonly mccCode: string;
  /** Base64 PNG, or null when the request sent "" (the quick start does). */
  readonly logo: string | null;
  readonly email: string | null;
  readonly website: string | null;
  readonly address: MerchantAddress;
  readonly companyName: string;
  readonly companyEmail: string;
  readonly termsOfServiceAccepted: boolean | null;
}

/** What a PATCH changes; absent = unchanged. `logo: null`, `email: null`, `website: null` clear. */
export interface MerchantChanges {
  readonly deactivate: boolean;
  readonly name?: string;
  readonly mccCode?: string;
  readonly logo?: string | null;
  readonly email?: string | null;
  readonly website?: string | null;
  readonly address?: MerchantAddress;
  readonly companyName?: string;
  readonly termsOfServiceAccepted?: boolean;
}

function rejectUnknown(body: object, allowed: readonly string[], schema: string, prefix = ''): void {
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) throw new ApiError('MERCHANT_FIELD_UNKNOWN', { field: `${prefix}${key}`, schema });
  }
}

/**
 * `address.country`: an ISO 3166-1 alpha-2 code (psp-facts.md §3), the officially assigned ones
 * only (domain/countries.ts). **Decision:** lower case is accepted and stored upper case ("se" →
 * "SE"), as ISO writes the codes; the spec's `^\w{2}$` has no case, and a PSP that sends "no"
 * means Norway. Anything else (`1_`, `XX`, `UK`) is refused. docs/merchant-api.md.
 */
export function parseCountry(country: string): string {
  const code = country.toUpperCase();
  if (!/^[A-Z]{2}$/.test(code) || !isIso3166Alpha2(code)) {
    throw new ApiError('MERCHANT_FIELD_INVALID', { field: 'address.country' }, 'must be an ISO 3166-1 alpha-2 country code, such as NO');
  }
  return code;
}

function parseAddress(address: AddressBody): MerchantAddress {
  rejectUnknown(address, ADDRESS_PROPERTIES, 'Address', 'address.');
  return {
    addressLine1: address.addressLine1,
    addressLine2: address.addressLine2 ?? null,
    city: address.city,
    postCode: address.postCode,
    country: parseCountry(address.country),
  };
}

function checkLogo(logo: string): string | null {
  // "" is "no logo": the official quick start and Postman collection send it (docs/merchant-api.md).
  if (logo === '') return null;
  const problem = logoProblem(logo);
  if (problem) throw new ApiError('MERCHANT_FIELD_INVALID', { field: 'logo' }, problem);
  return logo;
}

/** The rules of CreateMerchantRequest beyond its JSON schema. Throws an ApiError naming the field. */
export function parseCreateMerchantRequest(body: CreateMerchantBody): NewMerchantFields {
  rejectUnknown(body, CREATE_PROPERTIES, 'CreateMerchantRequest');
  const address = parseAddress(body.address);
  const orgProblem = organizationNumberProblem(body.organizationNumber, address.country);
  if (orgProblem) throw new ApiError('MERCHANT_FIELD_INVALID', { field: 'organizationNumber' }, orgProblem);
  return {
    organizationNumber: body.organizationNumber,
    name: body.name,
    mccCode: body.mccCode,
    logo: checkLogo(body.logo),
    email: body.email ?? null,
    website: body.website ?? null,
    address,
    companyName: body.companyName,
    companyEmail: body.companyEmail,
    termsOfServiceAccepted: body.termsOfServiceAccepted ?? null,
  };
}

/** The rules of UpdateMerchantRequest beyond its JSON schema: known properties, at least one. */
export function parseUpdateMerchantRequest(body: UpdateMerchantBody): MerchantChanges {
  rejectUnknown(body, UPDATE_PROPERTIES, 'UpdateMerchantRequest');
  if (Object.keys(body).length === 0) throw new ApiError('MERCHANT_UPDATE_EMPTY');
  const changes: { -readonly [K in keyof MerchantChanges]: MerchantChanges[K] } = { deactivate: body.deactivate === true };
  if (body.name !== undefined) changes.name = body.name;
  if (body.mccCode !== undefined) changes.mccCode = body.mccCode;
  if (body.logo !== undefined) changes.logo = checkLogo(body.logo);
  if (body.email !== undefined) changes.email = body.email;
  if (body.website !== undefined) changes.website = body.website;
  if (body.address !== undefined) changes.address = parseAddress(body.address);
  if (body.companyName !== undefined) changes.companyName = body.companyName;
  if (body.termsOfServiceAccepted !== undefined) changes.termsOfServiceAccepted = body.termsOfServiceAccepted;
  return changes;
}
