/**
 * The PSP Merchant API (psp-signup-v1.yaml 1.1.7 + the 2026 changes, psp-facts.md §3):
 * `GET|POST /merchant-management/psp/v1/merchants`, `GET|PATCH …/merchants/{merchantSerialNumber}`.
 * Authenticated like the PSP API; `Psp-Id` is optional and checked when sent (§6 item 12). Errors
 * are RFC 7807 problems. The JSON schemas are the spec's (types, lengths, patterns, formats); the
 * rules a schema cannot say are in domain/merchant-rules.ts. See docs/merchant-api.md.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, preValidationAsyncHookHandler } from 'fastify';
import { ApiError } from '../../domain/errors.js';
import {
  COUNTRY_PATTERN,
  type CreateMerchantBody,
  EMAIL_PATTERN,
  MAX_LENGTH,
  MCC_CODE_PATTERN,
  MSN_PATTERN,
  POST_CODE_PATTERN,
  type UpdateMerchantBody,
  WEBSITE_PATTERN,
} from '../../domain/merchant-rules.js';
import type { Platform } from '../../platform.js';
import { createMerchant, getMerchant, listMerchants, updateMerchant } from '../../services/merchant-management.js';
import { PSP_JSON } from '../error-handler.js';
import { header, pspAuth, pspContextOf } from '../psp-auth.js';

const COLLECTION = '/merchant-management/psp/v1/merchants';
const ITEM = `${COLLECTION}/:merchantSerialNumber`;

/**
 * Create and update carry a base64 PNG logo (up to 1000 × 1000 px), far above the PSP API's
 * 64 KiB default; 4 MiB holds any sensibly compressed logo. BODY_LIMIT_BYTES still wins if larger.
 */
export const MERCHANT_BODY_LIMIT_BYTES = 4 * 1024 * 1024;

const email = { type: ['string', 'null'], maxLength: MAX_LENGTH.email, pattern: EMAIL_PATTERN.source, format: 'email' } as const;
const website = { type: ['string', 'null'], maxLength: MAX_LENGTH.website, pattern: WEBSITE_PATTERN.source, format: 'uri' } as const;
const mccCode = { type: 'string', minLength: 4, maxLength: 4, pattern: MCC_CODE_PATTERN.source } as const;
const name = { type: 'string', minLength: 1, maxLength: MAX_LENGTH.name } as const;
const companyName = { type: 'string', minLength: 1, maxLength: MAX_LENGTH.companyName } as const;

const addressSchema = {
  type: 'object',
  required: ['addressLine1', 'city', 'postCode', 'country'],
  properties: {
    addressLine1: { type: 'string', minLength: 1, maxLength: MAX_LENGTH.addressLine },
    addressLine2: { type: ['string', 'null'], maxLength: MAX_LENGTH.addressLine },
    city: { type: 'string', minLength: 1, maxLength: MAX_LENGTH.city },
    postCode: { type: 'string', maxLength: MAX_LENGTH.postCode, pattern: POST_CODE_PATTERN.source },
    country: { type: 'string', minLength: 2, maxLength: 2, pattern: COUNTRY_PATTERN.source },
  },
} as const;

/** CreateMerchantRequest (+ termsOfServiceAccepted, 2026). Unknown properties: domain/merchant-rules.ts. */
const createMerchantRequestSchema = {
  type: 'object',
  required: ['organizationNumber', 'name', 'mccCode', 'logo', 'address', 'companyName', 'companyEmail'],
  properties: {
    organizationNumber: { type: 'string', minLength: 1, maxLength: MAX_LENGTH.organizationNumber },
    name,
    mccCode,
    logo: { type: 'string' },
    email,
    website,
    address: addressSchema,
    companyName,
    companyEmail: { ...email, type: 'string' },
    termsOfServiceAccepted: { type: 'boolean' },
  },
} as const;

/** UpdateMerchantRequest (+ companyName and termsOfServiceAccepted, 2026). */
const updateMerchantRequestSchema = {
  type: 'object',
  properties: {
    deactivate: { type: 'boolean' },
    name,
    mccCode,
    logo: { type: 'string' },
    email,
    website,
    address: addressSchema,
    companyName,
    termsOfServiceAccepted: { type: 'boolean' },
  },
} as const;

