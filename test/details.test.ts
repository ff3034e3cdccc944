import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pspSpec } from './helpers/openapi.js';
import { initBody, OTHER_PSP, PspApi, seedWithOtherPsp, startTestPlatform, type TestPlatform } from './helpers/platform.js';

describe('GET /psp/v3/psppayments/{pspTransactionId}/details', () => {
  let p: TestPlatform;
  let a: PspApi;
  let b: PspApi;
  before(async () => {
    p = await startTestPlatform({ seed: seedWithOtherPsp() });
    a = await PspApi.connect(p.url);
    b = await PspApi.connect(p.url, OTHER_PSP);
  });
  after(() => p.close());

  it('shows an initiated payment with a zero summary and an empty history', async () => {
    const body = initBody();
    assert.equal((await a.init(body)).status, 200);
    const r = await a.details(String(body.pspTransactionId));
    assert.equal(r.status, 200);
    pspSpec().assertResponse('/v3/psppayments/{pspTransactionId}/details', 'get', 200, r.json);
    assert.deepEqual(r.json, {
      pspTransactionId: body.pspTransactionId,
      merchantOrderId: body.merchantOrderId,
      transactionSummary: { capturedAmount: 0, remainingAmountToCapture: 0, refundedAmount: 0, remainingAmountToRefund: 0 },
      transactionLogHistory: [],
    });
  });

  it('answers an unknown id with 404 code 35', async () => {
    const r = await a.details('does-not-exist');
    assert.equal(r.status, 404);
    const [e] = r.json as unknown as { errorCode: string; errorMessage: string }[];
    assert.deepEqual([e?.errorCode, e?.errorMessage], ['35', 'Requested Order not found']);
  });

  it('lets PSP B neither read A’s payment nor initiate on A’s sales unit, without revealing that it exists', async () => {
    const body = initBody();
    assert.equal((await a.init(body)).status, 200);
    const foreign = await b.details(String(body.pspTransactionId));
    const unknown = await b.details('never-created-id');
    assert.equal(foreign.status, 404);
    assert.equal(foreign.status, unknown.status);
    const strip = (x: unknown) => (x as { contextId?: string }[]).map(({ contextId: _, ...rest }) => rest);
    assert.deepEqual(strip(foreign.json), strip(unknown.json));
    assert.deepEqual(
      [...foreign.headers.keys()].filter((h) => h !== 'date' && h !== 'content-length'),
      [...unknown.headers.keys()].filter((h) => h !== 'date' && h !== 'content-length'),
    );
    assert.equal(foreign.text.length, unknown.text.length);

    const r = await b.init(initBody(), { 'Merchant-Serial-Number': a.creds.msn });
    assert.equal(r.status, 403);
    // The same pspTransactionId is free for PSP B: ids are unique per PSP.
    const own = await b.init({ ...initBody(), pspTransactionId: body.pspTransactionId });
    assert.equal(own.status, 200);
    const mine = await a.details(String(body.pspTransactionId));
    assert.equal(mine.json.merchantOrderId, body.merchantOrderId);
  });
});
