import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, DEMO, initBody, PspApi, startTestPlatform, type TestPlatform } from './helpers/platform.js';
import { PspStub } from './helpers/psp-stub.js';

describe('GET /_emulator/payments/{pspTransactionId}', () => {
  let p: TestPlatform;
  let stub: PspStub;
  before(async () => {
    stub = await PspStub.start();
    p = await startTestPlatform();
  });
  after(async () => {
    await p.close();
    await stub.close();
  });

  it('shows the status updates of the payment with their outcome and the reason of a rejected item', async () => {
    const api = await PspApi.connect(p.url);
    const body = initBody({ amount: 20000, makePaymentUrl: stub.url, customerMobileNumber: DEMO.user });
    const id = String(body.pspTransactionId);
    assert.equal((await api.init(body)).status, 200);
    const headers = { 'Psp-Id': DEMO.pspId };
    assert.equal((await call(`${p.url}/_emulator/payments/${id}/approve`, { method: 'POST', headers })).status, 200);
    const update = await api.post('/psp/v3/psppayments/updatestatus', {
      transactions: [
        { pspTransactionId: id, status: 'CAPTURED', amount: 15000 },
        { pspTransactionId: id, status: 'CAPTURED', amount: 15000 },
      ],
    });
    assert.equal(update.status, 200, update.text);
    await p.running.platform.scheduler.runDue();
    const view = await call<{
      money: { captured: number; remainingAmountToCapture: number };
      statusUpdates: { status: string; amount: number; outcome: string; reason: string | null }[];
    }>(`${p.url}/_emulator/payments/${id}`, { headers });
    assert.equal(view.status, 200);
    assert.deepEqual(
      view.json.statusUpdates.map((s) => [s.status, s.amount, s.outcome]),
      [
        ['CAPTURED', 15000, 'APPLIED'],
        ['CAPTURED', 15000, 'REJECTED'],
      ],
    );
    assert.ok(view.json.statusUpdates[1]?.reason);
    assert.equal(view.json.money.captured, 15000);
    assert.equal(view.json.money.remainingAmountToCapture, 5000);
  });

  it("starts the timeline with the payment's creation (initiated, at createdAt) once, from the payment row: init stores no timeline row", async () => {
    const api = await PspApi.connect(p.url);
    const body = initBody({ amount: 12300, makePaymentUrl: stub.url, customerMobileNumber: DEMO.user });
    const id = String(body.pspTransactionId);
    assert.equal((await api.init(body)).status, 200);
    const headers = { 'Psp-Id': DEMO.pspId };
    assert.equal((await call(`${p.url}/_emulator/payments/${id}/approve`, { method: 'POST', headers })).status, 200);
    const view = await call<{ paymentId: string; createdAt: string; timeline: { at: string; type: string; detail: unknown }[] }>(
      `${p.url}/_emulator/payments/${id}`,
      { headers },
    );
    const [first, ...rest] = view.json.timeline;
    assert.deepEqual(first, {
      at: view.json.createdAt,
      type: 'initiated',
      detail: { amount: 12300, isApp: false, skipLandingPage: false },
    });
    assert.ok(rest.length > 0 && rest.every((e) => e.type !== 'initiated'), JSON.stringify(rest));
    const rows = await p.running.platform.store.db
      .selectFrom('payment_events')
      .select('type')
      .where('payment_id', '=', view.json.paymentId)
      .execute();
    assert.ok(!rows.some((r) => r.type === 'initiated'), 'no stored initiated row');
  });

  it('answers an unknown payment, or one of another PSP, with 404', async () => {
    const r = await call(`${p.url}/_emulator/payments/nope`, { headers: { 'Psp-Id': DEMO.pspId } });
    assert.equal(r.status, 404);
    const missing = await call(`${p.url}/_emulator/payments/nope`);
    assert.equal(missing.status, 400);
  });
});
