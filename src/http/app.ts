/**
 * The HTTP edge: Fastify with case-insensitive, trailing-slash-tolerant routing (real clients
 * send `/accessToken/get`, `/init/`; psp-facts.md §2.1), body and time limits, redacted
 * structured logs, and the one error handler.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type onRouteHookHandler } from 'fastify';
import type { Platform } from '../platform.js';
import { newRowId } from '../store/ids.js';
import { installApiCallLog } from './api-call-log.js';
import { installErrorHandling } from './error-handler.js';
import { accessTokenRoutes } from './routes/access-token.js';
import { emulatorChecklistRoutes } from './routes/emulator-checklist.js';
import { emulatorClockRoutes } from './routes/emulator-clock.js';
import { emulatorPaymentRoutes } from './routes/emulator-payments.js';
import { emulatorStatusBatchRoutes } from './routes/emulator-status-batches.js';
import { forceApproveRoutes } from './routes/force-approve.js';
import { healthRoutes } from './routes/health.js';
import { landingPageRoutes } from './routes/landing-page.js';
import { mobileInterceptRoutes } from './routes/mobile-intercept.js';
import { pspMerchantRoutes } from './routes/psp-merchants.js';
import { pspPaymentRoutes } from './routes/psp-payments.js';
import { pspUpdateStatusRoutes } from './routes/psp-updatestatus.js';
import { publicAssetRoutes } from './routes/public-assets.js';
import { walletAppRoutes } from './routes/wallet-app.js';

export interface HttpAppOptions {
  /**
   * Sees every route as it is added, before any is registered (Fastify's onRoute hook): the route
   * table test walks the app's own routes with it (test/control-isolation.test.ts).
   */
  readonly onRoute?: onRouteHookHandler;
}

export async function buildHttpApp(platform: Platform, options: HttpAppOptions = {}): Promise<FastifyInstance> {
  const { config } = platform;
  const app = Fastify({
    loggerInstance: platform.log as FastifyBaseLogger,
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true },
    bodyLimit: config.bodyLimitBytes,
    requestTimeout: config.requestTimeoutMs,
    connectionTimeout: config.requestTimeoutMs,
    // Request ids are the api_calls rows' keys (and the errors' contextId): time-ordered.
    genReqId: () => newRowId(),
    requestIdHeader: false,
    trustProxy: false,
    // No type coercion: Ajv's default (`coerceTypes: 'array'`) would turn "0x1F40" into 8000,
    // "true" into true and 12345 into "12345" before any rule sees them. JSON types are checked as
    // sent; the few documented leniencies (amounts as digit strings, psp-facts.md §2.2, §2.8; the
    // Merchant API's scalar coercion, docs/merchant-api.md) are done explicitly by their routes.
    ajv: { customOptions: { coerceTypes: false } },
  });

  if (options.onRoute) app.addHook('onRoute', options.onRoute);
  app.decorateRequest('pspContext', null);
  installErrorHandling(app);
  installApiCallLog(app, platform);

  // JSON bodies: an empty body is "no body" (clients send `--data ''` with a JSON content type).
  const defaultJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    return defaultJson(request, text, done);
  });

  await app.register(accessTokenRoutes, { platform });
  await app.register(pspPaymentRoutes, { platform });
  await app.register(pspUpdateStatusRoutes, { platform });
  await app.register(pspMerchantRoutes, { platform });
  await app.register(mobileInterceptRoutes, { platform });
  await app.register(landingPageRoutes, { platform });
  await app.register(walletAppRoutes, { platform });
  await app.register(publicAssetRoutes);
  // The control API exists only in the test profile; in production it answers 404 like any
  // unknown path.
  if (config.profile === 'test') {
    await app.register(emulatorClockRoutes, { platform });
    await app.register(emulatorChecklistRoutes, { platform });
    await app.register(emulatorStatusBatchRoutes, { platform });
    await app.register(emulatorPaymentRoutes, { platform });
    await app.register(forceApproveRoutes, { platform });
  }
  await app.register(healthRoutes, { platform });
  return app;
}
