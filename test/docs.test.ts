import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { renderErrorsTable } from '../src/docs/errors-table.js';
import { TRANSITIONS } from '../src/domain/payment-lifecycle.js';

describe('docs', () => {
  it('docs/ERRORS.md lists the current error catalogue (run `npm run docs:errors`)', () => {
    assert.equal(readFileSync('docs/ERRORS.md', 'utf8'), renderErrorsTable());
  });

  it('the state diagram in docs/ARCHITECTURE.md is exactly the TRANSITIONS table', () => {
    const doc = readFileSync('docs/ARCHITECTURE.md', 'utf8');
    const section = doc.slice(doc.indexOf('## Payment states'));
    const diagram = /```\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    const edges = (pairs: Iterable<[string, string, string]>) => [...pairs].map((e) => e.join(' ')).sort();
    const drawn: [string, string, string][] = [];
    for (const line of diagram.split('\n').filter((l) => l.trim() !== '')) {
      const m = /^([A-Z_0-9| ]+?)\s*[─ ]+\s*(\w+)\s*─*▶\s*([A-Z_0-9]+)\s*$/.exec(line);
      assert.ok(m, `not a transition line: ${line}`);
      const [, from = '', name = '', to = ''] = m;
      for (const state of from.split('|')) drawn.push([state.trim(), name, to]);
    }
    const table = Object.entries(TRANSITIONS).flatMap(([name, t]) => t.from.map((from): [string, string, string] => [from, name, t.to]));
    assert.deepEqual(edges(drawn), edges(table));
  });

  it('the README documents the start and test commands and the control API', () => {
    const readme = readFileSync('README.md', 'utf8');
    for (const needle of ['npm start', 'npm test', '/_emulator/clock/advance', '/_emulator/payments/', 'startEmulator']) {
      assert.ok(readme.includes(needle), needle);
    }
  });

  it('the README says what `npm start` does: it builds on every start', () => {
    assert.match(readFileSync('scripts/start.mjs', 'utf8'), /^ensureBuilt\(\);$/m);
    assert.doesNotMatch(readFileSync('scripts/ensure-installed.mjs', 'utf8'), /ensureBuilt\(\) \{\s*ensureInstalled\(\);\s*if/);
    const readme = readFileSync('README.md', 'utf8');
    assert.match(readme, /`npm start` [^.]*compiles the TypeScript on\s+every start/);
    assert.doesNotMatch(readme, /builds \(first time/);
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
