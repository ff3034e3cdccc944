import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../src/config.js';

describe('config', () => {
  it('has the documented defaults', () => {
    const c = parseConfig({});
    assert.equal(c.port, 7070);
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.publicUrl, 'http://localhost:7070');
    assert.equal(c.profile, 'test');
    assert.match(c.databaseUrl, /^sqlite:.*data\/vipps-psp-emulator\.sqlite$/);
    assert.equal(c.seedFile, null);
    assert.equal(c.callbackTimeoutMs, 15000);
    assert.equal(c.statusBatchSchedule, 'immediate');
    assert.ok(Object.isFrozen(c));
  });

  it('follows the production profile', () => {
    const c = parseConfig({ PROFILE: 'production' });
    assert.equal(c.accessTokenTtlSeconds, 86400);
    assert.equal(c.statusBatchSchedule, 'nightly');
    assert.equal(c.allowLoopbackCallbacks, false);
  });

  it('fails fast naming the bad variable', () => {
    assert.throws(() => parseConfig({ PORT: 'eighty' }), /^ConfigError: PORT: /);
    assert.throws(() => parseConfig({ PROFILE: 'staging' }), /PROFILE: must be one of test, production/);
    assert.throws(() => parseConfig({ DATABASE_URL: 'postgres://x' }), /DATABASE_URL/);
    assert.throws(() => parseConfig({ PUBLIC_URL: 'not a url' }), /PUBLIC_URL/);
  });
});
