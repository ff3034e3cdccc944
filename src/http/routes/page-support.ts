/**
 * What the landing page and the simulated app's routes share: HTML responses with their security
 * headers, form bodies, cookies, the same-origin check of form posts, server-sent event streams
 * (closed when the server stops), and the HTML error page. Used only by page routes, each of
 * which registers it in its own encapsulated plugin.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../../domain/errors.js';
import type { SafeHtml } from '../../wallet/pages/html.js';
import { clientErrorOf } from '../error-handler.js';
import type { ErrorPage } from '../route-table.js';

const BASE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
];

/**
 * The landing page: never framable (psp-facts.md §2.14), scripts only from this origin.
 * `formTargets` are the origins a form may end up at after a redirect (the shop's result page
 * after "Cancel"): browsers apply form-action to redirects too.
 */
export function landingCsp(formTargets: readonly string[] = []): string {
  return [...BASE_CSP, ["form-action 'self'", ...formTargets].join(' ')].join('; ');
}

/** The app: never framed itself, but it frames the PSP's 3-D Secure page (§2.6). */
export function appCsp(): string {
  return [...BASE_CSP, "form-action 'self'", 'frame-src http: https:'].join('; ');
}

/** The CSP source expression that allows navigating to a URL (its origin, or its scheme). */
export function cspSourceFor(url: string | null): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    if (u.protocol === 'http:' || u.protocol === 'https:') return u.origin;
    return /^[a-z][a-z0-9+.-]*:$/i.test(u.protocol) ? u.protocol : null;
  } catch {
    return null;
  }
}

export function securityHeaders(csp: string): Record<string, string> {
  return {
    'content-security-policy': csp,
    'x-frame-options': 'DENY',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    // The landing URL carries the payment's token: never send it to another origin as a Referer.
    // (`same-origin`, not `no-referrer`: with the latter, browsers send `Origin: null` on our own form posts.)
    'referrer-policy': 'same-origin',
    'cross-origin-opener-policy': 'same-origin',
  };
}

export function sendPage(reply: FastifyReply, status: number, page: SafeHtml, csp: string): FastifyReply {
  return reply.code(status).headers(securityHeaders(csp)).type('text/html; charset=utf-8').send(page.value);
}

/** 303 See Other after a form post (the browser then GETs the target). */
export function seeOther(reply: FastifyReply, location: string, csp: string): FastifyReply {
  return reply.code(303).headers(securityHeaders(csp)).header('location', location).send();
}

/** `application/x-www-form-urlencoded` bodies as a flat record (the last value of a repeated field wins). */
export function registerFormParser(app: FastifyInstance): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    done(null, Object.fromEntries(new URLSearchParams(text)));
  });
}

export function formField(request: FastifyRequest, name: string): string | undefined {
  const body = request.body;
  if (!body || typeof body !== 'object') return undefined;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

export function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export interface CookieOptions {
  readonly path: string;
  /** Seconds; 0 deletes the cookie; undefined = a browser-session cookie. */
  readonly maxAgeSeconds?: number;
  readonly secure: boolean;
}

export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  const parts = [`${name}=${encodeURIComponent(value)}`, `Path=${options.path}`, 'HttpOnly', 'SameSite=Lax'];
  if (options.maxAgeSeconds !== undefined) parts.push(`Max-Age=${options.maxAgeSeconds}`);
  if (options.secure) parts.push('Secure');
  return parts.join('; ');
}

/**
 * CSRF defence for every form post (with SameSite=Lax cookies and, in the app, a session-bound
 * token): a browser's cross-site post carries `Sec-Fetch-Site: cross-site` and a foreign
 * `Origin`; both are refused. Clients that send neither (curl, tests) are no CSRF vector.
 */
export function isSameOriginPost(request: FastifyRequest, publicUrl: string): boolean {
  // Fetch metadata, where the browser sends it, is the whole answer.
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string') return site === 'same-origin' || site === 'none';
  const origin = request.headers.origin;
  if (typeof origin !== 'string') return true;
  if (origin === 'null') return false;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return false;
  }
  const own = [request.headers.host, new URL(publicUrl).host].filter((h): h is string => typeof h === 'string');
  return own.some((h) => h.toLowerCase() === host.toLowerCase());
}

/** Phones go straight to the app (psp-facts.md §2.14: the landing page is for other devices). */
export function isPhoneUserAgent(userAgent: string | undefined): boolean {
  return typeof userAgent === 'string' && /\b(iPhone|iPod|Windows Phone|Mobile)\b/i.test(userAgent);
}

export interface EventStream {
  send(event: string, data: unknown): void;
  /** Runs when the browser goes away or the server stops. */
  onClose(listener: () => void): void;
}

/**
 * Server-sent event streams of one plugin. Each stream sends a retry hint, then what the route
 * sends; all are ended before the server closes (an open stream would keep `close()` waiting).
 */
export class EventStreams {
  private readonly open = new Set<ServerResponse>();

  constructor(app: FastifyInstance) {
    app.addHook('preClose', async () => {
      for (const res of this.open) res.end();
      this.open.clear();
    });
  }

  start(request: FastifyRequest, reply: FastifyReply): EventStream {
    reply.hijack();
    const res = reply.raw;
    // The socket's inactivity timeout (requestTimeoutMs) must not cut a long-lived stream.
    request.raw.socket.setTimeout(0);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    });
    // The headers go out now, not with the first event. A HEAD gets them and nothing more
    // (an open response without a body would leave the client waiting).
    if (request.method === 'HEAD') res.end();
    else {
      res.write('retry: 1000\n\n');
      this.open.add(res);
    }
    const listeners: (() => void)[] = [];
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      this.open.delete(res);
      for (const l of listeners) l();
    };
    res.on('close', close);
    return {
      send: (event, data) => {
        if (closed || res.writableEnded) return;
        res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      },
      onClose: (listener) => {
        if (closed) listener();
        else listeners.push(listener);
      },
    };
  }
}

/**
 * The error handler of a page plugin: every error is answered with the plugin's HTML error page,
 * with the catalogue's 4xx status for a refused request (a malformed query, a body too large…)
 * and 500 with the request id for anything else (the details only in the log). Every route of
 * the plugin is marked `errorFormat: 'page'` (route-table.ts), so errors raised before routing
 * and the fuzz test treat it as a page too.
 */
export function installPageErrorHandler(app: FastifyInstance, render: (status: number, contextId: string) => SafeHtml, csp: string): void {
  const errorPage: ErrorPage = { render, headers: securityHeaders(csp) };
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, errorFormat: 'page', errorPage };
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const refused = error.validation ? new ApiError('INVALID_REQUEST') : clientErrorOf(error);
    const status = refused ? refused.entry.httpStatus : 500;
    if (status >= 500) request.log.error({ err: error }, 'page failed');
    else request.log.info({ err: error }, 'page request refused');
    return sendPage(reply, status, render(status, String(request.id)), csp);
  });
}
