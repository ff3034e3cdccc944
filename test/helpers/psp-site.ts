/**
 * The PSP's side of a browser test, as one real local HTTP server:
 *  - `POST /makepayment`: records every request and answers as scripted per pspTransactionId
 *    (default OK); `threeDs()` answers SOFT_DECLINE with this site's 3-D Secure page;
 *  - `GET /3ds/<pspTransactionId>`: a tiny 3-D Secure page whose "Complete" button redirects to
 *    the `3dssuccess` URL of the latest makePayment request ("Cancel" to `3dscancel`);
 *  - `GET /shop/result?order=<merchantOrderId>`: the shop's result page (pspRedirectUrl).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { initBody, type PspApi, uid } from './platform.js';
import { ok, type StubAnswer, type StubRequest } from './psp-stub.js';

export { failWith, ok, softDecline } from './psp-stub.js';

/** A scripted answer, or `threeDs` = SOFT_DECLINE pointing at this site's 3-D Secure page. */
export type SiteAnswer = StubAnswer | { threeDs: true; delayMs?: number };

export const threeDs = (): SiteAnswer => ({ threeDs: true });

interface Operation {
  url: string;
  operation: string;
}

export class PspSite {
  readonly requests: StubRequest[] = [];
  readonly resultVisits: string[] = [];
  private readonly scripts = new Map<string, SiteAnswer[]>();
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  get makePaymentUrl(): string {
    return `${this.url}/makepayment`;
  }

  resultUrl(merchantOrderId: string): string {
    return `${this.url}/shop/result?order=${encodeURIComponent(merchantOrderId)}`;
  }

  threeDsUrl(pspTransactionId: string): string {
    return `${this.url}/3ds/${encodeURIComponent(pspTransactionId)}`;
  }

  script(pspTransactionId: string, ...answers: SiteAnswer[]): void {
    this.scripts.set(pspTransactionId, answers);
  }

  requestsFor(pspTransactionId: string): StubRequest[] {
    return this.requests.filter((r) => r.body.pspTransactionId === pspTransactionId);
  }

  /** The paymentState of every makePayment request for this payment, in order. */
  statesFor(pspTransactionId: string): string[] {
    return this.requestsFor(pspTransactionId).map((r) => String(r.body.paymentState));
  }

  private operationsFor(pspTransactionId: string): Operation[] {
    const accepted = this.requestsFor(pspTransactionId).filter((r) => r.body.paymentState === 'ACCEPTED');
    return (accepted.at(-1)?.body.operations as Operation[] | undefined) ?? [];
  }

  static async start(): Promise<PspSite> {
    let site: PspSite | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (!site) return void res.end();
        const url = new URL(req.url ?? '/', site.url);
        const raw = Buffer.concat(chunks).toString('utf8');
        if (req.method === 'POST' && url.pathname === '/makepayment') return site.makePayment(req.headers, raw, res);
        const threeDsMatch = /^\/3ds\/([^/]+)(\/(complete|cancel))?$/.exec(url.pathname);
        if (threeDsMatch) {
          const id = decodeURIComponent(threeDsMatch[1] ?? '');
          const action = threeDsMatch[3];
          if (req.method === 'GET' && !action) return page(res, 200, threeDsPage(id));
          if (req.method === 'POST' && action) {
            const wanted = action === 'complete' ? '3dssuccess' : '3dscancel';
            const target = site.operationsFor(id).find((o) => o.operation === wanted)?.url;
            if (!target) return page(res, 404, '<p>No makePayment request with operations for this payment.</p>');
            res.writeHead(302, { location: target, 'cache-control': 'no-store' });
            return void res.end();
          }
        }
        if (req.method === 'GET' && url.pathname === '/shop/result') {
          site.resultVisits.push(url.search);
          const order = url.searchParams.get('order') ?? '';
          return page(
            res,
            200,
            `<h1 data-testid="shop-result">Thank you for shopping</h1><p>Order <span data-testid="shop-order">${escapeText(order)}</span>: the shop checks the payment's status with the PSP.</p>`,
          );
        }
        page(res, 404, '<p>Not found</p>');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    site = new PspSite(server, `http://127.0.0.1:${port}`);
    return site;
  }

  private makePayment(headers: StubRequest['headers'], raw: string, res: import('node:http').ServerResponse): void {
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      // recorded raw
    }
    this.requests.push({ headers, body, raw, receivedAt: Date.now() });
    const id = String(body.pspTransactionId ?? '');
    const scripted = body.paymentState === 'ACCEPTED' ? this.scripts.get(id)?.shift() : undefined;
    const answer: StubAnswer =
      scripted && 'threeDs' in scripted
        ? {
            body: {
              errorMessage: { errorId: 1036, errorText: 'Soft Decline' },
              paymentInfo: { pspTransactionId: id, status: 'SOFT_DECLINE', url3dSecure: this.threeDsUrl(id) },
            },
            ...(scripted.delayMs ? { delayMs: scripted.delayMs } : {}),
          }
        : (scripted ?? (body.paymentState === 'ACCEPTED' ? ok(id) : failWith93(id, String(body.paymentState))));
    const send = () => {
      if (res.destroyed) return;
      res.writeHead(answer.status ?? 200, { 'content-type': answer.contentType ?? 'application/json' });
      res.end(answer.text ?? JSON.stringify(answer.body ?? {}));
    };
    if (answer.gate) void answer.gate.then(send, send);
    else if (answer.delayMs) setTimeout(send, answer.delayMs);
    else send();
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** §2.5 FAQ: the PSP answers a TIMEOUT / USER_CANCEL callback with FAIL, errorId 93. */
function failWith93(pspTransactionId: string, state: string): StubAnswer {
  const text = state === 'TIMEOUT' ? 'Status from Vipps:TIMEOUT' : 'Status from Vipps:CANCEL';
  return { body: { errorMessage: { errorId: '93', errorText: text }, paymentInfo: { pspTransactionId, status: 'FAIL' } } };
}

function threeDsPage(id: string): string {
  return `<h1>Demo Bank</h1><p>Card verification (3-D Secure) for payment <strong>${escapeText(id)}</strong>.</p>
<form method="post" action="/3ds/${encodeURIComponent(id)}/complete"><button type="submit">Complete</button></form>
<form method="post" action="/3ds/${encodeURIComponent(id)}/cancel"><button type="submit">Cancel verification</button></form>`;
}

function page(res: import('node:http').ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>PSP</title></head><body>${body}</body></html>`);
}

function escapeText(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A payment initiated for the browser tests, with the PSP site as its makePaymentUrl and result page. */
export interface StartedPayment {
  id: string;
  orderId: string;
  url: string;
  token: string;
  resultUrl: string;
}

export async function initiateForSite(api: PspApi, site: PspSite, overrides: Record<string, unknown> = {}): Promise<StartedPayment> {
  const orderId = uid('order-');
  const body = initBody({
    merchantOrderId: orderId,
    makePaymentUrl: site.makePaymentUrl,
    pspRedirectUrl: site.resultUrl(orderId),
    ...overrides,
  });
  const r = await api.init(body);
  if (r.status !== 200) throw new Error(`init: ${r.status} ${r.text}`);
  const url = r.json.vippsRedirectUrl;
  return {
    id: String(body.pspTransactionId),
    orderId,
    url,
    token: new URL(url).searchParams.get('token') ?? '',
    resultUrl: String(body.pspRedirectUrl),
  };
}
