/**
 * What the inspector (the operator's view of the instance, test profile) reads: every PSP's
 * objects. Its routes read through these, not through the repositories.
 */
import type { Merchant, Psp, UserWithCards } from '../domain/parties.js';
import type { Payment } from '../domain/payment.js';
import type { Platform } from '../platform.js';
import { type PaymentFilter, searchPayments } from '../store/payment-search.js';

type Deps = Pick<Platform, 'repos' | 'store'>;

export const listPsps = (platform: Deps): Promise<Psp[]> => platform.repos.psps.list();

export async function listSalesUnits(platform: Deps): Promise<Merchant[]> {
  return (await Promise.all((await listPsps(platform)).map((p) => platform.repos.merchants.listByPsp(p.pspId)))).flat();
}

export const listTestUsers = (platform: Deps): Promise<UserWithCards[]> => platform.repos.users.list();

export const findPayments = (platform: Deps, filter: PaymentFilter): Promise<Payment[]> => searchPayments(platform.store.db, filter);

export const attemptsOfPayment = (platform: Deps, paymentId: string) => platform.repos.callbacks.ofPayment(paymentId);

export const journalEntries = (platform: Deps, query: Parameters<Platform['repos']['journal']['list']>[0]) =>
  platform.repos.journal.list(query);

/** The journal of one payment: the PSP's requests that named it (newest first, at most 100). */
export const journalOfPayment = (platform: Deps, payment: Payment) =>
  journalEntries(platform, { pspId: payment.pspId, pspTransactionId: payment.pspTransactionId, limit: 100 });

export const listAllFaults = (platform: Deps) => platform.repos.faults.list();

/** A journal entry of the PSP's; null for an unknown or another PSP's id (they answer alike). */
export const journalEntryOfPsp = (platform: Deps, id: string, pspId: string) => platform.repos.journal.get(id, pspId);
