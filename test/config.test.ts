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

  it('accepts a PostgreSQL DATABASE_URL (postgres:// and postgresql://) and a pool size', () => {
    assert.equal(parseConfig({ DATABASE_URL: 'postgres://u:p@h:5432/d' }).databaseUrl, 'postgres://u:p@h:5432/d');
    assert.equal(parseConfig({ DATABASE_URL: 'postgresql://h/d' }).databaseUrl, 'postgresql://h/d');
    assert.equal(parseConfig({}).databasePoolSize, 10);
    assert.equal(parseConfig({ DATABASE_POOL_SIZE: '25' }).databasePoolSize, 25);
  });

  it('fails fast naming the bad variable', () => {
    assert.throws(() => parseConfig({ PORT: 'eighty' }), /^ConfigError: PORT: /);
    assert.throws(() => parseConfig({ PROFILE: 'staging' }), /PROFILE: must be one of test, production/);
    assert.throws(
      () => parseConfig({ DATABASE_URL: 'mysql://root:hunter2@db/x' }),
      (e: Error) => {
        // Named, and the mistyped server URL echoed without its password.
        assert.equal(
          e.message,
          'DATABASE_URL: expected sqlite:<path>, sqlite::memory:, postgres://… or postgresql://…, got "mysql://root:***@db/x"',
        );
        return true;
      },
    );
    assert.throws(() => parseConfig({ DATABASE_POOL_SIZE: '1' }), /DATABASE_POOL_SIZE: must be between 2 and 1000/);
    assert.throws(() => parseConfig({ PUBLIC_URL: 'not a url' }), /PUBLIC_URL/);
  });
});
