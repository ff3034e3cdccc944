/**
 * The whole story in a browser, through the reference PSP and its shop (examples/reference-psp)
 * and the real platform: shop → "Pay with Vipps" → landing page → the app (log in, Pay) → the
 * PSP's makePaymentUrl → the shop's order page shows the order confirmed (by polling its own
 * backend: a second tab that opened the order page before the payment flips without a reload)
 * → back office: capture 60 %, refund part of it → the platform's details show the right summary.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext } from 'playwright-core';
import { type ReferencePsp, startReferencePsp } from '../examples/reference-psp/index.js';
import { PspClient } from '../src/client/index.js';
import { launchBrowser, newContext, screenshot, withFailureShots } from './helpers/browser.js';
import { DEMO, startTestPlatform, type TestPlatform } from './helpers/platform.js';

describe('the reference PSP and shop in a browser', () => {
  let p: TestPlatform;
  let psp: ReferencePsp;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const external: string[] = [];

  before(async () => {
    p = await startTestPlatform();
    psp = await startReferencePsp({ emulatorUrl: p.url, credentials: { ...DEMO, merchantSerialNumber: DEMO.msn } });
    browser = await launchBrowser();
  });
  after(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await psp?.close();
    await p?.close();
    assert.deepEqual(external, [], 'no page made a request to another host');
  });
  const context = async () => {
    const c = await newContext(browser);
    c.on('request', (r) => {
      const host = new URL(r.url()).hostname;
      if (host !== 'localhost' && host !== '127.0.0.1') external.push(r.url());
    });
    contexts.push(c);
    return c;
  };
  const openPages = () => contexts.flatMap((c) => c.pages());

  it('shop → landing page → app → PSP → order confirmed → capture 60 % → refund part → details', async () => {
    const customer = await context(); // the desktop browser
    const phone = await context(); // the phone with the Vipps app
    await withFailureShots('reference-psp-story', openPages, async () => {
      const shop = await customer.newPage();
      await shop.goto(`${psp.url}/`);
      assert.equal(await shop.getByTestId('price').textContent(), '499,00 kr');
      await screenshot(shop, 'reference-psp-shop');
      await shop.getByRole('button', { name: 'Pay with Vipps' }).first().click();

      // The Vipps landing page.
      await shop.waitForURL(/\/vippsgateway\?v=2&token=/);
      assert.equal(await shop.getByTestId('amount').textContent(), '499,00 kr');
      await shop.getByLabel('Phone number').fill(DEMO.user);
      await shop.getByRole('button', { name: 'Next' }).click();
      await shop.getByTestId('status-title').filter({ hasText: 'Continue in the Vipps app' }).waitFor();

      // The shop's order page, opened before the payment, follows it by polling the shop's backend.
      const orders = (await (await fetch(`${psp.url}/api/orders`)).json()) as {
        orders: { pspTransactionId: string; merchantOrderId: string }[];
      };
      const order = orders.orders[0];
      assert.ok(order);
      const watcher = await customer.newPage();
      await watcher.goto(`${psp.url}/orders/${order.merchantOrderId}`);
      assert.equal(await watcher.getByTestId('order-status').textContent(), 'Waiting for the payment…');
      await watcher.evaluate('window.notReloaded = true');

      // The app.
      const app = await phone.newPage();
      await app.goto(`${p.running.platform.publicUrl()}/app`);
      await app.getByLabel('Phone number').fill(DEMO.user);
      await app.getByLabel('PIN').fill('1236');
      await app.getByRole('button', { name: 'Log in' }).click();
      await app.locator('[data-testid="requests"] [data-payment-id]').first().click();
      assert.equal(await app.getByTestId('order-id').textContent(), order.merchantOrderId);
      await app.getByRole('button', { name: /^Pay 499,00 kr$/ }).click();
      await app.getByTestId('result-title').filter({ hasText: 'Payment approved' }).waitFor();

      // The landing page sends the customer to the order page, which shows the PSP's outcome.
      await shop.waitForURL(`${psp.url}/orders/${order.merchantOrderId}`);
      await shop.getByTestId('order-status').filter({ hasText: 'Payment confirmed' }).waitFor();
      await shop.getByTestId('vipps-summary').filter({ hasText: 'Vipps reports 499,00 kr to capture' }).waitFor();
      await watcher.getByTestId('order-status').filter({ hasText: 'Payment confirmed' }).waitFor();
      assert.equal(await watcher.evaluate('window.notReloaded'), true, 'learned by polling, not by a reload or the redirect');
      await screenshot(shop, 'reference-psp-order');

      // Back office: capture 60 %, then refund part of it.
      await shop.getByRole('link', { name: 'Back office' }).click();
      assert.equal(await shop.getByTestId('state').textContent(), 'RESERVED');
      await shop.getByLabel('Capture (kr)').fill('299,40');
      await shop.getByRole('button', { name: 'Capture' }).click();
      assert.equal(await shop.getByTestId('message').textContent(), 'CAPTURED 299,40 kr sent to Vipps.');
      await shop.getByLabel('Refund (kr)').fill('100,00');
      await shop.getByRole('button', { name: 'Refund' }).click();
      assert.equal(await shop.getByTestId('message').textContent(), 'REFUNDED 100,00 kr sent to Vipps.');
      assert.equal(
        await shop.getByTestId('ledger').textContent(),
        'Captured 299,40 kr · remaining to capture 199,60 kr · refunded 100,00 kr · remaining to refund 199,40 kr',
      );
      await screenshot(shop, 'reference-psp-backoffice');

      // The platform's details (as any PSP would ask them), once the batches are applied.
      const vipps = new PspClient({ baseUrl: p.url, ...DEMO, merchantSerialNumber: DEMO.msn });
      let details = await vipps.getPaymentDetails(order.pspTransactionId);
      for (let i = 0; i < 50 && details.transactionSummary?.refundedAmount !== 10000; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        details = await vipps.getPaymentDetails(order.pspTransactionId);
      }
      assert.equal(details.merchantOrderId, order.merchantOrderId);
      assert.deepEqual(details.transactionSummary, {
        capturedAmount: 29940,
        remainingAmountToCapture: 19960,
        refundedAmount: 10000,
        remainingAmountToRefund: 19940,
      });
      assert.deepEqual(
        details.transactionLogHistory.map((e) => [e.operation, e.amount, e.operationSuccess]),
        [
          ['REFUNDED', 10000, true],
          ['CAPTURED', 29940, true],
          ['RESERVED', 49900, true],
        ],
      );
      // The back office shows the same as Vipps.
      await shop.reload();
      assert.equal(
        await shop.getByTestId('vipps-summary').textContent(),
        'Captured 299,40 kr, remaining to capture 199,60 kr, refunded 100,00 kr, remaining to refund 199,40 kr',
      );
    });
  });
});
