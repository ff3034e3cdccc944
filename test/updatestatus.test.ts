import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { iso } from '../src/clock.js';
import type { Ledger } from '../src/domain/payment-money.js';
import { statusItemsOfPayment } from '../src/services/status-batch-report.js';
import { PaymentLedgerRepository } from '../src/store/payment-ledger.js';
import { pspSpec } from './helpers/openapi.js';
import {
  call,
  DEMO,
  initBody,
  OTHER_PSP,
  type PaymentDetailsBody,
  PspApi,
  type Reply,
  seedWithOtherPsp,
  startTestPlatform,
  type TestPlatform,
  uid,
} from './helpers/platform.js';
import { PspStub } from './helpers/psp-stub.js';
import { reserveForTest } from './helpers/reserve.js';

const spec = pspSpec();
const PATH = '/psp/v3/psppayments/updatestatus';
const ACCEPTED = { responseInfo: { responseCode: '9000', responseMessage: 'SUCCESS' } };
const DAY_S = 86_400;

type Item = Record<string, unknown>;
interface ErrorItem {
  errorCode: string;
  errorMessage: string;
  contextId: string;
}
interface BatchView {
  id: number;
  pspId: string;
  state: string;
  receivedAt: string;
  appliedAt: string | null;
  duplicateOf: number | null;
  counts: { items: number; applied: number; unchanged: number; rejected: number; pending: number };
  rejectedItems: { index: number; pspTransactionId: string; reasonCode: string; reason: string; detail: string | null }[];
  rejectedItemsTruncated: boolean;
}

/** Every answer of updatestatus must match the official spec (or its ErrorDetails schema). */
function assertSpec(r: Reply): void {
  if (r.status === 200 || r.status === 400) {
    spec.assertResponse('/v3/psppayments/updatestatus', 'post', r.status, r.json);
    return;
  }
  // 409 and 413 are not documented for updatestatus: their bodies are the same ErrorDetails array.
  assert.ok(Array.isArray(r.json), r.text);
  for (const e of r.json as unknown[]) spec.assertSchema('ErrorDetails', e);
}

function expectAccepted(r: Reply): void {
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, ACCEPTED);
  assert.equal(r.text, JSON.stringify(ACCEPTED));
  assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
  assertSpec(r);
}

function expectInvalid(r: Reply, detail: RegExp): void {
  assert.equal(r.status, 400, r.text);
  assertSpec(r);
  const [e] = r.json as ErrorItem[];
  assert.equal(e?.errorCode, '51');
  assert.match(e?.errorMessage ?? '', /^Invalid request/);
  assert.match(e?.errorMessage ?? '', detail);
}

