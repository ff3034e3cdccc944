/**
 * The platform's parts, built once from config (main.ts) and handed to services and routes.
 * No globals: tests build as many platforms as they like, each on its own database, and several
 * processes may share one database (every decision that must agree across them lives in it:
 * docs/ARCHITECTURE.md "Where coordination lives").
 */

import { randomBytes } from 'node:crypto';
import { createOutboundHttp, type OutboundHttp } from './callbacks/outbound-http.js';
import { AdjustableClock, iso } from './clock.js';
import type { Config } from './config.js';
import type { RedirectUrlPolicy, UrlPolicy } from './domain/url-rules.js';
import { PaymentEvents } from './events.js';
import { registerApprovalSweep } from './jobs/approval-sweep.js';
import { registerMerchantActivationJob } from './jobs/merchant-activation-job.js';
import { Scheduler } from './jobs/scheduler.js';
import { registerStatusBatchJob } from './jobs/status-batch-job.js';
import { createLogger, type Logger } from './logger.js';
import { DEMO_SEED_FILE } from './package-root.js';
import { AccessTokens } from './security/access-tokens.js';
import { LandingTokens } from './security/landing-tokens.js';
import { loadPlatformKeys, type PlatformKeys } from './security/platform-keys.js';
import { SecretBox } from './security/secret-box.js';
import { loadOrCreateSigningKey } from './security/signing-key.js';
import { applySeed, readSeedFile } from './seed.js';
import type { ApprovalDeps } from './services/approval/deps.js';
import { OutboundDelivery } from './services/approval/outbound-delivery.js';
import { PaymentReads } from './services/approval/payment-reads.js';
import { UserActions } from './services/approval/user-actions.js';
import { CallbackAttemptRepository } from './store/callback-attempts.js';
import { openStore, type Store } from './store/db.js';
import { FaultRepository } from './store/faults.js';
import { IdempotencyRepository } from './store/idempotency.js';
import { MerchantRepository } from './store/merchants.js';
import { PaymentLedgerRepository } from './store/payment-ledger.js';
import { startPaymentNotifications } from './store/payment-notifications.js';
import { PaymentRepository } from './store/payments.js';
import { PlatformStateRepository } from './store/platform-state.js';
import { PspRepository } from './store/psps.js';
import { RequestJournal } from './store/request-journal.js';
import { StatusBatchRepository } from './store/status-batches.js';
import { UserRepository } from './store/users.js';
import { TokenService } from './wallet/token-service.js';

export interface Repositories {
  readonly psps: PspRepository;
  readonly merchants: MerchantRepository;
  readonly users: UserRepository;
  readonly payments: PaymentRepository;
  readonly ledgers: PaymentLedgerRepository;
  readonly statusBatches: StatusBatchRepository;
  readonly idempotency: IdempotencyRepository;
  readonly callbacks: CallbackAttemptRepository;
  readonly platformState: PlatformStateRepository;
  /** The request journal: every PSP-facing API call (store/request-journal.ts). */
  readonly journal: RequestJournal;
  /** Injected faults of the PSP-facing APIs (store/faults.ts). */
  readonly faults: FaultRepository;
}

