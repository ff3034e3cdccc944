/**
 * The 3-D Secure return URLs (`operations` of makePayment, psp-facts.md §2.6): the PSP's 3-D
 * Secure page redirects the app's web view here; the real app intercepts the navigation. The
 * engine completes the step; the page tells a browser user what happened.
 *
 * A GET that changes state, on purpose: it is the URL the PSP's page *redirects* the browser to
 * (`https://…/mobileintercept?transactionId=…&responsecode=OK`, as on the real platform), and a
 * redirect is a GET. What protects it: `transactionId` is the id of the makePayment attempt, a
 * random UUID the platform gave only to the PSP (in `operations`); only the latest attempt of a
 * payment waiting for 3-D Secure acts, so a repeat, an old link or a prefetch changes nothing.
 * docs/landing-page-and-app.md "3-D Secure return URL".
 */
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../domain/errors.js';
import { outcomeOf } from '../../domain/payment-lifecycle.js';
import type { Platform } from '../../platform.js';
import { html } from '../../wallet/pages/html.js';
import { problemPage } from '../../wallet/pages/landing.js';
import { brand, documentPage } from '../../wallet/pages/layout.js';
import { installPageErrorHandler } from './page-support.js';

/**
 * No inline style or script: the page uses the shared stylesheet (`style-src 'self'`). Framed
 * only by the app (same origin), whose web view notices this navigation.
 */
export const MOBILE_INTERCEPT_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

/** One string each; a repeated parameter is an array, which fails validation (400, the error page). */
const interceptQuery = {
  type: 'object',
  properties: { transactionId: { type: 'string' }, responsecode: { type: 'string' } },
} as const;

export async function mobileInterceptRoutes(app: FastifyInstance, { platform }: { platform: Platform }): Promise<void> {
  installPageErrorHandler(
    app,
    (status, id) =>
      problemPage(status < 500 ? 'This link is not valid' : 'Something went wrong', `Return to the Vipps app. Reference: ${id}`),
    MOBILE_INTERCEPT_CSP,
  );
  app.get<{ Querystring: { transactionId?: string; responsecode?: string } }>(
    '/mobileintercept',
    { schema: { querystring: interceptQuery } },
    async (request, reply) => {
      const { transactionId, responsecode } = request.query;
      let message = 'This link is not valid.';
      let status = 404;
      if (transactionId && /^[0-9a-f-]{36}$/i.test(transactionId)) {
        try {
          const { payment } = await platform.userActions.completeThreeDs(transactionId, responsecode ?? '');
          status = 200;
          message =
            outcomeOf(payment.state) === 'reserved'
              ? 'Payment approved. Return to the Vipps app.'
              : outcomeOf(payment.state) !== null
                ? (payment.userMessage ?? 'The payment was not completed.')
                : 'Card verification completed. Return to the Vipps app.';
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
        }
      }
      const page = documentPage({
        kind: 'landing',
        title: 'Vipps',
        body: html`<header class="topbar">${brand('Vipps MT')}</header>
<main class="card"><p data-testid="intercept-message">${message}</p></main>`,
      });
      return reply
        .code(status)
        .header('cache-control', 'no-store')
        .header('content-security-policy', MOBILE_INTERCEPT_CSP)
        .header('x-frame-options', 'SAMEORIGIN')
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .type('text/html; charset=utf-8')
        .send(page.value);
    },
  );
}
