import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { prepareInsert, prepareQuery } from '../src/store/prepared.js';
import { GroupCommitDialect } from '../src/store/sqlite-driver.js';

interface Db {
  t: { id: string; kind: string; n: number; note: string | null };
}

describe('prepared queries (store/prepared.ts)', () => {
  it('compile once and run with each call’s values, in a transaction or not, constants kept', async () => {
    const db = new Kysely<Db>({ dialect: new GroupCommitDialect(new SQLite(':memory:'), null) });
    try {
      await sql`create table t (id text primary key, kind text not null, n integer not null, note text)`.execute(db);
      const insert = prepareInsert<Db['t']>((row) => db.insertInto('t').values(row), ['id', 'kind', 'n', 'note']);
      // 'a' is a constant of the query; the two arguments are values.
      const byKindAbove = prepareQuery((kind: string, min: number) =>
        db.selectFrom('t').select(['id', 'n']).where('kind', '=', kind).where('n', '>', min).where('id', '<>', 'a').orderBy('n'),
      );
      await db.transaction().execute(async (trx) => {
        for (const [id, kind, n] of [
          ['a', 'x', 5],
          ['b', 'x', 1],
          ['c', 'x', 7],
          ['d', 'y', 9],
        ] as const) {
          await insert(trx, { id, kind, n, note: id === 'c' ? 'c!' : null });
        }
      });
      assert.deepEqual(await byKindAbove(db, 'x', 0), [
        { id: 'b', n: 1 },
        { id: 'c', n: 7 },
      ]);
      assert.deepEqual(await byKindAbove(db, 'x', 3), [{ id: 'c', n: 7 }]);
      assert.deepEqual(await byKindAbove(db, 'y', 3), [{ id: 'd', n: 9 }]);
      const all = await db.selectFrom('t').selectAll().orderBy('id').execute();
      assert.deepEqual(
        all.map((r) => [r.id, r.kind, r.n, r.note]),
        [
          ['a', 'x', 5, null],
          ['b', 'x', 1, null],
          ['c', 'x', 7, 'c!'],
          ['d', 'y', 9, null],
        ],
      );
    } finally {
      await db.destroy();
    }
  });

  it('refuses a query that does not use an argument as a value', () => {
    const db = new Kysely<Db>({ dialect: new GroupCommitDialect(new SQLite(':memory:'), null) });
    assert.throws(
      () => prepareQuery((_kind: string) => db.selectFrom('t').selectAll().where('kind', '=', 'x')),
      /argument 0 is not used as a value/,
    );
    void db.destroy();
  });
});
