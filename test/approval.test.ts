import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sweepApprovals } from '../src/jobs/approval-sweep.js';
import { WalSync } from '../src/store/wal-sync.js';
import { luhnValid } from '../src/wallet/token-service.js';
import { pspSpec } from './helpers/openapi.js';
import {
  call,
  DEMO,
  initBody,
  OTHER_PSP,
  PspApi,
  type Reply,
  seedWithOtherPsp,
  startTestPlatform,
  type TestPlatform,
} from './helpers/platform.js';
import { failWith, gate, ok, PspStub, softDecline } from './helpers/psp-stub.js';

const spec = pspSpec();

interface PaymentView {
  state: string;
  failureReason: string | null;
  pspError: { errorId: string | null; errorText: string | null } | null;
  userMessage: string | null;
  url3dSecure: string | null;
  callbacks: {
    attemptNo: number;
    paymentState: string;
    outcome: string;
    httpStatus: number | null;
    latencyMs: number;
    error: string | null;
  }[];
  timeline: { type: string }[];
}

/** The control API, as a PSP developer's test would use it. */
function control(p: TestPlatform) {
  const headers = { 'Psp-Id': DEMO.pspId, 'Content-Type': 'application/json' };
  return {
    approve: (id: string, body: Record<string, unknown> = {}) =>
      call<PaymentView>(`${p.url}/_emulator/payments/${id}/approve`, { method: 'POST', headers, body: JSON.stringify(body) }),
    cancel: (id: string) => call<PaymentView>(`${p.url}/_emulator/payments/${id}/cancel`, { method: 'POST', headers }),
    payment: (id: string) => call<PaymentView>(`${p.url}/_emulator/payments/${id}`, { headers }),
    advance: (seconds: number) => call(`${p.url}/_emulator/clock/advance`, { method: 'POST', headers, body: JSON.stringify({ seconds }) }),
  };
}

