/**
 * Moves an initiated payment to RESERVED exactly as the approval engine does when makePayment
 * answers OK (psp-facts.md §2.5): confirm, reserve the full amount, and the RESERVED log entry,
 * in one transaction. For tests of what happens after the reservation (status batches).
 */
import assert from 'node:assert/strict';
import { iso } from '../../src/clock.js';
import type { Payment } from '../../src/domain/payment.js';
import type { Platform } from '../../src/platform.js';
import type { TestPlatform } from './platform.js';

export async function reserveForTest(platform: TestPlatform | Platform, pspId: string, pspTransactionId: string): Promise<Payment> {
  const { repos, store, clock } = 'running' in platform ? platform.running.platform : platform;
  const payment = await repos.payments.findByPspTransactionId(pspId, pspTransactionId);
  assert.ok(payment, `no payment ${pspTransactionId} of PSP ${pspId}`);
  const now = iso(clock.now());
  return store.db.transaction().execute(async (trx) => {
    const confirmed = await repos.payments.transition(trx, payment.id, 'confirm', now, {
      userPhone: '91234567',
      cardId: 'test-card',
      dueAt: now,
    });
    assert.ok(confirmed, `cannot confirm ${payment.state}`);
    const reserved = await repos.payments.transition(trx, payment.id, 'reserve', now, {
      reservedAmount: payment.amount,
      reservedAt: now,
      userMessage: 'Payment approved.',
    });
    assert.ok(reserved, 'cannot reserve');
    await repos.payments.appendLog(trx, payment.id, {
      operation: 'RESERVED',
      amount: payment.amount,
      paymentText: payment.paymentText,
      success: true,
      at: now,
    });
    return reserved;
  });
}
