/**
 * Address classes of the hosts the platform connects to (makePaymentUrl): one classification,
 * used when a URL is accepted (domain/url-rules.ts) and again at connect time on every resolved
 * address (callbacks/outbound-http.ts). Pure: no DNS, no sockets.
 *
 * An IP address is classified by the IANA special-purpose address registries (IPv4:
 * iana-ipv4-special-registry, IPv6: iana-ipv6-special-registry) and the IPv6 address space
 * (only 2000::/3 is global unicast). An IPv6 address that embeds an IPv4 address (IPv4-mapped,
 * IPv4-compatible, SIIT, NAT64, 6to4, Teredo) reaches that IPv4 host, so the embedded address is
 * classified again. Only globally reachable unicast is `public`: the registry's anycast services
 * (PCP/TURN anycast, AS112, AMT, 6to4 relays) answer from whatever network is nearest, often the
 * operator's own, so they are `reserved` even where the registry calls them globally reachable.
 *
 * A host name is normalised first (WHATWG host parsing: case, IDNA, percent-escapes, the IPv4
 * number forms `0x7f.1`, `2130706433`, `0177.0.0.1`; then one trailing dot), so that every name
 * rule sees the one spelling: `LOCALHOST.`, `ｌｏｃａｌｈｏｓｔ` and `metadata.google.internal.` are
 * the names they stand for.
 */
import { domainToASCII } from 'node:url';

export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'linkLocal'
  | 'metadata'
  | 'unspecified'
  | 'multicast'
  | 'broadcast'
  | 'documentation'
  | 'benchmarking'
  | 'reserved';

export interface AddressPolicy {
  readonly allowLoopback: boolean;
  readonly allowPrivate: boolean;
}

/**
 * Whether an address class may be connected to. Loopback and private only where the
 * configuration allows them (local development); everything else that is not public: never.
 */
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
    case 'multicast':
    case 'broadcast':
    case 'documentation':
    case 'benchmarking':
    case 'reserved':
      return false;
  }
}

// ---------------------------------------------------------------------------------------------
// IPv4

/** A strict dotted quad (the canonical form the URL parser and resolvers produce) as a uint32. */
export function parseIpv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^(?:0|[1-9]\d{0,2})$/.test(part)) return null;
    const n = Number(part);
    if (n > 255) return null;
    value = value * 256 + n;
  }
  return value;
}

const v4 = (cidr: string): { base: number; bits: number } => {
  const [address = '', bits = '32'] = cidr.split('/');
  const base = parseIpv4(address);
  if (base === null) throw new Error(`bad IPv4 range ${cidr}`);
  return { base, bits: Number(bits) };
};

const inV4 = (address: number, range: { base: number; bits: number }): boolean => {
  if (range.bits === 0) return true;
  const shift = 32 - range.bits;
  return Math.floor(address / 2 ** shift) === Math.floor(range.base / 2 ** shift);
};

/**
 * First match wins, so exact addresses come before the blocks that hold them. Cloud metadata
 * services: AWS/GCP/Azure/OpenStack/Oracle 169.254.169.254, AWS ECS 169.254.170.2, Alibaba
 * 100.100.100.200, Azure's WireServer 168.63.129.16 (a public address that answers only the VM's
 * host), Oracle's legacy 192.0.0.192.
 */
const IPV4_RANGES: readonly (readonly [ReturnType<typeof v4>, AddressClass])[] = (
  [
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['168.63.129.16', 'metadata'],
    ['192.0.0.192', 'metadata'],
    ['0.0.0.0/32', 'unspecified'],
    ['0.0.0.0/8', 'reserved'], // "this network" (RFC 791); Linux connects 0.x to the local host
    ['10.0.0.0/8', 'private'],
    ['100.64.0.0/10', 'private'], // shared address space, carrier-grade NAT (RFC 6598)
    ['127.0.0.0/8', 'loopback'],
    ['169.254.0.0/16', 'linkLocal'],
    ['172.16.0.0/12', 'private'],
    ['192.0.0.0/24', 'reserved'], // IETF protocol assignments: dummy, NAT64 discovery, PCP/TURN anycast
    ['192.0.2.0/24', 'documentation'], // TEST-NET-1
    ['192.31.196.0/24', 'reserved'], // AS112-v4 (anycast)
    ['192.52.193.0/24', 'reserved'], // AMT (anycast)
    ['192.88.99.0/24', 'reserved'], // deprecated 6to4 relay anycast
    ['192.168.0.0/16', 'private'],
    ['192.175.48.0/24', 'reserved'], // direct delegation AS112 (anycast)
    ['198.18.0.0/15', 'benchmarking'],
    ['198.51.100.0/24', 'documentation'], // TEST-NET-2
    ['203.0.113.0/24', 'documentation'], // TEST-NET-3
    ['224.0.0.0/4', 'multicast'],
    ['255.255.255.255/32', 'broadcast'], // limited broadcast
    ['240.0.0.0/4', 'reserved'],
  ] as const
).map(([cidr, cls]) => [v4(cidr), cls] as const);

