/**
 * The signed token in `vippsRedirectUrl` (psp-facts.md §2.2): a JWT valid 5 minutes that names
 * the payment, with the claims of the real example (`appType`, `tokenType: DEEPLINK`, …). The
 * landing page, the app's deeplink handler and force approve (`token` of ForceApproveRequest,
 * §2.10) check it.
 *
 * Only this platform ever verifies it (PSPs pass it back opaquely), so it is HS256 with a secret
 * derived from the platform's key, signed with node:crypto directly: one is issued per init, and
 * RS256 (≈500 µs) or jose's WebCrypto HMAC (≈90 µs) would dominate init's cost
 * (docs/PERFORMANCE.md). The real platform uses RS256; no client can tell the difference.
 */
import { createHmac, createSecretKey, type KeyObject, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock.js';

export interface LandingClaims {
  /** The platform's internal payment id. */
  readonly paymentId: string;
  readonly merchantSerialNumber: string;
}

export type LandingVerification =
  | { readonly ok: true; readonly claims: LandingClaims }
  | { readonly ok: false; readonly reason: 'expired' | 'invalid'; readonly paymentId?: string };

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', kid: 'jwtkey', typ: 'JWT' })).toString('base64url');

export class LandingTokens {
  /** The HMAC key imported once: importing a Buffer key on every `createHmac` costs ≈ 4 µs. */
  private readonly key: KeyObject;
  /** `"iss":…` serialised once; the payload is written as a template (≈ 3× faster than building and stringifying an object). */
  private readonly issuerJson: string;

  constructor(
    secret: Buffer,
    private readonly clock: Clock,
    private readonly issuer: string,
  ) {
    this.key = createSecretKey(secret);
    this.issuerJson = JSON.stringify(issuer);
  }

  private sign(input: string): Buffer {
    return createHmac('sha256', this.key).update(input).digest();
  }

  async issue(claims: LandingClaims, expiresAtMs: number): Promise<string> {
    const now = Math.floor(this.clock.now() / 1000);
    // The claims of the real example, in its order.
    const id = JSON.stringify(claims.paymentId);
    const json =
      `{"sub":${id},"aud":${id},"azp":${id},"appType":"LANDINGPAGE","merchantSerialNumber":${JSON.stringify(claims.merchantSerialNumber)},` +
      `"expressCheckOut":"N","iss":${this.issuerJson},"iat":${now},"exp":${Math.floor(expiresAtMs / 1000)},"tokenType":"DEEPLINK",` +
      `"uuid":"${randomUUID()}","jti":"${randomUUID()}"}`;
    const payload = Buffer.from(json).toString('base64url');
    const input = `${HEADER}.${payload}`;
    return `${input}.${this.sign(input).toString('base64url')}`;
  }

  async verify(token: string): Promise<LandingVerification> {
    const parts = token.split('.');
    if (parts.length !== 3) return { ok: false, reason: 'invalid' };
    const [header, payload, signature] = parts as [string, string, string];
    const expected = this.sign(`${header}.${payload}`);
    const given = Buffer.from(signature, 'base64url');
    if (header !== HEADER || given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'invalid' };
    let claims: Record<string, unknown>;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      return { ok: false, reason: 'invalid' };
    }
    const { sub, merchantSerialNumber, exp, iss, tokenType } = claims;
    if (typeof sub !== 'string' || typeof merchantSerialNumber !== 'string' || typeof exp !== 'number')
      return { ok: false, reason: 'invalid' };
    if (iss !== this.issuer || tokenType !== 'DEEPLINK') return { ok: false, reason: 'invalid' };
    if (exp * 1000 <= this.clock.now()) return { ok: false, reason: 'expired', paymentId: sub };
    return { ok: true, claims: { paymentId: sub, merchantSerialNumber } };
  }
}
