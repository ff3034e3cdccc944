/**
 * The seed file: PSPs, merchants' sales units and test users with cards, applied at start,
 * idempotently (applying the same file to the same database changes nothing). Secrets are
 * stored as sha-256 digests; cards never carry a card number (PAN).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { Card, Merchant, MerchantAddress, UserWithCards } from './domain/parties.js';
import { packageRoot } from './package-root.js';
import { sha256Hex } from './security/hash.js';
import type { MerchantRepository } from './store/merchants.js';
import type { PspRepository } from './store/psps.js';
import type { UserRepository } from './store/users.js';

export interface SeedPsp {
  pspId: string;
  name: string;
  clientId: string;
  clientSecret: string;
  subscriptionKey: string;
}

export interface SeedMerchant {
  merchantSerialNumber: string;
  pspId: string;
  name: string;
  companyName: string;
  organizationNumber: string;
  status?: string;
  skipLandingPage?: boolean;
  website?: string | null;
  email?: string | null;
  companyEmail?: string | null;
  mccCode?: string | null;
  address: MerchantAddress;
}

export interface SeedCard {
  id: string;
  brand: string;
  type: string;
  bin: string;
  last4: string;
  expiryMonth: string;
  expiryYear: string;
  /** Shown in the app above the number (the real app shows the user's own name for a card). */
  nickname?: string;
  tokenEligible?: boolean;
  default?: boolean;
}

export interface SeedUser {
  phoneNumber: string;
  name: string;
  birthDate: string;
  status?: string;
  cards?: SeedCard[];
}

export interface Seed {
  psps: SeedPsp[];
  merchants: SeedMerchant[];
  users: SeedUser[];
}

export class SeedError extends Error {
  override name = 'SeedError';
}

/** The seed file's shape, shipped in the package (seed/seed.schema.json; linked from the README). */
export const SEED_SCHEMA_FILE = (): string => join(packageRoot(), 'seed', 'seed.schema.json');

let validator: ValidateFunction | undefined;
function validateSeed(doc: unknown): ErrorObject[] {
  if (!validator) {
    // Compiled once per process; the schema is the contract, this module only adds the rules a
    // schema cannot say (references between records, unique card ids).
    const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, useDefaults: false });
    validator = ajv.compile(JSON.parse(readFileSync(SEED_SCHEMA_FILE(), 'utf8')) as object);
  }
  return validator(doc) ? [] : (validator.errors ?? []);
}

/** `/users/0/cards/1` → `users[0].cards[1]` (the style every seed error uses). */
function jsonPath(pointer: string, child?: string): string {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (child !== undefined) parts.push(child);
  let out = '';
  for (const part of parts) out += /^\d+$/.test(part) ? `[${part}]` : out === '' ? part : `.${part}`;
  return out === '' ? '(root)' : out;
}

const CARD_NUMBER_FIELDS = new Set(['pan', 'number', 'cardNumber']);

function describe(e: ErrorObject): string {
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const field = String(params.additionalProperty);
      if (/\/cards\/\d+$/.test(e.instancePath) && CARD_NUMBER_FIELDS.has(field)) {
        return `${jsonPath(e.instancePath, field)}: card numbers (PAN) are never stored: give bin and last4`;
      }
      return `${jsonPath(e.instancePath, field)}: unknown field (see seed/seed.schema.json)`;
    }
    case 'required':
      return `${jsonPath(e.instancePath, String(params.missingProperty))}: missing (required)`;
    case 'enum':
      return `${jsonPath(e.instancePath)}: must be one of ${(params.allowedValues as unknown[]).join(', ')}`;
    case 'pattern':
      return `${jsonPath(e.instancePath)}: must match ${String(params.pattern)}`;
    case 'minLength':
      return `${jsonPath(e.instancePath)}: expected a non-empty string`;
    default:
      return `${jsonPath(e.instancePath)}: ${e.message ?? e.keyword}`;
  }
}

function fail(where: string, message: string): never {
  throw new SeedError(`${where}: ${message}`);
}

/**
 * Parses and checks a seed document against seed/seed.schema.json, then the rules between
 * records. Throws SeedError with one line per problem, each naming the JSON path.
 */
