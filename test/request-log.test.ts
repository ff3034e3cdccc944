import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import Fastify, { type FastifyBaseLogger, LogController } from 'fastify';
import { installErrorHandling } from '../src/http/error-handler.js';
import { installRequestLog } from '../src/http/request-log.js';
import { createLogger } from '../src/logger.js';

/** A Fastify app wired like the platform's (app.ts): Fastify's request logging off, ours on. */
async function appAt(level: string, summaryIntervalMs?: number) {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  stream.on('data', (chunk: Buffer) => {
    for (const text of chunk.toString('utf8').split('\n')) if (text) lines.push(JSON.parse(text) as Record<string, unknown>);
  });
  const log = createLogger(level, stream);
  const app = Fastify({ loggerInstance: log as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }) });
  installErrorHandling(app);
  installRequestLog(app, log, summaryIntervalMs);
  app.get('/ok', async () => ({ ok: true }));
  app.get('/boom', async () => {
    throw new Error('kaboom');
  });
  await app.ready();
  const completed = () => lines.filter((l) => l.msg === 'request completed');
  return { app, lines, completed };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('request logging', () => {
  it('at the default level (info): no line for a success, one for a 4xx at info and one for a 5xx at error, the URL redacted', async () => {
    const { app, lines, completed } = await appAt('info');
    try {
      assert.equal((await app.inject({ url: '/ok' })).statusCode, 200);
      assert.equal((await app.inject({ url: '/missing?token=secret-landing-token' })).statusCode, 404);
      assert.equal((await app.inject({ url: '/boom' })).statusCode, 500);
      await flush();
      const got = completed().map((l) => [l.level, (l.res as { statusCode: number }).statusCode, (l.req as { url: string }).url]);
      assert.deepEqual(got, [
        [30, 404, '/missing?token=[REDACTED]'],
        [50, 500, '/boom'],
      ]);
      assert.ok(
        lines.some((l) => l.msg === 'unhandled error' && l.level === 50),
        'the 500 cause is logged',
      );
      assert.ok(
        lines.some((l) => typeof l.msg === 'string' && l.msg.startsWith('requests are logged one line each at debug')),
        'the start tells where request lines went',
      );
    } finally {
      await app.close();
    }
  });

  it('at debug: one line per successful request too, with its status and time', async () => {
    const { app, completed } = await appAt('debug');
    try {
      await app.inject({ url: '/ok' });
      await flush();
      const lines = completed();
      assert.equal(lines.length, 1);
      const only = lines[0] as Record<string, unknown>;
      assert.equal(only.level, 20);
      assert.equal((only.res as { statusCode: number }).statusCode, 200);
      assert.equal(typeof only.responseTime, 'number');
    } finally {
      await app.close();
    }
  });

  it('at info: a summary of the traffic per interval, none for an interval without traffic', async () => {
    const { app, lines } = await appAt('info', 50);
    try {
      await app.inject({ url: '/ok' });
      await app.inject({ url: '/ok' });
      await app.inject({ url: '/missing' });
      await new Promise((resolve) => setTimeout(resolve, 180));
      const summaries = lines.filter((l) => l.msg === 'requests served');
      assert.equal(summaries.length, 1, 'one summary: later intervals had no traffic');
      assert.deepEqual(
        {
          requests: summaries[0]?.requests,
          ok: summaries[0]?.ok,
          clientErrors: summaries[0]?.clientErrors,
          serverErrors: summaries[0]?.serverErrors,
        },
        { requests: 3, ok: 2, clientErrors: 1, serverErrors: 0 },
      );
    } finally {
      await app.close();
    }
  });

  it('at warn: only the 5xx', async () => {
    const { app, completed } = await appAt('warn');
    try {
      await app.inject({ url: '/ok' });
      await app.inject({ url: '/missing' });
      await app.inject({ url: '/boom' });
      await flush();
      assert.deepEqual(
        completed().map((l) => (l.res as { statusCode: number }).statusCode),
        [500],
      );
    } finally {
      await app.close();
    }
  });
});
