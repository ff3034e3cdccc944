/**
 * The go-live checklist report (`GET /_emulator/checklist`, `vipps-psp-emulator checklist`): for
 * each item of Vipps' go-live checklist for PSPs (psp-facts.md; the PSP guide's checklist), and
 * for the makePayment answers and status updates, whether this PSP's recorded traffic shows it,
 * with `pspTransactionId`s and `merchantOrderId`s as evidence, and what is missing.
 *
 * Sources: the request journal (init, details, updatestatus, …; src/store/request-journal.ts),
 * `callback_attempts` (every makePayment call and its answer), the status batch tables (every
 * updatestatus item and its outcome) and `payments`. Read-only.
 */
import { PSP_ERROR_IDS } from '../client/psp-error-ids.js';
import type { Platform } from '../platform.js';
import type { StatusBatchTables } from '../store/status-batches.js';

export type ChecklistStatus = 'PASS' | 'MISSING' | 'FAIL' | 'NOT_APPLICABLE';

export interface Evidence {
  readonly pspTransactionId: string | null;
  readonly merchantOrderId: string | null;
  readonly detail: string;
}

export interface ChecklistItem {
  readonly id: string;
  readonly title: string;
  /** `checklist`: an item of Vipps' go-live checklist; `graded`: a quality of the integration. */
  readonly source: 'checklist' | 'graded';
  readonly status: ChecklistStatus;
  readonly evidence: readonly Evidence[];
  /** What is not (yet) shown by the traffic, one line each; empty when PASS. */
  readonly missing: readonly string[];
  /** Per error code, for the error-code item. */
  readonly codes?: readonly ErrorCodeResult[];
}

export interface ErrorCodeResult {
  readonly errorId: string;
  readonly errorText: string;
  readonly status: ChecklistStatus;
  readonly evidence: Evidence | null;
  readonly reason?: string;
}

export interface ChecklistReport {
  readonly pspId: string;
  readonly generatedAt: string;
  /** PASS when every item passes or does not apply. */
  readonly status: 'PASS' | 'INCOMPLETE';
  readonly counts: Readonly<Record<ChecklistStatus, number>>;
  readonly items: readonly ChecklistItem[];
}

/** The PSP error ids the checklist asks an example of (psp-facts.md §2.5), with the ones that cannot apply. */
const ERROR_IDS = ['71', '72', '81', '82', '83', '84', '85', '86', '87', '88', '89', '91', '92', '93', '94'] as const;
const NOT_APPLICABLE: Readonly<Record<string, string>> = {
  '92': 'Unable to decrypt belongs to encrypted cards (PSP API v2); PSP API v3 sends network tokens, nothing to decrypt.',
};

/** How many examples an item lists as evidence, and how many offenders a failed item lists. */
const EXAMPLES = 3;
const OFFENDERS = 20;

interface Attempt {
  paymentId: string;
  pspTransactionId: string;
  merchantOrderId: string;
  attemptNo: number;
  paymentState: string;
  finishedAt: string | null;
  latencyMs: number | null;
  httpStatus: number | null;
  contentType: string | null;
  outcome: string | null;
  response: { errorMessage?: { errorId?: unknown; errorText?: unknown }; paymentInfo?: { status?: unknown } } | null;
  error: string | null;
}

const ev = (pspTransactionId: string | null, merchantOrderId: string | null, detail: string): Evidence => ({
  pspTransactionId,
  merchantOrderId,
  detail,
});

function item(
  id: string,
  title: string,
  source: ChecklistItem['source'],
  evidence: Evidence[],
  missing: string[],
  failures: string[] = [],
): ChecklistItem {
  const status: ChecklistStatus = failures.length > 0 ? 'FAIL' : missing.length > 0 ? 'MISSING' : 'PASS';
  return {
    id,
    title,
    source,
    status,
    evidence: evidence.slice(0, failures.length > 0 ? OFFENDERS : EXAMPLES),
    missing: [...failures, ...missing],
  };
}

