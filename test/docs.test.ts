import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, it } from 'node:test';
import { renderErrorsTable } from '../src/docs/errors-table.js';
import { TRANSITIONS } from '../src/domain/payment-lifecycle.js';

const DOCS = ['README.md', ...readdirSync('docs').flatMap((f) => (f.endsWith('.md') ? [`docs/${f}`] : []))];

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

const anchors = (file: string): Set<string> =>
  new Set([...readFileSync(file, 'utf8').matchAll(/^#{1,6} +(.+)$/gm)].map((m) => slug(m[1] ?? '')));

/** A repository file a doc names (`.js` in an import stands for the `.ts` source). */
const exists = (path: string): boolean => existsSync(path) || (path.endsWith('.js') && existsSync(`${path.slice(0, -3)}.ts`));

/** Files that runs produce and git ignores: named in the docs, never in the repository. */
const GENERATED = /^bench\/results\//;

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

  it('every relative link, anchor and repository path in README.md and docs/*.md resolves', () => {
    const broken: string[] = [];
    for (const doc of DOCS) {
      const text = readFileSync(doc, 'utf8');
      // Markdown links: [text](path#anchor), relative to the doc.
      for (const m of text.matchAll(/\[[^\]]*\]\(([^)\s]+)\)/g)) {
        const target = m[1] ?? '';
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
        const [path = '', anchor] = target.split('#');
        const file = path === '' ? doc : normalize(join(dirname(doc), path));
        if (!exists(file)) broken.push(`${doc}: [${target}] → ${file} does not exist`);
        else if (anchor && !anchors(file).has(anchor)) broken.push(`${doc}: [${target}] → no heading #${anchor} in ${file}`);
      }
      // Repository paths named in the text (docs name them from the repository's root).
      for (const m of text.matchAll(/(?<=^|[\s`('"])((?:docs|test|src|examples|scripts|seed|spec|bench|public)\/[\w./-]*[\w/])/gm)) {
        const path = m[1] ?? '';
        if (!GENERATED.test(path) && !exists(path)) broken.push(`${doc}: ${path} does not exist`);
      }
    }
    assert.deepEqual(broken, []);
  });

  it('.ci/run calls the README’s test command, on SQLite and with TEST_DATABASE_URL on PostgreSQL', () => {
    const ci = readFileSync('.ci/run', 'utf8');
    assert.match(ci, /^npm test( |$)/m);
    assert.match(ci, /^TEST_DATABASE_URL="\$database_url" npm test( |$)/m);
    assert.match(readFileSync('README.md', 'utf8'), /TEST_DATABASE_URL=postgres:\/\/\S+ npm test/);
  });
});
