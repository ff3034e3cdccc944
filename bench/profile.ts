/**
 * `npm run bench:profile`: where the CPU of one init and one details goes. Starts the platform as
 * the bench does (built, pinned to the server core, default log level and durability) under
 * `node --cpu-prof`, loads init and then details (autocannon on the other core), and attributes
 * the profile's samples of each phase to components (Node's HTTP, Fastify, logging, Kysely,
 * SQLite, crypto, the platform's own files, GC …), in µs of CPU per request. The phases are cut
 * out of the one profile by time (the profiler's clock is the monotonic clock of `hrtime`).
 *
 * Env: PROFILE_SECONDS (per phase, default 8), PROFILE_CONNECTIONS (default 50), LOG_LEVEL (the
 * platform's; default unset = the platform's default).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDemoPsp } from './lib/context.js';
import { call } from './lib/http.js';
import { measure, runLoad } from './lib/load.js';
import { detectPinning, pinSelf } from './lib/proc.js';
import { freePort, startPspStub, startServer } from './lib/servers.js';

interface CallFrame {
  functionName: string;
  url: string;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const seconds = Number(process.env.PROFILE_SECONDS ?? 8);
const connections = Number(process.env.PROFILE_CONNECTIONS ?? 50);

/** Component of one frame, or null when the frame says nothing (native code, anonymous). */
function componentOf(frame: CallFrame): string | null {
  const { url, functionName } = frame;
  if (url === '') {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)') return 'V8 (program)';
    return null;
  }
  if (/better-sqlite3/.test(url)) return 'SQLite (better-sqlite3)';
  if (/node_modules\/(pino|sonic-boom|thread-stream|pino-std-serializers)/.test(url)) return 'logging (pino)';
  if (/node_modules\/kysely/.test(url)) return 'Kysely';
  if (
    /node_modules\/(fastify|@fastify|find-my-way|avvio|fast-json-stringify|ajv|fast-uri|secure-json-parse|light-my-request|fast-querystring|toad-cache|abstract-logging|process-warning|rfdc|fast-decode-uri-component)/.test(
      url,
    )
  )
    return 'Fastify (+ ajv, serialiser)';
  if (/node_modules\/jose/.test(url)) return 'jose';
  if (/node_modules\//.test(url)) return `npm: ${url.replace(/.*node_modules\/((@[^/]+\/)?[^/]+).*/, '$1')}`;
  const own = /dist\/src\/(.*)\.js$/.exec(url);
  if (own) return `platform: ${own[1]}`;
  if (/^node:internal\/(crypto|webcrypto)|^node:crypto/.test(url)) return 'node:crypto';
  if (
    /^node:(_http|http|internal\/http|net|internal\/stream|stream|internal\/streams|internal\/net|events|internal\/events|internal\/timers|timers|internal\/async_hooks|internal\/process\/task_queues|buffer|internal\/buffer|internal\/url|url|string_decoder)/.test(
      url,
    )
  )
    return "Node's HTTP (net, streams, events)";
  return `node: ${url.replace(/^node:(internal\/)?/, '')}`;
}

function breakdown(profile: CpuProfile, fromUs: number, toUs: number): Map<string, number> {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const memo = new Map<number, string>();
  const categorise = (id: number): string => {
    const known = memo.get(id);
    if (known) return known;
    const node = byId.get(id);
    let result = 'native / other';
    if (node) {
      const own = componentOf(node.callFrame);
      if (own) result = own;
      else {
        // Native code (a C++ builtin or addon) is charged to the nearest JS caller's component;
        // better-sqlite3's statements are native methods called from the driver.
        const up = parent.get(id);
        const callerComponent = up === undefined ? 'native / other' : categorise(up);
        result =
          callerComponent === 'platform: store/sqlite-driver' || callerComponent.startsWith('platform: store/')
            ? 'SQLite (better-sqlite3)'
            : callerComponent;
        if (node.callFrame.functionName === 'datasync' || node.callFrame.functionName === 'fdatasync') result = 'fsync';
      }
    }
    memo.set(id, result);
    return result;
  };
  const totals = new Map<string, number>();
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    t += delta;
    if (t < fromUs || t > toUs) continue;
    const component = categorise(profile.samples[i] as number);
    totals.set(component, (totals.get(component) ?? 0) + delta);
  }
  return totals;
}

const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

