/**
 * Test harness: the real platform on a fresh SQLite file, real HTTP on loopback, logs captured
 * so tests can assert that no secret is ever written.
 *
 * With TEST_DATABASE_URL=postgres://… set, each platform runs on PostgreSQL instead, in a fresh
 * schema of that database of its own (named after its directory, so a restart on the same `dir`
 * finds the same data); the schema is dropped when the platform closes for good.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { AdjustableClock } from '../../src/clock.js';
import { parseConfig } from '../../src/config.js';
import { type RunningPlatform, startPlatform } from '../../src/main.js';
import type { Seed } from '../../src/seed.js';

export const DEMO = {
  pspId: 'C948DFD1546347568874C4DDC93A2E3C',
  clientId: 'fb492b5e-7907-4d83-ba20-c7fb60ca35de',
  clientSecret: 'Y8Kteew6GE2ZmeycEt6egg==',
  subscriptionKey: '0f14ebcab0ec4b29ae0cb90d91b4a84a',
  msn: '123456',
  skipMsn: '223344',
  user: '91234567',
} as const;

export interface PspCreds {
  pspId: string;
  clientId: string;
  clientSecret: string;
  subscriptionKey: string;
  msn: string;
}

/** A second PSP with its own sales unit, for isolation tests. */
export const OTHER_PSP: PspCreds = {
  pspId: 'B2B2B2B2B2B2B2B2B2B2B2B2B2B2B2B2',
  clientId: '11111111-2222-3333-4444-555555555555',
  clientSecret: 'other-secret-value==',
  subscriptionKey: 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',
  msn: '654321',
};

const CONTACT = {
  companyEmail: 'post@shop.example',
  address: { addressLine1: 'Robert Levins gate 5', addressLine2: null, city: 'Oslo', postCode: '0154', country: 'NO' },
};

export function seedWithOtherPsp(): Seed {
  return {
    psps: [
      {
        pspId: DEMO.pspId,
        name: 'Demo PSP',
        clientId: DEMO.clientId,
        clientSecret: DEMO.clientSecret,
        subscriptionKey: DEMO.subscriptionKey,
      },
      {
        pspId: OTHER_PSP.pspId,
        name: 'Other PSP',
        clientId: OTHER_PSP.clientId,
        clientSecret: OTHER_PSP.clientSecret,
        subscriptionKey: OTHER_PSP.subscriptionKey,
      },
    ],
    merchants: [
      {
        merchantSerialNumber: DEMO.msn,
        pspId: DEMO.pspId,
        name: 'Demo Shop',
        companyName: 'Demo Shop AS',
        organizationNumber: '918130047',
        ...CONTACT,
        status: 'ACTIVE',
      },
      {
        merchantSerialNumber: DEMO.skipMsn,
        pspId: DEMO.pspId,
        name: 'Demo Kiosk',
        companyName: 'Demo Shop AS',
        organizationNumber: '918130047',
        ...CONTACT,
        status: 'ACTIVE',
        skipLandingPage: true,
      },
      {
        merchantSerialNumber: '111111',
        pspId: DEMO.pspId,
        name: 'Closed Shop',
        companyName: 'Closed AS',
        organizationNumber: '918130047',
        ...CONTACT,
        status: 'DEACTIVATED',
      },
      {
        merchantSerialNumber: OTHER_PSP.msn,
        pspId: OTHER_PSP.pspId,
        name: 'Other Shop',
        companyName: 'Other AS',
        organizationNumber: '918130047',
        ...CONTACT,
        status: 'ACTIVE',
      },
    ],
    users: [
      {
        phoneNumber: DEMO.user,
        name: 'Kari Nordmann',
        birthDate: '1990-04-01',
        status: 'ACTIVE',
        cards: [
          {
            id: 'kari-visa',
            brand: 'VISA',
            type: 'DEBIT',
            bin: '492556',
            last4: '1234',
            expiryMonth: '12',
            expiryYear: '2030',
            tokenEligible: true,
            default: true,
          },
        ],
      },
    ],
  };
}

