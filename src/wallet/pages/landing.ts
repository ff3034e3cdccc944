/**
 * The landing page's views (psp-facts.md §2.4, §2.14): phone number entry with "remember my
 * number", the waiting screen with a countdown, the clear pages for an expired, used or broken
 * link. Rendered on the server; `public/landing.js` makes the waiting screen live.
 */
import { formatKroner } from '../../domain/money.js';
import type { Merchant } from '../../domain/parties.js';
import type { Payment } from '../../domain/payment.js';
import { awaitsUser, outcomeOf } from '../../domain/payment-lifecycle.js';
import { APP_PATH } from './app.js';
import { html, type SafeHtml } from './html.js';
import { brand, documentPage } from './layout.js';
import { formatCountdown, formatPhone, landingStatus } from './messages.js';

export const LANDING_PATH = '/dwo-api-application/v1/deeplink/vippsgateway';

export const landingUrl = (token: string): string => `${LANDING_PATH}?v=2&token=${encodeURIComponent(token)}`;

type Shown = Pick<Payment, 'amount' | 'paymentText'>;

function header(): SafeHtml {
  return html`<header class="topbar">${brand('Vipps')}</header>`;
}

function order(merchant: Pick<Merchant, 'name' | 'companyName'>, payment: Shown): SafeHtml {
  return html`<section class="order" aria-label="Payment details">
  <p class="merchant-name" data-testid="merchant-name">${merchant.name}</p>
  <p class="company-name">${merchant.companyName}</p>
  <p class="amount" data-testid="amount">${formatKroner(payment.amount)} kr</p>
  ${payment.paymentText ? html`<p class="payment-text" data-testid="payment-text">${payment.paymentText}</p>` : ''}
</section>`;
}

function shell(title: string, main: SafeHtml, scripts: readonly string[] = []): SafeHtml {
  return documentPage({ kind: 'landing', title, scripts, body: html`${header()}<main class="card">${main}</main>` });
}

export interface PhoneFormView {
  readonly merchant: Pick<Merchant, 'name' | 'companyName'>;
  readonly payment: Shown;
  readonly token: string;
  readonly phone: string;
  readonly remember: boolean;
  readonly error: string | null;
  readonly cancelAction: string;
}

export function phoneFormPage(v: PhoneFormView): SafeHtml {
  return shell(
    'Pay with Vipps',
    html`${order(v.merchant, v.payment)}
<h1>Pay with Vipps</h1>
<form method="post" action="${LANDING_PATH}/next" class="stack" novalidate>
  <input type="hidden" name="token" value="${v.token}">
  <label for="phoneNumber">Phone number</label>
  <div class="phone-field">
    <span class="prefix" aria-hidden="true">+47</span>
    <input id="phoneNumber" name="phoneNumber" type="tel" inputmode="numeric" autocomplete="tel-national"
      maxlength="20" value="${v.phone}" required aria-describedby="phone-help${v.error ? ' phone-error' : ''}"
      ${v.error ? html`aria-invalid="true"` : ''} autofocus>
  </div>
  <p id="phone-help" class="help">We send the payment request to the Vipps app on this phone.</p>
  ${v.error ? html`<p id="phone-error" class="error" role="alert" data-testid="error">${v.error}</p>` : ''}
  <label class="check"><input type="checkbox" name="remember" value="1" ${v.remember ? html`checked` : ''}> Remember my number in this browser</label>
  <button type="submit" class="primary">Next</button>
</form>
<form method="post" action="${v.cancelAction}" class="cancel-form">
  <input type="hidden" name="token" value="${v.token}">
  <button type="submit" class="link">Cancel payment</button>
</form>`,
  );
}

export interface WaitingView {
  readonly merchant: Pick<Merchant, 'name' | 'companyName'>;
  readonly payment: Payment;
  readonly token: string;
  readonly nowMs: number;
  /** Where the page sends the browser when the payment ends (null: stay, e.g. skipLandingPage). */
  readonly redirectUrl: string | null;
  readonly eventsUrl: string;
  readonly cancelAction: string;
}

export function waitingPage(v: WaitingView): SafeHtml {
  const status = landingStatus(v.payment);
  const dueMs = v.payment.dueAt ? Date.parse(v.payment.dueAt) : null;
  const counting = dueMs !== null && awaitsUser(v.payment.state);
  const cancellable = awaitsUser(v.payment.state);
  return shell(
    status.title,
    html`${order(v.merchant, v.payment)}
<section id="live" class="stack" data-events="${v.eventsUrl}" data-redirect="${v.redirectUrl ?? ''}"
  data-due-at="${v.payment.dueAt ?? ''}" data-now="${v.nowMs}" data-state="${v.payment.state}">
  <h1 data-testid="status-title">${status.title}</h1>
  ${v.payment.userPhone ? html`<p>We sent the payment request to <strong data-testid="phone">${formatPhone(v.payment.userPhone)}</strong>.</p>` : ''}
  <p data-testid="status-message" role="status" aria-live="polite">${status.message}</p>
  <div class="countdown" data-testid="countdown-box" ${counting ? '' : html`hidden`}>
    <p>Time left: <span class="timer" data-testid="countdown" aria-live="off">${counting && dueMs !== null ? formatCountdown(dueMs - v.nowMs) : ''}</span></p>
    <p class="timeout" data-testid="timeout" hidden>The time is up.</p>
  </div>
  ${
    cancellable
      ? // The real page opens the installed app here; the emulator's app is a web page: this payment's
        // screen in it (after logging in as the user), in a new tab so this screen keeps waiting.
        html`<p><a class="button primary" href="${APP_PATH}/payments/${v.payment.id}" target="_blank" rel="noopener" data-testid="open-app">Open Vipps</a></p>`
      : ''
  }
  <ol class="hint" data-testid="open-app-hint">
    <li>Open the Vipps app on your phone.</li>
    <li>Check the payment request and tap <strong>Pay</strong>.</li>
    <li>No notification? Open the app and pull down to refresh.</li>
  </ol>
  <p class="redirecting" data-testid="redirecting" hidden>Returning you to the shop…</p>
</section>
${
  cancellable
    ? html`<form method="post" action="${v.cancelAction}" class="cancel-form" data-testid="cancel-form">
  <input type="hidden" name="token" value="${v.token}">
  <button type="submit" class="link">Cancel payment</button>
</form>`
    : ''
}`,
    ['live.js', 'landing.js'],
  );
}

export interface FinishedView {
  readonly merchant: Pick<Merchant, 'name' | 'companyName'>;
  readonly payment: Payment;
  readonly shopUrl: string | null;
}

/** A link whose payment has ended: says how it ended; the link cannot be used again. */
export function finishedPage(v: FinishedView): SafeHtml {
  const status = landingStatus(v.payment);
  return shell(
    status.title,
    html`${order(v.merchant, v.payment)}
<h1 data-testid="status-title">${status.title}</h1>
<p data-testid="status-message">${status.message}</p>
<p data-testid="used">${
      outcomeOf(v.payment.state) === 'expired'
        ? 'This payment link has expired and cannot be used again.'
        : 'This payment link has already been used and cannot be used again.'
    }</p>
${v.shopUrl ? html`<p><a class="button" href="${v.shopUrl}" data-testid="back-to-shop">Back to ${v.merchant.name}</a></p>` : ''}`,
  );
}

/** An invalid or expired link, or an unknown payment. */
export function problemPage(title: string, message: string): SafeHtml {
  return shell(title, html`<h1 data-testid="problem-title">${title}</h1><p data-testid="problem-message">${message}</p>`);
}