describe('the approval engine', () => {
  let p: TestPlatform;
  let api: PspApi;
  let stub: PspStub;
  let ctl: ReturnType<typeof control>;
  before(async () => {
    stub = await PspStub.start();
    p = await startTestPlatform({ env: { CALLBACK_TIMEOUT_MS: '2000' } });
    api = await PspApi.connect(p.url);
    ctl = control(p);
  });
  after(async () => {
    await p.close();
    await stub.close();
  });

  const start = async (overrides: Record<string, unknown> = {}) => {
    const body = initBody({ makePaymentUrl: stub.url, customerMobileNumber: DEMO.user, ...overrides });
    const r = await api.init(body);
    assert.equal(r.status, 200, r.text);
    return { id: String(body.pspTransactionId), body, redirect: r.json.vippsRedirectUrl };
  };

  it('sends exactly the documented makePayment request and an OK makes the payment RESERVED', async () => {
    const { id, body } = await start({ amount: 12345 });
    const r = await ctl.approve(id);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.state, 'RESERVED');
    const [request, ...more] = stub.requestsFor(id);
    assert.equal(more.length, 0);
    assert.ok(request);
    assert.equal(request.headers.authorization, body.makePaymentToken);
    assert.match(String(request.headers['content-type']), /^application\/json/);
    spec.assertSchema('MakePaymentRequest', request.body, { strictAdditional: true });
    const b = request.body as {
      merchantSerialNumber: string;
      paymentState: string;
      paymentInstrument: string;
      binNumber: string;
      networkToken: { number: string; cryptogram: string; expiryMonth: string; expiryYear: string; tokenType: string; eci: string };
      operations: { url: string; operation: string }[];
    };
    assert.equal(b.merchantSerialNumber, DEMO.msn);
    assert.equal(b.paymentState, 'ACCEPTED');
    assert.equal(b.paymentInstrument, 'TOKEN');
    assert.equal(b.binNumber, '492556');
    assert.equal(b.networkToken.tokenType, 'VISA');
    assert.equal(b.networkToken.eci, '07');
    assert.ok(luhnValid(b.networkToken.number) && /^4\d{15}$/.test(b.networkToken.number));
    assert.deepEqual([b.networkToken.expiryMonth, b.networkToken.expiryYear], ['12', '2030']);
    assert.equal(Buffer.from(b.networkToken.cryptogram, 'base64').length, 20);
    assert.deepEqual(
      b.operations.map((o) => o.operation),
      ['3dssuccess', '3dscancel', '3dsfailure'],
    );
    for (const o of b.operations) assert.ok(o.url.startsWith(`${p.running.platform.publicUrl()}/mobileintercept?transactionId=`));

    const attempt = r.json.callbacks[0];
    assert.equal(attempt?.outcome, 'OK');
    assert.equal(attempt?.httpStatus, 200);
    assert.equal(typeof attempt?.latencyMs, 'number');

    const details = await api.details(id);
    spec.assertResponse('/v3/psppayments/{pspTransactionId}/details', 'get', 200, details.json);
    assert.deepEqual(details.json.transactionSummary, {
      capturedAmount: 0,
      remainingAmountToCapture: 12345,
      refundedAmount: 0,
      remainingAmountToRefund: 0,
    });
    assert.deepEqual(
      details.json.transactionLogHistory.map((e) => [e.operation, e.amount, e.operationSuccess]),
      [['RESERVED', 12345, true]],
    );
    assert.match(details.json.transactionLogHistory[0]?.timeStamp ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
  });

  it('uses the same network token for the same card and merchant, with a fresh cryptogram each time', async () => {
    const a = await start();
    const b = await start();
    await ctl.approve(a.id);
    await ctl.approve(b.id);
    const [ra] = stub.requestsFor(a.id);
    const [rb] = stub.requestsFor(b.id);
    const ta = ra?.body.networkToken as { number: string; cryptogram: string };
    const tb = rb?.body.networkToken as { number: string; cryptogram: string };
    assert.equal(ta.number, tb.number);
    assert.notEqual(ta.cryptogram, tb.cryptogram);
  });

  it('gives a Mastercard a 5-series token with ECI 06', async () => {
    const { id } = await start();
    await ctl.approve(id, { cardId: 'kari-mastercard' });
    const body = stub.requestsFor(id)[0]?.body as { binNumber: string; networkToken: { number: string; tokenType: string; eci: string } };
    assert.equal(body.networkToken.tokenType, 'MASTERCARD');
    assert.equal(body.networkToken.eci, '06');
    assert.match(body.networkToken.number, /^5\d{15}$/);
    assert.equal(body.binNumber, '522660');
  });

  const late = gate();
  const failureCases: [string, (id: string) => Parameters<PspStub['script']>[1], string][] = [
    ['FAIL with errorId 82 (number)', (id) => failWith(id, 82, 'Refused by Issuer'), 'FAIL'],
    ['FAIL with errorId "89" (string)', (id) => failWith(id, '89', 'Insufficient funds'), 'FAIL'],
    ['a 200 that is not JSON', () => ({ text: 'OK', contentType: 'text/plain' }), 'INVALID_RESPONSE'],
    ['a 500', (id) => ({ status: 500, body: { paymentInfo: { pspTransactionId: id, status: 'OK' } } }), 'HTTP_ERROR'],
    // The answer is held until the test has seen the outcome: it comes after the deadline, whatever the machine's speed.
    ['an answer after the (shortened) deadline', (id) => ({ ...ok(id), gate: late.promise }), 'TIMEOUT'],
  ];
  for (const [name, answer, outcome] of failureCases) {
    it(`ends failed on ${name}, with the attempt recorded and no second call`, async () => {
      const { id } = await start();
      stub.script(id, answer(id));
      const r = await ctl.approve(id);
      assert.equal(r.json.state, 'FAILED');
      assert.equal(r.json.callbacks.length, 1);
      assert.equal(r.json.callbacks[0]?.outcome, outcome);
      assert.ok(r.json.userMessage);
      if (outcome === 'TIMEOUT') {
        late.open(); // the late answer is sent now: nothing changes
        await p.running.platform.idle();
        assert.equal((await ctl.payment(id)).json.state, 'FAILED');
      }
      if (outcome === 'FAIL') {
        assert.ok(r.json.pspError?.errorId === '82' || r.json.pspError?.errorId === '89');
        assert.ok(r.json.pspError?.errorText);
      }
      assert.equal(stub.requestsFor(id).length, 1);
      const details = await api.details(id);
      assert.deepEqual(
        details.json.transactionLogHistory.map((e) => [e.operation, e.operationSuccess]),
        [['RESERVED', false]],
      );
      assert.equal(details.json.transactionSummary.remainingAmountToCapture, 0);
    });
  }

  it('ends failed when the PSP refuses the connection', async () => {
    const closed = await PspStub.start();
    const url = closed.url;
    await closed.close();
    const { id } = await start({ makePaymentUrl: url });
    const r = await ctl.approve(id);
    assert.equal(r.json.state, 'FAILED');
    assert.equal(r.json.callbacks[0]?.outcome, 'CONNECTION_ERROR');
    assert.ok(r.json.callbacks[0]?.error);
  });

  it('does not follow a redirect: a 302 ends failed as HTTP_ERROR and nothing is sent to the Location', async () => {
    const elsewhere = await PspStub.start();
    try {
      const { id } = await start();
      stub.script(id, { status: 302, headers: { location: elsewhere.url }, body: { paymentInfo: { pspTransactionId: id, status: 'OK' } } });
      const r = await ctl.approve(id);
      assert.equal(r.json.state, 'FAILED');
      assert.equal(r.json.callbacks.length, 1);
      assert.equal(r.json.callbacks[0]?.outcome, 'HTTP_ERROR');
      assert.equal(r.json.callbacks[0]?.httpStatus, 302);
      assert.match(r.json.failureReason ?? '', /HTTP 302/);
      assert.equal(stub.requestsFor(id).length, 1);
      await p.running.platform.idle();
      assert.equal(elsewhere.requests.length, 0, 'the Location was requested');
    } finally {
      await elsewhere.close();
    }
  });

  it('runs the 3-D Secure loop: SOFT_DECLINE → 3dssuccess → a second call with another cryptogram → OK → RESERVED', async () => {
    const { id } = await start();
    stub.script(id, softDecline(id, 'http://127.0.0.1:9/3ds-page'), ok(id));
    const first = await ctl.approve(id);
    assert.equal(first.json.state, 'AWAITING_3DS');
    assert.equal(first.json.url3dSecure, 'http://127.0.0.1:9/3ds-page');
    const [r1] = stub.requestsFor(id);
    const ops = r1?.body.operations as { url: string; operation: string }[];
    const success = ops.find((o) => o.operation === '3dssuccess')?.url ?? '';
    assert.match(success, /responsecode=OK$/);
    const page = await call(success);
    assert.equal(page.status, 200);
    assert.match(page.text, /Payment approved/);
    const after = await ctl.payment(id);
    assert.equal(after.json.state, 'RESERVED');
    const requests = stub.requestsFor(id);
    assert.equal(requests.length, 2);
    const cryptograms = requests.map((r) => (r.body.networkToken as { cryptogram: string }).cryptogram);
    const [c1, c2] = cryptograms;
    assert.notEqual(c1, c2);
    assert.equal(requests[1]?.body.paymentState, 'ACCEPTED');
    // A repeated hit on the return URL changes nothing.
    await call(success);
    assert.equal(stub.requestsFor(id).length, 2);
  });

  it('treats a second SOFT_DECLINE as a failure (errorId 94 semantics)', async () => {
    const { id } = await start();
    stub.script(id, softDecline(id, 'http://127.0.0.1:9/3ds'), softDecline(id, 'http://127.0.0.1:9/3ds'));
    await ctl.approve(id);
    const ops = stub.requestsFor(id)[0]?.body.operations as { url: string; operation: string }[];
    await call(ops[0]?.url ?? '');
    const r = await ctl.payment(id);
    assert.equal(r.json.state, 'FAILED');
    assert.equal(r.json.pspError?.errorId, '1036');
    assert.match(r.json.failureReason ?? '', /second SOFT_DECLINE/);
  });

  it('ends as a user cancel on 3dscancel (with a USER_CANCEL callback) and as a failure on 3dsfailure (no callback)', async () => {
    const a = await start();
    stub.script(a.id, softDecline(a.id, 'http://127.0.0.1:9/3ds'));
    await ctl.approve(a.id);
    const opsA = stub.requestsFor(a.id)[0]?.body.operations as { url: string; operation: string }[];
    await call(opsA.find((o) => o.operation === '3dscancel')?.url ?? '');
    assert.equal((await ctl.payment(a.id)).json.state, 'USER_CANCELLED');
    assert.deepEqual(
      stub.requestsFor(a.id).map((r) => r.body.paymentState),
      ['ACCEPTED', 'USER_CANCEL'],
    );

    const b = await start();
    stub.script(b.id, softDecline(b.id, 'http://127.0.0.1:9/3ds'));
    await ctl.approve(b.id);
    const opsB = stub.requestsFor(b.id)[0]?.body.operations as { url: string; operation: string }[];
    await call(opsB.find((o) => o.operation === '3dsfailure')?.url ?? '');
    const rb = await ctl.payment(b.id);
    assert.equal(rb.json.state, 'FAILED');
    assert.match(rb.json.failureReason ?? '', /3-D Secure failed/);
    assert.equal(stub.requestsFor(b.id).length, 1);
  });

  it('sends USER_CANCEL without card fields when the user cancels', async () => {
    const { id } = await start();
    const r = await ctl.cancel(id);
    assert.equal(r.json.state, 'USER_CANCELLED');
    const [req, ...more] = stub.requestsFor(id);
    assert.equal(more.length, 0);
    assert.deepEqual(req?.body, { pspTransactionId: id, merchantSerialNumber: DEMO.msn, paymentState: 'USER_CANCEL' });
    const details = await api.details(id);
    assert.deepEqual(
      details.json.transactionLogHistory.map((e) => [e.operation, e.operationSuccess]),
      [['CANCELLED', true]],
    );
    assert.equal((await ctl.cancel(id)).status, 409);
    assert.equal((await ctl.approve(id)).status, 409);
  });

  it('answers a cancel only once the PSP has the USER_CANCEL, even when a sweep reads the outbox during the commit', async () => {
    const { platform } = p.running;
    // A slow disk: every group commit's sync takes 30 ms, the window in which other reads on the
    // one connection already see the committed-but-not-synced USER_CANCEL attempt.
    const realSync = WalSync.prototype.sync;
    WalSync.prototype.sync = async function (this: WalSync) {
      await new Promise((resolve) => setTimeout(resolve, 30));
      return realSync.call(this);
    };
    try {
      for (let i = 0; i < 5; i++) {
        const { id } = await start();
        // A sweep commits first (its sync takes 30 ms); the cancel commits 5 ms later, in the next
        // group, so the sweep reads the outbox while the cancel waits for its own sync.
        const sweep = platform.scheduler.runDue();
        await new Promise((resolve) => setTimeout(resolve, 5));
        try {
          const result = await platform.userActions.cancel(await paymentId(p, id), 'test');
          assert.equal(result.outcome, 'OK', 'the cancel made the USER_CANCEL call itself');
          assert.equal(stub.requestsFor(id).length, 1, 'the PSP had the USER_CANCEL when the cancel answered');
        } finally {
          await sweep;
        }
        assert.equal(stub.requestsFor(id).length, 1);
      }
    } finally {
      WalSync.prototype.sync = realSync;
    }
  });

  it('sends exactly one TIMEOUT callback when the clock passes 10 minutes', async () => {
    const { id } = await start();
    const pending = await start();
    await ctl.advance(299);
    assert.equal((await ctl.payment(id)).json.state, 'INITIATED');
    await ctl.advance(301);
    assert.equal((await ctl.payment(id)).json.state, 'EXPIRED');
    await ctl.advance(600);
    const requests = stub.requestsFor(id);
    assert.deepEqual(
      requests.map((r) => r.body),
      [{ pspTransactionId: id, merchantSerialNumber: DEMO.msn, paymentState: 'TIMEOUT' }],
    );
    assert.equal(requests[0]?.headers.authorization, initBody().makePaymentToken);
    assert.equal(stub.requestsFor(pending.id).length, 1);
  });

  it('gives the user 5 minutes in the app after the push, within 10 minutes in all', async () => {
    const { id } = await start();
    await ctl.advance(240);
    await p.running.platform.userActions.identifyUser(await paymentId(p, id), DEMO.user); // the landing page's "Next"
    await ctl.advance(240); // 8 minutes after init, 4 after the push: still waiting
    assert.equal((await ctl.payment(id)).json.state, 'AWAITING_USER');
    await ctl.advance(61);
    assert.equal((await ctl.payment(id)).json.state, 'EXPIRED');
    assert.deepEqual(
      stub.requestsFor(id).map((r) => r.body.paymentState),
      ['TIMEOUT'],
    );
  });

  it('caps the 3-D Secure wait at the payment’s 10 minutes in all: a soft decline at minute 8 expires at minute 10', async () => {
    const { id } = await start();
    stub.script(id, softDecline(id, 'http://127.0.0.1:9/3ds'));
    await ctl.advance(240);
    await p.running.platform.userActions.identifyUser(await paymentId(p, id), DEMO.user);
    await ctl.advance(240); // minute 8
    const declined = await ctl.approve(id);
    assert.equal(declined.json.state, 'AWAITING_3DS');
    const view = declined.json as PaymentView & { createdAt: string; dueAt: string };
    assert.equal(Date.parse(view.dueAt), Date.parse(view.createdAt) + 600_000);
    await ctl.advance(115);
    assert.equal((await ctl.payment(id)).json.state, 'AWAITING_3DS');
    await ctl.advance(10); // past minute 10, well before 5 minutes after the soft decline
    assert.equal((await ctl.payment(id)).json.state, 'EXPIRED');
    assert.deepEqual(
      stub.requestsFor(id).map((r) => r.body.paymentState),
      ['ACCEPTED', 'TIMEOUT'],
    );
  });

  it('gives the documented token for the magic amount 3200 and no ACCEPTED callback for 3100', async () => {
    const { id } = await start({ amount: 3200 });
    await ctl.approve(id, { cardId: 'kari-mastercard' });
    const body = stub.requestsFor(id)[0]?.body as { networkToken: Record<string, string> };
    assert.deepEqual(body.networkToken, {
      number: '4111111111111111',
      cryptogram: 'uxToh3Ep6gsR8AAkvZALN19Iz34=',
      expiryMonth: '03',
      expiryYear: '2030',
      tokenType: 'VISA',
      eci: '07',
    });

    const notEligible = await start({ amount: 3100 });
    const r = await ctl.approve(notEligible.id);
    assert.equal(r.status, 400);
    assert.deepEqual(
      (r.json as unknown as { errorCode: string; errorMessage: string }[]).map((e) => [e.errorCode, e.errorMessage]),
      [['CardNotEligible', 'Card not eligible']],
    );
    assert.equal(stub.requestsFor(notEligible.id).length, 0);
    assert.equal((await ctl.payment(notEligible.id)).json.state, 'INITIATED');
  });

  it('keeps binNumber, tokenType and ECI of one scheme for a magic amount: 2200 with a Visa card sends the Mastercard token’s BIN', async () => {
    const { id } = await start({ amount: 2200 });
    const r = await ctl.approve(id, { cardId: 'kari-visa' });
    assert.equal(r.json.state, 'RESERVED');
    const [request] = stub.requestsFor(id);
    spec.assertSchema('MakePaymentRequest', request?.body, { strictAdditional: true });
    const body = request?.body as { binNumber: string; networkToken: Record<string, string> };
    assert.deepEqual(
      [body.binNumber, body.networkToken.number, body.networkToken.tokenType, body.networkToken.eci],
      ['522660', '5226603115488031', 'MASTERCARD', '06'],
    );
    assert.deepEqual((r.json.callbacks[0] as unknown as { networkToken: unknown }).networkToken, {
      tokenType: 'MASTERCARD',
      last4: '8031',
      bin: '522660',
      eci: '06',
    });
  });

  it('sends the documented cryptogram of a magic amount on the first call only: the 3-D Secure resend gets a fresh one', async () => {
    const { id } = await start({ amount: 3200 });
    stub.script(id, softDecline(id, 'http://127.0.0.1:9/3ds'), ok(id));
    assert.equal((await ctl.approve(id)).json.state, 'AWAITING_3DS');
    const ops = stub.requestsFor(id)[0]?.body.operations as { url: string; operation: string }[];
    await call(ops.find((o) => o.operation === '3dssuccess')?.url ?? '');
    assert.equal((await ctl.payment(id)).json.state, 'RESERVED');
    const tokens = stub.requestsFor(id).map((r) => r.body.networkToken as { number: string; cryptogram: string });
    assert.equal(tokens.length, 2);
    assert.deepEqual(
      tokens.map((t) => t.number),
      ['4111111111111111', '4111111111111111'],
    );
    assert.equal(tokens[0]?.cryptogram, 'uxToh3Ep6gsR8AAkvZALN19Iz34=');
    assert.notEqual(tokens[1]?.cryptogram, tokens[0]?.cryptogram);
    assert.equal(Buffer.from(tokens[1]?.cryptogram ?? '', 'base64').length, 20);
    // Another payment of the same magic amount: its first call carries the documented value again.
    const again = await start({ amount: 3200 });
    await ctl.approve(again.id);
    const againToken = stub.requestsFor(again.id)[0]?.body.networkToken as { cryptogram: string } | undefined;
    assert.equal(againToken?.cryptogram, 'uxToh3Ep6gsR8AAkvZALN19Iz34=');
  });

  it('refuses an expired card and a card that is not token-eligible (demo users 94567890, 95678901): 400 CardNotUsable, no call', async () => {
    const refused = [['CardNotUsable', 'The card is expired or cannot be used for payments']];
    for (const [phoneNumber, cardId] of [
      ['94567890', 'eva-visa-expired'],
      ['95678901', 'nils-mastercard'],
    ] as const) {
      const { id } = await start({ customerMobileNumber: phoneNumber });
      for (const body of [{}, { cardId }, { phoneNumber, cardId }]) {
        const r = await ctl.approve(id, body);
        assert.equal(r.status, 400, `${phoneNumber} ${JSON.stringify(body)}: ${r.text}`);
        assert.deepEqual(
          (r.json as unknown as { errorCode: string; errorMessage: string }[]).map((e) => [e.errorCode, e.errorMessage]),
          refused,
        );
      }
      // The engine itself, as the app calls it.
      await assert.rejects(p.running.platform.userActions.approve(await paymentId(p, id), { phoneNumber }), { key: 'CARD_NOT_USABLE' });
      assert.equal(stub.requestsFor(id).length, 0);
      assert.equal((await ctl.payment(id)).json.state, 'INITIATED');
    }
  });

  it('shows a timed-out payment in details as a failed reservation with a zero summary (docs/approval-engine.md)', async () => {
    const { id } = await start({ amount: 23456 });
    await ctl.advance(600);
    assert.equal((await ctl.payment(id)).json.state, 'EXPIRED');
    const details = await api.details(id);
    assert.equal(details.status, 200);
    spec.assertResponse('/v3/psppayments/{pspTransactionId}/details', 'get', 200, details.json);
    assert.deepEqual(
      details.json.transactionLogHistory.map((e) => [e.operation, e.amount, e.operationSuccess]),
      [['RESERVED', 23456, false]],
    );
    assert.deepEqual(details.json.transactionSummary, {
      capturedAmount: 0,
      remainingAmountToCapture: 0,
      refundedAmount: 0,
      remainingAmountToRefund: 0,
    });
  });

  it('gives the same neutral answer for an unknown number, a user under 15 and a blocked user', async () => {
    await call(`${p.url}/_emulator/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        phoneNumber: '92345678',
        name: 'Ola Liten',
        birthDate: '2016-06-01',
        cards: [{ id: 'ola-card', brand: 'VISA', type: 'DEBIT', bin: '492556', last4: '1111', expiryMonth: '01', expiryYear: '2031' }],
      }),
    });
    await call(`${p.url}/_emulator/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ phoneNumber: '93456789', name: 'Per Sperret', birthDate: '1980-01-01', status: 'BLOCKED', cards: [] }),
    });
    const answers = [];
    for (const phoneNumber of ['90000000', '92345678', '93456789']) {
      const { id } = await start();
      const r = await ctl.approve(id, { phoneNumber });
      answers.push([
        r.status,
        (r.json as unknown as { errorCode: string; errorMessage: string }[]).map((e) => [e.errorCode, e.errorMessage]),
      ]);
      assert.equal(stub.requestsFor(id).length, 0);
    }
    assert.deepEqual(answers, Array(3).fill([400, [['81', 'User not registered with Vipps']]]));
  });

  it('adds a test user through the control API who can then pay', async () => {
    const r = await call(`${p.url}/_emulator/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        phoneNumber: '98765432',
        name: 'Nora Ny',
        birthDate: '2000-02-02',
        cards: [
          { id: 'nora-mc', brand: 'MASTERCARD', type: 'CREDIT', bin: '522660', last4: '4444', expiryMonth: '10', expiryYear: '2032' },
        ],
      }),
    });
    assert.equal(r.status, 201, r.text);
    const { id } = await start({ customerMobileNumber: '98765432' });
    assert.equal((await ctl.approve(id)).json.state, 'RESERVED');
    const bad = await call(`${p.url}/_emulator/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ phoneNumber: '123', name: 'X', birthDate: '2000-01-01' }),
    });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /phoneNumber/);
  });

  it('force approves with the token of vippsRedirectUrl and answers after the outcome', async () => {
    const { id, redirect } = await start();
    const token = new URL(redirect).searchParams.get('token') ?? '';
    const wrong = await api.post(`/psp/v3/integration-test/psppayments/${id}/approve`, { customerPhoneNumber: DEMO.user, token: 'x.y.z' });
    assert.equal(wrong.status, 400);
    const r = await api.post(`/psp/v3/integration-test/psppayments/${id}/approve`, { customerPhoneNumber: DEMO.user, token });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.text, '');
    assert.equal((await ctl.payment(id)).json.state, 'RESERVED');
    assert.equal(stub.requestsFor(id).length, 1);
  });

  it('force approves magic amounts: 3100 answers 400 CardNotEligible with no ACCEPTED call, 3200 sends the documented token', async () => {
    const forceApprove = (id: string, redirect: string) =>
      api.post(`/psp/v3/integration-test/psppayments/${id}/approve`, {
        customerPhoneNumber: DEMO.user,
        token: new URL(redirect).searchParams.get('token') ?? '',
      });
    const notEligible = await start({ amount: 3100 });
    const refused = await forceApprove(notEligible.id, notEligible.redirect);
    assert.equal(refused.status, 400, refused.text);
    assert.deepEqual(
      (refused.json as { errorCode: string; errorMessage: string }[]).map((e) => [e.errorCode, e.errorMessage]),
      [['CardNotEligible', 'Card not eligible']],
    );
    assert.equal(stub.requestsFor(notEligible.id).length, 0);
    assert.equal((await ctl.payment(notEligible.id)).json.state, 'INITIATED');

    const magic = await start({ amount: 3200 });
    const r = await forceApprove(magic.id, magic.redirect);
    assert.equal(r.status, 200, r.text);
    const [request, ...more] = stub.requestsFor(magic.id);
    assert.equal(more.length, 0);
    spec.assertSchema('MakePaymentRequest', request?.body, { strictAdditional: true });
    const body = request?.body as { binNumber: string; networkToken: Record<string, string> };
    assert.equal(body.binNumber, '411111');
    assert.deepEqual(body.networkToken, {
      number: '4111111111111111',
      cryptogram: 'uxToh3Ep6gsR8AAkvZALN19Iz34=',
      expiryMonth: '03',
      expiryYear: '2030',
      tokenType: 'VISA',
      eci: '07',
    });
    assert.equal((await ctl.payment(magic.id)).json.state, 'RESERVED');
  });
});

