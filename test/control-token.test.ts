/**
 * CONTROL_API_TOKEN: unset, the control API is open (a developer's machine); set, every
 * `/_emulator/…` path needs `Authorization: Bearer <token>` or the inspector's login cookie —
 * tested over HTTP and through the login form in Chromium. The PSP APIs are not affected.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { DESKTOP, launchBrowser, newContext, withFailureShots } from './helpers/browser.js';
import { call, initBody, PspApi, startTestPlatform, type TestPlatform } from './helpers/platform.js';

const TOKEN = 'ctl-Token-0123456789abcdef';

describe('control API without CONTROL_API_TOKEN', () => {
  it('is open to whoever reaches the port', async () => {
    const p = await startTestPlatform();
    try {
      assert.equal((await call(`${p.url}/_emulator/clock`)).status, 200);
      assert.equal((await call(`${p.url}/_emulator/requests`)).status, 200);
      assert.equal((await call(`${p.url}/_emulator/ui`)).status, 200);
    } finally {
      await p.close();
    }
  });
});

describe('control API with CONTROL_API_TOKEN', () => {
  let p: TestPlatform;
  let browser: Browser;
  before(async () => {
    p = await startTestPlatform({ env: { CONTROL_API_TOKEN: TOKEN } });
  });
  after(async () => {
    await browser?.close();
    await p?.close();
  });

  it('refuses the control API without the token (any case of the path), accepts it as Bearer; the PSP API is unaffected', async () => {
    for (const [method, path] of [
      ['GET', '/_emulator/clock'],
      ['POST', '/_emulator/reset'],
      ['GET', '/_emulator/requests'],
      ['GET', '/_emulator/faults'],
      ['GET', '/_EMULATOR/Clock'],
      ['GET', '/_emulator/clock/'],
    ] as const) {
      const r = await call<{ errorCode: string }[]>(`${p.url}${path}`, { method });
      assert.equal(r.status, 401, `${method} ${path}`);
      assert.equal(r.json[0]?.errorCode, 'ControlTokenRequired');
      assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer/);
    }
    assert.equal((await call(`${p.url}/_emulator/clock`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status, 401);
    assert.equal((await call(`${p.url}/_emulator/clock`, { headers: { authorization: `bearer ${TOKEN}` } })).status, 401);
    assert.equal((await call(`${p.url}/_emulator/clock`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
    // An inspector page without the token goes to the login form.
    const page = await fetch(`${p.url}/_emulator/ui/faults`, { redirect: 'manual' });
    assert.equal(page.status, 303);
    assert.equal(page.headers.get('location'), `/_emulator/ui/login?next=${encodeURIComponent('/_emulator/ui/faults')}`);
    // The PSP API still works without it.
    const api = await PspApi.connect(p.url);
    assert.equal((await api.init(initBody())).status, 200);
  });

  it('refuses a bad config value, naming the variable', async () => {
    await assert.rejects(startTestPlatform({ env: { CONTROL_API_TOKEN: 'short' } }), /CONTROL_API_TOKEN/);
  });

  it('logs the inspector in through its form, with an HttpOnly cookie', async () => {
    browser = await launchBrowser();
    const context = await newContext(browser, DESKTOP);
    const page = await context.newPage();
    await withFailureShots(
      'control-token-login',
      () => [page],
      async () => {
        await page.goto(`${p.url}/_emulator/ui/requests`);
        assert.equal(new URL(page.url()).pathname, '/_emulator/ui/login');
        await page.fill('#token', 'not-the-token-0123456789');
        await page.getByRole('button', { name: 'Log in' }).click();
        await page.getByRole('alert').getByText('That is not the token.').waitFor();
        await page.fill('#token', TOKEN);
        await page.getByRole('button', { name: 'Log in' }).click();
        await page.getByRole('heading', { name: 'Request journal' }).waitFor();
        assert.equal(new URL(page.url()).pathname, '/_emulator/ui/requests', 'back where it was going');
        const [cookie] = await context.cookies();
        assert.equal(cookie?.httpOnly, true);
        assert.equal(cookie?.path, '/_emulator');
        assert.ok(!cookie?.value.includes(TOKEN), 'the cookie holds a digest, not the token');
        // The cookie opens the control API too (same origin); live updates work.
        await page.locator('body[data-live="on"]').waitFor();
        const status = await page.evaluate(async () => (await fetch('/_emulator/clock')).status);
        assert.equal(status, 200);
      },
    );
    await context.close();
  });
});
