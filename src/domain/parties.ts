/** The parties of a payment: the PSP, its merchants' sales units, and test users with their cards. */

export interface Psp {
  readonly pspId: string;
  readonly name: string;
  readonly clientId: string;
}

export const MERCHANT_STATUSES = ['ACTIVE', 'PENDING', 'DEACTIVATED'] as const;
export type MerchantStatus = (typeof MERCHANT_STATUSES)[number];

export interface MerchantAddress {
  readonly addressLine1: string;
  readonly addressLine2?: string | null;
  readonly city: string;
  readonly postCode: string;
  readonly country: string;
}

/** A sales unit (identified by its MSN) of a PSP's merchant. */
export interface Merchant {
  readonly merchantSerialNumber: string;
  readonly pspId: string;
  readonly name: string;
  readonly companyName: string;
  readonly organizationNumber: string;
  readonly companyEmail: string | null;
  readonly email: string | null;
  readonly website: string | null;
  readonly mccCode: string | null;
  readonly logo: string | null;
  readonly address: MerchantAddress | null;
  readonly status: MerchantStatus;
  /** Whitelisted for `skipLandingPage` (psp-facts.md §2.14). */
  readonly skipLandingPage: boolean;
  readonly termsOfServiceAccepted: boolean | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export const USER_STATUSES = ['ACTIVE', 'BLOCKED'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

export const CARD_BRANDS = ['VISA', 'MASTERCARD'] as const;
export type CardBrand = (typeof CARD_BRANDS)[number];
export const CARD_TYPES = ['DEBIT', 'CREDIT'] as const;
export type CardType = (typeof CARD_TYPES)[number];

/** A card is a BIN, the last four digits and its attributes: no card number (PAN) is ever stored. */
export interface Card {
  readonly cardId: string;
  readonly phoneNumber: string;
  readonly brand: CardBrand;
  readonly type: CardType;
  readonly bin: string;
  readonly last4: string;
  readonly expiryMonth: string;
  readonly expiryYear: string;
  readonly tokenEligible: boolean;
  readonly isDefault: boolean;
  /** The user's own name for the card (the real app shows e.g. "Visa Spendings"), or null. */
  readonly nickname: string | null;
}

export interface User {
  readonly phoneNumber: string;
  readonly name: string;
  /** YYYY-MM-DD */
  readonly birthDate: string;
  readonly status: UserStatus;
}

/** Users under 15 cannot pay businesses (psp-facts.md §2.3 code 81, §2.14). */
export const MIN_AGE_TO_PAY_BUSINESSES = 15;

export function ageOn(birthDate: string, todayIso: string): number {
  const [by, bm, bd] = birthDate.split('-').map(Number) as [number, number, number];
  const [ty, tm, td] = todayIso.slice(0, 10).split('-').map(Number) as [number, number, number];
  let age = ty - by;
  if (tm < bm || (tm === bm && td < bd)) age -= 1;
  return age;
}

export function canPayBusinesses(user: User | null, todayIso: string): boolean {
  return user !== null && user.status === 'ACTIVE' && ageOn(user.birthDate, todayIso) >= MIN_AGE_TO_PAY_BUSINESSES;
}

/** A card has expired after the last day of its expiry month. */
export function cardExpired(card: Pick<Card, 'expiryMonth' | 'expiryYear'>, todayIso: string): boolean {
  const ym = Number(card.expiryYear) * 12 + Number(card.expiryMonth);
  const [ty, tm] = todayIso.slice(0, 7).split('-').map(Number) as [number, number];
  return ty * 12 + tm > ym;
}

export function cardUsable(card: Card, todayIso: string): boolean {
  return card.tokenEligible && !cardExpired(card, todayIso);
}

/** What authentication and init need of a sales unit (`Merchant-Serial-Number`). */
export type SalesUnitAccess = Pick<Merchant, 'merchantSerialNumber' | 'pspId' | 'status' | 'skipLandingPage'>;

/** A test user with their cards (the simulated app's user). */
export interface UserWithCards extends User {
  readonly cards: readonly Card[];
}
