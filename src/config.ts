/**
 * Configuration, parsed once at boot into a frozen, typed object (GUIDE practice 10).
 * Every variable has an equivalent CLI flag (see cli.ts); a bad value fails fast naming it.
 */
import { resolve } from 'node:path';
import { redactPasswords } from './redact.js';

export type Profile = 'test' | 'production';
export type StatusBatchSchedule = 'immediate' | 'nightly' | 'manual' | 'never';
export type SqliteSynchronous = 'FULL' | 'NORMAL';
/** The status a sales unit created through the PSP Merchant API starts in (§3 ⚠: undocumented). */
export type MerchantInitialStatus = 'ACTIVE' | 'PENDING';

export interface Config {
  readonly port: number;
  readonly host: string;
  /** Base of every URL the platform hands out (landing page, 3-D Secure return URLs). No trailing slash. */
  readonly publicUrl: string;
  /** Whether PUBLIC_URL was given; if not, it follows the port the server is bound to. */
  readonly publicUrlExplicit: boolean;
  readonly databaseUrl: string;
  /**
   * Durability: FULL (default) acknowledges a write only once it is on disk (survives power loss:
   * an fdatasync of the WAL per group commit, off the event loop, store/wal-sync.ts); NORMAL may
   * lose the last commits on power loss (never corrupts). NORMAL exists for the
   * benchmark's durability comparison (docs/PERFORMANCE.md), not as a recommendation.
   */
  readonly sqliteSynchronous: SqliteSynchronous;
  /**
   * Connections per node to a PostgreSQL `DATABASE_URL` (pg's pool; DATABASE_POOL_SIZE). Each
   * node holds up to this many: size the server's `max_connections` for nodes × pool size.
   * At least 2 (store.exclusive holds one for a lock). Unused on SQLite (one connection, group commit).
   */
  readonly databasePoolSize: number;
  /** Path of the seed file, or null for the built-in demo seed. */
  readonly seedFile: string | null;
  readonly profile: Profile;
  readonly logLevel: string;
  /** Lifetime of an access token from /accesstoken/get: 1 h in test, 24 h in production (psp-facts.md §1.1). */
  readonly accessTokenTtlSeconds: number;
  /** The landing page link / deeplink is valid 5 minutes (§2.2, §2.13). */
  readonly landingPageTtlSeconds: number;
  /** Time the user has to confirm in the app after the push (§2.13). */
  readonly appConfirmTtlSeconds: number;
  /** Hard cap on a payment's life before TIMEOUT (§2.13: 10 minutes). */
  readonly paymentMaxLifeSeconds: number;
  /** Deadline of the makePayment call to the PSP (§2.5: 15 s). */
  readonly callbackTimeoutMs: number;
  /** How long idempotency keys are kept. */
  readonly idempotencyTtlSeconds: number;
  readonly bodyLimitBytes: number;
  /**
   * How deep a JSON body may nest (objects and arrays), checked before it is parsed: deeper is a
   * 400 in the API's format. The APIs' bodies nest 3 levels at most; the limit keeps every walk of
   * a body (validation, the idempotency fingerprint) bounded.
   */
  readonly jsonMaxDepth: number;
  readonly updateStatusBodyLimitBytes: number;
  readonly requestTimeoutMs: number;
  /**
   * Addresses (besides public ones) that makePaymentUrl may point at. The test profile allows
   * loopback for local PSP development; link-local and metadata addresses are never allowed.
   * (pspRedirectUrl is never fetched by the platform: its rules depend on the profile only.)
   */
  readonly allowLoopbackCallbacks: boolean;
  readonly allowPrivateCallbacks: boolean;
  readonly statusBatchSchedule: StatusBatchSchedule;
  /** Interval of the due-work sweep (expiry, batch schedule) on the real clock. */
  readonly sweepIntervalMs: number;
  /** New sales units (PSP Merchant API) start ACTIVE (test default) or PENDING (production default). */
  readonly merchantInitialStatus: MerchantInitialStatus;
  /** A PENDING sales unit becomes ACTIVE this long after its creation, on the platform clock. */
  readonly merchantActivationDelaySeconds: number;
  /**
   * An outbound call's lease (claimed_by / lease_until on the platform clock) is the call's
   * deadline plus this margin: a process that made no progress in that time is taken for dead, and
   * another one applies the cut-off rule (docs/approval-engine.md "Cut-off calls").
   */
  readonly callbackLeaseMarginMs: number;
  /** How often a process re-reads the clock offset another process may have moved (src/clock.ts). */
  readonly clockRefreshMs: number;
  /**
   * 32 bytes (base64) from which the makePaymentToken sealing key and the app's session key are
   * derived; null: random keys created once in the database (store/platform-state.ts).
   */
  readonly platformSecret: Buffer | null;
  /** Rows the request journal keeps (the oldest are dropped beyond this). */
  readonly requestJournalMaxRows: number;
  /** Characters of a request or response body the journal keeps (the rest is cut off). */
  readonly requestJournalBodyMaxChars: number;
  /**
   * When set, the control API (`/_emulator/…`) and the inspector require it (`Authorization:
   * Bearer …`, or the inspector's login cookie). Unset: open to whoever reaches the port.
   */
  readonly controlApiToken: string | null;
}

