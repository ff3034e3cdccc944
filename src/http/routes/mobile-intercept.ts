/**
 * The 3-D Secure return URLs (`operations` of makePayment, psp-facts.md §2.6): the PSP's 3-D
 * Secure page redirects the app's web view here; the real app intercepts the navigation. The
 * engine completes the step; the page tells a browser user what happened.
 */
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../domain/errors.js';
import type { Platform } from '../../platform.js';

export async function mobileInterceptRoutes(app: FastifyInstance, { platform }: { platform: Platform }): Promise<void> {
  app.get<{ Querystring: { transactionId?: string; responsecode?: string } }>('/mobileintercept', async (request, reply) => {
    const { transactionId, responsecode } = request.query;
    let message = 'This link is not valid.';
    let status = 404;
    if (transactionId && /^[0-9a-f-]{36}$/i.test(transactionId)) {
      try {
        const { payment } = await platform.engine.completeThreeDs(transactionId, responsecode ?? '');
        status = 200;
        message =
          payment.state === 'RESERVED'
            ? 'Payment approved. Return to the Vipps app.'
            : payment.state === 'FAILED' || payment.state === 'USER_CANCELLED' || payment.state === 'EXPIRED'
              ? (payment.userMessage ?? 'The payment was not completed.')
              : 'Card verification completed. Return to the Vipps app.';
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
      }
    }
    // Shown inside the simulated app's web view (same origin), which notices this navigation;
    // nobody else may frame it.
    return reply
      .code(status)
      .header('cache-control', 'no-store')
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'")
      .header('x-frame-options', 'SAMEORIGIN')
      .type('text/html; charset=utf-8')
      .send(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Vipps</title></head><body><main><p data-testid="intercept-message">${escapeHtml(message)}</p></main></body></html>`,
      );
  });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
