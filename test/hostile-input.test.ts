/**
 * Regression tests for the cases of issue 16, found by probing from outside: each one answered
 * 500, answered in Fastify's own error shape, or did not answer. Real HTTP on loopback; the
 * malformed requests go over a raw socket so they reach the server exactly as written.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseConfig } from '../src/config.js';
import { jsonDepthExceeds } from '../src/http/json-depth.js';
import { type Answer, sendRaw } from './helpers/fuzz.js';
import { DEMO, initBody, PspApi, seedWithOtherPsp, startTestPlatform, type TestPlatform } from './helpers/platform.js';

const LANDING = '/dwo-api-application/v1/deeplink/vippsgateway';
const MERCHANTS = '/merchant-management/psp/v1/merchants';

async function raw(base: string, text: string, method = text.slice(0, text.indexOf(' '))): Promise<Answer> {
  const answer = await sendRaw(base, Buffer.from(text, 'latin1'), method, 5000);
  if ('error' in answer) throw new Error(answer.error);
  return answer;
}

function pspErrorOf(answer: Answer): { errorCode: string; errorMessage: string; contextId: string } {
  assert.match(answer.headers['content-type'] ?? '', /^application\/json/);
  const body = JSON.parse(answer.body) as { errorCode: string; errorMessage: string; contextId: string }[];
  assert.ok(Array.isArray(body) && body.length === 1, answer.body);
  const [item] = body;
  assert.ok(item && typeof item.contextId === 'string' && item.contextId.length > 0);
  return item;
}

function problemOf(answer: Answer): { type: string; status: number; detail: string; instance: string } {
  assert.match(answer.headers['content-type'] ?? '', /^application\/problem\+json/);
  const body = JSON.parse(answer.body) as { type: string; status: number; detail: string; instance: string; contextId: string };
  assert.equal(body.status, answer.status);
  assert.equal(typeof body.contextId, 'string');
  return body;
}

describe('hostile input (issue 16)', () => {
  let p: TestPlatform;
  let api: PspApi;
  let token: string;
  let pspHeaders: string;
  let pspTransactionId: string;

  before(async () => {
    p = await startTestPlatform({ seed: seedWithOtherPsp(), env: { LOG_LEVEL: 'silent' } });
    api = await PspApi.connect(p.url);
    const body = initBody();
    const init = await api.init(body);
    assert.equal(init.status, 200);
    pspTransactionId = String(body.pspTransactionId);
    token = new URL(init.json.vippsRedirectUrl).searchParams.get('token') ?? '';
    pspHeaders = Object.entries(api.headers({ 'Content-Type': 'application/json' }))
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
  });
  after(() => p.close());

  describe('a repeated query parameter on the pages is a 400 error page, not a 500', () => {
    for (const [name, path] of [
      ['landing page', () => `${LANDING}?v=2&token=a&token=b`],
      ['landing page, a valid token twice', () => `${LANDING}?token=${token}&token=${token}`],
      ['landing page event stream', () => `${LANDING}/events?token=a&token=b`],
      ['app login', () => '/app/login?next=/app&next=/app'],
      ['app deeplink', () => `/app/deeplink?token=${token}&token=${token}`],
      ['3-D Secure return URL', () => '/mobileintercept?transactionId=a&transactionId=b'],
    ] as const) {
      it(name, async () => {
        const res = await fetch(`${p.url}${path()}`, { redirect: 'manual' });
        assert.equal(res.status, 400);
        assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
        assert.match(await res.text(), /This (request|link) is not valid/);
      });
    }
  });

  describe('deeply nested JSON is a 400 in the API’s format, before anything walks it', () => {
    const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

    it('init (PSP API): 5,000 levels in an extra field', async () => {
      const text = JSON.stringify(initBody()).replace(/^\{/, `{"extra":${deepObject(5000)},`);
      const r = await raw(
        p.url,
        `POST /psp/v3/psppayments/init HTTP/1.1\r\nHost: x\r\n${pspHeaders}Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
      );
      assert.equal(r.status, 400);
      const error = pspErrorOf(r);
      assert.equal(error.errorCode, '51');
      assert.equal(error.errorMessage, 'Invalid request: the JSON body nests deeper than 64 levels');
    });

    it('init: a body at the limit is not refused for its depth', async () => {
      // 64 levels in all: the body object itself and 63 below it.
      const text = JSON.stringify(initBody()).replace(/^\{/, `{"extra":${'['.repeat(63)}${']'.repeat(63)},`);
      assert.equal(jsonDepthExceeds(text, 64), false);
      const r = await raw(
        p.url,
        `POST /psp/v3/psppayments/init HTTP/1.1\r\nHost: x\r\n${pspHeaders}Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
      );
      assert.equal(r.status, 200, r.body);
    });

    it('Merchant API create: 10,000 levels of arrays in an otherwise valid body', async () => {
      const text = `{"deep":${'['.repeat(10_000)}${']'.repeat(10_000)},"name":"Shop"}`;
      const r = await raw(
        p.url,
        `POST ${MERCHANTS} HTTP/1.1\r\nHost: x\r\n${pspHeaders}Idempotency-Key: deep-1\r\nContent-Length: ${text.length}\r\n\r\n${text}`,
      );
      assert.equal(r.status, 400);
      const problem = problemOf(r);
      assert.equal(problem.detail, 'Invalid request: the JSON body nests deeper than 64 levels');
      assert.equal(problem.instance, MERCHANTS);
    });

    it('the limit is the JSON_MAX_DEPTH setting (default 64)', () => {
      assert.equal(parseConfig({}).jsonMaxDepth, 64);
      assert.equal(parseConfig({ JSON_MAX_DEPTH: '8' }).jsonMaxDepth, 8);
      assert.throws(() => parseConfig({ JSON_MAX_DEPTH: '0' }), /JSON_MAX_DEPTH/);
    });

    it('the depth is counted without parsing: brackets in strings do not count, escapes are skipped', () => {
      assert.equal(jsonDepthExceeds('[[[]]]', 3), false);
      assert.equal(jsonDepthExceeds('[[[[]]]]', 3), true);
      assert.equal(jsonDepthExceeds('{"a":"[[[[[[[["}', 1), false);
      assert.equal(jsonDepthExceeds('{"a":"\\"[[[[[[["}', 1), false);
      assert.equal(jsonDepthExceeds('[{"a":[{}]}]', 4), false);
      assert.equal(jsonDepthExceeds('[{"a":[{}]}]', 3), true);
    });
  });

  describe('errors of the HTTP layer come in the API’s format, not Fastify’s', () => {
    const long = 'x'.repeat(200);
    const routes = () =>
      [
        { name: 'details', method: 'GET', path: (id: string) => `/psp/v3/psppayments/${id}/details`, format: 'psp' },
        {
          name: 'force approve',
          method: 'POST',
          path: (id: string) => `/psp/v3/integration-test/psppayments/${id}/approve`,
          format: 'psp',
        },
        { name: 'Merchant API get', method: 'GET', path: (id: string) => `${MERCHANTS}/${id}`, format: 'problem' },
        { name: 'Merchant API patch', method: 'PATCH', path: (id: string) => `${MERCHANTS}/${id}`, format: 'problem' },
      ] as const;
    const cases = [
      {
        what: '414 for a path segment over 100 characters',
        status: 414,
        code: '414',
        request: (m: string, path: (id: string) => string, h: string) => `${m} ${path(long)} HTTP/1.1\r\nHost: x\r\n${h}\r\n`,
      },
      {
        what: '414 for a request line over 8 KiB',
        status: 414,
        code: '414',
        request: (m: string, path: (id: string) => string, h: string) =>
          `${m} ${path('abc')}?q=${'u'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n${h}\r\n`,
      },
      {
        what: '431 for a header section over the limit',
        status: 431,
        code: '431',
        request: (m: string, path: (id: string) => string, h: string) =>
          `${m} ${path('abc')} HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n${h}\r\n`,
      },
      {
        what: '400 for a malformed Content-Length',
        status: 400,
        code: '51',
        request: (m: string, path: (id: string) => string, h: string) =>
          `${m} ${path('abc')} HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n${h}\r\n`,
      },
      {
        what: '400 for a malformed header',
        status: 400,
        code: '51',
        request: (m: string, path: (id: string) => string, h: string) =>
          `${m} ${path('abc')} HTTP/1.1\r\nHost: x\r\nBad Header: x\r\n${h}\r\n`,
      },
      {
        what: '400 for a path that is not valid percent-encoded UTF-8',
        status: 400,
        code: '51',
        request: (m: string, path: (id: string) => string, h: string) => `${m} ${path('%E0%A4%A')} HTTP/1.1\r\nHost: x\r\n${h}\r\n`,
      },
    ];
    for (const route of routes()) {
      for (const c of cases) {
        it(`${route.name}: ${c.what}`, async () => {
          const r = await raw(p.url, c.request(route.method, route.path, pspHeaders), route.method);
          assert.equal(r.status, c.status, r.body);
          if (route.format === 'psp') assert.equal(pspErrorOf(r).errorCode, c.code);
          else assert.match(problemOf(r).type, new RegExp(`#${c.code}$`));
        });
      }
    }

    it('413 and 415 on force approve and the Merchant API patch', async () => {
      const big = `{"a":"${'z'.repeat(5 * 1024 * 1024)}"}`;
      const approve = `/psp/v3/integration-test/psppayments/${pspTransactionId}/approve`;
      const r413 = await raw(p.url, `POST ${approve} HTTP/1.1\r\nHost: x\r\n${pspHeaders}Content-Length: ${big.length}\r\n\r\n${big}`);
      assert.equal(r413.status, 413);
      assert.equal(pspErrorOf(r413).errorCode, '413');
      const patch413 = await raw(
        p.url,
        `PATCH ${MERCHANTS}/${DEMO.msn} HTTP/1.1\r\nHost: x\r\n${pspHeaders}Content-Length: ${big.length}\r\n\r\n${big}`,
      );
      assert.equal(patch413.status, 413);
      assert.match(problemOf(patch413).type, /#413$/);
      const xml = pspHeaders.replace('Content-Type: application/json', 'Content-Type: application/xml');
      const r415 = await raw(p.url, `POST ${approve} HTTP/1.1\r\nHost: x\r\n${xml}Content-Length: 2\r\n\r\n{}`);
      assert.equal(r415.status, 415, r415.body);
      assert.equal(pspErrorOf(r415).errorCode, '415');
      const patch415 = await raw(p.url, `PATCH ${MERCHANTS}/${DEMO.msn} HTTP/1.1\r\nHost: x\r\n${xml}Content-Length: 2\r\n\r\n{}`);
      assert.equal(patch415.status, 415);
      assert.match(problemOf(patch415).type, /#415$/);
    });

    it('a page path gets the page’s HTML error page for a framing error', async () => {
      const r = await raw(p.url, `GET ${LANDING}?token=${token} HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n`);
      assert.equal(r.status, 400);
      assert.match(r.headers['content-type'] ?? '', /^text\/html/);
      assert.match(r.headers['content-security-policy'] ?? '', /default-src 'none'/);
    });
  });

  describe('event streams: headers at once for a valid request, refusal at once for an invalid one', () => {
    const timed = async (path: string, init: RequestInit = {}) => {
      const started = Date.now();
      const res = await fetch(`${p.url}${path}`, { ...init, signal: AbortSignal.timeout(3000) });
      const ms = Date.now() - started;
      await res.body?.cancel();
      return { status: res.status, type: res.headers.get('content-type') ?? '', ms };
    };

    it('the landing page stream: GET and HEAD get their headers at once; a bad token is refused', async () => {
      for (const method of ['GET', 'HEAD']) {
        const r = await timed(`${LANDING}/events?token=${token}`, { method });
        assert.equal(r.status, 200, method);
        assert.match(r.type, /^text\/event-stream/);
        assert.ok(r.ms < 2000, `${method} ${r.ms} ms`);
      }
      const bad = await timed(`${LANDING}/events?token=nope`);
      assert.equal(bad.status, 404);
      assert.match(bad.type, /^text\/html/);
      const twice = await timed(`${LANDING}/events?token=${token}&token=${token}`);
      assert.equal(twice.status, 400);
    });

    it('the app stream: HEAD with a session gets its headers at once; no session is a 401 page', async () => {
      const login = await fetch(`${p.url}/app/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `phoneNumber=${DEMO.user}&pin=1236&next=/app`,
      });
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      for (const method of ['GET', 'HEAD']) {
        const r = await timed('/app/events', { method, headers: { cookie } });
        assert.equal(r.status, 200, method);
        assert.ok(r.ms < 2000, `${method} ${r.ms} ms`);
      }
      const anonymous = await timed('/app/events');
      assert.equal(anonymous.status, 401);
      assert.match(anonymous.type, /^text\/html/);
      const twice = await timed('/app/events?payment=a&payment=b', { headers: { cookie } });
      assert.equal(twice.status, 400);
    });
  });
});
