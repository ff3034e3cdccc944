/**
 * A status batch whose application throws (a broken money invariant: our bug, never the PSP's)
 * is marked FAILED with the error, logged at error level, and the batches after it are applied;
 * later runs do not retry it; /retry puts it back once the cause is fixed
 * (docs/status-updates.md "A batch that fails"). The failure is forced with a corrupted ledger
 * row written straight into the test database: captured above reserved.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, initBody, PspApi, startTestPlatform, type TestPlatform } from './helpers/platform.js';
import { reserveForTest } from './helpers/reserve.js';

const PATH = '/psp/v3/psppayments/updatestatus';

interface BatchView {
  id: number;
  state: string;
  appliedAt: string | null;
  failedAt: string | null;
  error: string | null;
  duplicateOf: number | null;
  counts: { items: number; applied: number; unchanged: number; rejected: number; pending: number };
}
interface RunAnswer {
  applied: BatchView[];
  failed: BatchView[];
}

describe('a status batch that fails', () => {
  let p: TestPlatform;
  let api: PspApi;
  before(async () => {
    // manual: the batches wait until /run, so a failing batch can sit before a good one.
    p = await startTestPlatform({ env: { STATUS_BATCH_SCHEDULE: 'manual', SWEEP_INTERVAL_MS: '60000' } });
    api = await PspApi.connect(p.url);
  });
  after(() => p.close());

  const reserved = async (amount: number) => {
    const body = initBody({ amount });
    assert.equal((await api.init(body)).status, 200);
    const payment = await reserveForTest(p, api.creds.pspId, String(body.pspTransactionId));
    return { id: String(body.pspTransactionId), paymentId: payment.id };
  };
  /** Writes a ledger straight into the database (the corruption that makes a batch throw). */
  const setCaptured = (paymentId: string, capturedOre: number) =>
    p.running.platform.store.db.updateTable('payments').set({ captured_ore: capturedOre }).where('id', '=', paymentId).execute();
  const send = async (transactions: Record<string, unknown>[]) => {
    const r = await api.post(PATH, { transactions });
    assert.equal(r.status, 200, r.text);
  };
  const run = async () => {
    const r = await call<RunAnswer>(`${p.url}/_emulator/status-batches/run`, { method: 'POST', headers: { 'Psp-Id': api.creds.pspId } });
    assert.equal(r.status, 200, r.text);
    return r.json;
  };
  const batch = async (id: number) => {
    const r = await call<{ batches: BatchView[] }>(`${p.url}/_emulator/status-batches?limit=200`, {
      headers: { 'Psp-Id': api.creds.pspId },
    });
    assert.equal(r.status, 200, r.text);
    const found = r.json.batches.find((b) => b.id === id);
    assert.ok(found, `batch ${id}`);
    return found;
  };
  const latestId = async () => {
    const r = await call<{ batches: BatchView[] }>(`${p.url}/_emulator/status-batches?limit=1`, { headers: { 'Psp-Id': api.creds.pspId } });
    return r.json.batches[0]?.id ?? 0;
  };
  const summary = async (id: string) => {
    const s = (await api.details(id)).json.transactionSummary;
    return [s.capturedAmount, s.refundedAmount];
  };

  it('is marked FAILED with its error and logged, the later batches are applied, and no later run retries it', async () => {
    const broken = await reserved(20000);
    const good = await reserved(20000);
    await setCaptured(broken.paymentId, 30000); // captured > reserved: the invariant fails on the next change

    await send([
      { pspTransactionId: good.id, status: 'CAPTURED', amount: 1000 },
      { pspTransactionId: broken.id, status: 'REFUNDED', amount: 1000 },
    ]);
    const failing = await latestId();
    await send([{ pspTransactionId: good.id, status: 'CAPTURED', amount: 5000 }]);
    const next = await latestId();

    const first = await run();
    assert.deepEqual(
      first.failed.map((b) => [b.id, b.state]),
      [[failing, 'FAILED']],
    );
    assert.deepEqual(
      first.applied.map((b) => [b.id, b.state, b.counts.applied]),
      [[next, 'APPLIED', 1]],
    );
    // Nothing of the failed batch was applied, not even its good first item.
    assert.deepEqual(await summary(good.id), [5000, 0]);
    assert.deepEqual(await summary(broken.id), [30000, 0]);

    const failed = await batch(failing);
    assert.equal(failed.state, 'FAILED');
    assert.equal(failed.appliedAt, null);
    assert.match(failed.failedAt ?? '', /^\d{4}-\d\d-\d\dT/);
    assert.match(failed.error ?? '', /^AssertionError.*captured 30000 > reserved 20000/);
    assert.deepEqual(failed.counts, { items: 2, applied: 0, unchanged: 0, rejected: 0, pending: 0 });
    const view = await call<{ statusUpdates: { batchId: number; outcome: string }[] }>(`${p.url}/_emulator/payments/${good.id}`, {
      headers: { 'Psp-Id': api.creds.pspId },
    });
    assert.deepEqual(
      view.json.statusUpdates.map((u) => [u.batchId, u.outcome]),
      [
        [failing, 'FAILED'],
        [next, 'APPLIED'],
      ],
    );

    const logged = p
      .logs()
      .split('\n')
      .filter((line) => line.includes('"level":50') && line.includes(`"batchId":${failing}`));
    assert.equal(logged.length, 1, 'one error-level log line for the failed batch');

    // Later runs go on with new batches and leave the FAILED one alone.
    await send([{ pspTransactionId: good.id, status: 'CAPTURED', amount: 2000 }]);
    const later = await latestId();
    const second = await run();
    assert.deepEqual(second.failed, []);
    assert.deepEqual(
      second.applied.map((b) => b.id),
      [later],
    );
    assert.equal((await batch(failing)).state, 'FAILED');
    assert.deepEqual(await summary(good.id), [7000, 0]);

    // Once the cause is fixed, /retry puts it back in the queue and the next run applies it.
    const notFailed = await call<{ errorCode: string }[]>(`${p.url}/_emulator/status-batches/${next}/retry`, {
      method: 'POST',
      headers: { 'Psp-Id': api.creds.pspId },
    });
    assert.equal(notFailed.status, 409, notFailed.text);
    assert.equal(notFailed.json[0]?.errorCode, 'StatusBatchNotFailed');
    assert.equal(
      (await call(`${p.url}/_emulator/status-batches/99999/retry`, { method: 'POST', headers: { 'Psp-Id': api.creds.pspId } })).status,
      404,
    );
    await setCaptured(broken.paymentId, 10000);
    const retried = await call<BatchView>(`${p.url}/_emulator/status-batches/${failing}/retry`, {
      method: 'POST',
      headers: { 'Psp-Id': api.creds.pspId },
    });
    assert.equal(retried.status, 200, retried.text);
    assert.deepEqual([retried.json.state, retried.json.error, retried.json.failedAt], ['PENDING', null, null]);
    const third = await run();
    assert.deepEqual(
      third.applied.map((b) => [b.id, b.counts.applied]),
      [[failing, 2]],
    );
    assert.deepEqual(await summary(good.id), [8000, 0]);
    assert.deepEqual(await summary(broken.id), [10000, 1000]);
  });

  it('the same body sent again without a key after a failure is a new batch, not a duplicate of the failed one', async () => {
    const broken = await reserved(20000);
    await setCaptured(broken.paymentId, 30000);
    const items = [{ pspTransactionId: broken.id, status: 'REFUNDED', amount: 1000 }];
    await send(items);
    const failing = await latestId();
    assert.deepEqual(
      (await run()).failed.map((b) => b.id),
      [failing],
    );
    await setCaptured(broken.paymentId, 10000);
    await send(items);
    const resent = await batch(await latestId());
    assert.equal(resent.duplicateOf, null);
    assert.equal(resent.state, 'PENDING');
    assert.deepEqual(
      (await run()).applied.map((b) => b.id),
      [resent.id],
    );
    assert.deepEqual(await summary(broken.id), [10000, 1000]);
  });
});
