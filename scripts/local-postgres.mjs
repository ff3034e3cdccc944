#!/usr/bin/env node
// A private PostgreSQL cluster for CI and `npm run cluster`: initdb in a directory of its own,
// its own port on 127.0.0.1, its unix socket in that directory, no system service. Debian's
// `postgresql` package is installed with apt-get when no server binaries are found and we are
// root. initdb refuses to run as root, so as root the cluster runs as the `postgres` user
// (created by the package) through runuser.
//
//   node scripts/local-postgres.mjs start <dir> [port] [--fast]   prints the URL once it accepts connections
//                                                                 (no port: a free one)
//   node scripts/local-postgres.mjs stop <dir>
//
// --fast turns off fsync and synchronous commit: for the test suite only (a crash of the test
// cluster loses nothing of value); never for the benchmark, which measures durable writes.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const RUN_AS = 'postgres';

export function findPostgresBin() {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length > 0) return join(root, versions[0], 'bin');
  }
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) return join(which.stdout.trim(), '..');
  return null;
}

export function ensurePostgresInstalled() {
  const found = findPostgresBin();
  if (found) return found;
  if (process.getuid?.() !== 0) {
    throw new Error('PostgreSQL server binaries not found: install them (`sudo apt-get install -y postgresql`)');
  }
  for (const args of [['update'], ['install', '-y', 'postgresql']]) {
    console.error(`[postgres] server binaries missing: running apt-get ${args.join(' ')}`);
    const r = spawnSync('apt-get', args, {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (exit ${r.status})`);
  }
  const bin = findPostgresBin();
  if (!bin) throw new Error('apt-get installed postgresql, but no initdb was found');
  return bin;
}

function asOwner(command, args) {
  const root = process.getuid?.() === 0;
  const [cmd, argv] = root ? ['runuser', ['-u', RUN_AS, '--', command, ...args]] : [command, args];
  const r = spawnSync(cmd, argv, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${r.status}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

function ownerIds() {
  const r = spawnSync('id', ['-u', RUN_AS], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', RUN_AS], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`user ${RUN_AS} not found (the postgresql package creates it)`);
  return { uid: Number(r.stdout), gid: Number(g.stdout) };
}

/** Starts (initialising on first use) a cluster in `dir` on `port`; returns its URL. */
export function startLocalPostgres(dir, port, { fast = false } = {}) {
  const bin = ensurePostgresInstalled();
  const data = join(dir, 'data');
  mkdirSync(dir, { recursive: true });
  if (process.getuid?.() === 0) {
    const { uid, gid } = ownerIds();
    chownSync(dir, uid, gid);
  }
  if (!existsSync(join(data, 'PG_VERSION'))) {
    // Locale C: text sorts by bytes, as on SQLite (timestamps and ids are compared as text).
    asOwner(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--locale=C', '--encoding=UTF8', '--no-sync']);
  }
  const settings = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    '-c max_connections=300',
    ...(fast ? ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off'] : []),
  ].join(' ');
  asOwner(join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'server.log'), '-o', settings, '-w', '-t', '60', 'start']);
  return `postgres://postgres@127.0.0.1:${port}/postgres`;
}

/** Stops the cluster of `dir` (fast shutdown: open connections are closed). Quiet if not running. */
export function stopLocalPostgres(dir) {
  const bin = findPostgresBin();
  const data = join(dir, 'data');
  if (!bin || !existsSync(join(data, 'postmaster.pid'))) return;
  asOwner(join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop']);
}

export function serverLog(dir) {
  const p = join(dir, 'server.log');
  return existsSync(p) ? readFileSync(p, 'utf8') : '';
}

/** A TCP port on 127.0.0.1 that is free now (asked of the kernel in a child, synchronously). */
export function freePort() {
  const script = "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close();})";
  return Number(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }).trim());
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [command, dir, ...rest] = process.argv.slice(2);
  const fast = rest.includes('--fast');
  const given = rest.find((a) => /^\d+$/.test(a));
  const port = given ? Number(given) : command === 'start' ? freePort() : 0;
  try {
    if (command === 'start' && dir) console.log(startLocalPostgres(dir, port, { fast }));
    else if (command === 'stop' && dir) stopLocalPostgres(dir);
    else {
      console.error('usage: local-postgres.mjs start <dir> [port] [--fast] | stop <dir>');
      process.exit(2);
    }
  } catch (error) {
    console.error(`[postgres] ${error.message}`);
    process.exit(1);
  }
}