function classifyIpv4(address: number): AddressClass {
  for (const [range, cls] of IPV4_RANGES) if (inV4(address, range)) return cls;
  return 'public';
}

// ---------------------------------------------------------------------------------------------
// IPv6

/** RFC 4291 §2.2 text (with `::` and a trailing dotted quad; a zone `%…` is dropped) as 16 bytes. */
export function parseIpv6(text: string): Uint8Array | null {
  const bare = text.replace(/^\[|\]$/g, '').replace(/%.*$/s, '');
  if (!/^[0-9a-fA-F:.]+$/.test(bare)) return null;
  const halves = bare.split('::');
  if (halves.length > 2) return null;
  const groupsOf = (half: string): number[] | null => {
    if (half === '') return [];
    const out: number[] = [];
    const pieces = half.split(':');
    for (const [i, piece] of pieces.entries()) {
      if (i === pieces.length - 1 && piece.includes('.')) {
        const quad = parseIpv4(piece);
        if (quad === null) return null;
        out.push(Math.floor(quad / 65536), quad % 65536);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(piece)) {
        out.push(Number.parseInt(piece, 16));
      } else {
        return null;
      }
    }
    return out;
  };
  const head = groupsOf(halves[0] ?? '');
  const tail = halves.length === 2 ? groupsOf(halves[1] ?? '') : [];
  if (head === null || tail === null) return null;
  // A dotted quad may only end the address.
  if (halves.length === 2 && (halves[0] ?? '').includes('.')) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  for (const [i, g] of groups.entries()) {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  }
  return bytes;
}

interface V6Range {
  readonly prefix: Uint8Array;
  readonly bits: number;
}

const v6 = (cidr: string): V6Range => {
  const [address = '', bits = '128'] = cidr.split('/');
  const prefix = parseIpv6(address);
  if (prefix === null) throw new Error(`bad IPv6 range ${cidr}`);
  return { prefix, bits: Number(bits) };
};

const inV6 = (bytes: Uint8Array, range: V6Range): boolean => {
  const whole = Math.floor(range.bits / 8);
  for (let i = 0; i < whole; i++) if (bytes[i] !== range.prefix[i]) return false;
  const rest = range.bits % 8;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((bytes[whole] ?? 0) & mask) === ((range.prefix[whole] ?? 0) & mask);
};

/** The IPv4 address in 4 bytes of an IPv6 address, from the given byte offsets. */
const ipv4At = (bytes: Uint8Array, offsets: readonly number[]): number => offsets.reduce((n, offset) => n * 256 + (bytes[offset] ?? 0), 0);

const range4 = (start: number): number[] => [start, start + 1, start + 2, start + 3];

/** How an IPv6 range reaches IPv4: where the IPv4 address sits, and what a public one makes it. */
interface Embedding {
  readonly range: V6Range;
  /** Byte offsets of each reading of the embedded IPv4 address (all are classified: `strictest`). */
  readonly ipv4: readonly (readonly number[])[];
  /** The class when every embedded address is public. */
  readonly whenPublic: AddressClass;
  /** Bitwise NOT of the embedded address (Teredo's client address is obfuscated). */
  readonly inverted?: readonly boolean[];
}

