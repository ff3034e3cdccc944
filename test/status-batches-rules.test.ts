import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Ore } from '../src/domain/money.js';
import type { LogOperation } from '../src/domain/payment.js';
import { assertMoneyInvariants, decideStatusItem, type Ledger, type OperationStatus } from '../src/domain/payment-money.js';

const RESERVED_AT = '2026-01-01T12:00:00.000Z';
const T0 = Date.parse(RESERVED_AT);
const DAY = 86_400_000;

const ledger = (over: Partial<Ledger> = {}): Ledger => ({
  state: 'RESERVED',
  reservedOre: 20000,
  capturedOre: 0,
  refundedOre: 0,
  cancelled: false,
  reservedAt: RESERVED_AT,
  ...over,
});
const item = (status: LogOperation, amount: number, over: { currency?: string; operationStatus?: OperationStatus } = {}) => ({
  status,
  amount: amount as Ore,
  currency: over.currency ?? 'NOK',
  operationStatus: over.operationStatus ?? 'SUCCESS',
});
const code = (d: ReturnType<typeof decideStatusItem>) => (d.ok ? `ok:${d.change.kind}` : d.rejection.code);

describe('decideStatusItem (psp-facts.md §5)', () => {
  it('captures partially and up to what is left', () => {
    const d = decideStatusItem(ledger({ capturedOre: 15000 }), item('CAPTURED', 5000), T0);
    assert.ok(d.ok);
    assert.equal(d.after.capturedOre, 20000);
    assert.deepEqual(d.log, { operation: 'CAPTURED', amount: 5000, success: true });
    assert.equal(code(decideStatusItem(ledger({ capturedOre: 15000 }), item('CAPTURED', 5001), T0)), 'CAPTURE_EXCEEDS_RESERVED');
  });

  it('cancels what is left, also after a partial capture, and logs the amount released', () => {
    const d = decideStatusItem(ledger({ capturedOre: 10000 }), item('CANCELLED', 20000), T0);
    assert.ok(d.ok);
    assert.deepEqual(d.change, { kind: 'cancel', released: 10000 });
    assert.equal(d.after.cancelled, true);
    assert.deepEqual(d.log, { operation: 'CANCELLED', amount: 10000, success: true });
  });

  it('refunds after a cancel what was captured before it', () => {
    const d = decideStatusItem(ledger({ capturedOre: 10000, cancelled: true }), item('REFUNDED', 4000), T0);
    assert.ok(d.ok);
    assert.equal(d.after.refundedOre, 4000);
  });

  it('rejects each broken rule with its code', () => {
    const cases: [Ledger | null, ReturnType<typeof item>, string][] = [
      [null, item('CAPTURED', 100), 'PAYMENT_NOT_FOUND'],
      [ledger(), item('CAPTURED', 100, { currency: 'SEK' }), 'CURRENCY_INVALID'],
      [ledger({ state: 'INITIATED', reservedOre: 0, reservedAt: null }), item('CAPTURED', 100), 'NOT_RESERVED'],
      [ledger({ state: 'FAILED', reservedOre: 0, reservedAt: null }), item('RESERVED', 100), 'NOT_RESERVED'],
      [ledger({ state: 'EXPIRED', reservedOre: 0, reservedAt: null }), item('CANCELLED', 0), 'NOT_RESERVED'],
      [ledger({ state: 'USER_CANCELLED', reservedOre: 0, reservedAt: null }), item('REFUNDED', 100), 'NOT_RESERVED'],
      [ledger({ cancelled: true }), item('CAPTURED', 100), 'CAPTURE_AFTER_CANCEL'],
      [ledger(), item('CAPTURED', 0), 'AMOUNT_ZERO'],
      [ledger({ capturedOre: 100 }), item('REFUNDED', 0), 'AMOUNT_ZERO'],
      [ledger({ cancelled: true }), item('CANCELLED', 0), 'CANCEL_AFTER_CANCEL'],
      [ledger({ capturedOre: 20000 }), item('CANCELLED', 0), 'CANCEL_FULLY_CAPTURED'],
      [ledger(), item('REFUNDED', 100), 'REFUND_BEFORE_CAPTURE'],
      [ledger({ cancelled: true }), item('REFUNDED', 100), 'REFUND_CANCELLED_UNCAPTURED'],
      [ledger({ capturedOre: 5000, refundedOre: 4000 }), item('REFUNDED', 1001), 'REFUND_EXCEEDS_CAPTURED'],
    ];
    for (const [l, i, expected] of cases) assert.equal(code(decideStatusItem(l, i, T0)), expected, `${i.status} on ${JSON.stringify(l)}`);
  });

  it('counts the windows from reserved_at: capture and cancel 180 days, refund 365 days', () => {
    const at180 = T0 + 180 * DAY;
    assert.equal(code(decideStatusItem(ledger(), item('CAPTURED', 100), at180)), 'ok:capture');
    assert.equal(code(decideStatusItem(ledger(), item('CAPTURED', 100), at180 + 1)), 'CAPTURE_WINDOW_CLOSED');
    assert.equal(code(decideStatusItem(ledger(), item('CANCELLED', 0), at180)), 'ok:cancel');
    assert.equal(code(decideStatusItem(ledger(), item('CANCELLED', 0), at180 + 1)), 'CANCEL_WINDOW_CLOSED');
    const captured = ledger({ capturedOre: 100 });
    assert.equal(code(decideStatusItem(captured, item('REFUNDED', 100), T0 + 365 * DAY)), 'ok:refund');
    assert.equal(code(decideStatusItem(captured, item('REFUNDED', 100), T0 + 365 * DAY + 1)), 'REFUND_WINDOW_CLOSED');
  });

  it('records a FAILED operation without moving money, whatever the ledger', () => {
    for (const status of ['RESERVED', 'CAPTURED', 'CANCELLED', 'REFUNDED'] as const) {
      const d = decideStatusItem(
        ledger({ state: 'INITIATED', reservedOre: 0, reservedAt: null }),
        item(status, 999, { operationStatus: 'FAILED' }),
        T0,
      );
      assert.ok(d.ok);
      assert.deepEqual(d.change, { kind: 'failed' });
      assert.deepEqual(d.log, { operation: status, amount: 999, success: false });
    }
  });

  it('takes a repeated RESERVED for a reserved payment as harmless: no change, no log entry', () => {
    const l = ledger({ capturedOre: 500 });
    const d = decideStatusItem(l, item('RESERVED', 20000), T0);
    assert.ok(d.ok);
    assert.deepEqual(d.change, { kind: 'none' });
    assert.equal(d.after, l);
    assert.equal(d.log, null);
  });

  it('asserts the invariants (our bug, not the client’s)', () => {
    assert.doesNotThrow(() => assertMoneyInvariants(ledger({ capturedOre: 20000, refundedOre: 20000 }), 'ok'));
    assert.throws(() => assertMoneyInvariants(ledger({ capturedOre: 20001 }), 'p'), /captured 20001 > reserved 20000/);
    assert.throws(() => assertMoneyInvariants(ledger({ capturedOre: 10, refundedOre: 11 }), 'p'), /refunded 11 > captured 10/);
    assert.throws(() => assertMoneyInvariants(ledger({ refundedOre: -1 }), 'p'), /refunded -1 < 0/);
  });
});
