/**
 * The address classification (src/domain/address-class.ts) on its own: IANA special-purpose
 * blocks, what IPv6 addresses embed, host name normalisation, and the policy per class. The same
 * function decides at init and at connect time (test/outbound-addresses.test.ts drives both).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type AddressClass,
  addressAllowed,
  classifyAddress,
  classifyHost,
  normalizeHost,
  parseIpv4,
  parseIpv6,
} from '../src/domain/address-class.js';

const CLASSES: readonly (readonly [string, AddressClass])[] = [
  // globally reachable unicast
  ['8.8.8.8', 'public'],
  ['1.1.1.1', 'public'],
  ['100.63.255.255', 'public'], // just below 100.64.0.0/10
  ['100.128.0.0', 'public'], // just above it
  ['172.15.255.255', 'public'],
  ['172.32.0.0', 'public'],
  ['192.0.1.255', 'public'],
  ['198.17.255.255', 'public'],
  ['198.20.0.0', 'public'],
  ['223.255.255.255', 'public'],
  ['2a00:1450:4001:80b::200e', 'public'],
  ['2606:4700::1111', 'public'],
  ['::ffff:8.8.8.8', 'public'],
  ['64:ff9b::808:808', 'public'], // NAT64 of 8.8.8.8
  ['2002:808:808::1', 'public'], // 6to4 of 8.8.8.8
  ['2001:0:4136:e378:8000:63bf:f7f7:f7f7', 'public'], // Teredo: server 65.54.227.120, client 8.8.8.8
  // IPv4 special-purpose registry
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'reserved'],
  ['10.0.0.1', 'private'],
  ['10.255.255.255', 'private'],
  ['100.64.0.1', 'private'],
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['169.254.0.1', 'linkLocal'],
  ['169.254.169.254', 'metadata'],
  ['169.254.170.2', 'metadata'],
  ['100.100.100.200', 'metadata'],
  ['168.63.129.16', 'metadata'],
  ['192.0.0.192', 'metadata'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.0.0.9', 'reserved'], // PCP anycast: globally reachable, but not unicast
  ['192.0.0.170', 'reserved'],
  ['192.0.2.1', 'documentation'],
  ['192.31.196.1', 'reserved'],
  ['192.52.193.1', 'reserved'],
  ['192.88.99.1', 'reserved'],
  ['192.168.1.1', 'private'],
  ['192.175.48.1', 'reserved'],
  ['198.18.0.1', 'benchmarking'],
  ['198.19.255.255', 'benchmarking'],
  ['198.51.100.1', 'documentation'],
  ['203.0.113.1', 'documentation'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['240.0.0.1', 'reserved'],
  ['255.255.255.254', 'reserved'],
  ['255.255.255.255', 'broadcast'],
  // IPv6 special-purpose registry and address space
  ['::', 'unspecified'],
  ['::1', 'loopback'],
  ['[::1]', 'loopback'],
  ['0:0:0:0:0:0:0:1', 'loopback'],
  ['fe80::1', 'linkLocal'],
  ['febf::1', 'linkLocal'],
  ['fe80::1%eth0', 'linkLocal'],
  ['fc00::1', 'private'],
  ['fd12:3456::1', 'private'],
  ['fd00:ec2::254', 'metadata'],
  ['fec0::1', 'reserved'],
  ['ff02::1', 'multicast'],
  ['ff0e::1', 'multicast'],
  ['100::1', 'reserved'],
  ['100:0:0:1::1', 'reserved'],
  ['2001:db8::1', 'documentation'],
  ['3fff::1', 'documentation'],
  ['2001:2::1', 'benchmarking'],
  ['2001:1::1', 'reserved'], // PCP anycast
  ['2001:20::1', 'reserved'], // ORCHIDv2
  ['2620:4f:8000::1', 'reserved'],
  ['5f00::1', 'reserved'],
  ['4000::1', 'reserved'], // outside 2000::/3
  ['1::1', 'reserved'],
  // what IPv6 embeds, classified again
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:7f00:1', 'loopback'],
  ['::ffff:a9fe:a9fe', 'metadata'],
  ['::ffff:10.0.0.1', 'private'],
  ['::ffff:0:7f00:1', 'loopback'], // IPv4-translated (SIIT)
  ['::ffff:0:808:808', 'reserved'], // SIIT of a public address: not globally reachable
  ['::127.0.0.1', 'loopback'], // IPv4-compatible
  ['::7f00:1', 'loopback'],
  ['::a9fe:a9fe', 'metadata'],
  ['::8.8.8.8', 'reserved'], // IPv4-compatible is deprecated
  ['64:ff9b::a9fe:a9fe', 'metadata'],
  ['64:ff9b::169.254.169.254', 'metadata'],
  ['64:ff9b::a00:1', 'private'],
  ['64:ff9b::7f00:1', 'loopback'],
  ['64:ff9b::c000:201', 'documentation'],
  ['64:ff9b:1::a9fe:a9fe', 'metadata'], // local-use NAT64, /96 position
  ['64:ff9b:1:a9fe:a9:fe00::', 'metadata'], // local-use NAT64, /48 position
  ['64:ff9b:1::808:808', 'unspecified'], // every reading must be allowed; the /48 one is 0.0.0.0
  ['2002:7f00:1::', 'loopback'],
  ['2002:a9fe:a9fe::', 'metadata'],
  ['2002:c0a8:101::1', 'private'],
  ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'loopback'], // Teredo: client ~80ff:fffe = 127.0.0.1
  ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'documentation'], // RFC 4380's example: client 192.0.2.45
  ['2001:0:a9fe:a9fe::', 'metadata'], // Teredo server 169.254.169.254 (client 255.255.255.255 too)
];

describe('classifyAddress', () => {
  for (const [address, expected] of CLASSES) {
    it(`${address} is ${expected}`, () => assert.equal(classifyAddress(address), expected));
  }

  it('throws on what is not an address in canonical text (names go to classifyHost)', () => {
    for (const text of [
      'localhost',
      '127.1',
      '0x7f000001',
      '2130706433',
      '1.2.3',
      '1.2.3.256',
      '01.2.3.4',
      '1::2::3',
      '1:2:3:4:5:6:7:8:9',
      '::ffff:1.2.3',
      ':::1',
      '',
    ]) {
      assert.throws(() => classifyAddress(text), /not an IP address/, text);
    }
  });
});

describe('parsing', () => {
  it('reads dotted quads strictly and IPv6 text in every RFC 4291 form', () => {
    assert.equal(parseIpv4('255.255.255.255'), 0xffffffff);
    assert.equal(parseIpv4('010.0.0.1'), null);
    assert.deepEqual(parseIpv6('::ffff:1.2.3.4'), parseIpv6('0:0:0:0:0:ffff:102:304'));
    assert.deepEqual(parseIpv6('1::'), parseIpv6('1:0:0:0:0:0:0:0'));
    assert.deepEqual(parseIpv6('[2001:DB8::1]'), parseIpv6('2001:db8:0:0:0:0:0:1'));
    for (const bad of ['1.2.3.4::', '1:2:3:4:5:6:7::8:9', '12345::', 'g::1', '1:2:3:4:5:6:7:8::']) assert.equal(parseIpv6(bad), null, bad);
  });
});

describe('classifyHost: names are normalised before every name rule', () => {
  const names: readonly (readonly [string, string, AddressClass | null])[] = [
    ['localhost', 'localhost', 'loopback'],
    ['localhost.', 'localhost', 'loopback'],
    ['LOCALHOST', 'localhost', 'loopback'],
    ['LocalHost.', 'localhost', 'loopback'],
    ['ｌｏｃａｌｈｏｓｔ', 'localhost', 'loopback'], // full-width letters, IDNA-mapped
    ['shop.localhost.', 'shop.localhost', 'loopback'],
    ['localhost.localdomain', 'localhost.localdomain', 'loopback'],
    ['ip6-loopback', 'ip6-loopback', 'loopback'],
    ['metadata.google.internal.', 'metadata.google.internal', 'metadata'],
    ['METADATA.GOOGLE.INTERNAL', 'metadata.google.internal', 'metadata'],
    ['metadata', 'metadata', 'metadata'],
    ['instance-data.ec2.internal.', 'instance-data.ec2.internal', 'metadata'],
    ['intranet', 'intranet', 'private'],
    ['printer.local', 'printer.local', 'private'],
    ['vm.c.project.internal', 'vm.c.project.internal', 'private'],
    ['router.home.arpa.', 'router.home.arpa', 'private'],
    ['psp.example.com', 'psp.example.com', null],
    ['PSP.Example.COM.', 'psp.example.com', null],
    ['bücher.example', 'xn--bcher-kva.example', null],
  ];
  for (const [raw, host, cls] of names) {
    it(`${raw} → ${host} (${cls ?? 'resolved at connect time'})`, () => {
      assert.deepEqual(classifyHost(raw), { kind: 'name', host, class: cls });
    });
  }

  it('reads the IPv4 number forms as the address they stand for', () => {
    for (const raw of ['127.1', '2130706433', '0x7f000001', '0177.0.0.1', '0x7f.0.0.1', '127.0.0.1.', '0x7f.1.']) {
      assert.deepEqual(classifyHost(raw), { kind: 'address', host: '127.0.0.1', class: 'loopback' }, raw);
    }
    assert.deepEqual(classifyHost('0xa9fea9fe'), { kind: 'address', host: '169.254.169.254', class: 'metadata' });
    assert.deepEqual(classifyHost('[::ffff:a9fe:a9fe]'), { kind: 'address', host: '[::ffff:a9fe:a9fe]', class: 'metadata' });
  });

  it('refuses what is not a host', () => {
    for (const raw of ['', 'a..b', 'localhost..', '.localhost', 'psp_example.com', 'exa mple.com', '[::1', '[nope]']) {
      assert.deepEqual(classifyHost(raw), { kind: 'invalid' }, raw);
    }
    assert.equal(normalizeHost('a..b'), 'a..b'); // the host parser keeps it; the name rule refuses it
  });
});

describe('addressAllowed', () => {
  const policies = [
    { allowLoopback: false, allowPrivate: false },
    { allowLoopback: true, allowPrivate: false },
    { allowLoopback: false, allowPrivate: true },
    { allowLoopback: true, allowPrivate: true },
  ];
  it('allows public always, loopback and private only when configured, everything else never', () => {
    const classes = [...new Set(CLASSES.map(([, c]) => c))].sort();
    assert.equal(classes.length, 11, 'every class appears in the table above');
    for (const policy of policies) {
      for (const cls of classes) {
        const expected = cls === 'public' || (cls === 'loopback' && policy.allowLoopback) || (cls === 'private' && policy.allowPrivate);
        assert.equal(addressAllowed(cls, policy), expected, `${cls} ${JSON.stringify(policy)}`);
      }
    }
  });
});