async function paymentId(p: TestPlatform, pspTransactionId: string): Promise<string> {
  const payment = await p.running.platform.repos.payments.findByPspTransactionId(DEMO.pspId, pspTransactionId);
  return payment?.id ?? '';
}

describe('races on one payment', () => {
  it('resolves 100 concurrent approve / cancel / expire / second-approve races to one outcome and at most one ACCEPTED call each', async () => {
    const stub = await PspStub.start();
    const p = await startTestPlatform();
    try {
      const api = await PspApi.connect(p.url);
      const ids: string[] = [];
      for (let i = 0; i < 100; i++) {
        // A third of the payments will be due when the races start: the sweep races the user there.
        if (i === 34) p.clock.advance(200_000);
        const body = initBody({ makePaymentUrl: stub.url, customerMobileNumber: DEMO.user });
        assert.equal((await api.init(body)).status, 200);
        ids.push(String(body.pspTransactionId));
      }
      p.clock.advance(101_000);
      const ctl = control(p);
      const sweepSoon = new Promise<void>((resolve) => setTimeout(() => void p.running.platform.scheduler.runDue().then(resolve), 5));
      await Promise.all([
        sweepSoon,
        ...ids.flatMap((id, i) => {
          const actions = [() => ctl.approve(id), () => ctl.cancel(id), () => ctl.approve(id)];
          if (i % 2) actions.reverse();
          return actions.map((a) => a());
        }),
      ]);
      await p.running.platform.scheduler.runDue();
      const states = new Map<string, number>();
      for (const id of ids) {
        const view = (await ctl.payment(id)).json;
        states.set(view.state, (states.get(view.state) ?? 0) + 1);
        assert.ok(['RESERVED', 'USER_CANCELLED', 'EXPIRED'].includes(view.state), view.state);
        const requests = stub.requestsFor(id);
        assert.equal(requests.filter((r) => r.body.paymentState === 'ACCEPTED').length <= 1, true);
        assert.equal(requests.length, 1, `${id}: exactly one callback`);
        const expected = { RESERVED: 'ACCEPTED', USER_CANCELLED: 'USER_CANCEL', EXPIRED: 'TIMEOUT' }[view.state];
        assert.equal(requests[0]?.body.paymentState, expected);
      }
      assert.ok(states.size >= 2, `the races had more than one winner kind: ${JSON.stringify([...states])}`);
    } finally {
      await p.close();
      await stub.close();
    }
  });
});

