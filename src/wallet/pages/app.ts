/**
 * The simulated Vipps app's views (psp-facts.md §2.4, §2.6, §2.14, §2.15): log in with phone
 * number and PIN, the list of payment requests, the payment screen (sales unit, #MSN, company,
 * payment text, order id, amount, card choice, Pay / Cancel), the result, the 3-D Secure web
 * view, and the user's history. `public/app.js` makes the pages live.
 */
import { formatKroner } from '../../domain/money.js';
import { type Card, cardExpired, cardUsable, type Merchant } from '../../domain/parties.js';
import type { Payment, PaymentLogEntry } from '../../domain/payment.js';
import { awaitsPsp, isFinal, outcomeOf } from '../../domain/payment-lifecycle.js';
import { html, type SafeHtml } from './html.js';
import { brand, documentPage } from './layout.js';
import { appResultTitle, formatCountdown } from './messages.js';
import { type MoneyView, moneyView, movements } from './money-view.js';

export const APP_PATH = '/app';
export const TEST_PIN = '1236';

type MerchantInfo = Pick<Merchant, 'name' | 'companyName' | 'merchantSerialNumber'>;

export interface AppUser {
  readonly name: string;
  readonly phoneNumber: string;
}

function appShell(title: string, main: SafeHtml, options: { user?: AppUser; csrf?: string; scripts?: readonly string[] } = {}): SafeHtml {
  const { user, csrf } = options;
  return documentPage({
    kind: 'app',
    title: `${title} – Vipps MT`,
    scripts: options.scripts ?? [],
    body: html`<div class="phone">
<header class="appbar">
  <a href="${APP_PATH}" class="home-link">${brand('Vipps MT')}</a>
  ${
    user && csrf
      ? html`<form method="post" action="${APP_PATH}/logout" class="logout"><input type="hidden" name="csrf" value="${csrf}"><span class="who" data-testid="user-name">${user.name}</span> <button type="submit" class="link">Log out</button></form>`
      : ''
  }
</header>
<main class="app-main">${main}</main>
</div>`,
  });
}

export interface LoginView {
  readonly error: string | null;
  readonly next: string;
  readonly phone: string;
  /** Test users to pick from (test profile only), or empty. */
  readonly testUsers: readonly AppUser[];
}

export function loginPage(v: LoginView): SafeHtml {
  return appShell(
    'Log in',
    html`<h1>Log in</h1>
<form method="post" action="${APP_PATH}/login" class="stack" novalidate>
  <input type="hidden" name="next" value="${v.next}">
  <label for="phoneNumber">Phone number</label>
  <input id="phoneNumber" name="phoneNumber" type="tel" inputmode="numeric" autocomplete="username" maxlength="20" value="${v.phone}" required ${v.phone ? '' : html`autofocus`}>
  <label for="pin">PIN</label>
  <input id="pin" name="pin" type="password" inputmode="numeric" autocomplete="current-password" maxlength="4" required ${v.phone ? html`autofocus` : ''}>
  <p class="help">Test environment: every test user's PIN is <strong>${TEST_PIN}</strong>.</p>
  ${v.error ? html`<p class="error" role="alert" data-testid="error">${v.error}</p>` : ''}
  <button type="submit" class="primary">Log in</button>
</form>
${
  v.testUsers.length > 0
    ? html`<details class="test-users"><summary>Test users</summary><ul>${v.testUsers.map(
        (u) => html`<li><span class="mono">${u.phoneNumber}</span> ${u.name}</li>`,
      )}</ul></details>`
    : ''
}`,
  );
}

/**
 * One payment in the request list or the history: the sales unit, the payment text and the date
 * on the left; on the right the money as the user sees it (money-view.ts): the amount paid (or
 * reserved, or asked for), the refunded / released / still reserved totals, and the status.
 */
function paymentRow(p: Payment, merchant: MerchantInfo | undefined, timeZone: string): SafeHtml {
  const money = moneyView(p);
  return html`<li><a href="${APP_PATH}/payments/${p.id}" class="row" data-testid="payment-row" data-payment-id="${p.id}">
  <span class="row-main"><span class="row-title">${merchant?.name ?? p.merchantSerialNumber}</span>
  <span class="row-sub">${p.paymentText ?? p.merchantOrderId}</span>
  ${dateTime(p.createdAt, timeZone, 'row-date')}</span>
  <span class="row-side">${amountText(money, 'row-amount', 'history-amount')}
  ${money.lines.map((l) => html`<span class="row-line ${l.kind}" data-testid="history-line">${l.label} ${formatKroner(l.amount)} kr</span>`)}
  <span class="status ${money.status.tone}" data-testid="history-status">${money.status.label}</span></span>
</a></li>`;
}

