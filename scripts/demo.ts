/**
 * `npm run demo`: the platform (on a SQLite file in a temporary directory, with the demo seed),
 * the reference PSP and its shop (examples/reference-psp), each on a free loopback port. Prints
 * where to go and what to try; Ctrl-C stops all of it and removes the temporary directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startReferencePsp } from '../examples/reference-psp/index.js';
import { startEmulator } from '../src/emulator.js';
import { DEMO_SEED_FILE } from '../src/package-root.js';
import { readSeedFile } from '../src/seed.js';

const seed = readSeedFile(DEMO_SEED_FILE());
const psp = seed.psps[0];
const merchant = seed.merchants.find((m) => m.pspId === psp?.pspId && m.status === 'ACTIVE' && !m.skipLandingPage);
const user = seed.users.find((u) => u.phoneNumber === '91234567') ?? seed.users[0];
if (!psp || !merchant || !user) throw new Error('the demo seed has no PSP, merchant or user');

const dir = mkdtempSync(join(tmpdir(), 'vipps-psp-demo-'));
const emulator = await startEmulator({ databaseUrl: `sqlite:${join(dir, 'demo.sqlite')}`, port: 0 });
const platformUrl = emulator.running.platform.publicUrl();
const shop = await startReferencePsp({
  emulatorUrl: emulator.url,
  credentials: { ...psp, merchantSerialNumber: merchant.merchantSerialNumber },
  port: 0,
});

process.stdout.write(
  [
    '',
    'Vipps PSP emulator demo: the platform, a reference PSP and its shop',
    '',
    `  Shop:       ${shop.url}/   (back office: ${shop.url}/backoffice)`,
    `  Vipps app:  ${platformUrl}/app`,
    `  Test user:  phone number ${user.phoneNumber}, PIN 1236`,
    '',
    'Try it:',
    `  1. Open ${shop.url}/ and press "Pay with Vipps".`,
    `  2. On the Vipps page, type ${user.phoneNumber} and press Next.`,
    `  3. In another tab open ${platformUrl}/app, log in (${user.phoneNumber}, PIN 1236), open the request and press Pay.`,
    '  4. The first tab returns to the shop: "Payment confirmed". Capture and refund it in the back office.',
    '  Other outcomes: pay an amount ending in ,82 / ,86 / ,89 (declined) or ,11 (3-D Secure) under "Try the acquirer".',
    '',
    `PSP API: ${emulator.url} (Psp-Id ${psp.pspId}, MSN ${merchant.merchantSerialNumber})`,
    `Go-live checklist of what you did: curl -s -H 'Psp-Id: ${psp.pspId}' '${emulator.url}/_emulator/checklist?format=text'`,
    'Ctrl-C stops everything.',
    '',
  ].join('\n'),
);

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`\n${signal}: stopping the shop and the platform\n`);
  await shop.close();
  await emulator.close();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
process.once('SIGINT', () => void stop('SIGINT'));
process.once('SIGTERM', () => void stop('SIGTERM'));
