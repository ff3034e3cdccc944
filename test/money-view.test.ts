/**
 * The app's money view (src/wallet/pages/money-view.ts): what the history row and the payment
 * screen show for each ledger the status batch job can leave, and the movements of a log.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Ore, ore } from '../src/domain/money.js';
import type { PaymentLogEntry } from '../src/domain/payment.js';
import type { PaymentState } from '../src/domain/payment-lifecycle.js';
import { moneyView, movements } from '../src/wallet/pages/money-view.js';

const ledger = (reserved: number, captured: number, refunded: number, cancelled: boolean, state: PaymentState = 'RESERVED') => ({
  state,
  amount: ore(reserved || 5000),
  reservedAmount: ore(reserved),
  capturedAmount: ore(captured),
  refundedAmount: ore(refunded),
  cancelled,
});

const shown = (v: ReturnType<typeof moneyView>) => [
  v.status.label,
  `${v.headline.caption} ${v.headline.amount}`,
  v.lines.map((l) => `${l.label} ${l.amount}`),
  v.moved,
];

describe('moneyView', () => {
  it('shows the captured amount as paid, and the refunded, released and still reserved totals beside it', () => {
    const cases: [ReturnType<typeof ledger>, unknown[]][] = [
      [ledger(20000, 0, 0, false), ['Reserved', 'Reserved 20000', [], false]],
      [ledger(20000, 20000, 0, false), ['Paid', 'Paid 20000', [], true]],
      [ledger(20000, 5000, 0, false), ['Partially paid', 'Paid 5000', ['Still reserved 15000'], true]],
      [ledger(20000, 5000, 0, true), ['Paid', 'Paid 5000', ['Released 15000'], true]],
      [ledger(20000, 0, 0, true), ['Cancelled', 'Released 20000', [], true]],
      [ledger(20000, 10000, 4000, true), ['Partially refunded', 'Paid 10000', ['Refunded 4000', 'Released 10000'], true]],
      [ledger(20000, 20000, 20000, false), ['Refunded', 'Paid 20000', ['Refunded 20000'], true]],
      [ledger(20000, 10000, 10000, false), ['Refunded', 'Paid 10000', ['Refunded 10000', 'Still reserved 10000'], true]],
      [ledger(0, 0, 0, false, 'FAILED'), ['Failed', 'Not paid 5000', [], false]],
      [ledger(0, 0, 0, false, 'USER_CANCELLED'), ['Cancelled', 'Not paid 5000', [], false]],
      [ledger(0, 0, 0, false, 'EXPIRED'), ['Expired', 'Not paid 5000', [], false]],
      [ledger(0, 0, 0, false, 'AWAITING_USER'), ['Waiting for you', 'To pay 5000', [], false]],
    ];
    for (const [input, expected] of cases) assert.deepEqual(shown(moneyView(input)), expected, JSON.stringify(input));
  });

  it('lists the successful movements oldest first, a cancel as the amount it released', () => {
    const entry = (seq: number, operation: PaymentLogEntry['operation'], amount: number, success = true): PaymentLogEntry => ({
      seq,
      operation,
      amount: amount as Ore,
      paymentText: null,
      success,
      at: `2026-03-0${seq}T10:00:00.000Z`,
    });
    const log = [
      entry(5, 'REFUNDED', 4000),
      entry(2, 'CAPTURED', 10000),
      entry(1, 'RESERVED', 20000),
      entry(3, 'CAPTURED', 500, false),
      entry(4, 'CANCELLED', 10000),
    ];
    assert.deepEqual(
      movements(log).map((m) => [m.label, m.amount, m.at.slice(0, 10)]),
      [
        ['Reserved', 20000, '2026-03-01'],
        ['Captured', 10000, '2026-03-02'],
        ['Released', 10000, '2026-03-04'],
        ['Refunded', 4000, '2026-03-05'],
      ],
    );
  });
});
