/**
 * PspClient.updateStatus (§2.8) against the platform started in-process with startEmulator():
 * a payment reserved through force approve and a makePaymentUrl endpoint written with the
 * PSP-side helpers, then a capture and a refund reported and read back through details.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  checkMakePaymentAuthorization,
  forceApproveToken,
  makePaymentNotAccepted,
  makePaymentOk,
  PspClient,
  type PspClientConfig,
  parseMakePaymentRequest,
  VippsApiError,
} from '../src/client/index.js';
import { type Emulator, startEmulator } from '../src/emulator.js';
import { eventually } from './helpers/eventually.js';
import { pspSpec } from './helpers/openapi.js';
import { DEMO, uid } from './helpers/platform.js';

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

/** A PSP makePaymentUrl endpoint that answers OK (written with the PSP-side helpers). */
async function startPsp(makePaymentToken: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (!checkMakePaymentAuthorization(req.headers.authorization, makePaymentToken)) {
        res.writeHead(401).end();
        return;
      }
      const request = parseMakePaymentRequest(Buffer.concat(chunks));
      const answer = request.paymentState === 'ACCEPTED' ? makePaymentOk(request.pspTransactionId) : makePaymentNotAccepted(request);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('PspClient.updateStatus', () => {
  let emulator: Emulator;
  let client: PspClient;
  let psp: { server: Server; url: string };
  const makePaymentToken = randomUUID();

  before(async () => {
    emulator = await startEmulator();
    client = new PspClient(configFor(emulator.url));
    psp = await startPsp(makePaymentToken);
  });
  after(async () => {
    await emulator.close();
    psp.server.closeAllConnections();
    await new Promise((r) => psp.server.close(r));
  });

  async function reservedPayment(amount: number): Promise<string> {
    const pspTransactionId = uid('u');
    const init = await client.initiatePayment({
      pspTransactionId,
      merchantOrderId: uid('order-'),
      amount,
      pspRedirectUrl: 'http://localhost:3000/result',
      makePaymentUrl: `${psp.url}/makepayment`,
      makePaymentToken,
    });
    await client.forceApprove(pspTransactionId, { customerPhoneNumber: DEMO.user, token: forceApproveToken(init.vippsRedirectUrl) });
    return pspTransactionId;
  }

  it('reports a capture and a refund; the answer is 9000 SUCCESS and details follow once the batch ran', async () => {
    const id = await reservedPayment(30000);
    const key = randomUUID();
    const transactions = [
      { pspTransactionId: id, status: 'CAPTURED' as const, amount: 20000, currency: 'NOK' as const, paymentText: 'Shipped' },
    ];
    const response = await client.updateStatus(transactions, { idempotencyKey: key });
    pspSpec().assertResponse('/v3/psppayments/updatestatus', 'post', 200, response);
    assert.deepEqual(response, { responseInfo: { responseCode: '9000', responseMessage: 'SUCCESS' } });
    assert.deepEqual(await client.updateStatus(transactions, { idempotencyKey: key }), response);

    const captured = await eventually(
      () => client.getPaymentDetails(id),
      (d) => d.transactionSummary?.capturedAmount === 20000,
      'the capture applied',
    );
    assert.deepEqual(captured.transactionSummary, {
      capturedAmount: 20000,
      remainingAmountToCapture: 10000,
      refundedAmount: 0,
      remainingAmountToRefund: 20000,
    });

    await client.updateStatus([{ pspTransactionId: id, status: 'REFUNDED', amount: 5000 }]);
    const refunded = await eventually(
      () => client.getPaymentDetails(id),
      (d) => d.transactionSummary?.refundedAmount === 5000,
      'the refund applied',
    );
    assert.equal(refunded.transactionSummary?.remainingAmountToRefund, 15000);
  });

  it('reports an invalid batch as VippsApiError', async () => {
    const error = await rejectsWith(
      client.updateStatus([{ pspTransactionId: 'x1', status: 'SHIPPED' as never, amount: 100 }]),
      VippsApiError,
    );
    assert.equal(error.status, 400);
    assert.ok(error.errorCode);
  });
});