/** The parts a test of this file needs, bound to one platform. */
function harness(p: TestPlatform, api: () => PspApi) {
  const send = (transactions: unknown, extra: Record<string, string> = {}) => api().post(PATH, { transactions }, extra);
  /** Runs the scheduler (the status batch job among others) and waits for it. */
  const settle = async () => {
    const r = await call(`${p.url}/_emulator/clock/advance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ seconds: 0 }),
    });
    assert.equal(r.status, 200, r.text);
  };
  const apply = async (transactions: Item[], extra: Record<string, string> = {}) => {
    expectAccepted(await send(transactions, extra));
    await settle();
  };
  /**
   * The real path to a reservation: init over HTTP, then the user approves (control API) and the
   * PSP's makePaymentUrl (a local stub) answers OK. Slower than `reserved`; for the main scenario.
   */
  const approved = async (stub: PspStub, amount: number, overrides: Item = {}) => {
    const body = initBody({ amount, makePaymentUrl: stub.url, customerMobileNumber: DEMO.user, ...overrides });
    const r = await api().init(body);
    assert.equal(r.status, 200, r.text);
    const id = String(body.pspTransactionId);
    const approval = await call<{ state: string }>(`${p.url}/_emulator/payments/${encodeURIComponent(id)}/approve`, {
      method: 'POST',
      headers: { 'Psp-Id': api().creds.pspId, 'Content-Type': 'application/json' },
      body: '{}',
    });
    assert.equal(approval.status, 200, approval.text);
    assert.equal(approval.json.state, 'RESERVED', approval.text);
    const makePayments = stub.requestsFor(id);
    assert.equal(makePayments.length, 1);
    assert.equal(makePayments[0]?.body.paymentState, 'ACCEPTED');
    return { id };
  };
  const reserved = async (amount: number, overrides: Item = {}) => {
    const body = initBody({ amount, ...overrides });
    const r = await api().init(body);
    assert.equal(r.status, 200, r.text);
    const payment = await reserveForTest(p, api().creds.pspId, String(body.pspTransactionId));
    return { id: String(body.pspTransactionId), paymentId: payment.id, body };
  };
  const details = async (id: string) => {
    const r = await api().details(id);
    assert.equal(r.status, 200, r.text);
    spec.assertResponse('/v3/psppayments/{pspTransactionId}/details', 'get', 200, r.json);
    return r.json;
  };
  const summary = async (id: string) => {
    const s = (await details(id)).transactionSummary;
    return [s.capturedAmount, s.remainingAmountToCapture, s.refundedAmount, s.remainingAmountToRefund];
  };
  const items = (paymentId: string) => statusItemsOfPayment(p.running.platform, paymentId);
  const lastItem = async (paymentId: string) => (await items(paymentId)).at(-1);
  const batches = async (query = '', headers: Record<string, string> = { 'Psp-Id': DEMO.pspId }) => {
    const r = await call<{ schedule: string; batches: BatchView[] }>(`${p.url}/_emulator/status-batches${query}`, { headers });
    assert.equal(r.status, 200, r.text);
    return r.json.batches;
  };
  return { send, settle, apply, approved, reserved, details, summary, items, lastItem, batches };
}

const cap = (id: string, amount: number | string, more: Item = {}): Item => ({ pspTransactionId: id, status: 'CAPTURED', amount, ...more });
const cancel = (id: string, amount = 0, more: Item = {}): Item => ({ pspTransactionId: id, status: 'CANCELLED', amount, ...more });
const refund = (id: string, amount: number, more: Item = {}): Item => ({ pspTransactionId: id, status: 'REFUNDED', amount, ...more });

describe('POST /psp/v3/psppayments/updatestatus', () => {
  let p: TestPlatform;
  let a: PspApi;
  let b: PspApi;
  let h: ReturnType<typeof harness>;
  let stub: PspStub;
  before(async () => {
    stub = await PspStub.start();
    // The sweep is slow here, so a batch is applied only by the immediate trigger or settle().
    p = await startTestPlatform({ seed: seedWithOtherPsp(), env: { SWEEP_INTERVAL_MS: '60000' } });
    a = await PspApi.connect(p.url);
    b = await PspApi.connect(p.url, OTHER_PSP);
    h = harness(p, () => a);
  });
  after(async () => {
    await p.close();
    await stub.close();
  });

  it('reserve 20000 → capture 10000 → cancel → refund 4000 gives 10000/0/4000/6000 and four history entries, over HTTP end to end', async () => {
    // init, approval (makePayment answered OK by the stub), updatestatus and details: all HTTP.
    const { id } = await h.approved(stub, 20000, { paymentText: 'Two pairs of socks' });
    await h.apply([cap(id, 10000, { paymentText: 'First pair shipped' })]);
    assert.deepEqual(await h.summary(id), [10000, 10000, 0, 10000]);
    await h.apply([cancel(id, 20000, { paymentText: 'Second pair out of stock' })]);
    assert.deepEqual(await h.summary(id), [10000, 0, 0, 10000]);
    await h.apply([refund(id, 4000, { paymentText: 'Returned: wrong size' })]);
    const d = await h.details(id);
    assert.deepEqual(d.transactionSummary, {
      capturedAmount: 10000,
      remainingAmountToCapture: 0,
      refundedAmount: 4000,
      remainingAmountToRefund: 6000,
    });
    // Newest first; a cancel logs the amount it released.
    assert.deepEqual(
      d.transactionLogHistory.map((e) => [e.operation, e.amount, e.operationSuccess, e.paymentText]),
      [
        ['REFUNDED', 4000, true, 'Returned: wrong size'],
        ['CANCELLED', 10000, true, 'Second pair out of stock'],
        ['CAPTURED', 10000, true, 'First pair shipped'],
        ['RESERVED', 20000, true, 'Two pairs of socks'],
      ],
    );
    for (const e of d.transactionLogHistory) assert.match(e.timeStamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
    const times = d.transactionLogHistory.map((e) => Date.parse(e.timeStamp));
    assert.deepEqual(
      times,
      [...times].sort((x, y) => y - x),
    );
  });

  it('applies an immediate batch right after answering, without waiting for the sweep', async () => {
    const { id } = await h.reserved(5000);
    expectAccepted(await h.send([cap(id, 5000)]));
    const deadline = Date.now() + 3000;
    let captured = 0;
    while (Date.now() < deadline) {
      captured = (await a.details(id)).json.transactionSummary.capturedAmount;
      if (captured === 5000) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(captured, 5000);
  });

  it('takes several items for one payment in one batch, in order, and amounts as numeric strings', async () => {
    const { id, paymentId } = await h.reserved(30000);
    await h.apply([cap(id, '10000'), cap(id, 15000), refund(id, 5000), cap(id, 5000)]);
    assert.deepEqual(await h.summary(id), [30000, 0, 5000, 25000]);
    assert.deepEqual(
      (await h.items(paymentId)).map((i) => [i.status, i.amount, i.outcome]),
      [
        ['CAPTURED', 10000, 'APPLIED'],
        ['CAPTURED', 15000, 'APPLIED'],
        ['REFUNDED', 5000, 'APPLIED'],
        ['CAPTURED', 5000, 'APPLIED'],
      ],
    );
  });

  describe('rejects, per item and with a reason, when the batch is applied', () => {
    const expectRejected = async (paymentId: string, code: string, reason: RegExp) => {
      const item = await h.lastItem(paymentId);
      assert.equal(item?.outcome, 'REJECTED', JSON.stringify(item));
      assert.equal(item?.reasonCode, code);
      assert.match(item?.reason ?? '', reason);
    };

    it('a capture above what is left to capture (partial captures up to the reserved amount are fine)', async () => {
      const { id, paymentId } = await h.reserved(20000);
      await h.apply([cap(id, 15000)]);
      await h.apply([cap(id, 6000)]);
      await expectRejected(paymentId, 'CAPTURE_EXCEEDS_RESERVED', /exceeds the reserved amount/);
      assert.match((await h.lastItem(paymentId))?.detail ?? '', /6000 øre with 5000 øre left/);
      await h.apply([cap(id, 5000)]);
      assert.deepEqual(await h.summary(id), [20000, 0, 0, 20000]);
      await h.apply([cap(id, 1)]);
      await expectRejected(paymentId, 'CAPTURE_EXCEEDS_RESERVED', /exceeds the reserved amount/);
    });

    it('a capture of a payment that is not reserved', async () => {
      const body = initBody();
      assert.equal((await a.init(body)).status, 200);
      const payment = await p.running.platform.repos.payments.findByPspTransactionId(DEMO.pspId, String(body.pspTransactionId));
      assert.ok(payment);
      await h.apply([cap(String(body.pspTransactionId), 100)]);
      await expectRejected(payment.id, 'NOT_RESERVED', /not reserved/);
      assert.match((await h.lastItem(payment.id))?.detail ?? '', /state INITIATED/);
      // A status update cannot reserve either: only makePayment OK does.
      await h.apply([{ pspTransactionId: body.pspTransactionId, status: 'RESERVED', amount: body.amount }]);
      await expectRejected(payment.id, 'NOT_RESERVED', /not reserved/);
      assert.deepEqual((await h.details(String(body.pspTransactionId))).transactionLogHistory, []);
    });

    it('a capture after a cancel', async () => {
      const { id, paymentId } = await h.reserved(20000);
      await h.apply([cancel(id)]);
      assert.deepEqual(await h.summary(id), [0, 0, 0, 0]);
      await h.apply([cap(id, 100)]);
      await expectRejected(paymentId, 'CAPTURE_AFTER_CANCEL', /not reserved/);
      assert.deepEqual(await h.summary(id), [0, 0, 0, 0]);
    });

    it('a second cancel, and a cancel of a fully captured payment', async () => {
      const first = await h.reserved(20000);
      await h.apply([cap(first.id, 5000), cancel(first.id)]);
      await h.apply([cancel(first.id)]);
      await expectRejected(first.paymentId, 'CANCEL_AFTER_CANCEL', /already cancelled/);
      const full = await h.reserved(20000);
      await h.apply([cap(full.id, 20000)]);
      await h.apply([cancel(full.id)]);
      await expectRejected(full.paymentId, 'CANCEL_FULLY_CAPTURED', /Cannot cancel already captured order/);
      assert.deepEqual(await h.summary(full.id), [20000, 0, 0, 20000]);
    });

    it('a refund before any capture (reserved, or cancelled)', async () => {
      const { id, paymentId } = await h.reserved(20000);
      await h.apply([refund(id, 100)]);
      await expectRejected(paymentId, 'REFUND_BEFORE_CAPTURE', /Cannot refund for reserved order/);
      await h.apply([cancel(id)]);
      // Another amount: the same body again within 24 hours would be a resend (see 'resends').
      await h.apply([refund(id, 101)]);
      await expectRejected(paymentId, 'REFUND_CANCELLED_UNCAPTURED', /Cannot refund on cancelled order/);
      assert.deepEqual(await h.summary(id), [0, 0, 0, 0]);
    });

    it('a refund above what is captured and not yet refunded', async () => {
      const { id, paymentId } = await h.reserved(20000);
      await h.apply([cap(id, 8000), refund(id, 5000)]);
      await h.apply([refund(id, 3001)]);
      await expectRejected(paymentId, 'REFUND_EXCEEDS_CAPTURED', /Cannot refund more than captured amount/);
      await h.apply([refund(id, 3000)]);
      assert.deepEqual(await h.summary(id), [8000, 12000, 8000, 0]);
    });

    it('a capture or refund of 0 øre', async () => {
      const { id, paymentId } = await h.reserved(20000);
      await h.apply([cap(id, 0)]);
      await expectRejected(paymentId, 'AMOUNT_ZERO', /amount\.less\.than\.one/);
      await h.apply([cap(id, 100), refund(id, 0)]);
      await expectRejected(paymentId, 'AMOUNT_ZERO', /amount\.less\.than\.one/);
    });

    it('a currency other than NOK', async () => {
      const { id, paymentId } = await h.reserved(20000);
      await h.apply([cap(id, 100, { currency: 'SEK' })]);
      await expectRejected(paymentId, 'CURRENCY_INVALID', /transaction\.currency\.invalid/);
      assert.deepEqual(await h.summary(id), [0, 20000, 0, 0]);
    });

    it('unknown ids and other PSPs’ ids alike (accepted in the answer, rejected when applied)', async () => {
      const theirs = initBody({ amount: 20000 });
      assert.equal((await b.init(theirs)).status, 200);
      const their = await reserveForTest(p, OTHER_PSP.pspId, String(theirs.pspTransactionId));
      const unknown = uid('nope');
      const r = await h.send([cap(unknown, 100), cap(String(theirs.pspTransactionId), 100)]);
      expectAccepted(r);
      await h.settle();
      const [batch] = await h.batches('?limit=1');
      assert.equal(batch?.state, 'APPLIED');
      assert.deepEqual(batch?.counts, { items: 2, applied: 0, unchanged: 0, rejected: 2, pending: 0 });
      assert.deepEqual(
        batch?.rejectedItems.map((i) => [i.index, i.pspTransactionId, i.reasonCode, i.reason]),
        [
          [0, unknown, 'PAYMENT_NOT_FOUND', 'Requested Order not found'],
          [1, theirs.pspTransactionId, 'PAYMENT_NOT_FOUND', 'Requested Order not found'],
        ],
      );
      const theirDetails = await b.details(String(theirs.pspTransactionId));
      assert.equal(theirDetails.json.transactionSummary.capturedAmount, 0);
      // The other PSP's payment shows no item of PSP A's batch.
      assert.deepEqual(await h.items(their.id), []);
    });

    it('operationStatus FAILED: a failed operation in the history, no money moved', async () => {
      const { id, paymentId } = await h.reserved(20000);
      await h.apply([cap(id, 20000, { operationStatus: 'FAILED', paymentText: 'Capture declined' })]);
      assert.deepEqual(await h.summary(id), [0, 20000, 0, 0]);
      const [latest] = (await h.details(id)).transactionLogHistory;
      assert.deepEqual(latest && [latest.operation, latest.amount, latest.operationSuccess, latest.paymentText], [
        'CAPTURED',
        20000,
        false,
        'Capture declined',
      ]);
      assert.equal((await h.lastItem(paymentId))?.outcome, 'APPLIED');
      // The money is still all there to capture.
      await h.apply([cap(id, 20000)]);
      assert.deepEqual(await h.summary(id), [20000, 0, 0, 20000]);
    });

    it('a repeated RESERVED for a reserved payment is harmless: unchanged, not logged', async () => {
      const { id, paymentId } = await h.reserved(20000);
      await h.apply([{ pspTransactionId: id, status: 'RESERVED', amount: 20000 }]);
      assert.equal((await h.lastItem(paymentId))?.outcome, 'UNCHANGED');
      const d = await h.details(id);
      assert.deepEqual(
        d.transactionLogHistory.map((e) => e.operation),
        ['RESERVED'],
      );
      assert.deepEqual(await h.summary(id), [0, 20000, 0, 0]);
    });
  });

  describe('resends', () => {
    const count = async () =>
      Number(
        (
          await p.running.platform.store.db
            .withTables<{ status_batches: { id: number } }>()
            .selectFrom('status_batches')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );

    it('with the same Idempotency-Key and body: the stored answer, stored and captured once', async () => {
      const { id } = await h.reserved(20000);
      const key = uid('key-');
      const before = await count();
      const first = await h.send([cap(id, 5000)], { 'Idempotency-Key': key });
      expectAccepted(first);
      await h.settle();
      const again = await h.send([cap(id, 5000)], { 'Idempotency-Key': key });
      expectAccepted(again);
      assert.equal(again.text, first.text);
      await h.settle();
      assert.equal(await count(), before + 1);
      assert.deepEqual(await h.summary(id), [5000, 15000, 0, 5000]);
    });

    it('accepts Request-Id and X-Request-Id as the key', async () => {
      for (const name of ['Request-Id', 'X-Request-Id']) {
        const { id } = await h.reserved(20000);
        const key = uid('key-');
        await h.apply([cap(id, 5000)], { [name]: key });
        await h.apply([cap(id, 5000)], { [name]: key });
        assert.deepEqual(await h.summary(id), [5000, 15000, 0, 5000], name);
      }
    });

    it('with the same key and another body: 409, nothing stored', async () => {
      const { id } = await h.reserved(20000);
      const key = uid('key-');
      await h.apply([cap(id, 5000)], { 'Idempotency-Key': key });
      const before = await count();
      const r = await h.send([cap(id, 6000)], { 'Idempotency-Key': key });
      assert.equal(r.status, 409, r.text);
      assertSpec(r);
      const [e] = r.json as ErrorItem[];
      assert.equal(e?.errorCode, '93');
      assert.match(e?.errorMessage ?? '', /identical to the previous request/);
      await h.settle();
      assert.equal(await count(), before);
      assert.deepEqual(await h.summary(id), [5000, 15000, 0, 5000]);
    });

    it('without a key, an identical batch within 24 hours is a recorded duplicate, not applied again', async () => {
      const { id } = await h.reserved(20000);
      await h.apply([cap(id, 5000)]);
      // The same batch, with the amount as a string: the same batch after normalisation.
      await h.apply([cap(id, '5000')]);
      assert.deepEqual(await h.summary(id), [5000, 15000, 0, 5000]);
      const [dup, original] = await h.batches('?limit=2');
      assert.equal(dup?.state, 'DUPLICATE');
      assert.equal(dup?.duplicateOf, original?.id);
      assert.deepEqual(dup?.counts, { items: 1, applied: 0, unchanged: 0, rejected: 0, pending: 0 });
      // A different batch (another amount) is applied.
      await h.apply([cap(id, 5001)]);
      assert.deepEqual(await h.summary(id), [10001, 9999, 0, 10001]);
    });

    it('with different keys, an identical body is applied each time (the key decides)', async () => {
      const { id } = await h.reserved(20000);
      await h.apply([cap(id, 5000)], { 'Idempotency-Key': uid('key-') });
      await h.apply([cap(id, 5000)], { 'Idempotency-Key': uid('key-') });
      assert.deepEqual(await h.summary(id), [10000, 10000, 0, 10000]);
    });

    it('20 concurrent identical batches with one key store one batch and answer alike', async () => {
      const { id } = await h.reserved(20000);
      const before = await count();
      const key = uid('key-');
      const replies = await Promise.all(Array.from({ length: 20 }, () => h.send([cap(id, 1000)], { 'Idempotency-Key': key })));
      for (const r of replies) expectAccepted(r);
      await h.settle();
      assert.equal(await count(), before + 1);
      assert.deepEqual(await h.summary(id), [1000, 19000, 0, 1000]);
    });

    it('50 concurrent identical batches without a key capture once', async () => {
      const { id } = await h.reserved(20000);
      const replies = await Promise.all(Array.from({ length: 50 }, () => h.send([cap(id, 1000)])));
      for (const r of replies) expectAccepted(r);
      await h.settle();
      assert.deepEqual(await h.summary(id), [1000, 19000, 0, 1000]);
    });
  });

  describe('validation', () => {
    const raw = (body: string, extra: Record<string, string> = {}) =>
      call(`${p.url}${PATH}`, { method: 'POST', headers: a.headers(extra), body });

    it('answers 400 code 51 for a batch that is not a valid PaymentStatus', async () => {
      const valid = { pspTransactionId: 'x1', status: 'CAPTURED', amount: 100 };
      const cases: [unknown, RegExp][] = [
        [{}, /transactions is required/],
        [{ transactions: [] }, /transactions must NOT have fewer than 1 items/],
        [{ transactions: valid }, /transactions must be array/],
        [{ transactions: [{ ...valid, status: 'CAPTURE' }] }, /transactions\.0\.status must be equal to one of the allowed values/],
        [{ transactions: [{ ...valid, status: ['CAPTURED'] }] }, /transactions\.0\.status must be string/],
        [{ transactions: [valid, { ...valid, operationStatus: 'OK' }] }, /transactions\.1\.operationStatus/],
        [{ transactions: [{ ...valid, amount: -1 }] }, /transactions\.0\.amount must be >= 0/],
        [{ transactions: [{ ...valid, amount: 1.5 }] }, /transactions\.0\.amount must be integer/],
        [{ transactions: [{ ...valid, amount: 2_147_483_648 }] }, /transactions\.0\.amount must be <= 2147483647/],
        [{ transactions: [{ ...valid, amount: '12.5' }] }, /transactions\.0\.amount must be integer/],
        [{ transactions: [{ ...valid, amount: 'abc' }] }, /transactions\.0\.amount must be integer/],
        [{ transactions: [{ ...valid, amount: '0x10' }] }, /transactions\.0\.amount must be integer/],
        // A string amount is digits only (no spaces, sign, decimals or exponent), as on init.
        [{ transactions: [{ ...valid, amount: ' 100' }] }, /transactions\.0\.amount must be integer/],
        [{ transactions: [{ ...valid, amount: '100.0' }] }, /transactions\.0\.amount must be integer/],
        [{ transactions: [{ ...valid, amount: '1e2' }] }, /transactions\.0\.amount must be integer/],
        [{ transactions: [{ ...valid, amount: '-100' }] }, /transactions\.0\.amount must be integer/],
        [{ transactions: [{ ...valid, currency: 578 }] }, /transactions\.0\.currency must be string/],
        [{ transactions: [{ ...valid, amount: null }] }, /transactions\.0\.amount must be integer/],
        [{ transactions: [{ ...valid, amount: true }] }, /transactions\.0\.amount must be integer/],
        [{ transactions: [{ ...valid, amount: [100] }] }, /transactions\.0\.amount must be integer/],
        [{ transactions: [{ ...valid, pspTransactionId: 123 }] }, /transactions\.0\.pspTransactionId must be string/],
        // The shared error handler names the item, not the missing field, for a nested `required`.
        [{ transactions: [{ status: 'CAPTURED', amount: 100 }] }, /transactions\.0\b.*is required/],
        [{ transactions: [valid, { pspTransactionId: 'x1', status: 'CAPTURED' }] }, /transactions\.1\b.*is required/],
        [{ transactions: [{ pspTransactionId: 'x1', amount: 100 }] }, /transactions\.0\b.*is required/],
        [{ transactions: [{ ...valid, pspTransactionId: '' }] }, /pspTransactionId must NOT have fewer than 1 characters/],
      ];
      for (const [body, detail] of cases) expectInvalid(await raw(JSON.stringify(body)), detail);
      expectInvalid(await raw('{"transactions": ['), /not valid JSON/);
      expectInvalid(await raw(''), /body/);
    });

    it('accepts the Postman collection’s request: /updateStatus, PSP-ID, amounts as strings, null optional fields', async () => {
      const { id } = await h.reserved(20000);
      const body = JSON.stringify({
        transactions: [
          { pspTransactionId: id, status: 'CAPTURED', amount: '20000', currency: 'NOK', paymentText: null, operationStatus: null },
        ],
      });
      const headers = a.headers();
      delete headers['Psp-Id'];
      const r = await call(`${p.url}/psp/v3/psppayments/updateStatus`, {
        method: 'POST',
        headers: { ...headers, 'PSP-ID': DEMO.pspId },
        body,
      });
      expectAccepted(r);
      await h.settle();
      assert.deepEqual(await h.summary(id), [20000, 0, 0, 20000]);
    });

    it('requires the PSP’s credentials and one of its sales units', async () => {
      const r = await a.post(PATH, { transactions: [cap('x', 1)] }, { 'Merchant-Serial-Number': OTHER_PSP.msn });
      assert.equal(r.status, 403, r.text);
      assertSpec(r);
      // 401 comes from the API Management layer ({statusCode, message}), documented without a body.
      const noToken = await call(`${p.url}${PATH}`, {
        method: 'POST',
        headers: { ...a.headers(), Authorization: 'Bearer nope' },
        body: JSON.stringify({ transactions: [cap('x', 1)] }),
      });
      assert.equal(noToken.status, 401);
    });
  });

  it('accepts and applies a batch of 10 000 transactions (the route’s own body limit)', async () => {
    const payments: string[] = [];
    for (let i = 0; i < 200; i++) payments.push((await h.reserved(10000)).id);
    const transactions = payments.flatMap((id) => Array.from({ length: 50 }, (_, n) => cap(id, 100, { paymentText: `Parcel ${n}` })));
    assert.equal(transactions.length, 10_000);
    const body = JSON.stringify({ transactions });
    assert.ok(body.length > p.running.platform.config.bodyLimitBytes, 'bigger than the default body limit');
    const r = await h.send(transactions);
    expectAccepted(r);
    await h.settle();
    const [batch] = await h.batches('?limit=1');
    assert.deepEqual(batch?.counts, { items: 10_000, applied: 10_000, unchanged: 0, rejected: 0, pending: 0 });
    for (const id of [payments[0], payments[199]] as string[]) {
      assert.deepEqual(await h.summary(id), [5000, 5000, 0, 5000]);
      const d = await h.details(id);
      assert.equal(d.transactionLogHistory.length, 51);
      assert.equal(d.transactionLogHistory[0]?.paymentText, 'Parcel 49');
    }
  });
});

describe('updatestatus body limit', () => {
  it('answers 413 with ErrorDetails above UPDATESTATUS_BODY_LIMIT_BYTES', async () => {
    const p = await startTestPlatform({ env: { UPDATESTATUS_BODY_LIMIT_BYTES: '2048' } });
    try {
      const api = await PspApi.connect(p.url);
      const transactions = Array.from({ length: 100 }, (_, i) => cap(`id${i}`, 100));
      const r = await api.post(PATH, { transactions });
      assert.equal(r.status, 413, r.text);
      assertSpec(r);
      expectAccepted(await api.post(PATH, { transactions: transactions.slice(0, 5) }));
    } finally {
      await p.close();
    }
  });
});

describe('status updates after a real approval', () => {
  it('captures and refunds a payment the approval engine reserved (makePayment OK)', async () => {
    const stub = await PspStub.start();
    const p = await startTestPlatform();
    try {
      const api = await PspApi.connect(p.url);
      const h = harness(p, () => api);
      const body = initBody({ amount: 20000, makePaymentUrl: stub.url, customerMobileNumber: DEMO.user });
      assert.equal((await api.init(body)).status, 200);
      const id = String(body.pspTransactionId);
      const approved = await call<{ state: string }>(`${p.url}/_emulator/payments/${id}/approve`, {
        method: 'POST',
        headers: { 'Psp-Id': DEMO.pspId, 'Content-Type': 'application/json' },
        body: '{}',
      });
      assert.equal(approved.json.state, 'RESERVED', approved.text);
      await h.apply([cap(id, 20000), refund(id, 2500)]);
      const d: PaymentDetailsBody = await h.details(id);
      assert.deepEqual(d.transactionSummary, {
        capturedAmount: 20000,
        remainingAmountToCapture: 0,
        refundedAmount: 2500,
        remainingAmountToRefund: 17500,
      });
      assert.deepEqual(
        d.transactionLogHistory.map((e) => e.operation),
        ['REFUNDED', 'CAPTURED', 'RESERVED'],
      );
    } finally {
      await p.close();
      await stub.close();
    }
  });
});

describe('the capture, cancel and refund windows (from reserved_at, on the platform clock)', () => {
  let p: TestPlatform;
  let a: PspApi;
  let h: ReturnType<typeof harness>;
  before(async () => {
    p = await startTestPlatform({ env: { SWEEP_INTERVAL_MS: '60000' } });
    a = await PspApi.connect(p.url);
    h = harness(p, () => a);
  });
  after(() => p.close());

  const advanceDays = async (days: number) => {
    const r = await call(`${p.url}/_emulator/clock/advance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ seconds: days * DAY_S }),
    });
    assert.equal(r.status, 200);
    a = await PspApi.connect(p.url); // the access token lives an hour
  };

  it('captures and cancels up to 180 days, refunds up to 365 days after the reservation', async () => {
    const early = await h.reserved(20000);
    const late = await h.reserved(20000);
    const cancelled = await h.reserved(20000);
    await advanceDays(179);
    await h.apply([cap(early.id, 10000)]);
    assert.deepEqual(await h.summary(early.id), [10000, 10000, 0, 10000]);

    await advanceDays(2); // day 181
    await h.apply([cap(late.id, 100)]);
    assert.equal((await h.lastItem(late.paymentId))?.reasonCode, 'CAPTURE_WINDOW_CLOSED');
    await h.apply([cap(early.id, 100)]);
    assert.equal((await h.lastItem(early.paymentId))?.reasonCode, 'CAPTURE_WINDOW_CLOSED');
    await h.apply([cancel(cancelled.id)]);
    assert.equal((await h.lastItem(cancelled.paymentId))?.reasonCode, 'CANCEL_WINDOW_CLOSED');
    await h.apply([refund(early.id, 1000)]);
    assert.equal((await h.lastItem(early.paymentId))?.outcome, 'APPLIED');

    await advanceDays(185); // day 366
    await h.apply([refund(early.id, 1000)]);
    const item = await h.lastItem(early.paymentId);
    assert.equal(item?.reasonCode, 'REFUND_WINDOW_CLOSED');
    assert.match(item?.reason ?? '', /365 days/);
    assert.deepEqual(await h.summary(early.id), [10000, 10000, 1000, 9000]);
  });
});

