/**
 * Money is an integer number of øre (GUIDE practice 4), parsed at the edge.
 * Amounts may arrive as JSON integers or numeric JSON strings ("49900"), as the official
 * Postman collection sends them (psp-facts.md §2.2).
 */
declare const oreBrand: unique symbol;
export type Ore = number & { readonly [oreBrand]: true };

export const INT32_MAX = 2_147_483_647;
/** Minimum payment amount: 1 NOK (psp-facts.md §2.3, §2.11). */
export const MIN_PAYMENT_ORE = 100;

/**
 * An amount sent as a JSON string: decimal digits only (psp-facts.md §2.2: the Postman collection
 * sends "49900"; §2.11: integers, no decimals). No sign, no spaces, no "49900.0", "1e4" or "0x1F40".
 */
const DIGIT_STRING = /^\d{1,10}$/;

/**
 * The edge's one leniency for amounts: a string of digits becomes the number it spells; every
 * other value is returned unchanged, for the schema to judge.
 */
export function amountFromJson(value: unknown): unknown {
  return typeof value === 'string' && DIGIT_STRING.test(value) ? Number(value) : value;
}

/** Parses an amount from a request. Returns null unless it is an integer (or a digit string) in [0, int32]. */
export function parseOre(value: unknown): Ore | null {
  const n = amountFromJson(value);
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0 || n > INT32_MAX) return null;
  return n as Ore;
}

export function ore(n: number): Ore {
  if (!Number.isSafeInteger(n) || n < 0 || n > INT32_MAX) throw new RangeError(`not an øre amount: ${n}`);
  return n as Ore;
}

/** 49900 → "499,00" (Norwegian formatting, for pages). */
export function formatKroner(amount: Ore): string {
  const kroner = Math.floor(amount / 100);
  const rest = String(amount % 100).padStart(2, '0');
  return `${kroner.toLocaleString('nb-NO').replace(/\u00a0/g, ' ')},${rest}`;
}