export interface TestPlatform {
  readonly url: string;
  readonly running: RunningPlatform;
  readonly clock: AdjustableClock;
  readonly dir: string;
  readonly dbPath: string;
  /** Everything the platform logged so far. */
  logs(): string;
  close(): Promise<void>;
  /** Stops and starts the platform on the same database file (restart tests). */
  restart(): Promise<TestPlatform>;
}

export interface TestPlatformOptions {
  env?: Record<string, string>;
  seed?: Seed;
  dir?: string;
  clock?: AdjustableClock;
}

/** The PostgreSQL database the suite runs on, or undefined for SQLite. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;

async function onServer(databaseUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** The schema a test platform in `dir` uses on TEST_DATABASE_URL. */
export function testSchemaOf(dir: string): string {
  return `t_${basename(dir)
    .replace(/[^A-Za-z0-9]/g, '_')
    .toLowerCase()}`;
}

/**
 * A DATABASE_URL for the platform in `dir`: its SQLite file, or on TEST_DATABASE_URL its own
 * schema (created if missing), chosen by pg's `options` (search_path) so that every connection of
 * the pool sees only that schema.
 */
export async function testDatabaseUrl(dir: string): Promise<string> {
  if (!TEST_DATABASE_URL) return `sqlite:${join(dir, 'platform.sqlite')}`;
  const schema = testSchemaOf(dir);
  await onServer(TEST_DATABASE_URL, `create schema if not exists ${schema}`);
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.href;
}

/** Drops the schema of `dir` on TEST_DATABASE_URL (nothing on SQLite: the file goes with the directory). */
export async function dropTestDatabase(dir: string): Promise<void> {
  if (TEST_DATABASE_URL) await onServer(TEST_DATABASE_URL, `drop schema if exists ${testSchemaOf(dir)} cascade`);
}

/**
 * Everything the platform of `dir` stored, as text, for tests that search it for secrets: on
 * SQLite the raw bytes of the database file and its WAL (close the platform first so they are
 * final); on PostgreSQL every row of every table of its schema, as PostgreSQL prints it.
 */
export async function storedText(p: Pick<TestPlatform, 'dir' | 'dbPath'>): Promise<Record<string, string>> {
  if (!TEST_DATABASE_URL) {
    const raw = (path: string) => (existsSync(path) ? readFileSync(path).toString('latin1') : '');
    return { database: raw(p.dbPath), wal: raw(`${p.dbPath}-wal`) };
  }
  const schema = testSchemaOf(p.dir);
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    const tables = await client.query<{ table_name: string }>(
      'select table_name from information_schema.tables where table_schema = $1 order by table_name',
      [schema],
    );
    const parts: string[] = [];
    for (const { table_name } of tables.rows) {
      const rows = await client.query<{ row: string }>(`select t::text as row from ${schema}."${table_name}" t`);
      parts.push(`${table_name}\n${rows.rows.map((r) => r.row).join('\n')}`);
    }
    return { database: parts.join('\n') };
  } finally {
    await client.end();
  }
}

export async function startTestPlatform(options: TestPlatformOptions = {}): Promise<TestPlatform> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'vipps-psp-test-'));
  const dbPath = join(dir, 'platform.sqlite');
  const databaseUrl = await testDatabaseUrl(dir);
  const env: Record<string, string> = { PORT: '0', DATABASE_URL: databaseUrl, LOG_LEVEL: 'trace', ...options.env };
  if (options.seed) {
    const seedPath = join(dir, 'seed.json');
    writeFileSync(seedPath, JSON.stringify(options.seed));
    env.SEED_FILE = seedPath;
  }
  const chunks: string[] = [];
  const logStream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  const clock = options.clock ?? new AdjustableClock();
  const running = await startPlatform(parseConfig(env), { clock, logStream });
  const self: TestPlatform = {
    url: running.url,
    running,
    clock,
    dir,
    dbPath,
    logs: () => chunks.join(''),
    close: async () => {
      await running.close();
      if (!options.dir) {
        rmSync(dir, { recursive: true, force: true });
        await dropTestDatabase(dir);
      }
    },
    restart: async () => {
      await running.close();
      return startTestPlatform({ ...options, dir, clock });
    },
  };
  return self;
}

