/**
 * `POST /accesstoken/get` (psp-facts.md §1.1): the subscription key is checked first (Azure API
 * Management sits in front), then the client id and secret (Azure AD). The PSP's credentials
 * are compared as sha-256 digests in constant time.
 */
import { ApiError } from '../domain/errors.js';
import type { Platform } from '../platform.js';
import { TOKEN_RESOURCE } from '../security/access-tokens.js';
import { digestsEqual, sha256Hex } from '../security/hash.js';

/** The response: every value a string, as the real API sends it. */
export interface AccessTokenResponse {
  readonly token_type: 'Bearer';
  readonly expires_in: string;
  readonly ext_expires_in: string;
  readonly expires_on: string;
  readonly not_before: string;
  readonly resource: string;
  readonly access_token: string;
}

export async function issueAccessToken(
  platform: Platform,
  headers: { clientId?: string; clientSecret?: string; subscriptionKey?: string },
): Promise<AccessTokenResponse> {
  const { psps } = platform.repos;
  if (!headers.subscriptionKey) throw new ApiError('SUBSCRIPTION_KEY_MISSING');
  if (!(await psps.findBySubscriptionKeySha256(sha256Hex(headers.subscriptionKey)))) {
    throw new ApiError('SUBSCRIPTION_KEY_INVALID');
  }
  if (!headers.clientId) throw new ApiError('CLIENT_ID_MISSING');
  const psp = await psps.findByClientId(headers.clientId);
  if (!psp) throw new ApiError('CLIENT_ID_UNKNOWN', { clientId: headers.clientId });
  if (!headers.clientSecret || !digestsEqual(sha256Hex(headers.clientSecret), psp.clientSecretSha256)) {
    throw new ApiError('CLIENT_SECRET_INVALID', { clientId: headers.clientId });
  }
  const issued = await platform.accessTokens.issue({ clientId: psp.clientId, pspId: psp.pspId });
  return {
    token_type: 'Bearer',
    expires_in: String(issued.expiresInSeconds),
    ext_expires_in: '0',
    expires_on: String(issued.expiresOnSeconds),
    not_before: String(issued.notBeforeSeconds),
    resource: TOKEN_RESOURCE,
    access_token: issued.accessToken,
  };
}
