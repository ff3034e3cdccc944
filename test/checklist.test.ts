/**
 * The go-live checklist report (`GET /_emulator/checklist`, `vipps-psp-emulator checklist`):
 * the reference PSP, driven over HTTP through every path, is evidenced on every item; a PSP stub
 * that never sends updatestatus gets a report naming exactly what is missing.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { type ReferencePsp, startReferencePsp } from '../examples/reference-psp/index.js';
import { runChecklistCommand } from '../src/cli-checklist.js';
import { PspClient } from '../src/client/index.js';
import type { ChecklistItem, ChecklistReport } from '../src/services/checklist.js';
import { call, DEMO, OTHER_PSP, seedWithOtherPsp, startTestPlatform, type TestPlatform, uid } from './helpers/platform.js';
import { PspStub } from './helpers/psp-stub.js';

describe('the go-live checklist report', () => {
  let p: TestPlatform;
  let psp: ReferencePsp;
  let stub: PspStub;

  before(async () => {
    p = await startTestPlatform({ seed: seedWithOtherPsp() });
    psp = await startReferencePsp({ emulatorUrl: p.url, credentials: { ...DEMO, merchantSerialNumber: DEMO.msn } });
    stub = await PspStub.start();
  });
  after(async () => {
    await psp?.close();
    await stub?.close();
    await p?.close();
  });

  const control = (pspId: string, path: string, body?: unknown) =>
    call<Record<string, unknown>>(`${p.url}/_emulator${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'psp-id': pspId, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const report = async (pspId: string) => {
    const r = await call<ChecklistReport>(`${p.url}/_emulator/checklist`, { headers: { 'psp-id': pspId } });
    assert.equal(r.status, 200, r.text);
    return r.json;
  };
  const itemOf = (r: ChecklistReport, id: string): ChecklistItem => {
    const found = r.items.find((i) => i.id === id);
    assert.ok(found, id);
    return found;
  };

  it('evidences every item for the reference PSP driven through every path', async () => {
    const form = (path: string, fields: Record<string, string> = {}) =>
      fetch(`${psp.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
        redirect: 'manual',
      });
    const checkout = async (amountKr?: string) => {
      const r = await form('/checkout', amountKr === undefined ? {} : { amount: amountKr });
      assert.equal(r.status, 303);
      const orders = (await call<{ orders: { pspTransactionId: string; merchantOrderId: string }[] }>(`${psp.url}/api/orders`)).json.orders;
      const newest = orders[0];
      assert.ok(newest);
      return newest;
    };
    const approve = (id: string) => control(DEMO.pspId, `/payments/${id}/approve`, { phoneNumber: DEMO.user });
    /** The shop's order page polls its backend, which asks Vipps' details once the outcome is known. */
    const poll = (merchantOrderId: string) => call(`${psp.url}/api/orders/${merchantOrderId}`);

    // Reserve, capture part, refund part, cancel the rest; and one captured in full.
    const paid = await checkout();
    await approve(paid.pspTransactionId);
    await poll(paid.merchantOrderId);
    await form(`/backoffice/orders/${paid.merchantOrderId}/capture`, { amount: '299,40' });
    await form(`/backoffice/orders/${paid.merchantOrderId}/refund`, { amount: '100' });
    await form(`/backoffice/orders/${paid.merchantOrderId}/cancel`);
    // 3-D Secure: soft decline, the PSP's page, 3dssuccess, the resend answered OK; then captured.
    const stepUp = await checkout('100,11');
    await approve(stepUp.pspTransactionId);
    const done = await form(`/3ds/${stepUp.pspTransactionId}/complete`);
    await call(done.headers.get('location') ?? '');
    await form(`/backoffice/orders/${stepUp.merchantOrderId}/capture`, { amount: '100,11' });
    // Every decline of the acquirer's rules.
    for (const code of ['71', '72', '81', '82', '83', '84', '86', '87', '88', '89', '91', '94']) {
      const o = await checkout(`100,${code}`);
      await approve(o.pspTransactionId);
      await poll(o.merchantOrderId);
    }
    // 85: the shop cancelled the pending payment before the customer paid.
    const late = await checkout();
    await form(`/backoffice/orders/${late.merchantOrderId}/cancel`);
    await approve(late.pspTransactionId);
    // 93: the customer cancelled.
    const cancelled = await checkout();
    await control(DEMO.pspId, `/payments/${cancelled.pspTransactionId}/cancel`, {});

    let r = await report(DEMO.pspId);
    for (let i = 0; i < 40 && r.status !== 'PASS'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50)); // status batches are applied right after the answer
      r = await report(DEMO.pspId);
    }
    assert.deepEqual(
      r.items.filter((i) => i.status !== 'PASS').map((i) => ({ id: i.id, missing: i.missing })),
      [],
    );
    assert.equal(r.status, 'PASS');
    assert.deepEqual(r.counts, { PASS: 9, MISSING: 0, FAIL: 0, NOT_APPLICABLE: 0 });
    assert.deepEqual(
      r.items.map((i) => [i.id, i.source]),
      [
        ['endpoints', 'checklist'],
        ['reserve-capture-refund-cancel', 'checklist'],
        ['error-codes', 'checklist'],
        ['soft-decline', 'checklist'],
        ['no-redirect-reliance', 'checklist'],
        ['make-payment-content-type', 'graded'],
        ['make-payment-deadline', 'graded'],
        ['make-payment-schema', 'graded'],
        ['status-updates', 'graded'],
      ],
    );
    const codes = itemOf(r, 'error-codes').codes ?? [];
    assert.deepEqual(
      codes.map((c) => `${c.errorId}:${c.status}`),
      ['71', '72', '81', '82', '83', '84', '85', '86', '87', '88', '89', '91', '92', '93', '94'].map(
        (id) => `${id}:${id === '92' ? 'NOT_APPLICABLE' : 'PASS'}`,
      ),
    );
    assert.equal(codes.find((c) => c.errorId === '85')?.evidence?.pspTransactionId, late.pspTransactionId);
    assert.equal(codes.find((c) => c.errorId === '93')?.evidence?.merchantOrderId, cancelled.merchantOrderId);
    const moves = itemOf(r, 'reserve-capture-refund-cancel').evidence;
    assert.deepEqual(
      moves.map((e) => [e.pspTransactionId, e.merchantOrderId, e.detail.split(' ')[0]]),
      [
        [paid.pspTransactionId, paid.merchantOrderId, 'reserved'],
        [paid.pspTransactionId, paid.merchantOrderId, 'CAPTURED'],
        [paid.pspTransactionId, paid.merchantOrderId, 'REFUNDED'],
        [paid.pspTransactionId, paid.merchantOrderId, 'CANCELLED'],
      ],
    );
    assert.equal(itemOf(r, 'soft-decline').evidence[0]?.pspTransactionId, stepUp.pspTransactionId);
    assert.equal(itemOf(r, 'no-redirect-reliance').evidence[0]?.pspTransactionId, paid.pspTransactionId);

    // The CLI prints the same report as a table, and exits 0 when it passes.
    let printed = '';
    const out = new Writable({
      write(chunk, _enc, cb) {
        printed += String(chunk);
        cb();
      },
    });
    assert.equal(await runChecklistCommand(['--url', p.url, '--psp-id', DEMO.pspId], out), 0);
    assert.match(printed, new RegExp(`^Go-live checklist for PSP ${DEMO.pspId} \\(.+\\): PASS$`, 'm'));
    assert.match(printed, /^PASS +Every endpoint integrated \(init, details, updatestatus\) +\[checklist\]$/m);
    assert.match(printed, /- 92 Unable to decrypt: does not apply/);
    assert.match(printed, new RegExp(`✓ ${paid.pspTransactionId} / ${paid.merchantOrderId}: CAPTURED 29940 øre`));
    printed = '';
    assert.equal(await runChecklistCommand(['--url', p.url, '--psp-id', DEMO.pspId, '--json'], out), 0);
    assert.equal((JSON.parse(printed) as ChecklistReport).status, 'PASS');
  });

  it('names exactly what is missing for a PSP that never sends updatestatus', async () => {
    const vipps = new PspClient({ baseUrl: p.url, ...OTHER_PSP, merchantSerialNumber: OTHER_PSP.msn });
    const start = async () => {
      const pspTransactionId = uid('stub');
      const merchantOrderId = uid('stub-order-');
      await vipps.initiatePayment({
        pspTransactionId,
        merchantOrderId,
        amount: 10000,
        pspRedirectUrl: 'https://psp.example/result',
        makePaymentUrl: stub.url,
        makePaymentToken: 'stub-token',
      });
      return { pspTransactionId, merchantOrderId };
    };
    const a = await start();
    const b = await start();
    stub.script(b.pspTransactionId, {
      body: { paymentInfo: { pspTransactionId: b.pspTransactionId, status: 'OK' } },
      contentType: 'text/plain',
    });
    for (const x of [a, b]) await control(OTHER_PSP.pspId, `/payments/${x.pspTransactionId}/approve`, { phoneNumber: DEMO.user });
    await vipps.getPaymentDetails(a.pspTransactionId);

    const r = await report(OTHER_PSP.pspId);
    assert.equal(r.status, 'INCOMPLETE');
    assert.deepEqual(itemOf(r, 'endpoints').missing, ['no successful updatestatus (POST /psp/v3/psppayments/updatestatus) call']);
    assert.deepEqual(
      itemOf(r, 'endpoints').evidence.map((e) => e.pspTransactionId),
      [a.pspTransactionId, a.pspTransactionId],
    );
    assert.deepEqual(itemOf(r, 'reserve-capture-refund-cancel').missing, [
      'no CAPTURED status update sent with updatestatus',
      'no REFUNDED status update sent with updatestatus',
      'no CANCELLED status update sent with updatestatus',
    ]);
    const reservedIds = (
      await Promise.all(
        [a, b].map(async (x) => ((await control(OTHER_PSP.pspId, `/payments/${x.pspTransactionId}`)).json.state === 'RESERVED' ? x : null)),
      )
    ).filter((x) => x !== null);
    assert.deepEqual(
      itemOf(r, 'status-updates').missing,
      reservedIds.map((x) => `no CAPTURED or CANCELLED status update for reserved payment ${x.pspTransactionId} (${x.merchantOrderId})`),
    );
    assert.equal(itemOf(r, 'soft-decline').status, 'MISSING');
    assert.deepEqual(itemOf(r, 'soft-decline').missing, ['no SOFT_DECLINE answer']);
    assert.equal(itemOf(r, 'no-redirect-reliance').status, 'PASS');
    assert.equal(itemOf(r, 'error-codes').missing.length, 14);
    // The text/plain answer is named.
    const contentType = itemOf(r, 'make-payment-content-type');
    assert.equal(contentType.status, 'FAIL');
    assert.deepEqual(
      contentType.evidence.map((e) => e.pspTransactionId),
      [b.pspTransactionId],
    );
    // The other PSP's traffic is not this PSP's evidence, and the CLI exits 1.
    assert.ok(!JSON.stringify(r).includes(DEMO.pspId));
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    assert.equal(await runChecklistCommand(['--url', p.url, '--psp-id', OTHER_PSP.pspId], sink), 1);
  });

  it('needs a known Psp-Id', async () => {
    const none = await call<{ errorCode: string; errorMessage: string }[]>(`${p.url}/_emulator/checklist`);
    assert.equal(none.status, 400);
    assert.match(none.json[0]?.errorMessage ?? '', /Psp-Id header is required/);
    const unknown = await call(`${p.url}/_emulator/checklist`, { headers: { 'psp-id': 'NOPE' } });
    assert.equal(unknown.status, 400);
  });
});
