import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { call, DEMO, initBody, PspApi, startTestPlatform, storedText } from './helpers/platform.js';
import { failWith, ok, PspStub, softDecline } from './helpers/psp-stub.js';

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
    const db = Object.values(await storedText(p)).join('');
    assert.ok(db.includes(DEMO.pspId), 'the search looks at the stored data');
    assert.ok(!db.includes(makePaymentToken), 'the database holds the makePaymentToken in clear');
    assert.ok(!db.includes(DEMO.clientSecret), 'the database holds the client secret in clear');
    await p.close();
  });
});

interface View {
  state: string;
}

/**
 * Done-when of the approval engine: "After a full run, neither the database file nor the logs
 * contain a cryptogram or a makePaymentToken" (psp-facts.md §2.5; GUIDE: secrets). Every kind of
 * makePayment call is made against a real PSP stub that records what it receives; then the raw
 * bytes of the database file and its WAL, and every log line (trace level), are searched for each
 * cryptogram the PSP received, each makePaymentToken used and each full network token number.
 */
describe('secrets after a full run', () => {
  it('leaves no cryptogram, makePaymentToken or full token number in the database file, its WAL or the logs', async () => {
    const stub = await PspStub.start();
    const p = await startTestPlatform({ env: { LOG_LEVEL: 'trace', CALLBACK_TIMEOUT_MS: '2000' } });
    const makePaymentTokens: string[] = [];
    const ids: string[] = [];
    try {
      const api = await PspApi.connect(p.url);
      const headers = { 'Psp-Id': DEMO.pspId, 'Content-Type': 'application/json' };
      const ctl = {
        approve: (id: string, body: Record<string, unknown> = {}) =>
          call<View>(`${p.url}/_emulator/payments/${id}/approve`, { method: 'POST', headers, body: JSON.stringify(body) }),
        cancel: (id: string) => call<View>(`${p.url}/_emulator/payments/${id}/cancel`, { method: 'POST', headers }),
        state: async (id: string) => (await call<View>(`${p.url}/_emulator/payments/${id}`, { headers })).json.state,
      };
      const start = async (name: string, overrides: Record<string, unknown> = {}) => {
        const makePaymentToken = `mpt-${name}-${Math.random().toString(36).slice(2, 12)}`;
        makePaymentTokens.push(makePaymentToken);
        const body = initBody({ makePaymentUrl: stub.url, customerMobileNumber: DEMO.user, makePaymentToken, ...overrides });
        const r = await api.init(body);
        assert.equal(r.status, 200, r.text);
        const id = String(body.pspTransactionId);
        ids.push(id);
        return { id, token: new URL(r.json.vippsRedirectUrl).searchParams.get('token') ?? '' };
      };

      // OK
      const okPayment = await start('ok');
      assert.equal((await ctl.approve(okPayment.id)).json.state, 'RESERVED');
      // FAIL
      const failed = await start('fail');
      stub.script(failed.id, failWith(failed.id, 82, 'Refused by Issuer'));
      assert.equal((await ctl.approve(failed.id)).json.state, 'FAILED');
      // 3-D Secure: two ACCEPTED calls, two cryptograms
      const threeDs = await start('3ds');
      stub.script(threeDs.id, softDecline(threeDs.id, 'http://127.0.0.1:9/3ds'), ok(threeDs.id));
      assert.equal((await ctl.approve(threeDs.id)).json.state, 'AWAITING_3DS');
      const ops = stub.requestsFor(threeDs.id)[0]?.body.operations as { url: string; operation: string }[];
      assert.equal((await call(ops.find((o) => o.operation === '3dssuccess')?.url ?? '')).status, 200);
      assert.equal(await ctl.state(threeDs.id), 'RESERVED');
      // A magic amount (§2.7), with a Mastercard chosen: the documented Visa token is sent.
      const magic = await start('magic', { amount: 3200 });
      assert.equal((await ctl.approve(magic.id, { cardId: 'kari-mastercard' })).json.state, 'RESERVED');
      // USER_CANCEL
      const cancelled = await start('cancel');
      assert.equal((await ctl.cancel(cancelled.id)).json.state, 'USER_CANCELLED');
      // Force approve (§2.10)
      const forced = await start('force');
      const r = await api.post(`/psp/v3/integration-test/psppayments/${forced.id}/approve`, {
        customerPhoneNumber: DEMO.user,
        token: forced.token,
      });
      assert.equal(r.status, 200, r.text);
      // TIMEOUT, by advancing the clock
      const timedOut = await start('timeout');
      assert.equal(
        (await call(`${p.url}/_emulator/clock/advance`, { method: 'POST', headers, body: JSON.stringify({ seconds: 600 }) })).status,
        200,
      );
      assert.equal(await ctl.state(timedOut.id), 'EXPIRED');

      assert.deepEqual(
        stub.requests.map((q) => q.body.paymentState),
        ['ACCEPTED', 'ACCEPTED', 'ACCEPTED', 'ACCEPTED', 'ACCEPTED', 'USER_CANCEL', 'ACCEPTED', 'TIMEOUT'],
      );
      // Closed first: the database is checkpointed and its files are final.
      await p.running.close();

      const accepted = stub.requests.filter((q) => q.body.paymentState === 'ACCEPTED');
      const cryptograms = accepted.map((q) => (q.body.networkToken as { cryptogram: string }).cryptogram);
      const tokenNumbers = [...new Set(accepted.map((q) => (q.body.networkToken as { number: string }).number))];
      assert.equal(cryptograms.length, 6);
      assert.ok(tokenNumbers.includes('4111111111111111'));
      // Every makePaymentToken reached the PSP (so each is a secret that was really in use).
      assert.deepEqual(new Set(stub.requests.map((q) => q.headers.authorization)), new Set(makePaymentTokens));

      const files = await storedText(p);
      const logs = p.logs().split('\n');
      // The searches look at the right bytes: the payments are there, and so are log lines about them.
      for (const id of ids)
        assert.ok(
          Object.values(files).some((f) => f.includes(id)),
          `payment ${id} not found in the database`,
        );
      assert.ok(logs.length > 20 && logs.some((l) => l.includes('"level":10') || l.includes('"level":20') || l.includes('"level":30')));

      const secrets: [string, string][] = [
        ...cryptograms.map((c): [string, string] => ['a cryptogram', c]),
        ...makePaymentTokens.map((t): [string, string] => ['a makePaymentToken', t]),
        ...tokenNumbers.map((n): [string, string] => ['a full network token number', n]),
      ];
      for (const [what, secret] of secrets) {
        for (const [name, bytes] of Object.entries(files)) {
          assert.ok(!bytes.includes(secret), `the ${name} file holds ${what} (${secret.slice(0, 6)}…)`);
        }
        const line = logs.find((l) => l.includes(secret));
        assert.equal(line, undefined, `a log line holds ${what}: ${line?.slice(0, 200)}`);
      }
    } finally {
      await p.close();
      await stub.close();
    }
  });
});