async function main(): Promise<void> {
  const pins = detectPinning(process.env.BENCH_PIN === '0');
  pinSelf(pins.loadCore);
  const work = mkdtempSync(join(tmpdir(), 'vipps-profile-'));
  const profDir = join(work, 'prof');
  mkdirSync(profDir);
  const demo = readDemoPsp();
  const stub = await startPspStub(pins.loadCore, work);
  const port = await freePort();
  const env: Record<string, string> = {
    PORT: String(port),
    DATABASE_URL: `sqlite:${join(work, 'platform.db')}`,
    PROFILE: 'test',
  };
  if (process.env.LOG_LEVEL) env.LOG_LEVEL = process.env.LOG_LEVEL;
  const server = await startServer({
    name: 'platform',
    core: pins.serverCore,
    command: process.execPath,
    args: ['--cpu-prof', `--cpu-prof-dir=${profDir}`, 'dist/src/cli.js'],
    env,
    port,
    readyPath: '/health',
    logDir: work,
  });
  const tokenReply = await call(`${server.url}/accesstoken/get`, {
    method: 'POST',
    headers: { client_id: demo.clientId, client_secret: demo.clientSecret, 'Ocp-Apim-Subscription-Key': demo.subscriptionKey },
  });
  const token = tokenReply.json<{ access_token: string }>().access_token;
  const headers = {
    Authorization: `Bearer ${token}`,
    'Ocp-Apim-Subscription-Key': demo.subscriptionKey,
    'Psp-Id': demo.pspId,
    'Merchant-Serial-Number': demo.msn,
  };
  const makePaymentUrl = `${stub.url}/makepayment`;
  // Warm-up (not profiled into the figures): JIT, caches.
  await runLoad(
    {
      kind: 'init',
      url: server.url,
      connections,
      durationSeconds: 2,
      path: '/psp/v3/psppayments/init',
      headers: { ...headers, 'Content-Type': 'application/json' },
      makePaymentUrl,
    },
    pins.loadCore,
    work,
  );
  const ids = join(work, 'ids.txt');
  const phases: { name: string; from: number; to: number; requests: number; cpu: number; rps: number; gen: number }[] = [];
  for (const phase of ['init', 'details'] as const) {
    const from = monotonicUs();
    const m = await measure(server.pid, () =>
      runLoad(
        phase === 'init'
          ? {
              kind: 'init',
              url: server.url,
              connections,
              durationSeconds: seconds,
              path: '/psp/v3/psppayments/init',
              headers: { ...headers, 'Content-Type': 'application/json' },
              makePaymentUrl,
              idsOut: ids,
            }
          : {
              kind: 'details',
              url: server.url,
              connections,
              durationSeconds: seconds,
              path: '/psp/v3/psppayments/{id}/details',
              headers,
              idsIn: ids,
            },
        pins.loadCore,
        work,
      ),
    );
    const to = monotonicUs();
    const requests = m.result.requests;
    if (m.result.non2xx > 0 || m.result.errors > 0)
      process.stderr.write(`${phase}: ${m.result.non2xx} non-2xx, ${m.result.errors} errors\n`);
    phases.push({ name: phase, from, to, requests, cpu: m.cpuMicros, rps: m.result.requestsPerSecond, gen: m.result.generatorCpuPercent });
  }
  await server.stop();
  await stub.stop();
  const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no profile written');
  const profile = JSON.parse(readFileSync(join(profDir, file), 'utf8')) as CpuProfile;
  for (const p of phases) {
    const totals = breakdown(profile, p.from, p.to);
    const idle = totals.get('idle') ?? 0;
    totals.delete('idle');
    const sampled = [...totals.values()].reduce((a, b) => a + b, 0);
    process.stdout.write(
      `\n## ${p.name}: ${p.requests} requests, ${Math.round(p.rps)} req/s, process CPU ${Math.round(p.cpu / p.requests)} µs/request (main thread sampled ${Math.round(sampled / p.requests)} µs, idle ${Math.round(idle / p.requests)} µs), generator ${Math.round(p.gen)} %\n\n| Component | µs/request |\n|---|--:|\n`,
    );
    for (const [k, v] of [...totals.entries()].sort((a, b) => b[1] - a[1])) {
      const us = v / p.requests;
      if (us >= 0.5) process.stdout.write(`| ${k} | ${us.toFixed(1)} |\n`);
    }
  }
  process.stdout.write(`\nprofile: ${join(profDir, file)}\n`);
}

await main();
