/**
 * Runs bench/load-worker.mjs (autocannon) in a child process on the load generator's core and
 * measures the server while it runs: CPU (utime + stime) before and after, and the peak RSS.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpuMicros, peakRssBytes, pinned, resetPeakRss } from './proc.js';

export interface LoadJob {
  readonly kind: 'fixed' | 'init' | 'details' | 'approve' | 'approval' | 'states';
  readonly url: string;
  readonly connections: number;
  readonly durationSeconds?: number;
  readonly amount?: number;
  readonly method?: string;
  readonly path?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly idsIn?: string;
  readonly idsOut?: string;
  readonly idPrefix?: string;
  readonly makePaymentUrl?: string;
  readonly timeoutSeconds?: number;
  // approval flow
  readonly initPath?: string;
  readonly approvePath?: string;
  readonly statePath?: string;
  readonly controlHeaders?: Record<string, string>;
  readonly stateHeaders?: Record<string, string>;
  readonly approveBody?: string;
}

export interface LoadResult {
  readonly requests: number;
  readonly durationSeconds: number;
  readonly requestsPerSecond: number;
  readonly latencyMs: { p50: number; p99: number; max: number; mean: number };
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  readonly statusCodes: Record<string, number>;
  readonly generatorCpuPercent: number;
  readonly flows?: number;
  readonly flowsPerSecond?: number;
  readonly flowLatencyMs?: { p50: number; p99: number; max: number; mean: number };
  readonly stateMismatches?: number;
  readonly states?: Record<string, number>;
  readonly idsWritten?: number;
}

export interface Measured<T> {
  readonly result: T;
  /** Server CPU (user + system) used while it ran, µs. */
  readonly cpuMicros: number;
  /** Peak RSS while it ran (VmHWM after a reset), bytes. */
  readonly peakRssBytes: number;
  /** Whether the peak was reset before (false: the peak since the process started). */
  readonly peakIsScoped: boolean;
  readonly wallMs: number;
}

/** Runs work while measuring one server process. */
export async function measure<T>(pid: number, work: () => Promise<T>): Promise<Measured<T>> {
  const peakIsScoped = resetPeakRss(pid);
  const cpuBefore = cpuMicros(pid);
  const started = performance.now();
  const result = await work();
  const wallMs = performance.now() - started;
  try {
    return { result, cpuMicros: cpuMicros(pid) - cpuBefore, peakRssBytes: peakRssBytes(pid), peakIsScoped, wallMs };
  } catch (error) {
    throw new Error(`the server process ${pid} ended during the run (${(error as Error).message})`);
  }
}

let jobCounter = 0;

export function runLoad(job: LoadJob, core: number | null, workDir: string): Promise<LoadResult> {
  jobCounter += 1;
  const jobFile = join(workDir, `job-${jobCounter}.json`);
  writeFileSync(jobFile, JSON.stringify(job));
  const [command, args] = pinned(core, process.execPath, ['bench/load-worker.mjs', jobFile]);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString('utf8');
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || line === '') {
        reject(new Error(`load worker (${job.kind} ${job.url}) exited with ${code}: ${err.slice(-2000)}`));
        return;
      }
      resolve(JSON.parse(line) as LoadResult);
    });
  });
}
