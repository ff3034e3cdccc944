/**
 * A real local HTTP server playing the PSP's makePaymentUrl: records every request and answers
 * as each test scripts it (per pspTransactionId, in order; default OK).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StubAnswer {
  status?: number;
  body?: unknown;
  /** Raw text instead of JSON. */
  text?: string;
  contentType?: string;
  /** Extra response headers (e.g. a Location for a redirect). */
  headers?: Record<string, string>;
  delayMs?: number;
  /** Answers only once this settles (a gate the test releases), instead of after a fixed delay. */
  gate?: Promise<unknown>;
}

/** A gate for `StubAnswer.gate`: the answer waits until `open()` is called. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

export interface StubRequest {
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  raw: string;
  receivedAt: number;
}

export const ok = (pspTransactionId: string): StubAnswer => ({ body: { paymentInfo: { pspTransactionId, status: 'OK' } } });
export const failWith = (pspTransactionId: string, errorId: number | string, errorText: string): StubAnswer => ({
  body: { errorMessage: { errorId, errorText }, paymentInfo: { pspTransactionId, status: 'FAIL' } },
});
export const softDecline = (pspTransactionId: string, url3dSecure: string): StubAnswer => ({
  body: {
    errorMessage: { errorId: 1036, errorText: 'Soft Decline' },
    paymentInfo: { pspTransactionId, status: 'SOFT_DECLINE', url3dSecure },
  },
});

export class PspStub {
  readonly requests: StubRequest[] = [];
  private readonly scripts = new Map<string, StubAnswer[]>();
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<PspStub> {
    let stub: PspStub | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(raw) as Record<string, unknown>;
        } catch {
          // recorded raw
        }
        stub?.requests.push({ headers: req.headers, body, raw, receivedAt: Date.now() });
        const id = String(body.pspTransactionId ?? '');
        const answer = stub?.scripts.get(id)?.shift() ?? stub?.fallback?.(body) ?? ok(id);
        const send = () => {
          if (res.destroyed) return;
          res.statusCode = answer.status ?? 200;
          res.setHeader('content-type', answer.contentType ?? 'application/json');
          for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value);
          res.end(answer.text ?? JSON.stringify(answer.body ?? {}));
        };
        if (answer.gate) void answer.gate.then(send, send);
        else if (answer.delayMs) setTimeout(send, answer.delayMs);
        else send();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    stub = new PspStub(server, `http://127.0.0.1:${port}/makepayment`);
    return stub;
  }

  script(pspTransactionId: string, ...answers: StubAnswer[]): void {
    this.scripts.set(pspTransactionId, answers);
  }

  /** Answers every request not scripted per payment (instead of OK). */
  fallback: ((body: Record<string, unknown>) => StubAnswer) | null = null;

  requestsFor(pspTransactionId: string): StubRequest[] {
    return this.requests.filter((r) => r.body.pspTransactionId === pspTransactionId);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
