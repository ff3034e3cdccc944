/**
 * The HTTP edge: Fastify with case-insensitive, trailing-slash-tolerant routing (real clients
 * send `/accessToken/get`, `/init/`; psp-facts.md §2.1), body and time limits, redacted
 * structured logs, and the one error handler.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Platform } from '../platform.js';
import { installErrorHandling } from './error-handler.js';
import { accessTokenRoutes } from './routes/access-token.js';
import { pspPaymentRoutes } from './routes/psp-payments.js';

export interface HttpOptions {
  /** Where logs go (default stdout). Tests pass a stream to inspect them. */
  readonly logStream?: NodeJS.WritableStream;
}

/** Secrets never reach the log (GUIDE: reliability and security). */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.client_secret',
  'req.headers["client_secret"]',
  'req.headers["ocp-apim-subscription-key"]',
  'headers.authorization',
  'makePaymentToken',
  '*.makePaymentToken',
  'cryptogram',
  '*.cryptogram',
];

/** Drops query strings that carry tokens (`?token=<landing JWT>`) from logged URLs. */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:token|t)=)[^&#]*/gi, '$1[REDACTED]');
}

export async function buildHttpApp(platform: Platform, options: HttpOptions = {}): Promise<FastifyInstance> {
  const { config } = platform;
  const app = Fastify({
    logger: {
      level: config.logLevel,
      ...(options.logStream ? { stream: options.logStream } : {}),
      redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
      serializers: {
        req: (req: { method: string; url: string; hostname?: string; ip?: string }) => ({
          method: req.method,
          url: redactUrl(req.url),
          hostname: req.hostname,
          remoteAddress: req.ip,
        }),
      },
    },
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true },
    bodyLimit: config.bodyLimitBytes,
    requestTimeout: config.requestTimeoutMs,
    connectionTimeout: config.requestTimeoutMs,
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    trustProxy: false,
  });

  app.decorateRequest('pspContext', null);
  installErrorHandling(app);

  // JSON bodies: an empty body is "no body" (clients send `--data ''` with a JSON content type).
  const defaultJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    return defaultJson(request, text, done);
  });

  await app.register(accessTokenRoutes, { platform });
  await app.register(pspPaymentRoutes, { platform });
  app.get('/health', async () => ({ status: 'UP', profile: config.profile }));
  return app;
}
