/**
 * The request journal (`GET /_emulator/requests`): every call of the PSP-facing APIs recorded
 * with method, path, status, latency, error code and bodies with the secrets removed; filters and
 * paging; another PSP's row answers like an unknown one; bounded by REQUEST_JOURNAL_MAX_ROWS.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { JournalEntry } from '../src/store/request-journal.js';
import {
  call,
  DEMO,
  initBody,
  OTHER_PSP,
  PspApi,
  seedWithOtherPsp,
  startTestPlatform,
  storedText,
  type TestPlatform,
} from './helpers/platform.js';

type Page = { requests: JournalEntry[]; next: string | null };

describe('the request journal', () => {
  let p: TestPlatform;
  let api: PspApi;
  let other: PspApi;
  const journal = async (query: Record<string, string> = {}, headers: Record<string, string> = {}) => {
    const r = await call<Page>(`${p.url}/_emulator/requests?${new URLSearchParams(query)}`, { headers });
    assert.equal(r.status, 200, r.text);
    return r.json;
  };

  before(async () => {
    p = await startTestPlatform({ seed: seedWithOtherPsp() });
    api = await PspApi.connect(p.url);
    other = await PspApi.connect(p.url, OTHER_PSP);
  });
  after(async () => {
    await p?.close();
  });

  it('records token, init, details, updatestatus, the Merchant API and refused calls, with secrets removed', async () => {
    const makePaymentToken = 'mpt-journal-Secret-77aa';
    const body = initBody({ makePaymentToken });
    const id = String(body.pspTransactionId);
    assert.equal((await api.init(body, { 'Idempotency-Key': `k-${id}` })).status, 200);
    assert.equal((await api.details(id)).status, 200);
    const upd = await api.post('/psp/v3/psppayments/updatestatus', {
      transactions: [{ pspTransactionId: id, status: 'CANCELLED', amount: 49900, currency: 'NOK' }],
    });
    assert.equal(upd.status, 200, upd.text);
    assert.equal((await api.get('/merchant-management/psp/v1/merchants')).status, 200);
    // Refused: a wrong bearer token (401, API Management shape), and a bad amount (400, code "amount").
    const refused = await call(`${p.url}/psp/v3/psppayments/${id}/details`, {
      headers: { ...api.headers(), Authorization: 'Bearer not-a-token' },
    });
    assert.equal(refused.status, 401);
    assert.equal((await api.init({ ...initBody(), amount: 5 })).status, 400);

    const { requests } = await journal({ pspId: DEMO.pspId });
    const ops = requests.map((r) => `${r.operation} ${r.status}`).reverse();
    // The token call of PspApi.connect is the first; newest first in the answer.
    assert.deepEqual(ops, ['TOKEN 200', 'INIT 200', 'DETAILS 200', 'UPDATESTATUS 200', 'MERCHANT_LIST 200', 'DETAILS 401', 'INIT 400']);

    const init = requests.find((r) => r.operation === 'INIT' && r.status === 200);
    assert.ok(init);
    assert.equal(init.method, 'POST');
    assert.equal(init.path, '/psp/v3/psppayments/init');
    assert.equal(init.pspTransactionId, id);
    assert.equal(init.merchantOrderId, body.merchantOrderId);
    assert.equal(init.merchantSerialNumber, DEMO.msn);
    assert.ok(init.latencyMs > 0, `latency ${init.latencyMs}`);
    assert.match(init.requestBody ?? '', /"makePaymentToken":"\[redacted\]"/);
    assert.ok(!(init.requestBody ?? '').includes(makePaymentToken));
    assert.match(init.responseBody ?? '', /vippsRedirectUrl/);
    assert.equal(init.requestHeaders?.authorization, 'Bearer [redacted]');
    assert.equal(init.requestHeaders?.['idempotency-key'], `k-${id}`);
    assert.equal(init.requestHeaders?.['ocp-apim-subscription-key'], `…${DEMO.subscriptionKey.slice(-4)}`);

    const token = requests.find((r) => r.operation === 'TOKEN');
    assert.equal(token?.requestHeaders?.client_secret, '[redacted]');
    assert.match(token?.responseBody ?? '', /"access_token":"\[redacted\]"/);
    assert.ok(!(token?.responseBody ?? '').includes(api.token));

    const bad = requests.find((r) => r.status === 401);
    assert.equal(bad?.errorCode, '401');
    assert.equal(requests.find((r) => r.status === 400)?.errorCode, 'amount');
    assert.equal(requests.find((r) => r.operation === 'UPDATESTATUS')?.pspTransactionId, id);

    // Nothing secret in the database file either.
    await p.running.platform.repos.journal.flush();
    const db = Object.values(await storedText(p)).join('');
    for (const secret of [makePaymentToken, api.token, DEMO.clientSecret, DEMO.subscriptionKey]) {
      assert.ok(!db.includes(secret), `the database holds a secret: ${secret.slice(0, 10)}…`);
    }
  });

  it('filters by PSP, operation, status, pspTransactionId and time, and pages newest first', async () => {
    const body = initBody();
    const id = String(body.pspTransactionId);
    assert.equal((await other.init(initBody())).status, 200);
    const since = new Date(p.clock.now()).toISOString();
    assert.equal((await api.init(body)).status, 200);
    for (let i = 0; i < 5; i++) assert.equal((await api.details(id)).status, 200);

    const byId = await journal({ pspTransactionId: id });
    assert.deepEqual(
      byId.requests.map((r) => r.operation),
      ['DETAILS', 'DETAILS', 'DETAILS', 'DETAILS', 'DETAILS', 'INIT'],
    );
    assert.equal((await journal({ pspTransactionId: id, operation: 'INIT' })).requests.length, 1);
    const errors = await journal({ status: '4xx', pspId: DEMO.pspId });
    assert.ok(errors.requests.length >= 2 && errors.requests.every((r) => r.status >= 400 && r.status < 500));
    assert.ok((await journal({ status: '401' })).requests.every((r) => r.status === 401));
    const recent = await journal({ since, pspId: DEMO.pspId });
    assert.equal(recent.requests.length, 6);
    // The Psp-Id header filters like pspId.
    const others = await journal({}, { 'Psp-Id': OTHER_PSP.pspId });
    assert.ok(others.requests.length >= 2 && others.requests.every((r) => r.pspId === OTHER_PSP.pspId));

    // Paging: 4 + 2, no row twice, in order.
    const first = await journal({ pspTransactionId: id, limit: '4' });
    assert.equal(first.requests.length, 4);
    assert.ok(first.next);
    const second = await journal({ pspTransactionId: id, limit: '4', before: first.next });
    assert.equal(second.requests.length, 2);
    assert.equal(second.next, null);
    assert.deepEqual(
      [...first.requests, ...second.requests].map((r) => r.id),
      byId.requests.map((r) => r.id),
    );

    const badQuery = await call(`${p.url}/_emulator/requests?operation=LOGIN`);
    assert.equal(badQuery.status, 400);
    assert.equal((await call(`${p.url}/_emulator/requests?limit=0`)).status, 400);
  });

  it('answers another PSP’s request id like an unknown one', async () => {
    const [mine] = (await journal({ pspId: DEMO.pspId, limit: '1' })).requests;
    assert.ok(mine);
    const own = await call<JournalEntry>(`${p.url}/_emulator/requests/${mine.id}`, { headers: { 'Psp-Id': DEMO.pspId } });
    assert.equal(own.status, 200);
    assert.equal(own.json.id, mine.id);
    const foreign = await call(`${p.url}/_emulator/requests/${mine.id}`, { headers: { 'Psp-Id': OTHER_PSP.pspId } });
    const unknown = await call(`${p.url}/_emulator/requests/00000000-0000-7000-8000-000000000000`, {
      headers: { 'Psp-Id': OTHER_PSP.pspId },
    });
    assert.equal(foreign.status, 404);
    assert.equal(unknown.status, 404);
    const strip = (t: string) => t.replace(/"contextId":"[^"]+"/, '');
    assert.equal(strip(foreign.text), strip(unknown.text));
    assert.equal((await call(`${p.url}/_emulator/requests/${mine.id}`)).status, 400);
  });
});

describe('the request journal is bounded', () => {
  it('keeps the newest REQUEST_JOURNAL_MAX_ROWS rows', async () => {
    const p = await startTestPlatform({ env: { REQUEST_JOURNAL_MAX_ROWS: '100' } });
    try {
      const api = await PspApi.connect(p.url);
      const body = initBody();
      await api.init(body);
      for (let i = 0; i < 130; i++) await api.details(String(body.pspTransactionId));
      const journal = p.running.platform.repos.journal;
      const all = await journal.list({ limit: 500 });
      assert.equal(all.entries.length, 100);
      assert.ok(
        all.entries.every((e) => e.operation === 'DETAILS'),
        'the oldest (token, init) were dropped',
      );
    } finally {
      await p.close();
    }
  });
});
