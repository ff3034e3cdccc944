/**
 * The `token` of force approve (psp-facts.md §2.10): "the token value received in the `url`
 * property in the Initiate response", i.e. the `token` query parameter of `vippsRedirectUrl`.
 */

/**
 * Extracts the `token` query parameter from a `vippsRedirectUrl`: a landing page URL
 * (`https://…/vippsgateway?v=2&token=…`) or an app deeplink (`vipps://?token=…`,
 * `vippsMT://?token=…`). Throws a TypeError when there is none.
 */
export function forceApproveToken(vippsRedirectUrl: string): string {
  const start = vippsRedirectUrl.indexOf('?');
  if (start >= 0) {
    const query = vippsRedirectUrl.slice(start + 1).split('#')[0] ?? '';
    const token = new URLSearchParams(query).get('token');
    if (token) return token;
  }
  throw new TypeError(`no token query parameter in ${JSON.stringify(vippsRedirectUrl.slice(0, 80))}`);
}
