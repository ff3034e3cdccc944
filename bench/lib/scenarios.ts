/**
 * The scenarios of `npm run bench` (docs/PERFORMANCE.md): load runs (access token, init,
 * details), the whole approval, updatestatus batches, and 100,000 pending payments that expire.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import type { ContenderKey, Context } from './context.js';
import { call, sleep } from './http.js';
import { type LoadJob, type LoadResult, measure, runLoad } from './load.js';
import { cpuMicros, peakRssBytes, resetPeakRss, rssBytes } from './proc.js';
import { type Server, startPlatform } from './servers.js';

/** One measured run of one contender. */
export interface RunFigures {
  /** Operations per second (requests, flows, or applied items: see the scenario's unit). */
  readonly throughput: number | null;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
  readonly errors: number;
  readonly operations: number;
  readonly cpuMicrosPerOp: number | null;
  readonly peakRssBytes: number;
  /** Server CPU over the run's wall time (100 = one core saturated). */
  readonly serverCpuPercent: number | null;
  /** The load generator's CPU over the run (near 100: the generator set the pace). */
  readonly generatorCpuPercent: number | null;
  readonly statusCodes?: Record<string, number>;
  readonly extra?: Record<string, unknown>;
}

export type LoadScenarioKey = 'token' | 'init' | 'details';

export const LOAD_SCENARIO_CONTENDERS: Record<LoadScenarioKey, readonly ContenderKey[]> = {
  token: ['baseline', 'platform'],
  init: ['baseline', 'platform', 'platformNormal', 'prism'],
  details: ['baseline', 'platform', 'platformNormal', 'prism'],
};

function loadJob(ctx: Context, scenario: LoadScenarioKey, key: ContenderKey, seconds: number, idsOut?: string): LoadJob {
  const url = ctx.server(key).url;
  const base = { url, connections: ctx.options.connections, durationSeconds: seconds };
  switch (scenario) {
    case 'token':
      return { ...base, kind: 'fixed', method: 'POST', path: '/accesstoken/get', headers: ctx.tokenHeaders() };
    case 'init':
      return {
        ...base,
        kind: 'init',
        path: ctx.pspPath(key, '/v3/psppayments/init'),
        headers: ctx.pspHeaders(key, true),
        makePaymentUrl: ctx.makePaymentUrl,
        idPrefix: key === 'platformNormal' ? 'n' : 'i',
        ...(idsOut ? { idsOut } : {}),
      };
    case 'details':
      return {
        ...base,
        kind: 'details',
        path: ctx.pspPath(key, '/v3/psppayments/{id}/details'),
        headers: ctx.pspHeaders(key, false),
        idsIn: detailsIdsFile(ctx, key),
      };
  }
}

/**
 * Ids of payments a platform instance created in the init runs, for its details runs. The
 * baseline and Prism are sent the FULL instance's ids (they do not look them up).
 */
export function detailsIdsFile(ctx: Context, key: ContenderKey): string {
  return join(ctx.workDir, key === 'platformNormal' ? 'details-ids-normal.txt' : 'details-ids.txt');
}

function figuresOf(result: LoadResult, cpu: number, peak: number): RunFigures {
  return {
    throughput: result.requestsPerSecond,
    p50Ms: result.latencyMs.p50,
    p99Ms: result.latencyMs.p99,
    maxMs: result.latencyMs.max,
    errors: result.errors + result.non2xx,
    operations: result.requests,
    cpuMicrosPerOp: result.requests > 0 ? cpu / result.requests : null,
    peakRssBytes: peak,
    serverCpuPercent: (cpu / (result.durationSeconds * 1e6)) * 100,
    generatorCpuPercent: result.generatorCpuPercent,
    statusCodes: result.statusCodes,
  };
}

