/**
 * State checks ask the lifecycle table (src/domain/payment-lifecycle.ts): outside the domain and
 * the store (whose SQL carries the table's guards), no file compares a payment's state with a
 * literal; pages and routes use the table's predicates, which are derived from TRANSITIONS.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import {
  awaitsConfirmation,
  awaitsPhoneNumber,
  awaitsPsp,
  awaitsThreeDs,
  awaitsUser,
  isFinal,
  outcomeOf,
  PAYMENT_STATES,
  type PaymentState,
} from '../src/domain/payment-lifecycle.js';

const ROOT = resolve(import.meta.dirname, '..');
const LITERAL_CHECK = new RegExp(`\\bstate\\s*[!=]==\\s*'(${PAYMENT_STATES.join('|')})'`, 'g');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

const which = (predicate: (s: PaymentState) => boolean) => PAYMENT_STATES.filter(predicate);

describe('state checks', () => {
  it('the predicates say what the table says', () => {
    assert.deepEqual(which(awaitsPhoneNumber), ['INITIATED']);
    assert.deepEqual(which(awaitsConfirmation), ['INITIATED', 'AWAITING_USER']);
    assert.deepEqual(which(awaitsUser), ['AWAITING_USER', 'AWAITING_3DS']);
    assert.deepEqual(which(awaitsThreeDs), ['AWAITING_3DS']);
    assert.deepEqual(which(awaitsPsp), ['CONFIRMING', 'CONFIRMING_3DS']);
    assert.deepEqual(
      PAYMENT_STATES.map((s) => [s, outcomeOf(s)]).filter(([, o]) => o !== null),
      [
        ['RESERVED', 'reserved'],
        ['FAILED', 'failed'],
        ['USER_CANCELLED', 'cancelled'],
        ['EXPIRED', 'expired'],
      ],
    );
    for (const s of PAYMENT_STATES) assert.equal(outcomeOf(s) !== null, isFinal(s), s);
  });

  it('the scan finds a literal state check (so the test below can fail)', () => {
    assert.equal([..."if (payment.state === 'INITIATED') return".matchAll(LITERAL_CHECK)].length, 1);
    assert.equal([..."if (p.state !== 'AWAITING_3DS')".matchAll(LITERAL_CHECK)].length, 1);
    assert.equal([..."if (batch.state === 'PENDING')".matchAll(LITERAL_CHECK)].length, 0);
  });

  it('no file outside src/domain and src/store compares a payment state with a literal', () => {
    const found = files(join(ROOT, 'src'))
      .filter((f) => !/[/\\]src[/\\](domain|store)[/\\]/.test(f))
      .flatMap((f) => [...readFileSync(f, 'utf8').matchAll(LITERAL_CHECK)].map((m) => `${relative(ROOT, f)}: ${m[0]}`));
    assert.deepEqual(found, []);
  });
});
