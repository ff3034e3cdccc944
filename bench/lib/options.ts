/**
 * The bench's knobs: environment variables (BENCH_*), with `--quick` for a short run that checks
 * the harness works. Every knob is written into the results file.
 */
export interface BenchOptions {
  readonly quick: boolean;
  /** Measured rounds; each contender of each scenario runs once per round, interleaved. */
  readonly rounds: number;
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
  readonly connections: number;
  /** Concurrent flows of the approval scenario. */
  readonly approvalConnections: number;
  readonly updateStatusItems: number;
  /** updatestatus batches per round (each waits until the previous one is applied). */
  readonly updateStatusBatches: number;
  readonly expiryPayments: number;
  /** How long to wait for every payment to expire before giving up (the figure says so). */
  readonly expiryTimeoutSeconds: number;
  /** Durability of the instance that creates the pending payments (see docs/PERFORMANCE.md). */
  readonly expirySeedSynchronous: 'FULL' | 'NORMAL';
  readonly idleSeconds: number;
  readonly prism: boolean;
  readonly pin: boolean;
  /** Scenarios to run (default all). */
  readonly only: readonly ScenarioKey[];
}

export const SCENARIOS = ['token', 'init', 'details', 'approval', 'updatestatus', 'expiry'] as const;
export type ScenarioKey = (typeof SCENARIOS)[number];

function intEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name}: expected an integer ≥ ${min}, got ${JSON.stringify(raw)}`);
  return value;
}

export const HELP = `Usage: npm run bench [-- --quick] [-- --only=token,init,details,approval,updatestatus,expiry]
(details needs init's payments: --only=details runs init too)

Runs the platform, a bare node:http baseline and Prism's mock of psp-v3.yaml side by side and
prints the figures (docs/PERFORMANCE.md). Knobs (environment):
  BENCH_ROUNDS                 measured rounds (default 3; --quick 1)
  BENCH_DURATION_SECONDS       seconds per measured run (default 6; --quick 2)
  BENCH_WARMUP_SECONDS         warm-up per contender (default 2; --quick 1)
  BENCH_CONNECTIONS            concurrent connections of the load generator (default 50)
  BENCH_APPROVAL_CONNECTIONS   concurrent approval flows (default 16)
  BENCH_UPDATESTATUS_ITEMS     items per updatestatus batch (default 5000)
  BENCH_UPDATESTATUS_BATCHES   batches per round (default 4; --quick 2)
  BENCH_EXPIRY_PAYMENTS        pending payments that expire (default 100000; --quick 3000)
  BENCH_EXPIRY_TIMEOUT_SECONDS give up waiting for them after (default 300)
  BENCH_EXPIRY_SEED_SYNCHRONOUS durability while creating them: NORMAL (default) or FULL
  BENCH_IDLE_SECONDS           CPU-at-rest window (default 10; --quick 3)
  BENCH_PRISM=0                skip Prism
  BENCH_PIN=0                  do not pin processes to cores
`;

export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions {
  if (argv.includes('--help')) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const quick = argv.includes('--quick') || env.BENCH_QUICK === '1';
  const onlyArg = argv.find((a) => a.startsWith('--only='))?.slice('--only='.length) ?? env.BENCH_ONLY ?? '';
  const only = onlyArg === '' ? [...SCENARIOS] : onlyArg.split(',').map((s) => s.trim());
  for (const s of only) if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`--only: unknown scenario ${s}`);
  // details looks up the payments the init runs created.
  if (only.includes('details') && !only.includes('init')) only.push('init');
  const seedSync = env.BENCH_EXPIRY_SEED_SYNCHRONOUS ?? 'NORMAL';
  if (seedSync !== 'FULL' && seedSync !== 'NORMAL') throw new Error('BENCH_EXPIRY_SEED_SYNCHRONOUS: FULL or NORMAL');
  return {
    quick,
    rounds: intEnv(env, 'BENCH_ROUNDS', quick ? 1 : 3, 1),
    durationSeconds: intEnv(env, 'BENCH_DURATION_SECONDS', quick ? 2 : 6, 1),
    warmupSeconds: intEnv(env, 'BENCH_WARMUP_SECONDS', quick ? 1 : 2, 0),
    connections: intEnv(env, 'BENCH_CONNECTIONS', 50, 1),
    approvalConnections: intEnv(env, 'BENCH_APPROVAL_CONNECTIONS', 16, 1),
    updateStatusItems: intEnv(env, 'BENCH_UPDATESTATUS_ITEMS', 5000, 1),
    updateStatusBatches: intEnv(env, 'BENCH_UPDATESTATUS_BATCHES', quick ? 2 : 4, 1),
    expiryPayments: intEnv(env, 'BENCH_EXPIRY_PAYMENTS', quick ? 3000 : 100_000, 1),
    expiryTimeoutSeconds: intEnv(env, 'BENCH_EXPIRY_TIMEOUT_SECONDS', 300, 1),
    expirySeedSynchronous: seedSync,
    idleSeconds: intEnv(env, 'BENCH_IDLE_SECONDS', quick ? 3 : 10, 1),
    prism: env.BENCH_PRISM !== '0',
    pin: env.BENCH_PIN !== '0',
    only: only as ScenarioKey[],
  };
}
