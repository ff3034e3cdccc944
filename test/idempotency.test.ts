import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { initBody, OTHER_PSP, PspApi, seedWithOtherPsp, startTestPlatform, type TestPlatform, uid } from './helpers/platform.js';

describe('Idempotency-Key on init', () => {
  let p: TestPlatform;
  let api: PspApi;
  before(async () => {
    p = await startTestPlatform({ seed: seedWithOtherPsp() });
    api = await PspApi.connect(p.url);
  });
  after(() => p.close());

  const countPayments = async () =>
    Number(
      (
        await p.running.platform.store.db
          .selectFrom('payments')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('replays the stored response byte for byte for the same key and body', async () => {
    const body = initBody();
    const key = uid('key-');
    const first = await api.init(body, { 'Idempotency-Key': key });
    const before = await countPayments();
    const second = await api.init(body, { 'Idempotency-Key': key });
    assert.equal(first.status, 200);
    assert.equal(second.status, 200);
    assert.equal(second.text, first.text);
    assert.equal(await countPayments(), before);
  });

  it('accepts Request-Id and X-Request-Id as the key', async () => {
    for (const name of ['Request-Id', 'X-Request-Id']) {
      const body = initBody();
      const key = uid('key-');
      const first = await api.init(body, { [name]: key });
      const second = await api.init(body, { [name]: key });
      assert.equal(second.text, first.text, name);
    }
  });

  it('answers the same key with another body with 409', async () => {
    const key = uid('key-');
    assert.equal((await api.init(initBody(), { 'Idempotency-Key': key })).status, 200);
    const r = await api.init(initBody(), { 'Idempotency-Key': key });
    assert.equal(r.status, 409);
    const [e] = r.json as unknown as { errorCode: string; errorMessage: string }[];
    assert.equal(e?.errorCode, '93');
    assert.match(e?.errorMessage ?? '', /identical to the previous request/);
  });

  it('scopes keys per PSP', async () => {
    const b = await PspApi.connect(p.url, OTHER_PSP);
    const key = uid('key-');
    const body = initBody();
    const ra = await api.init(body, { 'Idempotency-Key': key });
    const rb = await b.init(body, { 'Idempotency-Key': key });
    assert.equal(ra.status, 200);
    assert.equal(rb.status, 200);
    assert.notEqual(ra.json.vippsRedirectUrl, rb.json.vippsRedirectUrl);
  });

  it('keeps keys at least 24 hours, and forgets them after the configured TTL', async () => {
    const ttlSeconds = p.running.platform.config.idempotencyTtlSeconds;
    assert.ok(ttlSeconds >= 24 * 3600);
    const body = initBody();
    const key = uid('key-');
    const first = await api.init(body, { 'Idempotency-Key': key });
    assert.equal(first.status, 200);
    // One second short of 24 hours: still replayed, and another body is still a conflict.
    p.clock.advance((24 * 3600 - 1) * 1000);
    api = await PspApi.connect(p.url); // the test profile's tokens live 1 hour
    const second = await api.init(body, { 'Idempotency-Key': key });
    assert.equal(second.text, first.text);
    assert.equal((await api.init(initBody(), { 'Idempotency-Key': key })).status, 409);
    // Past the TTL the key is gone: another body under it is a new payment, not a conflict.
    p.clock.advance((ttlSeconds - (24 * 3600 - 1) + 1) * 1000);
    api = await PspApi.connect(p.url);
    const other = initBody();
    const third = await api.init(other, { 'Idempotency-Key': key });
    assert.equal(third.status, 200, third.text);
    assert.equal(third.json.pspTransactionId, other.pspTransactionId);
  });

  it('creates exactly one payment for 50 concurrent identical requests', async () => {
    const body = initBody();
    const key = uid('key-');
    const before = await countPayments();
    const replies = await Promise.all(Array.from({ length: 50 }, () => api.init(body, { 'Idempotency-Key': key })));
    assert.deepEqual(new Set(replies.map((r) => r.status)), new Set([200]));
    assert.equal(new Set(replies.map((r) => r.text)).size, 1);
    assert.equal((await countPayments()) - before, 1);
  });

  it('without a key, 50 concurrent identical requests create one payment and 49 answers of code 44', async () => {
    const body = initBody();
    const replies = await Promise.all(Array.from({ length: 50 }, () => api.init(body)));
    assert.equal(replies.filter((r) => r.status === 200).length, 1);
    const dupes = replies.filter((r) => r.status === 400).map((r) => (r.json as unknown as { errorCode: string }[])[0]?.errorCode);
    assert.equal(dupes.length, 49);
    assert.deepEqual(new Set(dupes), new Set(['44']));
  });
});