export async function runLoadScenario(ctx: Context, scenario: LoadScenarioKey, key: ContenderKey, seconds: number): Promise<RunFigures> {
  const server = ctx.server(key);
  const collect = scenario === 'init' && (key === 'platform' || key === 'platformNormal');
  const idsOut = collect ? join(ctx.workDir, `init-ids-${Date.now()}.txt`) : undefined;
  const job = loadJob(ctx, scenario, key, seconds, idsOut);
  const m = await measure(server.pid, () => runLoad(job, ctx.pinning.loadCore, ctx.workDir));
  if (idsOut) appendFileSync(detailsIdsFile(ctx, key), readFileSync(idsOut, 'utf8'));
  return figuresOf(m.result, m.cpuMicros, m.peakRssBytes);
}

/** The whole approval: init → control-API approve (makePayment to the PSP stub) → state RESERVED. */
export async function runApproval(ctx: Context, seconds: number): Promise<RunFigures> {
  const server = ctx.server('platform');
  const stubBefore = await ctx.stubCalls();
  const job: LoadJob = {
    kind: 'approval',
    url: server.url,
    connections: ctx.options.approvalConnections,
    durationSeconds: seconds,
    initPath: '/psp/v3/psppayments/init',
    headers: ctx.pspHeaders('platform', true),
    makePaymentUrl: ctx.makePaymentUrl,
    approvePath: '/_emulator/payments/{id}/approve',
    controlHeaders: ctx.controlHeaders(true),
    approveBody: ctx.approveBody(),
    statePath: '/_emulator/payments/{id}',
    stateHeaders: ctx.controlHeaders(false),
  };
  const m = await measure(server.pid, () => runLoad(job, ctx.pinning.loadCore, ctx.workDir));
  const r = m.result;
  const flows = r.flows ?? 0;
  return {
    throughput: flows / r.durationSeconds,
    p50Ms: r.flowLatencyMs?.p50 ?? null,
    p99Ms: r.flowLatencyMs?.p99 ?? null,
    maxMs: r.flowLatencyMs?.max ?? null,
    errors: r.errors + r.non2xx + (r.stateMismatches ?? 0),
    operations: flows,
    cpuMicrosPerOp: flows > 0 ? m.cpuMicros / flows : null,
    peakRssBytes: m.peakRssBytes,
    serverCpuPercent: (m.cpuMicros / (r.durationSeconds * 1e6)) * 100,
    generatorCpuPercent: r.generatorCpuPercent,
    statusCodes: r.statusCodes,
    extra: { requests: r.requests, states: r.states, makePaymentCalls: (await ctx.stubCalls()) - stubBefore },
  };
}

/** Creates `count` payments on a platform through init (as fast as it takes them); returns their ids. */
async function createPayments(ctx: Context, server: Server, count: number, prefix: string, connections: number) {
  const idsOut = join(ctx.workDir, `${prefix}-ids.txt`);
  const job: LoadJob = {
    kind: 'init',
    url: server.url,
    connections,
    amount: count,
    path: '/psp/v3/psppayments/init',
    headers: ctx.pspHeadersWith(await ctx.tokenFor(server), true),
    makePaymentUrl: ctx.makePaymentUrl,
    idPrefix: prefix,
    idsOut,
    timeoutSeconds: 60,
  };
  const m = await measure(server.pid, () => runLoad(job, ctx.pinning.loadCore, ctx.workDir));
  const ids = readFileSync(idsOut, 'utf8').split('\n').filter(Boolean);
  return { ids, idsFile: idsOut, measured: m };
}

/**
 * updatestatus needs reserved payments to capture: init + approve `count` of them (not measured).
 * Without approve, the payments stay pending (their captures are rejected when applied).
 */
export async function prepareStatusPayments(ctx: Context, count: number, approve: boolean): Promise<string[]> {
  const created = await createPayments(ctx, ctx.server('platform'), count, 'u', 32);
  if (!approve) return created.ids;
  const idsOut = join(ctx.workDir, 'reserved-ids.txt');
  const job: LoadJob = {
    kind: 'approve',
    url: ctx.server('platform').url,
    connections: 32,
    amount: created.ids.length,
    path: '/_emulator/payments/{id}/approve',
    headers: ctx.controlHeaders(true),
    body: ctx.approveBody(),
    idsIn: created.idsFile,
    idsOut,
    timeoutSeconds: 60,
  };
  await runLoad(job, ctx.pinning.loadCore, ctx.workDir);
  return readFileSync(idsOut, 'utf8').split('\n').filter(Boolean);
}

