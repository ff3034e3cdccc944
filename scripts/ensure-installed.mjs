// Makes `npm start` and `npm test` work on a fresh clone: installs the locked dependencies
// (which also builds dist/ through the `prepare` script) when they are missing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export function ensureInstalled() {
  if (!existsSync('node_modules/.package-lock.json')) {
    console.error('[setup] installing dependencies (npm ci)…');
    const r = spawnSync('npm', ['ci'], { stdio: 'inherit' });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
}

export function ensureBuilt() {
  ensureInstalled();
  // The build takes 10–35 s and prints nothing when it succeeds: say what is happening.
  console.error('[start] compiling… (TypeScript → dist/)');
  const r = spawnSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
