import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, generateKeyPair, SignJWT } from 'jose';
import { openStore } from '../src/store/db.js';
import { PSP_CACHE_TTL_MS } from '../src/store/psps.js';
import { pspSpec } from './helpers/openapi.js';
import {
  accessToken,
  call,
  DEMO,
  initBody,
  OTHER_PSP,
  PspApi,
  seedWithOtherPsp,
  startTestPlatform,
  type TestPlatform,
  testDatabaseUrl,
} from './helpers/platform.js';

const INVALID_TOKEN = { statusCode: 401, message: 'Unauthorized. Access token is missing or invalid.' };

describe('authentication of the PSP endpoints', () => {
  let p: TestPlatform;
  let api: PspApi;
  before(async () => {
    p = await startTestPlatform({ seed: seedWithOtherPsp() });
    api = await PspApi.connect(p.url);
  });
  after(() => p.close());

  const init = (headers: Record<string, string>) =>
    call<unknown>(`${p.url}/psp/v3/psppayments/init`, { method: 'POST', headers, body: JSON.stringify(initBody()) });

  it('accepts header names in any case (PSP-ID as the Postman collection sends it)', async () => {
    const h = api.headers();
    const r = await init({
      AUTHORIZATION: h.Authorization ?? '',
      'ocp-apim-subscription-key': DEMO.subscriptionKey,
      'PSP-ID': DEMO.pspId,
      'merchant-serial-number': DEMO.msn,
      'content-type': 'application/json',
    });
    assert.equal(r.status, 200);
  });

  it('refuses a missing token, a lowercase "bearer" and a token without the prefix with 401', async () => {
    const h = api.headers();
    for (const authorization of [undefined, `bearer ${api.token}`, api.token]) {
      const headers = { ...h };
      if (authorization === undefined) delete (headers as Record<string, string>).Authorization;
      else headers.Authorization = authorization;
      const r = await init(headers);
      assert.equal(r.status, 401, String(authorization).slice(0, 10));
      assert.deepEqual(r.json, INVALID_TOKEN);
    }
  });

  it('refuses a forged token (another key, same claims) with 401', async () => {
    const claims = decodeJwt(api.token);
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'x' }).sign(privateKey);
    const r = await init(api.headers({ Authorization: `Bearer ${forged}` }));
    assert.equal(r.status, 401);
    assert.deepEqual(r.json, INVALID_TOKEN);
  });

  it('refuses an expired token once the platform clock passes its expiry', async () => {
    const token = (await PspApi.connect(p.url)).token;
    p.clock.advance(3601 * 1000);
    const r = await init(api.headers({ Authorization: `Bearer ${token}` }));
    assert.equal(r.status, 401);
    assert.deepEqual(r.json, INVALID_TOKEN);
    api = await PspApi.connect(p.url);
  });

  it('refuses a subscription key of another PSP than the token with one object, as §1.2 shows it', async () => {
    const r = await init(api.headers({ 'Ocp-Apim-Subscription-Key': OTHER_PSP.subscriptionKey }));
    assert.equal(r.status, 401);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    const { contextId, ...rest } = r.json as { errorCode: string; errorMessage: string; contextId: string };
    assert.deepEqual(rest, { errorCode: 'Unauthorized', errorMessage: 'Subscription not found' });
    assert.match(contextId, /^[0-9a-f-]{36}$/);
  });

  it('issues a token for PSP A’s client with PSP B’s key, which then works only with A’s key (docs/differences.md)', async () => {
    // The key is checked by API Management, the client by Azure AD: independently (§1.1, §1.2).
    const token = await accessToken(p.url, { ...DEMO, subscriptionKey: OTHER_PSP.subscriptionKey });
    assert.equal(decodeJwt(token).psp_id, DEMO.pspId);
    const mixed = { Authorization: `Bearer ${token}`, 'Ocp-Apim-Subscription-Key': OTHER_PSP.subscriptionKey };
    const answers = [
      await init(api.headers(mixed)),
      await call(`${p.url}/psp/v3/psppayments/anything/details`, { headers: api.headers(mixed) }),
      await call(`${p.url}/psp/v3/psppayments/updatestatus`, {
        method: 'POST',
        headers: api.headers(mixed),
        body: JSON.stringify({ transactions: [{ pspTransactionId: 'x', status: 'CAPTURED', amount: 100 }] }),
      }),
      await call(`${p.url}/merchant-management/psp/v1/merchants`, { headers: api.headers(mixed) }),
    ];
    for (const r of answers) {
      assert.equal(r.status, 401, r.text);
      const { contextId: _, ...rest } = r.json as Record<string, string>;
      assert.deepEqual(rest, { errorCode: 'Unauthorized', errorMessage: 'Subscription not found' });
    }
    assert.equal((await init(api.headers({ Authorization: `Bearer ${token}` }))).status, 200);
  });

  it('refuses a Psp-Id that is not the token’s PSP with 403 and the exact message', async () => {
    for (const pspId of [OTHER_PSP.pspId, 'not-a-psp-id']) {
      const r = await init(api.headers({ 'Psp-Id': pspId }));
      assert.equal(r.status, 403);
      pspSpec().assertResponse('/v3/psppayments/init', 'post', 400, r.json); // same ErrorDetails shape
      const [e] = r.json as { errorCode: string; errorMessage: string; contextId: string }[];
      assert.equal(e?.errorCode, 'Forbidden');
      assert.equal(e?.errorMessage, 'Invalid Psp-Id. The Psp-Id header does not match the provided credentials.');
      assert.match(e?.contextId ?? '', /^[0-9a-f-]{36}$/);
    }
  });

  it('answers a missing Psp-Id header with 400 code 51 naming it, like a missing MSN, on every PSP API operation', async () => {
    const headers = api.headers();
    delete (headers as Record<string, string>)['Psp-Id'];
    const answers = [
      await init(headers),
      await init({ ...headers, 'Psp-Id': '' }),
      await call(`${p.url}/psp/v3/psppayments/anything/details`, { headers }),
      await call(`${p.url}/psp/v3/psppayments/updatestatus`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ transactions: [{ pspTransactionId: 'x', status: 'CAPTURED', amount: 100 }] }),
      }),
    ];
    for (const r of answers) {
      assert.equal(r.status, 400, r.text);
      pspSpec().assertResponse('/v3/psppayments/init', 'post', 400, r.json);
      const [e] = r.json as { errorCode: string; errorMessage: string }[];
      assert.deepEqual([e?.errorCode, e?.errorMessage], ['51', 'Invalid request: the Psp-Id header is required']);
    }
  });

  it('answers an unknown operation, also another method on a known path, like API Management: 404 Resource not found', async () => {
    const notFound = { statusCode: 404, message: 'Resource not found' };
    const answers = [
      await call(`${p.url}/psp/v3/psppayments/init`, { headers: api.headers() }),
      await call(`${p.url}/psp/v3/psppayments/init`, { method: 'PUT', headers: api.headers(), body: '{}' }),
      await call(`${p.url}/psp/v3/psppayments/x/details`, { method: 'DELETE', headers: api.headers() }),
      await call(`${p.url}/psp/v3/psppayments/updatestatus`, { headers: api.headers() }),
      await call(`${p.url}/accesstoken/get`),
      await call(`${p.url}/psp/v3/nothing`),
    ];
    for (const r of answers) {
      assert.equal(r.status, 404, r.text);
      assert.deepEqual(r.json, notFound);
    }
  });

  it('answers an MSN of another PSP with the exact Invalid MSN message', async () => {
    const r = await init(api.headers({ 'Merchant-Serial-Number': OTHER_PSP.msn }));
    assert.equal(r.status, 403);
    pspSpec().assertResponse('/v3/psppayments/init', 'post', 400, r.json); // same ErrorDetails shape
    const [e] = r.json as { errorCode: string; errorMessage: string }[];
    assert.equal(
      e?.errorMessage,
      'Invalid MSN: 654321. This MSN is not valid for the provided PSP id. Check that you are using the correct credentials for the right environment.',
    );
  });

  it('answers an unknown or deactivated MSN with code 21', async () => {
    for (const msn of ['999999', '111111']) {
      const r = await init(api.headers({ 'Merchant-Serial-Number': msn }));
      assert.equal(r.status, 400);
      pspSpec().assertResponse('/v3/psppayments/init', 'post', 400, r.json);
      const [e] = r.json as { errorCode: string; errorMessage: string }[];
      assert.deepEqual([e?.errorCode, e?.errorMessage], ['21', 'Merchant not available or active']);
    }
  });

  it('answers a missing MSN header with code 51', async () => {
    const headers = api.headers();
    delete (headers as Record<string, string>)['Merchant-Serial-Number'];
    const r = await init(headers);
    assert.equal(r.status, 400);
    const [e] = r.json as { errorCode: string; errorMessage: string }[];
    assert.deepEqual([e?.errorCode, e?.errorMessage], ['51', 'Invalid request: the Merchant-Serial-Number header is required']);
  });
});

