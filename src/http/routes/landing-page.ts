/**
 * The landing page at `vippsRedirectUrl` (psp-facts.md §2.2, §2.4, §2.14): the customer types (or
 * finds pre-filled) a phone number, "Next" pushes the request to that user's app (the engine's
 * identifyUser), and the waiting screen follows the payment over server-sent events until it
 * ends, then sends the browser to pspRedirectUrl. Phones go straight to the app. Every change
 * to the payment goes through the approval engine.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../../domain/errors.js';
import type { Merchant } from '../../domain/parties.js';
import type { Payment } from '../../domain/payment.js';
import { awaitsPhoneNumber, isFinal } from '../../domain/payment-lifecycle.js';
import type { Platform } from '../../platform.js';
import { findSalesUnit } from '../../services/wallet-views.js';
import { APP_PATH } from '../../wallet/pages/app.js';
import { safeNavigationUrl } from '../../wallet/pages/html.js';
import { finishedPage, LANDING_PATH, landingUrl, phoneFormPage, problemPage, waitingPage } from '../../wallet/pages/landing.js';
import { landingStatus, NEUTRAL_USER_MESSAGE, normalizePhone } from '../../wallet/pages/messages.js';
import {
  cspSourceFor,
  EventStreams,
  formField,
  installPageErrorHandler,
  isPhoneUserAgent,
  isSameOriginPost,
  landingCsp,
  readCookie,
  registerFormParser,
  seeOther,
  sendPage,
  serializeCookie,
} from './page-support.js';

/** "Remember my number": off by default, kept in this browser for all merchants (§2.14). */
export const REMEMBER_COOKIE = 'vipps_remember_phone';
const REMEMBER_MAX_AGE_SECONDS = 365 * 24 * 3600;
/** How often the waiting screen is told the platform's time (the clock may be advanced). */
const TICK_MS = 1000;
/** Longer than any landing token the platform issues; a longer one is refused unread. */
const MAX_TOKEN_LENGTH = 4096;

/**
 * The pages' query: one `token`, a string. A repeated one is an array, which fails validation
 * (nothing is coerced, app.ts): 400 on the page's error page.
 */
const tokenQuery = { type: 'object', properties: { token: { type: 'string' } } } as const;

type Resolved =
  | { readonly ok: false }
  | { readonly ok: true; readonly payment: Payment; readonly merchant: Merchant; readonly expired: boolean; readonly token: string };

