/**
 * The simulated app's login session and the CSRF tokens of its forms: an HMAC-SHA256-signed
 * cookie value `<payload>.<mac>` (payload: phone number, session id, issue time). The key is the
 * platform's (security/platform-keys.ts: from PLATFORM_SECRET or the database), so a session
 * opened on one process works on another and survives a restart.
 *
 * Session lifetime is counted on the real clock, not the platform's: advancing the platform
 * clock to expire payments must not log the tester out.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'vipps_mt_session';
/** A login lasts this long (then the app asks for the PIN again). */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

export interface AppSession {
  readonly phoneNumber: string;
  readonly sessionId: string;
  readonly issuedAtMs: number;
}

export class SessionSigner {
  constructor(private readonly key: Buffer) {}

  private mac(purpose: string, value: string): string {
    return createHmac('sha256', this.key).update(`${purpose}\n${value}`).digest('base64url');
  }

  issue(phoneNumber: string, nowMs: number): string {
    const payload = Buffer.from(JSON.stringify({ p: phoneNumber, s: randomUUID(), t: nowMs })).toString('base64url');
    return `${payload}.${this.mac('session', payload)}`;
  }

  verify(cookie: string | undefined, nowMs: number): AppSession | null {
    if (!cookie) return null;
    const [payload, mac, extra] = cookie.split('.');
    if (!payload || !mac || extra !== undefined || !equal(mac, this.mac('session', payload))) return null;
    try {
      const data = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { p?: unknown; s?: unknown; t?: unknown };
      if (typeof data.p !== 'string' || typeof data.s !== 'string' || typeof data.t !== 'number') return null;
      if (nowMs - data.t > SESSION_TTL_MS || data.t - nowMs > 60_000) return null;
      return { phoneNumber: data.p, sessionId: data.s, issuedAtMs: data.t };
    } catch {
      return null;
    }
  }

  /** The CSRF token of a session: bound to it, so another browser's token does not fit. */
  csrfToken(session: AppSession): string {
    return this.mac('csrf', session.sessionId);
  }

  checkCsrf(session: AppSession, token: string | undefined): boolean {
    return typeof token === 'string' && equal(token, this.csrfToken(session));
  }
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