export function parseSeed(doc: unknown): Seed {
  const errors = validateSeed(doc);
  if (errors.length > 0) {
    // Ajv reports the `type` of a `$ref`'d string and its minLength separately; one line per path.
    const lines = [...new Set(errors.map(describe))];
    throw new SeedError(lines.join('\n'));
  }
  const root = doc as { psps?: SeedPsp[]; merchants?: SeedMerchant[]; users?: SeedUser[] };
  const psps = root.psps ?? [];
  const pspIds = new Set(psps.map((p) => p.pspId));
  const merchants = (root.merchants ?? []).map((m, i) => {
    if (!pspIds.has(m.pspId)) fail(`merchants[${i}].pspId`, `no PSP ${m.pspId} in this seed`);
    return { ...m, status: m.status ?? 'ACTIVE', skipLandingPage: m.skipLandingPage ?? false };
  });
  const cardIds = new Set<string>();
  const users = (root.users ?? []).map((u, i) => {
    const cards = (u.cards ?? []).map((c, j) => {
      if (cardIds.has(c.id)) fail(`users[${i}].cards[${j}].id`, `duplicate card id ${c.id}`);
      cardIds.add(c.id);
      return { ...c, tokenEligible: c.tokenEligible ?? true, default: c.default ?? false };
    });
    return { ...u, status: u.status ?? 'ACTIVE', cards };
  });
  return { psps, merchants, users };
}

/** Reads and checks a seed file; every error line names the file (SEED_FILE) and the JSON path. */
export function readSeedFile(path: string): Seed {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES' || code === 'EPERM'
          ? 'not readable (permission denied)'
          : code === 'EISDIR'
            ? 'is a directory'
            : (error as Error).message;
    throw new SeedError(`SEED_FILE: ${path}: ${why}: give the path of a readable JSON seed file (--seed-file, SEED_FILE)`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new SeedError(`SEED_FILE: ${path}: not valid JSON (${(error as Error).message})`);
  }
  try {
    return parseSeed(doc);
  } catch (error) {
    if (!(error instanceof SeedError)) throw error;
    throw new SeedError(
      error.message
        .split('\n')
        .map((line) => `SEED_FILE: ${path}: ${line}`)
        .join('\n'),
    );
  }
}

export function toUserWithCards(u: SeedUser): UserWithCards {
  const cards = u.cards ?? [];
  const hasDefault = cards.some((c) => c.default);
  return {
    phoneNumber: u.phoneNumber,
    name: u.name,
    birthDate: u.birthDate,
    status: (u.status ?? 'ACTIVE') as UserWithCards['status'],
    cards: cards.map(
      (c, i): Card => ({
        cardId: c.id,
        phoneNumber: u.phoneNumber,
        brand: c.brand as Card['brand'],
        type: c.type as Card['type'],
        bin: c.bin,
        last4: c.last4,
        expiryMonth: c.expiryMonth,
        expiryYear: c.expiryYear,
        tokenEligible: c.tokenEligible ?? true,
        // Exactly one default card: the one marked, else the first.
        isDefault: hasDefault ? c.default === true && cards.findIndex((x) => x.default) === i : i === 0,
        nickname: c.nickname ?? null,
      }),
    ),
  };
}

export interface SeedRepositories {
  readonly psps: PspRepository;
  readonly merchants: MerchantRepository;
  readonly users: UserRepository;
}

/** Applies a seed. Returns how many records changed (0 when applied twice). */
export async function applySeed(seed: Seed, repos: SeedRepositories, nowIso: string): Promise<number> {
  let changed = 0;
  for (const p of seed.psps) {
    const upserted = await repos.psps.upsert(
      {
        pspId: p.pspId,
        name: p.name,
        clientId: p.clientId,
        clientSecretSha256: sha256Hex(p.clientSecret),
        subscriptionKeySha256: sha256Hex(p.subscriptionKey),
      },
      nowIso,
    );
    if (upserted) changed++;
  }
  for (const m of seed.merchants) {
    // A seeded sales unit is created once; after that the PSP Merchant API owns it (a restart
    // must not undo a deactivation or an update made through the API).
    const existing = await repos.merchants.findByMsn(m.merchantSerialNumber);
    if (existing) continue;
    const merchant: Merchant = {
      merchantSerialNumber: m.merchantSerialNumber,
      pspId: m.pspId,
      name: m.name,
      companyName: m.companyName,
      organizationNumber: m.organizationNumber,
      companyEmail: m.companyEmail ?? null,
      email: m.email ?? null,
      website: m.website ?? null,
      mccCode: m.mccCode ?? null,
      logo: null,
      address: m.address,
      status: (m.status ?? 'ACTIVE') as Merchant['status'],
      skipLandingPage: m.skipLandingPage ?? false,
      termsOfServiceAccepted: null,
      createdAt: nowIso,
      updatedAt: nowIso,
    };
    if (await repos.merchants.upsertSeeded(merchant)) changed++;
  }
  for (const u of seed.users) {
    if (await repos.users.upsert(toUserWithCards(u), nowIso)) changed++;
  }
  return changed;
}
