/**
 * PspClient's PSP Merchant API calls (§3) against the platform started in-process with
 * startEmulator(). Written while the Merchant API was being built ("pending" until it is served).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { deflateSync } from 'node:zlib';
import { type CreateMerchantRequest, PspClient, type PspClientConfig, VippsError, VippsProblemError } from '../src/client/index.js';
import { type Emulator, startEmulator } from '../src/emulator.js';
import { signupSpec } from './helpers/openapi.js';
import { DEMO } from './helpers/platform.js';

function configFor(url: string): PspClientConfig {
  return {
    baseUrl: url,
    clientId: DEMO.clientId,
    clientSecret: DEMO.clientSecret,
    subscriptionKey: DEMO.subscriptionKey,
    pspId: DEMO.pspId,
    merchantSerialNumber: DEMO.msn,
  };
}

async function rejectsWith<E extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> {
  try {
    await promise;
  } catch (error) {
    assert.ok(
      error instanceof type,
      `expected ${type.name}, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    );
    return error;
  }
  assert.fail(`expected ${type.name}, but the call succeeded`);
}

// --- a real PNG for the merchant logo (100×100, grey) ---

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}
function pngBase64(width: number, height: number): string {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 0, 0, 0, 0], 8); // 8-bit greyscale
  const rows = Buffer.alloc((width + 1) * height, 0x80);
  for (let y = 0; y < height; y++) rows[y * (width + 1)] = 0; // filter: none
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]).toString('base64');
}

describe('PspClient merchant API', () => {
  let emulator: Emulator;
  let client: PspClient;
  const spec = signupSpec();
  const path = '/merchant-management/psp/v1/merchants';

  before(async () => {
    emulator = await startEmulator();
    client = new PspClient(configFor(emulator.url));
  });
  after(() => emulator.close());

  const newMerchant = (overrides: Partial<CreateMerchantRequest> = {}): CreateMerchantRequest => ({
    organizationNumber: '918130047',
    name: 'Client Test Shop',
    mccCode: '5411',
    logo: pngBase64(100, 100),
    email: 'shop@example.com',
    website: 'https://shop.example.com',
    address: { addressLine1: 'Robert Levins gate 5', addressLine2: null, city: 'Oslo', postCode: '0154', country: 'NO' },
    companyName: 'Client Test AS',
    companyEmail: 'post@example.com',
    ...overrides,
  });

  it('lists and reads the PSP’s merchants', async () => {
    const list = await client.listMerchants();
    const demo = list.merchants.find((m) => m.merchantSerialNumber === DEMO.msn);
    assert.equal(demo?.name, 'Demo Shop');
    const one = await client.getMerchant(DEMO.msn);
    assert.equal(one.merchantSerialNumber, DEMO.msn);
    assert.equal(one.status, 'ACTIVE');
  });

  it('creates a merchant idempotently, updates and deactivates it', async () => {
    const key = randomUUID();
    const request = newMerchant();
    const created = await client.createMerchant(request, { idempotencyKey: key });
    spec.assertResponse(path, 'post', 200, created);
    assert.deepEqual(await client.createMerchant(request, { idempotencyKey: key }), created);

    const merchant = await client.getMerchant(created.merchantSerialNumber);
    assert.equal(merchant.name, 'Client Test Shop');
    assert.equal(merchant.companyName, 'Client Test AS');
    assert.equal(merchant.address.city, 'Oslo');

    assert.equal(await client.updateMerchant(created.merchantSerialNumber, { name: 'Client Test Shop 2' }), undefined);
    assert.equal((await client.getMerchant(created.merchantSerialNumber)).name, 'Client Test Shop 2');

    await client.updateMerchant(created.merchantSerialNumber, { deactivate: true });
    assert.equal((await client.getMerchant(created.merchantSerialNumber)).status, 'DEACTIVATED');
  });

  it('reports errors as RFC 7807 problems (VippsProblemError)', async () => {
    const missing = await rejectsWith(client.getMerchant('99999'), VippsProblemError);
    assert.ok(missing instanceof VippsError);
    assert.equal(missing.status, 404);
    assert.equal(missing.problem.status, 404);
    assert.ok(missing.title);
    spec.assertResponse(`${path}/{merchantSerialNumber}`, 'get', 404, JSON.parse(missing.body));

    const key = randomUUID();
    await client.createMerchant(newMerchant({ name: 'First' }), { idempotencyKey: key });
    const conflict = await rejectsWith(client.createMerchant(newMerchant({ name: 'Second' }), { idempotencyKey: key }), VippsProblemError);
    assert.equal(conflict.status, 409);

    const invalid = await rejectsWith(
      client.createMerchant(newMerchant({ mccCode: '54' }), { idempotencyKey: randomUUID() }),
      VippsProblemError,
    );
    assert.equal(invalid.status, 400);
    await assert.rejects(client.createMerchant(newMerchant(), { idempotencyKey: '' }), TypeError);
  });
});
