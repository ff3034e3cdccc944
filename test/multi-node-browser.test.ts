/**
 * Two nodes on one PostgreSQL in a real browser (TEST_DATABASE_URL; skipped on SQLite): the
 * landing page is served by node A, the user logs in to the app on node A and pays in it on node
 * B (the app session crosses nodes), and the landing page on A follows the approval made on B
 * (LISTEN/NOTIFY) and sends the customer on to the PSP's redirect URL.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchBrowser, newContext, withFailureShots } from './helpers/browser.js';
import { DEMO, dropTestDatabase, initBody, PspApi, startTestPlatform, TEST_DATABASE_URL, type TestPlatform } from './helpers/platform.js';
import { PspStub } from './helpers/psp-stub.js';

describe('a landing page on node A, the app on node B', {
  skip: TEST_DATABASE_URL ? false : 'PostgreSQL only (TEST_DATABASE_URL unset)',
}, () => {
  let browser: Browser;
  let a: TestPlatform;
  let b: TestPlatform;
  let stub: PspStub;
  const dir = mkdtempSync(join(tmpdir(), 'vipps-psp-ab-'));
  before(async () => {
    stub = await PspStub.start();
    a = await startTestPlatform({ dir });
    b = await startTestPlatform({ dir });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await a?.close();
    await b?.close();
    await stub?.close();
    rmSync(dir, { recursive: true, force: true });
    await dropTestDatabase(dir);
  });

  it('follows on A an approval made on B, in a session opened on A', async () => {
    const redirect = stub.url.replace('/makepayment', `/result-${Date.now()}`);
    const body = initBody({ makePaymentUrl: stub.url, pspRedirectUrl: redirect });
    const init = await (await PspApi.connect(a.url)).init(body);
    assert.equal(init.status, 200, init.text);
    const landingUrl = init.json.vippsRedirectUrl;
    assert.ok(landingUrl.startsWith(a.url.replace('127.0.0.1', 'localhost')) || landingUrl.startsWith(a.url), landingUrl);

    const customer = await newContext(browser);
    const phone = await newContext(browser);
    await withFailureShots(
      'landing-a-app-b',
      () => [...customer.pages(), ...phone.pages()],
      async () => {
        const landing = await customer.newPage();
        await landing.goto(landingUrl);
        await landing.getByLabel('Phone number').fill(DEMO.user);
        await landing.getByRole('button', { name: 'Next' }).click();
        await landing.getByTestId('status-title').filter({ hasText: 'Continue in the Vipps app' }).waitFor();

        // The app: logged in on A …
        const app = await phone.newPage();
        await app.goto(`${a.url}/app`);
        await app.getByLabel('Phone number').fill(DEMO.user);
        await app.getByLabel('PIN').fill('1236');
        await app.getByRole('button', { name: 'Log in' }).click();
        await app.locator('[data-testid="requests"] [data-payment-id]').first().waitFor();
        // … and the same session on B (cookies are per host, not per port): the request is there, pay it on B.
        await app.goto(`${b.url}/app`);
        await app.locator('[data-testid="requests"] [data-payment-id]').first().click();
        assert.ok(app.url().startsWith(b.url), app.url());
        await app.getByRole('button', { name: /^Pay / }).click();
        await app.getByTestId('result-title').filter({ hasText: 'Payment approved' }).waitFor();

        // The landing page, served by A, heard it and sends the customer on.
        await landing.waitForURL((u) => u.href.startsWith(redirect), { timeout: 15_000 });
      },
    );
    const payment = await a.running.platform.repos.payments.findByPspTransactionId(DEMO.pspId, String(body.pspTransactionId));
    assert.equal(payment?.state, 'RESERVED');
  });
});
