/**
 * URL rules for the URLs a PSP hands us (psp-facts.md §2.11). The address classes the makePayment
 * call may connect to are domain/address-class.ts; DNS resolution happens at connect time in
 * callbacks/ (the same classification is applied to the name and to every resolved address).
 */
import { isIP } from 'node:net';
import { type AddressPolicy, addressAllowed, classifyHost } from './address-class.js';

export { type AddressClass, type AddressPolicy, addressAllowed, classifyAddress } from './address-class.js';

export interface UrlPolicy extends AddressPolicy {
  /** Production: the makePaymentUrl must be https (§2.11). */
  readonly requireHttps: boolean;
}

/**
 * Checks a callback or redirect URL when it is accepted. Returns null when acceptable, or a
 * short reason (for logs and the control API; the client gets the catalogue message).
 */
export function checkUrl(raw: string, policy: UrlPolicy): string | null {
  if (raw.length > 2048) return 'longer than 2048 characters';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'not an absolute URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'scheme must be http or https';
  if (policy.requireHttps && url.protocol !== 'https:') return 'scheme must be https';
  if (url.username || url.password) return 'credentials in URL';
  // The same classification as at connect time (callbacks/outbound-http.ts); an ordinary name is
  // checked there, on every address it resolves to.
  const host = classifyHost(url.hostname);
  if (host.kind === 'invalid') return 'invalid host';
  if (host.class === null || addressAllowed(host.class, policy)) return null;
  if (host.kind === 'address') return `${host.class} address`;
  return host.class === 'private' ? 'host is not a public domain name' : `${host.class} host name`;
}

export interface RedirectUrlPolicy {
  /**
   * Commons UrlValidator's ALLOW_LOCAL_URLS: `localhost`, `*.localhost`, `localdomain` and
   * single-label hosts are accepted (the test profile, for a shop on the developer's machine).
   */
  readonly allowLocalHosts: boolean;
}

const REDIRECT_SCHEMES = new Set(['http', 'https', 'ftp']);
/** RFC 3986 split, as UrlValidator's URL_REGEX. */
const URL_PARTS = /^(?:([^:/?#]+):)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/s;
/** UrlValidator's authority: `[IPv6]` or an optional `user[:password]@` and a host, then `:port`. */
const AUTHORITY =
  /^(?:\[([0-9A-Fa-f:.]+)\]|(?:[A-Za-z0-9%\-._~!$&'()*+,;=]+(?::[A-Za-z0-9%\-._~!$&'()*+,;=]*)?@)?([A-Za-z0-9.-]*))(?::(\d*))?$/;
const PATH_CHARS = /^(?:\/[-\w:@&?=+,.!/~*'%$;()]*)?$/;
const DOMAIN_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const TOP_LEVEL = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;
const LOCAL_TOP_LEVEL = new Set(['localhost', 'localdomain']);
const DOTTED_QUAD = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/**
 * pspRedirectUrl: the real platform's check, Apache Commons `UrlValidator` with default settings
 * (psp-facts.md §2.11): schemes http, https and ftp; a host that is a domain name with a top-level
 * domain, an IPv4 address or a bracketed IPv6 address — any address, since the platform never
 * connects there (only the user's browser goes there), so there is no SSRF to guard against;
 * `localhost` refused unless `allowLocalHosts`. Modelled, not ported: a top-level domain is any
 * alphabetic label (not the IANA list). Returns null when acceptable, or a short reason.
 */
export function checkRedirectUrl(raw: string, policy: RedirectUrlPolicy): string | null {
  if (raw.length > 2048) return 'longer than 2048 characters';
  const parts = URL_PARTS.exec(raw);
  const [, scheme, authority, path = '', query] = parts ?? [];
  if (!scheme || !/^[A-Za-z][A-Za-z0-9+.-]*$/.test(scheme)) return 'not an absolute URL';
  if (!REDIRECT_SCHEMES.has(scheme.toLowerCase())) return 'scheme must be http, https or ftp';
  if (authority === undefined || authority === '') return 'no host';
  const auth = AUTHORITY.exec(authority);
  if (!auth) return 'invalid authority';
  const [, ipv6, hostname, port] = auth;
  if (ipv6 !== undefined) {
    if (isIP(ipv6) !== 6) return 'invalid IPv6 address';
  } else if (!validHost((hostname ?? '').toLowerCase(), policy)) {
    return 'host is neither a domain name nor an IP address';
  }
  if (port !== undefined && port !== '' && (port.length > 5 || Number(port) > 65535)) return 'invalid port';
  if (!PATH_CHARS.test(path) || path.includes('//') || escapesRoot(path)) return 'invalid path';
  if (query !== undefined && /\s/.test(query)) return 'invalid query';
  return null;
}

function validHost(host: string, policy: RedirectUrlPolicy): boolean {
  if (DOTTED_QUAD.test(host)) return isIP(host) === 4;
  const labels = host.replace(/\.$/, '').split('.');
  if (host.length > 253 || !labels.every((l) => DOMAIN_LABEL.test(l))) return false;
  const top = labels.at(-1) ?? '';
  if (LOCAL_TOP_LEVEL.has(top) || labels.length === 1) return policy.allowLocalHosts;
  return TOP_LEVEL.test(top);
}

/** `/a/../../b` goes above the root, which UrlValidator refuses. */
function escapesRoot(path: string): boolean {
  let depth = 0;
  for (const segment of path.split('/').slice(1)) {
    if (segment === '..') depth -= 1;
    else if (segment !== '.' && segment !== '') depth += 1;
    if (depth < 0) return true;
  }
  return false;
}
