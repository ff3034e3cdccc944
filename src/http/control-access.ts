/**
 * CONTROL_API_TOKEN (docs/inspector.md "Access"): when it is set, every `/_emulator/…` path (the
 * control API and the inspector) requires it — `Authorization: Bearer <token>`, or the inspector's
 * login cookie. Unset, the control API is open to whoever reaches the port (a developer's machine).
 *
 * The cookie holds a digest of the token, not the token (HttpOnly, SameSite=Lax, Secure when
 * the public URL is https); changing the token logs every browser out. Compared in constant time.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../domain/errors.js';
import type { Platform } from '../platform.js';
import { digestsEqual, sha256Hex } from '../security/hash.js';
import { header } from './psp-auth.js';
import { readCookie } from './routes/page-support.js';

export const CONTROL_PREFIX = '/_emulator';
export const INSPECTOR_PATH = '/_emulator/ui';
export const LOGIN_PATH = '/_emulator/ui/login';
export const CONTROL_COOKIE = 'vipps_emulator_control';

/** The cookie's value for a token. */
export const controlCookieValue = (token: string): string => sha256Hex(`vipps-psp-emulator inspector session:${token}`);

/** Whether the request carries the token (header) or the login cookie. */
export function hasControlAccess(request: FastifyRequest, token: string): boolean {
  const auth = header(request, 'authorization');
  if (auth?.startsWith('Bearer ') && digestsEqual(sha256Hex(auth.slice(7).trim()), sha256Hex(token))) return true;
  const cookie = readCookie(request, CONTROL_COOKIE);
  return cookie !== undefined && /^[0-9a-f]{64}$/.test(cookie) && digestsEqual(cookie, controlCookieValue(token));
}

export function installControlAccess(app: FastifyInstance, platform: Platform): void {
  const token = platform.config.controlApiToken;
  if (token === null) return;
  app.addHook('onRequest', async (request, reply) => {
    // Routing is case-insensitive (app.ts): so is this check.
    const path = (request.url.split('?')[0] ?? '').toLowerCase().replace(/\/+$/, '');
    if (path !== CONTROL_PREFIX && !path.startsWith(`${CONTROL_PREFIX}/`)) return;
    if (path === LOGIN_PATH) return; // the login form itself
    if (hasControlAccess(request, token)) return;
    // A browser asking for an inspector page goes to the login form; the API gets a 401.
    if (request.method === 'GET' && path.startsWith(INSPECTOR_PATH) && !path.endsWith('/events')) {
      const next = encodeURIComponent(request.url);
      return reply.code(303).header('location', `${LOGIN_PATH}?next=${next}`).header('cache-control', 'no-store').send();
    }
    reply.header('www-authenticate', 'Bearer realm="vipps-psp-emulator control API"');
    throw new ApiError('CONTROL_TOKEN_REQUIRED');
  });
}
