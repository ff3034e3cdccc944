/**
 * The seed file: PSPs, merchants' sales units and test users with cards, applied at start,
 * idempotently (applying the same file to the same database changes nothing). Secrets are
 * stored as sha-256 digests; cards never carry a card number (PAN).
 */
import { readFileSync } from 'node:fs';
import {
  CARD_BRANDS,
  CARD_TYPES,
  type Card,
  MERCHANT_STATUSES,
  type Merchant,
  type MerchantAddress,
  USER_STATUSES,
} from './domain/parties.js';
import { sha256Hex } from './security/hash.js';
import type { MerchantRepository } from './store/merchants.js';
import type { PspRepository } from './store/psps.js';
import type { UserRepository, UserWithCards } from './store/users.js';

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
  address?: MerchantAddress | null;
}

export interface SeedCard {
  id: string;
  brand: string;
  type: string;
  bin: string;
  last4: string;
  expiryMonth: string;
  expiryYear: string;
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

function fail(where: string, message: string): never {
  throw new SeedError(`${where}: ${message}`);
}

function str(where: string, obj: Record<string, unknown>, field: string, pattern?: RegExp): string {
  const value = obj[field];
  if (typeof value !== 'string' || value === '') fail(`${where}.${field}`, 'expected a non-empty string');
  if (pattern && !pattern.test(value)) fail(`${where}.${field}`, `must match ${pattern}`);
  return value;
}

function optStr(where: string, obj: Record<string, unknown>, field: string, pattern?: RegExp): string | null {
  const value = obj[field];
  if (value === undefined || value === null) return null;
  return str(where, obj, field, pattern);
}

function optBool(where: string, obj: Record<string, unknown>, field: string, fallback: boolean): boolean {
  const value = obj[field];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') fail(`${where}.${field}`, 'expected true or false');
  return value;
}

function array(where: string, value: unknown): Record<string, unknown>[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(where, 'expected an array');
  return value.map((v, i) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`${where}[${i}]`, 'expected an object');
    return v as Record<string, unknown>;
  });
}

function oneOf<T extends string>(where: string, value: string | null, allowed: readonly T[], fallback: T): T {
  if (value === null) return fallback;
  if (!(allowed as readonly string[]).includes(value)) fail(where, `must be one of ${allowed.join(', ')}`);
  return value as T;
}

/** Parses and checks a seed document; throws SeedError naming the first bad field. */
export function parseSeed(doc: unknown): Seed {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) fail('seed', 'expected a JSON object');
  const root = doc as Record<string, unknown>;
  const psps = array('psps', root.psps).map((p, i) => {
    const w = `psps[${i}]`;
    return {
      pspId: str(w, p, 'pspId', /^[A-Za-z0-9-]{1,64}$/),
      name: str(w, p, 'name'),
      clientId: str(w, p, 'clientId'),
      clientSecret: str(w, p, 'clientSecret'),
      subscriptionKey: str(w, p, 'subscriptionKey'),
    };
  });
  const pspIds = new Set(psps.map((p) => p.pspId));
  const merchants = array('merchants', root.merchants).map((m, i) => {
    const w = `merchants[${i}]`;
    const pspId = str(w, m, 'pspId');
    if (!pspIds.has(pspId)) fail(`${w}.pspId`, `no PSP ${pspId} in this seed`);
    return {
      merchantSerialNumber: str(w, m, 'merchantSerialNumber', /^\d{4,10}$/),
      pspId,
      name: str(w, m, 'name'),
      companyName: str(w, m, 'companyName'),
      organizationNumber: str(w, m, 'organizationNumber'),
      status: oneOf(`${w}.status`, optStr(w, m, 'status'), MERCHANT_STATUSES, 'ACTIVE'),
      skipLandingPage: optBool(w, m, 'skipLandingPage', false),
      website: optStr(w, m, 'website'),
      email: optStr(w, m, 'email'),
      companyEmail: optStr(w, m, 'companyEmail'),
      mccCode: optStr(w, m, 'mccCode', /^\d{4}$/),
      address: (m.address as MerchantAddress | undefined) ?? null,
    };
  });
  const cardIds = new Set<string>();
  const users = array('users', root.users).map((u, i) => {
    const w = `users[${i}]`;
    const cards = array(`${w}.cards`, u.cards).map((c, j) => {
      const cw = `${w}.cards[${j}]`;
      const id = str(cw, c, 'id');
      if (cardIds.has(id)) fail(`${cw}.id`, `duplicate card id ${id}`);
      cardIds.add(id);
      if ('pan' in c || 'number' in c || 'cardNumber' in c) fail(cw, 'card numbers (PAN) are never stored: give bin and last4');
      return {
        id,
        brand: oneOf(`${cw}.brand`, str(cw, c, 'brand'), CARD_BRANDS, 'VISA'),
        type: oneOf(`${cw}.type`, str(cw, c, 'type'), CARD_TYPES, 'DEBIT'),
        bin: str(cw, c, 'bin', /^\d{6,8}$/),
        last4: str(cw, c, 'last4', /^\d{4}$/),
        expiryMonth: str(cw, c, 'expiryMonth', /^(0[1-9]|1[0-2])$/),
        expiryYear: str(cw, c, 'expiryYear', /^\d{4}$/),
        tokenEligible: optBool(cw, c, 'tokenEligible', true),
        default: optBool(cw, c, 'default', false),
      };
    });
    return {
      phoneNumber: str(w, u, 'phoneNumber', /^\d{8}$/),
      name: str(w, u, 'name'),
      birthDate: str(w, u, 'birthDate', /^\d{4}-\d{2}-\d{2}$/),
      status: oneOf(`${w}.status`, optStr(w, u, 'status'), USER_STATUSES, 'ACTIVE'),
      cards,
    };
  });
  return { psps, merchants, users };
}

export function readSeedFile(path: string): Seed {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new SeedError(`SEED_FILE ${path}: ${(error as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new SeedError(`SEED_FILE ${path}: not valid JSON (${(error as Error).message})`);
  }
  return parseSeed(doc);
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
      address: m.address ?? null,
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
