/**
 * Request logging off the hot path. Fastify's own request logging writes two lines per request
 * at `info` (≈ 80 µs of CPU per request on the main thread with redaction and serialisation, a
 * sixth of an init; docs/PERFORMANCE.md). Instead:
 *
 * - a request that ended in a 5xx is logged at `error`, one that ended in a 4xx at `info`
 *   (a PSP's mistakes are what a user of the emulator looks for), a successful one at `debug`;
 *   each as one "request completed" line with the method, the (redacted) URL, the status and the
 *   time taken;
 * - at `info`, one summary line per `SUMMARY_INTERVAL_MS` with traffic: how many requests ended
 *   in 2xx/3xx, 4xx and 5xx, so the default output still shows that the platform is being used.
 *
 * The level is checked with one comparison before anything is built.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type Logger, redactUrl } from '../logger.js';

/** How often the traffic summary is logged at `info` (only when there was traffic), in ms. */
export const SUMMARY_INTERVAL_MS = 60_000;

// pino's numeric levels.
const DEBUG = 20;
const INFO = 30;

class TrafficCounts {
  ok = 0;
  clientErrors = 0;
  serverErrors = 0;
}

function line(request: FastifyRequest, reply: FastifyReply) {
  return {
    req: { method: request.method, url: redactUrl(request.url), remoteAddress: request.ip },
    res: { statusCode: reply.statusCode },
    responseTime: reply.elapsedTime,
  };
}

export function installRequestLog(app: FastifyInstance, log: Logger, summaryIntervalMs: number = SUMMARY_INTERVAL_MS): void {
  const counts = new TrafficCounts();
  app.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode;
    const level = log.levelVal;
    if (status >= 500) {
      counts.serverErrors++;
      request.log.error(line(request, reply), 'request completed');
    } else if (status >= 400) {
      counts.clientErrors++;
      if (level <= INFO) request.log.info(line(request, reply), 'request completed');
    } else {
      counts.ok++;
      if (level <= DEBUG) request.log.debug(line(request, reply), 'request completed');
    }
    done();
  });

  let timer: NodeJS.Timeout | null = null;
  app.addHook('onReady', (done) => {
    if (log.levelVal <= INFO) {
      log.info('requests are logged one line each at debug (errors at info, 5xx at error); a summary per minute at info');
      timer = setInterval(() => {
        const total = counts.ok + counts.clientErrors + counts.serverErrors;
        if (total === 0) return;
        log.info(
          {
            requests: total,
            ok: counts.ok,
            clientErrors: counts.clientErrors,
            serverErrors: counts.serverErrors,
            intervalSeconds: summaryIntervalMs / 1000,
          },
          'requests served',
        );
        counts.ok = 0;
        counts.clientErrors = 0;
        counts.serverErrors = 0;
      }, summaryIntervalMs);
      timer.unref();
    }
    done();
  });
  app.addHook('onClose', (_instance, done) => {
    if (timer) clearInterval(timer);
    done();
  });
}
