/**
 * The PSP's own error ids, sent back in `MakePaymentResponse.errorMessage` (psp-facts.md §2.5).
 * The PSP chooses them; Vipps maps them to messages for the user.
 */

export interface PspErrorIdEntry {
  /** The documented `errorText`. */
  readonly errorText: string;
  readonly meaning: string;
}

export const PSP_ERROR_IDS = {
  '71': { errorText: 'Invalid request', meaning: 'The makePayment request failed the PSP’s validation.' },
  '72': { errorText: 'Different texts', meaning: 'Any other error; the PSP puts its own text in errorText.' },
  '81': { errorText: 'No such issuer', meaning: 'The issuer is unknown.' },
  '82': { errorText: 'Refused by Issuer', meaning: 'Generic refusal by the issuer.' },
  '83': { errorText: 'Suspected fraud', meaning: 'Suspected fraud.' },
  '84': { errorText: 'Exceeds withdrawal amount limit', meaning: 'A per-transaction or per-period limit was exceeded.' },
  '85': {
    errorText: 'Response received too late',
    meaning: 'A third party was too slow, or the PSP had already cancelled the pending payment.',
  },
  '86': { errorText: 'Expired card', meaning: 'The card has expired.' },
  '87': { errorText: 'Invalid card number (no such number)', meaning: 'No such card number.' },
  '88': { errorText: 'Merchant does not allow credit cards', meaning: 'The merchant does not accept credit cards.' },
  '89': { errorText: 'Insufficient funds', meaning: 'Insufficient funds.' },
  '91': { errorText: 'Internal error', meaning: 'An internal error at the PSP.' },
  '92': { errorText: 'Unable to decrypt', meaning: 'Encrypted-card era (v2) only; not used with network tokens.' },
  '93': {
    errorText: 'Status from Vipps:CANCEL',
    meaning:
      'The answer to a makePayment that did not carry an accepted payment: "Status from Vipps:CANCEL" (USER_CANCEL), "Status from Vipps:TIMEOUT" (TIMEOUT), "Status from Vipps:NO".',
  },
  '94': { errorText: 'Unhandled soft decline', meaning: 'A soft decline the PSP could not step up with 3-D Secure.' },
  '1036': { errorText: 'Soft Decline', meaning: 'Used with status SOFT_DECLINE (the guide’s example; not in the table).' },
} as const satisfies Record<string, PspErrorIdEntry>;

export type PspErrorId = keyof typeof PSP_ERROR_IDS;

export function isPspErrorId(value: string): value is PspErrorId {
  return Object.hasOwn(PSP_ERROR_IDS, value);
}
