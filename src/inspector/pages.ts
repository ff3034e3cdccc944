/**
 * The inspector's pages (docs/inspector.md): server-rendered with the auto-escaping `html`
 * template, the platform's stylesheet and one small script (`public/inspector.js`: live updates by
 * server-sent events). Every value shown comes from the control API's services; secrets were
 * never kept (the journal is redacted, cryptograms and makePaymentTokens are not stored).
 */
import type { Fault } from '../domain/faults.js';
import type { Merchant, Psp, UserWithCards } from '../domain/parties.js';
import type { Payment } from '../domain/payment.js';
import { awaitsConfirmation, awaitsThreeDs, canTransition, PAYMENT_STATES } from '../domain/payment-lifecycle.js';
import type { ChecklistReport } from '../services/checklist.js';
import type { paymentView } from '../services/control.js';
import type { StatusBatchList } from '../services/status-batch-report.js';
import type { JournalEntry } from '../store/request-journal.js';
import { html, type SafeHtml } from '../wallet/pages/html.js';
import { ASSETS } from '../wallet/pages/layout.js';

export const UI = '/_emulator/ui';

export type PaymentDetail = Awaited<ReturnType<typeof paymentView>>;

type Section = 'payments' | 'requests' | 'batches' | 'faults' | 'parties' | 'checklist';

export interface Frame {
  readonly section: Section;
  readonly title: string;
  readonly nowIso: string;
  readonly notice?: string | null;
  readonly loggedIn?: boolean;
}

const NAV: readonly [Section, string, string][] = [
  ['payments', 'Payments', UI],
  ['requests', 'Request journal', `${UI}/requests`],
  ['batches', 'Status batches', `${UI}/batches`],
  ['faults', 'Faults', `${UI}/faults`],
  ['parties', 'PSPs, sales units, users', `${UI}/parties`],
  ['checklist', 'Go-live checklist', `${UI}/checklist`],
];

export const kr = (ore: number): string => `${(ore / 100).toFixed(2).replace('.', ',')} kr`;
const time = (isoText: string | null | undefined): string => (isoText ? isoText.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '–');

const TONES: Readonly<Record<string, string>> = {
  RESERVED: 'ok',
  FAILED: 'bad',
  EXPIRED: 'bad',
  USER_CANCELLED: 'bad',
  APPLIED: 'ok',
  REJECTED: 'bad',
  OK: 'ok',
  FAIL: 'bad',
};
const badge = (text: string | null | undefined): SafeHtml =>
  html`<span class="badge badge-${TONES[text ?? ''] ?? (text?.startsWith('AWAITING') || text === 'PENDING' ? 'pending' : 'neutral')}">${text ?? '–'}</span>`;

const statusBadge = (status: number): SafeHtml =>
  html`<span class="badge badge-${status < 300 ? 'ok' : status < 500 ? 'pending' : 'bad'}">${status === 0 ? 'no answer' : status}</span>`;

