/**
 * Structured logs (pino, shared with Fastify) with secrets redacted: client secrets, bearer
 * tokens, subscription keys, makePaymentTokens, cryptograms, and the landing token in URLs.
 */
import { type Logger, pino } from 'pino';

export type { Logger };

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.client_secret',
  'req.headers["ocp-apim-subscription-key"]',
  'headers.authorization',
  'headers.Authorization',
  'makePaymentToken',
  '*.makePaymentToken',
  'cryptogram',
  '*.cryptogram',
  '*.networkToken.cryptogram',
];

/** Drops query parameters that carry tokens (`?token=<landing JWT>`) from logged URLs. */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:token|t)=)[^&#]*/gi, '$1[REDACTED]');
}

export function createLogger(level: string, stream?: NodeJS.WritableStream): Logger {
  const options = {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
    serializers: {
      req: (req: { method: string; url: string; hostname?: string; ip?: string }) => ({
        method: req.method,
        url: redactUrl(req.url),
        hostname: req.hostname,
        remoteAddress: req.ip,
      }),
    },
  };
  return stream ? pino(options, stream) : pino(options);
}
