/**
 * The landing page at vippsRedirectUrl: its HTTP contract (headers, escaping, clear pages for
 * bad links, the neutral answer), then the customer's flows in a real browser (Debian's
 * chromium through playwright-core) against the real platform and a real local PSP site.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ERRORS } from '../src/domain/errors.js';
import { DESKTOP, launchBrowser, newContext, screenshot, withFailureShots } from './helpers/browser.js';
import { call, DEMO, PspApi, startTestPlatform, type TestPlatform } from './helpers/platform.js';
import { initiateForSite, PspSite, type StartedPayment } from './helpers/psp-site.js';

const NEUTRAL = ERRORS.USER_NOT_AVAILABLE.errorMessage;
const LANDING = '/dwo-api-application/v1/deeplink/vippsgateway';

type Started = StartedPayment;

describe('the landing page', () => {
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
  const stateOf = async (pspTransactionId: string) =>
    (await p.running.platform.repos.payments.findByPspTransactionId(DEMO.pspId, pspTransactionId))?.state;
  const advance = (seconds: number) =>
    call(`${p.url}/_emulator/clock/advance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ seconds }),
    });
  const postForm = (path: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${p.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
      redirect: 'manual',
    });

  describe('over HTTP', () => {
    it('shows the sales unit, the amount in kroner and the payment text, never framable, strict CSP, no-store', async () => {
      const s = await start({ customerMobileNumber: DEMO.user, amount: 123456, paymentText: 'Two pairs of <socks> & "shoes"' });
      assert.ok(s.url.startsWith(`${base}${LANDING}?v=2&token=`));
      const r = await call(`${p.url}${LANDING}?v=2&token=${s.token}`);
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type') ?? '', /^text\/html; charset=utf-8/);
      assert.equal(r.headers.get('x-frame-options'), 'DENY');
      const csp = r.headers.get('content-security-policy') ?? '';
      assert.match(csp, /frame-ancestors 'none'/);
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /script-src 'self'(;|$)/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      assert.equal(r.headers.get('cache-control'), 'no-store');
      assert.equal(r.headers.get('referrer-policy'), 'same-origin');
      assert.match(r.text, /Demo Shop/);
      assert.match(r.text, /1 234,56 kr/);
      assert.match(r.text, /Two pairs of &lt;socks&gt; &amp; &quot;shoes&quot;/);
      assert.doesNotMatch(r.text, /<socks>/);
      assert.match(r.text, /name="phoneNumber"[^>]*value="91234567"/);
      assert.doesNotMatch(r.text, /<script>|<style>|style="/, 'no inline script or style');
      // Everything the page loads is on this origin.
      for (const m of r.text.matchAll(/(?:src|href)="([^"]+)"/g)) assert.ok(m[1]?.startsWith('/'), `${m[1]} is not local`);
    });

    it('serves its script and stylesheet from the platform (no third party)', async () => {
      for (const [name, type] of [
        ['landing.js', /^text\/javascript/],
        ['live.js', /^text\/javascript/],
        ['vipps.css', /^text\/css/],
      ] as const) {
        const r = await call(`${p.url}/assets/${name}`);
        assert.equal(r.status, 200, name);
        assert.match(r.headers.get('content-type') ?? '', type);
        assert.doesNotMatch(r.text, /https?:\/\/(?!localhost)/, `${name} refers to no other host`);
      }
      assert.equal((await call(`${p.url}/assets/..%2Fpackage.json`)).status, 404);
      assert.equal((await call(`${p.url}/assets/nothing.js`)).status, 404);
    });

    it('gives a clear page for a broken, an expired and an already used link', async () => {
      const broken = await call(`${p.url}${LANDING}?v=2&token=not-a-token`);
      assert.equal(broken.status, 400);
      assert.match(broken.text, /This payment link is not valid/);
      assert.equal(broken.headers.get('x-frame-options'), 'DENY');
      const s = await start();
      const tampered = `${s.token.slice(0, -3)}${s.token.endsWith('AAA') ? 'BBB' : 'AAA'}`;
      assert.equal((await call(`${p.url}${LANDING}?v=2&token=${tampered}`)).status, 400);
      assert.equal((await call(`${p.url}${LANDING}?v=2`)).status, 400);

      const used = await start({ customerMobileNumber: DEMO.user });
      await p.running.platform.userActions.approve(
        (await p.running.platform.repos.payments.findByPspTransactionId(DEMO.pspId, used.id))?.id ?? '',
      );
      const usedPage = await call(`${p.url}${LANDING}?v=2&token=${used.token}`);
      assert.equal(usedPage.status, 410);
      assert.match(usedPage.text, /already been used/);
      assert.match(usedPage.text, /Payment approved/);

      const late = await start();
      await advance(301);
      const expired = await call(`${p.url}${LANDING}?v=2&token=${late.token}`);
      assert.equal(expired.status, 410);
      assert.match(expired.text, /(expired|already been used)/);
      // "Next" on it changes nothing; the page it leads back to says the link has expired.
      const next = await postForm(`${LANDING}/next`, { token: late.token, phoneNumber: DEMO.user });
      assert.equal(next.status, 303);
      assert.equal(await stateOf(late.id), 'EXPIRED');
      assert.deepEqual(site.statesFor(late.id), ['TIMEOUT']);
    });

    it('gives the same neutral message for an unknown number, a user under 15 and a blocked user, and pushes nothing', async () => {
      const texts: string[] = [];
      for (const phoneNumber of ['90000000', '92345678', '93456789']) {
        const s = await start();
        const r = await postForm(`${LANDING}/next`, { token: s.token, phoneNumber });
        assert.equal(r.status, 400);
        const text = await r.text();
        const message = /data-testid="error">([^<]*)</.exec(text)?.[1];
        texts.push(message ?? '');
        assert.equal(await stateOf(s.id), 'INITIATED');
        assert.equal(site.requestsFor(s.id).length, 0);
      }
      assert.deepEqual(texts, [NEUTRAL, NEUTRAL, NEUTRAL]);
      const s = await start();
      const bad = await postForm(`${LANDING}/next`, { token: s.token, phoneNumber: '123' });
      assert.equal(bad.status, 400);
      assert.match(await bad.text(), /8-digit/);
    });

    it('accepts +47 and spaces in the number and pushes to that user', async () => {
      const s = await start();
      const r = await postForm(`${LANDING}/next`, { token: s.token, phoneNumber: '+47 912 34 567' });
      assert.equal(r.status, 303);
      assert.equal(r.headers.get('location'), `${LANDING}?v=2&token=${encodeURIComponent(s.token)}`);
      assert.equal(await stateOf(s.id), 'AWAITING_USER');
    });

    it('refuses a form posted from another site', async () => {
      const s = await start();
      const r = await postForm(
        `${LANDING}/next`,
        { token: s.token, phoneNumber: DEMO.user },
        { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      );
      assert.equal(r.status, 403);
      const c = await postForm(`${LANDING}/cancel`, { token: s.token }, { origin: 'https://evil.example' });
      assert.equal(c.status, 403);
      assert.equal(await stateOf(s.id), 'INITIATED');
    });

    it('sends a phone straight to the app view of the payment', async () => {
      const s = await start();
      const r = await fetch(`${p.url}${LANDING}?v=2&token=${s.token}`, {
        headers: {
          'user-agent':
            String(DESKTOP.userAgent).replace('X11; Linux x86_64', 'iPhone; CPU iPhone OS 17_5 like Mac OS X') + ' Mobile/15E148',
        },
        redirect: 'manual',
      });
      assert.equal(r.status, 302);
      assert.equal(r.headers.get('location'), `/app/deeplink?token=${encodeURIComponent(s.token)}`);
    });

    it('streams the state and the platform time to the waiting screen', async () => {
      const s = await start({ customerMobileNumber: DEMO.user });
      await postForm(`${LANDING}/next`, { token: s.token, phoneNumber: DEMO.user });
      const controller = new AbortController();
      const res = await fetch(`${p.url}${LANDING}/events?token=${s.token}`, { signal: controller.signal });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      let text = '';
      while (!/event: tick/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
      controller.abort();
      const state = JSON.parse(/event: state\ndata: (.*)\n/.exec(text)?.[1] ?? '{}') as {
        state: string;
        dueAt: string;
        now: number;
        final: boolean;
      };
      assert.equal(state.state, 'AWAITING_USER');
      assert.equal(state.final, false);
      const payment = await p.running.platform.repos.payments.findByPspTransactionId(DEMO.pspId, s.id);
      assert.equal(state.dueAt, payment?.dueAt);
      assert.ok(Math.abs(state.now - p.clock.now()) < 5000);
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

    const appLogin = async (page: Page, phone: string = DEMO.user) => {
      await page.goto(`${base}/app`);
      await page.getByLabel('Phone number').fill(phone);
      await page.getByLabel('PIN').fill('1236');
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('heading', { name: 'Payment requests' }).waitFor();
    };
    const text = async (page: Page, testId: string) => ((await page.getByTestId(testId).first().textContent()) ?? '').trim();

    it('desktop: landing page → phone number → app login → Pay → the browser ends at pspRedirectUrl', async () => {
      const s = await start({ amount: 49900, paymentText: 'One pair of socks' });
      const desktop = await context();
      const phone = await context();
      await withFailureShots('desktop-flow', openPages, async () => {
        // The user's "phone": the app, logged in before the request exists.
        const app = await phone.newPage();
        await appLogin(app);
        const paymentId = (await p.running.platform.repos.payments.findByPspTransactionId(DEMO.pspId, s.id))?.id;
        assert.equal(await app.locator(`[data-payment-id="${paymentId}"]`).count(), 0);
        await app.evaluate('window.notReloaded = true');

        const landing = await desktop.newPage();
        await landing.goto(s.url);
        assert.equal(await text(landing, 'merchant-name'), 'Demo Shop');
        assert.equal(await text(landing, 'amount'), '499,00 kr');
        assert.equal(await text(landing, 'payment-text'), 'One pair of socks');
        const phoneField = landing.getByLabel('Phone number');
        assert.equal(await phoneField.inputValue(), '', 'no customerMobileNumber, nothing remembered');
        assert.equal(await landing.getByLabel('Remember my number in this browser').isChecked(), false, 'off by default');
        await screenshot(landing, 'landing-desktop');
        await phoneField.fill(DEMO.user);
        await landing.getByRole('button', { name: 'Next' }).click();
        await landing.getByTestId('status-title').filter({ hasText: 'Continue in the Vipps app' }).waitFor();
        assert.equal(await text(landing, 'phone'), '912 34 567');
        await landing.getByTestId('open-app-hint').waitFor();
        await landing
          .getByTestId('countdown')
          .filter({ hasText: /^[45]:\d\d$/ })
          .waitFor();
        await screenshot(landing, 'landing-waiting-desktop');

        // The push: the request appears in the app without a reload.
        const row = app.locator(`[data-testid="requests"] [data-payment-id="${paymentId}"]`);
        await row.waitFor();
        assert.equal(await app.evaluate('window.notReloaded'), true);
        assert.match((await row.textContent()) ?? '', /Demo Shop[\s\S]*499,00 kr[\s\S]*Waiting for you/);
        await row.click();
        await app.getByRole('button', { name: /^Pay 499,00 kr$/ }).waitFor();
        assert.equal(await text(app, 'merchant-name'), 'Demo Shop');
        assert.equal(await text(app, 'msn'), `#${DEMO.msn}`);
        assert.equal(await text(app, 'company-name'), 'Demo Shop AS');
        assert.equal(await text(app, 'payment-text'), 'One pair of socks');
        assert.equal(await text(app, 'order-id'), s.orderId);
        assert.equal(await text(app, 'amount'), '499,00 kr');
        await screenshot(app, 'app-payment-desktop');
        await app.getByRole('button', { name: /^Pay/ }).click();
        await app.getByTestId('result-title').filter({ hasText: 'Payment approved' }).waitFor();
        assert.equal(await app.getByTestId('back-to-shop').getAttribute('href'), s.resultUrl);

        // The landing page follows the payment and sends the browser to the shop.
        await landing.waitForURL(s.resultUrl);
        await landing.getByTestId('shop-result').waitFor();
        const [request, ...more] = site.requestsFor(s.id);
        assert.equal(more.length, 0);
        assert.equal(request?.body.paymentState, 'ACCEPTED');
        assert.equal(await stateOf(s.id), 'RESERVED');
      });
    });

    it('cancel on the landing page ends the payment as a user cancel and returns to the shop', async () => {
      const s = await start({ customerMobileNumber: DEMO.user });
      const desktop = await context();
      await withFailureShots('landing-cancel', openPages, async () => {
        const landing = await desktop.newPage();
        await landing.goto(s.url);
        assert.equal(await landing.getByLabel('Phone number').inputValue(), DEMO.user, 'pre-filled from customerMobileNumber');
        await landing.getByRole('button', { name: 'Next' }).click();
        await landing.getByTestId('status-title').filter({ hasText: 'Continue in the Vipps app' }).waitFor();
        await landing.getByRole('button', { name: 'Cancel payment' }).click();
        await landing.waitForURL(s.resultUrl);
        assert.equal(await stateOf(s.id), 'USER_CANCELLED');
        assert.deepEqual(site.statesFor(s.id), ['USER_CANCEL']);
        // The link is used up now.
        await landing.goto(s.url);
        await landing.getByTestId('used').waitFor();
        assert.equal(await text(landing, 'status-title'), 'Payment cancelled');
      });
    });

    it('remembers the number in this browser only when asked (off by default)', async () => {
      const desktop = await context();
      await withFailureShots('remember', openPages, async () => {
        const page = await desktop.newPage();
        const first = await start();
        await page.goto(first.url);
        const remember = page.getByLabel('Remember my number in this browser');
        assert.equal(await remember.isChecked(), false);
        await page.getByLabel('Phone number').fill('912 34 567');
        await remember.check();
        await page.getByRole('button', { name: 'Next' }).click();
        await page.getByTestId('status-title').filter({ hasText: 'Continue in the Vipps app' }).waitFor();

        const second = await start();
        await page.goto(second.url);
        assert.equal(await page.getByLabel('Phone number').inputValue(), DEMO.user, 'pre-filled from the remembered number');
        assert.equal(await remember.isChecked(), true);
        // customerMobileNumber wins over the remembered number.
        const other = await start({ customerMobileNumber: '94567890' });
        await page.goto(other.url);
        assert.equal(await page.getByLabel('Phone number').inputValue(), '94567890');

        // Another browser knows nothing.
        const fresh = await (await context()).newPage();
        await fresh.goto((await start()).url);
        assert.equal(await fresh.getByLabel('Phone number').inputValue(), '');

        // Unticking forgets it.
        await page.goto(second.url);
        await remember.uncheck();
        await page.getByRole('button', { name: 'Next' }).click();
        await page.getByTestId('status-title').filter({ hasText: 'Continue in the Vipps app' }).waitFor();
        await page.goto((await start()).url);
        assert.equal(await page.getByLabel('Phone number').inputValue(), '');
        assert.equal(await remember.isChecked(), false);
      });
    });

    it('gives an unknown number the neutral message and stays on the form', async () => {
      const s = await start();
      const desktop = await context();
      await withFailureShots('unknown-number', openPages, async () => {
        const page = await desktop.newPage();
        await page.goto(s.url);
        await page.getByLabel('Phone number').fill('90000000');
        await page.getByRole('button', { name: 'Next' }).click();
        const error = page.getByTestId('error');
        await error.waitFor();
        assert.equal((await error.textContent())?.trim(), NEUTRAL);
        assert.equal(await page.getByLabel('Phone number').getAttribute('aria-invalid'), 'true');
        assert.equal(await page.getByLabel('Phone number').inputValue(), '90000000');
        assert.equal(await stateOf(s.id), 'INITIATED');
        assert.equal(site.requestsFor(s.id).length, 0);
        await screenshot(page, 'landing-unknown-number');
      });
    });

    it("counts down to the engine's due time on the platform clock and shows the timeout", async () => {
      const s = await start({ customerMobileNumber: DEMO.user });
      const desktop = await context();
      await withFailureShots('countdown', openPages, async () => {
        const page = await desktop.newPage();
        await page.goto(s.url);
        await page.getByRole('button', { name: 'Next' }).click();
        const countdown = page.getByTestId('countdown');
        await countdown.filter({ hasText: /^\d:\d\d$/ }).waitFor();
        const seconds = (t: string) => {
          const [m, sec] = t.split(':').map(Number);
          return (m ?? 0) * 60 + (sec ?? 0);
        };
        const payment = await p.running.platform.repos.payments.findByPspTransactionId(DEMO.pspId, s.id);
        const expected = Math.ceil((Date.parse(payment?.dueAt ?? '') - p.clock.now()) / 1000);
        const shown = seconds((await countdown.textContent()) ?? '');
        assert.ok(Math.abs(shown - expected) <= 2, `shown ${shown}s, due in ${expected}s`);

        await advance(240); // the platform's clock moves: the page follows within a second or so
        await countdown.filter({ hasText: /^(0:5\d|1:00)$/ }).waitFor();
        assert.equal(await page.getByTestId('timeout').isVisible(), false);

        await advance(61);
        await page.getByTestId('status-title').filter({ hasText: 'Payment request expired' }).waitFor();
        assert.equal(await page.getByTestId('timeout').isVisible(), true);
        assert.equal(await text(page, 'countdown'), '0:00');
        assert.equal(await text(page, 'status-message'), 'The payment request expired.');
        await screenshot(page, 'landing-timeout');
        await page.waitForURL(s.resultUrl);
        assert.deepEqual(site.statesFor(s.id), ['TIMEOUT']);
      });
    });

    it('renders at phone size (a small window that is not a phone)', async () => {
      const s = await start({ customerMobileNumber: DEMO.user, paymentText: 'Concert ticket, row 12' });
      const small = await context({ ...DESKTOP, viewport: { width: 390, height: 844 } });
      await withFailureShots('landing-phone-size', openPages, async () => {
        const page = await small.newPage();
        await page.goto(s.url);
        await page.getByRole('button', { name: 'Next' }).waitFor();
        const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'));
        assert.ok(overflow <= 0, `no horizontal scrolling (${overflow}px)`);
        await screenshot(page, 'landing-phone');
      });
    });
  });
});
