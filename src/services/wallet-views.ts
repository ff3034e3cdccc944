/**
 * What the simulated app and the landing page read besides the payment itself: the user, the
 * shop's name, the user's payments and a payment's PSP-visible history. Routes read through these,
 * not through the repositories (docs/ARCHITECTURE.md "Layout").
 */
import type { UserWithCards } from '../domain/parties.js';
import type { Payment, PaymentLogEntry } from '../domain/payment.js';
import type { Platform } from '../platform.js';

type Deps = Pick<Platform, 'repos'>;

export const findUser = (platform: Deps, phoneNumber: string): Promise<UserWithCards | null> =>
  platform.repos.users.findByPhone(phoneNumber);

export const listUsers = (platform: Deps): Promise<UserWithCards[]> => platform.repos.users.list();

/** The sales unit (for its name and logo); null when there is none. */
export const findSalesUnit = (platform: Deps, merchantSerialNumber: string) => platform.repos.merchants.findByMsn(merchantSerialNumber);

/** A user's payments, newest first. */
export const paymentsOfUser = (platform: Deps, phoneNumber: string, limit: number): Promise<Payment[]> =>
  platform.repos.payments.listByUser(phoneNumber, limit);

/** A payment's PSP-visible history (details' transactionLogHistory). */
export const paymentLog = (platform: Deps, paymentId: string): Promise<PaymentLogEntry[]> => platform.repos.payments.log(paymentId);
