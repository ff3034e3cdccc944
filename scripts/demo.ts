/**
 * `npm run demo`: the platform (on a SQLite file in a temporary directory, with the demo seed),
 * the reference PSP and its shop (examples/reference-psp), each on a free loopback port
 * (scripts/demo-stack.ts). Prints where to go and what to try; Ctrl-C stops all of it and removes
 * the temporary directory.
 *
 * A Ctrl-C usually arrives more than once: the terminal signals the whole process group, and npm
 * and tsx forward it to their child as well. tsx's preflight ends the process with 130 on a signal
 * that has no listener left, so the handlers stay installed (`on`, not `once`) and repeats are
 * ignored while stopping. Whatever still ends the process early (an error, a process.exit
 * elsewhere, SIGKILL aside), the `exit` handler removes the directory synchronously.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Demo, removeDir, startDemo } from './demo-stack.js';

/** How long stopping may take before the process exits anyway (the directory still goes). */
const STOP_WITHIN_MS = 10_000;

const dir = mkdtempSync(join(tmpdir(), 'vipps-psp-demo-'));
process.on('exit', () => removeDir(dir));

const starting: Promise<Demo> = startDemo({ dir });

let stopping = false;
function stop(signal: NodeJS.Signals): void {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`\n${signal}: stopping the shop and the platform\n`);
  setTimeout(() => {
    process.stderr.write(`the demo did not stop within ${STOP_WITHIN_MS / 1000} s; exiting\n`);
    process.exit(1);
  }, STOP_WITHIN_MS).unref();
  // A signal during start-up waits for it to finish (or fail), then stops what started.
  starting
    .then((demo) => demo.close())
    .then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, stop);

const demo = await starting;
if (!stopping) process.stdout.write(demo.instructions);
