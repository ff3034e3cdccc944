/**
 * One PSP's objects are closed to another in the control API (issue 15). The test walks the
 * app's own route table (Fastify's onRoute hook on the app as built, not a hand-kept list): every
 * control route — under /_emulator, or registered only in the test profile — is either listed as
 * instance-wide in src/http/control-scope.ts or has an isolation check below, which must send at
 * least one request to it. A new control route declares itself in one of those two places.
 *
 * An isolation check answers the questions a second PSP could ask: does another PSP's id answer
 * exactly like an unknown one (status, content type and body, the per-request contextId aside)?
 * does a list or a run show or touch only the caller's objects? and is the object unchanged?
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse, onRouteHookHandler } from 'fastify';
import { buildHttpApp } from '../src/http/app.js';
import { INSTANCE_WIDE_ROUTES } from '../src/http/control-scope.js';
import type { Platform } from '../src/platform.js';
import { DEMO, initBody, OTHER_PSP, PspApi, seedWithOtherPsp, startTestPlatform, type TestPlatform } from './helpers/platform.js';

interface Route {
  readonly method: string;
  readonly url: string;
}
const key = (r: Route) => `${r.method} ${r.url}`;

/** Builds an app on the platform and collects its routes; each route also records the requests it answered. */
async function walkedApp(platform: Platform): Promise<{ app: FastifyInstance; routes: Route[]; hits: string[] }> {
  const routes: Route[] = [];
  const hits: string[] = [];
  const onRoute: onRouteHookHandler = (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) routes.push({ method, url: route.url });
    const existing = route.onResponse === undefined ? [] : Array.isArray(route.onResponse) ? route.onResponse : [route.onResponse];
    route.onResponse = [
      ...existing,
      async (request) => {
        hits.push(`${request.method} ${route.url}`);
      },
    ];
  };
  const app = await buildHttpApp(platform, { onRoute });
  await app.ready();
  return { app, routes, hits };
}

/**
 * The control routes of a route table: under /_emulator, or registered only in the test profile.
 * HEAD routes are the GET routes' (Fastify adds them).
 */
function controlRoutes(test: readonly Route[], production: readonly Route[]): Route[] {
  const inProduction = new Set(production.map(key));
  const gets = new Set(test.filter((r) => r.method === 'GET').map((r) => r.url));
  const picked = test.filter((r) => r.url.startsWith('/_emulator') || !inProduction.has(key(r)));
  return picked.filter((r) => !(r.method === 'HEAD' && gets.has(r.url)));
}

/** Control routes that are neither instance-wide nor checked. */
function undeclared(routes: readonly Route[], checked: ReadonlySet<string>): string[] {
  return routes.map(key).filter((k) => !(k in INSTANCE_WIDE_ROUTES) && !checked.has(k));
}

const A = DEMO.pspId;
const B = OTHER_PSP.pspId;

/** Status, content type and body, with each answer's own contextId (the request id) masked. */
function answer(r: LightMyRequestResponse) {
  return {
    status: r.statusCode,
    contentType: r.headers['content-type'],
    body: r.body.replace(/"contextId":"[^"]*"/g, '"contextId":"…"'),
  };
}

function assertAnswersLikeUnknown(foreign: LightMyRequestResponse, unknown: LightMyRequestResponse, what: string) {
  assert.ok(foreign.statusCode >= 400, `${what}: ${foreign.statusCode} ${foreign.body}`);
  assert.deepEqual(answer(foreign), answer(unknown), what);
}

let p: TestPlatform;
let walked: Awaited<ReturnType<typeof walkedApp>>;
let productionRoutes: Route[];

before(async () => {
  const production = await startTestPlatform({ env: { PROFILE: 'production' } });
  try {
    const built = await walkedApp(production.running.platform);
    productionRoutes = built.routes;
    await built.app.close();
  } finally {
    await production.close();
  }
  // manual: batches stay PENDING until their PSP's run.
  p = await startTestPlatform({ seed: seedWithOtherPsp(), env: { STATUS_BATCH_SCHEDULE: 'manual', SWEEP_INTERVAL_MS: '60000' } });
  walked = await walkedApp(p.running.platform);
});
after(async () => {
  await walked?.app.close();
  await p?.close();
});

