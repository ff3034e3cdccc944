import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { renderErrorsTable } from '../src/docs/errors-table.js';

describe('docs', () => {
  it('docs/ERRORS.md lists the current error catalogue (run `npm run docs:errors`)', () => {
    assert.equal(readFileSync('docs/ERRORS.md', 'utf8'), renderErrorsTable());
  });

  it('the README documents the start and test commands and the control API', () => {
    const readme = readFileSync('README.md', 'utf8');
    for (const needle of ['npm start', 'npm test', '/_emulator/clock/advance', '/_emulator/payments/', 'startEmulator']) {
      assert.ok(readme.includes(needle), needle);
    }
  });

  it('.ci/run calls the README’s test command', () => {
    assert.match(readFileSync('.ci/run', 'utf8'), /^npm test$/m);
  });
});
