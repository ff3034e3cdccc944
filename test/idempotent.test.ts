/**
 * The one idempotency helper (services/idempotent.ts) that init, updatestatus and the Merchant
 * API's create use, on the suite's database (SQLite, or PostgreSQL with TEST_DATABASE_URL), over
 * both of its units: a Kysely transaction and the hot path (`store.hot`, init's).
 *
 * Two first requests with one key are made to race deterministically: each one's `prepare` step
 * (after its look for a stored answer, before its transaction) waits until both have looked, so
 * both miss the key and both run their work; the database lets one store its answer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { iso } from '../src/clock.js';
import { ApiError } from '../src/domain/errors.js';
import type { Platform } from '../src/platform.js';
import { hotUnit, type IdempotentUnit, idempotent, kyselyUnit } from '../src/services/idempotent.js';
import type { IdempotencyEntry } from '../src/store/idempotency.js';
import { DEMO, startTestPlatform, type TestPlatform } from './helpers/platform.js';

/** A barrier of `n`: each caller waits until all `n` have arrived. */
function barrier(n: number): () => Promise<void> {
  let arrived = 0;
  let release!: () => void;
  const all = new Promise<void>((resolve) => {
    release = resolve;
  });
  return () => {
    arrived += 1;
    if (arrived === n) release();
    return all;
  };
}

/** The work's own write (a row the test can look for): kept by the winner, rolled back for the loser. */
function sideEffect(platform: Platform, name: string): IdempotencyEntry {
  const now = platform.clock.now();
  return {
    pspId: DEMO.pspId,
    scope: 'test-side-effect',
    key: name,
    response: { requestSha256: '-', statusCode: 200, body: name },
    createdAt: iso(now),
    expiresAt: iso(now + 3_600_000),
  };
}

async function sideEffects(platform: Platform): Promise<string[]> {
  const rows = await platform.store.db
    .selectFrom('idempotency_keys')
    .select('idempotency_key')
    .where('scope', '=', 'test-side-effect')
    .orderBy('idempotency_key')
    .execute();
  return rows.map((r) => r.idempotency_key);
}

interface UnitCase<C> {
  readonly name: string;
  unit(platform: Platform): IdempotentUnit<C>;
  write(platform: Platform, connection: C, name: string): Promise<void>;
}

const UNITS: readonly UnitCase<never>[] = [
  {
    name: 'a Kysely transaction (updatestatus, Merchant API create)',
    unit: (platform) => kyselyUnit(platform),
    write: async (platform, trx, name) => {
      await platform.repos.idempotency.saveIfAbsent(trx, sideEffect(platform, name));
    },
  } satisfies UnitCase<Parameters<Platform['repos']['idempotency']['saveIfAbsent']>[0]> as unknown as UnitCase<never>,
  {
    name: 'the hot path (init)',
    unit: (platform) => hotUnit(platform),
    write: async (platform, c, name) => {
      await platform.repos.idempotency.saveIfAbsentOn(c, sideEffect(platform, name));
    },
  } satisfies UnitCase<Parameters<Platform['repos']['idempotency']['saveIfAbsentOn']>[0]> as unknown as UnitCase<never>,
];

for (const unitCase of UNITS) {
  describe(`idempotent() over ${unitCase.name}`, () => {
    let p: TestPlatform;
    let platform: Platform;
    let n = 0;
    before(async () => {
      p = await startTestPlatform();
      platform = p.running.platform;
    });
    after(() => p?.close());

    /** One request with `key`; `digest` stands for its body; `arrive` gates its prepare step. */
    function request(key: string, digest: string, arrive: () => Promise<void>, runs: string[]) {
      const name = `call-${++n}`;
      return idempotent(
        platform,
        { pspId: DEMO.pspId, scope: 'test-op', key, requestSha256: () => digest, conflict: 'IDEMPOTENCY_CONFLICT' },
        async (c: never) => {
          runs.push(name);
          await unitCase.write(platform, c, name);
          return { statusCode: 200, body: JSON.stringify({ made: name }) };
        },
        { unit: unitCase.unit(platform), prepare: arrive },
      );
    }

    it('two concurrent first requests with one key: one stores its answer, the other rolls back and replays it', async () => {
      const key = `race-${n}`;
      const arrive = barrier(2);
      const runs: string[] = [];
      const before = await sideEffects(platform);
      const [x, y] = await Promise.all([request(key, 'same', arrive, runs), request(key, 'same', arrive, runs)]);
      // Both looked before either stored, so both ran their work…
      assert.equal(runs.length, 2);
      // …and both answer with the one stored answer; exactly one of them replayed it.
      assert.equal(x.answer.body, y.answer.body);
      assert.deepEqual([x.replayed, y.replayed].sort(), [false, true]);
      const winner = JSON.parse(x.answer.body).made as string;
      // The loser's write is gone with its transaction; the winner's is kept.
      const added = (await sideEffects(platform)).filter((k) => !before.includes(k));
      assert.deepEqual(added, [winner]);
      // A later retry replays without running the work.
      const again = await request(key, 'same', async () => {}, runs);
      assert.equal(runs.length, 2);
      assert.deepEqual(again, { replayed: true, answer: { statusCode: 200, body: x.answer.body } });
    });

    it('two concurrent first requests with one key and different bodies: the loser is the conflict, not a second answer', async () => {
      const key = `conflict-${n}`;
      const arrive = barrier(2);
      const runs: string[] = [];
      const results = await Promise.allSettled([request(key, 'body-a', arrive, runs), request(key, 'body-b', arrive, runs)]);
      const fulfilled = results.filter((r) => r.status === 'fulfilled');
      const rejected = results.filter((r) => r.status === 'rejected');
      assert.equal(fulfilled.length, 1);
      assert.equal(rejected.length, 1);
      const reason = (rejected[0] as PromiseRejectedResult).reason;
      assert.ok(reason instanceof ApiError, String(reason));
      assert.equal(reason.key, 'IDEMPOTENCY_CONFLICT');
      const stored = await platform.repos.idempotency.find(platform.store.db, DEMO.pspId, 'test-op', key, iso(platform.clock.now()));
      assert.equal(stored?.body, (fulfilled[0] as PromiseFulfilledResult<{ answer: { body: string } }>).value.answer.body);
    });

    it('without a key the work simply runs, each time', async () => {
      const runs: string[] = [];
      const call = () =>
        idempotent(
          platform,
          { pspId: DEMO.pspId, scope: 'test-op', key: null, requestSha256: () => 'unused', conflict: 'IDEMPOTENCY_CONFLICT' },
          async () => {
            runs.push('ran');
            return { statusCode: 200, body: '{}' };
          },
          { unit: unitCase.unit(platform) },
        );
      const results = await Promise.all([call(), call()]);
      assert.equal(runs.length, 2);
      assert.deepEqual(
        results.map((r) => r.replayed),
        [false, false],
      );
    });
  });
}
