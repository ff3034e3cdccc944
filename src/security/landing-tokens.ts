/**
 * The signed token in `vippsRedirectUrl` (psp-facts.md §2.2): an RS256 JWT valid 5 minutes that
 * names the payment. The landing page, the app's deeplink handler and force approve
 * (`token` of ForceApproveRequest, §2.10) all check it.
 */
import { randomUUID } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import type { Clock } from '../clock.js';
import type { SigningKey } from './signing-key.js';

export interface LandingClaims {
  /** The platform's internal payment id. */
  readonly paymentId: string;
  readonly merchantSerialNumber: string;
}

export type LandingVerification =
  | { readonly ok: true; readonly claims: LandingClaims }
  | { readonly ok: false; readonly reason: 'expired' | 'invalid'; readonly paymentId?: string };

export class LandingTokens {
  constructor(
    private readonly key: SigningKey,
    private readonly clock: Clock,
    private readonly issuer: string,
  ) {}

  async issue(claims: LandingClaims, expiresAtMs: number): Promise<string> {
    const now = Math.floor(this.clock.now() / 1000);
    return new SignJWT({
      azp: claims.paymentId,
      appType: 'LANDINGPAGE',
      merchantSerialNumber: claims.merchantSerialNumber,
      expressCheckOut: 'N',
      tokenType: 'DEEPLINK',
      uuid: randomUUID(),
    })
      .setProtectedHeader({ alg: 'RS256', kid: this.key.kid })
      .setIssuer(this.issuer)
      .setSubject(claims.paymentId)
      .setAudience(claims.paymentId)
      .setIssuedAt(now)
      .setExpirationTime(Math.floor(expiresAtMs / 1000))
      .setJti(randomUUID())
      .sign(this.key.privateKey);
  }

  async verify(token: string): Promise<LandingVerification> {
    try {
      const { payload } = await jwtVerify(token, this.key.publicKey, {
        algorithms: ['RS256'],
        issuer: this.issuer,
        currentDate: new Date(this.clock.now()),
      });
      if (payload.tokenType !== 'DEEPLINK' || typeof payload.sub !== 'string' || typeof payload.merchantSerialNumber !== 'string') {
        return { ok: false, reason: 'invalid' };
      }
      return { ok: true, claims: { paymentId: payload.sub, merchantSerialNumber: payload.merchantSerialNumber } };
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_JWT_EXPIRED') {
        const sub = (error as { payload?: { sub?: unknown } }).payload?.sub;
        return typeof sub === 'string' ? { ok: false, reason: 'expired', paymentId: sub } : { ok: false, reason: 'expired' };
      }
      return { ok: false, reason: 'invalid' };
    }
  }
}