/** The 2026 rule `^\d{5,10}$`; the 2023 file says `^\d{5,6}$` (§3). */
const msnParams = {
  type: 'object',
  required: ['merchantSerialNumber'],
  properties: { merchantSerialNumber: { type: 'string', pattern: MSN_PATTERN.source } },
} as const;

const nullableString = { type: ['string', 'null'] } as const;
/** `Merchant` for serialisation, in the spec's x-order; null where the spec says x-isnullable. */
const merchantSchema = {
  type: 'object',
  properties: {
    organizationNumber: { type: 'string' },
    companyName: { type: 'string' },
    companyEmail: nullableString,
    merchantSerialNumber: { type: 'string' },
    name: { type: 'string' },
    status: { type: 'string' },
    email: nullableString,
    website: nullableString,
    createdAt: nullableString,
    updatedAt: nullableString,
    address: {
      type: ['object', 'null'],
      properties: {
        addressLine1: { type: 'string' },
        addressLine2: nullableString,
        city: { type: 'string' },
        postCode: { type: 'string' },
        country: { type: 'string' },
      },
    },
  },
} as const;

const getMerchantsResponseSchema = { type: 'object', properties: { merchants: { type: 'array', items: merchantSchema } } } as const;

interface SchemaNode {
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, SchemaNode>>;
}

/**
 * The JSON layer's scalar coercion, as a Java/Jackson service reads a body (docs/merchant-api.md
 * "Types"): a number or a boolean where the schema wants a string is its text (`918130047` →
 * `"918130047"`), `"true"`/`"false"` where it wants a boolean is the boolean. Nothing else is
 * coerced: the validator itself coerces nothing (app.ts), so `null`, arrays and objects stay what
 * they are and the schema refuses them.
 */
function coerceScalars(value: unknown, schema: SchemaNode): unknown {
  const types = typeof schema.type === 'string' ? [schema.type] : (schema.type ?? []);
  if (types.includes('string') && (typeof value === 'number' || typeof value === 'boolean')) return String(value);
  if (types.includes('boolean') && (value === 'true' || value === 'false')) return value === 'true';
  if (schema.properties && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const object = value as Record<string, unknown>;
    for (const [name, property] of Object.entries(schema.properties)) {
      if (Object.hasOwn(object, name)) object[name] = coerceScalars(object[name], property);
    }
  }
  return value;
}

const coerceBodyScalars =
  (schema: SchemaNode): preValidationAsyncHookHandler =>
  async (request) => {
    request.body = coerceScalars(request.body, schema);
  };

interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

/** Ajv's first error, in the words of the API: which field, and what rule it breaks. */
function reasonOf(e: AjvError): string {
  switch (e.keyword) {
    case 'maxLength':
      return `must be at most ${String(e.params.limit)} characters`;
    case 'minLength':
      return e.params.limit === 1 ? 'must not be empty' : `must be at least ${String(e.params.limit)} characters`;
    case 'pattern':
      return `must match ${String(e.params.pattern)}`;
    case 'format':
      return e.params.format === 'email' ? 'must be an email address' : 'must be an absolute URL (https://…)';
    case 'type': {
      const type = String(e.params.type).split(',')[0];
      return `must be ${type === 'object' ? 'an object' : `a ${type}`}`;
    }
    default:
      return e.message ?? 'is invalid';
  }
}