/** The headline amount, with what it is in words for screen readers ("Paid: 100,00 kr"). */
function amountText(money: MoneyView, className: string, testId: string): SafeHtml {
  return html`<span class="${className} ${money.headline.kind}" data-testid="${testId}"><span class="sr-only">${money.headline.caption}: </span>${formatKroner(money.headline.amount)} kr</span>`;
}

/** A date and time in Oslo time, never broken over two lines. */
function dateTime(isoText: string, timeZone: string, className: string): SafeHtml {
  return html`<time class="${className}" datetime="${isoText}">${formatDateTime(isoText, timeZone)}</time>`;
}

export interface RequestsView {
  readonly pending: readonly Payment[];
  readonly merchants: ReadonlyMap<string, MerchantInfo>;
  readonly timeZone: string;
}

/** The list of payment requests waiting for the user (also served alone, for the live update). */
export function requestsFragment(v: RequestsView): SafeHtml {
  if (v.pending.length === 0) return html`<p class="empty" data-testid="no-requests">No payment requests right now.</p>`;
  return html`<ul class="rows" data-testid="requests">${v.pending.map((p) => paymentRow(p, v.merchants.get(p.merchantSerialNumber), v.timeZone))}</ul>`;
}

export interface HomeView extends RequestsView {
  readonly user: AppUser;
  readonly csrf: string;
  readonly history: readonly Payment[];
  readonly openError: string | null;
}

export function homePage(v: HomeView): SafeHtml {
  return appShell(
    'Payments',
    html`<section aria-labelledby="requests-title">
  <h1 id="requests-title">Payment requests</h1>
  <div id="requests" data-testid="requests-box" data-fragment="${APP_PATH}/requests" data-events="${APP_PATH}/events" aria-live="polite">${requestsFragment(v)}</div>
</section>
<section aria-labelledby="open-title" class="open-link">
  <h2 id="open-title">Open a payment link</h2>
  <form method="post" action="${APP_PATH}/open" class="inline">
    <input type="hidden" name="csrf" value="${v.csrf}">
    <label for="link" class="sr-only">Payment link (vippsMT://…)</label>
    <input id="link" name="link" type="text" placeholder="vippsMT://?token=…" autocomplete="off" spellcheck="false">
    <button type="submit">Open</button>
  </form>
  ${v.openError ? html`<p class="error" role="alert" data-testid="open-error">${v.openError}</p>` : ''}
</section>
<section aria-labelledby="history-title">
  <h2 id="history-title">History</h2>
  ${
    v.history.length === 0
      ? html`<p class="empty">No payments yet.</p>`
      : html`<ul class="rows" data-testid="history">${v.history.map((p) => paymentRow(p, v.merchants.get(p.merchantSerialNumber), v.timeZone))}</ul>`
  }
</section>`,
    { user: v.user, csrf: v.csrf, scripts: ['live.js', 'app.js'] },
  );
}

function cardLabel(card: Card): string {
  const brandName = card.brand === 'VISA' ? 'Visa' : 'Mastercard';
  // The seed's nickname first, as the real app shows the user's own name for a card.
  return card.nickname ? `${card.nickname} · ${brandName} •••• ${card.last4}` : `${brandName} •••• ${card.last4}`;
}

function cardNote(card: Card, today: string): string {
  if (cardExpired(card, today)) return `Expired ${card.expiryMonth}/${card.expiryYear.slice(-2)}`;
  if (!card.tokenEligible) return 'Cannot be used for payments';
  return `${card.type === 'CREDIT' ? 'Credit' : 'Debit'} · expires ${card.expiryMonth}/${card.expiryYear.slice(-2)}`;
}