/** Most specific first (the first that matches applies). */
const EMBEDDINGS: readonly Embedding[] = [
  // IPv4-mapped (RFC 4291 §2.5.5.2): a dual-stack socket connects to the IPv4 host itself.
  { range: v6('::ffff:0:0/96'), ipv4: [range4(12)], whenPublic: 'public' },
  // IPv4-translated (SIIT, RFC 2765 §2.1), not globally reachable.
  { range: v6('::ffff:0:0:0/96'), ipv4: [range4(12)], whenPublic: 'reserved' },
  // Well-known NAT64 prefix (RFC 6052): globally reachable through the translator.
  { range: v6('64:ff9b::/96'), ipv4: [range4(12)], whenPublic: 'public' },
  // Local-use NAT64 (RFC 8215): the operator picks the prefix length (/48 to /96), so the IPv4
  // address may sit in any of RFC 6052 §2.2's positions (bits 64–71 are the reserved u-octet).
  // Every reading must be allowed; the zero bytes of the other positions read as 0.0.0.0/8, so in
  // practice a local-use NAT64 address is refused (a PSP's server is not behind one).
  {
    range: v6('64:ff9b:1::/48'),
    ipv4: [[6, 7, 9, 10], [7, 9, 10, 11], range4(9), range4(12)],
    whenPublic: 'private',
  },
  // Teredo (RFC 4380 §4): bytes 4–7 the server, bytes 12–15 the client's address inverted.
  {
    range: v6('2001::/32'),
    ipv4: [range4(12), range4(4)],
    inverted: [true, false],
    whenPublic: 'public',
  },
  // 6to4 (RFC 3056 §2): the site's IPv4 address in bytes 2–5.
  { range: v6('2002::/16'), ipv4: [range4(2)], whenPublic: 'public' },
  // IPv4-compatible (deprecated, RFC 4291 §2.5.5.1); `::` and `::1` are matched before this.
  { range: v6('::/96'), ipv4: [range4(12)], whenPublic: 'reserved' },
];

const IPV6_RANGES: readonly (readonly [V6Range, AddressClass])[] = (
  [
    ['fd00:ec2::254/128', 'metadata'], // AWS instance metadata over IPv6
    ['100::/64', 'reserved'], // discard-only (RFC 6666)
    ['100:0:0:1::/64', 'reserved'], // dummy prefix (RFC 9780)
    ['2001:2::/48', 'benchmarking'],
    ['2001:db8::/32', 'documentation'],
    ['2001::/23', 'reserved'], // IETF protocol assignments: anycast, ORCHID, AMT, AS112
    ['2620:4f:8000::/48', 'reserved'], // AS112-v6 (anycast)
    ['3fff::/20', 'documentation'], // RFC 9637
    ['5f00::/16', 'reserved'], // SRv6 SIDs (RFC 9602)
    ['fc00::/7', 'private'], // unique local (RFC 4193)
    ['fe80::/10', 'linkLocal'],
    ['fec0::/10', 'reserved'], // deprecated site-local (RFC 3879)
    ['ff00::/8', 'multicast'],
  ] as const
).map(([cidr, cls]) => [v6(cidr), cls] as const);

const GLOBAL_UNICAST = v6('2000::/3');

/** Never allowed, most telling first. */
const NEVER: readonly AddressClass[] = [
  'metadata',
  'linkLocal',
  'unspecified',
  'broadcast',
  'multicast',
  'reserved',
  'documentation',
  'benchmarking',
];

/**
 * One class for several readings of an address (Teredo's server and client; local-use NAT64's
 * possible positions): traffic may reach any of them, so a refused reading wins over an allowed
 * one. Loopback and private at once fit no single policy: reserved.
 */
function strictest(classes: readonly AddressClass[]): AddressClass {
  const distinct = new Set<AddressClass>(classes.filter((c) => c !== 'public'));
  if (distinct.size === 0) return 'public';
  const [only] = distinct;
  if (distinct.size === 1 && only !== undefined) return only;
  return NEVER.find((c) => distinct.has(c)) ?? 'reserved';
}

const UNSPECIFIED_V6 = v6('::/128');
const LOOPBACK_V6 = v6('::1/128');

