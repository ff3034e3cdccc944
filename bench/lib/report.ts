/**
 * The bench's results: summary per scenario and contender (medians of the rounds), ratios,
 * the targets of the performance issue, and the markdown table printed on stdout.
 */
import { CONTENDER_LABELS, type ContenderKey } from './context.js';
import type { BenchOptions } from './options.js';
import type { BatchSample, ExpiryFigures, RunFigures } from './scenarios.js';
import { max, median, percentile, ratio, sum } from './stats.js';

export interface Row {
  readonly scenario: string;
  readonly title: string;
  readonly contender: ContenderKey;
  readonly unit: string;
  /** null when the scenario ran; otherwise why it could not. */
  readonly notAvailable: string | null;
  readonly throughput: number | null;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
  readonly errors: number | null;
  readonly operations: number | null;
  readonly cpuMicrosPerOp: number | null;
  readonly peakRssBytes: number | null;
  readonly serverCpuPercent: number | null;
  readonly generatorCpuPercent: number | null;
  throughputVsBaseline: number | null;
  cpuVsBaseline: number | null;
  throughputVsPrism: number | null;
  readonly runs: readonly unknown[];
  readonly extra?: Record<string, unknown>;
}

export function summarizeRuns(scenario: string, title: string, contender: ContenderKey, unit: string, runs: readonly RunFigures[]): Row {
  const figures = (f: (r: RunFigures) => number | null) => runs.map(f).filter((v): v is number => v !== null);
  return {
    scenario,
    title,
    contender,
    unit,
    notAvailable: runs.length === 0 ? 'no measured run' : null,
    throughput: median(figures((r) => r.throughput)),
    p50Ms: median(figures((r) => r.p50Ms)),
    p99Ms: median(figures((r) => r.p99Ms)),
    maxMs: max(figures((r) => r.maxMs)),
    errors: sum(runs.map((r) => r.errors)),
    operations: sum(runs.map((r) => r.operations)),
    cpuMicrosPerOp: median(figures((r) => r.cpuMicrosPerOp)),
    peakRssBytes: max(runs.map((r) => r.peakRssBytes)),
    serverCpuPercent: median(figures((r) => r.serverCpuPercent)),
    generatorCpuPercent: median(figures((r) => r.generatorCpuPercent)),
    throughputVsBaseline: null,
    cpuVsBaseline: null,
    throughputVsPrism: null,
    runs,
  };
}

/**
 * updatestatus: latency = accepted (the 200); throughput = items applied per second from the 200
 * to the batch shown APPLIED (the end-to-end rate, from the POST, is in `extra`).
 */
export function summarizeBatches(
  title: string,
  contender: ContenderKey,
  items: number,
  samples: readonly BatchSample[],
  observable: boolean,
): Row {
  const accept = samples.map((s) => s.acceptMs);
  const applied = samples.filter((s) => s.appliedMs !== null);
  const rate = applied.map((s) => (items / Math.max(1, (s.appliedMs as number) - s.acceptMs)) * 1000);
  const endToEnd = applied.map((s) => (items / (s.appliedMs as number)) * 1000);
  const errors = samples.filter((s) => s.status !== 200).length + (observable ? samples.filter((s) => s.appliedMs === null).length : 0);
  return {
    scenario: 'updatestatus',
    title,
    contender,
    unit: observable ? 'items/s applied' : '',
    notAvailable: samples.length === 0 ? 'no measured batch' : null,
    throughput: observable ? median(rate) : null,
    p50Ms: percentile(accept, 50),
    p99Ms: percentile(accept, 99),
    maxMs: max(accept),
    errors,
    operations: samples.length * items,
    cpuMicrosPerOp: median(samples.map((s) => s.cpuMicros / items)),
    peakRssBytes: max(samples.map((s) => s.peakRssBytes)),
    // Over the whole batch (POST until applied).
    serverCpuPercent: median(applied.map((s) => (s.cpuMicros / ((s.appliedMs as number) * 1000)) * 100)),
    generatorCpuPercent: null,
    throughputVsBaseline: null,
    cpuVsBaseline: null,
    throughputVsPrism: null,
    runs: samples,
    extra: observable
      ? {
          batches: samples.length,
          itemsPerBatch: items,
          appliedMsMedian: median(applied.map((s) => s.appliedMs as number)),
          endToEndItemsPerSecond: median(endToEnd),
          appliedItems: sum(samples.map((s) => s.applied ?? 0)),
          rejectedItems: sum(samples.map((s) => s.rejected ?? 0)),
        }
      : { batches: samples.length, itemsPerBatch: items },
  };
}