export async function buildChecklist(platform: Platform, pspId: string): Promise<ChecklistReport> {
  const db = platform.store.db.withTables<StatusBatchTables>();
  const calls = await platform.repos.journal.callsOf(pspId);

  const attempts: Attempt[] = (
    await db
      .selectFrom('callback_attempts as a')
      .innerJoin('payments as p', 'p.id', 'a.payment_id')
      .select([
        'a.payment_id',
        'p.psp_transaction_id',
        'p.merchant_order_id',
        'a.attempt_no',
        'a.payment_state',
        'a.finished_at',
        'a.latency_ms',
        'a.http_status',
        'a.content_type',
        'a.outcome',
        'a.response_json',
        'a.error',
      ])
      .where('p.psp_id', '=', pspId)
      .where('a.status', '=', 'DONE')
      .orderBy('a.payment_id')
      .orderBy('a.attempt_no')
      .execute()
  ).map((r) => ({
    paymentId: r.payment_id,
    pspTransactionId: r.psp_transaction_id,
    merchantOrderId: r.merchant_order_id,
    attemptNo: r.attempt_no,
    paymentState: r.payment_state,
    finishedAt: r.finished_at,
    latencyMs: r.latency_ms,
    httpStatus: r.http_status,
    contentType: r.content_type,
    outcome: r.outcome,
    response: parseJson(r.response_json),
    error: r.error,
  }));

  const statusItems = await db
    .selectFrom('status_items as i')
    .innerJoin('status_batches as b', 'b.id', 'i.batch_id')
    .leftJoin('status_item_outcomes as o', (j) => j.onRef('o.batch_id', '=', 'i.batch_id').onRef('o.seq', '=', 'i.seq'))
    .leftJoin('payments as p', (j) => j.onRef('p.psp_id', '=', 'i.psp_id').onRef('p.psp_transaction_id', '=', 'i.psp_transaction_id'))
    .select([
      'i.psp_transaction_id',
      'p.merchant_order_id',
      'i.status',
      'i.amount_ore',
      'i.operation_status',
      'o.outcome',
      'o.reason_code',
      'b.id as batch_id',
    ])
    .where('i.psp_id', '=', pspId)
    .orderBy('i.batch_id')
    .orderBy('i.seq')
    .execute();

  const reserved = await db
    .selectFrom('payments')
    .select(['psp_transaction_id', 'merchant_order_id', 'reserved_at'])
    .where('psp_id', '=', pspId)
    .where('reserved_at', 'is not', null)
    .orderBy('reserved_at')
    .execute();

  const items: ChecklistItem[] = [];

  // 1. Every endpoint integrated: a successful call of init, details and updatestatus.
  {
    const evidence: Evidence[] = [];
    const missing: string[] = [];
    for (const [operation, name] of [
      ['INIT', 'init (POST /psp/v3/psppayments/init)'],
      ['DETAILS', 'details (GET /psp/v3/psppayments/{pspTransactionId}/details)'],
      ['UPDATESTATUS', 'updatestatus (POST /psp/v3/psppayments/updatestatus)'],
    ] as const) {
      const ok = calls.filter((c) => c.operation === operation && c.http_status >= 200 && c.http_status < 300);
      if (ok.length === 0) {
        const failed = calls.filter((c) => c.operation === operation).length;
        missing.push(`no successful ${name} call${failed > 0 ? ` (${failed} failed)` : ''}`);
        continue;
      }
      const first = ok[0];
      const batchItem = operation === 'UPDATESTATUS' ? statusItems[0] : undefined;
      evidence.push(
        ev(
          first?.psp_transaction_id ?? batchItem?.psp_transaction_id ?? null,
          first?.merchant_order_id ?? first?.payment_order_id ?? batchItem?.merchant_order_id ?? null,
          `${operation.toLowerCase()}: ${ok.length} successful call(s), first at ${first?.at}`,
        ),
      );
    }
    items.push({
      ...item('endpoints', 'Every endpoint integrated (init, details, updatestatus)', 'checklist', evidence, missing),
      evidence,
    });
  }

  // 2. Reserve, capture, refund and a cancel, the last three reported with updatestatus.
  {
    const evidence: Evidence[] = [];
    const missing: string[] = [];
    const first = reserved[0];
    if (first) evidence.push(ev(first.psp_transaction_id, first.merchant_order_id, `reserved (makePayment OK) at ${first.reserved_at}`));
    else missing.push('no payment reserved (no makePayment answered OK)');
    for (const status of ['CAPTURED', 'REFUNDED', 'CANCELLED'] as const) {
      const sent = statusItems.filter((i) => i.status === status && i.operation_status === 'SUCCESS');
      const accepted = sent.find((i) => i.outcome === 'APPLIED') ?? sent.find((i) => i.outcome === null);
      if (accepted) {
        evidence.push(
          ev(
            accepted.psp_transaction_id,
            accepted.merchant_order_id,
            `${status} ${accepted.amount_ore} øre in batch ${accepted.batch_id}${accepted.outcome === null ? ' (received, not applied yet)' : ''}`,
          ),
        );
      } else if (sent.length > 0) {
        missing.push(
          `every ${status} status update was rejected (${sent.map((s) => `${s.psp_transaction_id}: ${s.reason_code}`).join(', ')})`,
        );
      } else {
        missing.push(`no ${status} status update sent with updatestatus`);
      }
    }
    items.push({
      ...item(
        'reserve-capture-refund-cancel',
        'Reserve, capture and refund, and a cancel, reported with updatestatus',
        'checklist',
        evidence,
        missing,
      ),
      evidence,
    });
  }

  // 3. One example of each PSP error code in makePayment FAIL answers.
  {
    const fails = attempts.filter((a) => a.outcome === 'FAIL');
    const codes: ErrorCodeResult[] = ERROR_IDS.map((errorId) => {
      const errorText = PSP_ERROR_IDS[errorId].errorText;
      const reason = NOT_APPLICABLE[errorId];
      if (reason) return { errorId, errorText, status: 'NOT_APPLICABLE', evidence: null, reason };
      const example = fails.find((a) => String(a.response?.errorMessage?.errorId ?? '') === errorId);
      return example
        ? {
            errorId,
            errorText,
            status: 'PASS',
            evidence: ev(
              example.pspTransactionId,
              example.merchantOrderId,
              `FAIL ${errorId} "${String(example.response?.errorMessage?.errorText ?? '')}" to ${example.paymentState}`,
            ),
          }
        : { errorId, errorText, status: 'MISSING', evidence: null };
    });
    const missing = codes
      .filter((c) => c.status === 'MISSING')
      .map((c) => `no makePayment FAIL answer with errorId ${c.errorId} (${c.errorText})`);
    const evidence = codes.flatMap((c) => (c.evidence ? [c.evidence] : []));
    items.push({
      ...item('error-codes', 'One example of each PSP error code 71–94 in makePayment FAIL answers', 'checklist', evidence, missing),
      evidence,
      codes,
    });
  }

  // 4. Soft decline: a SOFT_DECLINE whose 3dssuccess led to a second makePayment call, answered OK or FAIL.
  {
    const evidence: Evidence[] = [];
    const failures: string[] = [];
    const byPayment = groupBy(attempts, (a) => a.paymentId);
    let softDeclines = 0;
    for (const list of byPayment.values()) {
      const accepted = list.filter((a) => a.paymentState === 'ACCEPTED');
      accepted.forEach((a, i) => {
        if (a.outcome !== 'SOFT_DECLINE') return;
        softDeclines += 1;
        const next = accepted[i + 1];
        if (!next) return;
        if (next.outcome === 'SOFT_DECLINE')
          failures.push(`${a.pspTransactionId}: answered SOFT_DECLINE again after 3-D Secure (must be OK or FAIL)`);
        else evidence.push(ev(a.pspTransactionId, a.merchantOrderId, `SOFT_DECLINE, then after 3dssuccess ${next.outcome}`));
      });
    }
    const missing =
      evidence.length > 0
        ? []
        : [
            softDeclines > 0
              ? `${softDeclines} SOFT_DECLINE answer(s), but none was followed by a 3dssuccess and a second call`
              : 'no SOFT_DECLINE answer',
          ];
    items.push(item('soft-decline', 'Soft-decline step-up (3-D Secure) supported', 'checklist', evidence, missing, failures));
  }

  // 5. Not relying on pspRedirectUrl: the payment's details asked after its makePayment outcome.
  {
    const outcomeAt = new Map<string, { at: string; merchantOrderId: string }>();
    for (const a of attempts) {
      if (a.finishedAt && (a.outcome === 'OK' || a.outcome === 'FAIL') && !outcomeAt.has(a.pspTransactionId)) {
        outcomeAt.set(a.pspTransactionId, { at: a.finishedAt, merchantOrderId: a.merchantOrderId });
      }
    }
    const evidence: Evidence[] = [];
    const seen = new Set<string>();
    for (const c of calls) {
      if (c.operation !== 'DETAILS' || c.http_status !== 200 || !c.psp_transaction_id || seen.has(c.psp_transaction_id)) continue;
      const outcome = outcomeAt.get(c.psp_transaction_id);
      if (!outcome || c.at < outcome.at) continue;
      seen.add(c.psp_transaction_id);
      evidence.push(
        ev(c.psp_transaction_id, outcome.merchantOrderId, `details asked at ${c.at}, after the makePayment outcome at ${outcome.at}`),
      );
    }
    const missing =
      evidence.length > 0
        ? []
        : ['no details call for a payment after its makePayment outcome (poll details; do not rely on the redirect to pspRedirectUrl)'];
    items.push(
      item('no-redirect-reliance', 'Not relying on pspRedirectUrl (details asked after the outcome)', 'checklist', evidence, missing),
    );
  }

  // 6–8. The makePayment answers: content type, deadline, documented schema.
  const answered = attempts.filter((a) => a.outcome !== 'ABANDONED' && a.outcome !== 'ADDRESS_REFUSED' && a.outcome !== 'CONNECTION_ERROR');
  const noAnswers = answered.length === 0 ? ['no makePayment call answered yet'] : [];
  const sample = (list: Attempt[], detail: (a: Attempt) => string) => list.map((a) => ev(a.pspTransactionId, a.merchantOrderId, detail(a)));
  {
    const bad = answered.filter((a) => a.httpStatus !== null && !/^application\/json\b/i.test(a.contentType ?? ''));
    items.push(
      item(
        'make-payment-content-type',
        'makePayment answered with Content-Type: application/json',
        'graded',
        bad.length > 0
          ? sample(bad, (a) => `answer ${a.attemptNo} (${a.paymentState}) had Content-Type ${a.contentType ?? '(none)'}`)
          : sample(
              answered.filter((a) => a.httpStatus !== null),
              (a) => `Content-Type ${a.contentType}`,
            ),
        noAnswers,
        bad.length > 0 ? [`${bad.length} answer(s) without Content-Type: application/json`] : [],
      ),
    );
  }
  {
    const late = answered.filter((a) => a.outcome === 'TIMEOUT');
    const slowest = [...answered].sort((a, b) => (b.latencyMs ?? 0) - (a.latencyMs ?? 0));
    items.push(
      item(
        'make-payment-deadline',
        `makePayment answered within the deadline (${platform.config.callbackTimeoutMs} ms)`,
        'graded',
        late.length > 0
          ? sample(late, (a) => `answer ${a.attemptNo} (${a.paymentState}): no answer within the deadline`)
          : sample(slowest, (a) => `answered in ${a.latencyMs} ms (slowest first)`),
        noAnswers,
        late.length > 0 ? [`${late.length} call(s) not answered within ${platform.config.callbackTimeoutMs} ms`] : [],
      ),
    );
  }
  {
    const bad = answered.filter((a) => a.outcome === 'INVALID_RESPONSE' || a.outcome === 'HTTP_ERROR');
    const failWithoutError = answered.filter((a) => a.outcome === 'FAIL' && a.response?.errorMessage?.errorId === undefined);
    items.push(
      item(
        'make-payment-schema',
        'makePayment answers match the documented MakePaymentResponse (HTTP 200, paymentInfo, errorMessage on FAIL)',
        'graded',
        bad.length + failWithoutError.length > 0
          ? [
              ...sample(bad, (a) => `answer ${a.attemptNo} (${a.paymentState}): HTTP ${a.httpStatus ?? '-'}, ${a.error ?? a.outcome}`),
              ...sample(failWithoutError, (a) => `answer ${a.attemptNo} (${a.paymentState}): FAIL without errorMessage.errorId`),
            ]
          : sample(answered, (a) => `${a.paymentState} answered ${a.outcome}`),
        noAnswers,
        [
          ...(bad.length > 0 ? [`${bad.length} answer(s) not HTTP 200 with the documented JSON`] : []),
          ...(failWithoutError.length > 0 ? [`${failWithoutError.length} FAIL answer(s) without errorMessage.errorId`] : []),
        ],
      ),
    );
  }

  // 9. Status updates for every capture and refund: every reservation settled (captured or
  //    cancelled) with updatestatus, and no capture or refund rejected.
  {
    const settled = new Set(
      statusItems
        .filter(
          (i) => (i.status === 'CAPTURED' || i.status === 'CANCELLED') && i.operation_status === 'SUCCESS' && i.outcome !== 'REJECTED',
        )
        .map((i) => i.psp_transaction_id),
    );
    const open = reserved.filter((r) => !settled.has(r.psp_transaction_id));
    const rejected = statusItems.filter((i) => i.outcome === 'REJECTED' && (i.status === 'CAPTURED' || i.status === 'REFUNDED'));
    // Evidence: the offenders when something was rejected, else the settled reservations (the
    // open ones are listed as missing).
    const evidence =
      rejected.length > 0
        ? rejected.map((r) => ev(r.psp_transaction_id, r.merchant_order_id, `${r.status} ${r.amount_ore} øre rejected: ${r.reason_code}`))
        : reserved
            .filter((r) => settled.has(r.psp_transaction_id))
            .map((r) => ev(r.psp_transaction_id, r.merchant_order_id, 'settled with updatestatus'));
    const missing = [
      ...(reserved.length === 0 ? ['no payment reserved yet'] : []),
      ...open
        .slice(0, OFFENDERS)
        .map((r) => `no CAPTURED or CANCELLED status update for reserved payment ${r.psp_transaction_id} (${r.merchant_order_id})`),
      ...(open.length > OFFENDERS ? [`… and ${open.length - OFFENDERS} more reserved payments without a status update`] : []),
    ];
    items.push(
      item(
        'status-updates',
        'Status updates sent for every capture and refund (every reservation captured or cancelled; none rejected)',
        'graded',
        evidence,
        missing,
        rejected.length > 0 ? [`${rejected.length} capture/refund status update(s) rejected by the platform`] : [],
      ),
    );
  }

  const counts = { PASS: 0, MISSING: 0, FAIL: 0, NOT_APPLICABLE: 0 } satisfies Record<ChecklistStatus, number>;
  for (const i of items) counts[i.status] += 1;
  return {
    pspId,
    generatedAt: new Date(platform.clock.now()).toISOString(),
    status: counts.MISSING + counts.FAIL === 0 ? 'PASS' : 'INCOMPLETE',
    counts,
    items,
  };
}

