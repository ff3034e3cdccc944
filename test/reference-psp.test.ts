/**
 * The reference PSP (examples/reference-psp) against the real platform over HTTP: the shop's
 * checkout, its makePaymentUrl (Authorization, the acquirer's rules, 3-D Secure, FAIL 85 after
 * its own cancel, FAIL 93 to TIMEOUT / USER_CANCEL, its own deadline), the order API and the
 * back office's status updates, as the platform sees them.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type ReferencePsp, startReferencePsp } from '../examples/reference-psp/index.js';
import { moneyStatus, type Order } from '../examples/reference-psp/orders.js';
import { call, DEMO, startTestPlatform, type TestPlatform } from './helpers/platform.js';

interface MakePaymentAnswer {
  errorMessage?: { errorId: string; errorText: string };
  paymentInfo: { pspTransactionId: string; status: string; url3dSecure?: string };
}

interface OrderJson {
  pspTransactionId: string;
  merchantOrderId: string;
  amount: number;
  state: string;
  reason: string | null;
  captured: number;
  refunded: number;
  vipps?: { capturedAmount: number; remainingAmountToCapture: number; refundedAmount: number; remainingAmountToRefund: number };
}

describe('the reference PSP', () => {
  let p: TestPlatform;
  let psp: ReferencePsp;
  const control = (path: string, init: RequestInit = {}) =>
    call<Record<string, unknown>>(`${p.url}/_emulator${path}`, {
      ...init,
      headers: { 'psp-id': DEMO.pspId, 'content-type': 'application/json', ...init.headers },
    });

  before(async () => {
    p = await startTestPlatform();
    psp = await startReferencePsp({
      emulatorUrl: p.url,
      credentials: { ...DEMO, merchantSerialNumber: DEMO.msn },
      answerWithinMs: 400,
    });
  });
  after(async () => {
    await psp?.close();
    await p?.close();
  });

  const form = (path: string, fields: Record<string, string> = {}, shop: ReferencePsp = psp) =>
    fetch(`${shop.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
      redirect: 'manual',
    });
  const order = async (merchantOrderId: string, shop: ReferencePsp = psp) =>
    (await call<OrderJson>(`${shop.url}/api/orders/${merchantOrderId}`)).json;

  /** Pay with Vipps in the shop (the product, or an amount in kr); returns the order and vippsRedirectUrl. */
  const checkout = async (amountKr?: string, shop: ReferencePsp = psp) => {
    const r = await form('/checkout', amountKr === undefined ? { product: 'socks' } : { amount: amountKr }, shop);
    assert.equal(r.status, 303, await r.text());
    const vippsRedirectUrl = r.headers.get('location') ?? '';
    assert.match(vippsRedirectUrl, /\/vippsgateway\?v=2&token=/);
    const list = (await call<{ orders: OrderJson[] }>(`${shop.url}/api/orders`)).json.orders;
    const newest = list[0];
    assert.ok(newest);
    return { ...(await order(newest.merchantOrderId, shop)), vippsRedirectUrl };
  };
  const approve = (pspTransactionId: string) =>
    control(`/payments/${pspTransactionId}/approve`, { method: 'POST', body: JSON.stringify({ phoneNumber: DEMO.user }) });
  const lastAnswer = async (pspTransactionId: string) => {
    const view = (await control(`/payments/${pspTransactionId}`)).json as {
      state: string;
      callbacks: { paymentState: string; httpStatus: number; contentType: string; latencyMs: number; response: MakePaymentAnswer }[];
    };
    return { state: view.state, attempts: view.callbacks, last: view.callbacks.at(-1) };
  };

  it('initiates with its own makePaymentUrl and order page, and is paid by the acquirer (OK)', async () => {
    const o = await checkout();
    assert.equal(o.amount, 49900);
    assert.equal(o.state, 'PENDING');
    const view = (await control(`/payments/${o.pspTransactionId}`)).json;
    assert.equal(view.merchantOrderId, o.merchantOrderId);
    assert.equal(view.amount, 49900);
    assert.equal(view.paymentText, 'One pair of Vipps socks');

    assert.equal((await approve(o.pspTransactionId)).status, 200);
    const { state, last } = await lastAnswer(o.pspTransactionId);
    assert.equal(state, 'RESERVED');
    assert.equal(last?.httpStatus, 200);
    assert.match(last?.contentType ?? '', /^application\/json/);
    assert.deepEqual(last?.response, { paymentInfo: { pspTransactionId: o.pspTransactionId, status: 'OK' } });
    // The order API knows it from makePayment, and confirms it with Vipps' details.
    const after = await order(o.merchantOrderId);
    assert.equal(after.state, 'RESERVED');
    assert.deepEqual(after.vipps, { capturedAmount: 0, remainingAmountToCapture: 49900, refundedAmount: 0, remainingAmountToRefund: 0 });
    const page = await call(`${psp.url}/orders/${o.merchantOrderId}`);
    assert.match(page.text, /data-testid="order-status" data-state="RESERVED">Payment confirmed/);
  });

  it('refuses a makePayment call without the payment’s makePaymentToken (401)', async () => {
    const o = await checkout();
    const body = JSON.stringify({ pspTransactionId: o.pspTransactionId, merchantSerialNumber: DEMO.msn, paymentState: 'ACCEPTED' });
    const noAuth = await call(psp.makePaymentUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assert.equal(noAuth.status, 401);
    const wrong = await call(psp.makePaymentUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'not-the-token' },
      body,
    });
    assert.equal(wrong.status, 401);
    assert.equal((await order(o.merchantOrderId)).state, 'PENDING');
  });

  for (const [kr, errorId, errorText] of [
    ['100,82', '82', 'Refused by Issuer'],
    ['100,86', '86', 'Expired card'],
    ['100,89', '89', 'Insufficient funds'],
    ['100,72', '72', 'Card blocked by the acquirer'],
  ] as const) {
    it(`declines an amount ending in ${errorId} with FAIL ${errorId}`, async () => {
      const o = await checkout(kr);
      await approve(o.pspTransactionId);
      const { state, last } = await lastAnswer(o.pspTransactionId);
      assert.equal(state, 'FAILED');
      assert.deepEqual(last?.response, {
        errorMessage: { errorId, errorText },
        paymentInfo: { pspTransactionId: o.pspTransactionId, status: 'FAIL' },
      });
      const after = await order(o.merchantOrderId);
      assert.equal(after.state, 'FAILED');
      assert.equal(after.reason, `${errorId} ${errorText}`);
    });
  }

  it('gives up on a slow acquirer at its own deadline: FAIL 85, well inside the 15 s', async () => {
    const o = await checkout('100,85');
    await approve(o.pspTransactionId);
    const { state, last } = await lastAnswer(o.pspTransactionId);
    assert.equal(state, 'FAILED');
    assert.equal(last?.response.errorMessage?.errorId, '85');
    assert.ok((last?.latencyMs ?? 99_999) < 2000, `answered in ${last?.latencyMs} ms`);
  });

  it('steps up a soft decline with its 3-D Secure page, which ends on the 3dssuccess URL; the resend is OK', async () => {
    const o = await checkout('100,11');
    await approve(o.pspTransactionId);
    let answer = await lastAnswer(o.pspTransactionId);
    assert.equal(answer.state, 'AWAITING_3DS');
    assert.equal(answer.last?.response.paymentInfo.status, 'SOFT_DECLINE');
    const url3dSecure = String(answer.last?.response.paymentInfo.url3dSecure);
    assert.equal(url3dSecure, `${psp.url}/3ds/${o.pspTransactionId}`);
    assert.equal((await order(o.merchantOrderId)).state, 'AWAITING_3DS');
    const page = await call(url3dSecure);
    assert.match(page.text, /Demo Bank/);

    const done = await form(`/3ds/${o.pspTransactionId}/complete`);
    assert.equal(done.status, 303);
    const target = done.headers.get('location') ?? '';
    assert.match(target, /\/mobileintercept\?transactionId=[0-9a-f-]{36}&responsecode=OK$/);
    const intercept = await call(target); // what the app's web view does
    assert.match(intercept.text, /Payment approved/);
    answer = await lastAnswer(o.pspTransactionId);
    assert.equal(answer.state, 'RESERVED');
    assert.deepEqual(
      answer.attempts.map((a) => a.response.paymentInfo.status),
      ['SOFT_DECLINE', 'OK'],
    );
    assert.equal((await order(o.merchantOrderId)).state, 'RESERVED');
  });

  it('fails a payment whose 3-D Secure failed on its page (no further call from Vipps)', async () => {
    const o = await checkout('100,11');
    await approve(o.pspTransactionId);
    const done = await form(`/3ds/${o.pspTransactionId}/fail`);
    assert.match(done.headers.get('location') ?? '', /responsecode=FAIL$/);
    await call(done.headers.get('location') ?? '');
    assert.equal((await lastAnswer(o.pspTransactionId)).state, 'FAILED');
    const after = await order(o.merchantOrderId);
    assert.equal(after.state, 'FAILED');
    assert.equal(after.reason, '94 3-D Secure failed');
  });

  it('answers FAIL 85 when the shop already cancelled the pending payment', async () => {
    const o = await checkout();
    const cancelled = await form(`/backoffice/orders/${o.merchantOrderId}/cancel`);
    assert.equal(cancelled.status, 303);
    assert.equal((await order(o.merchantOrderId)).state, 'CANCELLED');
    await approve(o.pspTransactionId);
    const { state, last } = await lastAnswer(o.pspTransactionId);
    assert.equal(state, 'FAILED');
    assert.deepEqual(last?.response.errorMessage, { errorId: '85', errorText: 'Response received too late' });
  });

  it('answers FAIL 93 to USER_CANCEL and TIMEOUT, and records the order as cancelled', async () => {
    const cancelled = await checkout();
    await control(`/payments/${cancelled.pspTransactionId}/cancel`, { method: 'POST', body: '{}' });
    const expired = await checkout();
    await control('/clock/advance', { method: 'POST', body: JSON.stringify({ seconds: 601 }) });
    for (const [o, paymentState, text] of [
      [cancelled, 'USER_CANCEL', 'Status from Vipps:CANCEL'],
      [expired, 'TIMEOUT', 'Status from Vipps:TIMEOUT'],
    ] as const) {
      let answer = await lastAnswer(o.pspTransactionId);
      for (let i = 0; i < 50 && answer.last?.httpStatus === undefined; i++) {
        await new Promise((r) => setTimeout(r, 50));
        answer = await lastAnswer(o.pspTransactionId);
      }
      assert.equal(answer.last?.paymentState, paymentState);
      assert.deepEqual(answer.last?.response.errorMessage, { errorId: '93', errorText: text });
      const after = await order(o.merchantOrderId);
      assert.equal(after.state, 'CANCELLED');
      assert.equal(after.reason, paymentState);
    }
  });

  it('captures part, refunds part and cancels the rest from the back office, each with updatestatus', async () => {
    const o = await checkout();
    await approve(o.pspTransactionId);
    const capture = await form(`/backoffice/orders/${o.merchantOrderId}/capture`, { amount: '299,40' });
    assert.equal(capture.status, 303);
    const tooMuch = await form(`/backoffice/orders/${o.merchantOrderId}/refund`, { amount: '300' });
    assert.match(decodeURIComponent(tooMuch.headers.get('location') ?? ''), /between 0,01 and 299,40 kr/);
    await form(`/backoffice/orders/${o.merchantOrderId}/refund`, { amount: '100' });
    await form(`/backoffice/orders/${o.merchantOrderId}/cancel`);
    const after = await order(o.merchantOrderId);
    assert.equal(after.captured, 29940);
    assert.equal(after.refunded, 10000);
    // The test profile applies status batches right after the answer, each on its own: wait for
    // the last two (the refund and the cancel) to be applied, in whichever order they land.
    let details = after.vipps;
    for (let i = 0; i < 100 && (details?.refundedAmount !== 10000 || details.remainingAmountToCapture !== 0); i++) {
      await new Promise((r) => setTimeout(r, 50));
      details = (await order(o.merchantOrderId)).vipps;
    }
    assert.deepEqual(details, {
      capturedAmount: 29940,
      remainingAmountToCapture: 0,
      refundedAmount: 10000,
      remainingAmountToRefund: 19940,
    });
    const page = await call(`${psp.url}/backoffice/orders/${o.merchantOrderId}`);
    assert.match(page.text, /data-testid="state" data-state="RESERVED">Partially refunded</);
    const list = await call(`${psp.url}/backoffice`);
    assert.match(list.text, new RegExp(`data-order-id="${o.merchantOrderId}".*?data-state="RESERVED">Partially refunded<`, 's'));
    assert.match(page.text, /CAPTURED<\/td><td>299,40 kr<\/td><td>9000 SUCCESS/);
    assert.match(page.text, /REFUNDED<\/td><td>100,00 kr<\/td><td>9000 SUCCESS/);
    assert.match(page.text, /CANCELLED<\/td><td>199,60 kr<\/td><td>9000 SUCCESS/);
  });

  it('accepts form posts from its own origin under every loopback name, and refuses other origins', async () => {
    const { port } = new URL(psp.url);
    const post = (origin: string) =>
      fetch(`${psp.url}/checkout`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
        body: 'product=socks',
        redirect: 'manual',
      });
    for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`]) {
      assert.equal((await post(origin)).status, 303, origin);
    }
    const otherPort = Number(port) === 65535 ? 65534 : Number(port) + 1;
    for (const origin of [`http://localhost:${otherPort}`, 'http://evil.example', `https://localhost:${port}`, 'null']) {
      assert.equal((await post(origin)).status, 403, origin);
    }
  });

  it('resends a capture whose answer was lost with the same Idempotency-Key: Vipps captures it once', async () => {
    // Between the PSP and Vipps: passes everything on, but loses the answer to the first updatestatus.
    const keys: string[] = [];
    let lose = 1;
    const proxy = createServer((req, res) => {
      void (async () => {
        const chunks: Buffer[] = [];
        for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
        const headers = new Headers();
        for (const [name, value] of Object.entries(req.headers)) {
          if (typeof value === 'string' && !['host', 'connection', 'content-length'].includes(name)) headers.set(name, value);
        }
        const isStatusUpdate = req.url?.endsWith('/updatestatus') === true;
        if (isStatusUpdate) keys.push(String(req.headers['idempotency-key']));
        const upstream = await fetch(`${p.url}${req.url}`, {
          method: req.method ?? 'GET',
          headers,
          ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
        });
        const body = Buffer.from(await upstream.arrayBuffer());
        if (isStatusUpdate && lose-- > 0) return void req.socket.destroy(); // Vipps got it; the PSP never hears
        res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
        res.end(body);
      })();
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const lossy = await startReferencePsp({
      emulatorUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
      credentials: { ...DEMO, merchantSerialNumber: DEMO.msn },
      // No automatic resends: this is the back office's path when every resend failed (the
      // automatic ones are test/reference-psp-faults.test.ts's).
      retryDelaysMs: [],
    });
    try {
      const o = await checkout(undefined, lossy);
      await approve(o.pspTransactionId);
      const message = async (r: Response) => new URL(r.headers.get('location') ?? '', lossy.url).searchParams.get('message');

      const first = await form(`/backoffice/orders/${o.merchantOrderId}/capture`, { amount: '100' }, lossy);
      assert.match((await message(first)) ?? '', /^No answer from Vipps .*CAPTURED 100,00 kr may or may not have arrived/);
      assert.equal((await order(o.merchantOrderId, lossy)).captured, 0, 'not in the ledger until Vipps answers');
      // Something else first is refused; the page offers the retry only.
      const other = await form(`/backoffice/orders/${o.merchantOrderId}/capture`, { amount: '50' }, lossy);
      assert.equal(await message(other), 'CAPTURED 100,00 kr got no answer from Vipps: retry it first.');
      const page = await call(`${lossy.url}/backoffice/orders/${o.merchantOrderId}`);
      assert.match(page.text, /Retry CAPTURED 100,00 kr/);
      assert.doesNotMatch(page.text, /Capture \(kr\)/);

      const retry = await form(`/backoffice/orders/${o.merchantOrderId}/capture`, { amount: '100,00' }, lossy);
      assert.equal(await message(retry), 'CAPTURED 100,00 kr sent to Vipps.');
      assert.equal(keys.length, 2);
      assert.equal(keys[0], keys[1], 'the retry carries the key of the first attempt');
      assert.equal(keys[0], `${o.merchantOrderId}-captured-1`);
      assert.equal((await order(o.merchantOrderId, lossy)).captured, 10000);

      // The next operation is a new one, with the next key.
      await form(`/backoffice/orders/${o.merchantOrderId}/capture`, { amount: '100,00' }, lossy);
      assert.equal(keys[2], `${o.merchantOrderId}-captured-2`);
      let details = (await order(o.merchantOrderId, lossy)).vipps;
      for (let i = 0; i < 50 && details?.capturedAmount !== 20000; i++) {
        await new Promise((r) => setTimeout(r, 50));
        details = (await order(o.merchantOrderId, lossy)).vipps;
      }
      assert.equal(details?.capturedAmount, 20000, 'two captures of 100,00 kr, not three');
      const after = await lastAnswer(o.pspTransactionId);
      assert.equal(after.state, 'RESERVED');
      const view = (await control(`/payments/${o.pspTransactionId}`)).json as { statusUpdates: unknown[] };
      assert.equal(view.statusUpdates.length, 2, JSON.stringify(view.statusUpdates));
    } finally {
      await lossy.close();
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});

describe("the reference PSP's back office status (the shop's view of the money)", () => {
  const order = (o: Partial<Order>): Order => ({
    pspTransactionId: 'p',
    merchantOrderId: 'm',
    product: 'socks',
    amountOre: 49900,
    makePaymentToken: 't',
    createdAt: '',
    state: 'RESERVED',
    reason: null,
    operations: [],
    threeDsCompleted: false,
    authorisationCode: null,
    finalAnswer: null,
    capturedOre: 0,
    refundedOre: 0,
    voided: false,
    ledger: [],
    ...o,
  });
  it('says what the shop did with the money, not the payment state RESERVED', () => {
    const cases: [Partial<Order>, string][] = [
      [{ state: 'PENDING' }, 'Awaiting payment'],
      [{ state: 'AWAITING_3DS' }, 'Awaiting 3-D Secure'],
      [{ state: 'FAILED' }, 'Payment failed'],
      [{ state: 'CANCELLED' }, 'Cancelled'],
      [{}, 'Reserved'],
      [{ voided: true }, 'Cancelled'],
      [{ capturedOre: 29940 }, 'Partially captured'],
      [{ capturedOre: 29940, voided: true }, 'Captured, rest cancelled'],
      [{ capturedOre: 49900 }, 'Captured'],
      [{ capturedOre: 29940, refundedOre: 10000 }, 'Partially refunded'],
      [{ capturedOre: 29940, refundedOre: 29940 }, 'Partially refunded'], // 199,60 kr still reserved
      [{ capturedOre: 29940, refundedOre: 29940, voided: true }, 'Refunded'],
      [{ capturedOre: 49900, refundedOre: 49900 }, 'Refunded'],
    ];
    for (const [fields, expected] of cases) assert.equal(moneyStatus(order(fields)), expected, JSON.stringify(fields));
  });
});