export interface Platform {
  readonly config: Config;
  readonly log: Logger;
  /** This process on the database: random per start; it names the claims (leases) it holds. */
  readonly nodeId: string;
  readonly clock: AdjustableClock;
  readonly store: Store;
  readonly repos: Repositories;
  readonly accessTokens: AccessTokens;
  readonly landingTokens: LandingTokens;
  readonly secrets: SecretBox;
  readonly keys: PlatformKeys;
  /** A payment as it is now, expired on read when overdue (services/approval/payment-reads.ts). */
  readonly paymentReads: PaymentReads;
  /** What the user does: the one way a payment gets its outcome (services/approval/user-actions.ts). */
  readonly userActions: UserActions;
  /** The makePayment calls, under leases (services/approval/outbound-delivery.ts). */
  readonly delivery: OutboundDelivery;
  /** Payment changes, for the app's push and the landing page's live status. */
  readonly events: PaymentEvents;
  /** Due work: jobs register here; started by main.ts, run at once by the clock control. */
  readonly scheduler: Scheduler;
  readonly urlPolicies: { readonly makePaymentUrl: UrlPolicy; readonly pspRedirectUrl: RedirectUrlPolicy };
  /** The base of the URLs the platform hands out (PUBLIC_URL, or http://localhost:<bound port>). */
  publicUrl(): string;
  /** Called once the server listens, so a PORT=0 platform knows its URL. */
  setBoundPort(port: number): void;
  /**
   * Resolves when the due work of this process is done: the jobs have run once more after
   * everything queued before the call, and no outbound call of this process is in flight.
   */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export interface PlatformOptions {
  /** A clock to use instead of the real one (tests). */
  readonly clock?: AdjustableClock;
  /** Where logs go (default stdout). Tests pass a stream to inspect them. */
  readonly logStream?: NodeJS.WritableStream;
  /** The outbound HTTP seam (default: real HTTP with the address check of the configuration). */
  readonly http?: OutboundHttp;
}

export async function buildPlatform(config: Config, options: PlatformOptions = {}): Promise<Platform> {
  const clock = options.clock ?? new AdjustableClock();
  const nodeId = `node-${randomBytes(4).toString('hex')}`;
  const log = createLogger(config.logLevel, options.logStream).child({ node: nodeId });
  const store = await openStore(config.databaseUrl, { synchronous: config.sqliteSynchronous, poolSize: config.databasePoolSize });
  try {
    const repos: Repositories = {
      psps: new PspRepository(store.db),
      merchants: new MerchantRepository(store.db, store.hot),
      users: new UserRepository(store.db),
      payments: new PaymentRepository(store.db, store.hot),
      ledgers: new PaymentLedgerRepository(store.db),
      statusBatches: new StatusBatchRepository(store.db),
      idempotency: new IdempotencyRepository(store.db),
      callbacks: new CallbackAttemptRepository(store.db),
      platformState: new PlatformStateRepository(store.db),
      journal: new RequestJournal(store.db, {
        maxRows: config.requestJournalMaxRows,
        onError: (error) => log.warn({ err: error }, 'request journal rows not recorded'),
      }),
      faults: new FaultRepository(store.db),
    };
    await clock.attach(repos.platformState, config.clockRefreshMs);
    const nowIso = iso(clock.now());
    const seed = readSeedFile(config.seedFile ?? DEMO_SEED_FILE());
    // Nodes that start together on one PostgreSQL take turns: the seed and the keys look, then insert.
    const { key, keys } = await store.exclusive('startup', async () => {
      await applySeed(seed, repos, nowIso);
      const key = await loadOrCreateSigningKey(store.db, nowIso);
      const keys = await loadPlatformKeys({ secret: config.platformSecret, state: repos.platformState, databasePath: store.path, nowIso });
      return { key, keys };
    });
    const production = config.profile === 'production';
    let publicUrl = config.publicUrl;
    const address = { allowLoopback: config.allowLoopbackCallbacks, allowPrivate: config.allowPrivateCallbacks };
    const scheduler = new Scheduler(
      () => clock.now(),
      (job, error) => log.error({ err: error, job }, 'job failed'),
    );
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
    const secrets = new SecretBox(keys.seal);
    const publicUrlOf = () => publicUrl;
    const approvalDeps: ApprovalDeps = {
      config,
      clock,
      log,
      store,
      repos,
      secrets,
      events,
      nodeId,
      publicUrl: publicUrlOf,
      // Token numbers are derived per database (stable across restarts and processes), from the key id.
      tokens: new TokenService(`vipps-psp-emulator-tokens:${key.kid}`, config.profile === 'test'),
      http: options.http ?? createOutboundHttp(address),
    };
    const delivery = new OutboundDelivery(approvalDeps);
    const paymentReads = new PaymentReads(approvalDeps, delivery);
    const userActions = new UserActions(approvalDeps, paymentReads, delivery);
    registerApprovalSweep(scheduler, { store, repos, delivery });
    registerStatusBatchJob(scheduler, { config, clock, log, store, repos, nodeId });
    registerMerchantActivationJob(scheduler, { config, log, repos });
    return {
      config,
      log,
      nodeId,
      clock,
      store,
      repos,
      accessTokens: new AccessTokens(key, clock, config.accessTokenTtlSeconds, 'urn:vipps-psp-emulator:accesstoken'),
      landingTokens: new LandingTokens(key.derivedSecret, clock, 'urn:vipps-psp-emulator:deeplink'),
      secrets,
      keys,
      paymentReads,
      userActions,
      delivery,
      events,
      scheduler,
      urlPolicies: {
        // The platform connects to makePaymentUrl: address classes and https (SSRF guard, §2.11).
        makePaymentUrl: { ...address, requireHttps: production },
        // pspRedirectUrl is only where the user's browser goes: the real validator's rules, with
        // local hosts (http://localhost:3000/…) allowed in the test profile (docs/differences.md).
        pspRedirectUrl: { allowLocalHosts: !production },
      },
      publicUrl: publicUrlOf,
      setBoundPort: (port: number) => {
        if (!config.publicUrlExplicit) publicUrl = `http://localhost:${port}`;
      },
      idle: () => scheduler.idle(),
      close: async () => {
        await scheduler.stop();
        await notifications?.close();
        clock.detach();
        await repos.journal.close();
        await store.close();
      },
    };
  } catch (error) {
    clock.detach();
    await store.close();
    throw error;
  }
}
