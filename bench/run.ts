/**
 * `npm run bench` (docs/PERFORMANCE.md): starts a bare node:http baseline, the platform (on its
 * embedded database, synchronous=FULL, plus a synchronous=NORMAL twin for the durability
 * comparison) and Prism mocking psp-v3.yaml, drives each with autocannon from another core,
 * interleaving the contenders over several rounds, and prints the medians as a markdown table.
 * Results go to bench/results/<timestamp>.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { CONTENDER_LABELS, type ContenderKey, Context, readDemoPsp } from './lib/context.js';
import { parseOptions, type ScenarioKey } from './lib/options.js';
import { type Availability, probePlatform } from './lib/probe.js';
import { detectPinning, pinSelf } from './lib/proc.js';
import {
  addRatios,
  evaluateTargets,
  expiryTable,
  GENERATOR_SATURATED_PERCENT,
  markdownTable,
  notAvailable,
  optionsLine,
  type Row,
  summarizeBatches,
  summarizeRuns,
  targetsTable,
} from './lib/report.js';
import {
  type BatchSample,
  type ExpiryFigures,
  LOAD_SCENARIO_CONTENDERS,
  type LoadScenarioKey,
  prepareStatusPayments,
  type RunFigures,
  runApproval,
  runExpiry,
  runLoadScenario,
  runPrismUpdateStatus,
  runUpdateStatusBatch,
  settle,
} from './lib/scenarios.js';
import { prismSpec, type Server, startBaseline, startPlatform, startPrism, startPspStub } from './lib/servers.js';

const SWEEP_INTERVAL_MS = 1000; // the platform's default SWEEP_INTERVAL_MS, which the bench uses

const TITLES: Record<ScenarioKey, string> = {
  token: 'access token',
  init: 'init',
  details: 'details',
  approval: 'whole approval (init → approve → makePayment → RESERVED)',
  updatestatus: 'updatestatus 5,000 items (latency = accepted)',
  expiry: 'expiry',
};

function rotate<T>(items: readonly T[], by: number): T[] {
  const n = items.length;
  return n === 0 ? [] : items.map((_, i) => items[(i + by) % n] as T);
}

function machine(workDir: string) {
  const cpuInfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuInfo)?.[1] ?? cpus()[0]?.model ?? 'unknown';
  const mhz = /^cpu MHz\s*:\s*(.+)$/m.exec(cpuInfo)?.[1] ?? null;
  let filesystem = 'unknown';
  try {
    const mounts = readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' '))
      .filter((f) => f.length > 2 && workDir.startsWith(f[1] as string))
      .sort((a, b) => (b[1] as string).length - (a[1] as string).length);
    if (mounts[0]) filesystem = `${mounts[0][2]} (${mounts[0][0]} on ${mounts[0][1]})`;
  } catch {}
  const version = (pkg: string) => {
    try {
      return (JSON.parse(readFileSync(`node_modules/${pkg}/package.json`, 'utf8')) as { version: string }).version;
    } catch {
      return null;
    }
  };
  let commit: string | null = null;
  let srcModified = false;
  try {
    const git = (args: string[]) => execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    commit = git(['rev-parse', '--short', 'HEAD']);
    srcModified = git(['status', '--porcelain', '--', 'src']) !== '';
  } catch {}
  return {
    nproc: cpus().length,
    cpuModel: model,
    cpuMHz: mhz ? Number(mhz) : null,
    memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    kernel: release(),
    node: process.version,
    databaseFilesystem: filesystem,
    autocannon: version('autocannon'),
    prism: version('@stoplight/prism-cli'),
    commit,
    srcModified,
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), process.env);
  const pinning = detectPinning(!options.pin);
  pinSelf(pinning.loadCore);
  const startedAt = new Date();
  const loadAtStart = loadavg();
  const workDir = mkdtempSync(join(tmpdir(), 'vipps-psp-bench-'));
  const wants = (s: ScenarioKey) => options.only.includes(s);
  const servers: Server[] = [];
  const stopAll = async () => {
    await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
  };
  process.once('SIGINT', () => {
    void stopAll().then(() => process.exit(130));
  });

  const log = (m: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
  log(`work dir ${workDir}; ${pinning.reason}`);
  log(optionsLine(options));

  const stub = await startPspStub(pinning.loadCore, workDir);
  servers.push(stub);
  const ctx = new Context(options, pinning, workDir, readDemoPsp(), stub);
  const add = (key: ContenderKey, server: Server) => {
    ctx.servers[key] = server;
    servers.push(server);
  };
  let expiry: ExpiryFigures | null = null;
  let expiryReason: string | null = null;
  const rows: Row[] = [];
  let availability: Availability | null = null;
  const settleMs: number[] = [];

  try {
    const needsLoad = wants('token') || wants('init') || wants('details') || wants('approval') || wants('updatestatus');
    if (needsLoad) {
      add('baseline', await startBaseline(pinning.serverCore, workDir));
      add(
        'platform',
        await startPlatform({
          name: 'platform-full',
          core: pinning.serverCore,
          databasePath: join(workDir, 'bench.sqlite'),
          synchronous: 'FULL',
          logDir: workDir,
        }),
      );
      await ctx.refreshToken('platform');
      if (wants('init')) {
        add(
          'platformNormal',
          await startPlatform({
            name: 'platform-normal',
            core: pinning.serverCore,
            databasePath: join(workDir, 'bench-normal.sqlite'),
            synchronous: 'NORMAL',
            logDir: workDir,
          }),
        );
        await ctx.refreshToken('platformNormal');
      }
      if (!options.prism) ctx.missing.prism = 'skipped (BENCH_PRISM=0)';
      else if (wants('init') || wants('details') || wants('updatestatus')) {
        try {
          add('prism', await startPrism(pinning.serverCore, prismSpec('spec/psp-v3.yaml', workDir), workDir));
        } catch (error) {
          ctx.missing.prism = (error as Error).message.split('\n')[0] ?? 'did not start';
          log(`Prism: ${ctx.missing.prism}`);
        }
      }
      availability = await probePlatform(ctx);
      log(`availability: ${JSON.stringify(availability)}`);
    }
    const a = availability;
    const loadScenarios = (['token', 'init', 'details'] as const).filter((s) => wants(s));
    const loadReason = (s: LoadScenarioKey): string | null =>
      s === 'init' ? (a?.init ?? null) : s === 'details' ? (a?.details ?? null) : null;
    const contendersOf = (s: LoadScenarioKey) => LOAD_SCENARIO_CONTENDERS[s].filter((c) => ctx.has(c));
    const runsOf = new Map<string, RunFigures[]>();
    const record = (s: string, c: ContenderKey, f: RunFigures) => {
      const k = `${s}/${c}`;
      runsOf.set(k, [...(runsOf.get(k) ?? []), f]);
    };
    const approvalReason = wants('approval') ? (a?.init ?? a?.approve ?? a?.controlView ?? null) : null;
    const updateStatusReason = wants('updatestatus') ? (a?.updatestatus ?? null) : null;
    // Applied rate needs reserved payments (approve) and the batch's state (control API).
    const appliedReason = updateStatusReason ?? a?.approve ?? a?.statusBatches ?? null;
    const canSettle = a !== null && a.clock === null;
    const usSamples: BatchSample[] = [];
    const prismSamples: BatchSample[] = [];
    let reservedIds: string[] = [];
    let batchNo = 0;

    // Warm-up: every contender of every scenario once, not recorded.
    for (const s of loadScenarios) {
      if (loadReason(s)) continue;
      for (const c of contendersOf(s)) {
        log(`warm-up ${s} / ${c}`);
        await runLoadScenario(ctx, s, c, options.warmupSeconds);
      }
    }
    if (wants('approval') && !approvalReason) {
      log('warm-up approval');
      await runApproval(ctx, options.warmupSeconds);
    }
    if (wants('updatestatus') && !updateStatusReason) {
      // Without approve, the batches are still accepted (their captures of pending payments are
      // rejected when applied): acceptance is measured, the applied rate is reported unavailable.
      if (appliedReason) log(`updatestatus: applied rate not observable (${appliedReason}); measuring acceptance only`);
      log(`updatestatus: preparing ${options.updateStatusItems} payments${appliedReason ? '' : ' (init + approve)'}`);
      reservedIds = await prepareStatusPayments(ctx, options.updateStatusItems, !appliedReason);
      log(`updatestatus: ${reservedIds.length} payments ready`);
      batchNo += 1;
      await runUpdateStatusBatch(ctx, reservedIds, `warm-up ${batchNo}`, !appliedReason);
      if (ctx.has('prism')) await runPrismUpdateStatus(ctx, reservedIds, 'warm-up');
    }
    if (canSettle && needsLoad) {
      for (const c of ['platform', 'platformNormal'] as const) if (ctx.has(c)) settleMs.push(await settle(ctx, c));
    }

    for (let round = 1; round <= options.rounds; round++) {
      for (const s of loadScenarios) {
        if (loadReason(s)) continue;
        for (const c of rotate(contendersOf(s), round)) {
          log(`round ${round}/${options.rounds}: ${s} / ${c}`);
          record(s, c, await runLoadScenario(ctx, s, c, options.durationSeconds));
        }
      }
      if (wants('approval') && !approvalReason) {
        log(`round ${round}/${options.rounds}: approval`);
        record('approval', 'platform', await runApproval(ctx, options.durationSeconds));
      }
      if (wants('updatestatus') && !updateStatusReason && reservedIds.length > 0) {
        log(`round ${round}/${options.rounds}: updatestatus × ${options.updateStatusBatches}`);
        for (let i = 0; i < options.updateStatusBatches; i++) {
          batchNo += 1;
          const order = rotate(['platform', 'prism'] as const, i + round).filter((c) => ctx.has(c));
          for (const c of order) {
            if (c === 'platform') usSamples.push(await runUpdateStatusBatch(ctx, reservedIds, `${batchNo}`, !appliedReason));
            else prismSamples.push(await runPrismUpdateStatus(ctx, reservedIds, `${batchNo}`));
          }
        }
      }
      if (canSettle && needsLoad) {
        log(`round ${round}: settling (expiring what the round left pending)`);
        for (const c of ['platform', 'platformNormal'] as const) if (ctx.has(c)) settleMs.push(await settle(ctx, c));
      }
    }

    for (const s of loadScenarios) {
      for (const c of LOAD_SCENARIO_CONTENDERS[s]) {
        const reason = loadReason(s) ?? (ctx.has(c) ? null : (ctx.missing[c] ?? 'not started'));
        rows.push(reason ? notAvailable(s, TITLES[s], c, reason) : summarizeRuns(s, TITLES[s], c, 'req/s', runsOf.get(`${s}/${c}`) ?? []));
      }
    }
    if (wants('approval')) {
      rows.push(
        approvalReason
          ? notAvailable('approval', TITLES.approval, 'platform', approvalReason)
          : summarizeRuns('approval', TITLES.approval, 'platform', 'flows/s', runsOf.get('approval/platform') ?? []),
      );
    }
    if (wants('updatestatus')) {
      const title = `updatestatus ${options.updateStatusItems.toLocaleString('en')} items (latency = accepted)`;
      if (updateStatusReason) rows.push(notAvailable('updatestatus', title, 'platform', updateStatusReason));
      else {
        const row = summarizeBatches(title, 'platform', reservedIds.length, usSamples, !appliedReason);
        rows.push(
          appliedReason ? { ...row, unit: '', throughput: null, extra: { ...row.extra, appliedNotObservable: appliedReason } } : row,
        );
        if (ctx.has('prism')) rows.push(summarizeBatches(title, 'prism', reservedIds.length, prismSamples, false));
        else rows.push(notAvailable('updatestatus', title, 'prism', ctx.missing.prism ?? 'not started'));
      }
    }
    addRatios(rows);

    // The expiry runs last, on its own instances (the others are stopped first: one server core).
    if (wants('expiry')) {
      for (const server of servers.splice(0)) if (server !== stub) await server.stop();
      servers.push(stub);
      const initOk = a ? a.init === null : true;
      if (!initOk) expiryReason = a?.init ?? 'init not available';
      else {
        try {
          expiry = await runExpiry(ctx);
        } catch (error) {
          expiryReason = (error as Error).message;
          log(`expiry failed: ${expiryReason}`);
        }
      }
    }
  } finally {
    await stopAll();
  }

  const targets = evaluateTargets(rows, expiry, SWEEP_INTERVAL_MS);
  const finishedAt = new Date();
  const info = machine(workDir);
  const results = {
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationSeconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
    machine: info,
    // Other work on the machine skews every figure: the 1-minute load average before and after.
    loadAverage: { atStart: loadAtStart, atEnd: loadavg() },
    pinning,
    options,
    contenders: CONTENDER_LABELS,
    missingContenders: ctx.missing,
    availability,
    settleMs,
    rows,
    expiry,
    expiryNotAvailable: expiryReason,
    targets,
  };
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const resultsDir = resolve('bench/results');
  mkdirSync(resultsDir, { recursive: true });
  const jsonFile = join(resultsDir, `${stamp}.json`);
  writeFileSync(jsonFile, `${JSON.stringify(results, null, 2)}\n`);

  const markdown = [
    `## Bench ${startedAt.toISOString()}`,
    '',
    `Machine: ${info.nproc} × ${info.cpuModel}${info.cpuMHz ? ` @ ${info.cpuMHz.toFixed(0)} MHz` : ''}, ${info.memoryGiB} GiB, Linux ${info.kernel}, Node ${info.node}, database on ${info.databaseFilesystem}; ${pinning.reason}.`,
    `Run: ${optionsLine(options)}; took ${results.durationSeconds.toFixed(0)} s. Medians of the rounds; max = the largest of any round; errors = all rounds.`,
    `Load average (1 min) at start ${loadAtStart[0]?.toFixed(2)}, at end ${results.loadAverage.atEnd[0]?.toFixed(2)}${(loadAtStart[0] ?? 0) > 1.5 ? ' — other work was running: figures are skewed' : ''}. Code: ${info.commit ?? 'unknown commit'}${info.srcModified ? ' with uncommitted changes in src/' : ''}.`,
    '',
    markdownTable(rows),
    '',
    `CPU µs/op and Server CPU % are the server process's own (utime + stime). † = the load generator used ≥ ${GENERATOR_SATURATED_PERCENT} % of its core while the server used less of its own: the generator, not the server, set the pace (the server's figure is a lower bound).`,
    '',
    wants('expiry') ? expiryTable(expiry, expiryReason) : 'Expiry: not run (--only).',
    '',
    targetsTable(targets),
    '',
    `Results: ${jsonFile}`,
    '',
  ].join('\n');
  process.stdout.write(markdown);
  rmSync(workDir, { recursive: true, force: true });
}

main().then(
  // Keep-alive sockets and the long deadlines of the expiry polling must not keep the run alive.
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