export function notAvailable(scenario: string, title: string, contender: ContenderKey, reason: string): Row {
  return {
    scenario,
    title,
    contender,
    unit: '',
    notAvailable: reason,
    throughput: null,
    p50Ms: null,
    p99Ms: null,
    maxMs: null,
    errors: null,
    operations: null,
    cpuMicrosPerOp: null,
    peakRssBytes: null,
    serverCpuPercent: null,
    generatorCpuPercent: null,
    throughputVsBaseline: null,
    cpuVsBaseline: null,
    throughputVsPrism: null,
    runs: [],
  };
}

/** Ratios of each platform row to the baseline and to Prism in the same scenario. */
export function addRatios(rows: Row[]): void {
  for (const row of rows) {
    if (row.contender !== 'platform' && row.contender !== 'platformNormal') continue;
    const same = (c: ContenderKey) => rows.find((r) => r.scenario === row.scenario && r.contender === c && r.notAvailable === null);
    const baseline = same('baseline');
    const prism = same('prism');
    row.throughputVsBaseline = ratio(row.throughput, baseline?.throughput);
    row.cpuVsBaseline = ratio(row.cpuMicrosPerOp, baseline?.cpuMicrosPerOp);
    row.throughputVsPrism = ratio(row.throughput, prism?.throughput);
  }
}

export interface Target {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean | null;
  readonly note: string;
}

const fmtX = (v: number | null) => (v === null ? 'n/a' : `${v.toFixed(2)}×`);

