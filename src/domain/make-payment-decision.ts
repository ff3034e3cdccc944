/**
 * What the PSP's answer to an ACCEPTED makePayment call does to the payment (psp-facts.md §2.5,
 * §2.6): a pure decision, like `decideStatusItem` for status updates. The caller applies the
 * transition with its conditional write, appends the log entry, and records the attempt.
 *
 *  - OK → reserve (RESERVED, the PSP-visible RESERVED entry).
 *  - SOFT_DECLINE on the first call → 3-D Secure (AWAITING_3DS); on the call after 3-D Secure →
 *    fail with errorId 94 semantics (§2.6: only one 3-D Secure round).
 *  - FAIL, an HTTP error, an unreadable answer, no answer in time, an unreachable or refused
 *    address → fail, with the reason and the message the user sees.
 *  - Cut off (the call's lease ran out before its answer was recorded: the process died, or the
 *    answer came too late) → fail as a call with no answer in time; never a second call with the
 *    same cryptogram.
 */
import { assertNever } from './errors.js';
import { type CallbackOutcome, type InterpretedAnswer, userMessageFor } from './make-payment.js';
import type { TransitionPatches } from './payment-lifecycle.js';

export type AcceptedPhase = 'first' | '3ds';

export type MakePaymentDecision =
  | { readonly transition: 'reserve'; readonly patch: TransitionPatches['reserve']; readonly logSuccess: true }
  | { readonly transition: 'softDecline'; readonly patch: TransitionPatches['softDecline']; readonly logSuccess: null }
  | { readonly transition: 'fail'; readonly patch: TransitionPatches['fail']; readonly logSuccess: false };

export interface AnswerInput {
  readonly phase: AcceptedPhase;
  readonly answer: InterpretedAnswer;
  /** The HTTP status and the transport error of the call, for the failure reason. */
  readonly httpStatus: number | null;
  readonly error: string | null;
  readonly amount: number;
  readonly nowIso: string;
  /** When the 3-D Secure wait would end (a soft decline's due time). */
  readonly threeDsDueIso: string;
}

export function decideMakePaymentAnswer(input: AnswerInput): MakePaymentDecision {
  const { answer } = input;
  switch (answer.outcome) {
    case 'OK':
      return {
        transition: 'reserve',
        patch: { reservedAmount: input.amount, reservedAt: input.nowIso, userMessage: userMessageFor('OK', null) },
        logSuccess: true,
      };
    case 'SOFT_DECLINE':
      if (input.phase === '3ds') {
        return failed({
          failureReason: 'second SOFT_DECLINE after 3-D Secure (errorId 94 semantics)',
          pspErrorId: answer.errorId ?? '94',
          pspErrorText: answer.errorText ?? 'Unhandled soft decline',
          userMessage: userMessageFor('FAIL', '94'),
        });
      }
      return {
        transition: 'softDecline',
        patch: {
          url3dSecure: answer.url3dSecure ?? '',
          pspErrorId: answer.errorId,
          pspErrorText: answer.errorText,
          dueAt: input.threeDsDueIso,
          userMessage: userMessageFor('SOFT_DECLINE', answer.errorId),
        },
        logSuccess: null,
      };
    case 'FAIL':
    case 'HTTP_ERROR':
    case 'INVALID_RESPONSE':
    case 'TIMEOUT':
    case 'CONNECTION_ERROR':
    case 'ADDRESS_REFUSED':
    case 'ABANDONED':
      return failed({
        failureReason: failureReason(answer, input),
        pspErrorId: answer.errorId,
        pspErrorText: answer.errorText,
        userMessage: userMessageFor(answer.outcome, answer.errorId),
      });
    default:
      return assertNever(answer.outcome, 'makePayment outcome');
  }
}

/** The cut-off rule for an ACCEPTED call (no answer can be recorded any more). */
export function decideCutOff(): MakePaymentDecision {
  return failed({
    failureReason: 'no answer from the PSP in time (the call was cut off: the platform stopped or the answer came too late)',
    pspErrorId: null,
    pspErrorText: null,
    userMessage: userMessageFor('TIMEOUT', null),
  });
}

const failed = (patch: TransitionPatches['fail']): MakePaymentDecision => ({ transition: 'fail', patch, logSuccess: false });

function failureReason(answer: InterpretedAnswer, input: Pick<AnswerInput, 'httpStatus' | 'error'>): string {
  const outcome: CallbackOutcome = answer.outcome;
  switch (outcome) {
    case 'FAIL':
      return `the PSP answered FAIL${answer.errorId ? ` (errorId ${answer.errorId})` : ''}`;
    case 'HTTP_ERROR':
      return `the PSP answered HTTP ${input.httpStatus}`;
    case 'INVALID_RESPONSE':
      return `the PSP's answer is not the documented JSON: ${answer.problem}`;
    case 'TIMEOUT':
      return 'no answer from the PSP within the deadline';
    case 'CONNECTION_ERROR':
      return `could not reach the PSP: ${input.error}`;
    case 'ADDRESS_REFUSED':
      return `the makePaymentUrl address is not allowed: ${input.error}`;
    default:
      return `unexpected outcome ${outcome}`;
  }
}
