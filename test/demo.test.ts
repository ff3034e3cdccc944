/**
 * `npm run demo` (scripts/demo.ts, scripts/demo-stack.ts): start-up that fails half-way leaves
 * nothing behind; the demo run as its own process group, as a terminal runs it, carries the whole
 * story in Chromium with what it printed (shop URL, app URL, phone number, PIN:
 * test/helpers/shop-story.ts), then stops cleanly on Ctrl-C (SIGINT to the group, twice, as npm
 * forwards it too): exit status 0 within a few seconds, its ports closed, its temporary directory
 * (database, -wal, -shm, .key) gone.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { ReferencePspOptions } from '../examples/reference-psp/index.js';
import { startDemo } from '../scripts/demo-stack.js';
import { PspClient } from '../src/client/index.js';
import { launchBrowser, withFailureShots } from './helpers/browser.js';
import { DEMO } from './helpers/platform.js';
import { LoopbackContexts, runShopStory } from './helpers/shop-story.js';

/** Resolves true when something accepts a TCP connection at the URL's host and port. */
function accepts(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The command line of `npm run demo` (package.json), run with this Node. */
function demoCommand(): string[] {
  const script = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts.demo ?? '';
  const [program, ...args] = script.split(' ');
  assert.equal(program, 'node', `npm run demo runs node directly (no tsx CLI in between, which SIGKILLs a slow child): ${script}`);
  return args;
}

interface RunningDemo {
  readonly child: ChildProcess;
  readonly shopUrl: string;
  readonly appUrl: string;
  readonly apiUrl: string;
  readonly pspId: string;
  readonly msn: string;
  readonly phoneNumber: string;
  readonly pin: string;
  readonly dir: string;
  output(): string;
  /** Resolves with the exit code and signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the demo as `npm run demo` does, in its own process group, and reads what it printed. */
async function spawnDemo(): Promise<RunningDemo> {
  const child = spawn(process.execPath, demoCommand(), { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (out.includes('Ctrl-C stops everything.')) {
        clearInterval(timer);
        resolve();
      }
    }, 50);
    void exited.then(({ code, signal }) => {
      clearInterval(timer);
      reject(new Error(`the demo ended before it was ready (${code ?? signal}):\n${out}`));
    });
  });
  await Promise.race([
    ready,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`the demo was not ready within 60 s:\n${out}`)), 60_000).unref()),
  ]);
  const pick = (re: RegExp): string => {
    const m = re.exec(out);
    assert.ok(m?.[1], `${re} in:\n${out}`);
    return m[1];
  };
  return {
    child,
    shopUrl: pick(/Shop: +(http:\/\/\S+?)\/? /),
    appUrl: pick(/Vipps app: +(http:\/\/\S+)/),
    apiUrl: pick(/PSP API: (http:\/\/\S+)/),
    pspId: pick(/PSP API: .*Psp-Id (\w+)/),
    msn: pick(/PSP API: .*MSN (\d+)/),
    phoneNumber: pick(/Test user: +phone number (\d+)/),
    pin: pick(/Test user: .*PIN (\d+)/),
    dir: pick(/Data: (\S+)/),
    output: () => out,
    exited,
  };
}

describe('npm run demo', () => {
  const children: ChildProcess[] = [];
  let browser: Browser | undefined;
  let contexts: LoopbackContexts | undefined;
  after(async () => {
    await contexts?.close();
    await browser?.close();
    // A failed test must not leave a demo running.
    for (const c of children) if (c.exitCode === null && c.signalCode === null && c.pid) process.kill(-c.pid, 'SIGKILL');
    assert.deepEqual(contexts?.external ?? [], [], 'no page made a request to another host');
  });

  it('stops the platform and removes the directory when the shop fails to start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vipps-psp-demo-test-'));
    let emulatorUrl = '';
    await assert.rejects(
      startDemo({
        dir,
        startShop: async (options: ReferencePspOptions) => {
          emulatorUrl = options.emulatorUrl;
          assert.equal(await accepts(emulatorUrl), true, 'the platform was running when the shop was started');
          assert.ok(readdirSync(dir).includes('demo.sqlite'));
          throw new Error('EADDRINUSE (simulated)');
        },
      }),
      /EADDRINUSE \(simulated\)/,
    );
    assert.notEqual(emulatorUrl, '');
    assert.equal(await accepts(emulatorUrl), false, 'the platform is stopped');
    assert.equal(existsSync(dir), false, 'the directory is removed');
  });

  it('runs the whole story with what it printed, and Ctrl-C (SIGINT to the process group, repeated) stops it cleanly', {
    timeout: 180_000,
  }, async () => {
    const demo = await spawnDemo();
    children.push(demo.child);
    assert.ok(existsSync(join(demo.dir, 'demo.sqlite')), demo.output());
    for (const url of [demo.shopUrl, demo.appUrl, demo.apiUrl]) assert.equal(await accepts(url), true, url);

    browser = await launchBrowser();
    const tabs = new LoopbackContexts(browser);
    contexts = tabs;
    const customer = await tabs.open();
    const phone = await tabs.open();
    // The demo runs on the demo seed: the PSP's credentials are the ones the README lists.
    assert.equal(demo.pspId, DEMO.pspId);
    await withFailureShots(
      'demo-story',
      () => tabs.pages(),
      () =>
        runShopStory({
          customer,
          phone,
          shopUrl: demo.shopUrl,
          appUrl: demo.appUrl,
          phoneNumber: demo.phoneNumber,
          pin: demo.pin,
          vipps: new PspClient({ baseUrl: demo.apiUrl, ...DEMO, pspId: demo.pspId, merchantSerialNumber: demo.msn }),
          shots: 'demo',
        }),
    );

    const pid = demo.child.pid ?? 0;
    const sentAt = Date.now();
    process.kill(-pid, 'SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 20));
    try {
      process.kill(-pid, 'SIGINT'); // the repeat npm forwards (or an impatient user)
    } catch {
      // already gone
    }
    const { code, signal } = await demo.exited;
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, demo.output());
    assert.ok(Date.now() - sentAt < 5000, `stopped within 5 s (${Date.now() - sentAt} ms)`);
    assert.match(demo.output(), /SIGINT: stopping the shop and the platform/);
    for (const url of [demo.shopUrl, demo.appUrl, demo.apiUrl]) assert.equal(await accepts(url), false, url);
    assert.equal(existsSync(demo.dir), false, `${demo.dir} is removed`);
  });
});