function classifyIpv6(bytes: Uint8Array): AddressClass {
  // Both lie in ::/96, whose other addresses embed an IPv4 address.
  if (inV6(bytes, UNSPECIFIED_V6)) return 'unspecified';
  if (inV6(bytes, LOOPBACK_V6)) return 'loopback';
  const embedding = EMBEDDINGS.find((e) => inV6(bytes, e.range));
  if (embedding) {
    const classes = embedding.ipv4.map((offsets, i) => {
      const address = ipv4At(bytes, offsets);
      return classifyIpv4(embedding.inverted?.[i] ? 0xffffffff - address : address);
    });
    return strictest(classes.map((c) => (c === 'public' ? embedding.whenPublic : c)));
  }
  for (const [range, cls] of IPV6_RANGES) if (inV6(bytes, range)) return cls;
  // Outside 2000::/3 everything is reserved by the IETF (IANA IPv6 address space registry).
  return inV6(bytes, GLOBAL_UNICAST) ? 'public' : 'reserved';
}

// ---------------------------------------------------------------------------------------------
// Addresses and hosts

/** Whether the text is an IP address (IPv4 dotted quad, or IPv6 with or without brackets). */
export function isIpAddress(text: string): boolean {
  return parseIpv4(text) !== null || parseIpv6(text) !== null;
}

/**
 * Classifies an IP address in canonical text (as resolvers answer and `new URL` writes hosts);
 * IPv6 may be in brackets. Throws on anything else: a caller with a host name wants `classifyHost`.
 */
export function classifyAddress(address: string): AddressClass {
  const quad = parseIpv4(address);
  if (quad !== null) return classifyIpv4(quad);
  const bytes = parseIpv6(address);
  if (bytes !== null) return classifyIpv6(bytes);
  throw new Error(`not an IP address: ${address}`);
}

/**
 * The one spelling of a host: WHATWG host parsing (lower case, IDNA to punycode, IPv4 number
 * forms to a dotted quad) and one trailing dot dropped (`localhost.` is `localhost`). Null when
 * it is not a valid host.
 */
export function normalizeHost(host: string): string | null {
  if (host.startsWith('[')) {
    const bytes = host.endsWith(']') ? parseIpv6(host) : null;
    return bytes === null ? null : host.toLowerCase();
  }
  if (parseIpv6(host) !== null) return host.toLowerCase();
  let ascii = domainToASCII(host);
  if (ascii === '') return null;
  // (The host parser already reads `0x7f.1.` as 127.0.0.1; a name keeps its dot.)
  if (ascii.endsWith('.')) ascii = ascii.slice(0, -1);
  return ascii === '' ? null : ascii;
}

/** Names that mean this machine (RFC 6761 §6.3, and Debian's /etc/hosts). */
const LOOPBACK_NAMES = new Set(['localhost', 'localhost.localdomain', 'ip6-localhost', 'ip6-loopback']);
/** Cloud metadata services by name (GCP, and the EC2 names). */
const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata', 'instance-data', 'instance-data.ec2.internal']);
/**
 * Names only a local resolver answers: mDNS `.local` (RFC 6762), `.home.arpa` (RFC 8375),
 * ICANN's private-use `.internal` (cloud providers' VM names live there), `.localdomain`.
 */
const LOCAL_SUFFIXES = ['.local', '.home.arpa', '.internal', '.localdomain'];
const NAME = /^[a-z0-9-]+(?:\.[a-z0-9-]+)*$/;

export type HostClass =
  | { readonly kind: 'address'; readonly host: string; readonly class: AddressClass }
  /** `class` null: an ordinary name, classified by what it resolves to at connect time. */
  | { readonly kind: 'name'; readonly host: string; readonly class: AddressClass | null }
  | { readonly kind: 'invalid' };

/** Classifies a URL host or a resolver's host name: an address by its class, a name by the name rules. */
export function classifyHost(raw: string): HostClass {
  const host = normalizeHost(raw);
  if (host === null) return { kind: 'invalid' };
  if (isIpAddress(host)) return { kind: 'address', host, class: classifyAddress(host) };
  if (!NAME.test(host)) return { kind: 'invalid' };
  if (LOOPBACK_NAMES.has(host) || host.endsWith('.localhost')) return { kind: 'name', host, class: 'loopback' };
  if (METADATA_NAMES.has(host)) return { kind: 'name', host, class: 'metadata' };
  // A single label is an intranet name (a public name has a top-level domain).
  if (!host.includes('.') || LOCAL_SUFFIXES.some((s) => host.endsWith(s))) return { kind: 'name', host, class: 'private' };
  return { kind: 'name', host, class: null };
}
