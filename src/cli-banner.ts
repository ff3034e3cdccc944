import type { Config } from './config.js';
import { redactPasswords } from './redact.js';
import type { Seed } from './seed.js';

/** The start banner. Credentials only in the test profile, and only of the seed's first PSP. */
export function bannerLines(config: Config, seed: Seed, url: string, publicUrl: string): string[] {
  const lines = [
    '',
    `Vipps PSP emulator (${config.profile} profile) listening on ${url}`,
    `  Public URL:   ${publicUrl}`,
    `  Database:     ${redactPasswords(config.databaseUrl)}`,
    `  Seed:         ${config.seedFile ?? 'built-in demo seed'}`,
    '',
  ];
  const psp = seed.psps[0];
  if (!psp) return lines;
  const units = seed.merchants.filter((m) => m.pspId === psp.pspId);
  const msn = units.find((m) => m.status !== 'DEACTIVATED')?.merchantSerialNumber;
  const label = config.seedFile === null ? `Demo PSP "${psp.name}"` : `PSP "${psp.name}" (the seed's first PSP)`;
  lines.push(
    label,
    `  Psp-Id:                     ${psp.pspId}`,
    `  Merchant-Serial-Number:     ${units
      .map((m) => `${m.merchantSerialNumber} (${m.name}${m.skipLandingPage ? ', may skip the landing page' : ''})`)
      .join(', ')}`,
  );
  if (config.profile !== 'test') {
    // Production: no secret on the console (they are in the seed file the operator wrote).
    lines.push('  (credentials are not shown in the production profile: they are in the seed file)', '');
    return lines;
  }
  lines.push(
    `  client_id:                  ${psp.clientId}`,
    `  client_secret:              ${psp.clientSecret}`,
    `  Ocp-Apim-Subscription-Key:  ${psp.subscriptionKey}`,
    '',
    'Test users (PIN 1236 in the app):',
    ...seed.users.map((u) => `  ${u.phoneNumber}  ${u.name}${u.status === 'BLOCKED' ? ' (blocked)' : ''}`),
    '',
    'Try it:',
    `  curl -s -X POST ${publicUrl}/accesstoken/get -H 'client_id: ${psp.clientId}' -H 'client_secret: ${psp.clientSecret}' -H 'Ocp-Apim-Subscription-Key: ${psp.subscriptionKey}'`,
    `  then POST ${publicUrl}/psp/v3/psppayments/init with Authorization: Bearer <access_token>, Psp-Id, Merchant-Serial-Number: ${msn ?? '<msn>'}`,
    '',
  );
  return lines;
}
