/**
 * Hostile makePaymentUrls (issue 15): every one is refused by POST init in the production
 * profile, through the real app, and nothing reaches a loopback listener; the ones that are
 * never allowed stay refused when loopback and private callbacks are allowed. Then the connect
 * time: a name that resolves (injected resolver) to a refused address is refused and no request
 * reaches the listener, with the same classification as at init.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createOutboundHttp, type ResolvedAddress } from '../src/callbacks/outbound-http.js';
import { checkUrl } from '../src/domain/url-rules.js';
import { pspSpec } from './helpers/openapi.js';
import { initBody, PspApi, startTestPlatform, type TestPlatform } from './helpers/platform.js';
import { PspStub } from './helpers/psp-stub.js';

/** `PORT` stands for the port of a loopback listener that must never see a connection. */
const CORPUS: readonly (readonly [url: string, reason: string])[] = [
  // The findings: accepted as `public` before.
  ['https://198.18.0.1/', 'benchmarking address'],
  ['https://192.0.2.1/', 'documentation address'],
  ['https://[2001:db8::1]/', 'documentation address'],
  ['https://[64:ff9b::a9fe:a9fe]/', 'metadata address'],
  ['https://[64:ff9b::a00:1]/', 'private address'],
  ['https://[64:ff9b::7f00:1]:PORT/', 'loopback address'],
  ['https://[::ffff:0:7f00:1]:PORT/', 'loopback address'],
  ['https://[::127.0.0.1]:PORT/', 'loopback address'],
  ['https://[2002:7f00:1::]:PORT/', 'loopback address'],
  ['https://[2002:a9fe:a9fe::]/', 'metadata address'],
  ['https://metadata.google.internal./computeMetadata/v1/', 'metadata host name'],
  ['https://localhost.:PORT/mp', 'loopback host name'],
  // Loopback in every spelling.
  ['https://127.0.0.1:PORT/mp', 'loopback address'],
  ['https://127.1:PORT/mp', 'loopback address'],
  ['https://2130706433:PORT/mp', 'loopback address'],
  ['https://0177.0.0.1:PORT/mp', 'loopback address'],
  ['https://0x7f.0.0.1:PORT/mp', 'loopback address'],
  ['https://0x7f000001:PORT/mp', 'loopback address'],
  ['https://017700000001:PORT/mp', 'loopback address'],
  ['https://127.0.0.1.:PORT/mp', 'loopback address'],
  ['https://127.255.255.254:PORT/', 'loopback address'],
  ['https://[::1]:PORT/mp', 'loopback address'],
  ['https://[0:0:0:0:0:0:0:1]:PORT/', 'loopback address'],
  ['https://[::ffff:127.0.0.1]:PORT/', 'loopback address'],
  ['https://[::ffff:7f00:1]:PORT/', 'loopback address'],
  ['https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/', 'loopback address'], // Teredo, client 127.0.0.1
  ['https://LOCALHOST:PORT/mp', 'loopback host name'],
  ['https://ｌｏｃａｌｈｏｓｔ:PORT/', 'loopback host name'],
  ['https://%6c%6f%63%61%6c%68%6f%73%74:PORT/', 'loopback host name'],
  ['https://shop.localhost:PORT/', 'loopback host name'],
  ['https://localhost.localdomain:PORT/', 'loopback host name'],
  ['https://ip6-localhost:PORT/', 'loopback host name'],
  // Private.
  ['https://10.0.0.1/', 'private address'],
  ['https://10.1/', 'private address'],
  ['https://167772161/', 'private address'],
  ['https://012.0.0.1/', 'private address'],
  ['https://0xa.0.0.1/', 'private address'],
  ['https://172.16.0.1/', 'private address'],
  ['https://172.31.255.255/', 'private address'],
  ['https://192.168.1.1/', 'private address'],
  ['https://0xc0a80101/', 'private address'],
  ['https://100.64.0.1/', 'private address'],
  ['https://[fd12:3456::1]/', 'private address'],
  ['https://[fc00::1]/', 'private address'],
  ['https://[::ffff:10.0.0.1]/', 'private address'],
  ['https://[::ffff:0:a00:1]/', 'private address'],
  ['https://intranet/', 'host is not a public domain name'],
  ['https://printer.local/', 'host is not a public domain name'],
  ['https://vm-1.europe-north1-a.c.project.internal/', 'host is not a public domain name'],
  ['https://router.home.arpa/', 'host is not a public domain name'],
  // Link-local and metadata.
  ['https://169.254.169.254/latest/meta-data/', 'metadata address'],
  ['https://2852039166/', 'metadata address'],
  ['https://0xa9fea9fe/', 'metadata address'],
  ['https://0251.0376.0251.0376/', 'metadata address'],
  ['https://169.254.43518/', 'metadata address'],
  ['https://0xa9.0xfe.0xa9.0xfe/', 'metadata address'],
  ['https://[::ffff:169.254.169.254]/', 'metadata address'],
  ['https://[::ffff:a9fe:a9fe]/', 'metadata address'],
  ['https://169.254.170.2/v2/credentials', 'metadata address'],
  ['https://100.100.100.200/latest/meta-data/', 'metadata address'],
  ['https://168.63.129.16/machine', 'metadata address'],
  ['https://192.0.0.192/', 'metadata address'],
  ['https://[fd00:ec2::254]/', 'metadata address'],
  ['https://[64:ff9b:1:a9fe:a9:fe00::]/', 'metadata address'],
  ['https://[64:ff9b:1::a9fe:a9fe]/', 'metadata address'],
  ['https://METADATA.GOOGLE.INTERNAL/computeMetadata/v1/', 'metadata host name'],
  ['https://metadata/', 'metadata host name'],
  ['https://instance-data.ec2.internal/', 'metadata host name'],
  ['https://169.254.10.1/', 'linkLocal address'],
  ['https://[fe80::1]/', 'linkLocal address'],
  ['https://[fe80::a9fe:a9fe]/', 'linkLocal address'],
  // Multicast, broadcast, unspecified, reserved, documentation, benchmarking.
  ['https://224.0.0.1/', 'multicast address'],
  ['https://239.255.255.250/', 'multicast address'],
  ['https://0xe0000001/', 'multicast address'],
  ['https://[ff02::1]/', 'multicast address'],
  ['https://[ff05::fb]/', 'multicast address'],
  ['https://255.255.255.255/', 'broadcast address'],
  ['https://4294967295/', 'broadcast address'],
  ['https://0xffffffff/', 'broadcast address'],
  ['https://[2001:0:c000:201::]/', 'broadcast address'], // Teredo, client 255.255.255.255
  ['https://0.0.0.0:PORT/', 'unspecified address'],
  ['https://0:PORT/', 'unspecified address'],
  ['https://0x0:PORT/', 'unspecified address'],
  ['https://[::]:PORT/', 'unspecified address'],
  ['https://0.1.2.3/', 'reserved address'],
  ['https://240.0.0.1/', 'reserved address'],
  ['https://192.0.0.9/', 'reserved address'],
  ['https://192.88.99.1/', 'reserved address'],
  ['https://[100::1]/', 'reserved address'],
  ['https://[fec0::1]/', 'reserved address'],
  ['https://[::8.8.8.8]/', 'reserved address'],
  ['https://[4000::1]/', 'reserved address'],
  ['https://198.51.100.7/', 'documentation address'],
  ['https://203.0.113.9/', 'documentation address'],
  ['https://[3fff::1]/', 'documentation address'],
  ['https://[2001:2::1]/', 'benchmarking address'],
  // Credentials, odd schemes, broken hosts.
  ['https://user:pass@psp.example.com/mp', 'credentials in URL'],
  ['https://psp.example.com@127.0.0.1:PORT/', 'credentials in URL'],
  ['https://user@psp.example.com/', 'credentials in URL'],
  ['http://psp.example.com/mp', 'scheme must be https'],
  ['http://127.0.0.1:PORT/mp', 'scheme must be https'],
  ['file:///etc/passwd', 'scheme must be http or https'],
  ['ftp://psp.example.com/mp', 'scheme must be http or https'],
  ['gopher://127.0.0.1:PORT/_INFO', 'scheme must be http or https'],
  ['javascript:alert(1)', 'scheme must be http or https'],
  ['data:text/plain,hi', 'scheme must be http or https'],
  ['ws://psp.example.com/', 'scheme must be http or https'],
  ['wss://psp.example.com/', 'scheme must be http or https'],
  ['dict://127.0.0.1:PORT/', 'scheme must be http or https'],
  ['jar:https://psp.example.com/x.jar!/', 'scheme must be http or https'],
  ['//psp.example.com/mp', 'not an absolute URL'],
  ['https://[fe80::1%25eth0]/', 'not an absolute URL'],
  ['https://1.2.3.4.5/', 'not an absolute URL'],
  ['https://psp_example.com/', 'invalid host'],
  ['https://psp..example.com/', 'invalid host'],
];