/** Schema errors (attachValidation) become catalogue problems naming the field. */
function throwIfInvalid(request: FastifyRequest): void {
  const error = request.validationError as (Error & { validation?: AjvError[]; validationContext?: string }) | undefined;
  if (!error) return;
  const first = error.validation?.[0];
  if (error.validationContext === 'params') {
    throw new ApiError('MERCHANT_FIELD_INVALID', { field: 'merchantSerialNumber' }, `must match ${MSN_PATTERN.source}`);
  }
  if (!first || (first.instancePath === '' && first.keyword !== 'required')) throw new ApiError('MERCHANT_BODY_INVALID');
  const path = first.instancePath.slice(1).replace(/\//g, '.');
  if (first.keyword === 'required') {
    const missing = String(first.params.missingProperty);
    throw new ApiError('MERCHANT_FIELD_REQUIRED', { field: path ? `${path}.${missing}` : missing });
  }
  throw new ApiError('MERCHANT_FIELD_INVALID', { field: path }, reasonOf(first));
}

/** An empty body (`Content-Type: application/json` and no bytes) reaches the handler as undefined. */
function requireObject(body: unknown): void {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ApiError('MERCHANT_BODY_INVALID');
}

/** POST and PATCH take JSON only; anything else (text/plain, a form, no type) is a 415 before parsing. */
async function requireJson(request: FastifyRequest): Promise<void> {
  const type = request.headers['content-type'];
  const media = typeof type === 'string' ? (type.split(';')[0] ?? '').trim().toLowerCase() : '';
  if (media !== 'application/json') throw new ApiError('UNSUPPORTED_MEDIA_TYPE');
}

function methodNotSupported(allow: string) {
  return async (_request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    reply.header('allow', allow);
    throw new ApiError('MERCHANT_METHOD_NOT_SUPPORTED');
  };
}

export async function pspMerchantRoutes(app: FastifyInstance, { platform }: { platform: Platform }): Promise<void> {
  const auth = pspAuth(platform, { msn: 'none', pspIdRequired: false });
  const config = { errorFormat: 'problem' as const };
  const bodyLimit = Math.max(platform.config.bodyLimitBytes, MERCHANT_BODY_LIMIT_BYTES);

  app.get(COLLECTION, { onRequest: auth, config, schema: { response: { 200: getMerchantsResponseSchema } } }, async (request, reply) => {
    const { psp } = pspContextOf(request);
    return reply.type(PSP_JSON).send(await listMerchants(platform, psp.pspId));
  });

  app.post<{ Body: CreateMerchantBody }>(
    COLLECTION,
    {
      onRequest: [auth, requireJson],
      preValidation: coerceBodyScalars(createMerchantRequestSchema),
      bodyLimit,
      attachValidation: true,
      config,
      schema: { body: createMerchantRequestSchema },
    },
    async (request, reply) => {
      const { psp } = pspContextOf(request);
      const idempotencyKey = header(request, 'idempotency-key') ?? null;
      if (!idempotencyKey) throw new ApiError('MERCHANT_IDEMPOTENCY_KEY_MISSING');
      throwIfInvalid(request);
      requireObject(request.body);
      const response = await createMerchant(platform, { psp, body: request.body, idempotencyKey });
      // Already serialised (and stored for idempotent replays): sent as is.
      return reply.code(response.statusCode).type(PSP_JSON).send(response.body);
    },
  );

  app.get<{ Params: { merchantSerialNumber: string } }>(
    ITEM,
    { onRequest: auth, attachValidation: true, config, schema: { params: msnParams, response: { 200: merchantSchema } } },
    async (request, reply) => {
      throwIfInvalid(request);
      const { psp } = pspContextOf(request);
      return reply.type(PSP_JSON).send(await getMerchant(platform, psp.pspId, request.params.merchantSerialNumber));
    },
  );

  app.patch<{ Params: { merchantSerialNumber: string }; Body: UpdateMerchantBody }>(
    ITEM,
    {
      onRequest: [auth, requireJson],
      preValidation: coerceBodyScalars(updateMerchantRequestSchema),
      bodyLimit,
      attachValidation: true,
      config,
      schema: { params: msnParams, body: updateMerchantRequestSchema },
    },
    async (request, reply) => {
      throwIfInvalid(request);
      requireObject(request.body);
      const { psp } = pspContextOf(request);
      await updateMerchant(platform, { psp, msn: request.params.merchantSerialNumber, body: request.body });
      // 200 with an empty body (the spec documents no content).
      return reply.code(200).send();
    },
  );

  // 405 "Request method not supported" (documented on every operation) for the other methods.
  const collection405 = methodNotSupported('GET, POST');
  const item405 = methodNotSupported('GET, PATCH');
  app.route({ method: ['PUT', 'PATCH', 'DELETE'], url: COLLECTION, config, onRequest: collection405, handler: collection405 });
  app.route({ method: ['POST', 'PUT', 'DELETE'], url: ITEM, config, onRequest: item405, handler: item405 });
}
