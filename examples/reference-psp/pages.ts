/**
 * The reference PSP's server-rendered pages: the shop, its order page, the 3-D Secure page the
 * PSP hosts, and the back office. Every interpolated value goes through `esc`.
 */
import type { PaymentDetailsRepresentation } from '../../src/client/index.js';
import { type LedgerEntry, moneyStatus, type Order, remainingToCapture, remainingToRefund, unconfirmed } from './orders.js';

const RETRY_ACTION: Record<LedgerEntry['status'], string> = { CAPTURED: 'capture', CANCELLED: 'cancel', REFUNDED: 'refund' };

export const esc = (value: unknown): string => String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** 49900 → `499,00 kr` (as the Vipps pages show it). */
export const kr = (ore: number): string => `${Math.trunc(ore / 100)},${String(ore % 100).padStart(2, '0')} kr`;

/** `299,40` / `299.4` / `299` → øre; null when it is not an amount. */
export function parseKr(text: string): number | null {
  const m = /^\s*(\d{1,8})(?:[.,](\d{1,2}))?\s*(kr)?\s*$/i.exec(text);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? '0').padEnd(2, '0'));
}

export const PRODUCT = { id: 'socks', name: 'One pair of Vipps socks', priceOre: 49900 } as const;

const STYLE = `body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{color:#ff5b24}table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:.3rem .6rem;text-align:left}
.card{border:1px solid #ddd;border-radius:.5rem;padding:1rem;margin:1rem 0}button{padding:.5rem 1rem;cursor:pointer}
.vipps{background:#ff5b24;color:#fff;border:0;border-radius:.3rem;font-weight:600}.note{color:#666;font-size:.9rem}
.message{background:#fff3cd;padding:.5rem}form.inline{display:inline-block;margin-right:1rem}`;

export function layout(title: string, body: string, head = ''): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${STYLE}</style>${head}</head><body>${body}</body></html>`;
}

export function shopPage(): string {
  return layout(
    'Sock Shop',
    `<h1>Sock Shop</h1>
<div class="card" data-testid="product">
  <h2>${esc(PRODUCT.name)}</h2>
  <p>Warm, orange, and paid for with Vipps. <strong data-testid="price">${kr(PRODUCT.priceOre)}</strong></p>
  <form method="post" action="/checkout"><input type="hidden" name="product" value="${PRODUCT.id}">
  <button class="vipps" type="submit">Pay with Vipps</button></form>
</div>
<div class="card">
  <h2>Try the acquirer</h2>
  <p class="note">The reference PSP's simulated acquirer decides by the amount's last two digits (øre):
  <code>,11</code> asks for 3-D Secure, <code>,82</code> is refused by the issuer, <code>,86</code> expired card,
  <code>,89</code> insufficient funds (also 71, 72, 81–84, 87, 88, 91, 94), <code>,85</code> is too slow and
  answered "Response received too late"; anything else is approved.</p>
  <form method="post" action="/checkout"><label>Amount in kr <input name="amount" value="100,82" size="10"></label>
  <button class="vipps" type="submit">Pay with Vipps</button></form>
</div>
<p><a href="/backoffice">Back office</a></p>`,
  );
}

const STATE_TEXT: Record<Order['state'], string> = {
  PENDING: 'Waiting for the payment…',
  AWAITING_3DS: 'Waiting for the card verification…',
  RESERVED: 'Payment confirmed',
  FAILED: 'Payment failed',
  CANCELLED: 'Payment cancelled',
};

export const stateText = (o: Order): string => STATE_TEXT[o.state];

/**
 * The order page (the payment's `pspRedirectUrl`). It never trusts having been redirected here:
 * it asks the shop's backend for the order's state until the outcome is known (the customer may
 * never arrive, or arrive before the outcome, or in another browser).
 */
export function orderPage(o: Order): string {
  const api = `/api/orders/${encodeURIComponent(o.merchantOrderId)}`;
  return layout(
    `Order ${o.merchantOrderId}`,
    `<h1>Sock Shop</h1>
