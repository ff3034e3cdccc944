/**
 * The simulated scheme token service (psp-facts.md §2.5–§2.7): one network token per card and
 * merchant, Luhn-valid and scheme-consistent, with its expiry, and a fresh cryptogram for every
 * makePayment attempt (never reused, never stored). In the test profile the magic amounts of §2.7
 * decide the token whatever card is chosen (the test environment's fixed table), and the first
 * ACCEPTED call of such a payment carries the table's documented cryptogram.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Ore } from '../domain/money.js';
import type { Card, CardBrand } from '../domain/parties.js';

export interface NetworkToken {
  readonly number: string;
  readonly expiryMonth: string;
  readonly expiryYear: string;
  readonly tokenType: CardBrand;
  /**
   * The makePayment `binNumber` (§2.5): the card's BIN; for a magic amount the first six digits of
   * the documented token, so the BIN, `tokenType` and ECI always name the same scheme.
   */
  readonly binNumber: string;
  /** ECI the token requestor sends: 07 for Visa, 06 for Mastercard (§2.6 scheme notes). */
  readonly eci: '07' | '06';
  /**
   * The documented cryptogram of a magic amount (§2.7), sent on the payment's first ACCEPTED call
   * only; null for every other token.
   */
  readonly documentedCryptogram: string | null;
}

export type TokenResult = { readonly eligible: true; readonly token: NetworkToken } | { readonly eligible: false };

/** The magic amounts of the test environment (§2.7), in øre. 3100: "card not eligible". */
const MAGIC: ReadonlyMap<number, { number: string; month: string; year: string; cryptogram: string } | null> = new Map([
  [2200, { number: '5226603115488031', month: '05', year: '2025', cryptogram: 'AlhlvxmN2ZKuAAESNFZ4GoABFA==' }],
  [3100, null],
  [3200, { number: '4111111111111111', month: '03', year: '2030', cryptogram: 'uxToh3Ep6gsR8AAkvZALN19Iz34=' }],
  [4200, { number: '4895370013193500', month: '03', year: '2030', cryptogram: 'AlhlvxmN2ZKuAAESNFZ4GoABFA==' }],
  [4300, { number: '5226603115488031', month: '03', year: '2030', cryptogram: 'AlhlvxmN2ZKuAAESNFZ4GoABFA==' }],
  [4400, { number: '4895370012792682', month: '12', year: '2022', cryptogram: 'AgAAAAAAAIR8CQrXSohbQAAAAAA=' }],
  [5100, { number: '4268270087302871', month: '09', year: '2024', cryptogram: 'AgAAAAAAAIR8CQrXSohbQAAAAAA=' }],
  [5200, { number: '5413330089010442', month: '12', year: '2025', cryptogram: 'AgAAAAAAAIR8CQrXSohbQAAAAAA=' }],
]);

export const MAGIC_AMOUNTS: readonly number[] = [...MAGIC.keys()];

export function luhnCheckDigit(partial: string): string {
  let sum = 0;
  for (let i = 0; i < partial.length; i++) {
    let d = Number(partial[partial.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

export function luhnValid(number: string): boolean {
  return /^\d{2,}$/.test(number) && luhnCheckDigit(number.slice(0, -1)) === number.slice(-1);
}

/** Token BIN ranges, kept apart from the card BINs as real token ranges are. */
const TOKEN_PREFIX: Readonly<Record<CardBrand, string>> = { VISA: '489537', MASTERCARD: '522660' };

export class TokenService {
  constructor(
    /** Derives stable token numbers; one secret per database keeps them stable across restarts. */
    private readonly secret: string,
    private readonly magicAmounts: boolean,
  ) {}

  /** The network token for this card at this merchant (the same every time). */
  tokenFor(card: Card, merchantSerialNumber: string, amount: Ore): TokenResult {
    if (this.magicAmounts && MAGIC.has(amount)) {
      const magic = MAGIC.get(amount);
      if (!magic) return { eligible: false };
      const tokenType: CardBrand = magic.number.startsWith('4') ? 'VISA' : 'MASTERCARD';
      return {
        eligible: true,
        token: {
          number: magic.number,
          binNumber: magic.number.slice(0, 6),
          expiryMonth: magic.month,
          expiryYear: magic.year,
          tokenType,
          eci: tokenType === 'VISA' ? '07' : '06',
          documentedCryptogram: magic.cryptogram,
        },
      };
    }
    if (!card.tokenEligible) return { eligible: false };
    const digest = createHmac('sha256', this.secret).update(`${card.cardId}\u0000${merchantSerialNumber}`).digest();
    const body = Array.from(digest.subarray(0, 9), (b) => String(b % 10)).join('');
    const partial = `${TOKEN_PREFIX[card.brand]}${body}`; // 15 digits
    return {
      eligible: true,
      token: {
        number: `${partial}${luhnCheckDigit(partial)}`,
        binNumber: card.bin,
        // A token lives at most as long as its card (tokens are refreshed with the card).
        expiryMonth: card.expiryMonth,
        expiryYear: card.expiryYear,
        tokenType: card.brand,
        eci: card.brand === 'VISA' ? '07' : '06',
        documentedCryptogram: null,
      },
    };
  }

  /**
   * The cryptogram for one makePayment attempt: a fresh one (TAVV-like, 20 bytes base64) for every
   * attempt, except the first ACCEPTED call of a magic amount, which carries the §2.7 table's
   * documented cryptogram so PSP test acquirers that expect it work. The 3-D Secure resend always
   * gets a fresh one: the issuer has just stepped up, and a repeated cryptogram would be refused
   * as a replay (the ePayment PSP API says the resend carries a fresh one, §2.6 ⚠;
   * docs/approval-engine.md).
   */
  cryptogramFor(token: NetworkToken, attempt: 'first' | '3ds'): string {
    if (attempt === 'first' && token.documentedCryptogram !== null) return token.documentedCryptogram;
    return randomBytes(20).toString('base64');
  }
}
