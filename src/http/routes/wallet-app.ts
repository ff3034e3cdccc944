/**
 * The simulated Vipps app at /app (psp-facts.md §2.4, §2.6, §2.14, §2.15): a test user logs in
 * with phone number and PIN, sees payment requests arrive (server-sent events), confirms or
 * cancels, goes through 3-D Secure in the app's web view, opens `vippsMT://` deeplinks and sees
 * the history. Pay, Cancel and opening a deeplink go through the approval engine; the 3-D Secure
 * return URL is the platform's /mobileintercept (mobile-intercept.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../../domain/errors.js';
import type { Merchant, UserWithCards } from '../../domain/parties.js';
import type { Payment } from '../../domain/payment.js';
import { awaitsConfirmation, awaitsPhoneNumber, awaitsThreeDs, isFinal, outcomeOf } from '../../domain/payment-lifecycle.js';
import { osloDate } from '../../domain/time.js';
import type { Platform } from '../../platform.js';
import { findSalesUnit, findUser, listUsers, paymentLog, paymentsOfUser } from '../../services/wallet-views.js';
import {
  APP_PATH,
  type AppUser,
  appProblemPage,
  homePage,
  loginPage,
  paymentPage,
  requestsFragment,
  TEST_PIN,
} from '../../wallet/pages/app.js';
import { safeFrameUrl, safeNavigationUrl } from '../../wallet/pages/html.js';
import { isPageErrorKey, isPendingForUser, NEUTRAL_USER_MESSAGE, normalizePhone, pageErrorMessage } from '../../wallet/pages/messages.js';
import { type AppSession, SESSION_COOKIE, SessionSigner } from '../../wallet/pages/session.js';
import {
  appCsp,
  EventStreams,
  formField,
  installPageErrorHandler,
  isSameOriginPost,
  readCookie,
  registerFormParser,
  seeOther,
  sendPage,
  serializeCookie,
} from './page-support.js';

const TIME_ZONE = 'Europe/Oslo';
/** How many of the user's payments the app lists (requests and history together). */
const LIST_LIMIT = 50;
const TICK_MS = 1000;

/**
 * A page's query: the named parameters, each one string. A repeated one is an array, which fails
 * validation (nothing is coerced, app.ts): 400 on the app's error page.
 */
const query = (...names: string[]) =>
  ({ type: 'object', properties: Object.fromEntries(names.map((name) => [name, { type: 'string' }])) }) as const;

interface LoggedIn {
  readonly session: AppSession;
  readonly user: UserWithCards;
  readonly csrf: string;
  readonly appUser: AppUser;
}

/** The token of a pasted payment link: `vippsMT://?token=…`, `vipps://?token=…` or the https form. */
export function tokenFromLink(link: string): string | null {
  const match = /^(?:vippsmt|vipps|https?):\/\/[^\s]*?[?&]token=([A-Za-z0-9._~-]+)/i.exec(link.trim());
  return match?.[1] ?? null;
}

