/**
 * The simulated acquirer of the reference PSP: it "authorises" a network token and decides by
 * the amount's last two digits (øre), so every outcome can be chosen from the shop:
 *
 * | Amount ends in | Outcome |
 * |---|---|
 * | `11` | soft decline: the issuer wants 3-D Secure; approved once the customer completed it |
 * | `85` | the acquirer is too slow: the PSP gives up at its own deadline and answers FAIL 85 |
 * | `71`, `72`, `81`–`84`, `86`–`89`, `91`, `94` | declined with that PSP error id |
 * | anything else | approved |
 *
 * `92` (Unable to decrypt) belonged to encrypted cards (PSP API v2) and cannot happen with network
 * tokens; `93` is the answer to a TIMEOUT / USER_CANCEL call, not an acquirer outcome.
 */
import type { NetworkToken, PspErrorId } from '../../src/client/index.js';

export type AuthorisationResult =
  | { readonly kind: 'approved'; readonly authorisationCode: string }
  | { readonly kind: 'declined'; readonly errorId: PspErrorId; readonly errorText?: string }
  | { readonly kind: 'soft-decline' };

export interface AuthorisationRequest {
  readonly amountOre: number;
  readonly token: NetworkToken;
  /** The customer completed 3-D Secure for this payment (the CAVV of the step-up). */
  readonly threeDsCompleted: boolean;
}

const DECLINES: Readonly<Record<string, PspErrorId>> = {
  '71': '71',
  '72': '72',
  '81': '81',
  '82': '82',
  '83': '83',
  '84': '84',
  '86': '86',
  '87': '87',
  '88': '88',
  '89': '89',
  '91': '91',
  '94': '94',
};

/** How long the acquirer takes for an amount ending in 85 (longer than any sensible PSP deadline). */
export const SLOW_ACQUIRER_MS = 60_000;

/** The last two digits of an amount in øre, as two characters. */
export const ruleDigitsOf = (amountOre: number): string => String(amountOre % 100).padStart(2, '0');

export class SimulatedAcquirer {
  private sequence = 0;

  /** Authorises; resolves after `SLOW_ACQUIRER_MS` for amounts ending in 85 (or when `signal` aborts). */
  async authorise(request: AuthorisationRequest, signal?: AbortSignal): Promise<AuthorisationResult> {
    const digits = ruleDigitsOf(request.amountOre);
    if (digits === '85') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, SLOW_ACQUIRER_MS);
        signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      return { kind: 'declined', errorId: '85' };
    }
    if (digits === '11' && !request.threeDsCompleted) return { kind: 'soft-decline' };
    const errorId = DECLINES[digits];
    if (errorId === '72') return { kind: 'declined', errorId, errorText: 'Card blocked by the acquirer' };
    if (errorId) return { kind: 'declined', errorId };
    this.sequence += 1;
    return { kind: 'approved', authorisationCode: `A${String(this.sequence).padStart(5, '0')}` };
  }
}
