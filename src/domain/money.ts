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

/** Parses an amount from a request. Returns null when it is not an integer in [0, int32]. */
export function parseOre(value: unknown): Ore | null {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && /^-?\d{1,10}$/.test(value.trim())) n = Number(value.trim());
  else return null;
  if (!Number.isSafeInteger(n) || n < 0 || n > INT32_MAX) return null;
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
