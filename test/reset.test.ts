/**
 * Reset (`POST /_emulator/reset`, `emulator.reset()`): one PSP's payments, status batches,
 * idempotency keys and journal, or everything; PSPs, sales units and users stay.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEmulator } from '../src/emulator.js';
import { call, DEMO, initBody, OTHER_PSP, PspApi, seedWithOtherPsp, startTestPlatform, type TestPlatform } from './helpers/platform.js';

describe('reset', () => {
  let p: TestPlatform;
  let api: PspApi;
  let other: PspApi;
  before(async () => {
    p = await startTestPlatform({ seed: seedWithOtherPsp() });
    api = await PspApi.connect(p.url);
    other = await PspApi.connect(p.url, OTHER_PSP);
  });
  after(async () => {
    await p?.close();
  });

  const reset = (body?: unknown, headers: Record<string, string> = {}) =>
    call<{ pspId: string | null; deleted: Record<string, number> }>(`${p.url}/_emulator/reset`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const journalCount = async (pspId: string) =>
    (await call<{ requests: unknown[] }>(`${p.url}/_emulator/requests?pspId=${pspId}&limit=500`)).json.requests.length;
  const batches = async (pspId: string) =>
    (await call<{ batches: unknown[] }>(`${p.url}/_emulator/status-batches`, { headers: { 'psp-id': pspId } })).json.batches.length;

  it('resets one PSP: its payments, batches, idempotency keys and journal; the other PSP and the seed stay', async () => {
    const mine = initBody();
    const id = String(mine.pspTransactionId);
    assert.equal((await api.init(mine, { 'Idempotency-Key': 'reset-key-1' })).status, 200);
    await api.post('/psp/v3/psppayments/updatestatus', {
      transactions: [{ pspTransactionId: id, status: 'CANCELLED', amount: 49900, currency: 'NOK' }],
    });
    const theirs = initBody();
    assert.equal((await other.init(theirs)).status, 200);
    assert.ok((await batches(DEMO.pspId)) >= 1);
    assert.ok((await journalCount(DEMO.pspId)) >= 3);

    const r = await reset({ pspId: DEMO.pspId });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.pspId, DEMO.pspId);
    assert.equal(r.json.deleted.payments, 1);
    assert.equal(r.json.deleted.statusBatches, 1);
    assert.ok((r.json.deleted.requests ?? 0) >= 3);

    assert.equal((await api.details(id)).status, 404);
    assert.equal(await batches(DEMO.pspId), 0);
    assert.equal(await journalCount(DEMO.pspId), 1, 'only the details call just made');
    // The other PSP's payment and journal are untouched.
    assert.equal((await other.details(String(theirs.pspTransactionId))).status, 200);
    assert.ok((await journalCount(OTHER_PSP.pspId)) >= 2);
    // The same pspTransactionId, merchantOrderId and Idempotency-Key start afresh (no 44, no replay).
    const again = await api.init({ ...mine, amount: 1000 }, { 'Idempotency-Key': 'reset-key-1' });
    assert.equal(again.status, 200, again.text);
    const details = await api.details(id);
    assert.equal(details.status, 200);
    // Seeded PSPs, sales units and users stay: a new token, the users list.
    assert.equal((await PspApi.connect(p.url)).token.length > 0, true);
    const users = await call<{ users: { phoneNumber: string }[] }>(`${p.url}/_emulator/users`);
    assert.ok(users.json.users.some((u) => u.phoneNumber === DEMO.user));
  });

  it('resets everything without a PSP, by the Psp-Id header for one, and refuses an unknown PSP', async () => {
    assert.equal((await reset(undefined, { 'psp-id': OTHER_PSP.pspId })).json.pspId, OTHER_PSP.pspId);
    assert.equal(await journalCount(OTHER_PSP.pspId), 0);
    const unknown = await reset({ pspId: 'NOPE' });
    assert.equal(unknown.status, 400);
    assert.equal((unknown.json as unknown as { errorCode: string }[])[0]?.errorCode, 'PspNotFound');
    assert.equal((await reset({ pspId: 'x', extra: 1 })).status, 400);
    const all = await reset();
    assert.equal(all.status, 200);
    assert.equal(all.json.pspId, null);
    assert.equal(await journalCount(DEMO.pspId), 0);
    assert.equal(await batches(DEMO.pspId), 0);
  });
});

describe('emulator.reset()', () => {
  it('resets through the object startEmulator() returns', async () => {
    const emulator = await startEmulator();
    try {
      const api = await PspApi.connect(emulator.url);
      const body = initBody();
      assert.equal((await api.init(body)).status, 200);
      const result = await emulator.reset();
      assert.equal(result.deleted.payments, 1);
      assert.equal((await api.details(String(body.pspTransactionId))).status, 404);
    } finally {
      await emulator.close();
    }
  });
});