export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    // A bad DATABASE_URL is echoed in the message: never with its password.
    super(redactPasswords(`${variable}: ${message}`));
    this.name = 'ConfigError';
  }
}

function intVar(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `expected an integer, got ${JSON.stringify(raw)}`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function boolVar(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(name, `expected true or false, got ${JSON.stringify(raw)}`);
}

function enumVar<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(raw)}`);
  }
  return raw as T;
}

function secretVar(env: Env, name: string): Buffer | null {
  const raw = env[name];
  if (raw === undefined || raw === '') return null;
  const key = /^[A-Za-z0-9+/_-]+={0,2}$/.test(raw) ? Buffer.from(raw, 'base64') : Buffer.alloc(0);
  // The value itself is never echoed: it is a secret.
  if (key.length !== 32) throw new ConfigError(name, 'expected 32 bytes in base64 (e.g. `openssl rand -base64 32`)');
  return key;
}

function controlApiTokenOf(env: Env): string | null {
  const raw = env.CONTROL_API_TOKEN;
  if (raw === undefined || raw === '') return null;
  // It travels in a header and a cookie: printable ASCII without spaces, and long enough not to guess.
  if (!/^[\x21-\x7e]{16,256}$/.test(raw)) {
    throw new ConfigError('CONTROL_API_TOKEN', 'expected 16 to 256 printable ASCII characters without spaces');
  }
  return raw;
}

export const DEFAULT_DATABASE_URL = `sqlite:${resolve('data', 'vipps-psp-emulator.sqlite')}`;

export function parseConfig(env: Env): Config {
  const port = intVar(env, 'PORT', 7070, 0, 65535);
  const host = env.HOST && env.HOST !== '' ? env.HOST : '127.0.0.1';
  const profile = enumVar<Profile>(env, 'PROFILE', ['test', 'production'], 'test');
  const rawPublicUrl = env.PUBLIC_URL && env.PUBLIC_URL !== '' ? env.PUBLIC_URL : `http://localhost:${port}`;
  let publicUrl: string;
  try {
    const parsed = new URL(rawPublicUrl);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http(s)');
    publicUrl = parsed.href.replace(/\/+$/, '');
  } catch {
    throw new ConfigError('PUBLIC_URL', `expected an http(s) URL, got ${JSON.stringify(rawPublicUrl)}`);
  }
  const databaseUrl = env.DATABASE_URL && env.DATABASE_URL !== '' ? env.DATABASE_URL : DEFAULT_DATABASE_URL;
  if (!/^(sqlite:|postgres:\/\/|postgresql:\/\/)/.test(databaseUrl)) {
    // Echoed with its password as *** (ConfigError).
    throw new ConfigError(
      'DATABASE_URL',
      `expected sqlite:<path>, sqlite::memory:, postgres://… or postgresql://…, got ${JSON.stringify(databaseUrl)}`,
    );
  }
  const isTest = profile === 'test';
  const config: Config = {
    port,
    host,
    publicUrl,
    publicUrlExplicit: Boolean(env.PUBLIC_URL),
    databaseUrl,
    sqliteSynchronous: enumVar<SqliteSynchronous>(env, 'SQLITE_SYNCHRONOUS', ['FULL', 'NORMAL'], 'FULL'),
    // At least 2: start-up work holds one connection for its lock while it writes through another.
    databasePoolSize: intVar(env, 'DATABASE_POOL_SIZE', 10, 2, 1000),
    seedFile: env.SEED_FILE && env.SEED_FILE !== '' ? resolve(env.SEED_FILE) : null,
    profile,
    logLevel: enumVar(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    accessTokenTtlSeconds: isTest ? 3600 : 86400,
    landingPageTtlSeconds: 300,
    appConfirmTtlSeconds: 300,
    paymentMaxLifeSeconds: 600,
    callbackTimeoutMs: intVar(env, 'CALLBACK_TIMEOUT_MS', 15_000, 100, 120_000),
    idempotencyTtlSeconds: intVar(env, 'IDEMPOTENCY_TTL_SECONDS', 86_400, 86_400, 30 * 86_400),
    bodyLimitBytes: intVar(env, 'BODY_LIMIT_BYTES', 64 * 1024, 1024, 16 * 1024 * 1024),
    jsonMaxDepth: intVar(env, 'JSON_MAX_DEPTH', 64, 4, 1000),
    updateStatusBodyLimitBytes: intVar(env, 'UPDATESTATUS_BODY_LIMIT_BYTES', 8 * 1024 * 1024, 1024, 256 * 1024 * 1024),
    requestTimeoutMs: intVar(env, 'REQUEST_TIMEOUT_MS', 30_000, 1000, 600_000),
    allowLoopbackCallbacks: boolVar(env, 'ALLOW_LOOPBACK_CALLBACKS', isTest),
    allowPrivateCallbacks: boolVar(env, 'ALLOW_PRIVATE_CALLBACKS', false),
    statusBatchSchedule: enumVar<StatusBatchSchedule>(
      env,
      'STATUS_BATCH_SCHEDULE',
      ['immediate', 'nightly', 'manual', 'never'],
      isTest ? 'immediate' : 'nightly',
    ),
    sweepIntervalMs: intVar(env, 'SWEEP_INTERVAL_MS', 1000, 10, 60_000),
    merchantInitialStatus: enumVar<MerchantInitialStatus>(
      env,
      'MERCHANT_INITIAL_STATUS',
      ['ACTIVE', 'PENDING'],
      isTest ? 'ACTIVE' : 'PENDING',
    ),
    merchantActivationDelaySeconds: intVar(env, 'MERCHANT_ACTIVATION_DELAY_SECONDS', 300, 0, 10 * 365 * 86_400),
    callbackLeaseMarginMs: intVar(env, 'CALLBACK_LEASE_MARGIN_MS', 30_000, 100, 600_000),
    clockRefreshMs: intVar(env, 'CLOCK_REFRESH_MS', 200, 10, 60_000),
    platformSecret: secretVar(env, 'PLATFORM_SECRET'),
    requestJournalMaxRows: intVar(env, 'REQUEST_JOURNAL_MAX_ROWS', 10_000, 100, 10_000_000),
    requestJournalBodyMaxChars: intVar(env, 'REQUEST_JOURNAL_BODY_MAX_CHARS', 16 * 1024, 256, 1024 * 1024),
    controlApiToken: controlApiTokenOf(env),
  };
  return Object.freeze(config);
}
