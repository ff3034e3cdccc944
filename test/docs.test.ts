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

  it('the README says exactly how `npm test` finds or installs Chromium (scripts/test.mjs)', () => {
    const readme = readFileSync('README.md', 'utf8').replace(/\s+/g, ' ');
    const script = readFileSync('scripts/test.mjs', 'utf8');
    // The paths the script tries, in its order, are the README's, in the same order.
    const paths = [...script.matchAll(/'(\/usr\/bin\/[\w-]+)'/g)].map((m) => m[1] ?? '');
    assert.ok(paths.length >= 2, 'the script lists its Chromium paths');
    const positions = paths.map((path) => readme.indexOf(`\`${path}\``));
    assert.ok(
      positions.every((at) => at >= 0),
      `README lists ${paths.join(', ')}`,
    );
    assert.deepEqual(
      positions,
      [...positions].sort((a, b) => a - b),
    );
    // apt-get only as root; the script checks exactly that, and the README says so.
    assert.match(script, /process\.getuid\?\.\(\) !== 0/);
    assert.match(script, /\['install', '-y', 'chromium'\]/);
    assert.match(readme, /`apt-get update` and `apt-get install -y chromium` \*\*only when it runs as root on Debian\*\*/);
    assert.match(readme, /Otherwise it installs nothing: it prints how to install Chromium .* or to set `CHROMIUM_PATH`/);
  });

  it('.ci/run calls the README’s test command', () => {
    assert.match(readFileSync('.ci/run', 'utf8'), /^npm test$/m);
  });
});