describe('the subscription key cache across processes', () => {
  it('sees a subscription key changed by another process on the same database within PSP_CACHE_TTL_MS', async () => {
    const p = await startTestPlatform();
    try {
      const api = await PspApi.connect(p.url);
      const send = (subscriptionKey: string) => api.init(initBody(), { 'Ocp-Apim-Subscription-Key': subscriptionKey });
      assert.equal((await send(DEMO.subscriptionKey)).status, 200);
      const unknown = await send('ffffffffffffffffffffffffffffffff');
      assert.equal(unknown.status, 401);
      // Another process (its own connection to the database) replaces the demo PSP's key.
      const newKey = 'cccccccccccccccccccccccccccccccc';
      const other = await openStore(await testDatabaseUrl(p.dir));
      try {
        await other.db
          .updateTable('psps')
          .set({ subscription_key_sha256: createHash('sha256').update(newKey).digest('hex') })
          .where('psp_id', '=', DEMO.pspId)
          .execute();
      } finally {
        await other.close();
      }
      await new Promise((resolve) => setTimeout(resolve, PSP_CACHE_TTL_MS + 100));
      const old = await send(DEMO.subscriptionKey);
      assert.deepEqual([old.status, old.json], [unknown.status, unknown.json], 'the replaced key is refused like an unknown one');
      assert.equal((await send(newKey)).status, 200, 'the new key is accepted');
    } finally {
      await p.close();
    }
  });
});
