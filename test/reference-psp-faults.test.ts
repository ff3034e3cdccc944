/**
 * Done-when of issue 12: the reference PSP's init (checkout) and updatestatus (back office
 * capture) survive each fault kind the platform can inject — failed before applying, applied
 * then failed, no answer, late answer, latency, rate limit — by resending the same request with
 * the same Idempotency-Key: one payment at Vipps per order, one capture applied once.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { type ReferencePsp, startReferencePsp } from '../examples/reference-psp/index.js';
import type { JournalEntry } from '../src/store/request-journal.js';
import { call, DEMO, startTestPlatform, type TestPlatform } from './helpers/platform.js';

interface OrderJson {
  pspTransactionId: string;
  merchantOrderId: string;
  amount: number;
  state: string;
  captured: number;
  vipps?: { capturedAmount: number };
}

/** Every kind, as `before` ("failed before applying") and `after` ("applied, then failed") where it has both. */
const FAULTS: readonly Record<string, unknown>[] = [
  { kind: 'status', status: 429, retryAfterSeconds: 1 },
  { kind: 'status', status: 500 },
  { kind: 'status', status: 500, when: 'after' },
  { kind: 'status', status: 502 },
  { kind: 'status', status: 502, when: 'after' },
  { kind: 'status', status: 503, when: 'after' },
  { kind: 'status', status: 504, when: 'after' },
  { kind: 'close' },
  { kind: 'close', when: 'after' },
  { kind: 'latency', delayMs: 300 },
  // Held past the PSP client's 1 s time-out (clientTimeoutMs below).
  { kind: 'timeout', delayMs: 1500 },
];
const name = (f: Record<string, unknown>) =>
  `${f.kind}${f.status ? ` ${f.status}` : ''} ${f.when ?? (f.kind === 'timeout' ? 'after' : 'before')}`;