/** The shell: top bar with the clock and its "advance" control, navigation, reset. */
export function frame(f: Frame, body: SafeHtml): SafeHtml {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${f.title} · Inspector · vipps-psp-emulator</title>
<link rel="stylesheet" href="${ASSETS}/vipps.css">
<link rel="icon" href="${ASSETS}/vipps-mark.svg" type="image/svg+xml">
<script src="${ASSETS}/live.js" defer></script>
<script src="${ASSETS}/inspector.js" defer></script>
</head>
<body class="inspector" data-events="${UI}/events">
<header class="ins-top">
  <a class="brand" href="${UI}"><span class="brand-mark">vipps</span></a>
  <span class="ins-product">PSP emulator · inspector</span>
  <form class="ins-clock" method="post" action="${UI}/clock/advance">
    <span>Platform time <strong class="mono" data-testid="clock-now">${time(f.nowIso)}</strong></span>
    <label class="sr-only" for="advance-seconds">Seconds to advance</label>
    <input id="advance-seconds" name="seconds" type="number" min="1" max="315360000" value="300" required>
    <button type="submit" class="small">Advance clock</button>
  </form>
  <form method="post" action="${UI}/reset" class="ins-reset">
    <button type="submit" class="small danger" data-testid="reset-all">Reset all</button>
  </form>
</header>
<nav class="ins-nav" aria-label="Inspector">
  ${NAV.map(([id, label, href]) => html`<a href="${href}" ${id === f.section ? html`aria-current="page"` : ''}>${label}</a>`)}
</nav>
<main class="ins-main" id="main" data-section="${f.section}">
  ${f.notice ? html`<p class="ins-notice" role="status">${f.notice}</p>` : ''}
  ${body}
</main>
</body>
</html>
`;
}

const select = (name: string, label: string, options: readonly (readonly [string, string])[], selected: string | undefined): SafeHtml =>
  html`<label>${label}<select name="${name}"><option value="">all</option>${options.map(
    ([value, text]) => html`<option value="${value}" ${value === selected ? html`selected` : ''}>${text}</option>`,
  )}</select></label>`;

export interface PaymentListFilter {
  readonly psp?: string | undefined;
  readonly msn?: string | undefined;
  readonly state?: string | undefined;
  readonly q?: string | undefined;
}

export function paymentsPage(
  payments: readonly Payment[],
  filter: PaymentListFilter,
  psps: readonly Psp[],
  merchants: readonly Merchant[],
): SafeHtml {
  return html`<h1>Payments</h1>
<form class="ins-filters" method="get" action="${UI}">
  ${select(
    'psp',
    'PSP',
    psps.map((p) => [p.pspId, p.name]),
    filter.psp,
  )}
  ${select(
    'msn',
    'Sales unit',
    merchants.map((m) => [m.merchantSerialNumber, `${m.merchantSerialNumber} ${m.name}`]),
    filter.msn,
  )}
  ${select(
    'state',
    'State',
    PAYMENT_STATES.map((s) => [s, s]),
    filter.state,
  )}
  <label>Id<input type="text" name="q" value="${filter.q ?? ''}" placeholder="pspTransactionId, merchantOrderId …"></label>
  <button type="submit" class="small">Filter</button>
</form>
<p class="muted">Newest first; updates live.</p>
<table class="ins-table" data-testid="payments">
<thead><tr><th>Created</th><th>pspTransactionId</th><th>merchantOrderId</th><th>Sales unit</th><th>Amount</th><th>State</th><th>Captured</th><th>Refunded</th></tr></thead>
<tbody>
${
  payments.length === 0
    ? html`<tr><td colspan="8" class="muted">No payments.</td></tr>`
    : payments.map(
        (p) => html`<tr data-payment="${p.pspTransactionId}">
  <td class="mono">${time(p.createdAt)}</td>
  <td><a class="mono" href="${UI}/payments/${p.id}">${p.pspTransactionId}</a></td>
  <td class="mono">${p.merchantOrderId}</td>
  <td>${p.merchantSerialNumber}</td>
  <td class="num">${kr(p.amount)}</td>
  <td>${badge(p.state)}</td>
  <td class="num">${kr(p.capturedAmount)}</td>
  <td class="num">${kr(p.refundedAmount)}</td>
</tr>`,
      )
}
</tbody></table>`;
}

function jsonBlock(value: unknown): SafeHtml {
  if (value === null || value === undefined) return html`<span class="muted">–</span>`;
  return html`<pre class="ins-json">${typeof value === 'string' ? prettyJson(value) : JSON.stringify(value, null, 2)}</pre>`;
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

export interface PaymentPageData {
  readonly view: PaymentDetail;
  readonly internalId: string;
  readonly requests: readonly JournalEntry[];
  readonly users: readonly UserWithCards[];
  /** The attempt a 3-D Secure outcome would answer (AWAITING_3DS only). */
  readonly threeDsAttemptId: string | null;
}

export function paymentPage(d: PaymentPageData): SafeHtml {
  const v = d.view;
  const m = v.money;
  const action = `${UI}/payments/${d.internalId}`;
  const cards = d.users.flatMap((u) => u.cards.map((c) => [u.phoneNumber, c] as const));
  return html`<p><a href="${UI}">← Payments</a></p>
<h1>Payment <span class="mono">${v.pspTransactionId}</span> ${badge(v.state)}</h1>
<div class="ins-grid">
<section class="ins-card">
  <h2>Payment</h2>
  <dl class="ins-dl">
    <dt>PSP</dt><dd class="mono">${v.pspId}</dd>
    <dt>Sales unit</dt><dd>${v.merchantSerialNumber}</dd>
    <dt>merchantOrderId</dt><dd class="mono">${v.merchantOrderId}</dd>
    <dt>Amount</dt><dd>${kr(v.amount)} ${v.currency}</dd>
    <dt>Text</dt><dd>${v.paymentText ?? '–'}</dd>
    <dt>User</dt><dd>${v.userPhone ?? v.customerMobileNumber ?? '–'} ${v.cardId ? html`<span class="muted">(card ${v.cardId})</span>` : ''}</dd>
    <dt>Due</dt><dd class="mono">${time(v.dueAt)}</dd>
    <dt>Failure</dt><dd>${v.failureReason ?? '–'}${v.pspError ? html` <span class="mono">(${v.pspError.errorId} ${v.pspError.errorText})</span>` : ''}</dd>
  </dl>
</section>
<section class="ins-card" data-testid="money">
  <h2>Money</h2>
  <dl class="ins-dl">
    <dt>Reserved</dt><dd class="num">${kr(m.reserved)}</dd>
    <dt>Captured</dt><dd class="num">${kr(m.captured)}</dd>
    <dt>Refunded</dt><dd class="num">${kr(m.refunded)}</dd>
    <dt>Cancelled</dt><dd>${m.cancelled ? 'yes' : 'no'}</dd>
    <dt>Remaining to capture</dt><dd class="num">${kr(m.remainingAmountToCapture)}</dd>
    <dt>Remaining to refund</dt><dd class="num">${kr(m.remainingAmountToRefund)}</dd>
  </dl>
</section>
<section class="ins-card" data-testid="actions">
  <h2>Actions</h2>
  ${
    awaitsConfirmation(v.state)
      ? html`<form method="post" action="${action}/approve" class="ins-inline">
    <label>Card<select name="card">${cards.map(
      ([phone, c]) =>
        html`<option value="${phone}:${c.cardId}">${phone} · ${c.brand} •••• ${c.last4}${c.tokenEligible ? '' : ' (not eligible)'}</option>`,
    )}</select></label>
    <button type="submit" class="small">Approve as the user</button>
  </form>`
      : ''
  }
  ${
    awaitsThreeDs(v.state) && d.threeDsAttemptId
      ? html`<form method="post" action="${action}/3ds" class="ins-inline">
    <input type="hidden" name="attempt" value="${d.threeDsAttemptId}">
    <button type="submit" name="outcome" value="OK" class="small">3-D Secure success</button>
    <button type="submit" name="outcome" value="FAILED" class="small">3-D Secure failure</button>
    <button type="submit" name="outcome" value="CANCEL" class="small">3-D Secure cancel</button>
  </form>`
      : ''
  }
  ${canTransition(v.state, 'cancelByUser') ? html`<form method="post" action="${action}/cancel"><button type="submit" class="small danger">Cancel as the user</button></form>` : ''}
  ${canTransition(v.state, 'cancelByUser') ? '' : html`<p class="muted">The payment has its outcome: nothing to do as the user.</p>`}
</section>
</div>

<h2>Timeline</h2>
<table class="ins-table" data-testid="timeline"><thead><tr><th>At</th><th>Event</th><th>Detail</th></tr></thead><tbody>
${v.timeline.map((e) => html`<tr><td class="mono">${time(e.at)}</td><td>${e.type}</td><td class="small-text">${timelineDetail(e.detail)}</td></tr>`)}
</tbody></table>

<h2>makePayment and notification attempts</h2>
<p class="muted">The request as sent: the cryptogram and the makePaymentToken are never kept, the token number only masked.</p>
<table class="ins-table" data-testid="attempts"><thead><tr><th>#</th><th>paymentState</th><th>Request (masked)</th><th>Answer</th><th>Latency</th><th>Outcome</th></tr></thead><tbody>
${
  v.callbacks.length === 0
    ? html`<tr><td colspan="6" class="muted">No makePayment call yet.</td></tr>`
    : v.callbacks.map(
        (a) => html`<tr>
  <td>${a.attemptNo}</td>
  <td>${a.paymentState}</td>
  <td class="mono small-text">${
    a.networkToken
      ? html`networkToken ${a.networkToken.tokenType} •••• ${a.networkToken.last4} (BIN ${a.networkToken.bin}, ECI ${a.networkToken.eci})<br>cryptogram ••••••• (not kept)<br>`
      : ''
  }Authorization: makePaymentToken (never shown)</td>
  <td>${a.httpStatus === null ? html`<span class="muted">${a.error ?? a.status}</span>` : html`${statusBadge(a.httpStatus)} ${jsonBlock(a.response)}`}</td>
  <td class="num">${a.latencyMs === null ? '–' : `${a.latencyMs} ms`}</td>
  <td>${badge(a.outcome)}${a.error ? html`<br><span class="small-text">${a.error}</span>` : ''}</td>
</tr>`,
      )
}
</tbody></table>

<h2>Status updates that touched it</h2>
<table class="ins-table" data-testid="status-updates"><thead><tr><th>Batch</th><th>Status</th><th>Amount</th><th>Outcome</th><th>Reason</th></tr></thead><tbody>
${
  v.statusUpdates.length === 0
    ? html`<tr><td colspan="5" class="muted">No status update named this payment.</td></tr>`
    : v.statusUpdates.map(
        (s) =>
          html`<tr><td><a href="${UI}/batches#batch-${s.batchId}">#${s.batchId}</a> item ${s.index}</td><td>${s.status}</td><td class="num">${kr(s.amount)}</td><td>${badge(s.outcome)}</td><td>${s.reasonCode ? html`<span class="mono">${s.reasonCode}</span> ${s.reason}` : '–'}</td></tr>`,
      )
}
</tbody></table>

<h2>The PSP's requests about it</h2>
${journalTable(d.requests)}`;
}

function timelineDetail(detail: unknown): string {
  if (detail === null || typeof detail !== 'object') return detail === null || detail === undefined ? '' : String(detail);
  const parts = Object.entries(detail as Record<string, unknown>)
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  return parts.join(' · ');
}

export function journalTable(entries: readonly JournalEntry[]): SafeHtml {
  if (entries.length === 0) return html`<p class="muted" data-testid="journal-empty">No requests recorded.</p>`;
  return html`<table class="ins-table" data-testid="journal"><thead><tr><th>At</th><th>Operation</th><th>Request</th><th>Status</th><th>Error</th><th>Latency</th><th>Fault</th></tr></thead><tbody>
${entries.map(
  (r) => html`<tr data-request="${r.id}">
  <td class="mono">${time(r.at)}</td>
  <td>${r.operation}</td>
  <td><details><summary class="mono">${r.method} ${r.path}</summary>
    <div class="ins-bodies">
      <div><h3>Request headers</h3>${jsonBlock(r.requestHeaders)}</div>
      <div><h3>Request body</h3>${jsonBlock(r.requestBody)}</div>
      <div><h3>Response body</h3>${jsonBlock(r.responseBody)}</div>
    </div></details></td>
  <td>${statusBadge(r.status)}</td>
  <td class="mono">${r.errorCode ?? ''}</td>
  <td class="num">${r.latencyMs} ms</td>
  <td class="small-text">${r.fault ?? ''}</td>
</tr>`,
)}
</tbody></table>`;
}

export interface JournalFilter {
  readonly psp?: string | undefined;
  readonly operation?: string | undefined;
  readonly status?: string | undefined;
  readonly id?: string | undefined;
}

export function requestsPage(
  entries: readonly JournalEntry[],
  next: string | null,
  filter: JournalFilter,
  psps: readonly Psp[],
  operations: readonly string[],
): SafeHtml {
  const nextQuery = new URLSearchParams(Object.entries({ ...filter, before: next ?? '' }).filter(([, v]) => v) as [string, string][]);
  return html`<h1>Request journal</h1>
<form class="ins-filters" method="get" action="${UI}/requests">
  ${select(
    'psp',
    'PSP',
    psps.map((p) => [p.pspId, p.name]),
    filter.psp,
  )}
  ${select(
    'operation',
    'Operation',
    operations.map((o) => [o, o]),
    filter.operation,
  )}
  <label>Status<input type="text" name="status" value="${filter.status ?? ''}" placeholder="429, 5xx" size="5"></label>
  <label>pspTransactionId<input type="text" name="id" value="${filter.id ?? ''}"></label>
  <button type="submit" class="small">Filter</button>
</form>
<p class="muted">Every call of the PSP-facing APIs, newest first, secrets removed. Click a request for its headers and bodies.</p>
${journalTable(entries)}
${next ? html`<p><a href="${UI}/requests?${nextQuery.toString()}">Older requests →</a></p>` : ''}`;
}

export function batchesPage(list: StatusBatchList): SafeHtml {
  return html`<h1>Status batches</h1>
<p class="muted">Schedule: <strong>${list.schedule}</strong>${list.lastNightlyRun ? html` · last nightly run ${time(list.lastNightlyRun.ranAt)}` : ''}</p>
${
  list.batches.length === 0
    ? html`<p class="muted">No status batches.</p>`
    : list.batches.map(
        (b) => html`<section class="ins-card" id="batch-${b.id}" data-testid="batch">
  <h2>Batch #${b.id} ${badge(b.state)}</h2>
  <p>PSP <span class="mono">${b.pspId}</span> · received ${time(b.receivedAt)} · applied ${time(b.appliedAt)}${b.idempotencyKey ? html` · key <span class="mono">${b.idempotencyKey}</span>` : ''}</p>
  <p>${b.counts.items} item(s): ${b.counts.applied} applied, ${b.counts.unchanged} unchanged, ${b.counts.rejected} rejected, ${b.counts.pending} pending</p>
  ${b.error ? html`<p class="bad">${b.error}</p>` : ''}
  ${
    b.rejectedItems.length > 0
      ? html`<table class="ins-table"><thead><tr><th>Item</th><th>pspTransactionId</th><th>Status</th><th>Amount</th><th>Rejection</th></tr></thead><tbody>
  ${b.rejectedItems.map((i) => {
    const item = i as unknown as Record<string, unknown>;
    return html`<tr><td>${String(item.index ?? '')}</td><td class="mono">${String(item.pspTransactionId ?? '')}</td><td>${String(item.status ?? '')}</td><td class="num">${typeof item.amount === 'number' ? kr(item.amount) : ''}</td><td><span class="mono">${String(item.reasonCode ?? '')}</span> ${String(item.reason ?? '')}</td></tr>`;
  })}
  </tbody></table>`
      : ''
  }
</section>`,
      )
}`;
}

export function faultsPage(faults: readonly Fault[], psps: readonly Psp[], operations: readonly string[]): SafeHtml {
  return html`<h1>Faults</h1>
<p class="muted">Make the Vipps side fail on purpose, per PSP and operation (docs/inspector.md). “before”: the request did nothing; “after”: it was applied, then failed.</p>
<form class="ins-card ins-fault-form" method="post" action="${UI}/faults">
  <h2>New fault</h2>
  <label>PSP<select name="pspId">${psps.map((p) => html`<option value="${p.pspId}">${p.name}</option>`)}</select></label>
  <label>Operation<select name="operation"><option value="ANY">ANY</option>${operations.map((o) => html`<option value="${o}">${o}</option>`)}</select></label>
  <label>Kind<select name="kind">
    <option value="status">status</option><option value="latency">latency</option><option value="close">close connection</option><option value="timeout">answer after the client's time-out</option>
  </select></label>
  <label>Status<select name="status"><option value="">–</option><option>429</option><option>500</option><option>502</option><option>503</option><option>504</option></select></label>
  <label>When<select name="when"><option value="">default</option><option value="before">before (failed before applying)</option><option value="after">after (applied, then failed)</option></select></label>
  <label>Delay ms<input type="number" name="delayMs" min="0" max="600000"></label>
  <label>Count<input type="number" name="count" min="1" value="1"></label>
  <label>Probability<input type="text" name="probability" value="1" size="4"></label>
  <label>Seed<input type="number" name="seed" min="0" value="1"></label>
  <button type="submit" class="small">Inject fault</button>
</form>
<table class="ins-table" data-testid="faults"><thead><tr><th>PSP</th><th>Operation</th><th>Fault</th><th>Left</th><th>Probability</th><th>Fired / seen</th><th></th></tr></thead><tbody>
${
  faults.length === 0
    ? html`<tr><td colspan="7" class="muted">No active faults.</td></tr>`
    : faults.map(
        (f) => html`<tr data-fault="${f.id}">
  <td class="mono">${f.pspId}</td><td>${f.operation}</td>
  <td>${f.kind}${f.status ? ` ${f.status}` : ''} ${f.when}${f.delayMs !== null ? ` ${f.delayMs}${f.delayMaxMs !== null ? `–${f.delayMaxMs}` : ''} ms` : ''}</td>
  <td>${f.remaining ?? '∞'}</td><td>${f.probability} (seed ${f.seed})</td><td>${f.fired} / ${f.seen}</td>
  <td><form method="post" action="${UI}/faults/${f.id}/delete"><input type="hidden" name="pspId" value="${f.pspId}"><button type="submit" class="small">Remove</button></form></td>
</tr>`,
      )
}
</tbody></table>`;
}

export function partiesPage(psps: readonly Psp[], merchants: readonly Merchant[], users: readonly UserWithCards[]): SafeHtml {
  return html`<h1>PSPs, sales units and test users</h1>
<h2>PSPs</h2>
<table class="ins-table" data-testid="psps"><thead><tr><th>Name</th><th>Psp-Id</th><th>client_id</th><th></th></tr></thead><tbody>
${psps.map(
  (p) =>
    html`<tr><td>${p.name}</td><td class="mono">${p.pspId}</td><td class="mono">${p.clientId}</td><td><form method="post" action="${UI}/reset"><input type="hidden" name="pspId" value="${p.pspId}"><button type="submit" class="small danger">Reset this PSP</button></form></td></tr>`,
)}
</tbody></table>
<h2>Sales units</h2>
<table class="ins-table" data-testid="merchants"><thead><tr><th>MSN</th><th>Name</th><th>Company</th><th>PSP</th><th>Status</th><th>Skip landing page</th></tr></thead><tbody>
${merchants.map(
  (m) =>
    html`<tr><td>${m.merchantSerialNumber}</td><td>${m.name}</td><td>${m.companyName}</td><td class="mono">${m.pspId}</td><td>${badge(m.status)}</td><td>${(m as { skipLandingPage?: boolean }).skipLandingPage ? 'yes' : 'no'}</td></tr>`,
)}
</tbody></table>
<h2>Test users and their cards</h2>
<table class="ins-table" data-testid="users"><thead><tr><th>Phone</th><th>Name</th><th>Born</th><th>Status</th><th>Cards</th></tr></thead><tbody>
${users.map(
  (u) =>
    html`<tr><td class="mono">${u.phoneNumber}</td><td>${u.name}</td><td>${u.birthDate}</td><td>${u.status}</td><td>${u.cards.map(
      (c) =>
        html`<div>${c.brand} ${c.type} •••• ${c.last4} <span class="muted">(${c.cardId}, ${c.expiryMonth}/${c.expiryYear}${c.tokenEligible ? '' : ', not eligible'}${c.isDefault ? ', default' : ''})</span></div>`,
    )}</td></tr>`,
)}
</tbody></table>`;
}

export function checklistPage(report: ChecklistReport | null, psps: readonly Psp[], pspId: string | undefined): SafeHtml {
  return html`<h1>Go-live checklist</h1>
<form class="ins-filters" method="get" action="${UI}/checklist">
  <label>PSP<select name="psp">${psps.map((p) => html`<option value="${p.pspId}" ${p.pspId === pspId ? html`selected` : ''}>${p.name}</option>`)}</select></label>
  <button type="submit" class="small">Show</button>
</form>
${
  report
    ? html`<p>Status: ${badge(report.status)} · ${report.counts.PASS} pass, ${report.counts.MISSING} missing, ${report.counts.FAIL} fail</p>
<table class="ins-table" data-testid="checklist"><thead><tr><th>Item</th><th>Status</th><th>Evidence / missing</th></tr></thead><tbody>
${report.items.map(
  (i) => html`<tr><td>${i.title}</td><td>${badge(i.status)}</td><td>
  ${i.evidence.map((e) => html`<div class="small-text">✓ <span class="mono">${e.pspTransactionId ?? '-'}</span> ${e.detail}</div>`)}
  ${i.missing.map((m) => html`<div class="small-text bad">✗ ${m}</div>`)}
</td></tr>`,
)}
</tbody></table>`
    : ''
}`;
}

export function loginPage(next: string, failed: boolean): SafeHtml {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Log in · Inspector · vipps-psp-emulator</title>
<link rel="stylesheet" href="${ASSETS}/vipps.css"></head>
<body class="inspector"><main class="ins-main ins-login">
<h1>Inspector</h1>
<p>This platform requires its control API token (CONTROL_API_TOKEN).</p>
${failed ? html`<p class="bad" role="alert">That is not the token.</p>` : ''}
<form method="post" action="${UI}/login">
  <input type="hidden" name="next" value="${next}">
  <label for="token">Control API token</label>
  <input id="token" name="token" type="password" autocomplete="current-password" required>
  <button type="submit" class="primary">Log in</button>
</form>
</main></body></html>
`;
}
