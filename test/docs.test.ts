import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, it } from 'node:test';
import { renderErrorsTable } from '../src/docs/errors-table.js';

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

  it('the README documents the start and test commands and the control API', () => {
    const readme = readFileSync('README.md', 'utf8');
    for (const needle of ['npm start', 'npm test', '/_emulator/clock/advance', '/_emulator/payments/', 'startEmulator']) {
      assert.ok(readme.includes(needle), needle);
    }
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

  it('.ci/run calls the README’s test command', () => {
    assert.match(readFileSync('.ci/run', 'utf8'), /^npm test$/m);
  });
});
