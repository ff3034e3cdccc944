/**
 * The browser of the browser tests: Debian's `chromium`, driven by playwright-core (no browser
 * download by Playwright). Found at the usual paths or CHROMIUM_PATH; when it is missing and the
 * tests run as root, it is installed with apt-get (the same step `npm test` runs first, see
 * scripts/test.mjs). One browser per test file, a new context per test.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, type BrowserContextOptions, chromium, type Page } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome-stable', '/usr/bin/google-chrome'];

export function findChromium(): string | null {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  return CANDIDATES.find((p) => existsSync(p)) ?? null;
}

/** Finds Chromium, or installs Debian's package when running as root; otherwise says what to do. */
export function ensureChromium(): string {
  const found = findChromium();
  if (found) return found;
  if (process.getuid?.() !== 0) {
    throw new Error('Chromium not found: install it (`sudo apt-get install -y chromium`) or set CHROMIUM_PATH to a Chromium binary.');
  }
  for (const args of [['update'], ['install', '-y', 'chromium']]) {
    console.error(`[browser] chromium is missing: running apt-get ${args.join(' ')}`);
    const r = spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (exit ${r.status})`);
  }
  const installed = findChromium();
  if (!installed) throw new Error('apt-get installed chromium, but no binary was found at the usual paths');
  return installed;
}

/**
 * The launch flags of the brief: headless, no sandbox (containers run as root), and nothing that
 * reaches the network on its own. Playwright gives each launch a fresh, temporary user-data dir.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: ensureChromium(), headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}

export const DESKTOP: BrowserContextOptions = {
  viewport: { width: 1280, height: 900 },
  userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
};

/** An iPhone-sized phone (the user agent is what the landing page looks at). */
export const PHONE: BrowserContextOptions = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
  userAgent:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
};

export async function newContext(browser: Browser, options: BrowserContextOptions = DESKTOP): Promise<BrowserContext> {
  const context = await browser.newContext(options);
  context.setDefaultTimeout(10_000);
  context.setDefaultNavigationTimeout(15_000);
  return context;
}

export const ARTIFACTS = join(process.cwd(), 'test-artifacts');

/** Saves a full-page screenshot to test-artifacts/<name>.png and returns the path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Runs `body`; when it fails, saves a screenshot of every open page for the post-mortem. */
export async function withFailureShots<T>(name: string, pages: () => readonly Page[], body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    let i = 0;
    for (const page of pages()) {
      if (!page.isClosed()) await screenshot(page, `failed-${name}-${i++}`).catch(() => undefined);
    }
    throw error;
  }
}
