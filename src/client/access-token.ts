/**
 * The access token of `POST /accesstoken/get` (psp-facts.md §1.1), cached and renewed before it
 * expires. Concurrent callers share one fetch; a failed fetch is not cached (the next call tries
 * again).
 */
import type { AccessTokenResponse } from './types.js';

/** Renew when less than this remains (brief: 60 s). */
export const RENEW_MARGIN_MS = 60_000;

interface CachedToken {
  readonly value: string;
  readonly expiresAtMs: number;
}

/** Expiry in ms: `expires_on` (epoch seconds) first, else receipt time + `expires_in`, else now. */
export function expiryOf(response: AccessTokenResponse, receivedAtMs: number): number {
  const on = Number(response.expires_on);
  if (response.expires_on !== undefined && response.expires_on !== '' && Number.isFinite(on)) return on * 1000;
  const inSeconds = Number(response.expires_in);
  if (response.expires_in !== undefined && response.expires_in !== '' && Number.isFinite(inSeconds)) {
    return receivedAtMs + inSeconds * 1000;
  }
  return receivedAtMs;
}

export class AccessTokenCache {
  private current: CachedToken | null = null;
  private inflight: Promise<CachedToken> | null = null;

  constructor(
    private readonly fetchToken: () => Promise<AccessTokenResponse>,
    private readonly now: () => number,
  ) {}

  /** A token with at least RENEW_MARGIN_MS left, fetching one if needed. */
  async get(): Promise<string> {
    const cached = this.current;
    if (cached && cached.expiresAtMs - this.now() >= RENEW_MARGIN_MS) return cached.value;
    return (await this.renew()).value;
  }

  /**
   * Drops `token` after the platform refused it (401). Only that token: if another caller has
   * already renewed it, the new one stays.
   */
  invalidate(token: string): void {
    if (this.current?.value === token) this.current = null;
  }

  private renew(): Promise<CachedToken> {
    if (!this.inflight) {
      this.inflight = (async () => {
        try {
          const response = await this.fetchToken();
          const token = { value: response.access_token, expiresAtMs: expiryOf(response, this.now()) };
          this.current = token;
          return token;
        } finally {
          this.inflight = null;
        }
      })();
    }
    return this.inflight;
  }
}
