/**
 * The processes of a bench run: the bare baseline, the platform (built, started from
 * dist/src/cli.js), Prism and the PSP stub. Servers run pinned to the server core; the PSP stub,
 * which stands for the PSP and is not measured, runs on the load generator's core.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { sleep, waitForHttp } from './http.js';
import { pinned } from './proc.js';

export interface Server {
  readonly name: string;
  readonly pid: number;
  readonly url: string;
  readonly logFile: string;
  alive(): boolean;
  /** How the process ended ("exit code 1", "signal SIGTERM"), or null while it runs. */
  ended(): string | null;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

interface StartSpec {
  readonly name: string;
  readonly core: number | null;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Record<string, string>;
  readonly port: number;
  /** Path answered by the server once it is up. */
  readonly readyPath: string;
  readonly logDir: string;
  readonly readyTimeoutMs?: number;
}

export async function startServer(spec: StartSpec): Promise<Server> {
  const [command, args] = pinned(spec.core, spec.command, spec.args);
  const logFile = join(spec.logDir, `${spec.name}.log`);
  const log = createWriteStream(logFile);
  const child: ChildProcess = spawn(command, args, {
    env: { ...process.env, ...spec.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  let exited = false;
  let ended: string | null = null;
  let stopping = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', (code, signal) => {
    exited = true;
    ended = signal ? `signal ${signal}` : `exit code ${code}`;
    if (!stopping) process.stderr.write(`[bench] ${spec.name} (pid ${child.pid}) ended unexpectedly: ${ended}; log: ${logFile}\n`);
  });
  if (child.pid === undefined) throw new Error(`${spec.name}: could not start ${command}`);
  const url = `http://127.0.0.1:${spec.port}`;
  try {
    await waitForHttp(`${url}${spec.readyPath}`, spec.readyTimeoutMs ?? 60_000, () => !exited);
  } catch (error) {
    child.kill('SIGKILL');
    const tail = safeTail(logFile);
    throw new Error(`${spec.name} did not start: ${(error as Error).message}\n${tail}`);
  }
  const pid = child.pid;
  return {
    name: spec.name,
    // taskset execs the program: the pid is the server's own.
    pid,
    url,
    logFile,
    alive: () => !exited,
    ended: () => ended,
    stop: async () => {
      stopping = true;
      if (exited) return;
      child.kill('SIGTERM');
      const killed = await Promise.race([exit.then(() => true), sleep(10_000).then(() => false)]);
      if (!killed) {
        child.kill('SIGKILL');
        await exit;
      }
    },
  };
}

function safeTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '';
  }
}

export interface PlatformSpec {
  readonly name: string;
  readonly core: number | null;
  readonly databasePath: string;
  readonly synchronous: 'FULL' | 'NORMAL';
  readonly logDir: string;
  readonly extraEnv?: Record<string, string>;
}

/** The platform as a user runs it: `node dist/src/cli.js` (built by `npm run build`). */
export async function startPlatform(spec: PlatformSpec): Promise<Server> {
  const port = await freePort();
  return startServer({
    name: spec.name,
    core: spec.core,
    command: process.execPath,
    args: ['dist/src/cli.js'],
    env: {
      PORT: String(port),
      DATABASE_URL: `sqlite:${spec.databasePath}`,
      // The platform's default log level (info), as a user starts it.
      PROFILE: 'test',
      SQLITE_SYNCHRONOUS: spec.synchronous,
      ...spec.extraEnv,
    },
    port,
    readyPath: '/health',
    logDir: spec.logDir,
  });
}

export async function startBaseline(core: number | null, logDir: string): Promise<Server> {
  const port = await freePort();
  return startServer({
    name: 'baseline',
    core,
    command: process.execPath,
    args: ['bench/baseline-server.mjs', String(port)],
    port,
    readyPath: '/',
    logDir,
  });
}

export async function startPspStub(core: number | null, logDir: string): Promise<Server> {
  const port = await freePort();
  return startServer({
    name: 'psp-stub',
    core,
    command: process.execPath,
    args: ['bench/psp-stub.mjs', String(port)],
    port,
    readyPath: '/calls',
    logDir,
  });
}

/**
 * Prism 5 cannot serve the official psp-v3.yaml as published: the document lists the PSP's own
 * callback as a path named "[ makePaymentUrl ]", and Prism's router throws "Malformed path" on
 * the first request (a path must start with "/"), which kills the mock. The bench therefore mocks
 * a copy with that one entry removed — it is an endpoint of the PSP, not of the Vipps API — and
 * nothing else changed.
 */
export function prismSpec(specFile: string, outDir: string): string {
  const doc = parse(readFileSync(specFile, 'utf8')) as { paths: Record<string, unknown> };
  for (const path of Object.keys(doc.paths)) if (!path.startsWith('/')) delete doc.paths[path];
  const out = join(outDir, 'psp-v3.prism.yaml');
  writeFileSync(out, stringify(doc));
  return out;
}

export async function startPrism(core: number | null, specFile: string, logDir: string): Promise<Server> {
  const port = await freePort();
  return startServer({
    name: 'prism',
    core,
    command: process.execPath,
    // Logging at warn (its default, info, logs several lines per request); one process (no --multiprocess).
    args: ['node_modules/@stoplight/prism-cli/dist/index.js', 'mock', '-h', '127.0.0.1', '-p', String(port), '-v', 'warn', specFile],
    port,
    // Any answer means it is up (an unknown path answers 404).
    readyPath: '/',
    logDir,
    readyTimeoutMs: 90_000,
  });
}