interface BatchListEntry {
  id: number;
  state: string;
  counts: { items: number; applied: number; unchanged: number; rejected: number };
}

async function newestBatch(ctx: Context): Promise<BatchListEntry | null> {
  const reply = await call(`${ctx.server('platform').url}/_emulator/status-batches?limit=1&rejectedLimit=0`, {
    headers: ctx.controlHeaders(false),
  });
  if (reply.status !== 200) throw new Error(`GET /_emulator/status-batches answered ${reply.status}`);
  return reply.json<{ batches: BatchListEntry[] }>().batches[0] ?? null;
}

export interface BatchSample {
  readonly acceptMs: number;
  readonly status: number;
  /** From the start of the POST until the control API shows the batch APPLIED (null: not observable). */
  readonly appliedMs: number | null;
  readonly applied: number | null;
  readonly rejected: number | null;
  readonly cpuMicros: number;
  readonly peakRssBytes: number;
}

/**
 * One updatestatus batch: every reserved payment captured by 1 kr (partial captures, so a batch
 * can be sent many times; the paymentText differs per batch so it is not a resend). Accepted =
 * the 200; applied = the control API shows the batch APPLIED (polled every 5 ms).
 */
export async function runUpdateStatusBatch(
  ctx: Context,
  ids: readonly string[],
  label: string,
  observeApplied: boolean,
): Promise<BatchSample> {
  const server = ctx.server('platform');
  const body = JSON.stringify({
    transactions: ids.map((pspTransactionId) => ({
      pspTransactionId,
      status: 'CAPTURED',
      amount: 100,
      currency: 'NOK',
      paymentText: `Bench capture ${label}`,
    })),
  });
  const before = observeApplied ? await newestBatch(ctx) : null;
  const m = await measure(server.pid, async () => {
    const started = performance.now();
    const reply = await call(`${server.url}/psp/v3/psppayments/updatestatus`, {
      method: 'POST',
      headers: ctx.pspHeaders('platform', true),
      body,
      timeoutMs: 60_000,
    });
    if (reply.status !== 200 || !observeApplied) return { reply, appliedMs: null, batch: null };
    const deadline = Date.now() + 120_000;
    for (;;) {
      const batch = await newestBatch(ctx);
      if (batch && batch.id !== before?.id && batch.state !== 'PENDING') return { reply, appliedMs: performance.now() - started, batch };
      if (Date.now() > deadline) return { reply, appliedMs: null, batch };
      await sleep(5);
    }
  });
  const { reply, appliedMs, batch } = m.result;
  return {
    acceptMs: reply.ms,
    status: reply.status,
    appliedMs: batch?.state === 'APPLIED' ? appliedMs : null,
    applied: batch?.counts.applied ?? null,
    rejected: batch?.counts.rejected ?? null,
    cpuMicros: m.cpuMicros,
    peakRssBytes: m.peakRssBytes,
  };
}

/** The same 5,000-item batch sent to Prism (it validates the body and answers its example). */
export async function runPrismUpdateStatus(ctx: Context, ids: readonly string[], label: string): Promise<BatchSample> {
  const server = ctx.server('prism');
  const body = JSON.stringify({
    transactions: ids.map((pspTransactionId) => ({
      pspTransactionId,
      status: 'CAPTURED',
      amount: 100,
      currency: 'NOK',
      paymentText: `Bench capture ${label}`,
    })),
  });
  const m = await measure(server.pid, () =>
    call(`${server.url}${ctx.pspPath('prism', '/v3/psppayments/updatestatus')}`, {
      method: 'POST',
      headers: { ...ctx.pspHeaders('prism', false), 'Content-Type': 'application/json' },
      body,
      timeoutMs: 60_000,
    }),
  );
  return {
    acceptMs: m.result.ms,
    status: m.result.status,
    appliedMs: null,
    applied: null,
    rejected: null,
    cpuMicros: m.cpuMicros,
    peakRssBytes: m.peakRssBytes,
  };
}

