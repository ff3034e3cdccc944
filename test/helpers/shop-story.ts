/**
 * The whole story of the reference PSP's shop (examples/reference-psp) in a browser, shared by the
 * test that starts the shop in-process (test/reference-psp-browser.test.ts) and the one that runs
 * `npm run demo` (test/demo.test.ts): shop → "Pay with Vipps" → landing page → number → Next →
 * the app in a second browser (log in, Pay) → the shop's order page shows the payment confirmed
 * (by polling its own backend: a tab opened before the payment flips without a reload) → back
 * office: capture 60 %, refund part of it → the platform's details show the right summary.
 */
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { PspClient } from '../../src/client/index.js';
import { newContext, screenshot } from './browser.js';

/** Browser contexts that record every request to a host other than loopback. */
export class LoopbackContexts {
  readonly external: string[] = [];
  private readonly contexts: BrowserContext[] = [];
  constructor(private readonly browser: Browser) {}

  async open(): Promise<BrowserContext> {
    const c = await newContext(this.browser);
    c.on('request', (r) => {
      const host = new URL(r.url()).hostname;
      if (host !== 'localhost' && host !== '127.0.0.1') this.external.push(r.url());
    });
    this.contexts.push(c);
    return c;
  }

  pages(): Page[] {
    return this.contexts.flatMap((c) => c.pages());
  }

  async close(): Promise<void> {
    for (const c of this.contexts) await c.close();
  }
}

export interface ShopStoryOptions {
  /** The customer's desktop browser and the phone with the Vipps app. */
  readonly customer: BrowserContext;
  readonly phone: BrowserContext;
  /** The shop's base URL (no trailing slash) and the app's URL (`<platform>/app`). */
  readonly shopUrl: string;
  readonly appUrl: string;
  readonly phoneNumber: string;
  readonly pin: string;
  /** A client of the shop's PSP, to read the platform's details as any PSP would. */
  readonly vipps: PspClient;
  /** Prefix of the screenshots saved in test-artifacts/. */
  readonly shots: string;
}

export interface ShopStoryOrder {
  readonly pspTransactionId: string;
  readonly merchantOrderId: string;
}

export async function runShopStory(o: ShopStoryOptions): Promise<ShopStoryOrder> {
  const shop = await o.customer.newPage();
  await shop.goto(`${o.shopUrl}/`);
  assert.equal(await shop.getByTestId('price').textContent(), '499,00 kr');
  await screenshot(shop, `${o.shots}-shop`);
  await shop.getByRole('button', { name: 'Pay with Vipps' }).first().click();

  // The Vipps landing page.
  await shop.waitForURL(/\/vippsgateway\?v=2&token=/);
  assert.equal(await shop.getByTestId('amount').textContent(), '499,00 kr');
  await shop.getByLabel('Phone number').fill(o.phoneNumber);
  await shop.getByRole('button', { name: 'Next' }).click();
  await shop.getByTestId('status-title').filter({ hasText: 'Continue in the Vipps app' }).waitFor();

  // The shop's order page, opened before the payment, follows it by polling the shop's backend.
  const orders = (await (await fetch(`${o.shopUrl}/api/orders`)).json()) as { orders: ShopStoryOrder[] };
  const order = orders.orders[0];
  assert.ok(order);
  const watcher = await o.customer.newPage();
  await watcher.goto(`${o.shopUrl}/orders/${order.merchantOrderId}`);
  assert.equal(await watcher.getByTestId('order-status').textContent(), 'Waiting for the payment…');
  await watcher.evaluate('window.notReloaded = true');

  // The app.
  const app = await o.phone.newPage();
  await app.goto(o.appUrl);
  await app.getByLabel('Phone number').fill(o.phoneNumber);
  await app.getByLabel('PIN').fill(o.pin);
  await app.getByRole('button', { name: 'Log in' }).click();
  await app.locator('[data-testid="requests"] [data-payment-id]').first().click();
  assert.equal(await app.getByTestId('order-id').textContent(), order.merchantOrderId);
  await app.getByRole('button', { name: /^Pay 499,00 kr$/ }).click();
  await app.getByTestId('result-title').filter({ hasText: 'Payment approved' }).waitFor();

  // The landing page sends the customer to the order page, which shows the PSP's outcome.
  await shop.waitForURL(`${o.shopUrl}/orders/${order.merchantOrderId}`);
  await shop.getByTestId('order-status').filter({ hasText: 'Payment confirmed' }).waitFor();
  await shop.getByTestId('vipps-summary').filter({ hasText: 'Vipps reports 499,00 kr to capture' }).waitFor();
  await watcher.getByTestId('order-status').filter({ hasText: 'Payment confirmed' }).waitFor();
  assert.equal(await watcher.evaluate('window.notReloaded'), true, 'learned by polling, not by a reload or the redirect');
  await screenshot(shop, `${o.shots}-order`);

  // Back office: capture 60 %, then refund part of it.
  await shop.getByRole('link', { name: 'Back office' }).click();
  // The status is the shop's own view of the money: what it did since the reservation.
  assert.equal(await shop.getByTestId('state').textContent(), 'Reserved');
  await shop.getByLabel('Capture (kr)').fill('299,40');
  await shop.getByRole('button', { name: 'Capture' }).click();
  assert.equal(await shop.getByTestId('message').textContent(), 'CAPTURED 299,40 kr sent to Vipps.');
  assert.equal(await shop.getByTestId('state').textContent(), 'Partially captured');
  await shop.getByLabel('Refund (kr)').fill('100,00');
  await shop.getByRole('button', { name: 'Refund' }).click();
  assert.equal(await shop.getByTestId('message').textContent(), 'REFUNDED 100,00 kr sent to Vipps.');
  assert.equal(await shop.getByTestId('state').textContent(), 'Partially refunded');
  assert.equal(
    await shop.getByTestId('ledger').textContent(),
    'Captured 299,40 kr · remaining to capture 199,60 kr · refunded 100,00 kr · remaining to refund 199,40 kr',
  );
  await screenshot(shop, `${o.shots}-backoffice`);

  // The platform's details (as any PSP would ask them), once the batches are applied.
  let details = await o.vipps.getPaymentDetails(order.pspTransactionId);
  for (let i = 0; i < 50 && details.transactionSummary?.refundedAmount !== 10000; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    details = await o.vipps.getPaymentDetails(order.pspTransactionId);
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
  return { pspTransactionId: order.pspTransactionId, merchantOrderId: order.merchantOrderId };
}
