/**
 * The whole story in a browser, through the reference PSP and its shop (examples/reference-psp)
 * started in-process next to the real platform (test/helpers/shop-story.ts): shop → "Pay with
 * Vipps" → landing page → the app (log in, Pay) → the PSP's makePaymentUrl → the shop's order page
 * shows the order confirmed → back office: capture 60 %, refund part of it → the platform's details
 * show the right summary. test/demo.test.ts runs the same story through `npm run demo`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { type ReferencePsp, startReferencePsp } from '../examples/reference-psp/index.js';
import { PspClient } from '../src/client/index.js';
import { TEST_PIN } from '../src/wallet/pages/app.js';
import { launchBrowser, withFailureShots } from './helpers/browser.js';
import { DEMO, startTestPlatform, type TestPlatform } from './helpers/platform.js';
import { LoopbackContexts, runShopStory } from './helpers/shop-story.js';

describe('the reference PSP and shop in a browser', () => {
  let p: TestPlatform;
  let psp: ReferencePsp;
  let browser: Browser;
  let contexts: LoopbackContexts;

  before(async () => {
    p = await startTestPlatform();
    psp = await startReferencePsp({ emulatorUrl: p.url, credentials: { ...DEMO, merchantSerialNumber: DEMO.msn } });
    browser = await launchBrowser();
    contexts = new LoopbackContexts(browser);
  });
  after(async () => {
    await contexts?.close();
    await browser?.close();
    await psp?.close();
    await p?.close();
    assert.deepEqual(contexts?.external, [], 'no page made a request to another host');
  });

  it('shop → landing page → app → PSP → order confirmed → capture 60 % → refund part → details', async () => {
    const customer = await contexts.open();
    const phone = await contexts.open();
    await withFailureShots(
      'reference-psp-story',
      () => contexts.pages(),
      () =>
        runShopStory({
          customer,
          phone,
          shopUrl: psp.url,
          appUrl: `${p.running.platform.publicUrl()}/app`,
          phoneNumber: DEMO.user,
          pin: TEST_PIN,
          vipps: new PspClient({ baseUrl: p.url, ...DEMO, merchantSerialNumber: DEMO.msn }),
          shots: 'reference-psp',
        }),
    );
  });
});
