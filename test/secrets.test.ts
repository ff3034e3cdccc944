import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { call, DEMO, initBody, PspApi, startTestPlatform } from './helpers/platform.js';

describe('secrets stay secret', () => {
  it('writes no client secret, bearer token, subscription key or makePaymentToken to the logs or the database', async () => {
    const p = await startTestPlatform({ env: { LOG_LEVEL: 'trace' } });
    const makePaymentToken = 'mpt-Very-Secret-3f9a1c';
    let token = '';
    try {
      const api = await PspApi.connect(p.url);
      token = api.token;
      const body = initBody({ makePaymentToken });
      const init = await api.init(body);
      assert.equal(init.status, 200);
      const landingToken = new URL(init.json.vippsRedirectUrl).searchParams.get('token') ?? '';
      await api.details(String(body.pspTransactionId));
      await api.init({ ...body, amount: 'bad' });
      await call(`${p.url}/accesstoken/get`, {
        method: 'POST',
        headers: { client_id: DEMO.clientId, client_secret: 'wrong-secret-xyz', 'Ocp-Apim-Subscription-Key': DEMO.subscriptionKey },
      });
      await call(`${p.url}/dwo-api-application/v1/deeplink/vippsgateway?v=2&token=${landingToken}`);
      const logs = p.logs();
      assert.ok(logs.includes('"msg":"request completed"'), 'requests were logged at all');
      for (const secret of [
        DEMO.clientSecret,
        'wrong-secret-xyz',
        token,
        token.split('.')[2] ?? 'x',
        DEMO.subscriptionKey,
        makePaymentToken,
        landingToken,
      ]) {
        assert.ok(!logs.includes(secret), `log contains a secret: ${secret.slice(0, 12)}…`);
      }
    } finally {
      await p.running.close();
    }
    const db = readFileSync(p.dbPath).toString('latin1') + readFileSync(`${p.dbPath}-wal`, { flag: 'a+' }).toString('latin1');
    assert.ok(!db.includes(makePaymentToken), 'the database holds the makePaymentToken in clear');
    assert.ok(!db.includes(DEMO.clientSecret), 'the database holds the client secret in clear');
    await p.close();
  });
});
