/**
 * The command line as a user meets it: --help, --version, --reset, the log format, and the
 * operating errors (port taken, database unusable, seed unreadable): one line naming the
 * setting, exit code 2, no stack trace. Every case runs the real CLI in a child process.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stripVTControlCharacters } from 'node:util';
import SQLite from 'better-sqlite3';
import { envVarOf, FLAGS } from '../src/cli-options.js';
import { openStore } from '../src/store/db.js';
import { DEMO } from './helpers/platform.js';

const ROOT = join(import.meta.dirname, '..');

/**
 * As root, the read-only directory test runs the CLI as nobody (uid 65534); a checkout nobody
 * cannot read (e.g. a clone inside a `mktemp -d` directory, mode 0700) cannot run that way.
 */
function nobodyCannotRun(): string | false {
  if (process.getuid?.() !== 0) return false;
  const r = spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(join(ROOT, 'package.json'))})`], { uid: 65534 });
  return r.status === 0
    ? false
    : `running as root in a checkout that uid 65534 cannot read (${ROOT}): the CLI cannot be run as nobody here`;
}
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI to its end (for the cases that must not start). */
function cli(args: string[], env: Record<string, string> = {}, options: { uid?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.uid !== undefined ? { uid: options.uid, gid: options.uid } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the CLI did not end: ${stderr}`));
    }, 120_000);
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** Starts the CLI and waits for its banner (on stderr: stdout is not a terminal here). */
async function startCli(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', '--port', '0', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout?.on('data', (d) => {
    out.stdout += d;
  });
  child.stderr?.on('data', (d) => {
    out.stderr += d;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner: ${out.stderr}`)), 60_000);
    const look = () => {
      const m = /listening on (http:\/\/\S+)/.exec(out.stderr);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stderr?.on('data', look);
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${out.stderr}`)));
  });
  return { child, url, out };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** One line on stderr, naming the setting; exit 2; no stack trace. */
function assertOperatingError(r: Run, setting: string, pattern: RegExp) {
  assert.equal(r.status, 2, r.stderr);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0] ?? '', new RegExp(`^vipps-psp-emulator: ${setting}: `));
  assert.match(lines[0] ?? '', pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at |Error:/, 'no stack trace');
}

