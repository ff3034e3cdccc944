/**
 * The platform's parts, built once from config (main.ts) and handed to services and routes.
 * No globals: tests build as many platforms as they like, each on its own database.
 */

import { createOutboundHttp } from './callbacks/outbound-http.js';
import { AdjustableClock, type Clock, iso } from './clock.js';
import type { Config } from './config.js';
import type { RedirectUrlPolicy, UrlPolicy } from './domain/url-rules.js';
import { PaymentEvents } from './events.js';
import { registerMerchantActivationJob } from './jobs/merchant-activation-job.js';
import { Scheduler } from './jobs/scheduler.js';
import { registerStatusBatchJob } from './jobs/status-batch-job.js';
import { createLogger, type Logger } from './logger.js';
import { DEMO_SEED_FILE } from './package-root.js';
import { AccessTokens } from './security/access-tokens.js';
import { LandingTokens } from './security/landing-tokens.js';
import { SecretBox } from './security/secret-box.js';
import { loadOrCreateSigningKey } from './security/signing-key.js';
import { applySeed, readSeedFile } from './seed.js';
import { ApprovalEngine } from './services/approval-engine.js';
import { CallbackAttemptRepository } from './store/callback-attempts.js';
import { openStore, type Store } from './store/db.js';
import { IdempotencyRepository } from './store/idempotency.js';
import { MerchantRepository } from './store/merchants.js';
import { startPaymentNotifications } from './store/payment-notifications.js';
import { PaymentRepository } from './store/payments.js';
import { PspRepository } from './store/psps.js';
import { UserRepository } from './store/users.js';
import { TokenService } from './wallet/token-service.js';

export interface Repositories {
  readonly psps: PspRepository;
  readonly merchants: MerchantRepository;
  readonly users: UserRepository;
  readonly payments: PaymentRepository;
  readonly idempotency: IdempotencyRepository;
  readonly callbacks: CallbackAttemptRepository;
}

export interface Platform {
  readonly config: Config;
  readonly log: Logger;
  readonly clock: Clock & { advance(ms: number): void };
  readonly store: Store;
  readonly repos: Repositories;
  readonly accessTokens: AccessTokens;
  readonly landingTokens: LandingTokens;
  readonly secrets: SecretBox;
  /** The approval engine: the one way a payment gets its outcome (services/approval-engine.ts). */
  readonly engine: ApprovalEngine;
  /** Payment changes, for the app's push and the landing page's live status. */
  readonly events: PaymentEvents;
  /** Due work: jobs register here; started by main.ts, run at once by the clock control. */
  readonly scheduler: Scheduler;
  readonly urlPolicies: { readonly makePaymentUrl: UrlPolicy; readonly pspRedirectUrl: RedirectUrlPolicy };
  /** The base of the URLs the platform hands out (PUBLIC_URL, or http://localhost:<bound port>). */
  publicUrl(): string;
  /** Called once the server listens, so a PORT=0 platform knows its URL. */
  setBoundPort(port: number): void;
  close(): Promise<void>;
}

export interface PlatformOptions {
  /** A clock to use instead of the real one (tests). */
  readonly clock?: AdjustableClock;
  /** Where logs go (default stdout). Tests pass a stream to inspect them. */
  readonly logStream?: NodeJS.WritableStream;
}

export async function buildPlatform(config: Config, options: PlatformOptions = {}): Promise<Platform> {
  const clock = options.clock ?? new AdjustableClock();
  const log = createLogger(config.logLevel, options.logStream);
  const store = await openStore(config.databaseUrl, { synchronous: config.sqliteSynchronous, poolSize: config.databasePoolSize });
  try {
    const repos: Repositories = {
      psps: new PspRepository(store.db),
      merchants: new MerchantRepository(store.db),
      users: new UserRepository(store.db),
      payments: new PaymentRepository(store.db),
      idempotency: new IdempotencyRepository(store.db),
      callbacks: new CallbackAttemptRepository(store.db),
    };
    const seed = readSeedFile(config.seedFile ?? DEMO_SEED_FILE());
    // Nodes that start together on one PostgreSQL take turns: the seed looks, then inserts.
    const key = await store.exclusive('startup', async () => {
      await applySeed(seed, repos, iso(clock.now()));
      return loadOrCreateSigningKey(store.db, iso(clock.now()));
    });
    const secrets = store.path ? SecretBox.fromKeyFile(`${store.path}.key`) : SecretBox.inMemory();
    const production = config.profile === 'production';
    let publicUrl = config.publicUrl;
    const address = { allowLoopback: config.allowLoopbackCallbacks, allowPrivate: config.allowPrivateCallbacks };
    const scheduler = new Scheduler(
      () => clock.now(),
      (job, error) => log.error({ err: error, job }, 'job failed'),
    );
    registerStatusBatchJob(scheduler, { config, clock, log, store, repos });
    registerMerchantActivationJob(scheduler, { config, log, repos });
    const events = new PaymentEvents();
    // Several nodes on one PostgreSQL: each node's pages hear the changes of the others.
    const notifications =
      store.dialect === 'postgres'
        ? await startPaymentNotifications({
            databaseUrl: config.databaseUrl,
            db: store.db,
            deliver: (change) => events.deliverFromOtherNode(change),
            log,
          })
        : null;
    if (notifications) events.relayTo((change) => notifications.publish(change));
    const platform: Platform = {
      engine: undefined as unknown as ApprovalEngine, // set below: the engine needs the platform
      events,
      config,
      log,
      clock,
      scheduler,
      store,
      repos,
      accessTokens: new AccessTokens(key, clock, config.accessTokenTtlSeconds, 'urn:vipps-psp-emulator:accesstoken'),
      landingTokens: new LandingTokens(key.derivedSecret, clock, 'urn:vipps-psp-emulator:deeplink'),
      secrets,
      urlPolicies: {
        // The platform connects to makePaymentUrl: address classes and https (SSRF guard, §2.11).
        makePaymentUrl: { ...address, requireHttps: production },
        // pspRedirectUrl is only where the user's browser goes: the real validator's rules, with
        // local hosts (http://localhost:3000/…) allowed in the test profile (docs/differences.md).
        pspRedirectUrl: { allowLocalHosts: !production },
      },
      publicUrl: () => publicUrl,
      setBoundPort: (port: number) => {
        if (!config.publicUrlExplicit) publicUrl = `http://localhost:${port}`;
      },
      close: async () => {
        await scheduler.stop();
        await notifications?.close();
        await store.close();
      },
    };
    const engine = new ApprovalEngine({
      platform,
      // Token numbers are derived per database (stable across restarts), from the key id.
      tokens: new TokenService(`vipps-psp-emulator-tokens:${key.kid}`, config.profile === 'test'),
      http: createOutboundHttp(address),
      events,
    });
    (platform as { engine: ApprovalEngine }).engine = engine;
    scheduler.register('approval-sweep', (nowMs) => engine.sweep(nowMs));
    return platform;
  } catch (error) {
    await store.close();
    throw error;
  }
}
