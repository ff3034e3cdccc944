import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { openStore } from '../src/store/db.js';
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
});