export interface PaymentView {
  readonly user: AppUser;
  readonly csrf: string;
  readonly payment: Payment;
  readonly merchant: MerchantInfo;
  readonly cards: readonly Card[];
  /** Today's date (YYYY-MM-DD, Oslo) on the platform's clock: card expiry. */
  readonly today: string;
  readonly nowMs: number;
  readonly error: string | null;
  /** pspRedirectUrl when the app may send the user back (not for skipLandingPage). */
  readonly shopUrl: string | null;
  /** url3dSecure when it may be framed. */
  readonly frameUrl: string | null;
  /** The payment's PSP-visible log (reserved, captured, cancelled, refunded), for its movements. */
  readonly log: readonly PaymentLogEntry[];
  readonly timeZone: string;
}

function details(v: PaymentView): SafeHtml {
  const p = v.payment;
  // A reserved payment shows its money as it is now (paid, or still reserved), with what it is.
  const money = outcomeOf(p.state) === 'reserved' ? moneyView(p) : null;
  return html`<section class="payment-head" aria-label="Payment details">
  <h1 class="merchant-name" data-testid="merchant-name">${v.merchant.name}</h1>
  <p class="msn" data-testid="msn">#${v.merchant.merchantSerialNumber}</p>
  <p class="company-name" data-testid="company-name">${v.merchant.companyName}</p>
  ${money ? html`<p class="amount-caption" data-testid="amount-caption">${money.headline.caption}</p>` : ''}
  <p class="amount big" data-testid="amount">${formatKroner(money ? money.headline.amount : p.amount)} kr</p>
</section>
<dl class="facts">
  ${p.paymentText ? html`<dt>Payment text</dt><dd data-testid="payment-text">${p.paymentText}</dd>` : ''}
  <dt>Order id</dt><dd data-testid="order-id" class="mono">${p.merchantOrderId}</dd>
</dl>`;
}

function confirmForm(v: PaymentView): SafeHtml {
  const usable = v.cards.filter((c) => cardUsable(c, v.today));
  const chosen = usable.find((c) => c.isDefault) ?? usable[0];
  const dueMs = v.payment.dueAt ? Date.parse(v.payment.dueAt) : null;
  return html`<form method="post" action="${APP_PATH}/payments/${v.payment.id}/pay" class="stack" data-busy="pay">
  <input type="hidden" name="csrf" value="${v.csrf}">
  <fieldset class="cards">
    <legend>Pay with</legend>
    ${
      v.cards.length === 0
        ? html`<p class="empty">You have no cards.</p>`
        : v.cards.map((card) => {
            const ok = cardUsable(card, v.today);
            return html`<label class="card-option${ok ? '' : ' disabled'}" data-testid="card-option" data-card-id="${card.cardId}">
      <input type="radio" name="cardId" value="${card.cardId}" ${ok ? '' : html`disabled`} ${chosen?.cardId === card.cardId ? html`checked` : ''}>
      <span class="card-label">${cardLabel(card)}</span>
      <span class="card-note">${cardNote(card, v.today)}</span>
    </label>`;
          })
    }
  </fieldset>
  ${v.error ? html`<p class="error" role="alert" data-testid="error">${v.error}</p>` : ''}
  ${dueMs !== null ? html`<p class="due">Confirm within <span class="timer" data-testid="countdown">${formatCountdown(dueMs - v.nowMs)}</span></p>` : ''}
  <button type="submit" class="primary" ${usable.length === 0 ? html`disabled` : ''}>Pay ${formatKroner(v.payment.amount)} kr</button>
</form>
${cancelForm(v)}`;
}

function cancelForm(v: PaymentView): SafeHtml {
  return html`<form method="post" action="${APP_PATH}/payments/${v.payment.id}/cancel" class="cancel-form" data-busy="cancel">
  <input type="hidden" name="csrf" value="${v.csrf}">
  <button type="submit" class="secondary">Cancel</button>
</form>`;
}

function spinner(visible: boolean): SafeHtml {
  return html`<div class="busy" data-testid="spinner" role="status" ${visible ? '' : html`hidden`}>
  <span class="spinner" aria-hidden="true"></span><span>Processing the payment…</span>
</div>`;
}

