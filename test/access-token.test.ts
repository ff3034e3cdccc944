import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { accessTokenSpec } from './helpers/openapi.js';
import { call, DEMO, startTestPlatform, type TestPlatform } from './helpers/platform.js';

const spec = accessTokenSpec();

describe('POST /accesstoken/get', () => {
  let p: TestPlatform;
  before(async () => {
    p = await startTestPlatform();
  });
  after(() => p.close());

  const get = (headers: Record<string, string>, path = '/accesstoken/get', body?: string) =>
    call<Record<string, unknown>>(`${p.url}${path}`, { method: 'POST', headers, ...(body === undefined ? {} : { body }) });
  const good = { client_id: DEMO.clientId, client_secret: DEMO.clientSecret, 'Ocp-Apim-Subscription-Key': DEMO.subscriptionKey };

  it('issues an RS256 JWT with a kid, all values as strings, valid 1 hour in the test profile', async () => {
    const r = await get(good);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json;charset=UTF-8/i);
    spec.assertResponse('/accesstoken/get', 'post', 200, r.json);
    for (const [k, v] of Object.entries(r.json)) assert.equal(typeof v, 'string', `${k} is a string`);
    assert.equal(r.json.token_type, 'Bearer');
    assert.equal(r.json.expires_in, '3600');
    assert.equal(Number(r.json.expires_on) - Number(r.json.not_before), 3600);
    const header = decodeProtectedHeader(String(r.json.access_token));
    assert.equal(header.alg, 'RS256');
    assert.ok(header.kid && header.kid.length > 10);
    assert.equal(decodeJwt(String(r.json.access_token)).exp, Number(r.json.expires_on));
  });

  it('matches the path case-insensitively, tolerates a trailing slash and any body', async () => {
    const a = await get(good, '/accessToken/get');
    assert.equal(a.status, 200);
    const b = await get({ ...good, 'Content-Type': 'application/x-www-form-urlencoded' }, '/accesstoken/get/', '');
    assert.equal(b.status, 200);
    const c = await get({ ...good, 'Content-Type': 'application/json' }, '/accesstoken/get', '');
    assert.equal(c.status, 200);
  });

  it('answers an unknown client id with the Azure AD 400 body', async () => {
    const r = await get({ ...good, client_id: '00000000-0000-0000-0000-000000000000' });
    assert.equal(r.status, 400);
    assert.equal(r.json.error, 'unauthorized_client');
    assert.deepEqual(r.json.error_codes, [700016]);
    assert.match(
      String(r.json.error_description),
      /^AADSTS700016: Application with identifier '00000000-0000-0000-0000-000000000000' was not found/,
    );
    assert.match(String(r.json.error_description), /\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: [0-9a-f-]{36}\r\nTimestamp: /);
    assert.equal(typeof r.json.trace_id, 'string');
    assert.equal(typeof r.json.correlation_id, 'string');
  });

  it('answers a missing client id with 400 invalid_request', async () => {
    const r = await get({ client_secret: DEMO.clientSecret, 'Ocp-Apim-Subscription-Key': DEMO.subscriptionKey });
    assert.equal(r.status, 400);
    assert.equal(r.json.error, 'invalid_request');
    assert.deepEqual(r.json.error_codes, [900144]);
  });

  it('answers a wrong secret with the Azure AD 401 body', async () => {
    const r = await get({ ...good, client_secret: 'wrong==' });
    assert.equal(r.status, 401);
    assert.equal(r.json.error, 'invalid_client');
    assert.deepEqual(r.json.error_codes, [7000215]);
    assert.match(String(r.json.error_description), /^AADSTS7000215: Invalid client secret provided/);
    const missing = await get({ client_id: DEMO.clientId, 'Ocp-Apim-Subscription-Key': DEMO.subscriptionKey });
    assert.equal(missing.status, 401);
    assert.equal(missing.json.error, 'invalid_client');
  });

  it('answers a missing or invalid subscription key with the API Management 401 body', async () => {
    const missing = await get({ client_id: DEMO.clientId, client_secret: DEMO.clientSecret });
    assert.equal(missing.status, 401);
    assert.deepEqual(missing.json, {
      statusCode: 401,
      message: 'Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.',
    });
    const invalid = await get({ ...good, 'Ocp-Apim-Subscription-Key': 'not-a-key' });
    assert.equal(invalid.status, 401);
    assert.deepEqual(invalid.json, {
      statusCode: 401,
      message: 'Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.',
    });
  });
});

describe('access token validity in the production profile', () => {
  it('is 24 hours', async () => {
    const p = await startTestPlatform({ env: { PROFILE: 'production' } });
    try {
      const r = await call<Record<string, string>>(`${p.url}/accesstoken/get`, {
        method: 'POST',
        headers: { client_id: DEMO.clientId, client_secret: DEMO.clientSecret, 'Ocp-Apim-Subscription-Key': DEMO.subscriptionKey },
      });
      assert.equal(r.status, 200);
      assert.equal(r.json.expires_in, '86400');
    } finally {
      await p.close();
    }
  });
});