describe('the control API of status batches', () => {
  let p: TestPlatform;
  let a: PspApi;
  let b: PspApi;
  let h: ReturnType<typeof harness>;
  before(async () => {
    p = await startTestPlatform({ seed: seedWithOtherPsp(), env: { SWEEP_INTERVAL_MS: '60000' } });
    a = await PspApi.connect(p.url);
    b = await PspApi.connect(p.url, OTHER_PSP);
    h = harness(p, () => a);
  });
  after(() => p.close());

  it('pages a batch’s rejected items, filters by Psp-Id, and answers 404 for an unknown batch', async () => {
    const { id } = await h.reserved(1000);
    const transactions = [cap(id, 600), ...Array.from({ length: 5 }, (_, i) => cap(`unknown-${i}`, 100)), cap(id, 600)];
    await h.apply(transactions);
    expectAccepted(await b.post(PATH, { transactions: [cap('theirs', 1)] }));
    await h.settle();

    const [mine] = await h.batches('?limit=1&rejectedLimit=2', { 'Psp-Id': DEMO.pspId });
    assert.ok(mine);
    assert.equal(mine.pspId, DEMO.pspId);
    assert.deepEqual(mine.counts, { items: 7, applied: 1, unchanged: 0, rejected: 6, pending: 0 });
    assert.deepEqual(
      mine.rejectedItems.map((i) => i.index),
      [1, 2],
    );
    assert.equal(mine.rejectedItemsTruncated, true);
    const [theirs] = await h.batches('?limit=1', { 'Psp-Id': OTHER_PSP.pspId });
    assert.equal(theirs?.pspId, OTHER_PSP.pspId);
    const control = { 'Psp-Id': DEMO.pspId };

    const page = await call<BatchView>(`${p.url}/_emulator/status-batches/${mine.id}?rejectedOffset=4&rejectedLimit=10`, {
      headers: control,
    });
    assert.equal(page.status, 200, page.text);
    assert.deepEqual(
      page.json.rejectedItems.map((i) => [i.index, i.reasonCode]),
      [
        [5, 'PAYMENT_NOT_FOUND'],
        [6, 'CAPTURE_EXCEEDS_RESERVED'],
      ],
    );
    assert.equal(page.json.rejectedItemsTruncated, false);
    // Query and path integers are read from their digits, nothing else (no type coercion).
    for (const query of ['?limit=abc', '?limit=0', '?limit=1.5', '?offset=-1', '?limit=0x10']) {
      const bad = await call(`${p.url}/_emulator/status-batches${query}`, { headers: control });
      assert.equal(bad.status, 400, `${query}: ${bad.text}`);
    }
    assert.equal((await call(`${p.url}/_emulator/status-batches/abc`, { headers: control })).status, 400);
    const missing = await call(`${p.url}/_emulator/status-batches/999999`, { headers: control });
    assert.equal(missing.status, 404);
    assert.equal((missing.json as ErrorItem[])[0]?.errorCode, 'StatusBatchNotFound');
  });

  it('refuses the run in the production profile (no control API)', async () => {
    const prod = await startTestPlatform({ env: { PROFILE: 'production', ALLOW_LOOPBACK_CALLBACKS: 'true' } });
    try {
      const r = await call(`${prod.url}/_emulator/status-batches/run`, { method: 'POST' });
      assert.equal(r.status, 404);
    } finally {
      await prod.close();
    }
  });
});

