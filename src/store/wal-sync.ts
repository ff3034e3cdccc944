/**
 * Durability off the event loop (issue: "durability without the cost").
 *
 * better-sqlite3 is synchronous: with `PRAGMA synchronous=FULL` every COMMIT fsyncs the WAL on
 * the one thread that also serves HTTP, so the process does nothing else while the disk works.
 * Instead the store runs SQLite with `synchronous=NORMAL` (a COMMIT writes its WAL frames but does
 * not sync them; checkpoints still sync the WAL before and the database file after copying) and
 * `WalSync` makes the frames durable with `fdatasync` of the `-wal` file on libuv's thread pool.
 * The group commit driver acknowledges a transaction only after a sync that started after its
 * COMMIT has finished. fdatasync flushes every dirty page of the file whichever descriptor wrote
 * it, so an acknowledged commit's frames (and the WAL header they depend on) are on stable
 * storage: what SQLite's own FULL guarantees, while the loop goes on serving and the next group
 * fills up. Syncs are coalesced: at most one runs, and at most one more waits behind it.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Makes every commit made before the call durable. */
export interface CommitSync {
  sync(): Promise<void>;
  close(): Promise<void>;
}

export class WalSync implements CommitSync {
  private handle: FileHandle | null = null;
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  /** fdatasync calls made so far (tests, benchmark). */
  syncs = 0;

  constructor(private readonly databasePath: string) {}

  sync(): Promise<void> {
    if (!this.running) {
      this.running = this.run().finally(() => {
        this.running = null;
      });
      return this.running;
    }
    // The running sync may have started before the caller's COMMIT: wait for the next one.
    if (!this.queued) {
      this.queued = this.running.then(() => {
        this.queued = null;
        return this.sync();
      });
    }
    return this.queued;
  }

  private async run(): Promise<void> {
    if (!this.handle) {
      // The -wal file exists once a transaction has committed. Its directory entry is made
      // durable once, when it is first opened here.
      this.handle = await open(`${this.databasePath}-wal`, 'r');
      const dir = await open(dirname(this.databasePath), 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    }
    await this.handle.datasync();
    this.syncs++;
  }

  async close(): Promise<void> {
    await this.running;
    await this.queued;
    await this.handle?.close();
    this.handle = null;
  }
}