describe('the reference PSP survives every injected fault', () => {
  let p: TestPlatform;
  let psp: ReferencePsp;
  before(async () => {
    p = await startTestPlatform();
    psp = await startReferencePsp({
      emulatorUrl: p.url,
      credentials: { ...DEMO, merchantSerialNumber: DEMO.msn },
      clientTimeoutMs: 1000,
      retryDelaysMs: [50, 100, 200],
    });
  });
  after(async () => {
    await psp?.close();
    await p?.close();
  });
  beforeEach(async () => {
    await call(`${p.url}/_emulator/reset`, { method: 'POST' });
  });

  const inject = async (operation: string, spec: Record<string, unknown>) => {
    const r = await call(`${p.url}/_emulator/faults`, {
      method: 'POST',
      headers: { 'psp-id': DEMO.pspId, 'content-type': 'application/json' },
      body: JSON.stringify({ operation, count: 1, ...spec }),
    });
    assert.equal(r.status, 201, r.text);
  };
  const form = (path: string, fields: Record<string, string> = {}) =>
    fetch(`${psp.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
      redirect: 'manual',
    });
  const latestOrder = async () => (await call<{ orders: OrderJson[] }>(`${psp.url}/api/orders`)).json.orders[0] as OrderJson;
  const journal = async (pspTransactionId: string, operation: string) =>
    (
      await call<{ requests: JournalEntry[] }>(
        `${p.url}/_emulator/requests?pspId=${DEMO.pspId}&pspTransactionId=${pspTransactionId}&operation=${operation}`,
      )
    ).json.requests.reverse();
  /** Polls until `check` holds (a held answer is journaled when it goes out; batches apply just after receipt). */
  const eventually = async <T>(read: () => Promise<T>, check: (value: T) => boolean): Promise<T> => {
    const until = Date.now() + 4000;
    for (;;) {
      const value = await read();
      if (check(value) || Date.now() > until) return value;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const faulted = (calls: JournalEntry[]) => calls.some((c) => c.fault !== null);
  /** Payments at the platform (reset before each test). */
  const payments = async () =>
    Number(
      (
        await p.running.platform.store.db
          .selectFrom('payments')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  for (const fault of FAULTS) {
    it(`init: ${name(fault)}`, async () => {
      await inject('INIT', fault);
      const r = await form('/checkout');
      assert.equal(r.status, 303, await r.text());
      assert.match(r.headers.get('location') ?? '', /\/dwo-api-application\/v1\/deeplink\/vippsgateway\?v=2&token=/);
      const order = await latestOrder();
      assert.equal(order.state, 'PENDING');
      const view = await call<{ state: string; merchantOrderId: string }>(`${p.url}/_emulator/payments/${order.pspTransactionId}`, {
        headers: { 'psp-id': DEMO.pspId },
      });
      assert.equal(view.status, 200);
      assert.equal(view.json.merchantOrderId, order.merchantOrderId);
      const calls = await eventually(
        () => journal(order.pspTransactionId, 'INIT'),
        (c) => fault.kind === 'latency' || faulted(c),
      );
      if (fault.kind === 'latency') {
        assert.equal(calls.length, 1, 'a slow answer within the time-out needs no retry');
        assert.ok((calls[0]?.latencyMs ?? 0) >= 290);
      } else {
        // The first call met the fault; the retry, with the same key, got the answer.
        assert.ok(calls.length >= 2, `${calls.length} call(s)`);
        assert.ok(calls[0]?.fault?.startsWith(name(fault)), calls[0]?.fault ?? 'no fault');
        assert.equal(calls.at(-1)?.status, 200);
        const keys = new Set(calls.map((c) => c.requestHeaders?.['idempotency-key']));
        assert.equal(keys.size, 1, 'one Idempotency-Key for every attempt');
      }
      assert.equal(await payments(), 1);
    });
  }

  for (const fault of FAULTS) {
    it(`updatestatus: ${name(fault)}`, async () => {
      assert.equal((await form('/checkout')).status, 303);
      const order = await latestOrder();
      const approve = await call(`${p.url}/_emulator/payments/${order.pspTransactionId}/approve`, {
        method: 'POST',
        headers: { 'psp-id': DEMO.pspId, 'content-type': 'application/json' },
        body: JSON.stringify({ phoneNumber: DEMO.user }),
      });
      assert.equal(approve.status, 200, approve.text);
      await inject('UPDATESTATUS', fault);
      const r = await form(`/backoffice/orders/${encodeURIComponent(order.merchantOrderId)}/capture`, { amount: '200,00' });
      assert.equal(r.status, 303);
      assert.match(decodeURIComponent(r.headers.get('location') ?? ''), /CAPTURED 200,00 kr sent to Vipps/);
      const after = (await call<OrderJson>(`${psp.url}/api/orders/${encodeURIComponent(order.merchantOrderId)}`)).json;
      assert.equal(after.captured, 20000);
      // Vipps applied it exactly once, however many times it was sent.
      const captured = async () =>
        (
          await call<{ money: { captured: number } }>(`${p.url}/_emulator/payments/${order.pspTransactionId}`, {
            headers: { 'psp-id': DEMO.pspId },
          })
        ).json.money.captured;
      assert.equal(await eventually(captured, (c) => c === 20000), 20000);
      const calls = await eventually(
        () => journal(order.pspTransactionId, 'UPDATESTATUS'),
        (c) => fault.kind === 'latency' || faulted(c),
      );
      if (fault.kind !== 'latency') {
        assert.ok(calls.length >= 2, `${calls.length} call(s)`);
        assert.ok(calls[0]?.fault?.startsWith(name(fault)), calls[0]?.fault ?? 'no fault');
      }
      const batches = await call<{ batches: { state: string; counts: { applied: number } }[] }>(`${p.url}/_emulator/status-batches`, {
        headers: { 'psp-id': DEMO.pspId },
      });
      const applied = batches.json.batches.filter((b) => b.state === 'APPLIED');
      assert.equal(applied.length, 1, 'one batch applied; a resend is a replay');
    });
  }
});