export interface Reply<T = unknown> {
  status: number;
  headers: Headers;
  text: string;
  json: T;
}

export async function call<T = unknown>(url: string, init: RequestInit = {}): Promise<Reply<T>> {
  const res = await fetch(url, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json: json as T };
}

export async function accessToken(
  base: string,
  creds: Pick<PspCreds, 'clientId' | 'clientSecret' | 'subscriptionKey'> = DEMO,
): Promise<string> {
  const r = await call<{ access_token: string }>(`${base}/accesstoken/get`, {
    method: 'POST',
    headers: { client_id: creds.clientId, client_secret: creds.clientSecret, 'Ocp-Apim-Subscription-Key': creds.subscriptionKey },
  });
  if (r.status !== 200) throw new Error(`token: ${r.status} ${r.text}`);
  return r.json.access_token;
}

/** A PSP API client for tests: the headers of the real API, JSON in and out. */
export class PspApi {
  constructor(
    readonly base: string,
    readonly token: string,
    readonly creds: PspCreds = { ...DEMO },
  ) {}

  static async connect(base: string, creds: PspCreds = { ...DEMO }): Promise<PspApi> {
    return new PspApi(base, await accessToken(base, creds), creds);
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      Authorization: `Bearer ${this.token}`,
      'Ocp-Apim-Subscription-Key': this.creds.subscriptionKey,
      'Psp-Id': this.creds.pspId,
      'Merchant-Serial-Number': this.creds.msn,
      'Content-Type': 'application/json',
      ...extra,
    };
  }

  post<T = unknown>(path: string, body: unknown, extra: Record<string, string> = {}): Promise<Reply<T>> {
    return call<T>(`${this.base}${path}`, { method: 'POST', headers: this.headers(extra), body: JSON.stringify(body) });
  }

  get<T = unknown>(path: string, extra: Record<string, string> = {}): Promise<Reply<T>> {
    const headers = this.headers(extra);
    delete headers['Content-Type'];
    return call<T>(`${this.base}${path}`, { headers });
  }

  init(body: Record<string, unknown>, extra: Record<string, string> = {}) {
    return this.post<{ pspTransactionId: string; merchantOrderId: string; vippsRedirectUrl: string }>(
      '/psp/v3/psppayments/init',
      body,
      extra,
    );
  }

  details(pspTransactionId: string, extra: Record<string, string> = {}) {
    return this.get<PaymentDetailsBody>(`/psp/v3/psppayments/${encodeURIComponent(pspTransactionId)}/details`, extra);
  }
}

export interface PaymentDetailsBody {
  pspTransactionId: string;
  merchantOrderId: string;
  transactionSummary: { capturedAmount: number; remainingAmountToCapture: number; refundedAmount: number; remainingAmountToRefund: number };
  transactionLogHistory: { amount: number; paymentText?: string; timeStamp: string; operation: string; operationSuccess: boolean }[];
}

let counter = 0;
/** A unique id for pspTransactionId / merchantOrderId. */
export function uid(prefix = 't'): string {
  counter += 1;
  return `${prefix}${Date.now().toString(36)}${counter.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

export function initBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    pspTransactionId: uid('p'),
    merchantOrderId: uid('order-'),
    amount: 49900,
    currency: 'NOK',
    pspRedirectUrl: 'http://localhost:3000/result',
    makePaymentUrl: 'http://127.0.0.1:3000/makepayment',
    makePaymentToken: 'mpt-secret-value-1234',
    paymentText: 'One pair of socks',
    ...overrides,
  };
}
