import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startEmulator } from '../src/index.js';
import { initBody, PspApi } from './helpers/platform.js';
import { PspStub } from './helpers/psp-stub.js';

describe('startEmulator()', () => {
  it('serves the API on a free port with an in-memory database and exposes the controls', async () => {
    const stub = await PspStub.start();
    const emulator = await startEmulator();
    try {
      assert.match(emulator.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const api = await PspApi.connect(emulator.url);
      const a = initBody({ makePaymentUrl: stub.url, customerMobileNumber: '91234567' });
      const b = initBody({ makePaymentUrl: stub.url });
      assert.equal((await api.init(a)).status, 200);
      assert.equal((await api.init(b)).status, 200);
      const approved = await emulator.approve(String(a.pspTransactionId));
      assert.equal(approved.state, 'RESERVED');
      const before = emulator.clock.now();
      await emulator.clock.advance(600);
      assert.ok(emulator.clock.now() - before >= 600_000);
      assert.equal((await emulator.payment(String(b.pspTransactionId))).state, 'EXPIRED');
      assert.deepEqual(
        stub.requestsFor(String(b.pspTransactionId)).map((r) => r.body.paymentState),
        ['TIMEOUT'],
      );
      await emulator.addUser({ phoneNumber: '97000000', name: 'Test', birthDate: '1990-01-01', cards: [] });
      assert.equal((await api.get('/_emulator/users')).status, 200);
    } finally {
      await emulator.close();
      await stub.close();
    }
  });
});
