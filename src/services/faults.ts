/**
 * Fault injection's use cases (docs/inspector.md "Faults"), shared by the control API, the
 * inspector and `startEmulator()`: create (checked by domain/faults.ts), list, get, delete.
 */
import { iso } from '../clock.js';
import { ApiError } from '../domain/errors.js';
import { type Fault, FaultSpecError, parseFaultSpec } from '../domain/faults.js';
import type { Platform } from '../platform.js';

/** The PSP named by a Psp-Id (case-insensitive, as the PSP API reads it). */
export async function resolvePsp(platform: Platform, pspId: string | undefined): Promise<string> {
  if (!pspId) throw new ApiError('INVALID_REQUEST', {}, 'the Psp-Id header is required');
  const psp = (await platform.repos.psps.findById(pspId)) ?? (await platform.repos.psps.findById(pspId.toUpperCase()));
  if (!psp) throw new ApiError('PSP_NOT_FOUND');
  return psp.pspId;
}

export async function createFault(platform: Platform, pspIdInput: string | undefined, body: unknown): Promise<Fault> {
  const pspId = await resolvePsp(platform, pspIdInput);
  let spec: ReturnType<typeof parseFaultSpec>;
  try {
    spec = parseFaultSpec(body);
  } catch (error) {
    if (error instanceof FaultSpecError) throw new ApiError('INVALID_REQUEST', {}, error.message);
    throw error;
  }
  const fault = await platform.repos.faults.create(pspId, spec, iso(platform.clock.now()));
  platform.log.info({ fault }, 'fault injected');
  return fault;
}

export async function listFaults(platform: Platform, pspIdInput: string | undefined): Promise<Fault[]> {
  return platform.repos.faults.list(pspIdInput === undefined ? undefined : await resolvePsp(platform, pspIdInput));
}

export async function getFault(platform: Platform, pspIdInput: string | undefined, id: string): Promise<Fault> {
  const fault = await platform.repos.faults.get(id, await resolvePsp(platform, pspIdInput));
  if (!fault) throw new ApiError('FAULT_NOT_FOUND');
  return fault;
}

export async function deleteFault(platform: Platform, pspIdInput: string | undefined, id: string): Promise<void> {
  if (!(await platform.repos.faults.delete(id, await resolvePsp(platform, pspIdInput)))) throw new ApiError('FAULT_NOT_FOUND');
}
