/**
 * The client (`vipps-psp-emulator/client`) against the platform started in-process with
 * startEmulator(), and its PSP-side helpers checked against the official spec.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import {
  type AcceptedMakePaymentRequest,
  checkMakePaymentAuthorization,
  type FetchFunction,
  forceApproveToken,
  type InitiatePaymentRequest,
  type MakePaymentRequest,
  type MakePaymentResponse,
  MakePaymentValidationError,
  makePaymentFail,
  makePaymentNotAccepted,
  makePaymentOk,
  makePaymentSoftDecline,
  operationUrl,
  PSP_ERROR_IDS,
  PspClient,
  type PspClientConfig,
  parseMakePaymentRequest,
  VippsApiError,
  VippsAuthError,
  VippsError,
  VippsNetworkError,
  VippsTimeoutError,
} from '../src/client/index.js';
import { type Emulator, startEmulator } from '../src/emulator.js';
import { pspSpec } from './helpers/openapi.js';
import { DEMO, uid } from './helpers/platform.js';

const spec = pspSpec();

interface Recorded {
  method: string;
  url: string;
  headers: Headers;
  body: string | undefined;
  status: number | undefined;
}

/** The real fetch, with a record of what the client sent and what came back. */
function recordingFetch(): { fetch: FetchFunction; calls: Recorded[]; tokenFetches: () => number; business: () => Recorded[] } {
  const calls: Recorded[] = [];
  const fn: FetchFunction = async (input, init) => {
    const call: Recorded = {
      method: init?.method ?? 'GET',
      url: String(input),
      headers: new Headers(init?.headers),
      body: typeof init?.body === 'string' ? init.body : undefined,
      status: undefined,
    };
    calls.push(call);
    const res = await fetch(input, init);
    call.status = res.status;
    return res;
  };
  const isToken = (c: Recorded) => c.url.endsWith('/accesstoken/get');
  return { fetch: fn, calls, tokenFetches: () => calls.filter(isToken).length, business: () => calls.filter((c) => !isToken(c)) };
}

function configFor(url: string, extra: Partial<PspClientConfig> = {}): PspClientConfig {
  return {
    baseUrl: url,
    clientId: DEMO.clientId,
    clientSecret: DEMO.clientSecret,
    subscriptionKey: DEMO.subscriptionKey,
    pspId: DEMO.pspId,
    merchantSerialNumber: DEMO.msn,
    ...extra,
  };
}

function initRequest(overrides: Partial<InitiatePaymentRequest> = {}): InitiatePaymentRequest {
  return {
    pspTransactionId: uid('c'),
    merchantOrderId: uid('order-'),
    amount: 49900,
    currency: 'NOK',
    pspRedirectUrl: 'http://localhost:3000/result',
    makePaymentUrl: 'http://127.0.0.1:3000/makepayment',
    makePaymentToken: 'mpt-secret-value-1234',
    paymentText: 'One pair of socks',
    ...overrides,
  };
}

