/**
 * The pure decision on the PSP's answer to an ACCEPTED makePayment (src/domain/make-payment-decision.ts),
 * without HTTP: every answer shape the platform can read (interpretMakePaymentAnswer over raw
 * status and text, and the transport outcomes), on the first call and on the call after 3-D Secure.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CallbackOutcome, type InterpretedAnswer, interpretMakePaymentAnswer } from '../src/domain/make-payment.js';
import { type AcceptedPhase, decideCutOff, decideMakePaymentAnswer } from '../src/domain/make-payment-decision.js';

const ID = 'psp-tx-1';
const NOW = '2026-12-03T12:00:00.000Z';
const DUE_3DS = '2026-12-03T12:05:00.000Z';

function decide(
  answer: InterpretedAnswer,
  phase: AcceptedPhase = 'first',
  transport: { httpStatus?: number | null; error?: string | null } = {},
) {
  return decideMakePaymentAnswer({
    phase,
    answer,
    httpStatus: transport.httpStatus ?? 200,
    error: transport.error ?? null,
    amount: 49900,
    nowIso: NOW,
    threeDsDueIso: DUE_3DS,
  });
}

const read = (status: number, body: unknown) =>
  interpretMakePaymentAnswer(status, typeof body === 'string' ? body : JSON.stringify(body), ID);
const transport = (outcome: CallbackOutcome, problem: string): InterpretedAnswer => ({
  outcome,
  errorId: null,
  errorText: null,
  url3dSecure: null,
  parsed: null,
  problem,
});

describe('decideMakePaymentAnswer', () => {
  it('OK reserves the full amount, with the PSP-visible RESERVED entry', () => {
    const d = decide(read(200, { paymentInfo: { pspTransactionId: ID, status: 'OK' } }));
    assert.equal(d.transition, 'reserve');
    assert.deepEqual(d.patch, { reservedAmount: 49900, reservedAt: NOW, userMessage: 'Payment approved.' });
    assert.equal(d.logSuccess, true);
  });

  it('OK after 3-D Secure reserves too', () => {
    assert.equal(decide(read(200, { paymentInfo: { status: 'OK' } }), '3ds').transition, 'reserve');
  });

  it('FAIL keeps the errorId (number or string) and errorText, and picks the user message from the table', () => {
    for (const errorId of [82, '82']) {
      const d = decide(
        read(200, { paymentInfo: { pspTransactionId: ID, status: 'FAIL' }, errorMessage: { errorId, errorText: 'Refused by Issuer' } }),
      );
      assert.equal(d.transition, 'fail');
      assert.equal(d.logSuccess, false);
      if (d.transition !== 'fail') return;
      assert.equal(d.patch.pspErrorId, '82');
      assert.equal(d.patch.pspErrorText, 'Refused by Issuer');
      assert.match(d.patch.failureReason, /answered FAIL \(errorId 82\)/);
      assert.match(d.patch.userMessage, /Your bank refused/);
    }
  });

  it('SOFT_DECLINE on the first call waits for 3-D Secure until its due time; no log entry yet', () => {
    const d = decide(
      read(200, {
        paymentInfo: { pspTransactionId: ID, status: 'SOFT_DECLINE', url3dSecure: 'https://acs.example/3ds' },
        errorMessage: { errorId: 1036, errorText: 'Soft' },
      }),
    );
    assert.equal(d.transition, 'softDecline');
    assert.equal(d.logSuccess, null);
    assert.deepEqual(d.patch, {
      url3dSecure: 'https://acs.example/3ds',
      pspErrorId: '1036',
      pspErrorText: 'Soft',
      dueAt: DUE_3DS,
      userMessage: 'Your bank needs to verify the payment.',
    });
  });

  it('SOFT_DECLINE after 3-D Secure fails with errorId 94 semantics (one round only)', () => {
    const d = decide(read(200, { paymentInfo: { status: 'SOFT_DECLINE', url3dSecure: 'https://acs.example/again' } }), '3ds');
    assert.equal(d.transition, 'fail');
    if (d.transition !== 'fail') return;
    assert.equal(d.patch.pspErrorId, '94');
    assert.match(d.patch.failureReason, /second SOFT_DECLINE/);
  });

  const malformed: [string, number, unknown, RegExp][] = [
    ['a non-200 status', 500, { paymentInfo: { status: 'OK' } }, /answered HTTP 500/],
    ['a redirect', 302, '', /answered HTTP 302/],
    ['not JSON', 200, '<html>', /not JSON/],
    ['a JSON array', 200, [1], /not a JSON object/],
    ['no paymentInfo', 200, {}, /paymentInfo is missing/],
    ['another payment’s id', 200, { paymentInfo: { pspTransactionId: 'other', status: 'OK' } }, /another payment/],
    ['no status', 200, { paymentInfo: {} }, /not OK, FAIL or SOFT_DECLINE/],
    ['an unknown status', 200, { paymentInfo: { status: 'MAYBE' } }, /not OK, FAIL or SOFT_DECLINE/],
    [
      'SOFT_DECLINE without an http(s) url3dSecure',
      200,
      { paymentInfo: { status: 'SOFT_DECLINE', url3dSecure: 'javascript:x' } },
      /without an http/,
    ],
  ];
  for (const [what, status, body, reason] of malformed) {
    it(`fails on ${what}`, () => {
      const d = decide(read(status, body), 'first', { httpStatus: status });
      assert.equal(d.transition, 'fail');
      assert.equal(d.logSuccess, false);
      if (d.transition === 'fail') assert.match(d.patch.failureReason, reason);
    });
  }

  const transports: [CallbackOutcome, RegExp][] = [
    ['TIMEOUT', /within the deadline/],
    ['CONNECTION_ERROR', /could not reach the PSP: ECONNREFUSED/],
    ['ADDRESS_REFUSED', /address is not allowed: ECONNREFUSED/],
  ];
  for (const [outcome, reason] of transports) {
    it(`fails on ${outcome}, telling the user the PSP did not answer`, () => {
      const d = decide(transport(outcome, 'ECONNREFUSED'), 'first', { httpStatus: null, error: 'ECONNREFUSED' });
      assert.equal(d.transition, 'fail');
      if (d.transition !== 'fail') return;
      assert.match(d.patch.failureReason, reason);
      assert.match(d.patch.userMessage, /did not answer/);
    });
  }

  it('a cut-off call (late: its lease ran out) fails as a call with no answer in time', () => {
    const d = decideCutOff();
    assert.equal(d.transition, 'fail');
    if (d.transition !== 'fail') return;
    assert.match(d.patch.failureReason, /cut off/);
    assert.equal(d.patch.pspErrorId, null);
    assert.match(d.patch.userMessage, /did not answer/);
  });
});