// A few at a time: each case is a Node process compiling the sources (tsx) on a shared machine.
describe('the command line', { concurrency: 3 }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'vpe-cli-'));
    chmodSync(dir, 0o755);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('-h and --help list every flag with its environment variable, and --reset, -v', async () => {
    for (const flag of ['-h', '--help']) {
      const r = await cli([flag]);
      assert.equal(r.status, 0, r.stderr);
      for (const f of FLAGS) assert.match(r.stdout, new RegExp(`--${f} \\S+\\s+${envVarOf(f)}\\s`), `--${f} with ${envVarOf(f)}`);
      assert.match(r.stdout, /--reset/);
      assert.match(r.stdout, /-v, --version/);
      assert.match(r.stdout, /-h, --help/);
    }
    assert.ok(FLAGS.length >= 19, 'the five flags that --help used to omit are in the list');
    for (const f of [
      'body-limit-bytes',
      'updatestatus-body-limit-bytes',
      'request-timeout-ms',
      'idempotency-ttl-seconds',
      'sweep-interval-ms',
    ]) {
      assert.ok(FLAGS.includes(f), f);
    }
  });

  it('-v and --version print the version', async () => {
    for (const flag of ['-v', '--version']) {
      const r = await cli([flag]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, `${VERSION}\n`);
    }
  });

  it('an unknown option or a bad setting is one line, exit 2', async () => {
    const r = await cli(['--prot', '7070']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^vipps-psp-emulator: Unknown option '--prot'/);
    assertOperatingError(await cli(['--port', 'eighty']), 'PORT', /expected an integer/);
  });

  it('a DATABASE_URL with a password is shown with *** instead', async () => {
    const r = await cli([], { DATABASE_URL: 'postgres://emulator:s3cr3t-pw@db.example:5432/vipps' });
    assertOperatingError(r, 'DATABASE_URL', /postgres:\/\/emulator:\*\*\*@db\.example:5432\/vipps/);
    assert.doesNotMatch(r.stderr, /s3cr3t-pw/);
  });

  it('port in use: one line naming PORT', async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const r = await cli(['--port', String(port)], { DATABASE_URL: 'sqlite::memory:' });
      assertOperatingError(r, 'PORT', new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use.*--port`));
    } finally {
      server.close();
    }
  });

  it('database directory that cannot be created: one line naming DATABASE_URL', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a directory');
    const r = await cli([], { DATABASE_URL: `sqlite:${file}/data/db.sqlite` });
    assertOperatingError(r, 'DATABASE_URL', /cannot create or open .*a-file\/data \(ENOTDIR\)/);
  });

  it('database directory not writable: one line naming DATABASE_URL', { skip: nobodyCannotRun() }, async () => {
    const ro = join(dir, 'read-only');
    mkdirSync(ro, { mode: 0o555 });
    chmodSync(ro, 0o555);
    // root writes anywhere: run the CLI as nobody then (as anyone else, the mode is enough).
    const asRoot = process.getuid?.() === 0;
    const r = await cli(
      [],
      { DATABASE_URL: `sqlite:${ro}/db.sqlite`, TSX_TSCONFIG_PATH: join(ROOT, 'tsconfig.json') },
      asRoot ? { uid: 65534 } : {},
    );
    assertOperatingError(r, 'DATABASE_URL', /cannot write the database .*read-only\/db\.sqlite \(SQLITE_CANTOPEN/);
  });

  it('corrupt or foreign database file: one line naming DATABASE_URL', async () => {
    const garbage = join(dir, 'garbage.sqlite');
    writeFileSync(garbage, 'this is a text file, not a database\n'.repeat(200));
    assertOperatingError(
      await cli([], { DATABASE_URL: `sqlite:${garbage}` }),
      'DATABASE_URL',
      /garbage\.sqlite is not a vipps-psp-emulator database \(SQLITE_NOTADB/,
    );
    const foreign = join(dir, 'foreign.sqlite');
    const other = new SQLite(foreign);
    other.exec('create table customers (id integer primary key, name text)');
    other.close();
    assertOperatingError(
      await cli([], { DATABASE_URL: `sqlite:${foreign}` }),
      'DATABASE_URL',
      /foreign\.sqlite holds another program's tables \(customers\)/,
    );
    // And it was left as it was: no tables of ours were added.
    const check = new SQLite(foreign, { readonly: true });
    const tables = check.prepare("select name from sqlite_master where type = 'table'").all() as { name: string }[];
    check.close();
    assert.deepEqual(
      tables.map((t) => t.name),
      ['customers'],
    );
  });

  it('database newer than the code: one line naming DATABASE_URL', async () => {
    const path = join(dir, 'newer.sqlite');
    const store = await openStore(`sqlite:${path}`);
    await store.close();
    const db = new SQLite(path);
    db.prepare('insert into kysely_migration (name, timestamp) values (?, ?)').run('999_from_the_future', new Date().toISOString());
    db.close();
    assertOperatingError(
      await cli([], { DATABASE_URL: `sqlite:${path}` }),
      'DATABASE_URL',
      /newer\.sqlite was written by a newer vipps-psp-emulator \(migrations 999_from_the_future unknown to this version\)/,
    );
  });

  it('unreadable seed file: one line naming SEED_FILE', async () => {
    const missing = join(dir, 'no-such-seed.json');
    assertOperatingError(await cli(['--seed-file', missing]), 'SEED_FILE', /no-such-seed\.json: no such file/);
    assertOperatingError(await cli(['--seed-file', dir]), 'SEED_FILE', /is a directory/);
  });

  it('logs JSON lines on stdout when it is not a terminal; the banner goes to stderr', async () => {
    const { child, url, out } = await startCli(['--database-url', 'sqlite::memory:', '--log-level', 'debug']);
    try {
      assert.equal((await fetch(`${url}/health`)).status, 200);
      await fetch(`${url}/no-such-route`);
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      await stop(child);
    }
    const lines = out.stdout.trim().split('\n');
    assert.ok(lines.length >= 2, out.stdout);
    for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), line);
    assert.doesNotMatch(out.stdout, /listening on|client_secret|SIGTERM/);
    assert.match(out.stderr, /Demo PSP "Demo PSP"/);
  });

  it('logs human-readable lines when stdout is a terminal (banner and logs on stdout)', async () => {
    // `script` gives the CLI a pseudo-terminal; its output is what a user sees.
    const log = join(dir, 'tty.txt');
    const command = `${process.execPath} --import tsx src/cli.ts --port 0 --database-url sqlite::memory: --log-level debug`;
    const child = spawn('script', ['-qfec', command, log], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let seen = '';
    child.stdout?.on('data', (d) => {
      seen += d;
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no banner: ${seen}`)), 60_000);
        child.stdout?.on('data', () => {
          const m = /listening on (http:\/\/\S+)/.exec(stripVTControlCharacters(seen));
          if (m?.[1]) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        });
      });
      await fetch(`${url}/health`);
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      await stop(child);
    }
    assert.match(seen, /Demo PSP "Demo PSP"/);
    assert.match(seen, /(DEBUG|INFO)/, 'pretty log levels');
    assert.doesNotMatch(seen, /\{"level":/, 'no JSON lines on a terminal');
  });

  it('--reset starts with an empty database (the seed only)', async () => {
    const path = join(dir, 'reset.sqlite');
    const first = await startCli(['--database-url', `sqlite:${path}`]);
    const add = await fetch(`${first.url}/_emulator/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ phoneNumber: '97000001', name: 'Added Later', birthDate: '1990-01-01', cards: [] }),
    });
    assert.ok(add.ok);
    await stop(first.child);
    const users = async (url: string) =>
      ((await (await fetch(`${url}/_emulator/users`)).json()) as { users: { phoneNumber: string }[] }).users.map((u) => u.phoneNumber);
    const again = await startCli(['--database-url', `sqlite:${path}`]);
    try {
      assert.ok((await users(again.url)).includes('97000001'), 'kept without --reset');
    } finally {
      await stop(again.child);
    }
    const reset = await startCli(['--database-url', `sqlite:${path}`, '--reset']);
    try {
      assert.match(reset.out.stderr, /--reset: removed .*reset\.sqlite/);
      const now = await users(reset.url);
      assert.ok(!now.includes('97000001'), 'gone after --reset');
      assert.ok(now.includes(DEMO.user), 'the seed is applied again');
    } finally {
      await stop(reset.child);
    }
  });

  it('--reset refuses to remove a file that is not its database', async () => {
    const foreign = join(dir, 'not-ours.txt');
    writeFileSync(foreign, 'precious');
    assertOperatingError(
      await cli(['--reset'], { DATABASE_URL: `sqlite:${foreign}` }),
      'DATABASE_URL',
      /is not a vipps-psp-emulator database, so it is not removed/,
    );
    assert.equal(readFileSync(foreign, 'utf8'), 'precious');
  });
});
