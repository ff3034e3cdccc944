import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { CHECKPOINT_INTERVAL_MS } from '../src/store/checkpointer.js';
import { openStore } from '../src/store/db.js';
import { hotQuery, isUniqueViolation } from '../src/store/hot.js';
import { GroupCommitDialect } from '../src/store/sqlite-driver.js';
import type { CommitSync } from '../src/store/wal-sync.js';

/** A CommitSync the test completes by hand: it shows what waits for the disk. */
class ManualSync implements CommitSync {
  readonly waiting: (() => void)[] = [];
  sync(): Promise<void> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  finish(): void {
    for (const resolve of this.waiting.splice(0)) resolve();
  }
  async close(): Promise<void> {}
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('group commit', () => {
  it('acknowledges a transaction only once it is committed, shares commits between concurrent transactions, and isolates a failure', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'group-commit-'));
    const path = join(dir, 'db.sqlite');
    const store = await openStore(`sqlite:${path}`);
    try {
      const before = store.commits();
      const insert = (id: string) =>
        store.db.transaction().execute(async (trx) => {
          await trx
            .insertInto('users')
            .values({ phone_number: id, name: 'n', birth_date: '1990-01-01', status: 'ACTIVE', created_at: 'x' })
            .execute();
          if (id === '90000013') throw new Error('this one fails');
          await trx
            .updateTable('users')
            .set({ name: `user ${id}` })
            .where('phone_number', '=', id)
            .execute();
        });
      const ids = Array.from({ length: 40 }, (_, i) => String(90000000 + i));
      const results = await Promise.allSettled(ids.map(insert));
      assert.equal(results.filter((r) => r.status === 'rejected').length, 1);

      // Everything acknowledged is visible to another connection: it was committed.
      const other = new SQLite(path, { readonly: true });
      const rows = other.prepare('select phone_number, name from users order by phone_number').all() as {
        phone_number: string;
        name: string;
      }[];
      other.close();
      assert.equal(rows.length, 39);
      assert.ok(!rows.some((r) => r.phone_number === '90000013'));
      assert.ok(rows.every((r) => r.name === `user ${r.phone_number}`));
      const commits = store.commits() - before;
      assert.ok(commits >= 1 && commits < 40, `40 concurrent transactions took ${commits} commits`);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('acknowledges transactions and bare writes only after the sync that follows their commit; the next group fills up meanwhile', async () => {
    const sqlite = new SQLite(':memory:');
    const sync = new ManualSync();
    const db = new Kysely<{ t: { id: number } }>({ dialect: new GroupCommitDialect(sqlite, sync) });
    try {
      const created = sql`create table t (id integer primary key)`.execute(db);
      await tick();
      sync.finish();
      await created;
      let acknowledged = 0;
      const first = db
        .transaction()
        .execute((trx) => trx.insertInto('t').values({ id: 1 }).execute())
        .then(() => acknowledged++);
      const bare = db
        .insertInto('t')
        .values({ id: 2 })
        .execute()
        .then(() => acknowledged++);
      await tick();
      // Committed (visible) but not acknowledged: the sync has not finished.
      assert.equal(acknowledged, 0);
      assert.equal(sync.waiting.length, 1);
      assert.deepEqual(
        (await db.selectFrom('t').select('id').orderBy('id').execute()).map((r) => r.id),
        [1, 2],
      );

      // The connection is free meanwhile: a second transaction runs while the first sync does,
      // and its group is committed (and synced) once that sync has finished.
      const second = db
        .transaction()
        .execute((trx) => trx.insertInto('t').values({ id: 3 }).execute())
        .then(() => acknowledged++);
      await tick();
      assert.equal(sync.waiting.length, 1);
      assert.equal(acknowledged, 0);
      sync.finish();
      await Promise.all([first, bare]);
      assert.equal(acknowledged, 2);
      await tick();
      assert.equal(sync.waiting.length, 1, 'the second group asks for its own sync');
      assert.equal(acknowledged, 2);
      sync.finish();
      await second;
      assert.equal(acknowledged, 3);

      // A failing bare write rolls back alone and is reported to its caller.
      await assert.rejects(db.insertInto('t').values({ id: 1 }).execute(), /UNIQUE/);
      await tick();
      sync.finish();
      assert.equal((await db.selectFrom('t').select('id').execute()).length, 3);
    } finally {
      sync.finish();
      await db.destroy();
    }
  });

  it('makes a file database durable with fdatasync of the WAL, one per group', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'group-commit-'));
    const store = await openStore(`sqlite:${join(dir, 'db.sqlite')}`);
    try {
      const before = { commits: store.commits(), syncs: store.syncs() };
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.db
            .insertInto('users')
            .values({ phone_number: String(91000000 + i), name: 'n', birth_date: '1990-01-01', status: 'ACTIVE', created_at: 'x' })
            .execute(),
        ),
      );
      const commits = store.commits() - before.commits;
      const syncs = store.syncs() - before.syncs;
      assert.ok(commits >= 1 && commits < 20, `20 concurrent bare writes took ${commits} commits`);
      assert.ok(syncs >= 1 && syncs <= commits, `${syncs} syncs for ${commits} commits`);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs a hot-path transaction (store/hot.ts) in a savepoint of the group: acknowledged after the sync, a failure rolled back alone', async () => {
    const sqlite = new SQLite(':memory:');
    sqlite.exec('create table t (id integer primary key)');
    const sync = new ManualSync();
    const dialect = new GroupCommitDialect(sqlite, sync);
    const db = new Kysely<{ t: { id: number } }>({ dialect });
    try {
      const insert = hotQuery((id: number) => db.insertInto('t').values({ id }));
      const count = () => (sqlite.prepare('select count(*) as n from t').get() as { n: number }).n;
      let acknowledged = 0;
      const ok = dialect.driver.write(async (c) => c.run(insert, 1)).then(() => acknowledged++);
      const failing = dialect.driver.write(async (c) => {
        await c.run(insert, 2);
        await c.run(insert, 1); // primary key taken: this transaction (and its row 2) is rolled back
      });
      await assert.rejects(failing, (error: unknown) => isUniqueViolation(error));
      await tick();
      assert.equal(count(), 1, 'row 1 is in the group, row 2 was rolled back with its transaction');
      assert.equal(acknowledged, 0, 'not acknowledged before the sync');
      sync.finish();
      await ok;
      assert.equal(acknowledged, 1);
    } finally {
      sync.finish();
      await db.destroy();
    }
  });

  it('checkpoints the WAL in a worker thread, not at a commit on the main connection', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'checkpoint-'));
    const path = join(dir, 'db.sqlite');
    const store = await openStore(`sqlite:${path}`);
    try {
      const marker = 'checkpointed-by-the-worker';
      await store.db
        .insertInto('users')
        .values({ phone_number: '90000099', name: marker, birth_date: '1990-01-01', status: 'ACTIVE', created_at: 'x' })
        .execute();
      // A few pages, far below SQLite's default automatic checkpoint (1000 pages): only the worker
      // copies them into the database file.
      const deadline = Date.now() + 20 * CHECKPOINT_INTERVAL_MS;
      while (store.checkpoints() === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.ok(store.checkpoints() > 0, 'the worker checkpointed');
      assert.ok(readFileSync(path).toString('latin1').includes(marker), 'the row is in the database file, not only in the WAL');
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
