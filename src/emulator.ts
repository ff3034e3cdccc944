/**
 * The programmatic API for other projects' test suites:
 *
 *   const emulator = await startEmulator();
 *   // … point the PSP client at emulator.url …
 *   await emulator.close();
 *
 * Defaults differ from the CLI where a test suite wants them to: an in-memory database and a
 * free port.
 */
import { PspClient, type PspClientConfig } from './client/index.js';
import { AdjustableClock } from './clock.js';
import { type Env, parseConfig } from './config.js';
import type { Fault } from './domain/faults.js';
import { type RunningPlatform, startPlatform } from './main.js';
import { DEMO_SEED_FILE } from './package-root.js';
import { readSeedFile, type Seed } from './seed.js';
import { addTestUser, approveAsUser, cancelAsUser, paymentView } from './services/control.js';
import { createFault } from './services/faults.js';
import { type ResetResult, resetPlatform } from './services/reset.js';

export interface EmulatorOptions {
  readonly port?: number;
  readonly host?: string;
  readonly publicUrl?: string;
  /** `sqlite:<path>` or `sqlite::memory:` (the default here). */
  readonly databaseUrl?: string;
  readonly seedFile?: string;
  readonly profile?: 'test' | 'production';
  /** Any other setting, by its environment variable name (e.g. `CALLBACK_TIMEOUT_MS`). */
  readonly env?: Env;
  readonly logLevel?: string;
  readonly logStream?: NodeJS.WritableStream;
}

/**
 * The seed's first PSP, ready for `new PspClient(credentials)`: base URL, client id and secret,
 * subscription key, Psp-Id and its first active sales unit.
 */
export interface EmulatorCredentials extends PspClientConfig {
  readonly baseUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly subscriptionKey: string;
  readonly pspId: string;
  readonly merchantSerialNumber: string;
}

export interface Emulator {
  readonly url: string;
  /** The seed's first PSP's credentials (the demo PSP's with the built-in seed). */
  readonly credentials: EmulatorCredentials;
  /** A PspClient with those credentials (it fetches its access token on the first call). */
  readonly client: PspClient;
  /** The seed that was applied (every PSP, sales unit and test user, with secrets: a test's own data). */
  readonly seed: Seed;
  /** The platform's clock, as the control API moves it; advancing runs everything that came due. */
  readonly clock: { now(): number; advance(seconds: number): Promise<void> };
  /** The user confirms in the app (as `POST /_emulator/payments/{id}/approve`); resolves after the makePayment outcome. */
  approve(pspTransactionId: string, options?: { phoneNumber?: string; cardId?: string; pspId?: string }): Promise<PaymentView>;
  /** The user cancels (as `POST /_emulator/payments/{id}/cancel`). */
  cancel(pspTransactionId: string, options?: { pspId?: string }): Promise<PaymentView>;
  /** The payment's internal state, timeline and callback attempts (as `GET /_emulator/payments/{id}`). */
  payment(pspTransactionId: string, options?: { pspId?: string }): Promise<PaymentView>;
  /** Adds or replaces a test user with cards (the seed file's user shape). */
  addUser(user: unknown): Promise<void>;
  /** As `POST /_emulator/reset`: everything, or one PSP's payments, batches, journal and faults. */
  reset(options?: { pspId?: string }): Promise<ResetResult>;
  /** As `POST /_emulator/faults`: injects a fault (docs/inspector.md "Faults"); the PSP defaults to the first one. */
  fault(spec: Record<string, unknown>, options?: { pspId?: string }): Promise<Fault>;
  close(): Promise<void>;
  /** The running parts, for advanced use (tests of this package). */
  readonly running: RunningPlatform;
}

export type PaymentView = Awaited<ReturnType<typeof paymentView>>;

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const env: Record<string, string | undefined> = {
    PORT: String(options.port ?? 0),
    DATABASE_URL: options.databaseUrl ?? 'sqlite::memory:',
    LOG_LEVEL: options.logLevel ?? 'warn',
    ...options.env,
  };
  if (options.host) env.HOST = options.host;
  if (options.publicUrl) env.PUBLIC_URL = options.publicUrl;
  if (options.seedFile) env.SEED_FILE = options.seedFile;
  if (options.profile) env.PROFILE = options.profile;
  const config = parseConfig(env);
  // Read here too (the platform applies it): the credentials come from the seed, never the database
  // (which keeps only digests of the secrets).
  const seed = readSeedFile(config.seedFile ?? DEMO_SEED_FILE());
  const clock = new AdjustableClock();
  const running = await startPlatform(config, {
    clock,
    ...(options.logStream ? { logStream: options.logStream } : {}),
  });
  const defaultPspId = async () => (await running.platform.repos.psps.list())[0]?.pspId;
  const psp = seed.psps[0];
  const msn = seed.merchants.find((m) => m.pspId === psp?.pspId && m.status === 'ACTIVE')?.merchantSerialNumber;
  const credentials: EmulatorCredentials = Object.freeze({
    baseUrl: running.url,
    clientId: psp?.clientId ?? '',
    clientSecret: psp?.clientSecret ?? '',
    subscriptionKey: psp?.subscriptionKey ?? '',
    pspId: psp?.pspId ?? '',
    merchantSerialNumber: msn ?? '',
  });
  return {
    url: running.url,
    credentials,
    // The token's expiry follows the emulator's clock, so clock.advance() past an hour renews it.
    client: new PspClient({ ...credentials, now: () => clock.now() }),
    seed,
    clock: {
      now: () => clock.now(),
      advance: async (seconds: number) => {
        await clock.advance(seconds * 1000);
        await running.platform.scheduler.runDue();
      },
    },
    approve: async (id, opts = {}) => {
      const { pspId, ...rest } = opts;
      return approveAsUser(running.platform, pspId ?? (await defaultPspId()), id, rest);
    },
    cancel: async (id, opts = {}) => cancelAsUser(running.platform, opts.pspId ?? (await defaultPspId()), id),
    payment: async (id, opts = {}) => paymentView(running.platform, opts.pspId ?? (await defaultPspId()), id),
    addUser: async (user) => {
      await addTestUser(running.platform, user);
    },
    reset: (opts = {}) => resetPlatform(running.platform, opts.pspId),
    fault: async (spec, opts = {}) => createFault(running.platform, opts.pspId ?? (await defaultPspId()), spec),
    close: () => running.close(),
    running,
  };
}