export function evaluateTargets(rows: readonly Row[], expiry: ExpiryFigures | null, sweepIntervalMs: number): Target[] {
  const get = (scenario: string, c: ContenderKey) =>
    rows.find((r) => r.scenario === scenario && r.contender === c && r.notAvailable === null);
  const targets: Target[] = [];
  const ratioTarget = (label: string, a: Row | undefined, b: Row | undefined, wanted: number) => {
    const value = ratio(a?.throughput, b?.throughput);
    targets.push({
      target: label,
      measured:
        value === null ? 'not measured' : `${fmtX(value)} (${fmtNum(a?.throughput ?? null)} vs ${fmtNum(b?.throughput ?? null)} req/s)`,
      met: value === null ? null : value >= wanted,
      note:
        value === null || value >= wanted
          ? ''
          : `missed: ${((value / wanted) * 100).toFixed(0)} % of the target; needs ${(wanted / value).toFixed(1)}× more`,
    });
  };
  ratioTarget('init ≥ 0.15 × baseline req/s', get('init', 'platform'), get('init', 'baseline'), 0.15);
  ratioTarget('init (FULL) ≥ 0.90 × init (NORMAL)', get('init', 'platform'), get('init', 'platformNormal'), 0.9);
  ratioTarget('details ≥ 0.30 × baseline req/s', get('details', 'platform'), get('details', 'baseline'), 0.3);
  ratioTarget('init faster than Prism', get('init', 'platform'), get('init', 'prism'), 1);
  ratioTarget('details faster than Prism', get('details', 'platform'), get('details', 'prism'), 1);
  const us = get('updatestatus', 'platform');
  targets.push({
    target: '5,000-item updatestatus accepted, p99 < 250 ms',
    measured: us?.p99Ms == null ? 'not measured' : `p99 ${us.p99Ms.toFixed(0)} ms (${(us.extra?.batches as number) ?? 0} batches)`,
    met: us?.p99Ms == null ? null : us.p99Ms < 250,
    note: us?.p99Ms != null && us.p99Ms >= 250 ? `missed by ${(us.p99Ms - 250).toFixed(0)} ms` : '',
  });
  targets.push({
    target: 'updatestatus applied ≥ 50,000 items/s',
    measured:
      us?.throughput == null
        ? 'not measured'
        : `${fmtNum(us.throughput)} items/s from the 200 to APPLIED (${fmtNum(us.extra?.endToEndItemsPerSecond as number)} items/s from the POST)`,
    met: us?.throughput == null ? null : us.throughput >= 50_000,
    note: us?.throughput != null && us.throughput < 50_000 ? `reached ${((us.throughput / 50_000) * 100).toFixed(0)} % of the target` : '',
  });
  // Expired = what every reader sees and what every action meets: the sampled payments read right
  // after the due time (passive expiry); the sweep's recording of all of them is reported next to it.
  const expireMs = expiry ? (expiry.allExpired ? expiry.sampleExpiredMs : null) : null;
  const firstReadAll = expiry ? expiry.sampleExpiredAtFirstRead === expiry.sampleSize : false;
  targets.push({
    target: `${expiry ? expiry.payments.toLocaleString('en') : '100,000'} pending payments expired within one sweep interval (${sweepIntervalMs} ms)`,
    measured: !expiry
      ? 'not measured'
      : expireMs === null
        ? `not all expired (${JSON.stringify(expiry.fullCount)})`
        : `${expiry.sampleExpiredAtFirstRead} of ${expiry.sampleSize} sampled EXPIRED at their first read after the due time (all by ${(expireMs / 1000).toFixed(2)} s); all ${fmtNum(expiry.created)} recorded by the sweep after ${expiry.allRecordedMs === null ? '—' : `${(expiry.allRecordedMs / 1000).toFixed(2)} s`}`,
    met: !expiry ? null : expireMs !== null && firstReadAll,
    note:
      expiry && expiry.allRecordedMs !== null && expiry.allRecordedMs > sweepIntervalMs
        ? `expired for every reader at the due time; the sweep's recording took ${(expiry.allRecordedMs / sweepIntervalMs).toFixed(1)}× the interval`
        : '',
  });
  const peak = expiry ? Math.max(expiry.seed.peakRssBytes, expiry.peakRssDuringExpiryBytes, expiry.rssWithPendingBytes) : null;
  targets.push({
    target: 'process under 1 GiB with them',
    measured: peak === null ? 'not measured' : `peak ${fmtMiB(peak)} MiB`,
    met: peak === null ? null : peak < 2 ** 30,
    note: '',
  });
  return targets;
}

export function fmtNum(v: number | null | undefined, digits = 0): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return v.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function fmtMiB(bytes: number | null | undefined): string {
  return bytes === null || bytes === undefined || !Number.isFinite(bytes) ? '—' : (bytes / 2 ** 20).toFixed(0);
}

const fmtMs = (v: number | null) => (v === null ? '—' : v < 10 ? v.toFixed(1) : v.toFixed(0));
const fmtRatio = (v: number | null) => (v === null ? '—' : v.toFixed(2));

/**
 * A load generator above this share of its core, serving a server that stayed below it, was the
 * bottleneck (marked † in the table). When both are saturated the server was at the limit of its
 * core: it could not have gone faster with a faster generator.
 */
export const GENERATOR_SATURATED_PERCENT = 90;

export function generatorWasBottleneck(r: Pick<Row, 'generatorCpuPercent' | 'serverCpuPercent'>): boolean {
  return (
    r.generatorCpuPercent !== null &&
    r.generatorCpuPercent >= GENERATOR_SATURATED_PERCENT &&
    (r.serverCpuPercent === null || r.serverCpuPercent < GENERATOR_SATURATED_PERCENT)
  );
}

