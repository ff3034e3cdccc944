#!/usr/bin/env node
/**
 * `vipps-psp-emulator`: starts the platform. Every environment variable has an equivalent flag
 * (`PUBLIC_URL` ↔ `--public-url`); a flag wins over the variable.
 */
import { parseArgs } from 'node:util';
import { runChecklistCommand } from './cli-checklist.js';
import { ConfigError, parseConfig } from './config.js';
import { startPlatform } from './main.js';
import { DEMO_SEED_FILE } from './package-root.js';
import { readSeedFile, SeedError } from './seed.js';

const FLAGS = [
  'port',
  'host',
  'public-url',
  'database-url',
  'seed-file',
  'profile',
  'log-level',
  'callback-timeout-ms',
  'status-batch-schedule',
  'allow-loopback-callbacks',
  'allow-private-callbacks',
  'body-limit-bytes',
  'updatestatus-body-limit-bytes',
  'request-timeout-ms',
  'idempotency-ttl-seconds',
  'sweep-interval-ms',
  'sqlite-synchronous',
  'database-pool-size',
  'merchant-initial-status',
  'merchant-activation-delay-seconds',
] as const;

const HELP = `Usage: vipps-psp-emulator [options]
       vipps-psp-emulator checklist --url <base> --psp-id <id> [--json]   (see checklist --help)

Starts the Vipps PSP platform emulator. Each option can also be given as an environment
variable (--public-url ↔ PUBLIC_URL); options win.

  --port <n>                  PORT (default 7070)
  --host <addr>               HOST (default 127.0.0.1)
  --public-url <url>          PUBLIC_URL, base of the URLs handed out (default http://localhost:$PORT)
  --database-url <url>        DATABASE_URL: sqlite:<path>, sqlite::memory: or postgres://user:password@host:port/db
                              (default ./data/vipps-psp-emulator.sqlite)
  --database-pool-size <n>    DATABASE_POOL_SIZE, connections per node to PostgreSQL (default 10)
  --seed-file <path>          SEED_FILE, a JSON seed (default: the built-in demo seed)
  --profile <test|production> PROFILE (default test)
  --log-level <level>         LOG_LEVEL (default info)
  --callback-timeout-ms <n>   CALLBACK_TIMEOUT_MS, makePayment deadline (default 15000)
  --status-batch-schedule <s> STATUS_BATCH_SCHEDULE: immediate|nightly|manual|never
  --allow-loopback-callbacks <true|false>  ALLOW_LOOPBACK_CALLBACKS (default: true in test)
  --allow-private-callbacks <true|false>   ALLOW_PRIVATE_CALLBACKS (default false)
  --sqlite-synchronous <FULL|NORMAL>       SQLITE_SYNCHRONOUS (default FULL: every acknowledged commit is on disk)
  --merchant-initial-status <ACTIVE|PENDING>  MERCHANT_INITIAL_STATUS of new sales units (default: ACTIVE in test, PENDING in production)
  --merchant-activation-delay-seconds <n>     MERCHANT_ACTIVATION_DELAY_SECONDS until PENDING becomes ACTIVE (default 300)
  --help                      this text
`;

export function envFromArgs(argv: readonly string[], env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  const options = Object.fromEntries(FLAGS.map((f) => [f, { type: 'string' as const }]));
  const parsed = parseArgs({ args: [...argv], options: { ...options, help: { type: 'boolean' } }, allowPositionals: false });
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const merged: Record<string, string | undefined> = { ...env };
  for (const flag of FLAGS) {
    const value = values[flag];
    if (typeof value === 'string') merged[flag.toUpperCase().replace(/-/g, '_')] = value;
  }
  return merged;
}

async function main(): Promise<void> {
  let config: ReturnType<typeof parseConfig>;
  try {
    config = parseConfig(envFromArgs(process.argv.slice(2), process.env));
  } catch (error) {
    if (error instanceof ConfigError || error instanceof TypeError) {
      process.stderr.write(`vipps-psp-emulator: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  let seed: ReturnType<typeof readSeedFile>;
  try {
    seed = readSeedFile(config.seedFile ?? DEMO_SEED_FILE());
  } catch (error) {
    if (error instanceof SeedError) {
      process.stderr.write(`vipps-psp-emulator: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const running = await startPlatform(config);
  const base = running.platform.publicUrl();
  const psp = seed.psps[0];
  const msn = seed.merchants.find((m) => m.pspId === psp?.pspId && m.status !== 'DEACTIVATED')?.merchantSerialNumber;
  const lines = [
    '',
    `Vipps PSP emulator (${config.profile} profile) listening on ${running.url}`,
    `  Public URL:   ${base}`,
    `  Database:     ${config.databaseUrl}`,
    `  Seed:         ${config.seedFile ?? 'built-in demo seed'}`,
    '',
  ];
  if (psp) {
    lines.push(
      `Demo PSP "${psp.name}"`,
      `  Psp-Id:                     ${psp.pspId}`,
      `  client_id:                  ${psp.clientId}`,
      `  client_secret:              ${psp.clientSecret}`,
      `  Ocp-Apim-Subscription-Key:  ${psp.subscriptionKey}`,
      `  Merchant-Serial-Number:     ${seed.merchants
        .filter((m) => m.pspId === psp.pspId)
        .map((m) => `${m.merchantSerialNumber} (${m.name}${m.skipLandingPage ? ', may skip the landing page' : ''})`)
        .join(', ')}`,
      '',
      'Test users (PIN 1236 in the app):',
      ...seed.users.map((u) => `  ${u.phoneNumber}  ${u.name}${u.status === 'BLOCKED' ? ' (blocked)' : ''}`),
      '',
      'Try it:',
      `  curl -s -X POST ${base}/accesstoken/get -H 'client_id: ${psp.clientId}' -H 'client_secret: ${psp.clientSecret}' -H 'Ocp-Apim-Subscription-Key: ${psp.subscriptionKey}'`,
      `  then POST ${base}/psp/v3/psppayments/init with Authorization: Bearer <access_token>, Psp-Id, Merchant-Serial-Number: ${msn ?? '<msn>'}`,
      '',
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  const stop = async (signal: string) => {
    process.stdout.write(`\n${signal}: stopping\n`);
    await running.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

// Subcommands first; anything else starts the server.
if (process.argv[2] === 'checklist') process.exitCode = await runChecklistCommand(process.argv.slice(3));
else await main();
