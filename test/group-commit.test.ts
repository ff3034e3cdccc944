import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { openStore } from '../src/store/db.js';

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
});