const inject = (method: InjectOptions['method'], url: string, pspId: string | null, payload?: unknown) =>
  walked.app.inject({
    method,
    url,
    headers: { ...(pspId ? { 'psp-id': pspId } : {}), ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
  });

/** A's payment (INITIATED), created through the PSP API. */
async function paymentOfA(): Promise<string> {
  const api = await PspApi.connect(p.url);
  const body = initBody({ makePaymentUrl: 'http://127.0.0.1:9/mp' });
  assert.equal((await api.init(body)).status, 200);
  return String(body.pspTransactionId);
}

/** A's status batch (PENDING on the manual schedule), through the PSP API; its id. */
async function batchOfA(): Promise<number> {
  const api = await PspApi.connect(p.url);
  const r = await api.post('/psp/v3/psppayments/updatestatus', {
    transactions: [{ pspTransactionId: `unknown-${Date.now()}-${Math.random()}`, status: 'CAPTURED', amount: 100 }],
  });
  assert.equal(r.status, 200, r.text);
  const list = await inject('GET', '/_emulator/status-batches?limit=1', A);
  const [batch] = (list.json() as { batches: { id: number; pspId: string }[] }).batches;
  assert.equal(batch?.pspId, A);
  return batch.id;
}

const batchState = async (id: number) => (await p.running.platform.repos.statusBatches.find(id))?.state;
const paymentState = async (id: string) => (await p.running.platform.repos.payments.findByPspTransactionId(A, id))?.state;

/**
 * The isolation check of each per-PSP control route, by "METHOD /route". A route added to the
 * control API that acts per PSP gets its check here.
 */
const ISOLATION_CHECKS: Record<string, () => Promise<void>> = {
  'GET /_emulator/payments/:pspTransactionId': async () => {
    const id = await paymentOfA();
    assert.equal((await inject('GET', `/_emulator/payments/${id}`, A)).statusCode, 200);
    assertAnswersLikeUnknown(
      await inject('GET', `/_emulator/payments/${id}`, B),
      await inject('GET', '/_emulator/payments/nope', B),
      'view',
    );
  },
  'POST /_emulator/payments/:pspTransactionId/approve': async () => {
    const id = await paymentOfA();
    const foreign = await inject('POST', `/_emulator/payments/${id}/approve`, B, {});
    assertAnswersLikeUnknown(foreign, await inject('POST', '/_emulator/payments/nope/approve', B, {}), 'approve');
    assert.equal(await paymentState(id), 'INITIATED');
  },
  'POST /_emulator/payments/:pspTransactionId/cancel': async () => {
    const id = await paymentOfA();
    const foreign = await inject('POST', `/_emulator/payments/${id}/cancel`, B);
    assertAnswersLikeUnknown(foreign, await inject('POST', '/_emulator/payments/nope/cancel', B), 'cancel');
    assert.equal(await paymentState(id), 'INITIATED');
  },
  'POST /psp/v3/integration-test/psppayments/:pspTransactionId/approve': async () => {
    const id = await paymentOfA();
    const other = await PspApi.connect(p.url, OTHER_PSP);
    const forceApprove = (pspTransactionId: string) =>
      walked.app.inject({
        method: 'POST',
        url: `/psp/v3/integration-test/psppayments/${pspTransactionId}/approve`,
        headers: other.headers(),
        payload: JSON.stringify({ customerMobileNumber: DEMO.user, token: 'x' }),
      });
    assertAnswersLikeUnknown(await forceApprove(id), await forceApprove('nope'), 'force approve');
    assert.equal(await paymentState(id), 'INITIATED');
  },
  'GET /_emulator/status-batches/:id': async () => {
    const id = await batchOfA();
    assert.equal((await inject('GET', `/_emulator/status-batches/${id}`, A)).statusCode, 200);
    assertAnswersLikeUnknown(
      await inject('GET', `/_emulator/status-batches/${id}`, B),
      await inject('GET', '/_emulator/status-batches/999999', B),
      'batch',
    );
    assert.equal((await inject('GET', `/_emulator/status-batches/${id}`, null)).statusCode, 400, 'Psp-Id is required');
  },
  'POST /_emulator/status-batches/:id/retry': async () => {
    const id = await batchOfA();
    assert.equal(await p.running.platform.repos.statusBatches.markFailed(id, new Date().toISOString(), 'forced'), true);
    // A FAILED batch of A: B gets the unknown id's 404, not a 409, and nothing is requeued.
    const foreign = await inject('POST', `/_emulator/status-batches/${id}/retry`, B);
    assertAnswersLikeUnknown(foreign, await inject('POST', '/_emulator/status-batches/999999/retry', B), 'retry');
    assert.equal(foreign.statusCode, 404);
    assert.equal(await batchState(id), 'FAILED');
    // Nor for a batch that is not FAILED (the 409 would tell it exists).
    const pending = await batchOfA();
    assertAnswersLikeUnknown(
      await inject('POST', `/_emulator/status-batches/${pending}/retry`, B),
      await inject('POST', '/_emulator/status-batches/999999/retry', B),
      'retry of a pending batch',
    );
    assert.equal((await inject('POST', `/_emulator/status-batches/${id}/retry`, A)).statusCode, 200, 'the owner can retry');
  },
  'GET /_emulator/status-batches': async () => {
    const id = await batchOfA();
    const ids = async (pspId: string) =>
      ((await inject('GET', '/_emulator/status-batches?limit=200', pspId)).json() as { batches: { id: number }[] }).batches.map(
        (b) => b.id,
      );
    assert.ok((await ids(A)).includes(id));
    assert.ok(!(await ids(B)).includes(id), 'B sees A’s batch');
    assert.equal((await inject('GET', '/_emulator/status-batches', null)).statusCode, 400, 'Psp-Id is required');
  },
  'POST /_emulator/status-batches/run': async () => {
    const id = await batchOfA();
    const run = await inject('POST', '/_emulator/status-batches/run', B);
    assert.equal(run.statusCode, 200, run.body);
    const { applied, failed } = run.json() as { applied: { id: number; pspId: string }[]; failed: { id: number; pspId: string }[] };
    assert.ok(
      [...applied, ...failed].every((b) => b.pspId === B),
      run.body,
    );
    assert.equal(await batchState(id), 'PENDING', 'B’s run applied A’s batch');
    assert.equal((await inject('POST', '/_emulator/status-batches/run', null)).statusCode, 400, 'Psp-Id is required');
    const own = (await inject('POST', '/_emulator/status-batches/run', A)).json() as { applied: { id: number }[] };
    assert.ok(own.applied.some((b) => b.id === id));
    assert.equal(await batchState(id), 'APPLIED');
  },
  'GET /_emulator/checklist': async () => {
    const report = async (pspId: string) => {
      const r = await inject('GET', '/_emulator/checklist', pspId);
      assert.equal(r.statusCode, 200, r.body);
      const { generatedAt: _, ...rest } = r.json() as { generatedAt: string };
      return rest;
    };
    const [beforeA, beforeB] = [await report(A), await report(B)];
    // Through the walked app: its API call log is the one the checklist reads (one per app).
    const api = await PspApi.connect(p.url);
    const body = initBody({ makePaymentUrl: 'http://127.0.0.1:9/mp' });
    const init = await walked.app.inject({
      method: 'POST',
      url: '/psp/v3/psppayments/init',
      headers: api.headers(),
      payload: JSON.stringify(body),
    });
    assert.equal(init.statusCode, 200, init.body);
    assert.notDeepEqual(await report(A), beforeA, 'A’s traffic shows in A’s report');
    assert.deepEqual(await report(B), beforeB, 'A’s traffic changed B’s report');
  },
};

describe('control API isolation: the route table', () => {
  it('finds the control routes in the app as built', () => {
    const routes = controlRoutes(walked.routes, productionRoutes);
    assert.ok(routes.length >= 12, routes.map(key).join('\n'));
    for (const expected of [
      'GET /_emulator/clock',
      'POST /_emulator/status-batches/:id/retry',
      'GET /_emulator/payments/:pspTransactionId',
    ]) {
      assert.ok(
        routes.some((r) => key(r) === expected),
        expected,
      );
    }
    assert.ok(!productionRoutes.some((r) => r.url.startsWith('/_emulator')), 'the production profile has no control API');
  });

  it('would fail on a control route that declares nothing (the walk can fail)', () => {
    const routes = [...controlRoutes(walked.routes, productionRoutes), { method: 'DELETE', url: '/_emulator/something-new' }];
    assert.deepEqual(undeclared(routes, new Set(Object.keys(ISOLATION_CHECKS))), ['DELETE /_emulator/something-new']);
  });

  it('every control route is instance-wide (src/http/control-scope.ts) or checked for isolation here', () => {
    const missing = undeclared(controlRoutes(walked.routes, productionRoutes), new Set(Object.keys(ISOLATION_CHECKS)));
    assert.deepEqual(missing, [], `declare these in INSTANCE_WIDE_ROUTES (src/http/control-scope.ts) or ISOLATION_CHECKS (this file)`);
  });

  it('docs/ARCHITECTURE.md "Isolation" lists exactly the instance-wide routes', () => {
    const doc = readFileSync('docs/ARCHITECTURE.md', 'utf8');
    const section = doc.slice(doc.indexOf('## Isolation'), doc.indexOf('\n## ', doc.indexOf('## Isolation') + 1));
    const listed = [...section.matchAll(/^- `([A-Z]+ \/\S+)` — /gm)].map((m) => m[1]);
    assert.deepEqual(listed.sort(), Object.keys(INSTANCE_WIDE_ROUTES).sort());
  });

  it('lists no route that does not exist, and no route both ways', () => {
    const all = new Set(controlRoutes(walked.routes, productionRoutes).map(key));
    for (const declared of [...Object.keys(INSTANCE_WIDE_ROUTES), ...Object.keys(ISOLATION_CHECKS)]) assert.ok(all.has(declared), declared);
    for (const checked of Object.keys(ISOLATION_CHECKS)) assert.ok(!(checked in INSTANCE_WIDE_ROUTES), checked);
  });
});

describe('control API isolation: another PSP’s id answers like an unknown one', () => {
  for (const [route, check] of Object.entries(ISOLATION_CHECKS)) {
    it(route, async () => {
      const before = walked.hits.filter((h) => h === route).length;
      await check();
      assert.ok(walked.hits.filter((h) => h === route).length > before, `the check sent no request to ${route}`);
    });
  }
});
