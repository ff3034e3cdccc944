/**
 * WAL checkpoints off the event loop. SQLite checkpoints automatically at the COMMIT that takes
 * the WAL past `wal_autocheckpoint` pages, on the connection that committed: here the one thread
 * that serves HTTP, which then copies pages into the database file and fsyncs it (twice) while
 * every request waits. Instead a worker thread with its own connection to the file runs a
 * PASSIVE checkpoint every `CHECKPOINT_INTERVAL_MS` when something was committed since the last
 * one. PASSIVE takes no lock a writer needs: the main connection goes on committing while it
 * runs, and the WAL restarts from its beginning at the next write after a complete checkpoint.
 *
 * The main connection keeps an automatic checkpoint as a backstop at `BACKSTOP_PAGES` (should the
 * worker fall behind, the WAL is still bounded). Durability is SQLite's own: the checkpoint syncs
 * the WAL before copying and the database file after, in the worker.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often the worker checkpoints when there were commits, in ms. */
export const CHECKPOINT_INTERVAL_MS = 500;
/** The main connection's own automatic checkpoint, only reached if the worker falls behind (pages of 4 KiB). */
export const BACKSTOP_PAGES = 20_000;

// The worker's code: CommonJS (eval), given the absolute path of better-sqlite3 and the database.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driverPath);
const db = new Database(workerData.databasePath);
db.pragma('busy_timeout = 0');
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  let result = null;
  let error = null;
  try {
    result = checkpoint.get();
  } catch (e) {
    error = String(e && e.message ? e.message : e);
  }
  parentPort.postMessage({ result, error });
});
`;

export class Checkpointer {
  private readonly worker: Worker;
  private readonly timer: NodeJS.Timeout;
  private dirty = false;
  private running = false;
  private closed = false;
  private idle: (() => void) | null = null;
  /** Checkpoints run so far (tests, benchmark). */
  checkpoints = 0;

  constructor(databasePath: string, onError: (message: string) => void) {
    const driverPath = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driverPath, databasePath } });
    this.worker.unref();
    this.worker.on('message', (reply: { error: string | null }) => {
      this.running = false;
      if (reply.error) onError(reply.error);
      else this.checkpoints++;
      this.idle?.();
    });
    this.worker.on('error', (error) => onError(String(error)));
    this.timer = setInterval(() => this.tick(), CHECKPOINT_INTERVAL_MS);
    this.timer.unref();
  }

  /** Something was committed: the next tick checkpoints. */
  committed(): void {
    this.dirty = true;
  }

  private tick(): void {
    if (!this.dirty || this.running || this.closed) return;
    this.dirty = false;
    this.running = true;
    this.worker.postMessage('checkpoint');
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    // Unreferenced while it works (it must not keep the process alive); waited for here.
    this.worker.ref();
    if (this.running) await new Promise<void>((resolve) => (this.idle = resolve));
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage('close');
    await exited;
  }
}