function result(v: PaymentView): SafeHtml {
  const p = v.payment;
  const good = outcomeOf(p.state) === 'reserved';
  const money = good ? moneyView(p) : null;
  // Once the PSP moved money (captured, cancelled, refunded) its status is the news, not the approval.
  const title = money?.moved ? money.status.label : appResultTitle(p.state);
  // "Payment approved." under "Payment approved" says nothing new.
  const message = !money?.moved && p.userMessage && p.userMessage.replace(/\.$/, '') !== title ? p.userMessage : null;
  return html`<section class="result ${good ? 'ok' : 'bad'}" data-testid="result">
  <p class="result-icon" aria-hidden="true">${good ? '✓' : '!'}</p>
  <h2 data-testid="result-title">${title}</h2>
  ${message ? html`<p data-testid="result-message">${message}</p>` : ''}
</section>
${money ? moneySection(money, v) : ''}
${v.shopUrl ? html`<p><a class="button primary" href="${v.shopUrl}" data-testid="back-to-shop">Back to ${v.merchant.name}</a></p>` : ''}
<p><a class="button secondary" href="${APP_PATH}" data-testid="done">Done</a></p>`;
}

/** The money of a reserved payment: the totals, then every movement with its amount and date. */
function moneySection(money: MoneyView, v: PaymentView): SafeHtml {
  const list = movements(v.log);
  return html`<section class="money" aria-labelledby="money-title" data-testid="money">
  <h2 id="money-title">Money</h2>
  <dl class="money-summary">
    <div class="${money.headline.kind}"><dt>${money.headline.caption}</dt><dd data-testid="money-${money.headline.kind}">${formatKroner(money.headline.amount)} kr</dd></div>
    ${money.lines.map((l) => html`<div class="${l.kind}"><dt>${l.label}</dt><dd data-testid="money-${l.kind}">${formatKroner(l.amount)} kr</dd></div>`)}
  </dl>
  <h3 id="movements-title">Movements</h3>
  <ol class="movements" aria-labelledby="movements-title" data-testid="movements">${list.map(
    (m) => html`<li data-testid="movement" data-operation="${m.operation}">
    <span class="movement-label">${m.label}</span>
    <span class="movement-amount">${formatKroner(m.amount)} kr</span>
    ${dateTime(m.at, v.timeZone, 'movement-date')}
  </li>`,
  )}</ol>
</section>`;
}

function threeDs(v: PaymentView): SafeHtml {
  return html`<section class="threeds stack">
  <h2>Verify the payment</h2>
  <p>${v.payment.userMessage ?? 'Your bank needs to verify the payment.'}</p>
  ${
    v.frameUrl
      ? html`<iframe id="threeds-frame" class="webview" src="${v.frameUrl}" title="Card verification (3-D Secure)" data-testid="threeds-frame" referrerpolicy="no-referrer"></iframe>`
      : html`<p class="error" role="alert">The card verification page cannot be shown.</p>`
  }
</section>
${cancelForm(v)}`;
}

export function paymentPage(v: PaymentView): SafeHtml {
  const p = v.payment;
  const final = isFinal(p.state);
  let body: SafeHtml;
  switch (p.state) {
    case 'INITIATED':
    case 'AWAITING_USER':
      body = confirmForm(v);
      break;
    case 'CONFIRMING':
    case 'CONFIRMING_3DS':
      body = html``;
      break;
    case 'AWAITING_3DS':
      body = threeDs(v);
      break;
    default:
      body = result(v);
  }
  const processing = awaitsPsp(p.state);
  return appShell(
    appResultTitle(p.state),
    html`<div id="app-live" data-events="${APP_PATH}/events" data-payment="${p.id}" data-state="${p.state}" data-final="${final ? '1' : ''}"
  data-due-at="${p.dueAt ?? ''}" data-now="${v.nowMs}">
${details(v)}
${spinner(processing)}
${body}
</div>`,
    { user: v.user, csrf: v.csrf, scripts: ['live.js', 'app.js'] },
  );
}

/** A page of the app that says something went wrong or is not available. */
export function appProblemPage(title: string, message: string, user?: { user: AppUser; csrf: string }): SafeHtml {
  return appShell(
    title,
    html`<h1 data-testid="problem-title">${title}</h1><p data-testid="problem-message">${message}</p><p><a class="button secondary" href="${APP_PATH}">Back to the app</a></p>`,
    user ?? {},
  );
}

export function formatDateTime(isoText: string, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('nb-NO', {
    timeZone,
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  }).format(new Date(isoText));
  return parts.replace(',', '');
}
