/**
 * Isolation of the control API (test profile; docs/ARCHITECTURE.md "Isolation"). A control route
 * is per PSP unless it is listed below: it acts only on the objects of the PSP its `Psp-Id`
 * header names, and answers another PSP's id exactly as it answers an unknown one (same status,
 * same body), so nothing tells a foreign object from a missing one. The routes listed here act on
 * the instance as a whole, and say why.
 *
 * test/control-isolation.test.ts walks the app's own route table and fails on a control route
 * (under /_emulator, or registered only in the test profile) that is neither listed here nor
 * covered by an isolation check there. A new route declares itself either by an entry here (and
 * a line in docs/ARCHITECTURE.md, which a test keeps equal) or by an isolation check in that test.
 */
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../domain/errors.js';
import { header } from './psp-auth.js';

/** Instance-wide control routes ("METHOD /path" as registered), each with why it is not per PSP. */
export const INSTANCE_WIDE_ROUTES: Readonly<Record<string, string>> = {
  'GET /_emulator/clock': 'one clock per instance: every PSP’s due times, expiry and token lifetimes run on it',
  'POST /_emulator/clock/advance': 'moves the one clock of the instance, for every PSP, and runs what came due for every PSP',
  'GET /_emulator/users': 'test users are the simulated Vipps customers, shared by every PSP (a Vipps user pays at any PSP’s merchant)',
  'POST /_emulator/users': 'adds a simulated Vipps customer, for every PSP (as GET /_emulator/users)',
};

/**
 * The PSP a per-PSP control route acts for: its `Psp-Id` header, required. The control API is not
 * authenticated (test profile only): `Psp-Id` scopes what a caller sees and touches, so PSPs
 * sharing an instance do not see or change each other's objects; it is not a credential.
 */
export function controlPspId(request: FastifyRequest): string {
  const pspId = header(request, 'psp-id');
  if (!pspId) throw new ApiError('INVALID_REQUEST', {}, 'the Psp-Id header is required');
  return pspId;
}
