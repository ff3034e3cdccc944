/**
 * Outbound POSTs to PSPs (makePaymentUrl), behind a seam (GUIDE practice 7). A hard deadline on
 * the whole exchange, no redirects followed (node:http never follows them), a bounded response
 * body, and the target address checked at connect time against the profile's rules: the URL was
 * checked when accepted, but DNS may answer differently now (SSRF guard; GUIDE: security).
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { type AddressPolicy, addressAllowed, classifyAddress, classifyHost } from '../domain/address-class.js';

export interface OutboundRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly deadlineMs: number;
}

export type OutboundResult =
  | { readonly ok: true; readonly status: number; readonly contentType: string | null; readonly text: string; readonly latencyMs: number }
  | {
      readonly ok: false;
      readonly kind: 'TIMEOUT' | 'CONNECTION_ERROR' | 'ADDRESS_REFUSED';
      readonly error: string;
      readonly latencyMs: number;
    };

export interface OutboundHttp {
  post(request: OutboundRequest): Promise<OutboundResult>;
}

const MAX_RESPONSE_BYTES = 64 * 1024;

class AddressRefused extends Error {
  override name = 'AddressRefused';
}

export interface ResolvedAddress {
  readonly address: string;
  readonly family: number;
}

/** Name resolution, behind a seam so tests can make a name resolve to any address. */
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export function createOutboundHttp(policy: AddressPolicy, options: { resolve?: Resolver } = {}): OutboundHttp {
  const resolve = options.resolve ?? systemResolver;
  /**
   * The lookup of every connection: refuses the name when any address it resolves to is not
   * allowed (one refused address is enough: the socket could pick it), so the check is on the
   * address actually connected to, after DNS, not on what the URL said when it was accepted.
   */
  const guardedLookup: LookupFunction = (hostname, lookupOptions, callback) => {
    resolve(hostname).then(
      (addresses) => {
        const list = [...addresses];
        const refused = list.find((a) => !addressAllowed(classifyAddress(a.address), policy));
        if (refused || list.length === 0) {
          return callback(new AddressRefused(`${hostname} resolves to a refused address (${refused?.address ?? 'none'})`), '', 4);
        }
        if ((lookupOptions as { all?: boolean }).all) return (callback as unknown as (e: null, a: typeof list) => void)(null, list);
        const first = list[0] as ResolvedAddress;
        return callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 4),
    );
  };

  return {
    post(req: OutboundRequest): Promise<OutboundResult> {
      const started = performance.now();
      const latency = () => Math.round(performance.now() - started);
      return new Promise<OutboundResult>((resolve) => {
        let settled = false;
        // Declared before `settle`: the URL and address checks below settle before any timer exists.
        let timer: NodeJS.Timeout | undefined;
        const settle = (result: OutboundResult) => {
          if (settled) return;
          settled = true;
          if (timer !== undefined) clearTimeout(timer);
          resolve(result);
        };
        let url: URL;
        try {
          url = new URL(req.url);
        } catch {
          settle({ ok: false, kind: 'CONNECTION_ERROR', error: 'invalid URL', latencyMs: 0 });
          return;
        }
        // The URL's host by the same rules as when it was accepted (an address literal never
        // reaches the lookup: the socket connects to it directly); a name is then resolved by the
        // guarded lookup and every address it resolves to is classified.
        const host = classifyHost(url.hostname);
        if (host.kind === 'invalid' || (host.class !== null && !addressAllowed(host.class, policy))) {
          const why =
            host.kind === 'invalid' ? 'is not a valid host' : `${host.kind === 'name' ? 'names' : 'is'} a refused address (${host.class})`;
          settle({ ok: false, kind: 'ADDRESS_REFUSED', error: `${url.hostname} ${why}`, latencyMs: 0 });
          return;
        }
        const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
        const outgoing = send(
          url,
          {
            method: 'POST',
            headers: { ...req.headers, 'content-length': String(Buffer.byteLength(req.body)) },
            lookup: guardedLookup,
            agent: false,
          },
          (res) => {
            const chunks: Buffer[] = [];
            let size = 0;
            res.on('data', (chunk: Buffer) => {
              size += chunk.length;
              if (size > MAX_RESPONSE_BYTES) {
                res.destroy();
                settle({
                  ok: true,
                  status: res.statusCode ?? 0,
                  contentType: res.headers['content-type'] ?? null,
                  text: '',
                  latencyMs: latency(),
                });
                return;
              }
              chunks.push(chunk);
            });
            res.on('end', () =>
              settle({
                ok: true,
                status: res.statusCode ?? 0,
                contentType: res.headers['content-type'] ?? null,
                text: Buffer.concat(chunks).toString('utf8'),
                latencyMs: latency(),
              }),
            );
            res.on('error', (error) => settle({ ok: false, kind: 'CONNECTION_ERROR', error: error.message, latencyMs: latency() }));
          },
        );
        timer = setTimeout(() => {
          settle({ ok: false, kind: 'TIMEOUT', error: `no answer within ${req.deadlineMs} ms`, latencyMs: latency() });
          outgoing.destroy();
        }, req.deadlineMs);
        outgoing.on('error', (error) => {
          const refused = error instanceof AddressRefused || error.name === 'AddressRefused';
          settle({ ok: false, kind: refused ? 'ADDRESS_REFUSED' : 'CONNECTION_ERROR', error: error.message, latencyMs: latency() });
        });
        outgoing.end(req.body);
      });
    },
  };
}
