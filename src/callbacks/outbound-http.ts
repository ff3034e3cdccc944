/**
 * Outbound POSTs to PSPs (makePaymentUrl), behind a seam (GUIDE practice 7). A hard deadline on
 * the whole exchange, no redirects followed (node:http never follows them), a bounded response
 * body, and the target address checked at connect time against the profile's rules: the URL was
 * checked when accepted, but DNS may answer differently now (SSRF guard; GUIDE: security).
 */
import { lookup as dnsLookup } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { type AddressPolicy, addressAllowed, classifyAddress } from '../domain/url-rules.js';

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

export function createOutboundHttp(policy: AddressPolicy): OutboundHttp {
  /** DNS lookup that refuses addresses the policy does not allow. */
  const guardedLookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 4);
      const list = addresses as unknown as { address: string; family: number }[];
      const refused = list.find((a) => !addressAllowed(classifyAddress(a.address), policy));
      if (refused || list.length === 0) {
        return callback(new AddressRefused(`${hostname} resolves to a refused address (${refused?.address ?? 'none'})`), '', 4);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: typeof list) => void)(null, list);
      const first = list[0] as { address: string; family: number };
      return callback(null, first.address, first.family);
    });
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
        const host = url.hostname.replace(/^\[|\]$/g, '');
        if (isIP(host) !== 0 && !addressAllowed(classifyAddress(host), policy)) {
          settle({ ok: false, kind: 'ADDRESS_REFUSED', error: `${host} is a refused address`, latencyMs: 0 });
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