async function rejectsWith<E extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> {
  try {
    await promise;
  } catch (error) {
    assert.ok(
      error instanceof type,
      `expected ${type.name}, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    );
    return error;
  }
  assert.fail(`expected ${type.name}, but the call succeeded`);
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

describe('PspClient against the emulator', () => {
  let emulator: Emulator;
  before(async () => {
    emulator = await startEmulator();
  });
  after(() => emulator.close());

  it('fetches one access token, reuses it, and sends the documented headers', async () => {
    const rec = recordingFetch();
    const client = new PspClient(configFor(emulator.url, { fetch: rec.fetch, systemName: 'acme-psp', systemVersion: '2.1.0' }));
    const init = await client.initiatePayment(initRequest());
    await client.getPaymentDetails(init.pspTransactionId);
    await client.getPaymentDetails(init.pspTransactionId);
    assert.equal(rec.tokenFetches(), 1);

    const [tokenCall, ...business] = rec.calls;
    assert.ok(tokenCall);
    assert.equal(tokenCall.method, 'POST');
    assert.equal(tokenCall.body, undefined);
    assert.equal(tokenCall.headers.get('client_id'), DEMO.clientId);
    assert.equal(tokenCall.headers.get('client_secret'), DEMO.clientSecret);
    assert.equal(tokenCall.headers.get('ocp-apim-subscription-key'), DEMO.subscriptionKey);
    assert.equal(tokenCall.headers.get('psp-id'), null);
    assert.equal(tokenCall.headers.get('vipps-system-name'), 'acme-psp');

    assert.equal(business.length, 3);
    const token = await client.getAccessToken();
    for (const call of business) {
      assert.equal(call.headers.get('authorization'), `Bearer ${token}`);
      assert.equal(call.headers.get('ocp-apim-subscription-key'), DEMO.subscriptionKey);
      assert.equal(call.headers.get('psp-id'), DEMO.pspId);
      assert.equal(call.headers.get('merchant-serial-number'), DEMO.msn);
      assert.equal(call.headers.get('vipps-system-name'), 'acme-psp');
      assert.equal(call.headers.get('vipps-system-version'), '2.1.0');
      assert.equal(call.headers.get('client_secret'), null);
    }
    assert.equal(business[0]?.headers.get('content-type'), 'application/json;charset=UTF-8');
    assert.equal(business[1]?.headers.get('content-type'), null);
  });

  it('shares one token fetch between concurrent callers', async () => {
    const rec = recordingFetch();
    const client = new PspClient(configFor(emulator.url, { fetch: rec.fetch }));
    const init = await new PspClient(configFor(emulator.url)).initiatePayment(initRequest());
    const results = await Promise.all(Array.from({ length: 20 }, () => client.getPaymentDetails(init.pspTransactionId)));
    assert.equal(results.length, 20);
    assert.equal(rec.tokenFetches(), 1);
  });

  it('renews the token by its own expiry check: less than 60 s left, and past expires_on', async () => {
    const rec = recordingFetch();
    const client = new PspClient(configFor(emulator.url, { fetch: rec.fetch, now: () => emulator.clock.now() }));
    const init = await client.initiatePayment(initRequest());
    const first = await client.getAccessToken();
    await emulator.clock.advance(3530); // about 70 s left: kept
    await client.getPaymentDetails(init.pspTransactionId);
    assert.equal(rec.tokenFetches(), 1);
    await emulator.clock.advance(20); // about 50 s left: renewed before it runs out
    await client.getPaymentDetails(init.pspTransactionId);
    assert.equal(rec.tokenFetches(), 2);
    const second = await client.getAccessToken();
    assert.notEqual(second, first);
    await emulator.clock.advance(3600); // past expires_on
    const details = await client.getPaymentDetails(init.pspTransactionId);
    assert.equal(details.pspTransactionId, init.pspTransactionId);
    assert.equal(rec.tokenFetches(), 3);
    assert.deepEqual(
      rec.business().map((c) => c.status),
      [200, 200, 200, 200],
      'no 401: the client renewed before sending',
    );
    assert.notEqual(await client.getAccessToken(), second);
  });

  it('renews the token once when the platform answers 401 (the client’s clock did not see the expiry)', async () => {
    const rec = recordingFetch();
    const client = new PspClient(configFor(emulator.url, { fetch: rec.fetch }));
    const init = await client.initiatePayment(initRequest());
    await emulator.clock.advance(3600);
    const details = await client.getPaymentDetails(init.pspTransactionId);
    assert.equal(details.merchantOrderId, init.merchantOrderId);
    assert.deepEqual(
      rec.calls.map((c) => `${c.url.endsWith('/accesstoken/get') ? 'token' : c.method} ${c.status}`),
      ['token 200', 'POST 200', 'GET 401', 'token 200', 'GET 200'],
    );
  });

  it('initiates a payment and reads its details, both as the spec documents them', async () => {
    const client = new PspClient(configFor(emulator.url));
    const request = initRequest();
    const init = await client.initiatePayment(request);
    spec.assertResponse('/v3/psppayments/init', 'post', 200, init);
    assert.equal(init.pspTransactionId, request.pspTransactionId);
    assert.equal(init.merchantOrderId, request.merchantOrderId);
    assert.match(init.vippsRedirectUrl, /^http:\/\/.+\?v=2&token=[\w-]+\.[\w-]+\.[\w-]+$/);

    const details = await client.getPaymentDetails(request.pspTransactionId);
    spec.assertResponse('/v3/psppayments/{pspTransactionId}/details', 'get', 200, details);
    assert.equal(details.pspTransactionId, request.pspTransactionId);
    assert.equal(details.merchantOrderId, request.merchantOrderId);
    assert.deepEqual(details.transactionSummary, {
      capturedAmount: 0,
      remainingAmountToCapture: 0,
      refundedAmount: 0,
      remainingAmountToRefund: 0,
    });
    assert.deepEqual(details.transactionLogHistory, []);
  });

  it('sends currency NOK when the request leaves it out, and a per-call Merchant-Serial-Number', async () => {
    const rec = recordingFetch();
    const client = new PspClient(configFor(emulator.url, { fetch: rec.fetch, merchantSerialNumber: undefined }));
    const { currency: _, ...request } = initRequest();
    const init = await client.initiatePayment(request, { merchantSerialNumber: DEMO.msn });
    assert.equal(init.pspTransactionId, request.pspTransactionId);
    const sent = rec.business()[0];
    assert.equal(JSON.parse(sent?.body ?? '{}').currency, 'NOK');
    assert.equal(sent?.headers.get('merchant-serial-number'), DEMO.msn);
    await assert.rejects(client.getPaymentDetails(init.pspTransactionId), /no merchantSerialNumber/);
  });

  it('replays an idempotent init, and reports another body under the same key as VippsApiError 93', async () => {
    const rec = recordingFetch();
    const client = new PspClient(configFor(emulator.url, { fetch: rec.fetch }));
    const request = initRequest();
    const key = randomUUID();
    const first = await client.initiatePayment(request, { idempotencyKey: key });
    const second = await client.initiatePayment(request, { idempotencyKey: key });
    assert.deepEqual(second, first);
    assert.equal(rec.business()[0]?.headers.get('idempotency-key'), key);

    const error = await rejectsWith(client.initiatePayment(initRequest(), { idempotencyKey: key }), VippsApiError);
    assert.equal(error.status, 409);
    assert.equal(error.errorCode, '93');
    assert.match(error.errorMessage, /identical to the previous request/);
  });

  it('reports a duplicate pspTransactionId as VippsApiError with errorCode 44 and the raw body', async () => {
    const client = new PspClient(configFor(emulator.url));
    const request = initRequest();
    await client.initiatePayment(request);
    const error = await rejectsWith(client.initiatePayment({ ...request, merchantOrderId: uid('order-') }), VippsApiError);
    assert.ok(error instanceof VippsError);
    assert.equal(error.status, 400);
    assert.equal(error.errorCode, '44');
    assert.equal(error.errorMessage, 'PSP Transaction id already exists');
    assert.match(error.contextId ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(error.errors.length, 1);
    assert.deepEqual(JSON.parse(error.body), [
      { errorCode: '44', errorMessage: 'PSP Transaction id already exists', contextId: error.contextId },
    ]);
    spec.assertResponse('/v3/psppayments/init', 'post', 400, JSON.parse(error.body));
    assert.equal(error.request?.method, 'POST');
    assert.equal(error.request?.url, `${emulator.url}/psp/v3/psppayments/init`);
  });

  it('reports validation errors with the field code (amount)', async () => {
    const client = new PspClient(configFor(emulator.url));
    const error = await rejectsWith(client.initiatePayment(initRequest({ amount: 99 })), VippsApiError);
    assert.equal(error.status, 400);
    assert.equal(error.errorCode, 'amount');
    assert.equal(error.errorMessage, 'amount.less.than.one');
  });

  it('reports an unknown payment as VippsApiError', async () => {
    const client = new PspClient(configFor(emulator.url));
    const error = await rejectsWith(client.getPaymentDetails(uid('missing')), VippsApiError);
    assert.equal(error.status, 404);
    assert.equal(error.errorCode, '35');
  });

  it('reports a wrong client secret as VippsAuthError (Azure AD shape) and does not cache the failure', async () => {
    const rec = recordingFetch();
    const client = new PspClient(configFor(emulator.url, { fetch: rec.fetch, clientSecret: 'wrong-secret==' }));
    const error = await rejectsWith(client.initiatePayment(initRequest()), VippsAuthError);
    assert.ok(error instanceof VippsError);
    assert.equal(error.status, 401);
    assert.equal(error.source, 'aad');
    assert.equal(error.errorCode, 'invalid_client');
    assert.match(error.errorMessage, /^AADSTS7000215: Invalid client secret provided/);
    assert.doesNotMatch(error.errorMessage, /Trace ID/);
    assert.deepEqual(error.aadErrorCodes, [7000215]);
    assert.match(error.correlationId ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(JSON.parse(error.body).error, 'invalid_client');
    assert.equal(rec.business().length, 0, 'no business call without a token');
    await rejectsWith(client.getAccessToken(), VippsAuthError);
    assert.equal(rec.tokenFetches(), 2);
  });

  it('reports an unknown client id (400) and a wrong subscription key (APIM shape) as VippsAuthError', async () => {
    const unknownClient = await rejectsWith(
      new PspClient(configFor(emulator.url, { clientId: randomUUID() })).getAccessToken(),
      VippsAuthError,
    );
    assert.equal(unknownClient.status, 400);
    assert.equal(unknownClient.errorCode, 'unauthorized_client');

    const badKey = await rejectsWith(
      new PspClient(configFor(emulator.url, { subscriptionKey: 'f'.repeat(32) })).getAccessToken(),
      VippsAuthError,
    );
    assert.equal(badKey.status, 401);
    assert.equal(badKey.source, 'apim');
    assert.equal(badKey.errorCode, undefined);
    assert.match(badKey.errorMessage, /^Access denied due to invalid subscription key/);
  });

  it('reads the force approve token from the landing page URL and from the app deeplink', async () => {
    const client = new PspClient(configFor(emulator.url));
    const web = await client.initiatePayment(initRequest());
    const app = await client.initiatePayment(initRequest({ isApp: true, pspRedirectUrl: 'myshopapp://order/1' }));
    assert.equal(forceApproveToken(web.vippsRedirectUrl), new URL(web.vippsRedirectUrl).searchParams.get('token'));
    assert.match(app.vippsRedirectUrl, /^vippsMT:\/\/\?token=/);
    assert.equal(forceApproveToken(app.vippsRedirectUrl), app.vippsRedirectUrl.slice('vippsMT://?token='.length));
  });
});

/**
 * A PSP's makePaymentUrl endpoint written with the PSP-side helpers, as docs/client.md shows it:
 * parse, check the Authorization header against this payment's makePaymentToken, answer.
 */
function startPspEndpoint(decide: (request: AcceptedMakePaymentRequest) => MakePaymentResponse) {
  const makePaymentTokens = new Map<string, string>();
  const received: { request: MakePaymentRequest; authorized: boolean }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let answer: MakePaymentResponse;
      try {
        const request = parseMakePaymentRequest(Buffer.concat(chunks));
        const expected = makePaymentTokens.get(request.pspTransactionId);
        const authorized = expected !== undefined && checkMakePaymentAuthorization(req.headers.authorization, expected);
        received.push({ request, authorized });
        if (!authorized) {
          res.writeHead(401).end();
          return;
        }
        answer = request.paymentState === 'ACCEPTED' ? decide(request) : makePaymentNotAccepted(request);
      } catch (error) {
        if (!(error instanceof MakePaymentValidationError)) throw error;
        answer = makePaymentFail('unknown', error.errorId, `Invalid request: ${error.field}`);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  return { server, makePaymentTokens, received };
}

describe('force approve end to end, with a makePaymentUrl endpoint built from the PSP-side helpers', () => {
  let emulator: Emulator;
  let client: PspClient;
  let pspUrl: string;
  let outcome: (request: AcceptedMakePaymentRequest) => MakePaymentResponse = (r) => makePaymentOk(r.pspTransactionId);
  const psp = startPspEndpoint((request) => outcome(request));

  before(async () => {
    emulator = await startEmulator();
    client = new PspClient(configFor(emulator.url));
    pspUrl = await listen(psp.server);
  });
  after(async () => {
    await emulator.close();
    await closeServer(psp.server);
  });

  async function initiate(amount = 49900) {
    const request = initRequest({ amount, makePaymentUrl: `${pspUrl}/makepayment`, makePaymentToken: randomUUID() });
    psp.makePaymentTokens.set(request.pspTransactionId, request.makePaymentToken ?? '');
    const init = await client.initiatePayment(request);
    return { request, init, token: forceApproveToken(init.vippsRedirectUrl) };
  }
  const receivedFor = (id: string) => psp.received.filter((r) => r.request.pspTransactionId === id);

  it('approves: the PSP gets an ACCEPTED request with the token, answers OK, and details show RESERVED', async () => {
    outcome = (r) => makePaymentOk(r.pspTransactionId);
    const { request, token } = await initiate();
    const result = await client.forceApprove(request.pspTransactionId, { customerPhoneNumber: DEMO.user, token });
    assert.equal(result, undefined);

    const [call] = receivedFor(request.pspTransactionId);
    assert.ok(call?.authorized, 'the Authorization header carried the makePaymentToken');
    assert.equal(call.request.paymentState, 'ACCEPTED');
    if (call.request.paymentState !== 'ACCEPTED') return;
    assert.equal(call.request.merchantSerialNumber, DEMO.msn);
    assert.match(call.request.networkToken.number, /^\d{16}$/);
    assert.match(call.request.binNumber, /^\d{6}$/);
    assert.deepEqual(
      call.request.operations.map((o) => o.operation),
      ['3dssuccess', '3dscancel', '3dsfailure'],
    );

    const details = await client.getPaymentDetails(request.pspTransactionId);
    assert.equal(details.transactionLogHistory.length, 1);
    assert.deepEqual(
      details.transactionLogHistory.map((e) => [e.operation, e.amount, e.operationSuccess]),
      [['RESERVED', 49900, true]],
    );
    assert.equal(details.transactionSummary?.remainingAmountToCapture, 49900);
  });

  it('records the PSP’s FAIL answer as a failed reservation', async () => {
    outcome = (r) => makePaymentFail(r.pspTransactionId, '82');
    const { request, token } = await initiate();
    await client.forceApprove(request.pspTransactionId, { customerPhoneNumber: DEMO.user, token });
    const details = await client.getPaymentDetails(request.pspTransactionId);
    assert.deepEqual(
      details.transactionLogHistory.map((e) => [e.operation, e.operationSuccess]),
      [['RESERVED', false]],
    );
  });

  it('runs the 3-D Secure loop: SOFT_DECLINE, the 3dssuccess operation URL, a resent request answered OK', async () => {
    const { request, token } = await initiate();
    outcome = (r) => {
      outcome = (again) => makePaymentOk(again.pspTransactionId);
      return makePaymentSoftDecline(r.pspTransactionId, `${pspUrl}/3ds/${r.pspTransactionId}`);
    };
    await client.forceApprove(request.pspTransactionId, { customerPhoneNumber: DEMO.user, token });
    const [first] = receivedFor(request.pspTransactionId);
    assert.ok(first);
    // The PSP's 3-D Secure page ends on the success URL; the app follows it.
    const intercept = await fetch(operationUrl(first.request, '3dssuccess'));
    assert.equal(intercept.status, 200);
    await intercept.text();
    const calls = receivedFor(request.pspTransactionId);
    assert.equal(calls.length, 2);
    assert.ok(calls.every((c) => c.authorized && c.request.paymentState === 'ACCEPTED'));
    const details = await client.getPaymentDetails(request.pspTransactionId);
    assert.deepEqual(
      details.transactionLogHistory.map((e) => [e.operation, e.operationSuccess]),
      [['RESERVED', true]],
    );
  });

  it('reports a token of another payment as VippsApiError', async () => {
    const a = await initiate();
    const b = await initiate();
    const error = await rejectsWith(
      client.forceApprove(a.request.pspTransactionId, { customerPhoneNumber: DEMO.user, token: b.token }),
      VippsApiError,
    );
    assert.equal(error.status, 400);
    assert.equal(error.errorCode, '51');
    assert.equal(receivedFor(a.request.pspTransactionId).length, 0);
  });

  it('parses the USER_CANCEL and TIMEOUT requests the emulator sends (no card fields) and answers FAIL 93', async () => {
    const cancelled = await initiate();
    const cancel = await fetch(`${emulator.url}/_emulator/payments/${cancelled.request.pspTransactionId}/cancel`, {
      method: 'POST',
      headers: { 'Psp-Id': DEMO.pspId },
    });
    assert.equal(cancel.status, 200, await cancel.text());
    const [cancelCall] = receivedFor(cancelled.request.pspTransactionId);
    assert.equal(cancelCall?.request.paymentState, 'USER_CANCEL');
    assert.equal(cancelCall?.request.networkToken, undefined);
    assert.ok(cancelCall?.authorized);

    const expiring = await initiate();
    await emulator.clock.advance(601);
    // advance() answers after the sweep it ran, which made the TIMEOUT call: no wait needed.
    const [timeoutCall] = receivedFor(expiring.request.pspTransactionId);
    assert.equal(timeoutCall?.request.paymentState, 'TIMEOUT');
    assert.equal(timeoutCall?.request.networkToken, undefined);
  });
});

describe('PspClient without the emulator', () => {
  let server: Server;
  let url: string;
  let businessCalls = 0;
  before(async () => {
    // /redirect/* answers 302; …/accesstoken/get answers; /unauthorized/* answers 401; anything else hangs.
    server = createServer((req, res) => {
      if (req.url?.startsWith('/redirect/')) {
        res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end();
        return;
      }
      if (req.url?.endsWith('/accesstoken/get')) {
        const now = Math.floor(Date.now() / 1000);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ token_type: 'Bearer', expires_in: '3600', expires_on: String(now + 3600), access_token: randomUUID() }));
        return;
      }
      businessCalls += 1;
      if (req.url?.startsWith('/unauthorized')) {
        res.statusCode = 401;
        res.end();
        return;
      }
      // Never answers.
    });
    url = await listen(server);
  });
  after(() => closeServer(server));

  it('gives up after timeoutMs with VippsTimeoutError (token call and business call)', async () => {
    const hanging = createServer(() => {});
    const hangingUrl = await listen(hanging);
    try {
      const started = Date.now();
      const tokenError = await rejectsWith(new PspClient(configFor(hangingUrl, { timeoutMs: 200 })).getAccessToken(), VippsTimeoutError);
      assert.ok(tokenError instanceof VippsError);
      assert.equal(tokenError.timeoutMs, 200);
      assert.equal(tokenError.status, undefined);
      assert.equal(tokenError.request?.url, `${hangingUrl}/accesstoken/get`);
      assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);

      const client = new PspClient(configFor(url, { timeoutMs: 200 }));
      const error = await rejectsWith(client.getPaymentDetails('abc'), VippsTimeoutError);
      assert.equal(error.request?.method, 'GET');
    } finally {
      await closeServer(hanging);
    }
  });

  it('renews the token once on a 401 and then reports the 401 (no retry loop)', async () => {
    const rec = recordingFetch();
    // A baseUrl with a path prefix: the client keeps it.
    const client = new PspClient(configFor(`${url}/unauthorized/`, { fetch: rec.fetch }));
    const before = businessCalls;
    const error = await rejectsWith(client.getPaymentDetails('abc'), VippsAuthError);
    assert.equal(error.status, 401);
    assert.equal(error.source, 'unknown');
    assert.equal(businessCalls - before, 2);
    assert.equal(rec.tokenFetches(), 2);
    assert.ok(
      rec.calls.every((c) => c.url.startsWith(`${url}/unauthorized/`)),
      'the path prefix is kept',
    );
  });

  it('does not follow redirects: a 3xx is an error and the credentials stay on the configured host', async () => {
    const rec = recordingFetch();
    const error = await rejectsWith(new PspClient(configFor(`${url}/redirect`, { fetch: rec.fetch })).getAccessToken(), VippsApiError);
    assert.equal(error.status, 302);
    assert.equal(error.errorCode, undefined);
    assert.deepEqual(
      rec.calls.map((c) => c.url),
      [`${url}/redirect/accesstoken/get`],
    );
  });

  it('reports a refused connection as VippsNetworkError', async () => {
    const closed = createServer();
    const closedUrl = await listen(closed);
    await closeServer(closed);
    const error = await rejectsWith(new PspClient(configFor(closedUrl)).getAccessToken(), VippsNetworkError);
    assert.ok(error instanceof VippsError);
    assert.equal(error.status, undefined);
  });

  it('checks its configuration', () => {
    assert.throws(() => new PspClient(configFor('ftp://example.com')), /baseUrl/);
    assert.throws(() => new PspClient(configFor(url, { clientSecret: '' })), /clientSecret/);
    assert.throws(() => new PspClient(configFor(url, { timeoutMs: 0 })), /timeoutMs/);
    assert.throws(() => new PspClient(configFor(url, { systemName: 'x'.repeat(31) })), /systemName/);
  });
});

describe('forceApproveToken', () => {
  it('extracts the token query parameter of landing page URLs and deeplinks', () => {
    assert.equal(
      forceApproveToken('https://api.vipps.no/dwo-api-application/v1/deeplink/vippsgateway?v=2&token=aaa.bbb.ccc'),
      'aaa.bbb.ccc',
    );
    assert.equal(forceApproveToken('https://api.test/v1/deeplink/vippsgateway?token=eyJ.x.y#frag'), 'eyJ.x.y');
    assert.equal(forceApproveToken('vippsMT://?token=eyJ.a.b'), 'eyJ.a.b');
    assert.equal(forceApproveToken('vipps://?token=eyJ.c.d'), 'eyJ.c.d');
    assert.throws(() => forceApproveToken('https://example.com/no-token?v=2'), TypeError);
    assert.throws(() => forceApproveToken('vipps://'), TypeError);
  });
});

// --- PSP-side helpers ---

/** The documented MakePaymentRequest: every field's `example` in psp-v3.yaml. */
function documentedMakePaymentRequest(): Record<string, unknown> {
  const doc = parse(readFileSync(join(import.meta.dirname, '..', 'spec', 'psp-v3.yaml'), 'utf8'));
  const schemas = doc.components.schemas;
  const exampleOf = (schema: Record<string, unknown>): unknown => {
    if (typeof schema.$ref === 'string') return exampleOf(schemas[schema.$ref.split('/').pop() as string]);
    if (schema.example !== undefined) return schema.example;
    if (schema.type === 'array') return [exampleOf(schema.items as Record<string, unknown>)];
    if (schema.type === 'object') {
      return Object.fromEntries(
        Object.entries(schema.properties as Record<string, Record<string, unknown>>).map(([k, v]) => [k, exampleOf(v)]),
      );
    }
    throw new Error(`no example for ${JSON.stringify(schema)}`);
  };
  const example = exampleOf(schemas.MakePaymentRequest) as Record<string, unknown>;
  // userToken belongs to PSP recurring (removed 2023) and its example is a truncated JWT.
  delete example.userToken;
  return example;
}

describe('PSP-side helpers', () => {
  const example = documentedMakePaymentRequest();

  it('parses the documented MakePaymentRequest', () => {
    spec.assertSchema('MakePaymentRequest', example);
    const request = parseMakePaymentRequest(example);
    assert.equal(request.paymentState, 'ACCEPTED');
    if (request.paymentState !== 'ACCEPTED') return;
    assert.deepEqual(request, {
      pspTransactionId: '7686f7788898767977',
      merchantSerialNumber: '123456',
      paymentState: 'ACCEPTED',
      paymentInstrument: 'TOKEN',
      binNumber: '492556',
      networkToken: {
        number: '5000000000000000001',
        cryptogram: 'aFgdgjdkfgjdFDF=',
        expiryMonth: '03',
        expiryYear: '2030',
        tokenType: 'VISA',
        eci: '7',
      },
      operations: [{ url: 'https://vipps.no/mobileintercept?transactionId=123456789&responsecode=OK', operation: '3dssuccess' }],
    });
    // The raw body as text or bytes reads the same.
    assert.deepEqual(parseMakePaymentRequest(JSON.stringify(example)), request);
    assert.deepEqual(parseMakePaymentRequest(Buffer.from(JSON.stringify(example))), request);
  });

  it('rejects an ACCEPTED request without the token, naming the field', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...example, networkToken: undefined }, 'networkToken'],
      [{ ...example, networkToken: null }, 'networkToken'],
      [{ ...example, networkToken: { ...(example.networkToken as object), cryptogram: undefined } }, 'networkToken.cryptogram'],
      [{ ...example, networkToken: { ...(example.networkToken as object), tokenType: 'AMEX' } }, 'networkToken.tokenType'],
      [{ ...example, networkToken: { ...(example.networkToken as object), expiryMonth: '13' } }, 'networkToken.expiryMonth'],
      [{ ...example, binNumber: undefined }, 'binNumber'],
      [{ ...example, pspTransactionId: 42 }, 'pspTransactionId'],
      [{ ...example, merchantSerialNumber: '12' }, 'merchantSerialNumber'],
      [{ ...example, paymentState: 'YES' }, 'paymentState'],
      [{ ...example, paymentInstrument: 'ENCRYPTEDCARD' }, 'paymentInstrument'],
      [{ ...example, operations: [{ url: 'https://example.com/x', operation: '3dsmaybe' }] }, 'operations[0].operation'],
      [{ ...example, operations: [{ url: 'not a url', operation: '3dssuccess' }] }, 'operations[0].url'],
    ];
    for (const [body, field] of cases) {
      assert.throws(
        () => parseMakePaymentRequest(body),
        (e: unknown) => e instanceof MakePaymentValidationError && e.field === field && e.errorId === '71',
        field,
      );
    }
    assert.throws(
      () => parseMakePaymentRequest('{not json'),
      (e: unknown) => e instanceof MakePaymentValidationError && e.field === '(body)',
    );
    assert.throws(
      () => parseMakePaymentRequest([example]),
      (e: unknown) => e instanceof MakePaymentValidationError && e.field === '(body)',
    );
  });

  it('accepts USER_CANCEL and TIMEOUT without a token (the emulator leaves it out, §2.5)', () => {
    for (const paymentState of ['USER_CANCEL', 'TIMEOUT'] as const) {
      const request = parseMakePaymentRequest({
        pspTransactionId: 'abc123',
        merchantSerialNumber: '123456',
        paymentState,
        paymentInstrument: 'TOKEN',
        binNumber: null,
        operations: [],
      });
      assert.equal(request.paymentState, paymentState);
      assert.equal(request.networkToken, undefined);
      assert.equal(request.binNumber, undefined);
      assert.deepEqual(request.operations, []);
    }
    // A token that is sent anyway is still checked.
    assert.throws(
      () => parseMakePaymentRequest({ ...example, paymentState: 'TIMEOUT', networkToken: { number: 'x' } }),
      (e: unknown) => e instanceof MakePaymentValidationError && e.field === 'networkToken.number',
    );
  });

  it('checks the Authorization header against the makePaymentToken (raw, no Bearer)', () => {
    const token = 'lfkhwef3op48yufpcno3fh34qp8fyncpf83hy4';
    assert.equal(checkMakePaymentAuthorization(token, token), true);
    assert.equal(checkMakePaymentAuthorization([token], token), true);
    assert.equal(checkMakePaymentAuthorization(`Bearer ${token}`, token), false);
    assert.equal(checkMakePaymentAuthorization(`${token}x`, token), false);
    assert.equal(checkMakePaymentAuthorization(token.toUpperCase(), token), false);
    assert.equal(checkMakePaymentAuthorization(undefined, token), false);
    assert.equal(checkMakePaymentAuthorization('', token), false);
    assert.equal(checkMakePaymentAuthorization([token, token], token), false);
    assert.throws(() => checkMakePaymentAuthorization('', ''), TypeError);
  });

  it('builds the documented MakePaymentResponse for OK, FAIL and SOFT_DECLINE', () => {
    const ok = makePaymentOk('7686f7788898767977');
    const fail = makePaymentFail('7686f7788898767977', 82);
    const custom = makePaymentFail('7686f7788898767977', '72', 'Card blocked by PSP rules');
    const soft = makePaymentSoftDecline('7686f7788898767977', 'https://psp.example/3ds/abc');
    const cancel = makePaymentNotAccepted({
      pspTransactionId: 'abc',
      merchantSerialNumber: '123456',
      paymentState: 'USER_CANCEL',
      paymentInstrument: 'TOKEN',
      operations: [],
    });
    const timeout = makePaymentNotAccepted({
      pspTransactionId: 'abc',
      merchantSerialNumber: '123456',
      paymentState: 'TIMEOUT',
      paymentInstrument: 'TOKEN',
      operations: [],
    });
    for (const response of [ok, fail, custom, soft, cancel, timeout]) {
      spec.assertSchema('MakePaymentResponse', response, { strictAdditional: true });
      spec.assertSchema('PaymentInfo', response.paymentInfo, { strictAdditional: true });
      if (response.errorMessage) spec.assertSchema('ErrorMessage', response.errorMessage, { strictAdditional: true });
    }
    assert.deepEqual(ok, { paymentInfo: { pspTransactionId: '7686f7788898767977', status: 'OK' } });
    // The FAQ's example, with the errorId as the string the spec types it as.
    assert.deepEqual(fail, {
      errorMessage: { errorId: '82', errorText: 'Refused by Issuer' },
      paymentInfo: { pspTransactionId: '7686f7788898767977', status: 'FAIL' },
    });
    assert.equal(custom.errorMessage?.errorText, 'Card blocked by PSP rules');
    assert.deepEqual(soft, {
      errorMessage: { errorId: '1036', errorText: 'Soft Decline' },
      paymentInfo: { pspTransactionId: '7686f7788898767977', status: 'SOFT_DECLINE', url3dSecure: 'https://psp.example/3ds/abc' },
    });
    assert.deepEqual(cancel.errorMessage, { errorId: '93', errorText: 'Status from Vipps:CANCEL' });
    assert.deepEqual(timeout.errorMessage, { errorId: '93', errorText: 'Status from Vipps:TIMEOUT' });
    assert.throws(() => makePaymentFail('x', 4242), TypeError);
    assert.throws(() => makePaymentSoftDecline('x', '/relative'), TypeError);
  });

  it('finds the 3-D Secure operation URLs', () => {
    const operations = [
      { url: 'https://vipps.example/mobileintercept?transactionId=1&responsecode=OK', operation: '3dssuccess' },
      { url: 'https://vipps.example/mobileintercept?transactionId=1&responsecode=CANCEL', operation: '3dscancel' },
      { url: 'https://vipps.example/mobileintercept?transactionId=1&responsecode=FAIL', operation: '3dsfailure' },
    ];
    const request = parseMakePaymentRequest({ ...example, operations });
    assert.equal(operationUrl(request, '3dssuccess'), operations[0]?.url);
    assert.equal(operationUrl(request, '3dscancel'), operations[1]?.url);
    assert.equal(operationUrl(request, '3dsfailure'), operations[2]?.url);
    const none = parseMakePaymentRequest({ ...example, operations: undefined });
    assert.throws(
      () => operationUrl(none, '3dssuccess'),
      (e: unknown) => e instanceof MakePaymentValidationError && e.field === 'operations',
    );
  });

  it('has the PSP error id table of §2.5', () => {
    assert.deepEqual(Object.keys(PSP_ERROR_IDS).sort(), [
      '1036',
      '71',
      '72',
      '81',
      '82',
      '83',
      '84',
      '85',
      '86',
      '87',
      '88',
      '89',
      '91',
      '92',
      '93',
      '94',
    ]);
    assert.equal(PSP_ERROR_IDS['82'].errorText, 'Refused by Issuer');
    assert.equal(PSP_ERROR_IDS['85'].errorText, 'Response received too late');
    assert.equal(PSP_ERROR_IDS['94'].errorText, 'Unhandled soft decline');
  });
});