function parseJson(text: string | null): Attempt['response'] {
  if (!text) return null;
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null ? (value as Attempt['response']) : null;
  } catch {
    return null;
  }
}

function groupBy<T>(list: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const t of list) {
    const k = key(t);
    const group = map.get(k);
    if (group) group.push(t);
    else map.set(k, [t]);
  }
  return map;
}

/** The report as a readable table (the CLI's default output). */
export function formatChecklist(report: ChecklistReport): string {
  const mark: Record<ChecklistStatus, string> = { PASS: 'PASS', MISSING: 'MISSING', FAIL: 'FAIL', NOT_APPLICABLE: 'N/A' };
  const lines = [`Go-live checklist for PSP ${report.pspId} (${report.generatedAt}): ${report.status}`, ''];
  const width = Math.max(...report.items.map((i) => i.title.length));
  for (const i of report.items) {
    lines.push(`${mark[i.status].padEnd(8)} ${i.title.padEnd(width)}  [${i.source}]`);
    // A failed item's evidence is its offenders.
    const bullet = i.status === 'FAIL' ? '!' : '✓';
    for (const e of i.evidence) {
      lines.push(`           ${bullet} ${e.pspTransactionId ?? '-'} / ${e.merchantOrderId ?? '-'}: ${e.detail}`);
    }
    for (const c of i.codes ?? []) {
      if (c.status === 'NOT_APPLICABLE') lines.push(`           - ${c.errorId} ${c.errorText}: does not apply: ${c.reason}`);
    }
    for (const m of i.missing) lines.push(`           ✗ ${m}`);
  }
  lines.push('', `${report.counts.PASS} pass, ${report.counts.MISSING} missing, ${report.counts.FAIL} fail`);
  return `${lines.join('\n')}\n`;
}
