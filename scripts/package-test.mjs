#!/usr/bin/env node
// The package test (`npm run test:package`, run by .ci/run): what a user gets from the tarball.
//
//  1. `npm start -- --version` says "compiling…" while it builds (and builds dist/ for step 2).
//  2. `npm pack` makes a tarball with the built files, the seeds and their schema, the specs and
//     the pages, and no TypeScript sources or tests.
//  3. The tarball is installed into an empty temporary project (dependencies from the npm
//     registry; dev dependencies are not installed), where
//       - `npx vipps-psp-emulator` starts and answers a token request,
//       - a script imports startEmulator, the error classes and the client and uses them,
//       - the two examples of docs/client.md (Vitest, node:test) run exactly as written.
//
// better-sqlite3's native binary is copied from this checkout instead of compiled again (same
// version, same Node): its install script would download a prebuilt binary from GitHub or compile
// for minutes; what is tested here is the package, not the compiler.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';

const ROOT = resolve(import.meta.dirname, '..');
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const npm = (args, options = {}) => {
  const r = spawnSync('npm', args, { encoding: 'utf8', ...options });
  assert.equal(r.status, 0, `npm ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

/** The fenced code block of docs/client.md whose first line is `// <name> …`. */
function docExample(name) {
  const doc = readFileSync(join(ROOT, 'docs', 'client.md'), 'utf8');
  for (const m of doc.matchAll(/```(?:ts|js)\n([\s\S]*?)```/g)) {
    if (m[1].startsWith(`// ${name} `)) return m[1];
  }
  throw new Error(`docs/client.md has no example starting with // ${name}`);
}

describe('the package, installed from its tarball', () => {
  let work;
  let project;
  let tarball;

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'vpe-package-'));
    project = join(work, 'consumer');
  });
  after(() => {
    if (process.env.KEEP_PACKAGE_TEST) console.error(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  });

  it('npm start says "compiling…" while it builds', () => {
    const r = spawnSync(process.execPath, ['scripts/start.mjs', '--version'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /compiling…/);
    assert.equal(r.stdout.trim().split('\n').at(-1), PKG.version);
  });

  it('packs the built files, the seeds and their schema, the specs and the pages; no sources or tests', () => {
    // Built by the step above (`prepare` would build again).
    const [info] = JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT }));
    tarball = join(work, info.filename);
    const files = info.files.map((f) => f.path);
    for (const f of [
      'dist/src/cli.js',
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/src/client/index.js',
      'seed/demo.json',
      'seed/seed.schema.json',
      'spec/psp-v3.yaml',
      'public/landing.js',
      'package.json',
    ]) {
      assert.ok(files.includes(f), `${f} is in the package`);
    }
    assert.deepEqual(
      files.filter((f) => /^(src|test|bench|examples|scripts)\//.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts'))),
      [],
      'no sources, tests or scripts',
    );
  });

  it('installs into an empty project with its production dependencies only', () => {
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    npm(['install', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', tarball, 'vitest@^3'], { cwd: project });
    const release = join('node_modules', 'better-sqlite3', 'build', 'Release');
    cpSync(join(ROOT, release, 'better_sqlite3.node'), join(project, release, 'better_sqlite3.node'));
    const installed = JSON.parse(readFileSync(join(project, 'node_modules', '.package-lock.json'), 'utf8')).packages;
    // Our dev dependencies that the production tree does not also need (ajv-formats is both).
    const ours = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')).packages;
    const devOnly = Object.keys(PKG.devDependencies).filter((dev) => ours[`node_modules/${dev}`]?.dev === true);
    assert.ok(devOnly.includes('typescript') && devOnly.includes('tsx'), devOnly.join(', '));
    for (const dev of devOnly) assert.ok(!(`node_modules/${dev}` in installed), `dev dependency ${dev} is not installed`);
    for (const dep of Object.keys(PKG.dependencies)) assert.ok(`node_modules/${dep}` in installed, `${dep} is installed`);
  });

  it('npx vipps-psp-emulator starts from the built files and answers a token request', async () => {
    // Its own process group: npx runs the emulator in a child, and both must stop at the end.
    const child = spawn('npx', ['vipps-psp-emulator', '--port', '0', '--database-url', 'sqlite::memory:'], {
      cwd: project,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    try {
      const url = await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no banner: ${stderr}`)), 60_000);
        child.stderr.on('data', () => {
          const m = /listening on (http:\/\/\S+)/.exec(stderr);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        });
        child.on('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
      });
      const demo = JSON.parse(readFileSync(join(project, 'node_modules', PKG.name, 'seed', 'demo.json'), 'utf8')).psps[0];
      const r = await fetch(`${url}/accesstoken/get`, {
        method: 'POST',
        headers: { client_id: demo.clientId, client_secret: demo.clientSecret, 'Ocp-Apim-Subscription-Key': demo.subscriptionKey },
      });
      assert.equal(r.status, 200);
      assert.equal((await r.json()).token_type, 'Bearer');
    } finally {
      process.kill(-child.pid, 'SIGTERM');
    }
  });

  it('a script imports startEmulator, the error classes and the client', () => {
    writeFileSync(
      join(project, 'use.mjs'),
      `import { startEmulator, OperatingError, ConfigError, SeedError } from 'vipps-psp-emulator';
import { PspClient, VippsApiError } from 'vipps-psp-emulator/client';
const emulator = await startEmulator();
const client = new PspClient(emulator.credentials);
try {
  await client.getPaymentDetails('nothing-here');
  throw new Error('expected a 404');
} catch (error) {
  if (!(error instanceof VippsApiError) || error.status !== 404) throw error;
}
const second = await startEmulator({ port: Number(new URL(emulator.url).port) }).catch((e) => e);
await emulator.close();
if (!(second instanceof OperatingError) || second.setting !== 'PORT') throw new Error('expected OperatingError: ' + second);
console.log('ok', typeof ConfigError, typeof SeedError);
`,
    );
    const r = spawnSync(process.execPath, ['use.mjs'], { cwd: project, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'ok function function');
  });

  it("runs docs/client.md's Vitest example as written", () => {
    writeFileSync(join(project, 'payments.test.ts'), docExample('payments.test.ts'));
    const r = spawnSync('npx', ['vitest', 'run', 'payments.test.ts'], { cwd: project, encoding: 'utf8', env: { ...process.env, CI: '1' } });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /1 passed/);
  });

  it("runs docs/client.md's node:test example as written", () => {
    writeFileSync(join(project, 'payments.test.mjs'), docExample('payments.test.mjs'));
    // Without NODE_TEST_CONTEXT, which would make the inner runner report to this one, not print.
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const r = spawnSync(process.execPath, ['--test', 'payments.test.mjs'], { cwd: project, encoding: 'utf8', env });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /# pass 1\n/);
  });
});
