/**
 * The money of a payment as the app user sees it (issue 5 item 4; psp-facts.md §2.8, §2.9, §5):
 * what was paid (the captured amount), what is still reserved, what a cancel released and what
 * was refunded, with a status label; and the movements one by one (reserved, captured, released,
 * refunded) from the payment's PSP-visible log. Pure: input the payment's ledger and log, output
 * what the history row and the payment screen print. docs/landing-page-and-app.md "History".
 */
import { assertNever } from '../../domain/errors.js';
import { type Ore, ore } from '../../domain/money.js';
import type { LogOperation, Payment, PaymentLogEntry } from '../../domain/payment.js';

export type Tone = 'ok' | 'bad' | 'neutral' | 'pending';

export interface StatusLabel {
  readonly label: string;
  readonly tone: Tone;
}

/**
 * The amount a row shows first: `paid` and `reserved` are money taken or held, `requested` is
 * asked for and not yet answered, `none` was never taken or was given back (shown struck through).
 */
export interface Headline {
  readonly kind: 'paid' | 'reserved' | 'requested' | 'none';
  /** What the amount is, in words (read by screen readers; the row shows it as the amount's label). */
  readonly caption: string;
  readonly amount: Ore;
}

/** A total of the money's movements after the reservation, for the row and the summary. */
export interface MoneyLine {
  readonly kind: 'still-reserved' | 'released' | 'refunded';
  readonly label: string;
  readonly amount: Ore;
}

export interface MoneyView {
  readonly status: StatusLabel;
  readonly headline: Headline;
  /** Refunded, released and still reserved amounts (only those that are not 0), in that order. */
  readonly lines: readonly MoneyLine[];
  /** Whether the PSP moved money after the reservation (a capture, a cancel or a refund). */
  readonly moved: boolean;
}

type MoneyOfPayment = Pick<Payment, 'state' | 'amount' | 'reservedAmount' | 'capturedAmount' | 'refundedAmount' | 'cancelled'>;

/**
 * The payment's status and money as the PSP reported it through status updates (the ledger the
 * batch job fills). The paid amount is what was captured; refunds do not lower it, they are
 * shown beside it, as a bank statement shows a refund as its own line.
 */
export function moneyView(p: MoneyOfPayment): MoneyView {
  switch (p.state) {
    case 'RESERVED':
      return reservedMoney(p);
    case 'FAILED':
      return notTaken(p, { label: 'Failed', tone: 'bad' });
    case 'USER_CANCELLED':
      return notTaken(p, { label: 'Cancelled', tone: 'neutral' });
    case 'EXPIRED':
      return notTaken(p, { label: 'Expired', tone: 'neutral' });
    case 'INITIATED':
    case 'AWAITING_USER':
      return requested(p, { label: 'Waiting for you', tone: 'pending' });
    case 'CONFIRMING':
    case 'CONFIRMING_3DS':
      return requested(p, { label: 'Processing', tone: 'pending' });
    case 'AWAITING_3DS':
      return requested(p, { label: 'Card verification', tone: 'pending' });
    default:
      return assertNever(p.state, 'payment state');
  }
}

function notTaken(p: MoneyOfPayment, status: StatusLabel): MoneyView {
  return { status, headline: { kind: 'none', caption: 'Not paid', amount: p.amount }, lines: [], moved: false };
}

function requested(p: MoneyOfPayment, status: StatusLabel): MoneyView {
  return { status, headline: { kind: 'requested', caption: 'To pay', amount: p.amount }, lines: [], moved: false };
}

function reservedMoney(p: MoneyOfPayment): MoneyView {
  const captured = p.capturedAmount;
  const refunded = p.refundedAmount;
  const remaining = p.reservedAmount - captured;
  const released = p.cancelled ? remaining : 0;
  const stillReserved = p.cancelled ? 0 : remaining;
  const lines: MoneyLine[] = [];
  if (refunded > 0) lines.push({ kind: 'refunded', label: 'Refunded', amount: ore(refunded) });
  // A cancel before any capture released everything: that is the headline, not a second line.
  if (released > 0 && captured > 0) lines.push({ kind: 'released', label: 'Released', amount: ore(released) });
  const moved = captured > 0 || p.cancelled;
  // "Still reserved" only beside a partial capture: for a payment with no capture yet it is the headline.
  if (captured > 0 && stillReserved > 0) lines.push({ kind: 'still-reserved', label: 'Still reserved', amount: ore(stillReserved) });

  let status: StatusLabel;
  if (captured === 0) status = p.cancelled ? { label: 'Cancelled', tone: 'neutral' } : { label: 'Reserved', tone: 'ok' };
  else if (refunded >= captured) status = { label: 'Refunded', tone: 'neutral' };
  else if (refunded > 0) status = { label: 'Partially refunded', tone: 'ok' };
  else if (stillReserved > 0) status = { label: 'Partially paid', tone: 'ok' };
  else status = { label: 'Paid', tone: 'ok' };

  const headline: Headline =
    captured > 0
      ? { kind: 'paid', caption: 'Paid', amount: ore(captured) }
      : p.cancelled
        ? { kind: 'none', caption: 'Released', amount: ore(p.reservedAmount) }
        : { kind: 'reserved', caption: 'Reserved', amount: ore(p.reservedAmount) };
  return { status, headline, lines, moved };
}

/** One movement of the money, as the payment screen lists it. */
export interface Movement {
  readonly operation: LogOperation;
  readonly label: string;
  readonly amount: Ore;
  /** ISO UTC. */
  readonly at: string;
}

/** The words for each operation of the log (§2.9's enum); a cancel shows the amount it released. */
export function movementLabel(operation: LogOperation): string {
  switch (operation) {
    case 'RESERVED':
      return 'Reserved';
    case 'CAPTURED':
      return 'Captured';
    case 'CANCELLED':
      return 'Released';
    case 'REFUNDED':
      return 'Refunded';
    default:
      return assertNever(operation, 'log operation');
  }
}

/**
 * The movements of a payment, oldest first (a timeline reads down). Entries with
 * `operationSuccess: false` (a failed makePayment, an operation the PSP reported FAILED) moved no
 * money, so the user does not see them; a cancel that released nothing is not a movement either.
 */
export function movements(log: readonly PaymentLogEntry[]): Movement[] {
  return [...log]
    .sort((a, b) => a.seq - b.seq)
    .filter((e) => e.success && e.amount > 0)
    .map((e) => ({ operation: e.operation, label: movementLabel(e.operation), amount: e.amount, at: e.at }));
}