export function markdownTable(rows: readonly Row[]): string {
  const lines = [
    '| Scenario | Contender | Throughput | p50 ms | p99 ms | max ms | Errors | CPU µs/op | Server CPU % | Peak RSS MiB | ÷ baseline | CPU ÷ baseline | ÷ Prism |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const r of rows) {
    if (r.notAvailable !== null) {
      lines.push(
        `| ${r.title} | ${CONTENDER_LABELS[r.contender]} | not available: ${r.notAvailable.replace(/\|/g, '/')} | | | | | | | | | | |`,
      );
      continue;
    }
    const saturated = generatorWasBottleneck(r) ? ' †' : '';
    const throughput = r.throughput === null ? '—' : `${fmtNum(r.throughput)} ${r.unit}${saturated}`;
    lines.push(
      `| ${r.title} | ${CONTENDER_LABELS[r.contender]} | ${throughput} | ${fmtMs(r.p50Ms)} | ${fmtMs(r.p99Ms)} | ${fmtMs(r.maxMs)} | ${fmtNum(r.errors)} | ${fmtNum(r.cpuMicrosPerOp)} | ${fmtNum(r.serverCpuPercent)} | ${fmtMiB(r.peakRssBytes)} | ${fmtRatio(r.throughputVsBaseline)} | ${fmtRatio(r.cpuVsBaseline)} | ${fmtRatio(r.throughputVsPrism)} |`,
    );
  }
  return lines.join('\n');
}

export function expiryTable(e: ExpiryFigures | null, reason: string | null): string {
  if (!e) return `Expiry: not available${reason ? `: ${reason}` : ''}.`;
  const s = (ms: number | null) => (ms === null ? '—' : `${(ms / 1000).toFixed(2)} s`);
  const rows: [string, string][] = [
    [
      'pending payments created (init)',
      `${fmtNum(e.created)} of ${fmtNum(e.payments)} in ${e.seed.seconds.toFixed(1)} s (${fmtNum(e.seed.perSecond)}/s, synchronous=${e.seed.synchronous}, ${fmtNum(e.seed.errors)} errors, peak RSS ${fmtMiB(e.seed.peakRssBytes)} MiB)`,
    ],
    ['RSS holding them (restarted, synchronous=FULL)', `${fmtMiB(e.rssWithPendingBytes)} MiB`],
    ['CPU at rest with them pending', `${e.cpuAtRestPendingPercent.toFixed(2)} % of a core`],
    ['clock advance (601 s) answered after', e.advanceError ? `error: ${e.advanceError}` : s(e.advanceAnsweredMs)],
    ['clock showed the advance after', s(e.clockMovedMs)],
    [
      `sampled payments EXPIRED at their first read after it`,
      `${fmtNum(e.sampleExpiredAtFirstRead)} of ${fmtNum(e.sampleSize)} (all EXPIRED by ${s(e.sampleExpiredMs)})`,
    ],
    ['all recorded EXPIRED in the database (sweep, or a reader first)', s(e.allRecordedMs)],
    [
      'full count (each id looked up once)',
      `${
        Object.entries(e.fullCount)
          .map(([k, v]) => `${k} ${fmtNum(v)}`)
          .join(', ') || '—'
      } (done at ${s(e.fullCountDoneMs)})`,
    ],
    ['TIMEOUT makePayment callbacks delivered', `${fmtNum(e.timeoutCallbacks)} (idle again at ${s(e.callbacksDrainedMs)})`],
    [
      'server CPU for the whole expiry',
      `${(e.cpuDuringExpiryMicros / 1e6).toFixed(2)} s (${e.created > 0 ? fmtNum(e.cpuDuringExpiryMicros / e.created) : '—'} µs per payment)`,
    ],
    ['peak RSS during expiry', `${fmtMiB(e.peakRssDuringExpiryBytes)} MiB${e.peakIsScoped ? '' : ' (peak since start)'}`],
    ['CPU at rest after', `${e.cpuAtRestAfterPercent.toFixed(2)} % of a core`],
  ];
  return ['| Expiry | |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
}

export function targetsTable(targets: readonly Target[]): string {
  return [
    '| Target | Measured | Met | Note |',
    '|---|---|---|---|',
    ...targets.map((t) => `| ${t.target} | ${t.measured} | ${t.met === null ? 'n/a' : t.met ? 'yes' : 'NO'} | ${t.note} |`),
  ].join('\n');
}

export function optionsLine(o: BenchOptions): string {
  return `rounds ${o.rounds} × ${o.durationSeconds} s (warm-up ${o.warmupSeconds} s), ${o.connections} connections, approval ${o.approvalConnections} flows, updatestatus ${o.updateStatusBatches} × ${o.updateStatusItems} items per round, expiry ${o.expiryPayments} payments${o.quick ? ' (--quick)' : ''}`;
}
