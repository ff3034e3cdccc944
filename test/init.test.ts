import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { pspSpec } from './helpers/openapi.js';
import { DEMO, initBody, PspApi, seedWithOtherPsp, startTestPlatform, type TestPlatform, uid } from './helpers/platform.js';

const spec = pspSpec();
type Errors = { errorCode: string; errorMessage: string; contextId: string }[];

function assertError(r: { status: number; json: unknown }, status: number, errorCode: string, errorMessage: string | RegExp) {
  assert.equal(r.status, status, JSON.stringify(r.json));
  if (status === 400) spec.assertResponse('/v3/psppayments/init', 'post', 400, r.json);
  const errors = r.json as Errors;
  assert.equal(errors.length, 1);
  const [e] = errors;
  assert.equal(e?.errorCode, errorCode);
  if (typeof errorMessage === 'string') assert.equal(e?.errorMessage, errorMessage);
  else assert.match(e?.errorMessage ?? '', errorMessage);
  assert.match(e?.contextId ?? '', /^[0-9a-f-]{36}$/);
}

describe('POST /psp/v3/psppayments/init (test profile)', () => {
  let p: TestPlatform;
  let api: PspApi;
  before(async () => {
    p = await startTestPlatform({ seed: seedWithOtherPsp() });
    api = await PspApi.connect(p.url);
  });
  after(() => p.close());

  it('initiates a payment and answers with the landing page URL holding a 5-minute signed token', async () => {
    const body = initBody();
    const r = await api.init(body);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json;charset=UTF-8/i);
    spec.assertResponse('/v3/psppayments/init', 'post', 200, r.json);
    assert.equal(r.json.pspTransactionId, body.pspTransactionId);
    assert.equal(r.json.merchantOrderId, body.merchantOrderId);
    const url = new URL(r.json.vippsRedirectUrl);
    assert.equal(url.origin, p.running.platform.publicUrl());
    assert.equal(url.pathname, '/dwo-api-application/v1/deeplink/vippsgateway');
    const token = url.searchParams.get('token') ?? '';
    assert.equal(decodeProtectedHeader(token).alg, 'HS256'); // opaque to PSPs; see security/landing-tokens.ts
    const claims = decodeJwt(token);
    assert.equal(claims.appType, 'LANDINGPAGE');
    assert.equal(claims.tokenType, 'DEEPLINK');
    assert.equal(claims.merchantSerialNumber, DEMO.msn);
    assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 300);
  });

  it('accepts the amount as a numeric JSON string, a trailing slash and any path case', async () => {
    const r = await api.post('/psp/v3/PSPpayments/Init/', initBody({ amount: '49900' }));
    assert.equal(r.status, 200);
  });

  it('gives a vippsMT:// deeplink for isApp in the test profile, and accepts an app scheme redirect URL', async () => {
    const r = await api.init(initBody({ isApp: true, pspRedirectUrl: 'myshopapp://order/1' }));
    assert.equal(r.status, 200);
    assert.match(r.json.vippsRedirectUrl, /^vippsMT:\/\/\?token=[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it('answers a duplicate pspTransactionId with 44 and a duplicate merchantOrderId with 99', async () => {
    const body = initBody();
    assert.equal((await api.init(body)).status, 200);
    assertError(await api.init({ ...body, merchantOrderId: uid('o-') }), 400, '44', 'PSP Transaction id already exists');
    assertError(await api.init({ ...body, pspTransactionId: uid('p') }), 400, '99', 'OrderId already exists');
  });

  it('answers 50 concurrent inits of the same ids with one success and only 44/99 besides, never a 500, storing one payment', async () => {
    // Two bursts of 50 requests sent at once: the same body 50 times (the losers collide on
    // pspTransactionId, checked first: 44), then one merchantOrderId with 50 pspTransactionIds
    // (the losers collide on merchantOrderId only: 99).
    const same = initBody();
    const sameOrder = initBody();
    for (const [bodies, code, message] of [
      [Array.from({ length: 50 }, (): Record<string, unknown> => same), '44', 'PSP Transaction id already exists'],
      [
        Array.from({ length: 50 }, (): Record<string, unknown> => ({ ...sameOrder, pspTransactionId: uid('p') })),
        '99',
        'OrderId already exists',
      ],
    ] as const) {
      const answers = await Promise.all(bodies.map((b) => api.init(b)));
      const statuses = answers.map((r) => r.status);
      assert.ok(!statuses.some((s) => s >= 500), `a 5xx among ${statuses.join(',')}`);
      const winners = answers.flatMap((r, i) => (r.status === 200 ? [bodies[i]] : []));
      assert.equal(winners.length, 1, `one success, got ${winners.length}`);
      for (const r of answers) if (r.status !== 200) assertError(r, 400, code, message);
      const winner = winners[0] as (typeof bodies)[number];
      const stored = await p.running.platform.repos.payments.findByPspTransactionId(DEMO.pspId, String(winner.pspTransactionId));
      assert.equal(stored?.merchantOrderId, winner.merchantOrderId);
    }
  });

  it('allows the same merchantOrderId on another sales unit', async () => {
    const body = initBody();
    assert.equal((await api.init(body)).status, 200);
    const r = await api.init({ ...body, pspTransactionId: uid('p') }, { 'Merchant-Serial-Number': DEMO.skipMsn });
    assert.equal(r.status, 200);
  });

  it('rejects bad amounts with code "amount"', async () => {
    for (const amount of [99, 0, -100, '49.9', 499.5, 'abc', 2_147_483_648, null]) {
      assertError(await api.init(initBody({ amount })), 400, 'amount', 'amount.less.than.one');
    }
    const { amount: _, ...withoutAmount } = initBody();
    assertError(await api.init(withoutAmount), 400, 'amount', 'amount.less.than.one');
  });

  it('takes an amount only as a JSON integer or a string of digits: nothing is coerced (§2.2, §2.11)', async () => {
    // Each of these was once turned into a number by the validator's type coercion.
    for (const amount of ['0x1F40', '1e4', ' 49900', '49900 ', '49900.0', '+49900', '-49900', [49900], ['49900'], true, {}]) {
      assertError(await api.init(initBody({ amount })), 400, 'amount', 'amount.less.than.one');
    }
    for (const amount of [49900, '49900', '0100']) assert.equal((await api.init(initBody({ amount }))).status, 200, String(amount));
  });

  it('refuses the wrong JSON type for every other field instead of coercing it', async () => {
    const cases: [Record<string, unknown>, string, string | RegExp][] = [
      [{ pspTransactionId: 12345 }, '51', 'Invalid request: pspTransactionId must be string'],
      [{ merchantOrderId: 12345 }, '51', 'Invalid request: merchantOrderId must be string'],
      [{ isApp: 'true' }, '51', 'Invalid request: isApp must be boolean'],
      [{ isApp: 1 }, '51', 'Invalid request: isApp must be boolean'],
      [{ skipLandingPage: 'false' }, '51', 'Invalid request: skipLandingPage must be boolean'],
      [{ customerMobileNumber: 91234567 }, '51', 'Invalid request: customerMobileNumber must be string'],
      [{ paymentText: 12 }, '51', 'Invalid request: paymentText must be string'],
      [{ makePaymentToken: 1234 }, '51', 'Invalid request: makePaymentToken must be string'],
      [{ currency: ['NOK'] }, 'currency', 'transaction.currency.invalid'],
      [{ pspRedirectUrl: ['http://localhost:3000/result'] }, '51', 'Invalid pspRedirectUrl'],
      [{ makePaymentUrl: 1 }, 'makePaymentUrl', 'Invalid makePaymentUrl'],
    ];
    for (const [overrides, code, message] of cases) {
      assertError(await api.init(initBody(overrides)), 400, code, message);
    }
  });

  it('rejects a currency other than NOK, and a missing one (required in psp-v3.yaml)', async () => {
    for (const currency of ['SEK', 'nok', '', null]) {
      assertError(await api.init(initBody({ currency })), 400, 'currency', 'transaction.currency.invalid');
    }
    const { currency: _, ...withoutCurrency } = initBody();
    assertError(await api.init(withoutCurrency), 400, 'currency', 'transaction.currency.invalid');
  });

  it('rejects invalid field values with code 51', async () => {
    assertError(await api.init(initBody({ pspTransactionId: 'x'.repeat(37) })), 400, '51', /^Invalid request: pspTransactionId/);
    assertError(await api.init(initBody({ pspTransactionId: 'has space' })), 400, '51', /^Invalid request: pspTransactionId/);
    assertError(await api.init(initBody({ merchantOrderId: 'order_1' })), 400, '51', /^Invalid request: merchantOrderId/);
    assertError(await api.init(initBody({ merchantOrderId: 'o'.repeat(51) })), 400, '51', /^Invalid request: merchantOrderId/);
    assertError(await api.init(initBody({ customerMobileNumber: '+4791234567' })), 400, '51', /^Invalid request: customerMobileNumber/);
    assertError(await api.init(initBody({ paymentText: 'x'.repeat(101) })), 400, '51', /^Invalid request: paymentText/);
    assertError(await api.init(initBody({ makePaymentToken: 'x'.repeat(256) })), 400, '51', /^Invalid request: makePaymentToken/);
    const { pspTransactionId: _, ...withoutId } = initBody();
    assertError(await api.init(withoutId), 400, '51', 'Invalid request: pspTransactionId is required');
  });

  it('answers a body that is not JSON with code 51', async () => {
    const r = await fetch(`${p.url}/psp/v3/psppayments/init`, { method: 'POST', headers: api.headers(), body: '{"amount":' });
    assertError({ status: r.status, json: await r.json() }, 400, '51', 'Invalid request: the request body is not valid JSON');
  });

  it('rejects an invalid pspRedirectUrl and makePaymentUrl', async () => {
    for (const pspRedirectUrl of [
      'not a url',
      'myshopapp://order/1', // an app scheme only with isApp (§2.11)
      'javascript:alert(1)',
      'http:///result',
      'http://shop..example.com/r',
      'http://999.1.2.3/r',
      'http://shop.example.com/a b',
      'http://shop.example.com//r',
      'http://shop.example.com:65536/r',
    ]) {
      assertError(await api.init(initBody({ pspRedirectUrl })), 400, '51', 'Invalid pspRedirectUrl');
    }
    assertError(await api.init(initBody({ makePaymentUrl: 'shop.example/mp' })), 400, 'makePaymentUrl', 'Invalid makePaymentUrl');
    const { makePaymentUrl: _, ...without } = initBody();
    assertError(await api.init(without), 400, 'makePaymentUrl', 'Invalid makePaymentUrl');
  });

  it('accepts the pspRedirectUrls of the real validator, and local hosts in the test profile', async () => {
    // Apache Commons UrlValidator defaults (§2.11): http, https and ftp; any IP address (the
    // platform never fetches this URL); the test profile adds local hosts (ALLOW_LOCAL_URLS).
    for (const pspRedirectUrl of [
      'ftp://shop.example.com/x',
      'http://127.0.0.1:3000/result',
      'http://169.254.169.254/',
      'http://[::1]:3000/r',
      'HTTPS://Shop.Example.COM:8443/r?order=1&x=%20#done',
      'http://localhost:3000/result',
      'http://shop.localhost/r',
      'http://devbox:8080/r',
    ]) {
      assert.equal((await api.init(initBody({ pspRedirectUrl }))).status, 200, pspRedirectUrl);
    }
  });

  it('accepts localhost and 127.0.0.1 callback URLs in the test profile', async () => {
    for (const makePaymentUrl of ['http://localhost:8080/mp', 'http://127.0.0.1:8080/mp', 'https://psp.example.com/mp']) {
      assert.equal((await api.init(initBody({ makePaymentUrl }))).status, 200, makePaymentUrl);
    }
  });

  it('refuses link-local and metadata addresses in every profile', async () => {
    for (const makePaymentUrl of [
      'http://169.254.169.254/latest/meta-data',
      'http://169.254.10.1/mp',
      'http://[fe80::1]/mp',
      'http://metadata.google.internal/x',
    ]) {
      assertError(await api.init(initBody({ makePaymentUrl })), 400, 'makePaymentUrl', 'Invalid makePaymentUrl');
    }
  });

  it('refuses skipLandingPage for a sales unit that is not allowed to skip it', async () => {
    assertError(
      await api.init(initBody({ skipLandingPage: true, customerMobileNumber: DEMO.user })),
      400,
      '38',
      'The sales unit is not allowed to skip the landing page. See the FAQ.',
    );
  });

  it('requires customerMobileNumber with skipLandingPage, and accepts it on a whitelisted sales unit', async () => {
    const kiosk = { 'Merchant-Serial-Number': DEMO.skipMsn };
    assertError(await api.init(initBody({ skipLandingPage: true }), kiosk), 400, '51', /customerMobileNumber is required/);
    const r = await api.init(initBody({ skipLandingPage: true, customerMobileNumber: DEMO.user }), kiosk);
    assert.equal(r.status, 200);
  });
});

describe('POST /psp/v3/psppayments/init (production profile)', () => {
  let p: TestPlatform;
  let api: PspApi;
  before(async () => {
    p = await startTestPlatform({ env: { PROFILE: 'production' } });
    api = await PspApi.connect(p.url);
  });
  after(() => p.close());

  it('requires an https makePaymentUrl on a public host', async () => {
    for (const makePaymentUrl of [
      'http://psp.example.com/mp',
      'https://localhost/mp',
      'https://127.0.0.1/mp',
      'https://10.0.0.5/mp',
      'https://intranet/mp',
    ]) {
      assertError(
        await api.init(initBody({ makePaymentUrl, pspRedirectUrl: 'https://shop.example.com/r' })),
        400,
        'makePaymentUrl',
        'Invalid makePaymentUrl',
      );
    }
    const ok = await api.init(initBody({ makePaymentUrl: 'https://psp.example.com/mp', pspRedirectUrl: 'https://shop.example.com/r' }));
    assert.equal(ok.status, 200);
  });

  it('checks pspRedirectUrl like the real validator: IP addresses and ftp accepted, localhost refused (§2.11)', async () => {
    const makePaymentUrl = 'https://psp.example.com/mp';
    for (const pspRedirectUrl of [
      'http://127.0.0.1/r', // the guide's recommended fallback
      'http://192.168.1.5/r',
      'http://10.0.0.5:8080/r',
      'http://[::1]/r',
      'ftp://files.example.com/r',
      'https://shop.example.com:8443/r?order=1#top',
    ]) {
      assert.equal((await api.init(initBody({ makePaymentUrl, pspRedirectUrl }))).status, 200, pspRedirectUrl);
    }
    for (const pspRedirectUrl of [
      'http://localhost/r',
      'https://localhost/r',
      'http://localhost:3000/result',
      'http://shop.localhost/r',
      'http://intranet/r',
      'shop://x',
      'file:///etc/passwd',
    ]) {
      assertError(await api.init(initBody({ makePaymentUrl, pspRedirectUrl })), 400, '51', 'Invalid pspRedirectUrl');
    }
  });

  it('does not validate pspRedirectUrl with isApp, and gives a vipps:// deeplink', async () => {
    for (const pspRedirectUrl of ['shop://x', 'http://localhost/r', 'not a url']) {
      const r = await api.init(initBody({ makePaymentUrl: 'https://psp.example.com/mp', isApp: true, pspRedirectUrl }));
      assert.equal(r.status, 200, pspRedirectUrl);
      assert.match(r.json.vippsRedirectUrl, /^vipps:\/\/\?token=/);
    }
    assertError(
      await api.init(initBody({ makePaymentUrl: 'https://psp.example.com/mp', isApp: true, pspRedirectUrl: '' })),
      400,
      '51',
      'Invalid pspRedirectUrl',
    );
  });
});

/** Link-local and metadata targets of makePaymentUrl, as literal addresses (a host name is checked when connecting). */
const NEVER_CALLED = [
  'https://169.254.169.254/latest/meta-data',
  'https://169.254.10.1/mp',
  'https://169.254.170.2/v2/credentials',
  'https://100.100.100.200/latest/meta-data',
  'https://[fe80::1]/mp',
  'https://[fd00:ec2::254]/latest/meta-data',
  'https://[::ffff:169.254.169.254]/latest/meta-data',
  'https://0.0.0.0/mp',
  'https://metadata.google.internal/computeMetadata/v1/',
];

const PRODUCTION_ENVS: Record<string, string>[] = [{}, { ALLOW_PRIVATE_CALLBACKS: 'true', ALLOW_LOOPBACK_CALLBACKS: 'true' }];
for (const env of PRODUCTION_ENVS) {
  describe(`makePaymentUrl in the production profile ${JSON.stringify(env)}`, () => {
    let p: TestPlatform;
    let api: PspApi;
    before(async () => {
      p = await startTestPlatform({ env: { PROFILE: 'production', ...env } });
      api = await PspApi.connect(p.url);
    });
    after(() => p.close());

    it('refuses link-local and metadata addresses whatever ALLOW_* says', async () => {
      for (const makePaymentUrl of NEVER_CALLED) {
        assertError(
          await api.init(initBody({ makePaymentUrl, pspRedirectUrl: 'https://shop.example.com/r' })),
          400,
          'makePaymentUrl',
          'Invalid makePaymentUrl',
        );
      }
    });

    it('accepts private and loopback addresses only when allowed', async () => {
      const allowed = 'ALLOW_PRIVATE_CALLBACKS' in env;
      for (const makePaymentUrl of ['https://10.0.0.5/mp', 'https://192.168.1.5/mp', 'https://127.0.0.1/mp']) {
        const r = await api.init(initBody({ makePaymentUrl, pspRedirectUrl: 'https://shop.example.com/r' }));
        if (allowed) assert.equal(r.status, 200, makePaymentUrl);
        else assertError(r, 400, 'makePaymentUrl', 'Invalid makePaymentUrl');
      }
    });
  });
}
