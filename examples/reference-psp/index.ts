/**
 * The reference PSP and its shop, built only on the typed client (`src/client/`, published as
 * `vipps-psp-emulator/client`): one plain `node:http` server with server-rendered pages.
 *
 *   const psp = await startReferencePsp({ emulatorUrl, credentials, port: 0 });
 *   // open psp.url: the shop; psp.url + '/backoffice': the back office
 *   await psp.close();
 *
 * Routes (docs/reference-psp.md):
 *   GET  /                          the shop: a product and "Pay with Vipps"
 *   POST /checkout                  init at Vipps, then 303 to vippsRedirectUrl
 *   GET  /orders/{merchantOrderId}  the order page (pspRedirectUrl): polls /api/orders/{id}
 *   GET  /api/orders[/{id}]         the shop's backend view of its orders (JSON)
 *   POST /vipps/makepayment         the makePaymentUrl: checks Authorization, authorises, answers
 *   GET  /3ds/{pspTransactionId}    the 3-D Secure page the PSP hosts; POST …/complete|cancel|fail
 *   GET  /backoffice[/orders/{id}]  orders; POST …/capture|cancel|refund → updatestatus
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  checkMakePaymentAuthorization,
  type MakePaymentResponse,
  MakePaymentValidationError,
  makePaymentFail,
  makePaymentNotAccepted,
  makePaymentOk,
  makePaymentSoftDecline,
  operationUrl,
  type PaymentDetailsRepresentation,
  PspClient,
  type PspClientConfig,
  parseMakePaymentRequest,
  VippsError,
} from '../../src/client/index.js';
import { SimulatedAcquirer } from './acquirer.js';
import { type LedgerEntry, type Order, OrderBook, remainingToCapture, remainingToRefund, unconfirmed } from './orders.js';
import { backOfficeList, backOfficeOrder, kr, messagePage, orderPage, PRODUCT, parseKr, shopPage, threeDsPage } from './pages.js';

export interface ReferencePspCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly subscriptionKey: string;
  readonly pspId: string;
  /** The shop's sales unit (Merchant-Serial-Number). */
  readonly merchantSerialNumber: string;
}

export interface ReferencePspOptions {
  /** Base URL of the platform: the emulator's URL, or `https://apitest.vipps.no`. */
  readonly emulatorUrl: string;
  readonly credentials: ReferencePspCredentials;
  /** Port to listen on (default 0: any free port). */
  readonly port?: number;
  /** Address to listen on (default 127.0.0.1). */
  readonly host?: string;
  /** Base of the URLs handed to Vipps (makePaymentUrl, pspRedirectUrl, url3dSecure); default the listening URL. */
  readonly publicUrl?: string;
  /** The PSP's own deadline for answering makePayment, well inside Vipps' 15 s (default 5000). */
  readonly answerWithinMs?: number;
  /** Passed to the client: the clock of the access token's expiry (e.g. the emulator's clock). */
  readonly now?: PspClientConfig['now'];
  /** Passed to the client: how long a call to Vipps may take (default the client's, 10 s). */
  readonly clientTimeoutMs?: number;
  /** Waits between retries of a call whose outcome is unknown (default 250, 500, 1000 ms). */
  readonly retryDelaysMs?: readonly number[];
}

export interface ReferencePsp {
  /** The shop (and PSP) base URL. */
  readonly url: string;
  readonly makePaymentUrl: string;
  readonly client: PspClient;
  close(): Promise<void>;
}

const BODY_LIMIT_BYTES = 64 * 1024;
const BACK_OFFICE_STATUS: Readonly<Record<string, LedgerEntry['status']>> = {
  capture: 'CAPTURED',
  cancel: 'CANCELLED',
  refund: 'REFUNDED',
};
const LOOPBACK_NAMES: readonly string[] = ['127.0.0.1', 'localhost', '::1'];
const FINAL_STATES = new Set<Order['state']>(['RESERVED', 'FAILED', 'CANCELLED']);

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > BODY_LIMIT_BYTES) throw new HttpError(413, 'body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store', ...headers });
  res.end(body);
}
const html = (res: ServerResponse, status: number, body: string) => send(res, status, 'text/html; charset=utf-8', body);
const json = (res: ServerResponse, status: number, body: unknown) => send(res, status, 'application/json', JSON.stringify(body));
const redirect = (res: ServerResponse, location: string) => send(res, 303, 'text/plain', '', { location });

