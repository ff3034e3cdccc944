/**
 * When stored updatestatus batches are applied (psp-facts.md §2.8; STATUS_BATCH_SCHEDULE):
 *  - `immediate`: at once (the route triggers the scheduler after answering; the sweep catches up);
 *  - `nightly`:   at 02:00 Europe/Oslo on the platform clock, like the real platform. The last
 *                 night run is kept in the database, so a restart neither skips a night that came
 *                 while the platform was down nor runs a night twice;
 *  - `manual`:    only by `POST /_emulator/status-batches/run`;
 *  - `never`:     stored, never applied (like the real test environment).
 */
import { iso } from '../clock.js';
import { assertNever } from '../domain/errors.js';
import { osloDate, osloOffsetMinutes } from '../domain/time.js';
import { applyPendingBatches, type StatusBatchDeps } from '../services/apply-status-batches.js';
import type { Scheduler } from './scheduler.js';

export { NIGHTLY_JOB } from '../domain/status-batch.js';

import { NIGHTLY_JOB } from '../domain/status-batch.js';
/** The nightly batch runs at this hour, Oslo time. */
export const NIGHTLY_HOUR_OSLO = 2;
/** How long a process's claim on the nightly run holds (platform clock) before another may take it over. */
const NIGHTLY_LEASE_MS = 10 * 60_000;

/**
 * The instant of 02:00 Oslo time on an Oslo calendar day (YYYY-MM-DD). On the spring-forward day
 * 02:00 does not exist and this is 03:00 CEST (the same instant as 02:00 CET); on the fall-back
 * day it is the first 02:00 (CEST). Both follow from using the offset before 01:00 UTC, when
 * Europe switches.
 */
export function osloNightAt(day: string): number {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const midnightUtc = Date.UTC(y, m - 1, d);
  return midnightUtc + NIGHTLY_HOUR_OSLO * 3_600_000 - osloOffsetMinutes(midnightUtc) * 60_000;
}

/** The latest nightly run time at or before `nowMs`. */
export function lastNightlyRunAt(nowMs: number): number {
  const today = osloNightAt(osloDate(nowMs));
  if (today <= nowMs) return today;
  const yesterday = new Date(Date.parse(`${osloDate(nowMs)}T12:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
  return osloNightAt(yesterday);
}

/** One tick of the schedule (the scheduler calls it every sweep and on clock advances). */
export async function runStatusBatchSchedule(deps: StatusBatchDeps, nowMs: number): Promise<void> {
  const schedule = deps.config.statusBatchSchedule;
  switch (schedule) {
    case 'immediate':
      await applyPendingBatches(deps);
      return;
    case 'nightly': {
      const night = iso(lastNightlyRunAt(nowMs));
      const batches = deps.repos.statusBatches;
      // Claimed in the database: one process runs the night; a process that dies in the middle
      // leaves it to another after the lease.
      const lease = { nodeId: deps.nodeId, until: iso(nowMs + NIGHTLY_LEASE_MS) };
      if (!(await batches.claimRun(NIGHTLY_JOB, night, lease, iso(nowMs)))) return;
      // The night's batch takes what was received before 02:00; later batches wait for the next
      // night, also when this run is a catch-up after a restart.
      await applyPendingBatches(deps, { receivedBefore: night });
      await batches.finishRun(NIGHTLY_JOB, night, deps.nodeId, iso(deps.clock.now()));
      return;
    }
    case 'manual':
    case 'never':
      return;
    default:
      return assertNever(schedule, 'status batch schedule');
  }
}

export function registerStatusBatchJob(scheduler: Scheduler, deps: StatusBatchDeps): void {
  scheduler.register('status-batches', (nowMs) => runStatusBatchSchedule(deps, nowMs));
}
