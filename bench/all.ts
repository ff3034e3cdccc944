/**
 * `npm run bench`: the SQLite platform against the bare baseline (bench/run.ts), then the platform
 * on PostgreSQL against pgbench's durable single-row INSERT on the same cluster (bench/postgres.ts),
 * with the same options (`--quick`, `--only=…`, BENCH_* variables). BENCH_POSTGRES=0 skips the
 * PostgreSQL part (a machine where Debian's postgresql cannot be installed).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const args = process.argv.slice(2);
const parts = ['run.ts', ...(process.env.BENCH_POSTGRES === '0' ? [] : ['postgres.ts'])];
for (const part of parts) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, part), ...args], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