describe('restart', () => {
  it('sends the TIMEOUT for a payment that came due while the platform was down', async () => {
    const stub = await PspStub.start();
    let p = await startTestPlatform();
    try {
      const api = await PspApi.connect(p.url);
      const body = initBody({ makePaymentUrl: stub.url });
      assert.equal((await api.init(body)).status, 200);
      await p.running.close();
      p.clock.advance(700_000);
      p = await p.restart();
      await p.running.platform.scheduler.runDue();
      assert.deepEqual(
        stub.requestsFor(String(body.pspTransactionId)).map((r) => r.body.paymentState),
        ['TIMEOUT'],
      );
    } finally {
      await p.close();
      await stub.close();
    }
  });
});

describe('the due time is part of the guard (no sweep runs)', () => {
  // SWEEP_INTERVAL_MS at its maximum and the clock moved directly (not through the control API):
  // nothing expires the payments unless a user action meets them after their due time.
  let p: TestPlatform;
  let api: PspApi;
  let stub: PspStub;
  let ctl: ReturnType<typeof control>;
  before(async () => {
    stub = await PspStub.start();
    p = await startTestPlatform({ env: { SWEEP_INTERVAL_MS: '60000' } });
    api = await PspApi.connect(p.url);
    ctl = control(p);
  });
  after(async () => {
    await p.close();
    await stub.close();
  });
  const start = async () => {
    const body = initBody({ makePaymentUrl: stub.url, customerMobileNumber: DEMO.user });
    assert.equal((await api.init(body)).status, 200);
    return String(body.pspTransactionId);
  };
  const errorOf = (r: { status: number; json: unknown }) => [
    r.status,
    (r.json as { errorCode: string; errorMessage: string }[]).map((e) => [e.errorCode, e.errorMessage]),
  ];
  const callbacksOf = async (id: string) =>
    ((await ctl.payment(id)).json.callbacks as (PaymentView['callbacks'][number] & { status: string })[]).map((c) => [
      c.paymentState,
      c.status,
    ]);

  it('refuses in SQL: a user transition after the due time writes nothing, an expiry before it neither', async () => {
    const id = await start();
    const paymentRow = await p.running.platform.repos.payments.findByPspTransactionId(DEMO.pspId, id);
    assert.ok(paymentRow?.dueAt);
    const { db } = p.running.platform.store;
    const due = Date.parse(paymentRow.dueAt);
    const { payments } = p.running.platform.repos;
    const at = (ms: number) => new Date(ms).toISOString();
    assert.equal(await payments.transition(db, paymentRow.id, 'expire', at(due - 1), { userMessage: 'expired' }), null);
    assert.equal(
      await payments.transition(db, paymentRow.id, 'confirm', at(due), {
        userPhone: DEMO.user,
        cardId: 'kari-visa',
        dueAt: at(due + 60_000),
      }),
      null,
    );
    assert.equal(await payments.transition(db, paymentRow.id, 'cancelByUser', at(due + 1), { userMessage: 'cancelled' }), null);
    assert.equal(
      await payments.transition(db, paymentRow.id, 'identifyUser', at(due + 1), { userPhone: DEMO.user, dueAt: at(due + 60_000) }),
      null,
    );
    assert.equal((await payments.findById(paymentRow.id))?.state, 'INITIATED');
  });

  it('answers an approve 1 s after the due time as for an expired payment, expires it and sends the TIMEOUT (no ACCEPTED call)', async () => {
    // The reference: a payment the sweep has expired.
    const expiredId = await start();
    p.clock.advance(301_000);
    await p.running.platform.scheduler.runDue();
    const reference = errorOf(await ctl.approve(expiredId));
    assert.equal((await ctl.payment(expiredId)).json.state, 'EXPIRED');

    const overdueId = await start();
    p.clock.advance(301_000); // no sweep, and nobody reads it before the approve
    const r = await ctl.approve(overdueId);
    assert.deepEqual(errorOf(r), reference);
    assert.deepEqual(reference, [409, [['PaymentNotPending', 'The payment is not waiting for the user: state EXPIRED']]]);
    assert.equal((await ctl.payment(overdueId)).json.state, 'EXPIRED');
    assert.deepEqual(await callbacksOf(overdueId), [['TIMEOUT', 'DONE']]);
    assert.deepEqual(
      stub.requestsFor(overdueId).map((q) => q.body.paymentState),
      ['TIMEOUT'],
    );
    // The next sweep finds nothing more to do for it.
    await p.running.platform.scheduler.runDue();
    assert.equal(stub.requestsFor(overdueId).length, 1);
  });

  it('reads EXPIRED from the due time on, before any sweep (details, control API); the next sweep sends the one TIMEOUT', async () => {
    const id = await start();
    const before = await api.details(id);
    assert.deepEqual(before.json.transactionLogHistory, []);
    p.clock.advance(300_000 - 1_000);
    assert.equal((await ctl.payment(id)).json.state, 'INITIATED', 'a second before its due time it still waits');
    p.clock.advance(1_000); // the due time itself; no sweep has run
    const details = await api.details(id);
    assert.equal(details.status, 200);
    assert.deepEqual(
      details.json.transactionLogHistory.map((e) => [e.operation, e.operationSuccess, e.amount]),
      [['RESERVED', false, 49900]],
    );
    assert.equal((await ctl.payment(id)).json.state, 'EXPIRED');
    // The read made no outbound call: the TIMEOUT waits in the outbox for the sweep.
    assert.deepEqual(await callbacksOf(id), [['TIMEOUT', 'PENDING']]);
    assert.equal(stub.requestsFor(id).length, 0);
    assert.deepEqual(errorOf(await ctl.approve(id)), [
      409,
      [['PaymentNotPending', 'The payment is not waiting for the user: state EXPIRED']],
    ]);
    await p.running.platform.scheduler.runDue();
    assert.deepEqual(
      stub.requestsFor(id).map((q) => q.body.paymentState),
      ['TIMEOUT'],
    );
    assert.deepEqual(await callbacksOf(id), [['TIMEOUT', 'DONE']]);
    await p.running.platform.scheduler.runDue();
    assert.equal(stub.requestsFor(id).length, 1);
  });

  it('answers a cancel after the due time as for an expired payment: TIMEOUT, not USER_CANCEL', async () => {
    const id = await start();
    p.clock.advance(301_000);
    const r = await ctl.cancel(id);
    assert.deepEqual(errorOf(r), [409, [['PaymentNotPending', 'The payment is not waiting for the user: state EXPIRED']]]);
    assert.deepEqual(
      stub.requestsFor(id).map((q) => q.body.paymentState),
      ['TIMEOUT'],
    );
  });

  it('refuses to identify the user (landing page phone number, app deeplink) after the due time', async () => {
    const initiated = await start();
    const pushed = await start();
    const { userActions: engine, repos } = p.running.platform;
    const paymentIdOf = async (id: string) => (await repos.payments.findByPspTransactionId(DEMO.pspId, id))?.id ?? '';
    await engine.identifyUser(await paymentIdOf(pushed), DEMO.user);
    p.clock.advance(301_000);
    for (const id of [initiated, pushed]) {
      await assert.rejects(engine.identifyUser(await paymentIdOf(id), DEMO.user), { key: 'PAYMENT_NOT_PENDING' });
      assert.equal((await ctl.payment(id)).json.state, 'EXPIRED');
      assert.deepEqual(
        stub.requestsFor(id).map((q) => q.body.paymentState),
        ['TIMEOUT'],
      );
    }
  });

  it('does not resend makePayment when the 3-D Secure return comes after the due time: the payment expires', async () => {
    const id = await start();
    stub.script(id, softDecline(id, 'http://127.0.0.1:9/3ds'), ok(id));
    assert.equal((await ctl.approve(id)).json.state, 'AWAITING_3DS');
    p.clock.advance(301_000);
    const ops = stub.requestsFor(id)[0]?.body.operations as { url: string; operation: string }[];
    const page = await call(ops.find((o) => o.operation === '3dssuccess')?.url ?? '');
    assert.equal(page.status, 200);
    assert.match(page.text, /expired/);
    assert.equal((await ctl.payment(id)).json.state, 'EXPIRED');
    assert.deepEqual(
      stub.requestsFor(id).map((q) => q.body.paymentState),
      ['ACCEPTED', 'TIMEOUT'],
    );
  });
});

