/**
 * The simulated Vipps app at /app: login, CSRF and ownership over HTTP, then the user's flows in
 * a real browser (Debian's chromium through playwright-core) against the real platform and a
 * real local PSP site: cancel, a FAIL from the PSP, the 3-D Secure loop, a phone without the
 * landing page, an isApp deeplink, cards that cannot be used, and the history.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DESKTOP, launchBrowser, newContext, PHONE, screenshot, withFailureShots } from './helpers/browser.js';
import { eventually } from './helpers/eventually.js';
import { call, DEMO, initBody, PspApi, startTestPlatform, type TestPlatform, uid } from './helpers/platform.js';
import { failWith, initiateForSite, ok, PspSite, type StartedPayment, threeDs } from './helpers/psp-site.js';
import { gate, PspStub } from './helpers/psp-stub.js';

type Started = StartedPayment;

describe('the simulated app', () => {
  let p: TestPlatform;
  let api: PspApi;
  let site: PspSite;
  let base: string;

  before(async () => {
    site = await PspSite.start();
    p = await startTestPlatform();
    api = await PspApi.connect(p.url);
    base = p.running.platform.publicUrl();
  });
  after(async () => {
    await p.close();
    await site.close();
  });

  const start = (overrides: Record<string, unknown> = {}): Promise<Started> => initiateForSite(api, site, overrides);
  const paymentOf = async (pspTransactionId: string) => {
    const payment = await p.running.platform.repos.payments.findByPspTransactionId(DEMO.pspId, pspTransactionId);
    assert.ok(payment);
    return payment;
  };

  /** Logs in over HTTP; returns the session cookie and the CSRF token of the home page. */
  const httpLogin = async (phoneNumber: string = DEMO.user) => {
    const r = await fetch(`${p.url}/app/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ phoneNumber, pin: '1236', next: '/app' }).toString(),
      redirect: 'manual',
    });
    assert.equal(r.status, 303);
    const cookie = (r.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const home = await call(`${p.url}/app`, { headers: { cookie } });
    const csrf = /name="csrf" value="([^"]+)"/.exec(home.text)?.[1] ?? '';
    return { cookie, csrf, setCookie: r.headers.get('set-cookie') ?? '' };
  };
  const postForm = (path: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${p.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
      redirect: 'manual',
    });

  describe('over HTTP', () => {
    it('logs in with the test PIN 1236 only, with an HttpOnly SameSite=Lax session cookie', async () => {
      const wrong = await postForm('/app/login', { phoneNumber: DEMO.user, pin: '0000' });
      assert.equal(wrong.status, 401);
      assert.match(await wrong.text(), /Wrong phone number or PIN/);
      const unknown = await postForm('/app/login', { phoneNumber: '90000000', pin: '1236' });
      assert.equal(unknown.status, 401);
      const { setCookie, cookie } = await httpLogin();
      assert.match(setCookie, /^vipps_mt_session=[^;]+; Path=\/app; HttpOnly; SameSite=Lax/);
      const home = await call(`${p.url}/app`, { headers: { cookie } });
      assert.equal(home.status, 200);
      assert.match(home.text, /Kari Nordmann/);
      assert.equal(home.headers.get('x-frame-options'), 'DENY');
      const csp = home.headers.get('content-security-policy') ?? '';
      assert.match(csp, /frame-ancestors 'none'/);
      assert.match(csp, /frame-src http: https:/);
      assert.match(csp, /script-src 'self'(;|$)/);
      assert.equal(home.headers.get('cache-control'), 'no-store');
      // A tampered session is no session.
      const forged = cookie.replace(/.(?=\.)/, (c) => (c === 'A' ? 'B' : 'A'));
      const r = await fetch(`${p.url}/app`, { headers: { cookie: forged }, redirect: 'manual' });
      assert.equal(r.status, 303);
      assert.match(r.headers.get('location') ?? '', /^\/app\/login\?next=/);
    });

    it("refuses a post without the session's CSRF token or from another site, and another user's payment", async () => {
      const s = await start({ customerMobileNumber: DEMO.user });
      const kari = await httpLogin();
      const open = await fetch(`${p.url}/app/deeplink?token=${s.token}`, { headers: { cookie: kari.cookie }, redirect: 'manual' });
      assert.equal(open.status, 303);
      const payment = await paymentOf(s.id);
      assert.equal(payment.state, 'AWAITING_USER');
      assert.equal(open.headers.get('location'), `/app/payments/${payment.id}`);

      const noToken = await postForm(`/app/payments/${payment.id}/pay`, {}, { cookie: kari.cookie });
      assert.equal(noToken.status, 403);
      const crossSite = await postForm(
        `/app/payments/${payment.id}/pay`,
        { csrf: kari.csrf },
        { cookie: kari.cookie, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      );
      assert.equal(crossSite.status, 403);
      const eva = await httpLogin('94567890');
      const othersToken = await postForm(`/app/payments/${payment.id}/pay`, { csrf: eva.csrf }, { cookie: kari.cookie });
      assert.equal(othersToken.status, 403, "another session's token does not fit");
      const othersPayment = await call(`${p.url}/app/payments/${payment.id}`, { headers: { cookie: eva.cookie } });
      assert.equal(othersPayment.status, 404);
      const evaPays = await postForm(`/app/payments/${payment.id}/pay`, { csrf: eva.csrf }, { cookie: eva.cookie });
      assert.equal(evaPays.status, 404);
      assert.equal((await paymentOf(s.id)).state, 'AWAITING_USER');
      assert.equal(site.requestsFor(s.id).length, 0);
    });

    it('serves the https form of the vippsMT:// deeplink, and refuses a broken one', async () => {
      const s = await start({ isApp: true });
      assert.match(s.url, /^vippsMT:\/\/\?token=/);
      const { cookie } = await httpLogin();
      const r = await fetch(`${p.url}/app/deeplink?token=${s.token}`, { headers: { cookie }, redirect: 'manual' });
      assert.equal(r.status, 303);
      assert.equal((await paymentOf(s.id)).state, 'AWAITING_USER');
      const broken = await call(`${p.url}/app/deeplink?token=x.y.z`, { headers: { cookie } });
      assert.equal(broken.status, 400);
      assert.match(broken.text, /not valid/);
      // Not logged in: to the login, and back here after it.
      const anonymous = await fetch(`${p.url}/app/deeplink?token=${s.token}`, { redirect: 'manual' });
      assert.equal(anonymous.headers.get('location'), `/app/login?next=${encodeURIComponent(`/app/deeplink?token=${s.token}`)}`);
    });

    it('shows a skipLandingPage request at once, and offers no way back to the shop after it', async () => {
      const orderId = uid('order-');
      const body = initBody({
        merchantOrderId: orderId,
        makePaymentUrl: site.makePaymentUrl,
        customerMobileNumber: DEMO.user,
        skipLandingPage: true,
      });
      const r = await api.init(body, { 'Merchant-Serial-Number': DEMO.skipMsn });
      assert.equal(r.status, 200, r.text);
      const payment = await paymentOf(String(body.pspTransactionId));
      assert.equal(payment.state, 'AWAITING_USER');
      const { cookie } = await httpLogin();
      const requests = await call(`${p.url}/app/requests`, { headers: { cookie } });
      assert.match(requests.text, new RegExp(`data-payment-id="${payment.id}"`));
      assert.match(requests.text, /Demo Kiosk/);
      await p.running.platform.userActions.approve(payment.id);
      const page = await call(`${p.url}/app/payments/${payment.id}`, { headers: { cookie } });
      assert.match(page.text, /Payment approved/);
      assert.doesNotMatch(page.text, /back-to-shop/);
      assert.match(page.text, /#223344/);
    });

    it('lets the 3-D Secure return page be framed by the app only', async () => {
      const r = await call(`${p.url}/mobileintercept?transactionId=00000000-0000-0000-0000-000000000000&responsecode=OK`);
      const csp = r.headers.get('content-security-policy') ?? '';
      assert.match(csp, /frame-ancestors 'self'/);
      assert.equal(r.headers.get('x-frame-options'), 'SAMEORIGIN');
      // No inline style: the page uses the shared stylesheet only.
      assert.doesNotMatch(csp, /unsafe-inline/);
      assert.match(csp, /style-src 'self'(;|$)/);
      assert.match(r.text, /<link rel="stylesheet" href="\/assets\/vipps\.css">/);
      assert.doesNotMatch(r.text, /style=|<style/);
    });
  });

  describe('in a browser', () => {
    let browser: Browser;
    const contexts: BrowserContext[] = [];
    const external: string[] = [];
    before(async () => {
      browser = await launchBrowser();
    });
    after(async () => {
      await browser?.close();
      assert.deepEqual(external, [], 'the pages made no request to another host');
    });
    const context = async (options = DESKTOP) => {
      const c = await newContext(browser, options);
      c.on('request', (r) => {
        const host = new URL(r.url()).hostname;
        if (host !== 'localhost' && host !== '127.0.0.1') external.push(r.url());
      });
      contexts.push(c);
      return c;
    };
    const openPages = () => contexts.flatMap((c) => c.pages());
    afterEach(async () => {
      for (const c of contexts.splice(0)) await c.close();
    });
    const text = async (page: Page, testId: string) => ((await page.getByTestId(testId).first().textContent()) ?? '').trim();

    const login = async (page: Page, phone: string = DEMO.user) => {
      await page.getByLabel('Phone number').fill(phone);
      await page.getByLabel('PIN').fill('1236');
      await page.getByRole('button', { name: 'Log in' }).click();
    };
    /** Logs in and opens the payment through its deeplink (as the OS would open `vippsMT://`). */
    const openInApp = async (page: Page, s: Started, phone: string = DEMO.user) => {
      await page.goto(`${base}/app/deeplink?token=${s.token}`);
      await login(page, phone);
      await page.waitForURL(/\/app\/payments\//);
    };

    it('renders the 3-D Secure return page with its stylesheet and no CSP violation', async () => {
      const c = await context();
      const page = await c.newPage();
      const violations: string[] = [];
      page.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
      });
      const r = await page.goto(`${base}/mobileintercept?transactionId=00000000-0000-0000-0000-000000000000&responsecode=OK`);
      assert.equal(r?.status(), 404);
      assert.equal(await text(page, 'intercept-message'), 'This link is not valid.');
      // vipps.css applied: the page background and the card.
      assert.equal(await page.evaluate('getComputedStyle(document.body).backgroundColor'), 'rgb(246, 244, 242)');
      assert.equal(await page.evaluate(`getComputedStyle(document.querySelector('main.card')).backgroundColor`), 'rgb(255, 255, 255)');
      await screenshot(page, 'mobileintercept');
      assert.deepEqual(violations, []);
    });

    it('cancel in the app ends the payment as a user cancel', async () => {
      const s = await start({ customerMobileNumber: DEMO.user });
      const c = await context();
      await withFailureShots('app-cancel', openPages, async () => {
        const page = await c.newPage();
        await openInApp(page, s);
        await page.getByRole('button', { name: 'Cancel' }).click();
        await page.getByTestId('result-title').filter({ hasText: 'Payment cancelled' }).waitFor();
        assert.equal(await text(page, 'result-message'), 'You cancelled the payment.');
        assert.equal((await paymentOf(s.id)).state, 'USER_CANCELLED');
        assert.deepEqual(site.statesFor(s.id), ['USER_CANCEL']);
        assert.equal(await page.getByTestId('back-to-shop').getAttribute('href'), s.resultUrl);
      });
    });

    it("shows a spinner while makePayment is in flight, then the PSP's FAIL as a user message", async () => {
      const s = await start({ customerMobileNumber: DEMO.user });
      const held = gate(); // the PSP answers once the test has seen the spinner
      site.script(s.id, { ...failWith(s.id, 82, 'Refused by Issuer'), gate: held.promise });
      const c = await context();
      await withFailureShots('app-fail', openPages, async () => {
        const page = await c.newPage();
        await openInApp(page, s);
        assert.equal(await page.getByTestId('spinner').isVisible(), false);
        // Playwright's locators wait while the Pay post is pending, so the page reports the spinner itself.
        let spinnerShownAt = 0;
        await page.exposeFunction('reportSpinner', () => {
          spinnerShownAt ||= Date.now();
        });
        await page.evaluate(`new MutationObserver(() => {
          const s = document.querySelector('[data-testid="spinner"]');
          if (s && !s.hidden && s.getBoundingClientRect().height > 0) window.reportSpinner();
        }).observe(document.body, { attributes: true, subtree: true })`);
        // The click waits for the form post's navigation, which waits for the PSP: not awaited yet.
        const clicked = page.getByRole('button', { name: /^Pay/ }).click();
        await eventually(
          () => spinnerShownAt,
          (at) => at > 0,
          'the spinner shown while the PSP holds its answer',
        );
        const answeredAt = Date.now();
        held.open();
        await clicked;
        await page.getByTestId('result-title').filter({ hasText: 'Payment failed' }).waitFor();
        assert.equal(await text(page, 'result-message'), 'Your bank refused the payment. Contact your bank or try another card.');
        assert.equal((await paymentOf(s.id)).state, 'FAILED');
        assert.deepEqual(site.statesFor(s.id), ['ACCEPTED']);
        assert.ok(spinnerShownAt > 0 && spinnerShownAt < answeredAt, 'the spinner showed while the PSP had not answered');
        await screenshot(page, 'app-fail');
      });
    });

    it('shows a payment that is being confirmed with a spinner, and its result when the PSP answers', async () => {
      const s = await start({ customerMobileNumber: DEMO.user });
      const held = gate(); // the PSP answers once the test has seen the CONFIRMING screen
      site.script(s.id, { ...ok(s.id), gate: held.promise });
      const c = await context();
      await withFailureShots('app-confirming', openPages, async () => {
        const page = await c.newPage();
        await openInApp(page, s);
        const approving = p.running.platform.userActions.approve((await paymentOf(s.id)).id); // Pay from another device
        await page.getByTestId('spinner').waitFor({ state: 'visible' }); // the push reloads the screen
        assert.equal((await paymentOf(s.id)).state, 'CONFIRMING');
        await screenshot(page, 'app-spinner');
        held.open();
        await page.getByTestId('result-title').filter({ hasText: 'Payment approved' }).waitFor();
        assert.equal((await approving).payment.state, 'RESERVED');
      });
    });

    it('runs 3-D Secure in the app view: SOFT_DECLINE → the PSP page → Complete → RESERVED', async () => {
      const s = await start({ customerMobileNumber: DEMO.user });
      site.script(s.id, threeDs(), ok(s.id));
      const c = await context();
      await withFailureShots('app-3ds', openPages, async () => {
        const page = await c.newPage();
        await openInApp(page, s);
        await page.getByRole('button', { name: /^Pay/ }).click();
        await page.getByRole('heading', { name: 'Verify the payment' }).waitFor();
        const frame = page.frameLocator('[data-testid="threeds-frame"]');
        await frame.getByRole('button', { name: 'Complete' }).waitFor();
        assert.equal((await paymentOf(s.id)).state, 'AWAITING_3DS');
        await screenshot(page, 'app-3ds');
        await frame.getByRole('button', { name: 'Complete' }).click();
        await page.getByTestId('result-title').filter({ hasText: 'Payment approved' }).waitFor();
        assert.equal((await paymentOf(s.id)).state, 'RESERVED');
        assert.deepEqual(site.statesFor(s.id), ['ACCEPTED', 'ACCEPTED']);
        assert.equal(await page.getByTestId('threeds-frame').count(), 0, 'the web view is closed');
      });
    });

    it('phone: vippsRedirectUrl opens the app directly (no landing page), Pay, back to the shop', async () => {
      const s = await start({ customerMobileNumber: DEMO.user, paymentText: 'Coffee and a bun' });
      const c = await context(PHONE);
      await withFailureShots('phone-flow', openPages, async () => {
        const page = await c.newPage();
        await page.goto(s.url);
        await page.waitForURL(/\/app\/login\?next=/);
        assert.equal(await page.getByRole('button', { name: 'Next' }).count(), 0, 'no landing page');
        await screenshot(page, 'app-login-phone');
        await login(page);
        await page.waitForURL(/\/app\/payments\//);
        await page.getByRole('button', { name: /^Pay 499,00 kr$/ }).waitFor();
        assert.equal(await text(page, 'payment-text'), 'Coffee and a bun');
        const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'));
        assert.ok(overflow <= 0, `no horizontal scrolling (${overflow}px)`);
        await screenshot(page, 'app-payment-phone');
        await page.getByRole('button', { name: /^Pay/ }).click();
        await page.getByTestId('result-title').filter({ hasText: 'Payment approved' }).waitFor();
        await screenshot(page, 'app-result-phone');
        await page.getByTestId('back-to-shop').click();
        await page.waitForURL(s.resultUrl);
        assert.deepEqual(site.statesFor(s.id), ['ACCEPTED']);
      });
    });

    it('opens an isApp deeplink (vippsMT://…) pasted into the app', async () => {
      const s = await start({ isApp: true });
      const c = await context();
      await withFailureShots('deeplink', openPages, async () => {
        const page = await c.newPage();
        await page.goto(`${base}/app`);
        await login(page);
        await page.getByLabel('Payment link (vippsMT://…)').fill('not a link');
        await page.getByRole('button', { name: 'Open' }).click();
        await page.getByTestId('open-error').waitFor();
        await page.getByLabel('Payment link (vippsMT://…)').fill(s.url);
        await page.getByRole('button', { name: 'Open' }).click();
        await page.waitForURL(/\/app\/payments\//);
        assert.equal(await text(page, 'order-id'), s.orderId);
        await page.getByRole('button', { name: /^Pay/ }).click();
        await page.getByTestId('result-title').filter({ hasText: 'Payment approved' }).waitFor();
        assert.equal((await paymentOf(s.id)).state, 'RESERVED');
      });
    });

    it('shows expired and non-eligible cards without letting them be chosen, and "card not eligible" from the token service', async () => {
      const c = await context();
      await withFailureShots('cards', openPages, async () => {
        const eva = await c.newPage();
        const s1 = await start({ customerMobileNumber: '94567890' });
        await openInApp(eva, s1, '94567890');
        const option = eva.getByTestId('card-option');
        assert.equal(await option.count(), 1);
        assert.match((await option.textContent()) ?? '', /Visa •••• 9999[\s\S]*Expired 01\/24/);
        assert.equal(await option.locator('input').isDisabled(), true);
        assert.equal(await eva.getByRole('button', { name: /^Pay/ }).isDisabled(), true);
        await c.clearCookies();

        const nils = await c.newPage();
        const s2 = await start({ customerMobileNumber: '95678901' });
        await openInApp(nils, s2, '95678901');
        assert.match((await nils.getByTestId('card-option').textContent()) ?? '', /Mastercard •••• 2468[\s\S]*Cannot be used for payments/);
        assert.equal(await nils.getByTestId('card-option').locator('input').isDisabled(), true);
        await c.clearCookies();

        const kari = await c.newPage();
        const s3 = await start({ customerMobileNumber: DEMO.user, amount: 3100 });
        await openInApp(kari, s3);
        await kari.getByRole('button', { name: /^Pay/ }).click();
        await kari.getByTestId('error').waitFor();
        assert.match(await text(kari, 'error'), /^Card not eligible/);
        assert.equal((await paymentOf(s3.id)).state, 'AWAITING_USER');
        assert.equal(site.requestsFor(s3.id).length, 0);
      });
    });

    it('shows in the history the money the PSP moved with updatestatus: paid, released, refunded, with each movement', async () => {
      // The real path: init over HTTP, reserve through the control API (makePayment answered OK
      // by a PSP stub), then capture / cancel / refund with POST updatestatus over HTTP. The test
      // profile's schedule is `immediate`: each batch is applied right after the answer.
      const stub = await PspStub.start();
      try {
        const user = '97531864';
        const added = await call(`${p.url}/_emulator/users`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            phoneNumber: user,
            name: 'Hanne Historikk',
            birthDate: '1988-08-08',
            cards: [
              { id: 'hanne-visa', brand: 'VISA', type: 'DEBIT', bin: '492556', last4: '7777', expiryMonth: '10', expiryYear: '2032' },
            ],
          }),
        });
        assert.equal(added.status, 201, added.text);
        let psp = await PspApi.connect(p.url);
        const reserve = async (amount: number, paymentText: string, answer: 'OK' | 'FAIL' = 'OK') => {
          const body = initBody({ amount, paymentText, makePaymentUrl: stub.url, customerMobileNumber: user });
          const id = String(body.pspTransactionId);
          assert.equal((await psp.init(body)).status, 200);
          if (answer === 'FAIL') stub.script(id, failWith(id, 89, 'Insufficient funds'));
          const approved = await call<{ state: string }>(`${p.url}/_emulator/payments/${id}/approve`, {
            method: 'POST',
            headers: { 'Psp-Id': DEMO.pspId, 'Content-Type': 'application/json' },
            body: '{}',
          });
          assert.equal(approved.json.state, answer === 'OK' ? 'RESERVED' : 'FAILED', approved.text);
          return { id, paymentId: (await paymentOf(id)).id };
        };
        /** POST updatestatus, then the immediate batch job has applied the batch, every item. */
        const updateStatus = async (transactions: Record<string, unknown>[]) => {
          const r = await psp.post('/psp/v3/psppayments/updatestatus', { transactions });
          assert.equal(r.status, 200, r.text);
          assert.deepEqual(r.json, { responseInfo: { responseCode: '9000', responseMessage: 'SUCCESS' } });
          // The schedule (immediate) applies it after the answer; idle() returns once that ran.
          await p.running.platform.idle();
          const batches = await call<{ batches: { state: string; counts: { applied: number; rejected: number } }[] }>(
            `${p.url}/_emulator/status-batches?limit=1`,
            { headers: { 'Psp-Id': psp.creds.pspId } },
          );
          const [batch] = batches.json.batches;
          assert.equal(batch?.state, 'APPLIED', batches.text);
          assert.deepEqual([batch.counts.applied, batch.counts.rejected], [transactions.length, 0], batches.text);
        };
        /** A day passes on the platform's clock (so the movements have different dates); a new token. */
        const nextDay = async () => {
          const r = await call(`${p.url}/_emulator/clock/advance`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ seconds: 86_400 }),
          });
          assert.equal(r.status, 200, r.text);
          psp = await PspApi.connect(p.url);
        };

        const reserved = await reserve(10000, 'Reserved only');
        const paid = await reserve(10000, 'Paid in full');
        const partly = await reserve(10000, 'Partly shipped');
        const cancelled = await reserve(10000, 'Cancelled order');
        const refunded = await reserve(10000, 'Returned in full');
        // The audit's example: reserved 200 kr, captured 100, cancelled (releases 100), refunded 40.
        const example = await reserve(20000, 'Two pairs of socks');
        const failed = await reserve(5000, 'Declined card', 'FAIL');

        const capture = (id: string, amount: number) => ({ pspTransactionId: id, status: 'CAPTURED', amount });
        await updateStatus([capture(paid.id, 10000), capture(partly.id, 4000), capture(refunded.id, 10000), capture(example.id, 10000)]);
        await nextDay();
        await updateStatus([
          { pspTransactionId: cancelled.id, status: 'CANCELLED', amount: 10000 },
          { pspTransactionId: example.id, status: 'CANCELLED', amount: 20000 },
        ]);
        await nextDay();
        await updateStatus([
          { pspTransactionId: refunded.id, status: 'REFUNDED', amount: 10000 },
          { pspTransactionId: example.id, status: 'REFUNDED', amount: 4000 },
        ]);
        const summary = (await psp.details(example.id)).json.transactionSummary;
        assert.deepEqual(summary, {
          capturedAmount: 10000,
          remainingAmountToCapture: 0,
          refundedAmount: 4000,
          remainingAmountToRefund: 6000,
        });

        // Each row: the status, the headline amount (with what it is, for screen readers), and the
        // refunded / released / still reserved totals.
        const expected: [typeof reserved, string, string, string[]][] = [
          [reserved, 'Reserved', 'Reserved: 100,00 kr', []],
          [paid, 'Paid', 'Paid: 100,00 kr', []],
          [partly, 'Partially paid', 'Paid: 40,00 kr', ['Still reserved 60,00 kr']],
          [cancelled, 'Cancelled', 'Released: 100,00 kr', []],
          [refunded, 'Refunded', 'Paid: 100,00 kr', ['Refunded 100,00 kr']],
          [example, 'Partially refunded', 'Paid: 100,00 kr', ['Refunded 40,00 kr', 'Released 100,00 kr']],
          [failed, 'Failed', 'Not paid: 50,00 kr', []],
        ];
        const c = await context();
        await withFailureShots('history', openPages, async () => {
          const page = await c.newPage();
          await page.goto(`${base}/app`);
          await login(page, user);
          await page.getByTestId('history').waitFor();
          for (const [payment, label, amount, lines] of expected) {
            const row = page.locator(`[data-testid="history"] [data-payment-id="${payment.paymentId}"]`);
            assert.equal((await row.getByTestId('history-status').textContent())?.trim(), label, payment.id);
            assert.equal((await row.getByTestId('history-amount').textContent())?.trim(), amount, payment.id);
            assert.deepEqual(
              (await row.getByTestId('history-line').allTextContents()).map((t) => t.trim()),
              lines,
              payment.id,
            );
          }
          // Every row's date is on one line, and every row wraps the same way.
          const dateHeights = await page
            .locator('[data-testid="history"] .row-date')
            .evaluateAll((els) => els.map((e) => e.getBoundingClientRect().height));
          assert.equal(new Set(dateHeights).size, 1, `date heights ${dateHeights.join(', ')}`);
          await screenshot(page, 'app-history');

          await page.locator(`[data-testid="history"] [data-payment-id="${example.paymentId}"]`).click();
          await page.getByTestId('result-title').filter({ hasText: 'Partially refunded' }).waitFor();
          assert.equal(await text(page, 'amount-caption'), 'Paid');
          assert.equal(await text(page, 'amount'), '100,00 kr');
          assert.equal(await text(page, 'money-paid'), '100,00 kr');
          assert.equal(await text(page, 'money-refunded'), '40,00 kr');
          assert.equal(await text(page, 'money-released'), '100,00 kr');
          const movements = page.getByTestId('movement');
          const rows: string[][] = [];
          for (let i = 0; i < (await movements.count()); i++) {
            const m = movements.nth(i);
            rows.push([
              (await m.getAttribute('data-operation')) ?? '',
              ((await m.locator('.movement-label').textContent()) ?? '').trim(),
              ((await m.locator('.movement-amount').textContent()) ?? '').trim(),
            ]);
          }
          assert.deepEqual(rows, [
            ['RESERVED', 'Reserved', '200,00 kr'],
            ['CAPTURED', 'Captured', '100,00 kr'],
            ['CANCELLED', 'Released', '100,00 kr'],
            ['REFUNDED', 'Refunded', '40,00 kr'],
          ]);
          // Each with its date (Oslo time), a day apart as the clock was advanced.
          const dates = await movements.locator('time').evaluateAll((els) => els.map((e) => [e.getAttribute('datetime'), e.textContent]));
          const days = dates.map(([at]) => Math.floor(Date.parse(at ?? '') / 86_400_000));
          assert.deepEqual(
            days.map((d) => d - (days[0] ?? 0)),
            [0, 0, 1, 2],
          );
          for (const [, shown] of dates) assert.match(shown ?? '', /^\d\d\.\d\d\.\d{4} \d\d:\d\d$/);
          await screenshot(page, 'app-history-payment');

          const phone = await (await context(PHONE)).newPage();
          await phone.goto(`${base}/app`);
          await login(phone, user);
          await phone.getByTestId('history').waitFor();
          const phoneDates = await phone
            .locator('[data-testid="history"] .row-date')
            .evaluateAll((els) => els.map((e) => e.getBoundingClientRect().height));
          assert.equal(new Set(phoneDates).size, 1, `phone date heights ${phoneDates.join(', ')}`);
          await screenshot(phone, 'app-history-phone');

          const failedRow = page.locator(`[data-testid="history"] [data-payment-id="${failed.paymentId}"]`);
          await page.goto(`${base}/app`);
          await failedRow.click();
          await page.getByTestId('result-title').filter({ hasText: 'Payment failed' }).waitFor();
          assert.equal(await text(page, 'result-message'), 'There is not enough money in the account. Try another card.');
          assert.equal(await page.getByTestId('money').count(), 0, 'a failed payment moved no money');
        });
      } finally {
        await stub.close();
      }
    });
  });
});
