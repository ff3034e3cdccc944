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