describe('the conditional ledger write (store/payment-ledger.ts)', () => {
  it('writes only a change from the ledger as it is, that keeps the money rules', async () => {
    const p = await startTestPlatform();
    try {
      const api = await PspApi.connect(p.url);
      const body = initBody({ amount: 20000 });
      assert.equal((await api.init(body)).status, 200);
      const payment = await reserveForTest(p, DEMO.pspId, String(body.pspTransactionId));
      const { db } = p.running.platform.store;
      const repo = new PaymentLedgerRepository(db);
      const now = iso(p.clock.now());
      const current = async (): Promise<Ledger> => {
        const loaded = (await repo.load(db, DEMO.pspId, [String(body.pspTransactionId)])).get(String(body.pspTransactionId));
        assert.ok(loaded);
        return loaded.ledger;
      };
      const l = await current();
      const refused: [string, Ledger, Ledger][] = [
        ['stale: the payment changed since it was read', { ...l, capturedOre: 1 }, { ...l, capturedOre: 5000 }],
        ['capture above the reserved amount', l, { ...l, capturedOre: 20001 }],
        ['refund above the captured amount', l, { ...l, capturedOre: 100, refundedOre: 101 }],
        ['a cancel of a fully captured payment', l, { ...l, capturedOre: 20000, cancelled: true }],
      ];
      const write = (before: Ledger, after: Ledger) => repo.write(db, [{ paymentId: payment.id, before, after }], now);
      for (const [what, before, after] of refused) {
        assert.deepEqual(await write(before, after), [payment.id], what);
        assert.deepEqual(await current(), l, what);
      }
      const captured = { ...l, capturedOre: 5000 };
      assert.deepEqual(await write(l, captured), []);
      assert.deepEqual(await current(), captured);
      assert.deepEqual(await write(captured, { ...l, capturedOre: 4000 }), [payment.id], 'nothing decreases');
      const cancelled = { ...captured, cancelled: true };
      assert.deepEqual(await write(captured, cancelled), []);
      assert.deepEqual(await write(cancelled, { ...cancelled, capturedOre: 6000 }), [payment.id], 'no capture after a cancel');
      assert.deepEqual(await write(cancelled, { ...cancelled, cancelled: false }), [payment.id], 'a cancel is one-way');
      assert.deepEqual(await current(), cancelled);
    } finally {
      await p.close();
    }
  });
});
