/**
 * What `npm run demo` runs (scripts/demo.ts is the process around it: signals, exit): the platform
 * on a SQLite file in a directory the caller made, the reference PSP and its shop, and the few
 * lines that say where to go. Start-up either gives a running demo or leaves nothing behind: when
 * a part fails to start, what did start is stopped and the directory removed.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { type ReferencePsp, type ReferencePspOptions, startReferencePsp } from '../examples/reference-psp/index.js';
import { type Emulator, startEmulator } from '../src/emulator.js';
import { DEMO_SEED_FILE } from '../src/package-root.js';
import { readSeedFile } from '../src/seed.js';
import { TEST_PIN } from '../src/wallet/pages/app.js';

export interface DemoOptions {
  /** An empty directory for the database (demo.sqlite and its -wal, -shm, .key); removed by close(). */
  readonly dir: string;
  /** Starts the shop (tests inject a failing one); default startReferencePsp. */
  readonly startShop?: (options: ReferencePspOptions) => Promise<ReferencePsp>;
}

export interface Demo {
  readonly dir: string;
  readonly emulator: Emulator;
  readonly shop: ReferencePsp;
  /** What the demo prints: the URLs, the test user, what to try. */
  readonly instructions: string;
  /** Stops the shop and the platform, then removes the directory. */
  close(): Promise<void>;
}

export const removeDir = (dir: string): void => rmSync(dir, { recursive: true, force: true });

export async function startDemo(options: DemoOptions): Promise<Demo> {
  const { dir } = options;
  const seed = readSeedFile(DEMO_SEED_FILE());
  const psp = seed.psps[0];
  const merchant = seed.merchants.find((m) => m.pspId === psp?.pspId && m.status === 'ACTIVE' && !m.skipLandingPage);
  const user = seed.users.find((u) => u.phoneNumber === '91234567') ?? seed.users[0];
  if (!psp || !merchant || !user) throw new Error('the demo seed has no PSP, merchant or user');

  let emulator: Emulator | undefined;
  let shop: ReferencePsp | undefined;
  const close = async () => {
    try {
      await shop?.close();
    } finally {
      try {
        await emulator?.close();
      } finally {
        removeDir(dir);
      }
    }
  };
  let started = false;
  try {
    emulator = await startEmulator({ databaseUrl: `sqlite:${join(dir, 'demo.sqlite')}`, port: 0 });
    shop = await (options.startShop ?? startReferencePsp)({
      emulatorUrl: emulator.url,
      credentials: { ...psp, merchantSerialNumber: merchant.merchantSerialNumber },
      port: 0,
    });
    started = true;
  } finally {
    if (!started) await close();
  }

  const platformUrl = emulator.running.platform.publicUrl();
  const instructions = [
    '',
    'Vipps PSP emulator demo: the platform, a reference PSP and its shop',
    '',
    `  Shop:       ${shop.url}/   (back office: ${shop.url}/backoffice)`,
    `  Vipps app:  ${platformUrl}/app`,
    `  Test user:  phone number ${user.phoneNumber}, PIN ${TEST_PIN}`,
    '',
    'Try it:',
    `  1. Open ${shop.url}/ and press "Pay with Vipps".`,
    `  2. On the Vipps page, type ${user.phoneNumber} and press Next.`,
    `  3. In another tab open ${platformUrl}/app, log in (${user.phoneNumber}, PIN ${TEST_PIN}), open the request and press Pay.`,
    '  4. The first tab returns to the shop: "Payment confirmed". Capture and refund it in the back office.',
    '  Other outcomes: pay an amount ending in ,82 / ,86 / ,89 (declined) or ,11 (3-D Secure) under "Try the acquirer".',
    '',
    `PSP API: ${emulator.url} (Psp-Id ${psp.pspId}, MSN ${merchant.merchantSerialNumber})`,
    `Go-live checklist of what you did: curl -s -H 'Psp-Id: ${psp.pspId}' '${emulator.url}/_emulator/checklist?format=text'`,
    `Data: ${dir} (removed when the demo stops)`,
    'Ctrl-C stops everything.',
    '',
  ].join('\n');
  return { dir, emulator, shop, instructions, close };
}
