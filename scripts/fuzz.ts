/**
 * The long hostile-input run (`npm run fuzz -- --count 100000 [--seed N] [--concurrency N]`), for
 * before a release: the generator and the checks of test/fuzz.test.ts (test/helpers/fuzz.ts) over
 * every route of a fresh platform, many more requests. Exits 1 and lists the failures (grouped by
 * route and problem, with one example request each) if any answer was a 5xx, late, or a 4xx
 * outside its API's format.
 */
import { parseArgs } from 'node:util';
import { fuzz, fuzzRoutes, prepareContext, startFuzzTarget } from '../test/helpers/fuzz.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '16' },
    concurrency: { type: 'string', default: '8' },
    'deadline-ms': { type: 'string', default: '5000' },
  },
});
const count = Number(values.count);
const seed = Number(values.seed);
if (!Number.isSafeInteger(count) || count < 1 || !Number.isSafeInteger(seed)) {
  console.error('usage: npm run fuzz -- --count <n> [--seed <n>] [--concurrency <n>] [--deadline-ms <ms>]');
  process.exit(2);
}

const target = await startFuzzTarget();
let failed = false;
try {
  const routes = fuzzRoutes(target.app.routeTable.routes());
  const ctx = await prepareContext(target.url);
  const started = Date.now();
  console.log(`fuzzing ${routes.length} routes with ${count} requests (seed ${seed})`);
  const report = await fuzz(routes, ctx, {
    seed,
    count,
    deadlineMs: Number(values['deadline-ms']),
    concurrency: Number(values.concurrency),
    jsonMaxDepth: target.config.jsonMaxDepth,
    onProgress: (done) => {
      if (done % 10_000 === 0) console.log(`  ${done} requests, ${Math.round((Date.now() - started) / 1000)} s`);
    },
  });
  const seconds = (Date.now() - started) / 1000;
  console.log(`${report.requests} requests in ${seconds.toFixed(1)} s; slowest answer ${report.slowestMs} ms`);
  console.log(`statuses: ${JSON.stringify(report.byStatus)}`);
  const groups = new Map<string, { count: number; example: (typeof report.failures)[number] }>();
  for (const failure of report.failures) {
    const key = `${failure.route} — ${failure.problem.slice(0, 120)}`;
    const group = groups.get(key);
    if (group) group.count++;
    else groups.set(key, { count: 1, example: failure });
  }
  for (const [key, { count: n, example }] of groups) {
    console.log(`FAIL ×${n} ${key}\n  e.g. ${example.request} [${example.kind}]`);
  }
  failed = report.failures.length > 0;
  console.log(failed ? `${report.failures.length} failures` : 'no failures');
} finally {
  await target.close();
}
process.exit(failed ? 1 : 0);