/**
 * Between rounds (not measured): the payments the init runs left pending would expire 5 minutes
 * later on the real clock, in the middle of a later run. Advancing the platform's clock expires
 * them now, and we wait until the platform is idle again (TIMEOUT callbacks delivered).
 */
export async function settle(ctx: Context, key: ContenderKey): Promise<number> {
  const server = ctx.server(key);
  const started = performance.now();
  const reply = await call(`${server.url}/_emulator/clock/advance`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: '{"seconds":601}',
    timeoutMs: 0,
  });
  if (reply.status !== 200) throw new Error(`${key}: clock advance answered ${reply.status}`);
  await waitIdle(ctx, server.pid, 300_000);
  await ctx.refreshToken(key);
  return performance.now() - started;
}

/** Waits until the server uses < 5 % of a core over 500 ms and the PSP stub gets no more calls. */
async function waitIdle(ctx: Context, pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let calls = await ctx.stubCalls();
  let cpu = cpuMicros(pid);
  for (;;) {
    await sleep(500);
    const calls2 = await ctx.stubCalls();
    const cpu2 = cpuMicros(pid);
    if (calls2 === calls && cpu2 - cpu < 25_000) return;
    if (Date.now() > deadline) return;
    calls = calls2;
    cpu = cpu2;
  }
}

export interface ExpiryFigures {
  readonly payments: number;
  readonly created: number;
  readonly seed: { synchronous: string; seconds: number; perSecond: number; errors: number; peakRssBytes: number };
  readonly rssWithPendingBytes: number;
  readonly cpuAtRestPendingPercent: number;
  readonly advanceAnsweredMs: number | null;
  readonly advanceError: string | null;
  readonly sampleSize: number;
  /** How many sampled payments read EXPIRED at their first read after the clock advance. */
  readonly sampleExpiredAtFirstRead: number;
  /** From the clock advance until the clock showed it (the due time of every payment). */
  readonly clockMovedMs: number;
  /** From the clock advance until every sampled payment was EXPIRED (null: not within the timeout). */
  readonly sampleExpiredMs: number | null;
  /**
   * From the clock advance until every payment was recorded EXPIRED in the database (by the sweep,
   * or by a reader that met it first), read from the database file by a read-only connection.
   */
  readonly allRecordedMs: number | null;
  /** The full count after the sample: payments per state (each id looked up once). */
  readonly fullCount: Record<string, number>;
  readonly fullCountDoneMs: number;
  readonly allExpired: boolean;
  readonly timeoutCallbacks: number;
  readonly callbacksDrainedMs: number;
  readonly peakRssDuringExpiryBytes: number;
  readonly cpuDuringExpiryMicros: number;
  readonly cpuAtRestAfterPercent: number;
  readonly peakIsScoped: boolean;
}

function shuffleSample<T>(items: readonly T[], n: number): T[] {
  const copy = items.slice();
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy.slice(0, n);
}

