/**
 * Fault injection (`/_emulator/faults`, `emulator.fault()`): per PSP and operation; statuses with
 * the real bodies, latency, closed connections, answers after the client's time-out; "failed
 * before applying" vs "applied, then failed"; counts, seeded probability, expiry, reset, isolation.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { draw, type Fault } from '../src/domain/faults.js';
import { startEmulator } from '../src/emulator.js';
import type { JournalEntry } from '../src/store/request-journal.js';
import { call, DEMO, initBody, OTHER_PSP, PspApi, seedWithOtherPsp, startTestPlatform, type TestPlatform } from './helpers/platform.js';

describe('fault injection', () => {
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
  beforeEach(async () => {
    await call(`${p.url}/_emulator/reset`, { method: 'POST' });
  });

  const inject = async (spec: Record<string, unknown>, pspId: string = DEMO.pspId) => {
    const r = await call<Fault>(`${p.url}/_emulator/faults`, {
      method: 'POST',
      headers: { 'psp-id': pspId, 'content-type': 'application/json' },
      body: JSON.stringify(spec),
    });
    assert.equal(r.status, 201, r.text);
    return r.json;
  };
  const faults = async (pspId?: string) =>
    (await call<{ faults: Fault[] }>(`${p.url}/_emulator/faults`, { headers: pspId ? { 'psp-id': pspId } : {} })).json.faults;
  const lastJournal = async (operation: string) =>
    (await call<{ requests: JournalEntry[] }>(`${p.url}/_emulator/requests?pspId=${DEMO.pspId}&operation=${operation}&limit=1`)).json
      .requests[0];

  it('429 before init: API Management’s rate-limit body and Retry-After, nothing created, expires after its count', async () => {
    const fault = await inject({ operation: 'INIT', kind: 'status', status: 429, retryAfterSeconds: 7, count: 1 });
    assert.equal(fault.remaining, 1);
    assert.equal((await faults(DEMO.pspId)).length, 1);
    const body = initBody();
    const r = await api.init(body);
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), '7');
    assert.deepEqual(r.json, { statusCode: 429, message: 'Rate limit is exceeded. Try again in 7 seconds.' });
    assert.equal((await api.details(String(body.pspTransactionId))).status, 404, 'failed before applying');
    assert.deepEqual(await faults(DEMO.pspId), [], 'expired after its count');
    assert.equal((await api.init(body)).status, 200);
    const journal = await lastJournal('INIT');
    assert.equal(journal?.status, 200);
  });

  it('500 after init: the payment exists; the same Idempotency-Key replays, no key gets code 44', async () => {
    await inject({ operation: 'INIT', kind: 'status', status: 500, when: 'after', count: 1 });
    const body = initBody();
    const id = String(body.pspTransactionId);
    const failed = await api.init(body, { 'Idempotency-Key': `k-${id}` });
    assert.equal(failed.status, 500);
    assert.equal((failed.json as unknown as { errorCode: string }[])[0]?.errorCode, '500');
    assert.equal((await api.details(id)).status, 200, 'applied, then failed');
    const replay = await api.init(body, { 'Idempotency-Key': `k-${id}` });
    assert.equal(replay.status, 200, replay.text);
    assert.ok(replay.json.vippsRedirectUrl);
    const noKey = await api.init(body);
    assert.equal(noKey.status, 400);
    assert.equal((noKey.json as unknown as { errorCode: string }[])[0]?.errorCode, '44');
    assert.match((await lastJournal('INIT'))?.fault ?? 'none', /none/);
    const faulted = (await call<{ requests: JournalEntry[] }>(`${p.url}/_emulator/requests?pspTransactionId=${id}&status=500`)).json
      .requests;
    assert.match(faulted[0]?.fault ?? '', /^status 500 after/);
  });

  it('an after fault leaves a refused request alone (nothing was applied to fail after)', async () => {
    await inject({ operation: 'INIT', kind: 'status', status: 503, when: 'after', count: 1 });
    assert.equal((await api.init({ ...initBody(), amount: 5 })).status, 400);
    assert.equal((await faults(DEMO.pspId)).length, 1, 'not consumed');
  });

  it('502, 503, 504 and 500 have their bodies; the Merchant API’s 500 is a problem document', async () => {
    const body = initBody();
    const id = String(body.pspTransactionId);
    await api.init(body);
    await inject({ operation: 'DETAILS', kind: 'status', status: 502, count: 1 });
    await inject({ operation: 'DETAILS', kind: 'status', status: 503, count: 1 });
    await inject({ operation: 'DETAILS', kind: 'status', status: 504, count: 1 });
    const r502 = await api.details(id);
    assert.equal(r502.status, 502);
    assert.match(r502.headers.get('content-type') ?? '', /text\/html/);
    assert.match(r502.text, /502 Bad Gateway/);
    const r503 = await api.details(id);
    assert.deepEqual([r503.status, r503.json], [503, { statusCode: 503, message: 'Service Unavailable' }]);
    const r504 = await api.details(id);
    assert.deepEqual([r504.status, r504.json], [504, { statusCode: 504, message: 'Gateway Timeout' }]);
    assert.equal((await api.details(id)).status, 200);
    await inject({ operation: 'MERCHANT_LIST', kind: 'status', status: 500, count: 1 });
    const m = await api.get('/merchant-management/psp/v1/merchants');
    assert.equal(m.status, 500);
    assert.match(m.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.equal((m.json as { status: number }).status, 500);
  });

  it('latency, fixed and in a seeded range, then the normal answer', async () => {
    const body = initBody();
    await api.init(body);
    await inject({ operation: 'DETAILS', kind: 'latency', delayMs: 400, count: 1 });
    let t = Date.now();
    assert.equal((await api.details(String(body.pspTransactionId))).status, 200);
    assert.ok(Date.now() - t >= 390, `took ${Date.now() - t} ms`);
    t = Date.now();
    await api.details(String(body.pspTransactionId));
    assert.ok(Date.now() - t < 300, 'expired');
    await inject({ operation: 'DETAILS', kind: 'latency', delayMs: 200, delayMaxMs: 300, count: 2 });
    for (let i = 0; i < 2; i++) {
      t = Date.now();
      await api.details(String(body.pspTransactionId));
      const took = Date.now() - t;
      assert.ok(took >= 190 && took < 1000, `took ${took} ms`);
    }
  });

  it('close before updatestatus stores nothing; close after init created the payment', async () => {
    const body = initBody();
    const id = String(body.pspTransactionId);
    await api.init(body);
    await inject({ operation: 'UPDATESTATUS', kind: 'close', count: 1 });
    await assert.rejects(
      api.post('/psp/v3/psppayments/updatestatus', {
        transactions: [{ pspTransactionId: id, status: 'CANCELLED', amount: 49900, currency: 'NOK' }],
      }),
    );
    const batches = await call<{ batches: unknown[] }>(`${p.url}/_emulator/status-batches`, { headers: { 'psp-id': DEMO.pspId } });
    assert.equal(batches.json.batches.length, 0, 'failed before applying');

    await inject({ operation: 'INIT', kind: 'close', when: 'after', count: 1 });
    const second = initBody();
    await assert.rejects(api.init(second));
    assert.equal((await api.details(String(second.pspTransactionId))).status, 200, 'applied, no answer');
  });

  it('timeout: applied, and answered after the client gave up', async () => {
    await inject({ operation: 'INIT', kind: 'timeout', delayMs: 1500, count: 1 });
    const body = initBody();
    const t = Date.now();
    await assert.rejects(
      fetch(`${p.url}/psp/v3/psppayments/init`, {
        method: 'POST',
        headers: api.headers(),
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(300),
      }),
      /aborted|timeout/i,
    );
    assert.ok(Date.now() - t < 1000);
    assert.equal((await api.details(String(body.pspTransactionId))).status, 200, 'applied');
  });

  it('a seeded probability fires on the draws the seed gives, the same every time', async () => {
    const body = initBody();
    await api.init(body);
    await inject({ operation: 'DETAILS', kind: 'status', status: 503, probability: 0.5, seed: 42 });
    const seen: boolean[] = [];
    for (let n = 1; n <= 16; n++) seen.push((await api.details(String(body.pspTransactionId))).status === 503);
    const expected = Array.from({ length: 16 }, (_, i) => draw(42, i + 1) < 0.5);
    assert.deepEqual(seen, expected);
    assert.ok(expected.includes(true) && expected.includes(false), 'the seed gives both');
    const [fault] = await faults(DEMO.pspId);
    assert.equal(fault?.seen, 16);
    assert.equal(fault?.fired, expected.filter(Boolean).length);
  });

  it('is per PSP: another PSP’s requests pass, its id is unknown to another PSP, and reset clears it', async () => {
    const fault = await inject({ operation: 'ANY', kind: 'status', status: 503 });
    assert.equal((await other.init(initBody())).status, 200);
    assert.equal((await api.init(initBody())).status, 503);
    const own = await call(`${p.url}/_emulator/faults/${fault.id}`, { headers: { 'psp-id': DEMO.pspId } });
    assert.equal(own.status, 200);
    const foreign = await call(`${p.url}/_emulator/faults/${fault.id}`, { headers: { 'psp-id': OTHER_PSP.pspId } });
    const unknown = await call(`${p.url}/_emulator/faults/00000000-0000-7000-8000-000000000000`, {
      headers: { 'psp-id': OTHER_PSP.pspId },
    });
    assert.equal(foreign.status, 404);
    const strip = (t: string) => t.replace(/"contextId":"[^"]+"/, '');
    assert.equal(strip(foreign.text), strip(unknown.text));
    assert.equal(
      (await call(`${p.url}/_emulator/faults/${fault.id}`, { method: 'DELETE', headers: { 'psp-id': OTHER_PSP.pspId } })).status,
      404,
    );
    await inject({ kind: 'status', status: 503 });
    const reset = await call<{ deleted: { faults: number } }>(`${p.url}/_emulator/reset`, { method: 'POST' });
    assert.equal(reset.json.deleted.faults, 2);
    assert.equal((await api.init(initBody())).status, 200);
    // Delete one.
    const f = await inject({ kind: 'close' });
    assert.equal((await call(`${p.url}/_emulator/faults/${f.id}`, { method: 'DELETE', headers: { 'psp-id': DEMO.pspId } })).status, 204);
    assert.deepEqual(await faults(), []);
  });

  it('refuses faults that cannot be', async () => {
    for (const bad of [
      { kind: 'status', status: 429, when: 'after' },
      { kind: 'status', status: 418 },
      { kind: 'explode' },
      { kind: 'latency' },
      { kind: 'latency', delayMs: 100, delayMaxMs: 50 },
      { kind: 'timeout', when: 'before' },
      { kind: 'close', probability: 0 },
      { kind: 'close', count: 0 },
      { kind: 'close', operation: 'LOGIN' },
      { kind: 'close', colour: 'red' },
    ]) {
      const r = await call(`${p.url}/_emulator/faults`, {
        method: 'POST',
        headers: { 'psp-id': DEMO.pspId, 'content-type': 'application/json' },
        body: JSON.stringify(bad),
      });
      assert.equal(r.status, 400, JSON.stringify(bad));
    }
    const noPsp = await call(`${p.url}/_emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"kind":"close"}',
    });
    assert.equal(noPsp.status, 400);
  });
});

describe('emulator.fault()', () => {
  it('injects a fault through the object startEmulator() returns; reset() clears it', async () => {
    const emulator = await startEmulator();
    try {
      const api = await PspApi.connect(emulator.url);
      const fault = await emulator.fault({ operation: 'INIT', kind: 'status', status: 503, count: 1 });
      assert.equal(fault.kind, 'status');
      assert.equal((await api.init(initBody())).status, 503);
      await emulator.fault({ operation: 'INIT', kind: 'status', status: 503 });
      assert.equal((await emulator.reset()).deleted.faults, 1);
      assert.equal((await api.init(initBody())).status, 200);
    } finally {
      await emulator.close();
    }
  });
});
