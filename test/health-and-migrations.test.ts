/**
 * GET /health (ready only when the database answers and is migrated), migrations once when
 * several nodes start together, and the refusal of a schema newer than the code. Runs on the
 * suite's database (SQLite, or PostgreSQL with TEST_DATABASE_URL).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { checkHealth } from '../src/services/check-health.js';
import { isUniqueViolation, openStore } from '../src/store/db.js';
import { MIGRATIONS } from '../src/store/migrations.js';
import { call, dropTestDatabase, startTestPlatform, TEST_DATABASE_URL, testDatabaseUrl } from './helpers/platform.js';

const LATEST = Object.keys(MIGRATIONS).at(-1) as string;

describe('GET /health', () => {
  it('answers 200 ready, naming the database, when the database answers and is migrated', async () => {
    const p = await startTestPlatform();
    try {
      const r = await call<Record<string, unknown>>(`${p.url}/health`);
      assert.equal(r.status, 200);
      assert.deepEqual(r.json, { status: 'UP', ready: true, profile: 'test', database: TEST_DATABASE_URL ? 'postgres' : 'sqlite' });
      assert.equal(r.headers.get('cache-control'), 'no-store');
    } finally {
      await p.close();
    }
  });

  it('answers 503 while a migration of this code is missing from the database, 200 again once it is there', async () => {
    const p = await startTestPlatform();
    try {
      const { db } = p.running.platform.store;
      const row = await sql<{
        name: string;
        timestamp: string;
      }>`select name, timestamp from kysely_migration where name = ${LATEST}`.execute(db);
      await sql`delete from kysely_migration where name = ${LATEST}`.execute(db);
      const down = await call<Record<string, unknown>>(`${p.url}/health`);
      assert.equal(down.status, 503);
      assert.equal(down.json.status, 'DOWN');
      assert.equal(down.json.ready, false);
      assert.equal(down.json.reason, `migrations not applied: ${LATEST}`);
      const { name, timestamp } = row.rows[0] as { name: string; timestamp: string };
      await sql`insert into kysely_migration (name, timestamp) values (${name}, ${timestamp})`.execute(db);
      assert.equal((await call(`${p.url}/health`)).status, 200);
    } finally {
      await p.close();
    }
  });

  it('is not ready when the database does not answer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vipps-psp-health-'));
    try {
      const store = await openStore(await testDatabaseUrl(dir));
      assert.deepEqual(await checkHealth({ store }), { ready: true, database: store.dialect });
      await store.close();
      const health = await checkHealth({ store });
      assert.equal(health.ready, false);
      assert.match(health.reason ?? '', /^database unavailable: /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await dropTestDatabase(dir);
    }
  });
});

describe('migrations', () => {
  it('refuses to start on a schema newer than the code, in one line that says what to do', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vipps-psp-newer-'));
    try {
      const p = await startTestPlatform({ dir });
      await sql`insert into kysely_migration (name, timestamp) values (${'999_from_a_newer_version'}, ${new Date().toISOString()})`.execute(
        p.running.platform.store.db,
      );
      await p.close();
      await assert.rejects(startTestPlatform({ dir }), (error: Error) => {
        // Worded by the start-up check (store/database-check.ts); --reset erases SQLite files only.
        assert.match(
          error.message,
          TEST_DATABASE_URL
            ? /^DATABASE_URL: the PostgreSQL database at [^ ]+ was written by a newer vipps-psp-emulator \(migrations 999_from_a_newer_version unknown to this version\): run that version or newer, or use another DATABASE_URL \(--database-url\)$/
            : /^DATABASE_URL: sqlite:.+ was written by a newer vipps-psp-emulator \(migrations 999_from_a_newer_version unknown to this version\): run that version or newer, or start with --reset \(erases it\) or another DATABASE_URL \(--database-url\)$/,
        );
        assert.doesNotMatch(error.message, /\n/);
        return true;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await dropTestDatabase(dir);
    }
  });

  it('run once when several nodes start together on one PostgreSQL (the advisory lock)', {
    skip: TEST_DATABASE_URL ? false : 'PostgreSQL only: SQLite is one node on one file (TEST_DATABASE_URL unset)',
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vipps-psp-migrate-'));
    const url = await testDatabaseUrl(dir);
    const stores = await Promise.all([openStore(url), openStore(url), openStore(url), openStore(url)]);
    try {
      const rows = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(stores[0]?.db as never);
      assert.deepEqual(
        rows.rows.map((r) => r.name),
        Object.keys(MIGRATIONS).sort(),
      );
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      rmSync(dir, { recursive: true, force: true });
      await dropTestDatabase(dir);
    }
  });
});

describe('a PostgreSQL DATABASE_URL', () => {
  it('that cannot be reached fails the start with the server named and the password not echoed', async () => {
    await assert.rejects(openStore('postgres://emulator:s3cret-pw@127.0.0.1:1/platform', { poolSize: 1 }), (error: Error) => {
      assert.match(error.message, /^cannot connect to PostgreSQL at postgres:\/\/emulator:\*\*\*@127\.0\.0\.1:1\/platform: /);
      assert.doesNotMatch(error.message, /s3cret-pw/);
      assert.doesNotMatch(String(error.stack), /s3cret-pw/);
      return true;
    });
  });
});

describe('isUniqueViolation', () => {
  it('recognises a duplicate primary key on the suite’s database, and nothing else', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vipps-psp-unique-'));
    const store = await openStore(await testDatabaseUrl(dir));
    try {
      const row = { kid: 'k1', private_jwk: '{}', public_jwk: '{}', created_at: new Date().toISOString() };
      await store.db.insertInto('signing_keys').values(row).execute();
      const duplicate = await store.db
        .insertInto('signing_keys')
        .values(row)
        .execute()
        .then(
          () => null,
          (error: unknown) => error,
        );
      assert.ok(duplicate, 'the second insert of the same key fails');
      assert.equal(isUniqueViolation(duplicate), true);
      const other = await sql`select * from no_such_table`.execute(store.db).then(
        () => null,
        (error: unknown) => error,
      );
      assert.equal(isUniqueViolation(other), false);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
      await dropTestDatabase(dir);
    }
  });
});
