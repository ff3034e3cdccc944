/**
 * PENDING sales units become ACTIVE `merchantActivationDelaySeconds` after their creation, on the
 * platform clock (psp-facts.md §3 ⚠: how long the real platform takes is undocumented, so it is
 * configuration: MERCHANT_INITIAL_STATUS, MERCHANT_ACTIVATION_DELAY_SECONDS). Advancing the clock
 * through the control API runs the job at once. The write is conditional on PENDING, so a sales
 * unit deactivated meanwhile is never reactivated.
 */
import { iso } from '../clock.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { MerchantRepository } from '../store/merchants.js';
import type { Scheduler } from './scheduler.js';

export interface MerchantActivationDeps {
  readonly config: Pick<Config, 'merchantActivationDelaySeconds'>;
  readonly log: Logger;
  readonly repos: { readonly merchants: MerchantRepository };
}

export async function activateDueMerchants(deps: MerchantActivationDeps, nowMs: number): Promise<string[]> {
  const createdAtOrBefore = iso(nowMs - deps.config.merchantActivationDelaySeconds * 1000);
  const activated = await deps.repos.merchants.activatePending(createdAtOrBefore, iso(nowMs));
  if (activated.length > 0) deps.log.info({ merchantSerialNumbers: activated }, 'pending sales units activated');
  return activated;
}

export function registerMerchantActivationJob(scheduler: Scheduler, deps: MerchantActivationDeps): void {
  scheduler.register('merchant-activation', async (nowMs) => {
    await activateDueMerchants(deps, nowMs);
  });
}