export async function walletAppRoutes(app: FastifyInstance, { platform }: { platform: Platform }): Promise<void> {
  registerFormParser(app);
  const streams = new EventStreams(app);
  const sessions = new SessionSigner(platform.keys.session);
  const csp = appCsp();
  installPageErrorHandler(
    app,
    (status, id) =>
      status < 500
        ? appProblemPage('This request is not valid', `Reference: ${id}`)
        : appProblemPage('Something went wrong', `Try again. Reference: ${id}`),
    csp,
  );
  // A page for the requests a script makes (the request list, the event stream) without a session.
  const notLoggedIn = (reply: FastifyReply) => sendPage(reply, 401, appProblemPage('Not logged in', 'Log in to the app again.'), csp);
  const secure = (): boolean => platform.publicUrl().startsWith('https:');

  async function loggedIn(request: FastifyRequest): Promise<LoggedIn | null> {
    const session = sessions.verify(readCookie(request, SESSION_COOKIE), Date.now());
    if (!session) return null;
    const user = await findUser(platform, session.phoneNumber);
    if (!user) return null;
    return { session, user, csrf: sessions.csrfToken(session), appUser: { name: user.name, phoneNumber: user.phoneNumber } };
  }

  const toLogin = (reply: FastifyReply, next: string) => seeOther(reply, `${APP_PATH}/login?next=${encodeURIComponent(next)}`, csp);
  const safeNext = (next: string | undefined): string =>
    next && (next === APP_PATH || next.startsWith(`${APP_PATH}/`) || next.startsWith(`${APP_PATH}?`)) && !next.includes('\\')
      ? next
      : APP_PATH;
  const refused = (reply: FastifyReply) =>
    sendPage(reply, 403, appProblemPage('Request refused', 'The form was sent from another site, or your session changed.'), csp);

  /** A form post of a logged-in user: same origin and the session's CSRF token. */
  async function postingUser(request: FastifyRequest, reply: FastifyReply): Promise<LoggedIn | null> {
    const who = await loggedIn(request);
    if (!who) {
      await toLogin(reply, APP_PATH);
      return null;
    }
    if (!isSameOriginPost(request, platform.publicUrl()) || !sessions.checkCsrf(who.session, formField(request, 'csrf'))) {
      await refused(reply);
      return null;
    }
    return who;
  }

  async function merchantsOf(payments: readonly Payment[]): Promise<Map<string, Merchant>> {
    const map = new Map<string, Merchant>();
    for (const msn of new Set(payments.map((p) => p.merchantSerialNumber))) {
      const m = await findSalesUnit(platform, msn);
      if (m) map.set(msn, m);
    }
    return map;
  }

  async function listFor(phone: string) {
    const payments = await paymentsOfUser(platform, phone, LIST_LIMIT);
    return {
      pending: payments.filter((p) => isPendingForUser(p.state)),
      history: payments.filter((p) => isFinal(p.state)),
      merchants: await merchantsOf(payments),
    };
  }

  async function renderHome(reply: FastifyReply, who: LoggedIn, status: number, openError: string | null) {
    const { pending, history, merchants } = await listFor(who.user.phoneNumber);
    return sendPage(
      reply,
      status,
      homePage({ user: who.appUser, csrf: who.csrf, pending, history, merchants, timeZone: TIME_ZONE, openError }),
      csp,
    );
  }

  /** The user's own payment, or null (another user's payment answers like an unknown one). */
  async function ownPayment(who: LoggedIn, id: string): Promise<Payment | null> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
    const payment = await platform.paymentReads.findById(id);
    return payment && payment.userPhone === who.user.phoneNumber ? payment : null;
  }

  const notFound = (reply: FastifyReply, who: LoggedIn) =>
    sendPage(
      reply,
      404,
      appProblemPage('Payment not found', 'This payment request is not in your Vipps app.', { user: who.appUser, csrf: who.csrf }),
      csp,
    );

  // --- Log in / out ---------------------------------------------------------------------------

  app.get<{ Querystring: { next?: string } }>(`${APP_PATH}/login`, { schema: { querystring: query('next') } }, async (request, reply) => {
    const next = safeNext(request.query.next);
    if (await loggedIn(request)) return seeOther(reply, next, csp);
    return sendPage(reply, 200, loginPage({ error: null, next, phone: '', testUsers: await testUsers() }), csp);
  });

  async function testUsers(): Promise<AppUser[]> {
    if (platform.config.profile !== 'test') return [];
    return (await listUsers(platform)).map((u) => ({ name: u.name, phoneNumber: u.phoneNumber }));
  }

  app.post(`${APP_PATH}/login`, async (request, reply) => {
    if (!isSameOriginPost(request, platform.publicUrl())) return refused(reply);
    const next = safeNext(formField(request, 'next'));
    const typed = formField(request, 'phoneNumber') ?? '';
    const phone = normalizePhone(typed);
    const user = phone ? await findUser(platform, phone) : null;
    // §2.15: the test environment's PIN is 1236 for every test user; no lock-out.
    if (!user || formField(request, 'pin') !== TEST_PIN) {
      return sendPage(
        reply,
        401,
        loginPage({ error: 'Wrong phone number or PIN.', next, phone: typed, testUsers: await testUsers() }),
        csp,
      );
    }
    reply.header(
      'set-cookie',
      serializeCookie(SESSION_COOKIE, sessions.issue(user.phoneNumber, Date.now()), { path: APP_PATH, secure: secure() }),
    );
    return seeOther(reply, next, csp);
  });

  app.post(`${APP_PATH}/logout`, async (request, reply) => {
    const who = await postingUser(request, reply);
    if (!who) return reply;
    reply.header('set-cookie', serializeCookie(SESSION_COOKIE, '', { path: APP_PATH, maxAgeSeconds: 0, secure: secure() }));
    return seeOther(reply, `${APP_PATH}/login`, csp);
  });

  // --- Home: requests, open a link, history -----------------------------------------------------

  app.get(APP_PATH, async (request, reply) => {
    const who = await loggedIn(request);
    if (!who) return toLogin(reply, APP_PATH);
    return renderHome(reply, who, 200, null);
  });

  app.get(`${APP_PATH}/requests`, async (request, reply) => {
    const who = await loggedIn(request);
    if (!who) return notLoggedIn(reply);
    const { pending, merchants } = await listFor(who.user.phoneNumber);
    return sendPage(reply, 200, requestsFragment({ pending, merchants, timeZone: TIME_ZONE }), csp);
  });

  // The push: every change of this user's payments, and the platform's time every second.
  // With `?payment=<id>` the stream starts with that payment's current state, so a screen that
  // subscribed just after a change still sees it.
  app.get<{ Querystring: { payment?: string } }>(
    `${APP_PATH}/events`,
    { schema: { querystring: query('payment') } },
    async (request, reply) => {
      const who = await loggedIn(request);
      if (!who) return notLoggedIn(reply);
      const phone = who.user.phoneNumber;
      const stream = streams.start(request, reply);
      const unsubscribe = platform.events.subscribe((change) => {
        if (change.userPhone === phone)
          stream.send('payment', { paymentId: change.paymentId, state: change.state, now: platform.clock.now() });
      });
      const tick = setInterval(() => stream.send('tick', { now: platform.clock.now() }), TICK_MS);
      stream.onClose(() => {
        unsubscribe();
        clearInterval(tick);
      });
      stream.send('tick', { now: platform.clock.now() });
      const watched = request.query.payment;
      if (watched && /^[0-9a-f-]{36}$/i.test(watched)) {
        const current = await platform.paymentReads.findById(watched);
        if (current && current.userPhone === phone) {
          stream.send('payment', { paymentId: current.id, state: current.state, now: platform.clock.now() });
        }
      }
      return reply;
    },
  );

  // --- Deeplinks ------------------------------------------------------------------------------

  // The https form of `vippsMT://?token=…` (and where a phone's browser lands from the landing page).
  app.get<{ Querystring: { token?: string } }>(
    `${APP_PATH}/deeplink`,
    { schema: { querystring: query('token') } },
    async (request, reply) => {
      const token = request.query.token ?? '';
      const who = await loggedIn(request);
      if (!who) return toLogin(reply, `${APP_PATH}/deeplink?token=${encodeURIComponent(token)}`);
      const page = (status: number, title: string, message: string) =>
        sendPage(reply, status, appProblemPage(title, message, { user: who.appUser, csrf: who.csrf }), csp);
      const verified = token && token.length <= 4096 ? await platform.landingTokens.verify(token) : null;
      const paymentId = verified ? (verified.ok ? verified.claims.paymentId : verified.paymentId) : undefined;
      const payment = paymentId ? await platform.paymentReads.findById(paymentId) : null;
      if (!verified || !payment) return page(400, 'This payment link is not valid', 'Go back to the shop and start the payment again.');
      if (payment.userPhone === who.user.phoneNumber) return seeOther(reply, `${APP_PATH}/payments/${payment.id}`, csp);
      if (isFinal(payment.state)) return page(410, 'This payment link has already been used', 'Go back to the shop to see the result.');
      if (!awaitsPhoneNumber(payment.state)) {
        return page(409, 'This payment request is not for you', 'It was sent to another phone number.');
      }
      if (!verified.ok)
        return page(410, 'This payment link has expired', 'A payment link can be used for 5 minutes. Go back to the shop and try again.');
      try {
        await platform.userActions.identifyUser(payment.id, who.user.phoneNumber);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        if (error.key === 'USER_NOT_AVAILABLE') return page(400, 'Payment not possible', NEUTRAL_USER_MESSAGE);
        return page(
          409,
          'This payment request is no longer available',
          pageErrorMessage(error.key) ?? 'Go back to the shop and try again.',
        );
      }
      return seeOther(reply, `${APP_PATH}/payments/${payment.id}`, csp);
    },
  );

  // A pasted deeplink (the desktop stand-in for the OS opening `vippsMT://`).
  app.post(`${APP_PATH}/open`, async (request, reply) => {
    const who = await postingUser(request, reply);
    if (!who) return reply;
    const token = tokenFromLink(formField(request, 'link') ?? '');
    if (!token) return renderHome(reply, who, 400, 'This is not a Vipps payment link. Paste the vippsMT://?token=… link from the shop.');
    return seeOther(reply, `${APP_PATH}/deeplink?token=${encodeURIComponent(token)}`, csp);
  });

  // --- The payment screen -----------------------------------------------------------------------

  app.get<{ Params: { id: string }; Querystring: { error?: string } }>(
    `${APP_PATH}/payments/:id`,
    { schema: { querystring: query('error') } },
    async (request, reply) => {
      const who = await loggedIn(request);
      if (!who) return toLogin(reply, `${APP_PATH}/payments/${encodeURIComponent(request.params.id)}`);
      const payment = await ownPayment(who, request.params.id);
      if (!payment) return notFound(reply, who);
      const merchant = await findSalesUnit(platform, payment.merchantSerialNumber);
      if (!merchant) return notFound(reply, who);
      const nowMs = platform.clock.now();
      const waiting = awaitsConfirmation(payment.state);
      return sendPage(
        reply,
        200,
        paymentPage({
          user: who.appUser,
          csrf: who.csrf,
          payment,
          merchant,
          cards: who.user.cards,
          today: osloDate(nowMs),
          nowMs,
          error: waiting ? pageErrorMessage(request.query.error) : null,
          // §2.13: back to the shop after the payment, best effort; never for skipLandingPage.
          shopUrl: isFinal(payment.state) && !payment.skipLandingPage ? safeNavigationUrl(payment.pspRedirectUrl) : null,
          frameUrl: awaitsThreeDs(payment.state) ? safeFrameUrl(payment.url3dSecure) : null,
          // Only a reserved payment has money movements to show.
          log: outcomeOf(payment.state) === 'reserved' ? await paymentLog(platform, payment.id) : [],
          timeZone: TIME_ZONE,
        }),
        csp,
      );
    },
  );

  async function act(
    request: FastifyRequest<{ Params: { id: string } }>,
    reply: FastifyReply,
    action: (payment: Payment, who: LoggedIn) => Promise<unknown>,
  ) {
    const who = await postingUser(request, reply);
    if (!who) return reply;
    const payment = await ownPayment(who, request.params.id);
    if (!payment) return notFound(reply, who);
    const back = `${APP_PATH}/payments/${payment.id}`;
    try {
      await action(payment, who);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      request.log.info({ paymentId: payment.id, error: error.key }, 'app action refused');
      return seeOther(reply, isPageErrorKey(error.key) ? `${back}?error=${error.key}` : back, csp);
    }
    return seeOther(reply, back, csp);
  }

  // Pay: answers once the PSP's outcome is known (the page shows a spinner meanwhile).
  app.post<{ Params: { id: string } }>(`${APP_PATH}/payments/:id/pay`, async (request, reply) =>
    act(request, reply, (payment, who) => {
      const cardId = formField(request, 'cardId');
      return platform.userActions.approve(payment.id, { phoneNumber: who.user.phoneNumber, ...(cardId ? { cardId } : {}) });
    }),
  );

  app.post<{ Params: { id: string } }>(`${APP_PATH}/payments/:id/cancel`, async (request, reply) =>
    act(request, reply, (payment) => platform.userActions.cancel(payment.id, 'app')),
  );
}
