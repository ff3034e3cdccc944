/**
 * URL rules for the URLs a PSP hands us (psp-facts.md §2.11) and the address classes the
 * makePayment call may connect to. Pure functions; DNS resolution happens at connect time in
 * callbacks/ (the same `classifyAddress` is applied to the resolved address).
 */
import { BlockList, isIP } from 'node:net';

export type AddressClass = 'public' | 'loopback' | 'private' | 'linkLocal' | 'metadata' | 'unspecified' | 'reserved';

const metadata = new BlockList();
metadata.addAddress('169.254.169.254', 'ipv4');
metadata.addAddress('169.254.170.2', 'ipv4');
metadata.addAddress('100.100.100.200', 'ipv4');
metadata.addAddress('fd00:ec2::254', 'ipv6');

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

const linkLocal = new BlockList();
linkLocal.addSubnet('169.254.0.0', 16, 'ipv4');
linkLocal.addSubnet('fe80::', 10, 'ipv6');

const privateNets = new BlockList();
privateNets.addSubnet('10.0.0.0', 8, 'ipv4');
privateNets.addSubnet('172.16.0.0', 12, 'ipv4');
privateNets.addSubnet('192.168.0.0', 16, 'ipv4');
privateNets.addSubnet('100.64.0.0', 10, 'ipv4');
privateNets.addSubnet('fc00::', 7, 'ipv6');

const reserved = new BlockList();
reserved.addSubnet('0.0.0.0', 8, 'ipv4');
reserved.addSubnet('224.0.0.0', 3, 'ipv4');
reserved.addSubnet('ff00::', 8, 'ipv6');

/** Classifies an IP literal. IPv4-mapped IPv6 addresses are classified as their IPv4 address. */
export function classifyAddress(address: string): AddressClass {
  let ip = address.replace(/^\[|\]$/g, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped?.[1]) ip = mapped[1];
  const family = isIP(ip);
  if (family === 0) throw new Error(`not an IP address: ${address}`);
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (ip === '0.0.0.0' || ip === '::') return 'unspecified';
  if (metadata.check(ip, type)) return 'metadata';
  if (loopback.check(ip, type)) return 'loopback';
  if (linkLocal.check(ip, type)) return 'linkLocal';
  if (privateNets.check(ip, type)) return 'private';
  if (reserved.check(ip, type)) return 'reserved';
  return 'public';
}

export interface AddressPolicy {
  readonly allowLoopback: boolean;
  readonly allowPrivate: boolean;
}

/** Whether an address class may be connected to. Link-local and metadata: never. */
export function addressAllowed(cls: AddressClass, policy: AddressPolicy): boolean {
  switch (cls) {
    case 'public':
      return true;
    case 'loopback':
      return policy.allowLoopback;
    case 'private':
      return policy.allowPrivate;
    case 'linkLocal':
    case 'metadata':
    case 'unspecified':
    case 'reserved':
      return false;
  }
}

const METADATA_HOSTNAMES = new Set(['metadata.google.internal', 'metadata', 'instance-data', 'instance-data.ec2.internal']);

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
  const host = url.hostname.toLowerCase();
  if (host === '') return 'no host';
  if (METADATA_HOSTNAMES.has(host)) return 'metadata host';
  const bare = host.replace(/^\[|\]$/g, '');
  if (isIP(bare) !== 0) {
    const cls = classifyAddress(bare);
    return addressAllowed(cls, policy) ? null : `${cls} address`;
  }
  if (host === 'localhost' || host.endsWith('.localhost')) {
    return policy.allowLoopback ? null : 'localhost';
  }
  // A public name must look like one (UrlValidator: a registered TLD); single labels are local.
  if (!host.includes('.') && !policy.allowPrivate) return 'host is not a public domain name';
  if (!/^[a-z0-9.-]+$/.test(host) || host.startsWith('.') || host.includes('..')) return 'invalid host';
  return null;
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
