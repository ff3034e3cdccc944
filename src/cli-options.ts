/**
 * The CLI's options: every setting's flag with its environment variable, the help text, and the
 * parsing of argv into the environment parseConfig reads (a flag wins over the variable).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot } from './package-root.js';

interface Option {
  readonly flag: string;
  readonly arg: string;
  readonly help: string;
}

/** Every setting's flag; its environment variable is the flag in upper snake case. */
const OPTIONS: readonly Option[] = [
  { flag: 'port', arg: '<n>', help: 'port to listen on (default 7070; 0: any free port)' },
  { flag: 'host', arg: '<addr>', help: 'address to listen on (default 127.0.0.1; 0.0.0.0 in a container)' },
  { flag: 'public-url', arg: '<url>', help: 'base of the URLs handed out (default http://localhost:$PORT)' },
  {
    flag: 'database-url',
    arg: '<url>',
    help: 'sqlite:<path>, sqlite::memory: or postgres://user:password@host:port/db (default sqlite:./data/vipps-psp-emulator.sqlite)',
  },
  { flag: 'database-pool-size', arg: '<n>', help: 'PostgreSQL only: connections per node (default 10)' },
  { flag: 'seed-file', arg: '<path>', help: 'JSON seed file, shape seed/seed.schema.json (default: the built-in demo seed)' },
  { flag: 'profile', arg: '<test|production>', help: 'behave like the Vipps test or production environment (default test)' },
  { flag: 'log-level', arg: '<level>', help: 'fatal|error|warn|info|debug|trace|silent (default info)' },
  { flag: 'callback-timeout-ms', arg: '<n>', help: 'makePayment deadline (default 15000)' },
  { flag: 'status-batch-schedule', arg: '<s>', help: 'immediate|nightly|manual|never (default: immediate in test, nightly in production)' },
  { flag: 'allow-loopback-callbacks', arg: '<true|false>', help: 'makePaymentUrl on loopback (default: true in test)' },
  { flag: 'allow-private-callbacks', arg: '<true|false>', help: 'makePaymentUrl on private networks (default false)' },
  { flag: 'body-limit-bytes', arg: '<n>', help: 'request body limit (default 65536)' },
  { flag: 'updatestatus-body-limit-bytes', arg: '<n>', help: 'updatestatus body limit (default 8388608)' },
  { flag: 'request-timeout-ms', arg: '<n>', help: 'time limit of a request (default 30000)' },
  { flag: 'idempotency-ttl-seconds', arg: '<n>', help: 'how long idempotency keys are kept (default 86400)' },
  { flag: 'sweep-interval-ms', arg: '<n>', help: 'how often due work is looked for (default 1000)' },
  { flag: 'sqlite-synchronous', arg: '<FULL|NORMAL>', help: 'SQLite only. FULL: every acknowledged write is on disk (default FULL)' },
  {
    flag: 'merchant-initial-status',
    arg: '<ACTIVE|PENDING>',
    help: 'status of new sales units (default: ACTIVE in test, PENDING in production)',
  },
  { flag: 'merchant-activation-delay-seconds', arg: '<n>', help: 'until a PENDING sales unit becomes ACTIVE (default 300)' },
];

export const FLAGS = OPTIONS.map((o) => o.flag);
export const envVarOf = (flag: string): string => flag.toUpperCase().replace(/-/g, '_');

export function helpText(): string {
  const rows = OPTIONS.map((o) => [`--${o.flag} ${o.arg}`, envVarOf(o.flag), o.help] as const);
  const w1 = Math.max(...rows.map((r) => r[0].length));
  const w2 = Math.max(...rows.map((r) => r[1].length));
  const line = (a: string, b: string, c: string) => `  ${a.padEnd(w1)}  ${b.padEnd(w2)}  ${c}`;
  return [
    'Usage: vipps-psp-emulator [options]',
    '       vipps-psp-emulator checklist --url <base> --psp-id <id> [--json]   (see checklist --help)',
    '',
    'Starts the Vipps PSP platform emulator. Each setting is an option or an environment variable',
    '(--public-url or PUBLIC_URL); an option wins over the variable.',
    '',
    line('Option', 'Variable', ''),
    ...rows.map(([a, b, c]) => line(a, b, c)),
    '',
    line('--reset', '(none)', 'start with an empty database (then the seed); sqlite files only'),
    line('-h, --help', '(none)', 'this text'),
    line('-v, --version', '(none)', 'the version'),
    '',
    '--reset has no variable on purpose: a variable left set would erase the data at every start.',
    'Operating errors (port in use, database unusable, seed unreadable, bad setting) exit with 2.',
    '',
  ].join('\n');
}

export function version(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

export interface CliArgs {
  readonly env: Record<string, string | undefined>;
  readonly reset: boolean;
  readonly action: 'start' | 'help' | 'version';
}

export function parseCliArgs(argv: readonly string[], env: NodeJS.ProcessEnv): CliArgs {
  const options = Object.fromEntries(FLAGS.map((f) => [f, { type: 'string' as const }]));
  const parsed = parseArgs({
    args: [...argv],
    options: {
      ...options,
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
      reset: { type: 'boolean' },
    },
    allowPositionals: false,
  });
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const merged: Record<string, string | undefined> = { ...env };
  for (const flag of FLAGS) {
    const value = values[flag];
    if (typeof value === 'string') merged[envVarOf(flag)] = value;
  }
  const action = values.help ? 'help' : values.version ? 'version' : 'start';
  return { env: merged, reset: values.reset === true, action };
}
