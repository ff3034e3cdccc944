#!/usr/bin/env node
// The test command (`npm test`): runs every test/**/*.test.ts with Node's test runner (through
// tsx for TypeScript). The browser tests (landing page, simulated app) drive Debian's chromium
// through playwright-core: it is found here, or installed with apt-get when missing and running
// as root, before any test starts (test/helpers/browser.ts does the same when a test file is run
// on its own).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureInstalled } from './ensure-installed.mjs';

ensureInstalled();
ensureChromium();
// `--setup-only`: the installs above and nothing else (.ci/run does them once before it starts
// two suites in parallel, which would otherwise race for apt's lock).
if (process.argv.includes('--setup-only')) process.exit(0);

function ensureChromium() {
  const candidates = [
    process.env.CHROMIUM_PATH,
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome-stable',
    '/usr/bin/google-chrome',
  ];
  const found = () => candidates.find((p) => p && existsSync(p));
  if (found()) return;
  if (process.getuid?.() !== 0) {
    console.error(
      '[setup] chromium not found: the browser tests will fail. Install it (`sudo apt-get install -y chromium`) or set CHROMIUM_PATH.',
    );
    return;
  }
  for (const args of [['update'], ['install', '-y', 'chromium']]) {
    console.error(`[setup] chromium is missing: running apt-get ${args.join(' ')}`);
    const r = spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (r.status !== 0) {
      console.error(`[setup] apt-get ${args.join(' ')} failed (exit ${r.status}): the browser tests will fail.`);
      return;
    }
  }
  if (!found()) console.error('[setup] apt-get ran, but no chromium binary was found: the browser tests will fail.');
}

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return find(p);
    return e.name.endsWith('.test.ts') ? [p] : [];
  });
}

const filter = process.argv.slice(2);
const files = find('test')
  .filter((f) => filter.length === 0 || filter.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
