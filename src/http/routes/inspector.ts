/**
 * The inspector (test profile; docs/inspector.md): `GET /_emulator/ui` and its pages, the
 * developer's actions as form posts (each answered 303 back to the page, refused cross-site),
 * live updates by server-sent events (`/_emulator/ui/events`), and the login form used when
 * CONTROL_API_TOKEN is set (http/control-access.ts). `GET /` redirects here in the test profile.
 *
 * Instance-wide: the inspector shows every PSP's objects (it is the operator's view, guarded as a
 * whole by CONTROL_API_TOKEN); payments are addressed by their internal id.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { API_OPERATIONS as JOURNAL_OPERATIONS } from '../../domain/api-operations.js';
import { ApiError } from '../../domain/errors.js';
import {
  batchesPage,
  checklistPage,
  faultsPage,
  frame,
  journalTable,
  loginPage,
  partiesPage,
  paymentPage,
  paymentsPage,
  requestsPage,
  UI,
} from '../../inspector/pages.js';
import type { Platform } from '../../platform.js';
import { buildChecklist } from '../../services/checklist.js';
import { approveAsUser, cancelAsUser, paymentView } from '../../services/control.js';
import { createFault, deleteFault } from '../../services/faults.js';
import {
  attemptsOfPayment,
  findPayments,
  journalEntries,
  journalOfPayment,
  listAllFaults,
  listPsps,
  listSalesUnits,
  listTestUsers,
} from '../../services/inspector-queries.js';
import { resetPlatform } from '../../services/reset.js';
import { listStatusBatches } from '../../services/status-batch-report.js';
import { html, type SafeHtml } from '../../wallet/pages/html.js';
import { CONTROL_COOKIE, controlCookieValue } from '../control-access.js';
import {
  EventStreams,
  formField,
  installPageErrorHandler,
  isSameOriginPost,
  landingCsp,
  registerFormParser,
  securityHeaders,
  seeOther,
  sendPage,
  serializeCookie,
} from './page-support.js';

const CSP = landingCsp();
const TICK_MS = 1000;

type Query = Record<string, string | undefined>;
const q = (request: FastifyRequest): Query => (request.query ?? {}) as Query;
const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v.trim().slice(0, 64));

export async function inspectorRoutes(app: FastifyInstance, { platform }: { platform: Platform }): Promise<void> {
  registerFormParser(app);
  const streams = new EventStreams(app);
  installPageErrorHandler(
    app,
    (status, contextId) =>
      frame(
        { section: 'payments', title: 'Error', nowIso: now() },
        errorBody(status >= 500 ? `Something went wrong (contextId ${contextId}).` : `The request was refused (HTTP ${status}).`),
      ),
    CSP,
  );
  /** An error answer as the inspector's own HTML page (never a bare text body). */
  const problem = (reply: FastifyReply, status: number, message: string) =>
    sendPage(reply, status, frame({ section: 'payments', title: 'Error', nowIso: now() }, errorBody(message)), CSP);

  const now = () => new Date(platform.clock.now()).toISOString();
  const psps = () => listPsps(platform);
  const merchants = () => listSalesUnits(platform);
  const page = (
    reply: FastifyReply,
    section: Parameters<typeof frame>[0]['section'],
    title: string,
    body: SafeHtml,
    request: FastifyRequest,
  ) => sendPage(reply, 200, frame({ section, title, nowIso: now(), notice: nonEmpty(q(request).notice) ?? null }, body), CSP);
  /** Back to a page with a notice (what the action did, or why it could not). */
  const back = (reply: FastifyReply, to: string, notice: string) =>
    seeOther(reply, `${to}${to.includes('?') ? '&' : '?'}notice=${encodeURIComponent(notice.slice(0, 200))}`, CSP);
  /** A form post's action: refused cross-site; an ApiError becomes the notice. */
  const action =
    (run: (request: FastifyRequest) => Promise<{ to: string; notice: string }>, fallback: (request: FastifyRequest) => string) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      if (!isSameOriginPost(request, platform.publicUrl())) return problem(reply, 403, 'Cross-site form post.');
      try {
        const { to, notice } = await run(request);
        return back(reply, to, notice);
      } catch (error) {
        if (error instanceof ApiError) return back(reply, fallback(request), `Refused: ${error.message}`);
        throw error;
      }
    };

  app.get('/', async (_request, reply) => seeOther(reply, UI, CSP));

  app.get(UI, async (request, reply) => {
    const query = q(request);
    const filter = { psp: nonEmpty(query.psp), msn: nonEmpty(query.msn), state: nonEmpty(query.state), q: nonEmpty(query.q) };
    const payments = await findPayments(platform, {
      pspId: filter.psp,
      merchantSerialNumber: filter.msn,
      state: filter.state,
      text: filter.q,
      limit: 200,
    });
    return page(reply, 'payments', 'Payments', paymentsPage(payments, filter, await psps(), await merchants()), request);
  });

  const paymentOf = async (id: string) => {
    const payment = /^[0-9a-f-]{36}$/.test(id) ? await platform.paymentReads.findById(id) : null;
    if (!payment) throw new ApiError('PAYMENT_NOT_FOUND');
    return payment;
  };

  app.get<{ Params: { id: string } }>(`${UI}/payments/:id`, async (request, reply) => {
    const payment = await platform.paymentReads.findById(request.params.id).catch(() => null);
    if (!payment)
      return sendPage(reply, 404, frame({ section: 'payments', title: 'Not found', nowIso: now() }, errorBody('No such payment.')), CSP);
    const view = await paymentView(platform, payment.pspId, payment.pspTransactionId);
    const attempts = await attemptsOfPayment(platform, payment.id);
    const latestAccepted = attempts.filter((a) => a.paymentState === 'ACCEPTED').at(-1);
    const requests = await journalOfPayment(platform, payment);
    const body = paymentPage({
      view,
      internalId: payment.id,
      requests: requests.entries,
      users: await listTestUsers(platform),
      threeDsAttemptId: latestAccepted?.id ?? null,
    });
    return page(reply, 'payments', `Payment ${payment.pspTransactionId}`, body, request);
  });

  const paymentUrl = (request: FastifyRequest) => `${UI}/payments/${encodeURIComponent((request.params as { id: string }).id)}`;

  app.post<{ Params: { id: string } }>(
    `${UI}/payments/:id/approve`,
    action(async (request) => {
      const payment = await paymentOf((request.params as { id: string }).id);
      const [phoneNumber, cardId] = (formField(request, 'card') ?? '').split(':');
      const view = await approveAsUser(platform, payment.pspId, payment.pspTransactionId, {
        ...(phoneNumber ? { phoneNumber } : {}),
        ...(cardId ? { cardId } : {}),
      });
      return { to: paymentUrl(request), notice: `Approved as ${phoneNumber ?? 'the user'}: the payment is ${view.state}.` };
    }, paymentUrl),
  );

  app.post<{ Params: { id: string } }>(
    `${UI}/payments/:id/cancel`,
    action(async (request) => {
      const payment = await paymentOf((request.params as { id: string }).id);
      const view = await cancelAsUser(platform, payment.pspId, payment.pspTransactionId);
      return { to: paymentUrl(request), notice: `Cancelled as the user: the payment is ${view.state}.` };
    }, paymentUrl),
  );

  app.post<{ Params: { id: string } }>(
    `${UI}/payments/:id/3ds`,
    action(async (request) => {
      const payment = await paymentOf((request.params as { id: string }).id);
      const outcome = formField(request, 'outcome') ?? '';
      if (!['OK', 'FAILED', 'CANCEL'].includes(outcome)) throw new ApiError('INVALID_REQUEST', {}, 'unknown 3-D Secure outcome');
      const attempts = await attemptsOfPayment(platform, payment.id);
      const attempt = attempts.find((a) => a.id === formField(request, 'attempt'));
      if (!attempt) throw new ApiError('PAYMENT_NOT_FOUND');
      const result = await platform.userActions.completeThreeDs(attempt.id, outcome);
      return { to: paymentUrl(request), notice: `3-D Secure ${outcome}: the payment is ${result.payment.state}.` };
    }, paymentUrl),
  );

  app.post(
    `${UI}/clock/advance`,
    action(
      async (request) => {
        const seconds = Number(formField(request, 'seconds'));
        if (!Number.isInteger(seconds) || seconds < 1 || seconds > 10 * 365 * 86400)
          throw new ApiError('INVALID_REQUEST', {}, 'seconds must be a whole number from 1');
        platform.clock.advance(seconds * 1000);
        await platform.scheduler.runDue();
        return { to: refererPath(request), notice: `Clock advanced ${seconds} s: now ${now()}.` };
      },
      (request) => refererPath(request),
    ),
  );

  app.post(
    `${UI}/reset`,
    action(
      async (request) => {
        const result = await resetPlatform(platform, nonEmpty(formField(request, 'pspId')));
        const d = result.deleted;
        return {
          to: UI,
          notice: `Reset ${result.pspId ?? 'everything'}: ${d.payments} payment(s), ${d.statusBatches} batch(es), ${d.requests} request(s), ${d.faults} fault(s) deleted.`,
        };
      },
      () => UI,
    ),
  );

  app.get(`${UI}/requests`, async (request, reply) => {
    const query = q(request);
    const filter = {
      psp: nonEmpty(query.psp),
      operation: nonEmpty(query.operation),
      status: nonEmpty(query.status),
      id: nonEmpty(query.id),
    };
    const status = filter.status && /^([1-5][0-9][0-9]|[1-5]xx)$/.test(filter.status) ? filter.status : undefined;
    const before = nonEmpty(query.before);
    const result = await journalEntries(platform, {
      pspId: filter.psp,
      operation: filter.operation,
      status,
      pspTransactionId: filter.id,
      before: before && /^[0-9a-f-]{36}$/.test(before) ? before : undefined,
      limit: 100,
    });
    return page(
      reply,
      'requests',
      'Request journal',
      requestsPage(result.entries, result.next, filter, await psps(), JOURNAL_OPERATIONS),
      request,
    );
  });

  app.get(`${UI}/batches`, async (request, reply) => {
    const list = await listStatusBatches(platform, { pspId: null, limit: 100, offset: 0, rejectedLimit: 100 });
    return page(reply, 'batches', 'Status batches', batchesPage(list), request);
  });

  app.get(`${UI}/faults`, async (request, reply) =>
    page(reply, 'faults', 'Faults', faultsPage(await listAllFaults(platform), await psps(), JOURNAL_OPERATIONS), request),
  );

  app.post(
    `${UI}/faults`,
    action(
      async (request) => {
        const body = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Record<string, string | undefined>;
        const spec: Record<string, unknown> = { operation: body.operation, kind: body.kind };
        const int = (name: string) => (nonEmpty(body[name]) === undefined ? undefined : Number(body[name]));
        if (nonEmpty(body.status) && body.kind === 'status') spec.status = int('status');
        if (nonEmpty(body.when)) spec.when = body.when;
        if (nonEmpty(body.delayMs) && (body.kind === 'latency' || body.kind === 'timeout')) spec.delayMs = int('delayMs');
        if (nonEmpty(body.count)) spec.count = int('count');
        if (nonEmpty(body.probability)) spec.probability = Number(body.probability?.replace(',', '.'));
        if (nonEmpty(body.seed)) spec.seed = int('seed');
        const fault = await createFault(platform, nonEmpty(body.pspId), spec);
        return {
          to: `${UI}/faults`,
          notice: `Fault ${fault.kind}${fault.status ? ` ${fault.status}` : ''} on ${fault.operation} injected.`,
        };
      },
      () => `${UI}/faults`,
    ),
  );

  app.post<{ Params: { id: string } }>(
    `${UI}/faults/:id/delete`,
    action(
      async (request) => {
        await deleteFault(platform, nonEmpty(formField(request, 'pspId')), (request.params as { id: string }).id);
        return { to: `${UI}/faults`, notice: 'Fault removed.' };
      },
      () => `${UI}/faults`,
    ),
  );

  app.get(`${UI}/parties`, async (request, reply) =>
    page(
      reply,
      'parties',
      'PSPs, sales units, users',
      partiesPage(await psps(), await merchants(), await listTestUsers(platform)),
      request,
    ),
  );

  app.get(`${UI}/checklist`, async (request, reply) => {
    const all = await psps();
    const pspId = nonEmpty(q(request).psp) ?? all[0]?.pspId;
    const report = pspId && all.some((p) => p.pspId === pspId) ? await buildChecklist(platform, pspId) : null;
    return page(reply, 'checklist', 'Go-live checklist', checklistPage(report, all, pspId), request);
  });

  // Live updates: `changed` on every payment change and every new journal row's flush is not
  // tracked (the journal page refreshes on payment changes and every few seconds); `tick` keeps
  // the clock current.
  app.get(`${UI}/events`, async (request, reply) => {
    const stream = streams.start(request, reply);
    const unsubscribe = platform.events.subscribe((change) => stream.send('changed', { paymentId: change.paymentId, state: change.state }));
    const tick = setInterval(() => stream.send('tick', { now: platform.clock.now() }), TICK_MS);
    stream.onClose(() => {
      unsubscribe();
      clearInterval(tick);
    });
    stream.send('tick', { now: platform.clock.now() });
    return reply;
  });

  // A fragment for the live list: the journal of one payment (used by inspector.js).
  app.get<{ Params: { id: string } }>(`${UI}/payments/:id/requests`, async (request, reply) => {
    const payment = await platform.paymentReads.findById(request.params.id).catch(() => null);
    if (!payment) return problem(reply, 404, 'No such payment.');
    const requests = await journalOfPayment(platform, payment);
    return reply.headers(securityHeaders(CSP)).type('text/html; charset=utf-8').send(journalTable(requests.entries).value);
  });

  // Login (only used when CONTROL_API_TOKEN is set; control-access.ts lets these through).
  app.get(`${UI}/login`, async (request, reply) =>
    sendPage(reply, 200, loginPage(safeNext(q(request).next), q(request).failed === '1'), CSP),
  );
  app.post(`${UI}/login`, async (request, reply) => {
    if (!isSameOriginPost(request, platform.publicUrl())) return problem(reply, 403, 'Cross-site form post.');
    const token = platform.config.controlApiToken;
    const next = safeNext(formField(request, 'next'));
    if (token === null) return seeOther(reply, next, CSP);
    const given = formField(request, 'token') ?? '';
    if (controlCookieValue(given) !== controlCookieValue(token)) {
      return seeOther(reply, `${UI}/login?failed=1&next=${encodeURIComponent(next)}`, CSP);
    }
    reply.header(
      'set-cookie',
      serializeCookie(CONTROL_COOKIE, controlCookieValue(token), { path: '/_emulator', secure: platform.publicUrl().startsWith('https:') }),
    );
    return seeOther(reply, next, CSP);
  });
}

/** Only a path of the inspector (no open redirect). */
function safeNext(next: string | undefined): string {
  return next && /^\/_emulator\/ui(\/[A-Za-z0-9/_.-]*)?(\?[^\s#]*)?$/.test(next) ? next : UI;
}

/** The inspector page a form was posted from (its Referer), else the payments list. */
function refererPath(request: FastifyRequest): string {
  const referer = request.headers.referer;
  if (typeof referer !== 'string') return UI;
  try {
    const url = new URL(referer);
    const path = `${url.pathname}${url.search.replace(/([?&])notice=[^&]*&?/, '$1').replace(/[?&]$/, '')}`;
    return safeNext(path);
  } catch {
    return UI;
  }
}

function errorBody(message: string): SafeHtml {
  return html`<p class="bad">${message}</p><p><a href="${UI}">Back to the payments</a></p>`;
}