/** Refused only by the configuration: ALLOW_LOOPBACK_CALLBACKS / ALLOW_PRIVATE_CALLBACKS accept them. */
const ALLOWABLE = new Set(['loopback address', 'loopback host name', 'private address', 'host is not a public domain name']);

/** A TCP listener on loopback that counts connections (TLS or not, anything that arrives). */
async function startListener(): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let count = 0;
  const server: Server = createServer((socket) => {
    count += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { port, connections: () => count, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const spec = pspSpec();

function assertRefused(r: { status: number; json: unknown }, url: string): void {
  assert.equal(r.status, 400, `${url}: ${JSON.stringify(r.json)}`);
  spec.assertResponse('/v3/psppayments/init', 'post', 400, r.json);
  const [error, ...more] = r.json as { errorCode: string; errorMessage: string }[];
  assert.deepEqual([error?.errorCode, error?.errorMessage, more.length], ['makePaymentUrl', 'Invalid makePaymentUrl', 0], url);
}

const ENVS: Record<string, string>[] = [{}, { ALLOW_LOOPBACK_CALLBACKS: 'true', ALLOW_PRIVATE_CALLBACKS: 'true' }];
for (const env of ENVS) {
  const permissive = 'ALLOW_LOOPBACK_CALLBACKS' in env;
  describe(`hostile makePaymentUrls at init, production profile ${JSON.stringify(env)}`, () => {
    let p: TestPlatform;
    let api: PspApi;
    let listener: Awaited<ReturnType<typeof startListener>>;
    const urlOf = (template: string) => template.replace('PORT', String(listener.port));
    before(async () => {
      listener = await startListener();
      p = await startTestPlatform({ env: { PROFILE: 'production', ...env } });
      api = await PspApi.connect(p.url);
    });
    after(async () => {
      await p.close();
      await listener.close();
    });

    it(`has at least 60 hostile URLs, each refused for the reason listed (${CORPUS.length})`, () => {
      assert.ok(CORPUS.length >= 60);
      assert.equal(new Set(CORPUS.map(([url]) => url)).size, CORPUS.length, 'no URL twice');
      const policy = p.running.platform.urlPolicies.makePaymentUrl;
      for (const [template, reason] of CORPUS) {
        const expected = permissive && ALLOWABLE.has(reason) ? null : reason;
        assert.equal(checkUrl(urlOf(template), policy), expected, template);
      }
    });

    it(permissive ? 'refuses every URL that is never allowed, and accepts loopback and private ones' : 'refuses every one', async () => {
      const pspRedirectUrl = 'https://shop.example.com/r';
      let accepted = 0;
      for (const [template, reason] of CORPUS) {
        const url = urlOf(template);
        const r = await api.init(initBody({ makePaymentUrl: url, pspRedirectUrl }));
        if (permissive && ALLOWABLE.has(reason)) {
          assert.equal(r.status, 200, `${url}: ${r.text}`);
          accepted += 1;
        } else {
          assertRefused(r, url);
        }
      }
      assert.equal(accepted, permissive ? CORPUS.filter(([, reason]) => ALLOWABLE.has(reason)).length : 0);
      // An accepted URL is called only when a user approves; nothing here may have connected.
      assert.equal(listener.connections(), 0, 'a connection reached the loopback listener');
    });

    it('still accepts a public https URL (the corpus is refused for what it is, not for everything)', async () => {
      const r = await api.init(initBody({ makePaymentUrl: 'https://psp.example.com/mp', pspRedirectUrl: 'https://shop.example.com/r' }));
      assert.equal(r.status, 200, r.text);
    });
  });
}

describe('the connect-time check (injected resolver)', () => {
  let stub: PspStub;
  before(async () => {
    stub = await PspStub.start();
  });
  after(() => stub.close());

  /** A resolver that answers `addresses` for every name, and records the names it was asked. */
  const resolverTo = (addresses: readonly string[]) => {
    const asked: string[] = [];
    const resolve = async (hostname: string): Promise<ResolvedAddress[]> => {
      asked.push(hostname);
      return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    };
    return { asked, resolve };
  };

  const post = (http: ReturnType<typeof createOutboundHttp>, url: string) =>
    http.post({ url, headers: { 'content-type': 'application/json' }, body: '{"pspTransactionId":"connect-check"}', deadlineMs: 3000 });

  const port = () => new URL(stub.url).port;
  const production = { allowLoopback: false, allowPrivate: false };

  it('reaches the listener when the resolved address is allowed (the resolver is the one used)', async () => {
    const { asked, resolve } = resolverTo(['127.0.0.1']);
    const before = stub.requests.length;
    const r = await post(
      createOutboundHttp({ allowLoopback: true, allowPrivate: false }, { resolve }),
      `http://psp.example.com:${port()}/mp`,
    );
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.deepEqual(asked, ['psp.example.com']);
    assert.equal(stub.requests.length, before + 1);
  });

  for (const addresses of [
    ['127.0.0.1'],
    ['::ffff:127.0.0.1'],
    ['64:ff9b::7f00:1'],
    ['2002:7f00:1::'],
    ['169.254.169.254'],
    ['8.8.8.8', '127.0.0.1'], // one refused address is enough: the socket could pick it
    [],
  ]) {
    it(`refuses a name that resolves to ${JSON.stringify(addresses)}, and no request reaches the listener`, async () => {
      const { asked, resolve } = resolverTo(addresses);
      const before = stub.requests.length;
      const r = await post(createOutboundHttp(production, { resolve }), `http://psp.example.com:${port()}/mp`);
      assert.equal(r.ok, false);
      assert.equal(r.ok === false && r.kind, 'ADDRESS_REFUSED', JSON.stringify(r));
      assert.match(r.ok === false ? r.error : '', /psp\.example\.com resolves to a refused address/);
      assert.deepEqual(asked, ['psp.example.com']);
      assert.equal(stub.requests.length, before);
    });
  }

  it('refuses at connect time what init refuses, by the same classification, before any lookup', async () => {
    // The corpus's http(s) URLs with an address or a classified name, pointed at the listener's port.
    const { asked, resolve } = resolverTo(['127.0.0.1']);
    const http = createOutboundHttp(production, { resolve });
    const before = stub.requests.length;
    let checked = 0;
    for (const [template, reason] of CORPUS) {
      if (!/address$|host name$|not a public domain name$/.test(reason)) continue;
      const url = template.replace('PORT', port());
      const r = await post(http, url);
      assert.equal(r.ok === false && r.kind, 'ADDRESS_REFUSED', `${url}: ${JSON.stringify(r)}`);
      checked += 1;
    }
    assert.ok(checked >= 80, `${checked}`);
    assert.deepEqual(asked, [], 'a classified host went to the resolver');
    assert.equal(stub.requests.length, before);
  });
});