describe('the MSN in makePayment (psp-v3.yaml MakePaymentRequest: merchantSerialNumber ^\\d{6}$)', () => {
  it('sends a sales unit created through the Merchant API a 6-digit MSN that fits the schema; a seeded 10- or 5-digit MSN verbatim', async () => {
    const stub = await PspStub.start();
    const seed = seedWithOtherPsp();
    const shop = seed.merchants[0];
    assert.ok(shop);
    for (const msn of ['1234567890', '12345']) seed.merchants.push({ ...shop, merchantSerialNumber: msn, name: `Shop ${msn}` });
    const p = await startTestPlatform({ seed });
    try {
      const token = (await PspApi.connect(p.url)).token;
      const created = await call<{ merchantSerialNumber: string }>(`${p.url}/merchant-management/psp/v1/merchants`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${token}`,
          'Ocp-Apim-Subscription-Key': DEMO.subscriptionKey,
          'Content-Type': 'application/json',
          'Idempotency-Key': `msn-${Date.now()}`,
        },
        body: JSON.stringify({
          name: 'Merchant API Shop',
          address: { addressLine1: 'Robert Levins gate 5', city: 'Oslo', country: 'NO', postCode: '0154' },
          logo: '',
          organizationNumber: '918130047',
          companyName: 'Vipps Teknologi AS',
          companyEmail: 'developer@vippsmobilepay.com',
          mccCode: '5411',
          email: 'developer@vippsmobilepay.com',
          website: 'https://vipps.com',
        }),
      });
      assert.equal(created.status, 200, created.text);
      const bodies = new Map<string, Record<string, unknown>>();
      for (const msn of [created.json.merchantSerialNumber, '1234567890', '12345']) {
        const api = new PspApi(p.url, token, { ...DEMO, msn });
        const body = initBody({ makePaymentUrl: stub.url, customerMobileNumber: DEMO.user });
        const init = await api.init(body);
        assert.equal(init.status, 200, init.text);
        const id = String(body.pspTransactionId);
        const r = await call<PaymentView>(`${p.url}/_emulator/payments/${id}/approve`, {
          method: 'POST',
          headers: { 'Psp-Id': DEMO.pspId, 'Content-Type': 'application/json' },
          body: '{}',
        });
        assert.equal(r.json.state, 'RESERVED', r.text);
        bodies.set(msn, stub.requestsFor(id)[0]?.body ?? {});
      }
      // Generated MSNs are 6 digits: the request is exactly the schema.
      spec.assertSchema('MakePaymentRequest', bodies.get(created.json.merchantSerialNumber), { strictAdditional: true });
      // Seeded MSNs of other widths are sent as they are (docs/differences.md): only that field breaks the pattern.
      for (const msn of ['1234567890', '12345']) {
        const body = bodies.get(msn) ?? {};
        assert.equal(body.merchantSerialNumber, msn);
        assert.throws(() => spec.assertSchema('MakePaymentRequest', body), /merchantSerialNumber/);
        spec.assertSchema('MakePaymentRequest', { ...body, merchantSerialNumber: '123456' }, { strictAdditional: true });
      }
    } finally {
      await p.close();
      await stub.close();
    }
  });
});

describe('force approve refusals (§2.10: 400, never 404 or 409)', () => {
  it('answers 400 code 35 alike for an unknown id and another PSP’s payment, and 400 code 51 for a payment no longer pending', async () => {
    const stub = await PspStub.start();
    const p = await startTestPlatform({ seed: seedWithOtherPsp() });
    try {
      const api = await PspApi.connect(p.url);
      const other = await PspApi.connect(p.url, OTHER_PSP);
      const forceApprove = (id: string, token: string) =>
        api.post<{ errorCode: string; errorMessage: string; contextId: string }[]>(`/psp/v3/integration-test/psppayments/${id}/approve`, {
          customerPhoneNumber: DEMO.user,
          token,
        });
      const errors = (r: Reply<{ errorCode: string; errorMessage: string; contextId: string }[]>) => {
        assert.equal(r.status, 400, r.text);
        assert.match(String(r.headers.get('content-type')), /^application\/json/);
        assert.ok(Array.isArray(r.json) && r.json.length === 1);
        assert.match(r.json[0]?.contextId ?? '', /\S/);
        return r.json.map((e) => [e.errorCode, e.errorMessage]);
      };

      const foreignBody = initBody({ makePaymentUrl: stub.url, customerMobileNumber: DEMO.user });
      const foreignInit = await other.init(foreignBody);
      assert.equal(foreignInit.status, 200, foreignInit.text);
      const foreignToken = new URL(foreignInit.json.vippsRedirectUrl).searchParams.get('token') ?? '';
      const foreign = errors(await forceApprove(String(foreignBody.pspTransactionId), foreignToken));
      const unknown = errors(await forceApprove('unknown-payment-1', foreignToken));
      assert.deepEqual(foreign, [['35', 'Requested Order not found']]);
      assert.deepEqual(unknown, foreign);
      assert.equal(stub.requests.length, 0);

      const mine = initBody({ makePaymentUrl: stub.url, customerMobileNumber: DEMO.user });
      const init = await api.init(mine);
      const token = new URL(init.json.vippsRedirectUrl).searchParams.get('token') ?? '';
      const id = String(mine.pspTransactionId);
      assert.equal((await forceApprove(id, token)).status, 200);
      const notPending = [['51', 'Invalid request: the payment is not waiting for approval']];
      assert.deepEqual(errors(await forceApprove(id, token)), notPending);
      assert.equal(stub.requestsFor(id).length, 1);

      const cancelled = initBody({ makePaymentUrl: stub.url, customerMobileNumber: DEMO.user });
      const cancelledInit = await api.init(cancelled);
      const cancelledId = String(cancelled.pspTransactionId);
      const headers = { 'Psp-Id': DEMO.pspId };
      assert.equal((await call(`${p.url}/_emulator/payments/${cancelledId}/cancel`, { method: 'POST', headers })).status, 200);
      const cancelledToken = new URL(cancelledInit.json.vippsRedirectUrl).searchParams.get('token') ?? '';
      assert.deepEqual(errors(await forceApprove(cancelledId, cancelledToken)), notPending);
      assert.deepEqual(
        stub.requestsFor(cancelledId).map((r) => r.body.paymentState),
        ['USER_CANCEL'],
      );
    } finally {
      await p.close();
      await stub.close();
    }
  });
});

describe('the connect-time address check', () => {
  it('refuses an IP literal and a hostname that resolve to a refused address: the payment ends FAILED (ADDRESS_REFUSED), a TIMEOUT is recorded likewise', async () => {
    const stub = await PspStub.start();
    const dir = mkdtempSync(join(tmpdir(), 'vipps-psp-address-'));
    // Accepted while loopback callbacks were allowed; the platform then restarts without them.
    let p = await startTestPlatform({ dir });
    try {
      const api = await PspApi.connect(p.url);
      const port = new URL(stub.url).port;
      const literal = initBody({ makePaymentUrl: stub.url, customerMobileNumber: DEMO.user });
      const named = initBody({ makePaymentUrl: `http://localhost:${port}/makepayment`, customerMobileNumber: DEMO.user });
      const expiring = initBody({ makePaymentUrl: stub.url });
      for (const body of [literal, named, expiring]) assert.equal((await api.init(body)).status, 200);
      await p.running.close();
      p = await startTestPlatform({ dir, clock: p.clock, env: { ALLOW_LOOPBACK_CALLBACKS: 'false' } });
      const ctl = control(p);
      for (const body of [literal, named]) {
        const r = await ctl.approve(String(body.pspTransactionId));
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.state, 'FAILED');
        assert.equal(r.json.callbacks.length, 1);
        const [attempt] = r.json.callbacks as (PaymentView['callbacks'][number] & { status: string })[];
        assert.equal(attempt?.status, 'DONE');
        assert.equal(attempt?.outcome, 'ADDRESS_REFUSED');
        assert.match(attempt?.error ?? '', /refused address/);
        assert.match(r.json.failureReason ?? '', /not allowed/);
      }
      assert.equal((await ctl.advance(600)).status, 200);
      const expired = await ctl.payment(String(expiring.pspTransactionId));
      assert.equal(expired.json.state, 'EXPIRED');
      assert.deepEqual(
        (expired.json.callbacks as (PaymentView['callbacks'][number] & { status: string })[]).map((a) => [
          a.paymentState,
          a.status,
          a.outcome,
        ]),
        [['TIMEOUT', 'DONE', 'ADDRESS_REFUSED']],
      );
      assert.equal(stub.requests.length, 0, 'the PSP was called on a refused address');
    } finally {
      await p.close();
      await stub.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a notification cut off by a restart', () => {
  /** CALLBACK_TIMEOUT_MS (1500) + CALLBACK_LEASE_MARGIN_MS (default 30 s): a dead process's lease has run out. */
  const LEASE_MS = 1500 + 30_000 + 1;
  it('records the cut-off TIMEOUT as ABANDONED, sends it once more after the restart and erases the makePaymentToken', async () => {
    const stub = await PspStub.start();
    const dir = mkdtempSync(join(tmpdir(), 'vipps-psp-cutoff-'));
    const env = { SWEEP_INTERVAL_MS: '60000', CALLBACK_TIMEOUT_MS: '1500' };
    let p = await startTestPlatform({ dir, env });
    let orphan: Promise<void> = Promise.resolve();
    const held = gate(); // the PSP holds its answer until the test ends
    try {
      const api = await PspApi.connect(p.url);
      const body = initBody({ makePaymentUrl: stub.url });
      const id = String(body.pspTransactionId);
      assert.equal((await api.init(body)).status, 200);
      // The PSP holds the TIMEOUT open; the platform stops (its database closes) in the middle.
      stub.script(id, { ...ok(id), gate: held.promise }, ok(id));
      p.clock.advance(301_000);
      orphan = sweepApprovals(p.running.platform, p.clock.now()).catch(() => undefined); // dies with the platform (not the scheduler's run, which a close waits for)
      while (stub.requestsFor(id).length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      await p.running.close();

      p = await startTestPlatform({ dir, env, clock: p.clock });
      const paymentIdOf = async () => (await p.running.platform.repos.payments.findByPspTransactionId(DEMO.pspId, id))?.id ?? '';
      const before = await p.running.platform.repos.callbacks.ofPayment(await paymentIdOf());
      assert.deepEqual(
        before.map((a) => [a.paymentState, a.status]),
        [['TIMEOUT', 'IN_FLIGHT']],
      );
      assert.notEqual(await p.running.platform.repos.payments.sealedMakePaymentToken(await paymentIdOf()), null);
      // The dead process's lease still holds: nothing is taken over before it runs out.
      await p.running.platform.scheduler.runDue();
      assert.deepEqual(
        (await p.running.platform.repos.callbacks.ofPayment(await paymentIdOf())).map((a) => [a.paymentState, a.status]),
        [['TIMEOUT', 'IN_FLIGHT']],
      );
      assert.equal(stub.requestsFor(id).length, 1);
      await p.clock.advance(LEASE_MS);
      await p.running.platform.scheduler.runDue();
      const attempts = await p.running.platform.repos.callbacks.ofPayment(await paymentIdOf());
      assert.deepEqual(
        attempts.map((a) => [a.paymentState, a.status, a.outcome]),
        [
          ['TIMEOUT', 'DONE', 'ABANDONED'],
          ['TIMEOUT', 'DONE', 'OK'],
        ],
      );
      assert.match(attempts[0]?.error ?? '', /cut off: its lease ran out/);
      const requests = stub.requestsFor(id);
      assert.deepEqual(
        requests.map((r) => r.body.paymentState),
        ['TIMEOUT', 'TIMEOUT'],
      );
      assert.equal(requests[1]?.headers.authorization, body.makePaymentToken);
      assert.equal(await p.running.platform.repos.payments.sealedMakePaymentToken(await paymentIdOf()), null);
      // Nothing more on the next sweeps.
      await p.running.platform.scheduler.runDue();
      assert.equal(stub.requestsFor(id).length, 2);
    } finally {
      held.open();
      await p.close();
      await orphan;
      await stub.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives up after the resend was cut off too: ABANDONED twice, no third call, the makePaymentToken erased', async () => {
    const stub = await PspStub.start();
    const dir = mkdtempSync(join(tmpdir(), 'vipps-psp-cutoff-'));
    const env = { SWEEP_INTERVAL_MS: '60000', CALLBACK_TIMEOUT_MS: '1500' };
    let p = await startTestPlatform({ dir, env });
    const orphans: Promise<unknown>[] = [];
    const held = gate(); // the PSP holds its answers until the test ends
    try {
      const api = await PspApi.connect(p.url);
      const body = initBody({ makePaymentUrl: stub.url });
      const id = String(body.pspTransactionId);
      assert.equal((await api.init(body)).status, 200);
      const paymentRow = await p.running.platform.repos.payments.findByPspTransactionId(DEMO.pspId, id);
      stub.script(id, { ...ok(id), gate: held.promise }, { ...ok(id), gate: held.promise }, ok(id));
      // The user cancels; the platform stops while the USER_CANCEL is held open, twice.
      orphans.push(p.running.platform.userActions.cancel(paymentRow?.id ?? '', 'test').catch(() => undefined));
      for (const n of [1, 2]) {
        while (stub.requestsFor(id).length < n) await new Promise((resolve) => setTimeout(resolve, 10));
        await p.running.close();
        p = await startTestPlatform({ dir, env, clock: p.clock });
        // After the dead process's lease, the sweep resends; the platform stops again in the middle of that call.
        await p.clock.advance(LEASE_MS);
        if (n === 1) orphans.push(sweepApprovals(p.running.platform, p.clock.now()).catch(() => undefined));
      }
      await p.clock.advance(LEASE_MS);
      await p.running.platform.scheduler.runDue();
      const attempts = await p.running.platform.repos.callbacks.ofPayment(paymentRow?.id ?? '');
      assert.deepEqual(
        attempts.map((a) => [a.paymentState, a.status, a.outcome]),
        [
          ['USER_CANCEL', 'DONE', 'ABANDONED'],
          ['USER_CANCEL', 'DONE', 'ABANDONED'],
        ],
      );
      assert.equal(stub.requestsFor(id).length, 2);
      assert.equal(await p.running.platform.repos.payments.sealedMakePaymentToken(paymentRow?.id ?? ''), null);
    } finally {
      held.open();
      await p.close();
      await Promise.all(orphans);
      await stub.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the production profile', () => {
  it('has no force approve and no control API', async () => {
    const p = await startTestPlatform({ env: { PROFILE: 'production' } });
    try {
      const api = await PspApi.connect(p.url);
      const r = await api.post('/psp/v3/integration-test/psppayments/x/approve', { customerPhoneNumber: DEMO.user, token: 'x' });
      assert.equal(r.status, 404);
      assert.equal((await call(`${p.url}/_emulator/clock`)).status, 404);
      assert.equal((await call(`${p.url}/_emulator/payments/x/approve`, { method: 'POST' })).status, 404);
    } finally {
      await p.close();
    }
  });
});
