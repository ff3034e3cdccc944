import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import { AdjustableClock, iso } from '../src/clock.js';
import { DEMO_SEED_FILE } from '../src/package-root.js';
import { applySeed, parseSeed, readSeedFile } from '../src/seed.js';
import { call, initBody, PspApi, startTestPlatform } from './helpers/platform.js';

describe('durability and the seed', () => {
  it('keeps payments and issued tokens across a restart on the same database file', async () => {
    let p = await startTestPlatform();
    try {
      const api = await PspApi.connect(p.url);
      const body = initBody();
      assert.equal((await api.init(body)).status, 200);
      p = await p.restart();
      const again = new PspApi(p.url, api.token); // the old token is still valid: the key is kept
      const r = await again.details(String(body.pspTransactionId));
      assert.equal(r.status, 200);
      assert.equal(r.json.merchantOrderId, body.merchantOrderId);
    } finally {
      await p.close();
    }
  });

  it('keeps the clock across a restart: an advance is stored, and a new process (with a fresh clock) reads it', async () => {
    const first = await startTestPlatform();
    let p = first;
    try {
      const r = await call<{ offsetSeconds: number }>(`${p.url}/_emulator/clock/advance`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ seconds: 3600 }),
      });
      assert.equal(r.status, 200, r.text);
      assert.ok(r.json.offsetSeconds >= 3600);
      await p.running.close();
      // Not the test's clock object: a process started anew knows only what the database says.
      p = await startTestPlatform({ dir: first.dir, clock: new AdjustableClock() });
      const offset = p.clock.now() - Date.now();
      assert.ok(offset >= 3_599_000 && offset < 3_700_000, `offset after the restart: ${offset} ms`);
      const clock = await call<{ offsetSeconds: number }>(`${p.url}/_emulator/clock`);
      assert.ok(clock.json.offsetSeconds >= 3599, JSON.stringify(clock.json));
    } finally {
      await p.close();
      rmSync(first.dir, { recursive: true, force: true });
    }
  });

  it('applies the demo seed idempotently: a second application changes nothing', async () => {
    const p = await startTestPlatform();
    try {
      const { repos } = p.running.platform;
      const changed = await applySeed(readSeedFile(DEMO_SEED_FILE()), repos, iso(Date.now()));
      assert.equal(changed, 0);
      const users = await repos.users.list();
      assert.equal(users.length, 5);
    } finally {
      await p.close();
    }
  });

  it('demo seed covers the users the flows need', () => {
    const seed = readSeedFile(DEMO_SEED_FILE());
    const byPhone = new Map(seed.users.map((u) => [u.phoneNumber, u]));
    const adult = byPhone.get('91234567');
    assert.deepEqual(
      adult?.cards?.map((c) => `${c.brand} ${c.type}`),
      ['VISA DEBIT', 'MASTERCARD CREDIT'],
    );
    assert.ok(
      seed.users.some((u) => u.birthDate > '2012-01-01'),
      'a user under 15',
    );
    assert.ok(
      seed.users.some((u) => u.status === 'BLOCKED'),
      'a blocked user',
    );
    assert.ok(
      seed.users.some((u) => u.cards?.length === 1 && Number(u.cards[0]?.expiryYear) < 2025),
      'a user whose only card expired',
    );
    assert.ok(
      seed.users.some((u) => u.cards?.length === 1 && u.cards[0]?.tokenEligible === false),
      'a card not eligible for tokens',
    );
    assert.equal(seed.merchants.filter((m) => m.skipLandingPage).length, 1);
    assert.equal(seed.psps.length, 1);
  });

  it('rejects a seed with a card number, naming the field', () => {
    assert.throws(
      () =>
        parseSeed({
          psps: [],
          merchants: [],
          users: [{ phoneNumber: '91234567', name: 'X', birthDate: '1990-01-01', cards: [{ id: 'c', pan: '4111111111111111' }] }],
        }),
      /users\[0\]\.cards\[0\]/,
    );
    assert.throws(() => parseSeed({ psps: [{ pspId: 'x' }] }), /psps\[0\]\.name/);
  });
});