export async function startReferencePsp(options: ReferencePspOptions): Promise<ReferencePsp> {
  const { credentials } = options;
  const answerWithinMs = options.answerWithinMs ?? 5000;
  const client = new PspClient({
    baseUrl: options.emulatorUrl,
    ...credentials,
    systemName: 'reference-psp',
    systemVersion: '1.0.0',
    ...(options.now ? { now: options.now } : {}),
    ...(options.clientTimeoutMs ? { timeoutMs: options.clientTimeoutMs } : {}),
  });
  const retryDelaysMs = options.retryDelaysMs ?? [250, 500, 1000];

  /**
   * A call to Vipps whose outcome may be unknown — no answer (time-out, closed connection), a 5xx
   * or a 429 — is sent again, the same request with the same Idempotency-Key, so Vipps replays
   * what it did the first time instead of doing it twice ("applied, then failed":
   * docs/inspector.md). A 4xx other than 429 is Vipps' answer and is not retried. (The client
   * does not expose Retry-After; the waits are fixed and short.)
   */
  async function retrying<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        const unknownOutcome = error instanceof VippsError && (error.status === undefined || error.status >= 500 || error.status === 429);
        const wait = retryDelaysMs[attempt];
        if (!unknownOutcome || wait === undefined) throw error;
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }
  const orders = new OrderBook();
  const acquirer = new SimulatedAcquirer();
  let base = '';
  const ownOrigins = new Set<string>();
  let sequence = 0;

  const orderByPath = (id: string): Order => {
    const order = orders.byOrderId(decodeURIComponent(id));
    if (!order) throw new HttpError(404, 'No such order');
    return order;
  };

  /** POST /checkout: the order is recorded first, then initiated at Vipps (§2.2). */
  async function checkout(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(await readBody(req));
    const custom = form.get('amount');
    const amountOre = custom === null ? PRODUCT.priceOre : parseKr(custom);
    if (amountOre === null || amountOre < 100) return html(res, 400, messagePage('Not an amount', 'Give an amount of at least 1,00 kr.'));
    sequence += 1;
    const order: Order = {
      // 32 lowercase hex characters: within the 36 allowed, and the spec's [a-z0-9].
      pspTransactionId: randomUUID().replace(/-/g, ''),
      merchantOrderId: `sock-shop-${Date.now().toString(36)}-${sequence}`,
      product: custom === null ? PRODUCT.name : 'Test amount',
      amountOre,
      makePaymentToken: randomBytes(24).toString('base64url'),
      createdAt: new Date().toISOString(),
      state: 'PENDING',
      reason: null,
      operations: [],
      threeDsCompleted: false,
      authorisationCode: null,
      finalAnswer: null,
      capturedOre: 0,
      refundedOre: 0,
      voided: false,
      ledger: [],
    };
    orders.add(order);
    try {
      const init = await retrying(() =>
        client.initiatePayment(
          {
            pspTransactionId: order.pspTransactionId,
            merchantOrderId: order.merchantOrderId,
            amount: amountOre,
            currency: 'NOK',
            pspRedirectUrl: `${base}/orders/${encodeURIComponent(order.merchantOrderId)}`,
            makePaymentUrl: `${base}/vipps/makepayment`,
            makePaymentToken: order.makePaymentToken,
            paymentText: order.product,
          },
          { idempotencyKey: `init-${order.pspTransactionId}` },
        ),
      );
      redirect(res, init.vippsRedirectUrl);
    } catch (error) {
      if (!(error instanceof VippsError)) throw error;
      order.state = 'FAILED';
      order.reason = `init failed: ${error.message}`;
      html(res, 502, messagePage('Vipps is not available', `The payment could not be started: ${error.message}`));
    }
  }

  /** The makePaymentUrl (psp-facts.md §2.5, §2.6): always 200 + JSON once the caller is known. */
  async function makePayment(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    let id = '';
    try {
      id = String((JSON.parse(raw) as { pspTransactionId?: unknown }).pspTransactionId ?? '');
    } catch {
      // not JSON: no order can be named, so the caller cannot be checked either
    }
    const order = orders.byPspId(id);
    if (!order || !checkMakePaymentAuthorization(req.headers.authorization, order.makePaymentToken)) {
      return json(res, 401, { error: 'unauthorized' });
    }
    let answer: MakePaymentResponse;
    try {
      answer = await decide(order, parseMakePaymentRequest(raw));
    } catch (error) {
      if (!(error instanceof MakePaymentValidationError)) throw error;
      answer = makePaymentFail(id, '71');
    }
    json(res, 200, answer);
  }

  async function decide(order: Order, request: ReturnType<typeof parseMakePaymentRequest>): Promise<MakePaymentResponse> {
    const id = order.pspTransactionId;
    if (request.paymentState !== 'ACCEPTED') {
      // TIMEOUT / USER_CANCEL: the payment is over; answered FAIL 93 as the FAQ says.
      if (order.state === 'PENDING' || order.state === 'AWAITING_3DS') {
        order.state = 'CANCELLED';
        order.reason = request.paymentState;
      }
      return makePaymentNotAccepted(request);
    }
    switch (order.state) {
      case 'CANCELLED':
        // The shop cancelled the pending payment (or Vipps told us it ended): too late (§2.5).
        return makePaymentFail(id, '85');
      case 'RESERVED':
      case 'FAILED':
        return order.finalAnswer ?? makePaymentFail(id, '91'); // a repeat: the same answer again
      case 'PENDING':
      case 'AWAITING_3DS':
        break;
    }
    const stepUp = order.state === 'AWAITING_3DS';
    if (stepUp && !order.threeDsCompleted) {
      // A second call without a completed 3-D Secure: never SOFT_DECLINE twice (§2.6 step 5).
      return fail(order, '94', 'Unhandled soft decline');
    }
    const abort = new AbortController();
    const deadline = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), answerWithinMs).unref());
    const result = await Promise.race([
      acquirer.authorise(
        { amountOre: order.amountOre, token: request.networkToken, threeDsCompleted: order.threeDsCompleted },
        abort.signal,
      ),
      deadline,
    ]);
    if (result === 'late') {
      abort.abort();
      return fail(order, '85', 'Response received too late');
    }
    switch (result.kind) {
      case 'approved':
        order.state = 'RESERVED';
        order.reason = null;
        order.authorisationCode = result.authorisationCode;
        order.finalAnswer = makePaymentOk(id);
        return order.finalAnswer;
      case 'declined': {
        const answer = makePaymentFail(id, result.errorId, result.errorText);
        return fail(order, result.errorId, answer.errorMessage?.errorText ?? '');
      }
      case 'soft-decline': {
        if (stepUp || !request.operations.some((o) => o.operation === '3dssuccess')) {
          return fail(order, '94', 'Unhandled soft decline');
        }
        order.state = 'AWAITING_3DS';
        order.operations = request.operations;
        return makePaymentSoftDecline(id, `${base}/3ds/${encodeURIComponent(id)}`);
      }
    }
  }

  function fail(order: Order, errorId: string, errorText: string): MakePaymentResponse {
    order.state = 'FAILED';
    order.reason = `${errorId} ${errorText}`;
    order.finalAnswer = makePaymentFail(order.pspTransactionId, errorId, errorText);
    return order.finalAnswer;
  }

  /** POST /3ds/{id}/complete|cancel|fail: the end of our 3-D Secure page, back to Vipps' operation URL. */
  function endThreeDs(order: Order, action: string, res: ServerResponse): void {
    if (order.state !== 'AWAITING_3DS') {
      html(res, 409, messagePage('Nothing to verify', 'This payment is not waiting for 3-D Secure.'));
    } else if (action === 'complete') {
      order.threeDsCompleted = true;
      redirect(res, operationUrl(order, '3dssuccess'));
    } else if (action === 'cancel') {
      redirect(res, operationUrl(order, '3dscancel'));
    } else {
      // The failure is ours: Vipps sends no further call after 3dsfailure (docs/approval-engine.md).
      fail(order, '94', '3-D Secure failed');
      redirect(res, operationUrl(order, '3dsfailure'));
    }
  }

  /** Asks Vipps for the payment's details (the "not relying on pspRedirectUrl" check). */
  async function vippsDetails(order: Order): Promise<PaymentDetailsRepresentation | string> {
    try {
      return await client.getPaymentDetails(order.pspTransactionId);
    } catch (error) {
      if (error instanceof VippsError) return `Vipps could not be asked: ${error.message}`;
      throw error;
    }
  }

  async function orderJson(order: Order): Promise<unknown> {
    const details = FINAL_STATES.has(order.state) ? await vippsDetails(order) : null;
    return {
      pspTransactionId: order.pspTransactionId,
      merchantOrderId: order.merchantOrderId,
      amount: order.amountOre,
      state: order.state,
      reason: order.reason,
      captured: order.capturedOre,
      refunded: order.refundedOre,
      cancelled: order.voided,
      ...(details && typeof details !== 'string' && details.transactionSummary ? { vipps: details.transactionSummary } : {}),
    };
  }

  /** POST /backoffice/orders/{id}/capture|cancel|refund, each reported with updatestatus (§2.8). */
  async function backOffice(order: Order, action: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(await readBody(req));
    const back = (message: string) =>
      redirect(res, `/backoffice/orders/${encodeURIComponent(order.merchantOrderId)}?message=${encodeURIComponent(message)}`);
    if (action === 'cancel' && (order.state === 'PENDING' || order.state === 'AWAITING_3DS')) {
      // Nothing is reserved at Vipps yet: the PSP cancels on its side; a later makePayment gets FAIL 85.
      order.state = 'CANCELLED';
      order.reason = 'cancelled by the shop before payment';
      return back('Cancelled before payment: a later makePayment is answered FAIL 85.');
    }
    const status = BACK_OFFICE_STATUS[action];
    if (!status) throw new HttpError(404, 'No such operation');
    let amountOre: number;
    if (status === 'CANCELLED') {
      amountOre = remainingToCapture(order);
      if (amountOre === 0) return back('Nothing left to cancel.');
    } else {
      const parsed = parseKr(form.get('amount') ?? '');
      const limit = status === 'CAPTURED' ? remainingToCapture(order) : remainingToRefund(order);
      if (parsed === null || parsed < 1 || parsed > limit) return back(`Give an amount between 0,01 and ${kr(limit)}.`);
      amountOre = parsed;
    }
    // The operation is recorded, with its key, before it is sent; the same operation after an
    // unknown outcome is a retry of it and goes out with the same key (never applied twice).
    let entry = unconfirmed(order);
    if (entry && (entry.status !== status || entry.amountOre !== amountOre)) {
      return back(`${entry.status} ${kr(entry.amountOre)} got no answer from Vipps: retry it first.`);
    }
    if (!entry) {
      const sequence = order.ledger.length + 1;
      entry = {
        sequence,
        status,
        amountOre,
        // One key per operation: two equal partial captures are two operations, not a resend.
        idempotencyKey: `${order.merchantOrderId}-${status.toLowerCase()}-${sequence}`,
        outcome: 'unconfirmed',
        attempts: [],
      };
      order.ledger.push(entry);
    }
    const at = new Date().toISOString();
    try {
      const answer = await retrying(() =>
        client.updateStatus(
          [
            {
              pspTransactionId: order.pspTransactionId,
              status,
              amount: amountOre,
              currency: 'NOK',
              paymentText: `${status.toLowerCase()} ${order.merchantOrderId}`,
            },
          ],
          { idempotencyKey: entry.idempotencyKey },
        ),
      );
      entry.outcome = 'sent';
      if (status === 'CAPTURED') order.capturedOre += amountOre;
      else if (status === 'REFUNDED') order.refundedOre += amountOre;
      else order.voided = true;
      entry.attempts.push({ at, result: `${answer.responseInfo.responseCode} ${answer.responseInfo.responseMessage}` });
      back(`${status} ${kr(amountOre)} sent to Vipps.`);
    } catch (error) {
      if (!(error instanceof VippsError)) throw error;
      entry.attempts.push({ at, result: `error: ${error.message}` });
      // No answer, or the platform failed: it may have received the update. A 4xx is a refusal.
      if (error.status === undefined || error.status >= 500 || error.status === 429) {
        return back(
          `No answer from Vipps (${error.message}): ${status} ${kr(amountOre)} may or may not have arrived. Retry it: it is resent with the same Idempotency-Key, so Vipps cannot apply it twice.`,
        );
      }
      entry.outcome = 'refused';
      back(`Vipps refused the status update: ${error.message}`);
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', base);
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (method === 'POST' && path === '/vipps/makepayment') return makePayment(req, res);
    // Forms are posted by our own pages only (the 3-D Secure page is framed by the app, but posts to us).
    if (method === 'POST' && req.headers.origin && !ownOrigins.has(req.headers.origin)) throw new HttpError(403, 'Cross-site form post');
    if (method === 'GET' && path === '/') return html(res, 200, shopPage());
    if (method === 'POST' && path === '/checkout') return checkout(req, res);
    let m = /^\/orders\/([^/]+)$/.exec(path);
    if (method === 'GET' && m) return html(res, 200, orderPage(orderByPath(m[1] ?? '')));
    if (method === 'GET' && path === '/api/orders')
      return json(res, 200, { orders: await Promise.all(orders.list().map((o) => orderSummary(o))) });
    m = /^\/api\/orders\/([^/]+)$/.exec(path);
    if (method === 'GET' && m) return json(res, 200, await orderJson(orderByPath(m[1] ?? '')));
    m = /^\/3ds\/([^/]+)(?:\/(complete|cancel|fail))?$/.exec(path);
    if (m) {
      const order = orders.byPspId(decodeURIComponent(m[1] ?? ''));
      if (!order) throw new HttpError(404, 'No such payment');
      if (method === 'GET' && !m[2]) return html(res, 200, threeDsPage(order));
      if (method === 'POST' && m[2]) return endThreeDs(order, m[2], res);
    }
    if (method === 'GET' && path === '/backoffice') return html(res, 200, backOfficeList(orders.list()));
    m = /^\/backoffice\/orders\/([^/]+)(?:\/(capture|cancel|refund))?$/.exec(path);
    if (m) {
      const order = orderByPath(m[1] ?? '');
      if (method === 'GET' && !m[2]) {
        const details = order.state === 'PENDING' ? null : await vippsDetails(order);
        return html(res, 200, backOfficeOrder(order, details, url.searchParams.get('message')));
      }
      if (method === 'POST' && m[2]) return backOffice(order, m[2], req, res);
    }
    throw new HttpError(404, 'Not found');
  }

  const orderSummary = (o: Order) => ({
    pspTransactionId: o.pspTransactionId,
    merchantOrderId: o.merchantOrderId,
    amount: o.amountOre,
    state: o.state,
  });

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      const message = error instanceof HttpError ? error.message : 'Internal error';
      if (status === 500) console.error('[reference-psp]', error);
      if (res.headersSent) return void res.end();
      if (req.url?.startsWith('/api/') || req.url?.startsWith('/vipps/')) return json(res, status, { error: message });
      html(res, status, messagePage(message, `${req.method} ${req.url}`));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  const listening = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  base = (options.publicUrl ?? listening).replace(/\/$/, '');
  // The shop's own origin: its public URL, the listening URL, and on loopback the same port under
  // every loopback name (a browser at http://localhost:<port> posts with that Origin).
  ownOrigins.add(new URL(base).origin).add(new URL(listening).origin);
  if (LOOPBACK_NAMES.includes(host))
    for (const name of LOOPBACK_NAMES) ownOrigins.add(new URL(`http://${name.includes(':') ? `[${name}]` : name}:${port}`).origin);

  return {
    url: base,
    makePaymentUrl: `${base}/vipps/makepayment`,
    client,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