export async function landingPageRoutes(app: FastifyInstance, { platform }: { platform: Platform }): Promise<void> {
  registerFormParser(app);
  const streams = new EventStreams(app);
  installPageErrorHandler(
    app,
    (status, id) =>
      status < 500
        ? problemPage('This request is not valid', `Check that you opened the whole link. Reference: ${id}`)
        : problemPage('Something went wrong', `Go back to the shop and try again. Reference: ${id}`),
    landingCsp(),
  );

  async function resolve(token: string | undefined): Promise<Resolved> {
    if (!token || token.length > MAX_TOKEN_LENGTH) return { ok: false };
    const verified = await platform.landingTokens.verify(token);
    // An expired token still names its payment: the waiting screen outlives the 5-minute link.
    const paymentId = verified.ok ? verified.claims.paymentId : verified.paymentId;
    if (!paymentId) return { ok: false };
    const payment = await platform.paymentReads.findById(paymentId);
    if (!payment) return { ok: false };
    const merchant = await findSalesUnit(platform, payment.merchantSerialNumber);
    if (!merchant) return { ok: false };
    return { ok: true, payment, merchant, expired: !verified.ok, token };
  }

  /** Where the browser goes when the payment has ended (none for skipLandingPage, §2.13). */
  const shopUrlOf = (p: Payment): string | null => (p.skipLandingPage ? null : safeNavigationUrl(p.pspRedirectUrl));
  const cspFor = (p: Payment): string => landingCsp([cspSourceFor(shopUrlOf(p))].filter((s): s is string => s !== null));
  const secure = (): boolean => platform.publicUrl().startsWith('https:');

  const invalid = (reply: FastifyReply) =>
    sendPage(
      reply,
      400,
      problemPage(
        'This payment link is not valid',
        'Check that you opened the whole link. If it still does not work, go back to the shop and start the payment again.',
      ),
      landingCsp(),
    );
  const expired = (reply: FastifyReply) =>
    sendPage(
      reply,
      410,
      problemPage(
        'This payment link has expired',
        'A payment link can be used for 5 minutes. Go back to the shop and start the payment again.',
      ),
      landingCsp(),
    );
  const forbidden = (reply: FastifyReply) =>
    sendPage(reply, 403, problemPage('Request refused', 'The form was sent from another site.'), landingCsp());

  function renderForm(
    reply: FastifyReply,
    request: FastifyRequest,
    r: Extract<Resolved, { ok: true }>,
    status: number,
    entered: { phone?: string; remember?: boolean; error?: string },
  ) {
    const remembered = readCookie(request, REMEMBER_COOKIE);
    const phone = entered.phone ?? r.payment.customerMobileNumber ?? normalizePhone(remembered) ?? '';
    return sendPage(
      reply,
      status,
      phoneFormPage({
        merchant: r.merchant,
        payment: r.payment,
        token: r.token,
        phone,
        remember: entered.remember ?? remembered !== undefined,
        error: entered.error ?? null,
        cancelAction: `${LANDING_PATH}/cancel`,
      }),
      cspFor(r.payment),
    );
  }

  app.get<{ Querystring: { token?: string } }>(LANDING_PATH, { schema: { querystring: tokenQuery } }, async (request, reply) => {
    const r = await resolve(request.query.token);
    if (!r.ok) return invalid(reply);
    const { payment, merchant } = r;
    if (isFinal(payment.state)) {
      return sendPage(reply, 410, finishedPage({ merchant, payment, shopUrl: shopUrlOf(payment) }), cspFor(payment));
    }
    if (awaitsPhoneNumber(payment.state) && r.expired) return expired(reply);
    // §2.14: a phone opens the app instead of the landing page.
    if (isPhoneUserAgent(request.headers['user-agent'])) {
      return reply
        .code(302)
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer')
        .header('location', `${APP_PATH}/deeplink?token=${encodeURIComponent(r.token)}`)
        .send();
    }
    if (awaitsPhoneNumber(payment.state)) return renderForm(reply, request, r, 200, {});
    return sendPage(
      reply,
      200,
      waitingPage({
        merchant,
        payment,
        token: r.token,
        nowMs: platform.clock.now(),
        redirectUrl: shopUrlOf(payment),
        eventsUrl: `${LANDING_PATH}/events?token=${encodeURIComponent(r.token)}`,
        cancelAction: `${LANDING_PATH}/cancel`,
      }),
      cspFor(payment),
    );
  });

  // "Next": push the request to this user's app.
  app.post(`${LANDING_PATH}/next`, async (request, reply) => {
    if (!isSameOriginPost(request, platform.publicUrl())) return forbidden(reply);
    const r = await resolve(formField(request, 'token'));
    if (!r.ok) return invalid(reply);
    const back = landingUrl(r.token);
    if (!awaitsPhoneNumber(r.payment.state)) return seeOther(reply, back, cspFor(r.payment));
    if (r.expired) return expired(reply);
    const typed = formField(request, 'phoneNumber') ?? '';
    const remember = formField(request, 'remember') === '1';
    const phone = normalizePhone(typed);
    if (!phone) return renderForm(reply, request, r, 400, { phone: typed, remember, error: 'Enter an 8-digit Norwegian mobile number.' });
    try {
      await platform.userActions.identifyUser(r.payment.id, phone);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (error.key === 'USER_NOT_AVAILABLE')
        return renderForm(reply, request, r, 400, { phone: typed, remember, error: NEUTRAL_USER_MESSAGE });
      // PAYMENT_NOT_PENDING and the like: the page shows where the payment is now.
      return seeOther(reply, back, cspFor(r.payment));
    }
    const path = LANDING_PATH.slice(0, LANDING_PATH.indexOf('/', 1) + 1); // the cookie is for the landing page only
    reply.header(
      'set-cookie',
      remember
        ? serializeCookie(REMEMBER_COOKIE, phone, { path, maxAgeSeconds: REMEMBER_MAX_AGE_SECONDS, secure: secure() })
        : serializeCookie(REMEMBER_COOKIE, '', { path, maxAgeSeconds: 0, secure: secure() }),
    );
    return seeOther(reply, back, cspFor(r.payment));
  });

  // "Cancel payment": a user cancel (USER_CANCEL to the PSP), then back to the shop.
  app.post(`${LANDING_PATH}/cancel`, async (request, reply) => {
    if (!isSameOriginPost(request, platform.publicUrl())) return forbidden(reply);
    const r = await resolve(formField(request, 'token'));
    if (!r.ok) return invalid(reply);
    try {
      await platform.userActions.cancel(r.payment.id, 'landing page');
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      // Already ended (or taken over by the app): the page shows how.
      return seeOther(reply, landingUrl(r.token), cspFor(r.payment));
    }
    return seeOther(reply, shopUrlOf(r.payment) ?? landingUrl(r.token), cspFor(r.payment));
  });

  // The waiting screen's live status: the state on every change, the platform's time every second.
  app.get<{ Querystring: { token?: string } }>(
    `${LANDING_PATH}/events`,
    { schema: { querystring: tokenQuery } },
    async (request, reply) => {
      const r = await resolve(request.query.token);
      // Refused at once, as the page's error page (an EventSource only sees the status).
      if (!r.ok) return sendPage(reply, 404, problemPage('This payment link is not valid', 'Not found.'), landingCsp());
      const paymentId = r.payment.id;
      const stream = streams.start(request, reply);
      let chain = Promise.resolve();
      const sendState = () => {
        chain = chain
          .then(async () => {
            const p = await platform.paymentReads.findById(paymentId);
            if (!p) return;
            const status = landingStatus(p);
            stream.send('state', {
              state: p.state,
              final: status.final,
              title: status.title,
              message: status.message,
              dueAt: p.dueAt,
              now: platform.clock.now(),
              redirectUrl: shopUrlOf(p),
            });
          })
          .catch((error: unknown) => request.log.error({ err: error }, 'landing page event failed'));
      };
      const unsubscribe = platform.events.subscribe((change) => {
        if (change.paymentId === paymentId) sendState();
      });
      const tick = setInterval(() => stream.send('tick', { now: platform.clock.now() }), TICK_MS);
      stream.onClose(() => {
        unsubscribe();
        clearInterval(tick);
      });
      sendState();
      return reply;
    },
  );
}
