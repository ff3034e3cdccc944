/**
 * What the kernel knows about a server process: CPU time (utime + stime from /proc/<pid>/stat)
 * and memory (VmRSS, VmHWM from /proc/<pid>/status), and core pinning with taskset.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

let clockTicks: number | null = null;
/** Clock ticks per second of /proc/<pid>/stat (getconf CLK_TCK; 100 on Linux). */
export function clockTicksPerSecond(): number {
  if (clockTicks === null) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** CPU time the process has used so far (user + system), in microseconds. */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces: the fields after it start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 (utime) and 15 (stime) of proc(5); index 0 here is field 3 (state).
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1_000_000) / clockTicksPerSecond();
}

function statusField(pid: number, name: string): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

/** Resident memory now, in bytes. */
export function rssBytes(pid: number): number {
  return statusField(pid, 'VmRSS');
}

/** Peak resident memory (VmHWM) since the process started or since resetPeakRss, in bytes. */
export function peakRssBytes(pid: number): number {
  return statusField(pid, 'VmHWM');
}

/**
 * Resets VmHWM to the current RSS (writing 5 to clear_refs, Linux ≥ 4.0), so each scenario
 * reports its own peak. Returns false where the kernel does not allow it: the peak is then the
 * process's peak so far.
 */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

export interface Pinning {
  /** Whether servers and load generator run on separate cores. */
  readonly enabled: boolean;
  readonly serverCore: number | null;
  readonly loadCore: number | null;
  readonly reason: string;
}

/** Pins the server to core 0 and everything else to core 1, where taskset and 2 cores exist. */
export function detectPinning(disabled: boolean): Pinning {
  const cores = availableParallelism();
  if (disabled) return { enabled: false, serverCore: null, loadCore: null, reason: 'disabled (BENCH_PIN=0)' };
  if (cores < 2) return { enabled: false, serverCore: null, loadCore: null, reason: `only ${cores} core` };
  try {
    execFileSync('taskset', ['-c', '0', 'true']);
  } catch {
    return { enabled: false, serverCore: null, loadCore: null, reason: 'taskset not available' };
  }
  return {
    enabled: true,
    serverCore: 0,
    loadCore: 1,
    reason: `taskset: servers on core 0, load generator and harness on core 1 (${cores} cores)`,
  };
}

/** The command line to start a program on a core (or unpinned). */
export function pinned(core: number | null, command: string, args: readonly string[]): [string, string[]] {
  return core === null ? [command, [...args]] : ['taskset', ['-c', String(core), command, ...args]];
}

/** Moves this process (the harness) to a core. */
export function pinSelf(core: number | null): void {
  if (core === null) return;
  execFileSync('taskset', ['-a', '-p', '-c', String(core), String(process.pid)], { stdio: 'ignore' });
}
