/**
 * The hostile-input fuzz test (issue 16): seeded requests to every route of the app's own route
 * table, over real HTTP on loopback with valid PSP credentials most of the time. No answer may be
 * a 5xx, every answer must come within the deadline, and every 4xx must be in the route's error
 * format. The second test plants bad routes and shows each check fails on them. The long run is
 * `npm run fuzz -- --count 100000` (scripts/fuzz.ts, the same generator).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyReply } from 'fastify';
import { FOCI, type FuzzTarget, fuzz, fuzzRoutes, prepareContext, startFuzzTarget } from './helpers/fuzz.js';

const SEED = 16;
const DEADLINE_MS = 5000;

describe('fuzzing every route with hostile input', () => {
  let target: FuzzTarget;
  before(async () => {
    target = await startFuzzTarget();
  });
  after(() => target.close());

  it('answers every request within the deadline, never with a 5xx, every 4xx in the route’s format', async () => {
    const routes = fuzzRoutes(target.app.routeTable.routes());
    // The table is the app's: the PSP API, the Merchant API, the pages and the control API are in it.
    for (const url of ['/psp/v3/psppayments/init', '/merchant-management/psp/v1/merchants', '/app/events', '/_emulator/clock']) {
      assert.ok(
        routes.some((r) => r.url === url),
        `${url} in the route table`,
      );
    }
    const ctx = await prepareContext(target.url);
    // Each route gets every focus (deep JSON, repeated query, bad path, framing…) at least once.
    const count = routes.length * FOCI.length;
    const report = await fuzz(routes, ctx, {
      seed: SEED,
      count,
      deadlineMs: DEADLINE_MS,
      concurrency: 4,
      jsonMaxDepth: target.config.jsonMaxDepth,
    });
    assert.equal(report.requests, count);
    assert.deepEqual(report.failures, [], `${report.failures.length} failures (seed ${SEED})`);
    // The run went past authentication and validation, not only into refusals.
    assert.ok((report.byStatus['200'] ?? 0) > 0, JSON.stringify(report.byStatus));
    assert.ok((report.byStatus['400'] ?? 0) > 0, JSON.stringify(report.byStatus));
  });
});

describe('the fuzzer fails on a planted bad route', () => {
  let target: FuzzTarget;
  before(async () => {
    target = await startFuzzTarget((app) => {
      // Added to the built app like any new route: nobody tells the fuzzer about them.
      app.get('/_planted/throws', async () => {
        throw new Error('planted failure');
      });
      // Never answers (until the server closes).
      const hanging: FastifyReply[] = [];
      app.addHook('preClose', async () => {
        for (const reply of hanging) reply.code(204).send();
      });
      app.get('/_planted/hangs', (_request, reply) => {
        hanging.push(reply);
      });
      app.post('/_planted/wrong-format', async (_request, reply) => reply.code(400).send({ oops: true }));
    });
  });
  after(() => target.close());

  it('reports the 500, the missing answer and the 4xx outside the API’s format', async () => {
    const planted = fuzzRoutes(target.app.routeTable.routes()).filter((r) => r.url.startsWith('/_planted/'));
    assert.deepEqual(planted.map((r) => `${r.method} ${r.url}`).sort(), [
      'GET /_planted/hangs',
      'GET /_planted/throws',
      'HEAD /_planted/hangs',
      'HEAD /_planted/throws',
      'POST /_planted/wrong-format',
    ]);
    const ctx = await prepareContext(target.url);
    const report = await fuzz(planted, ctx, {
      seed: SEED,
      count: planted.length * 2,
      deadlineMs: 1000,
      concurrency: 4,
      jsonMaxDepth: target.config.jsonMaxDepth,
    });
    const problems = (url: string) => report.failures.filter((f) => f.route.endsWith(url)).map((f) => f.problem);
    assert.ok(
      problems('/_planted/throws').some((p) => p.startsWith('answered 500')),
      JSON.stringify(report.failures),
    );
    assert.ok(
      problems('/_planted/hangs').some((p) => p.startsWith('no complete answer within 1000 ms')),
      JSON.stringify(report.failures),
    );
    assert.ok(
      problems('/_planted/wrong-format').some((p) => p.includes('not an ErrorDetails array')),
      JSON.stringify(report.failures),
    );
  });
});
