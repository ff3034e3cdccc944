/**
 * `npm run bench:postgres` (docs/PERFORMANCE.md "PostgreSQL"): the platform on PostgreSQL, next
 * to the database's own limit for a durable write. In one run, on one private cluster with its
 * durable defaults (fsync, synchronous_commit=on; scripts/local-postgres.mjs without --fast):
 *
 * 1. pgbench's plain single-row INSERT transaction (`-M prepared`, as many clients as the
 *    platform's load has connections): the most durable commits per second this cluster makes;
 * 2. init and details against one node, then against two nodes (half of the connections each),
 *    with autocannon (bench/load-worker.mjs) as `npm run bench` drives them;
 *
 * and prints init as a ratio to (1). Rounds alternate the contenders like `npm run bench`.
 * Options: `--quick` (short runs), BENCH_DURATION / BENCH_ROUNDS / BENCH_CONNECTIONS as
 * `npm run bench` reads them.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Context, readDemoPsp } from './lib/context.js';
import { type LoadJob, type LoadResult, runLoad } from './lib/load.js';
import { parseOptions } from './lib/options.js';
import { detectPinning } from './lib/proc.js';
import { freePort, type Server, startPspStub, startServer } from './lib/servers.js';

const log = (m: string) => process.stderr.write(`[bench:postgres ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length === 0 ? Number.NaN : s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function pgbin(name: string): string {
  const out = execFileSync(process.execPath, ['-e', "import('./scripts/local-postgres.mjs').then(m=>console.log(m.findPostgresBin()))"], {
    encoding: 'utf8',
  }).trim();
  return join(out, name);
}

/** pgbench's single-row INSERT transaction for `seconds` with `clients` clients: its tps. */
function pgbenchInsert(url: string, clients: number, seconds: number, workDir: string): number {
  execFileSync(pgbin('psql'), [url, '-qc', 'create table if not exists bench_insert (id bigserial primary key, payload text not null)']);
  const script = join(workDir, 'insert.sql');
  writeFileSync(script, "INSERT INTO bench_insert (payload) VALUES ('one row, one durable commit');\n");
  const out = execFileSync(
    pgbin('pgbench'),
    ['-n', '-M', 'prepared', '-f', script, '-c', String(clients), '-j', '1', '-T', String(seconds), url],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(out)?.[1];
  if (!tps) throw new Error(`pgbench: no tps in its output: ${out.slice(-400)}`);
  return Number(tps);
}

async function startPgNode(name: string, databaseUrl: string, logDir: string): Promise<Server> {
  const port = await freePort();
  return startServer({
    name,
    core: null,
    command: process.execPath,
    args: ['dist/src/cli.js'],
    env: { PORT: String(port), DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', PROFILE: 'test' },
    port,
    readyPath: '/health',
    logDir,
  });
}

interface Sum {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

function sum(results: readonly LoadResult[]): Sum {
  return {
    requestsPerSecond: results.reduce((a, r) => a + r.requestsPerSecond, 0),
    p50Ms: Math.max(...results.map((r) => r.latencyMs.p50)),
    p99Ms: Math.max(...results.map((r) => r.latencyMs.p99)),
    errors: results.reduce((a, r) => a + r.errors + r.non2xx, 0),
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), process.env);
  const pinning = detectPinning(true);
  const workDir = mkdtempSync(join(tmpdir(), 'vipps-psp-bench-pg-'));
  // Its own directory under /tmp: as root the cluster runs as `postgres`, which cannot enter workDir (0700).
  const pgdir = mkdtempSync(join(tmpdir(), 'vipps-psp-bench-postgres-'));
  const servers: Server[] = [];
  const loadAtStart = loadavg();
  let databaseUrl = '';
  try {
    databaseUrl = execFileSync(process.execPath, ['scripts/local-postgres.mjs', 'start', pgdir], { encoding: 'utf8' }).trim();
    log(`PostgreSQL (durable defaults) at ${databaseUrl}`);
    const stub = await startPspStub(null, workDir);
    servers.push(stub);
    const ctx = new Context(options, pinning, workDir, readDemoPsp(), stub);
    const a = await startPgNode('pg-node-a', databaseUrl, workDir);
    servers.push(a);
    const b = await startPgNode('pg-node-b', databaseUrl, workDir);
    servers.push(b);
    const token = await ctx.tokenFor(a);
    const connections = options.connections;
    const idsFile = join(workDir, 'ids.txt');

    const job = (server: Server, kind: 'init' | 'details', conns: number, seconds: number, idsOut?: string): LoadJob =>
      kind === 'init'
        ? {
            kind: 'init',
            url: server.url,
            connections: conns,
            durationSeconds: seconds,
            path: '/psp/v3/psppayments/init',
            headers: ctx.pspHeadersWith(token, true),
            makePaymentUrl: ctx.makePaymentUrl,
            idPrefix: `${server.name.slice(-1)}${Date.now().toString(36)}`,
            ...(idsOut ? { idsOut } : {}),
          }
        : {
            kind: 'details',
            url: server.url,
            connections: conns,
            durationSeconds: seconds,
            path: '/psp/v3/psppayments/{id}/details',
            headers: ctx.pspHeadersWith(token, false),
            idsIn: idsFile,
          };
    const run = async (nodes: Server[], kind: 'init' | 'details', seconds: number): Promise<Sum> => {
      const per = Math.max(1, Math.floor(connections / nodes.length));
      const outs = nodes.map((_, i) => join(workDir, `ids-${kind}-${Date.now()}-${i}.txt`));
      const results = await Promise.all(
        nodes.map((n, i) => runLoad(job(n, kind, per, seconds, kind === 'init' ? outs[i] : undefined), null, workDir)),
      );
      if (kind === 'init') for (const f of outs) appendFileSync(idsFile, readFileSync(f, 'utf8'));
      return sum(results);
    };

    log('warm-up');
    await run([a], 'init', options.warmupSeconds);
    pgbenchInsert(databaseUrl, connections, Math.max(2, options.warmupSeconds), workDir);
    const rows: Record<string, Sum[]> = { 'init 1 node': [], 'init 2 nodes': [], 'details 1 node': [], 'details 2 nodes': [] };
    const pgbench: number[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      log(`round ${round}/${options.rounds}: pgbench single-row INSERT`);
      pgbench.push(pgbenchInsert(databaseUrl, connections, options.durationSeconds, workDir));
      log(`round ${round}: init / details on 1 and 2 nodes`);
      rows['init 1 node']?.push(await run([a], 'init', options.durationSeconds));
      rows['init 2 nodes']?.push(await run([a, b], 'init', options.durationSeconds));
      rows['details 1 node']?.push(await run([a], 'details', options.durationSeconds));
      rows['details 2 nodes']?.push(await run([a, b], 'details', options.durationSeconds));
    }
    const limit = median(pgbench);
    const lines = [
      `## Bench on PostgreSQL ${new Date().toISOString()}`,
      '',
      `${options.rounds} round(s) of ${options.durationSeconds} s, ${connections} connections (split over the nodes), medians of the rounds. Load average (1 min) at start ${loadAtStart[0]?.toFixed(2)}, at end ${loadavg()[0]?.toFixed(2)}.`,
      '',
      '| Scenario | req/s | p50 ms | p99 ms | errors | ratio to pgbench INSERT |',
      '|---|---:|---:|---:|---:|---:|',
      `| pgbench single-row INSERT (-M prepared, ${connections} clients) | ${limit.toFixed(0)} tps | | | | 1.00 |`,
      ...Object.entries(rows).map(([name, runs]) => {
        const rps = median(runs.map((r) => r.requestsPerSecond));
        const ratio = name.startsWith('init') ? (rps / limit).toFixed(2) : '';
        return `| ${name} | ${rps.toFixed(0)} | ${median(runs.map((r) => r.p50Ms)).toFixed(1)} | ${median(runs.map((r) => r.p99Ms)).toFixed(1)} | ${runs.reduce((x, r) => x + r.errors, 0)} | ${ratio} |`;
      }),
      '',
    ];
    process.stdout.write(lines.join('\n'));
  } finally {
    await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
    try {
      execFileSync(process.execPath, ['scripts/local-postgres.mjs', 'stop', pgdir]);
    } catch {}
    rmSync(workDir, { recursive: true, force: true });
    rmSync(pgdir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench:postgres failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
