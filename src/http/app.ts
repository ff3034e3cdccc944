/**
 * The HTTP edge: Fastify with case-insensitive, trailing-slash-tolerant routing (real clients
 * send `/accessToken/get`, `/init/`; psp-facts.md §2.1), body and time limits, redacted
 * structured logs, and the one error handler.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController, type onRouteHookHandler } from 'fastify';
import { ApiError } from '../domain/errors.js';
import type { Platform } from '../platform.js';
import { newRowId } from '../store/ids.js';
import { installControlAccess } from './control-access.js';
import { clientErrorHandler, frameworkErrorHandler, installErrorHandling } from './error-handler.js';
import { installFaultInjection } from './fault-hooks.js';
import { jsonDepthExceeds } from './json-depth.js';
import { installRequestJournal } from './request-journal-hooks.js';
import { installRequestLog } from './request-log.js';
import { installRouteTable, type RouteTable } from './route-table.js';
import { accessTokenRoutes } from './routes/access-token.js';
import { emulatorChecklistRoutes } from './routes/emulator-checklist.js';
import { emulatorClockRoutes } from './routes/emulator-clock.js';
import { emulatorFaultRoutes } from './routes/emulator-faults.js';
import { emulatorPaymentRoutes } from './routes/emulator-payments.js';
import { emulatorRequestRoutes } from './routes/emulator-requests.js';
import { emulatorResetRoutes } from './routes/emulator-reset.js';
import { emulatorStatusBatchRoutes } from './routes/emulator-status-batches.js';
import { forceApproveRoutes } from './routes/force-approve.js';
import { healthRoutes } from './routes/health.js';
import { inspectorRoutes } from './routes/inspector.js';
import { landingPageRoutes } from './routes/landing-page.js';
import { mobileInterceptRoutes } from './routes/mobile-intercept.js';
import { pspMerchantRoutes } from './routes/psp-merchants.js';
import { pspPaymentRoutes } from './routes/psp-payments.js';
import { pspUpdateStatusRoutes } from './routes/psp-updatestatus.js';
import { publicAssetRoutes } from './routes/public-assets.js';
import { walletAppRoutes } from './routes/wallet-app.js';

const SINGLE_VALUED_QUERY = { type: 'object', additionalProperties: { type: 'string' } } as const;

export interface HttpAppOptions {
  /**
   * Sees every route as it is added, before any is registered (Fastify's onRoute hook): the route
   * table test walks the app's own routes with it (test/control-isolation.test.ts).
   */
  readonly onRoute?: onRouteHookHandler;
}

export async function buildHttpApp(platform: Platform, options: HttpAppOptions = {}): Promise<FastifyInstance> {
  const { config } = platform;
  // The route table is filled by a hook installed right after construction; the handlers of
  // errors raised before routing read it then.
  let routeTable: RouteTable | undefined;
  const table = (): RouteTable => {
    if (!routeTable) throw new Error('route table not installed');
    return routeTable;
  };
  const app = Fastify({
    loggerInstance: platform.log as FastifyBaseLogger,
    // One line per request at debug, errors at info, 5xx at error, a summary at info:
    // request-log.ts (two lines per request at info cost a sixth of an init).
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true },
    bodyLimit: config.bodyLimitBytes,
    requestTimeout: config.requestTimeoutMs,
    connectionTimeout: config.requestTimeoutMs,
    // Request ids are the request journal rows' keys (and the errors' contextId): time-ordered.
    genReqId: () => newRowId(),
    requestIdHeader: false,
    trustProxy: false,
    // No type coercion: Ajv's default (`coerceTypes: 'array'`) would turn "0x1F40" into 8000,
    // "true" into true and 12345 into "12345" before any rule sees them. JSON types are checked as
    // sent; the few documented leniencies (amounts as digit strings, psp-facts.md §2.2, §2.8; the
    // Merchant API's scalar coercion, docs/merchant-api.md) are done explicitly by their routes.
    ajv: { customOptions: { coerceTypes: false } },
    // Errors before routing (bad URL encoding, over-long path segment) and requests that are not
    // well-formed HTTP are answered by the one error handler, in the API's format.
    frameworkErrors: frameworkErrorHandler(table),
    clientErrorHandler: clientErrorHandler(table, platform.log as FastifyBaseLogger),
  });
  routeTable = installRouteTable(app);
  // Every query parameter is one string unless the route's schema says otherwise: a repeated
  // parameter (an array once parsed) is refused with a 400 in the route's format instead of
  // reaching a handler that expects a string. Routes that read the query declare their own
  // schema (with the same rule); this covers the rest.
  app.addHook('onRoute', (route) => {
    if (!route.schema?.querystring) route.schema = { ...route.schema, querystring: SINGLE_VALUED_QUERY };
  });

  if (options.onRoute) app.addHook('onRoute', options.onRoute);
  app.decorateRequest('pspContext', null);
  installErrorHandling(app);
  installRequestLog(app, platform.log);
  // The control API's token (when set) before anything else of it runs.
  if (config.profile === 'test') installControlAccess(app, platform);
  // Faults first: their onSend changes the answer the journal's onSend records.
  installFaultInjection(app, platform);
  installRequestJournal(app, platform);

  // JSON bodies: an empty body is "no body" (clients send `--data ''` with a JSON content type).
  const defaultJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    request.journalRequestText = text; // a reference, for the request journal
    if (text.trim() === '') return done(null, undefined);
    if (jsonDepthExceeds(text, config.jsonMaxDepth)) {
      return done(new ApiError('JSON_TOO_DEEP', { maxDepth: String(config.jsonMaxDepth) }), undefined);
    }
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
    await app.register(emulatorRequestRoutes, { platform });
    await app.register(emulatorResetRoutes, { platform });
    await app.register(emulatorFaultRoutes, { platform });
    await app.register(inspectorRoutes, { platform });
    await app.register(forceApproveRoutes, { platform });
  }
  await app.register(healthRoutes, { platform });
  return app;
}
