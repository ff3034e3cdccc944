/**
 * Access tokens of `POST /accesstoken/get` (psp-facts.md §1.1): RS256 JWTs with a `kid`,
 * 1 h in the test profile and 24 h in production, checked on every business endpoint.
 * Verified tokens are cached (bounded) so the hot path does not redo the RSA verification.
 */
import { randomUUID } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import type { Clock } from '../clock.js';
import type { SigningKey } from './signing-key.js';

/** The constant "resource" of the real token response (§1.1). */
export const TOKEN_RESOURCE = '00000002-0000-0000-c000-000000000000';
const TOKEN_USE = 'psp-access';

export interface IssuedToken {
  readonly accessToken: string;
  readonly notBeforeSeconds: number;
  readonly expiresOnSeconds: number;
  readonly expiresInSeconds: number;
}

export interface TokenSubject {
  readonly clientId: string;
  readonly pspId: string;
}

const CACHE_LIMIT = 10_000;

export class AccessTokens {
  private readonly cache = new Map<string, TokenSubject & { exp: number }>();

  constructor(
    private readonly key: SigningKey,
    private readonly clock: Clock,
    private readonly ttlSeconds: number,
    private readonly issuer: string,
  ) {}

  async issue(subject: TokenSubject): Promise<IssuedToken> {
    const now = Math.floor(this.clock.now() / 1000);
    const exp = now + this.ttlSeconds;
    const accessToken = await new SignJWT({ appid: subject.clientId, psp_id: subject.pspId, use: TOKEN_USE, ver: '1.0' })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: this.key.kid })
      .setIssuer(this.issuer)
      .setAudience(TOKEN_RESOURCE)
      .setSubject(subject.clientId)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(exp)
      .setJti(randomUUID())
      .sign(this.key.privateKey);
    return { accessToken, notBeforeSeconds: now, expiresOnSeconds: exp, expiresInSeconds: this.ttlSeconds };
  }

  /**
   * `verify` from the cache only, synchronously: the subject, null for a cached token that has
   * expired, `undefined` for a token not verified yet (then call `verify`).
   */
  verifyCached(token: string): TokenSubject | null | undefined {
    const cached = this.cache.get(token);
    if (!cached) return undefined;
    if (cached.exp > Math.floor(this.clock.now() / 1000)) return cached;
    this.cache.delete(token);
    return null;
  }

  /** Returns the token's subject, or null for a forged, expired or malformed token. */
  async verify(token: string): Promise<TokenSubject | null> {
    const nowSeconds = Math.floor(this.clock.now() / 1000);
    const cached = this.cache.get(token);
    if (cached) {
      if (cached.exp > nowSeconds) return cached;
      this.cache.delete(token);
      return null;
    }
    try {
      const { payload } = await jwtVerify(token, this.key.publicKey, {
        algorithms: ['RS256'],
        issuer: this.issuer,
        audience: TOKEN_RESOURCE,
        currentDate: new Date(this.clock.now()),
      });
      if (payload.use !== TOKEN_USE || typeof payload.appid !== 'string' || typeof payload.psp_id !== 'string') return null;
      const subject = { clientId: payload.appid, pspId: payload.psp_id, exp: payload.exp ?? 0 };
      if (this.cache.size >= CACHE_LIMIT) {
        const oldest = this.cache.keys().next().value;
        if (oldest !== undefined) this.cache.delete(oldest);
      }
      this.cache.set(token, subject);
      return subject;
    } catch {
      return null;
    }
  }
}
