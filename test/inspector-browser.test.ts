/**
 * The inspector (`/_emulator/ui`) in a real Chromium against the real platform and a real PSP
 * stub: the payments list (live, filtered), a payment's page (money, timeline, makePayment
 * attempts, journal with secrets removed), the actions (approve, 3-D Secure outcome, cancel,
 * advance the clock, reset), the journal, status batches with rejected items, faults, PSPs /
 * sales units / users, the checklist. Screenshots (desktop width) go to test-artifacts/.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DESKTOP, launchBrowser, newContext, screenshot, withFailureShots } from './helpers/browser.js';
import { call, DEMO, initBody, PspApi, seedWithOtherPsp, startTestPlatform, type TestPlatform } from './helpers/platform.js';
import { PspStub, softDecline } from './helpers/psp-stub.js';

describe('the inspector in Chromium', () => {
  let p: TestPlatform;
  let api: PspApi;
  let stub: PspStub;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  before(async () => {
    stub = await PspStub.start();
    p = await startTestPlatform({ seed: seedWithOtherPsp() });
    api = await PspApi.connect(p.url);
    browser = await launchBrowser();
    context = await newContext(browser, DESKTOP);
    page = await context.newPage();
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await p?.close();
    await stub?.close();
  });

  const start = async (overrides: Record<string, unknown> = {}) => {
    const body = initBody({ makePaymentUrl: stub.url, customerMobileNumber: DEMO.user, paymentText: 'Socks', ...overrides });
    const r = await api.init(body);
    assert.equal(r.status, 200, r.text);
    return String(body.pspTransactionId);
  };
  const control = (path: string, body: unknown = {}) =>
    call(`${p.url}/_emulator${path}`, {
      method: 'POST',
      headers: { 'psp-id': DEMO.pspId, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const row = (id: string) => page.locator(`tr[data-payment="${id}"]`);
  const step = <T>(name: string, body: () => Promise<T>) => withFailureShots(`inspector-${name}`, () => [page], body);

  it('lists payments live, newest first, and filters them', async () => {
    await step('list', async () => {
      const first = await start();
      const second = await start({ amount: 12300 });
      await page.goto(`${p.url}/`);
      assert.equal(new URL(page.url()).pathname, '/_emulator/ui', 'GET / redirects to the inspector');
      await page.locator('body[data-live="on"]').waitFor();
      const ids = await page.locator('tr[data-payment]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-payment')));
      assert.deepEqual(ids.slice(0, 2), [second, first]);
      assert.match((await row(second).textContent()) ?? '', /123,00 kr/);
      assert.match((await row(first).textContent()) ?? '', /INITIATED/);
      // Live: the user approves elsewhere; the row flips without a reload.
      assert.equal((await control(`/payments/${first}/approve`)).status, 200);
      await row(first).getByText('RESERVED').waitFor();
      // Filter by state and by id.
      await page.selectOption('select[name="state"]', 'RESERVED');
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.waitForURL(/state=RESERVED/);
      assert.deepEqual(await page.locator('tr[data-payment]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-payment'))), [
        first,
      ]);
      await page.goto(`${p.url}/_emulator/ui?q=${second.slice(0, 8)}`);
      assert.equal(await page.locator('tr[data-payment]').count(), 1);
      await page.goto(`${p.url}/_emulator/ui`);
      await screenshot(page, 'inspector-payments');
    });
  });

  it('shows a payment: money, timeline, makePayment attempts masked, its journal without secrets; approves, 3-D Secure, cancels', async () => {
    await step('payment', async () => {
      const id = await start({ amount: 49900, makePaymentToken: 'mpt-never-shown-9x' });
      stub.script(id, softDecline(id, 'http://127.0.0.1:9/3ds'));
      await page.goto(`${p.url}/_emulator/ui`);
      await row(id).getByRole('link').click();
      await page.getByRole('heading', { name: new RegExp(`Payment ${id}`) }).waitFor();
      // Approve as the user (Kari's Visa): the stub soft-declines → AWAITING_3DS.
      await page.getByRole('button', { name: 'Approve as the user' }).click();
      await page.getByRole('status').getByText('AWAITING_3DS').waitFor();
      // Fire the 3-D Secure outcome: success → makePayment again → OK → RESERVED.
      await page.getByRole('button', { name: '3-D Secure success' }).click();
      await page.getByRole('status').getByText('RESERVED').waitFor();
      const money = page.getByTestId('money');
      assert.match((await money.textContent()) ?? '', /Reserved\s*499,00 kr/);
      const attempts = page.getByTestId('attempts');
      assert.equal(await attempts.locator('tbody tr').count(), 2, 'two makePayment calls');
      const attemptsText = (await attempts.textContent()) ?? '';
      assert.match(attemptsText, /SOFT_DECLINE/);
      assert.match(attemptsText, /•••• \d{4}/);
      assert.match(attemptsText, /cryptogram ••••••• \(not kept\)/);
      assert.ok(!attemptsText.includes('mpt-never-shown-9x'));
      const timeline = (await page.getByTestId('timeline').textContent()) ?? '';
      assert.match(timeline, /state:AWAITING_3DS[\s\S]*state:RESERVED/);
      // The journal of this payment: the init, its body with the token redacted.
      const journal = page.getByTestId('journal');
      const init = journal.locator('tr', { hasText: 'INIT' });
      await init.locator('summary').click();
      const initText = (await init.textContent()) ?? '';
      assert.match(initText, /"makePaymentToken": "\[redacted\]"/);
      assert.ok(!initText.includes('mpt-never-shown-9x'));
      assert.match(initText, /Bearer \[redacted\]/);
      await screenshot(page, 'inspector-payment');
      mkdirSync('docs', { recursive: true });
      copyFileSync('test-artifacts/inspector-payment.png', 'docs/inspector.png');

      // Cancel another one as the user.
      const other = await start();
      await page.goto(`${p.url}/_emulator/ui`);
      await row(other).getByRole('link').click();
      await page.getByRole('button', { name: 'Cancel as the user' }).click();
      await page.getByRole('status').getByText('USER_CANCELLED').waitFor();
      assert.equal((await api.details(other)).status, 200);
    });
  });

  it('advances the clock: a waiting payment expires', async () => {
    await step('clock', async () => {
      const id = await start();
      await page.goto(`${p.url}/_emulator/ui`);
      const before = (await page.getByTestId('clock-now').textContent()) ?? '';
      await page.fill('#advance-seconds', '601');
      await page.getByRole('button', { name: 'Advance clock' }).click();
      await page
        .getByRole('status')
        .getByText(/Clock advanced 601 s/)
        .waitFor();
      assert.notEqual((await page.getByTestId('clock-now').textContent()) ?? '', before);
      await row(id).getByText('EXPIRED').waitFor();
    });
  });

  it('shows the request journal, status batches with rejected items, PSPs, sales units, users and cards, and the checklist', async () => {
    await step('pages', async () => {
      const id = await start();
      assert.equal((await control(`/payments/${id}/approve`)).status, 200);
      const upd = await api.post('/psp/v3/psppayments/updatestatus', {
        transactions: [
          { pspTransactionId: id, status: 'CAPTURED', amount: 20000, currency: 'NOK' },
          { pspTransactionId: id, status: 'REFUNDED', amount: 90000, currency: 'NOK' },
        ],
      });
      assert.equal(upd.status, 200, upd.text);
      await page.goto(`${p.url}/_emulator/ui`);
      await page.getByRole('link', { name: 'Request journal' }).click();
      const journal = page.getByTestId('journal');
      assert.match((await journal.locator('tr', { hasText: 'UPDATESTATUS' }).first().textContent()) ?? '', /200/);
      await page.selectOption('select[name="operation"]', 'TOKEN');
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.waitForURL(/operation=TOKEN/);
      const tokenRow = journal.locator('tbody tr').first();
      await tokenRow.locator('summary').click();
      const tokenText = (await tokenRow.textContent()) ?? '';
      assert.match(tokenText, /"access_token": "\[redacted\]"/);
      assert.ok(!tokenText.includes(api.token));
      await screenshot(page, 'inspector-journal');

      await page.getByRole('link', { name: 'Status batches' }).click();
      const batch = page.getByTestId('batch').first();
      const batchText = (await batch.textContent()) ?? '';
      assert.match(batchText, /1 applied, 0 unchanged, 1 rejected/);
      assert.match(batchText, /REFUNDED/);
      await screenshot(page, 'inspector-batches');

      await page.getByRole('link', { name: 'PSPs, sales units, users' }).click();
      assert.match((await page.getByTestId('psps').textContent()) ?? '', /Other PSP/);
      assert.match((await page.getByTestId('merchants').textContent()) ?? '', /Demo Kiosk/);
      assert.match((await page.getByTestId('users').textContent()) ?? '', /Kari Nordmann[\s\S]*VISA DEBIT •••• 1234/);
      await screenshot(page, 'inspector-parties');

      await page.getByRole('link', { name: 'Go-live checklist' }).click();
      const checklist = (await page.getByTestId('checklist').textContent()) ?? '';
      assert.match(checklist, /Every endpoint integrated/);
      await screenshot(page, 'inspector-checklist');
    });
  });

  it('injects a fault from the faults page; the PSP gets it once; the journal shows it', async () => {
    await step('faults', async () => {
      await page.goto(`${p.url}/_emulator/ui/faults`);
      await page.selectOption('select[name="operation"]', 'INIT');
      await page.selectOption('select[name="kind"]', 'status');
      await page.selectOption('form.ins-fault-form select[name="status"]', '503');
      await page.getByRole('button', { name: 'Inject fault' }).click();
      await page
        .getByRole('status')
        .getByText(/Fault status 503 on INIT injected/)
        .waitFor();
      assert.match((await page.getByTestId('faults').textContent()) ?? '', /INIT[\s\S]*status 503 before/);
      await screenshot(page, 'inspector-faults');
      assert.equal((await api.init(initBody())).status, 503);
      assert.equal((await api.init(initBody())).status, 200);
      await page.reload();
      assert.match((await page.getByTestId('faults').textContent()) ?? '', /No active faults/);
      await page.goto(`${p.url}/_emulator/ui/requests?status=503`);
      assert.match((await page.getByTestId('journal').textContent()) ?? '', /503[\s\S]*status 503 before/);
    });
  });

  it('resets everything from the top bar', async () => {
    await step('reset', async () => {
      await start();
      await page.goto(`${p.url}/_emulator/ui`);
      assert.ok((await page.locator('tr[data-payment]').count()) > 0);
      await page.getByTestId('reset-all').click();
      await page
        .getByRole('status')
        .getByText(/Reset everything/)
        .waitFor();
      assert.equal(await page.locator('tr[data-payment]').count(), 0);
      assert.match((await page.getByTestId('payments').textContent()) ?? '', /No payments/);
    });
  });
});