function cancellableSleep(ms: number): { promise: Promise<void>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

async function cpuAtRest(pid: number, seconds: number): Promise<number> {
  const before = cpuMicros(pid);
  await sleep(seconds * 1000);
  return ((cpuMicros(pid) - before) / (seconds * 1_000_000)) * 100;
}

/**
 * 100,000 pending payments that all expire. They are created through init on a fresh database
 * (by default on an instance with synchronous=NORMAL, to keep the run short: see
 * docs/PERFORMANCE.md); the platform is then restarted on that file with the default durability
 * (FULL) and measured: memory holding them, CPU at rest, the clock advanced past their due time,
 * how long until all are EXPIRED, and CPU at rest after.
 */
export async function runExpiry(ctx: Context): Promise<ExpiryFigures> {
  const n = ctx.options.expiryPayments;
  const databasePath = join(ctx.workDir, 'expiry.sqlite');
  const core = ctx.pinning.serverCore;
  ctx.log(`expiry: creating ${n} pending payments (synchronous=${ctx.options.expirySeedSynchronous})`);
  const seeder = await startPlatform({
    name: 'expiry-seed',
    core,
    databasePath,
    synchronous: ctx.options.expirySeedSynchronous,
    logDir: ctx.workDir,
  });
  let created: Awaited<ReturnType<typeof createPayments>>;
  try {
    created = await createPayments(ctx, seeder, n, 'x', 32);
  } finally {
    await seeder.stop();
  }
  const seedSeconds = created.measured.wallMs / 1000;
  const seed = {
    synchronous: ctx.options.expirySeedSynchronous,
    seconds: seedSeconds,
    perSecond: created.ids.length / seedSeconds,
    errors: created.measured.result.errors + created.measured.result.non2xx,
    peakRssBytes: created.measured.peakRssBytes,
  };
  ctx.log(`expiry: ${created.ids.length} created in ${seedSeconds.toFixed(1)} s; restarting with synchronous=FULL`);

  // REQUEST_TIMEOUT_MS: the clock advance answers once the due work is done, which may take longer
  // than the default 30 s socket timeout.
  const server = await startPlatform({
    name: 'expiry',
    core,
    databasePath,
    synchronous: 'FULL',
    logDir: ctx.workDir,
    extraEnv: { REQUEST_TIMEOUT_MS: '600000' },
  });
  try {
    await sleep(2000);
    const rssWithPendingBytes = rssBytes(server.pid);
    ctx.log(
      `expiry: RSS with ${created.ids.length} pending: ${(rssWithPendingBytes / 2 ** 20).toFixed(0)} MiB; CPU at rest for ${ctx.options.idleSeconds} s`,
    );
    const cpuAtRestPendingPercent = await cpuAtRest(server.pid, ctx.options.idleSeconds);

    // A random sample, plus the last payments created (the last to come due).
    const sample = [...new Set([...created.ids.slice(-10), ...shuffleSample(created.ids, Math.min(190, created.ids.length))])];
    const callsBefore = await ctx.stubCalls();
    const peakIsScoped = resetPeakRss(server.pid);
    const cpuBefore = cpuMicros(server.pid);
    const started = performance.now();
    ctx.log('expiry: advancing the clock by 601 s');
    let advanceAnsweredMs: number | null = null;
    let advanceError: string | null = null;
    const advance = call(`${server.url}/_emulator/clock/advance`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"seconds":601}',
      timeoutMs: 0,
    }).then(
      (reply) => {
        advanceAnsweredMs = performance.now() - started;
        if (reply.status !== 200) advanceError = `answered ${reply.status}: ${reply.text.slice(0, 200)}`;
      },
      (error: Error) => {
        advanceError = error.message;
      },
    );
    const deadline = Date.now() + ctx.options.expiryTimeoutSeconds * 1000;
    // The advance moves the clock at once and then runs the due work: wait until the clock shows
    // it, so that the reads below come after the due time.
    while (Date.now() < deadline) {
      const clock = await call(`${server.url}/_emulator/clock`, { timeoutMs: 0 });
      if (clock.status === 200 && clock.json<{ offsetSeconds: number }>().offsetSeconds >= 600) break;
      await sleep(5);
    }
    const clockMovedMs = performance.now() - started;
    // The active sweep's progress, straight from the database file (WAL: a reader in another
    // process sees each committed chunk), every 50 ms.
    const watcher = new SQLite(databasePath, { readonly: true });
    let allRecordedMs: number | null = null;
    const recorded = (async () => {
      const count = watcher.prepare("select count(*) as n from payments where state = 'EXPIRED'");
      while (Date.now() < deadline) {
        if ((count.get() as { n: number }).n >= created.ids.length) {
          allRecordedMs = performance.now() - started;
          return;
        }
        await sleep(50);
      }
    })();
    // Every sampled payment read once, 4 at a time, right after the advance (what a reader sees
    // at the due time); then the ones not yet EXPIRED again, every 50 ms at most, without loading
    // the server that is doing the expiring.
    const readStates = (ids: readonly string[]) =>
      Promise.all(
        ids.map(async (id) => {
          const reply = await call(`${server.url}/_emulator/payments/${encodeURIComponent(id)}`, {
            headers: ctx.controlHeaders(false),
            timeoutMs: 0,
          });
          return reply.status === 200 ? reply.json<{ state: string }>().state : `HTTP ${reply.status}`;
        }),
      );
    let waiting: string[] = [];
    for (let i = 0; i < sample.length; i += 4) {
      const batch = sample.slice(i, i + 4);
      const states = await readStates(batch);
      waiting.push(...batch.filter((_, j) => states[j] !== 'EXPIRED'));
    }
    const sampleExpiredAtFirstRead = sample.length - waiting.length;
    let sampleExpiredMs: number | null = waiting.length === 0 ? performance.now() - started : null;
    while (waiting.length > 0 && Date.now() < deadline) {
      await sleep(50);
      const batch = waiting.slice(0, 4);
      const states = await readStates(batch);
      const done = new Set(batch.filter((_, j) => states[j] === 'EXPIRED'));
      waiting = waiting.filter((id) => !done.has(id));
      if (waiting.length === 0) sampleExpiredMs = performance.now() - started;
    }
    const advanceWait = cancellableSleep(Math.max(0, deadline - Date.now()));
    await Promise.race([advance, advanceWait.promise]);
    advanceWait.cancel();
    await recorded;
    watcher.close();
    ctx.log(
      `expiry: sample expired after ${sampleExpiredMs === null ? 'timeout' : `${(sampleExpiredMs / 1000).toFixed(2)} s`}; counting all ${created.ids.length}`,
    );

    let fullCount: Record<string, number> = {};
    let allExpired = false;
    for (;;) {
      const count = await runLoad(
        {
          kind: 'states',
          url: server.url,
          connections: 16,
          amount: created.ids.length,
          path: '/_emulator/payments/{id}',
          headers: ctx.controlHeaders(false),
          idsIn: created.idsFile,
          timeoutSeconds: 120,
        },
        ctx.pinning.loadCore,
        ctx.workDir,
      );
      fullCount = count.states ?? {};
      allExpired = (fullCount.EXPIRED ?? 0) === created.ids.length;
      if (allExpired || Date.now() > deadline) break;
      await sleep(1000);
    }
    const fullCountDoneMs = performance.now() - started;
    await waitIdle(ctx, server.pid, Math.max(10_000, deadline - Date.now()));
    const callbacksDrainedMs = performance.now() - started;
    const timeoutCallbacks = (await ctx.stubCalls()) - callsBefore;
    const peakRssDuringExpiryBytes = peakRssBytes(server.pid);
    const cpuDuringExpiryMicros = cpuMicros(server.pid) - cpuBefore;
    ctx.log(`expiry: CPU at rest after, ${ctx.options.idleSeconds} s`);
    const cpuAtRestAfterPercent = await cpuAtRest(server.pid, ctx.options.idleSeconds);
    return {
      payments: n,
      created: created.ids.length,
      seed,
      rssWithPendingBytes,
      cpuAtRestPendingPercent,
      advanceAnsweredMs,
      advanceError,
      sampleSize: sample.length,
      sampleExpiredAtFirstRead,
      clockMovedMs,
      sampleExpiredMs,
      allRecordedMs,
      fullCount,
      fullCountDoneMs,
      allExpired,
      timeoutCallbacks,
      callbacksDrainedMs,
      peakRssDuringExpiryBytes,
      cpuDuringExpiryMicros,
      cpuAtRestAfterPercent,
      peakIsScoped,
    };
  } finally {
    await server.stop();
  }
}