<div class="card"><h2>Order <span data-testid="order-id">${esc(o.merchantOrderId)}</span></h2>
<p>${esc(o.product)}, <span data-testid="order-amount">${kr(o.amountOre)}</span></p>
<p><strong data-testid="order-status" data-state="${o.state}">${esc(stateText(o))}</strong>
<span data-testid="order-reason">${esc(o.reason ?? '')}</span></p>
<p class="note" data-testid="vipps-summary"></p></div>
<p><a href="/">Back to the shop</a> · <a href="/backoffice/orders/${encodeURIComponent(o.merchantOrderId)}">Back office</a></p>
<script>
(function () {
  var TEXT = ${JSON.stringify(STATE_TEXT)};
  var status = document.querySelector('[data-testid="order-status"]');
  var reason = document.querySelector('[data-testid="order-reason"]');
  var summary = document.querySelector('[data-testid="vipps-summary"]');
  function kr(ore) { return Math.trunc(ore / 100) + ',' + String(ore % 100).padStart(2, '0') + ' kr'; }
  function poll() {
    fetch(${JSON.stringify(api)}, { headers: { accept: 'application/json' } })
      .then(function (r) { return r.json(); })
      .then(function (o) {
        status.textContent = TEXT[o.state]; status.setAttribute('data-state', o.state);
        reason.textContent = o.reason || '';
        if (o.vipps) summary.textContent = 'Vipps reports ' + kr(o.vipps.remainingAmountToCapture) + ' to capture, '
          + kr(o.vipps.capturedAmount) + ' captured, ' + kr(o.vipps.refundedAmount) + ' refunded.';
        if (o.state === 'PENDING' || o.state === 'AWAITING_3DS') setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  poll();
})();
</script>`,
  );
}

/** The PSP's 3-D Secure page, opened by the Vipps app in its web view (psp-facts.md §2.6). */
export function threeDsPage(o: Order): string {
  const base = `/3ds/${encodeURIComponent(o.pspTransactionId)}`;
  return layout(
    'Demo Bank — 3-D Secure',
    `<h1>Demo Bank</h1><p>Confirm the payment of <strong>${kr(o.amountOre)}</strong> to Sock Shop
(card verification, 3-D Secure).</p>
<form class="inline" method="post" action="${base}/complete"><button type="submit">Complete</button></form>
<form class="inline" method="post" action="${base}/cancel"><button type="submit">Cancel</button></form>
<form class="inline" method="post" action="${base}/fail"><button type="submit">Fail verification</button></form>`,
  );
}

export function messagePage(title: string, message: string): string {
  return layout(title, `<h1>${esc(title)}</h1><p class="message">${esc(message)}</p><p><a href="/">Back to the shop</a></p>`);
}

export function backOfficeList(orders: readonly Order[]): string {
  const rows = orders
    .map(
      (
        o,
      ) => `<tr data-order-id="${esc(o.merchantOrderId)}"><td><a href="/backoffice/orders/${encodeURIComponent(o.merchantOrderId)}">${esc(o.merchantOrderId)}</a></td>
<td>${kr(o.amountOre)}</td><td data-testid="state" data-state="${o.state}">${esc(moneyStatus(o))}</td><td>${kr(o.capturedOre)}</td><td>${kr(o.refundedOre)}</td></tr>`,
    )
    .join('');
  return layout(
    'Back office',
    `<h1>Back office</h1><table data-testid="orders"><tr><th>Order</th><th>Amount</th><th>Status</th><th>Captured</th><th>Refunded</th></tr>${rows}</table>
<p><a href="/">Shop</a></p>`,
  );
}

export function backOfficeOrder(o: Order, vipps: PaymentDetailsRepresentation | string | null, message: string | null): string {
  const path = `/backoffice/orders/${encodeURIComponent(o.merchantOrderId)}`;
  const history = o.ledger
    .map((e) => {
      const last = e.attempts.at(-1);
      const tries = e.attempts.length > 1 ? ` (attempt ${e.attempts.length})` : '';
      return `<tr data-outcome="${e.outcome}"><td>${esc(last?.at ?? '')}</td><td>${esc(e.status)}</td><td>${kr(e.amountOre)}</td><td>${esc(last?.result ?? '')}${tries}</td><td><code>${esc(e.idempotencyKey)}</code></td></tr>`;
    })
    .join('');
  const pending = unconfirmed(o);
  const retry = pending
    ? `<p class="message">${esc(pending.status)} ${kr(pending.amountOre)} got no answer from Vipps.
<form class="inline" method="post" action="${path}/${RETRY_ACTION[pending.status]}"><input type="hidden" name="amount" value="${esc(kr(pending.amountOre).replace(' kr', ''))}">
<button type="submit">Retry ${esc(pending.status)} ${kr(pending.amountOre)}</button></form> (same Idempotency-Key: Vipps cannot apply it twice)</p>`
    : '';
  // While an operation has no answer, the only thing to send is that operation again.
  const canCapture = !pending && remainingToCapture(o) > 0;
  const canRefund = !pending && remainingToRefund(o) > 0;
  const canCancel = o.state === 'PENDING' || o.state === 'AWAITING_3DS' || canCapture;
  let vippsView = '<p class="note">Not asked (nothing to show before the outcome).</p>';
  if (typeof vipps === 'string') vippsView = `<p class="message">${esc(vipps)}</p>`;
  else if (vipps) {
    const s = vipps.transactionSummary;
    const log = vipps.transactionLogHistory
      .map(
        (e) =>
          `<tr><td>${esc(e.timeStamp)}</td><td>${esc(e.operation)}</td><td>${kr(e.amount)}</td><td>${e.operationSuccess ? 'yes' : 'no'}</td><td>${esc(e.paymentText ?? '')}</td></tr>`,
      )
      .join('');
    vippsView = `${
      s
        ? `<p data-testid="vipps-summary">Captured ${kr(s.capturedAmount)}, remaining to capture ${kr(s.remainingAmountToCapture)}, refunded ${kr(s.refundedAmount)}, remaining to refund ${kr(s.remainingAmountToRefund)}</p>`
        : ''
    }<table data-testid="vipps-log"><tr><th>Time</th><th>Operation</th><th>Amount</th><th>Success</th><th>Text</th></tr>${log}</table>
<p class="note">Vipps applies status updates in batches (nightly on the real platform), so this may lag behind the PSP's ledger.</p>`;
  }
  return layout(
    `Order ${o.merchantOrderId}`,
    `<h1>Order ${esc(o.merchantOrderId)}</h1>${message ? `<p class="message" data-testid="message">${esc(message)}</p>` : ''}
<div class="card"><p>${esc(o.product)}: ${kr(o.amountOre)} · pspTransactionId <code>${esc(o.pspTransactionId)}</code></p>
<p>Status <strong data-testid="state" data-state="${o.state}">${esc(moneyStatus(o))}</strong> ${esc(o.reason ?? '')}</p>
<p data-testid="ledger">Captured ${kr(o.capturedOre)} · remaining to capture ${kr(remainingToCapture(o))} · refunded ${kr(o.refundedOre)} · remaining to refund ${kr(remainingToRefund(o))}</p>
${
  canCapture
    ? `<form class="inline" method="post" action="${path}/capture"><label>Capture (kr) <input name="amount" value="${esc(kr(remainingToCapture(o)).replace(' kr', ''))}" size="10"></label> <button type="submit">Capture</button></form>`
    : ''
}${canCancel ? `<form class="inline" method="post" action="${path}/cancel"><button type="submit">Cancel</button></form>` : ''}${
  canRefund
    ? `<form class="inline" method="post" action="${path}/refund"><label>Refund (kr) <input name="amount" value="${esc(kr(remainingToRefund(o)).replace(' kr', ''))}" size="10"></label> <button type="submit">Refund</button></form>`
    : ''
}
</div>
${retry}<h2>Status updates sent</h2><table data-testid="history"><tr><th>Time</th><th>Status</th><th>Amount</th><th>Vipps answered</th><th>Idempotency-Key</th></tr>${history}</table>
<h2>What Vipps reports (details)</h2>${vippsView}
<p><a href="/backoffice">All orders</a> · <a href="/orders/${encodeURIComponent(o.merchantOrderId)}">Customer's order page</a></p>`,
  );
}
