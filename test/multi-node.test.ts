/**
 * Several nodes on one PostgreSQL (TEST_DATABASE_URL): what one node changes, the others' pages
 * hear (LISTEN/NOTIFY, store/payment-notifications.ts). Skipped on SQLite, which is one node on
 * one file.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { PaymentChanged } from '../src/events.js';
import {
  call,
  DEMO,
  dropTestDatabase,
  initBody,
  PspApi,
  startTestPlatform,
  TEST_DATABASE_URL,
  testDatabaseUrl,
} from './helpers/platform.js';
import { PspStub } from './helpers/psp-stub.js';

const POSTGRES_ONLY = TEST_DATABASE_URL ? false : 'PostgreSQL only (TEST_DATABASE_URL unset): SQLite runs one node';

describe('two nodes on one PostgreSQL', { skip: POSTGRES_ONLY }, () => {
  it('three nodes that start together on a new database all start (migrations and seed once) and all say ready', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vipps-psp-nodes-'));
    await testDatabaseUrl(dir); // the test's own schema, made first (as a DBA would), empty
    const nodes = await Promise.allSettled([startTestPlatform({ dir }), startTestPlatform({ dir }), startTestPlatform({ dir })]);
    try {
      assert.deepEqual(
        nodes.map((n) => (n.status === 'fulfilled' ? 'started' : String(n.reason))),
        ['started', 'started', 'started'],
      );
      for (const n of nodes) if (n.status === 'fulfilled') assert.equal((await call(`${n.value.url}/health`)).status, 200);
      const first = nodes[0]?.status === 'fulfilled' ? nodes[0].value : null;
      const merchants = await first?.running.platform.store.db.selectFrom('merchants').select('merchant_serial_number').execute();
      assert.equal(merchants?.length, new Set(merchants?.map((m) => m.merchant_serial_number)).size);
    } finally {
      for (const n of nodes) if (n.status === 'fulfilled') await n.value.close();
      rmSync(dir, { recursive: true, force: true });
      await dropTestDatabase(dir);
    }
  });

  it('a change made on node B reaches the subscribers of node A, once, and B’s own subscribers once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vipps-psp-nodes-'));
    const stub = await PspStub.start();
    const a = await startTestPlatform({ dir });
    const b = await startTestPlatform({ dir });
    try {
      const heardOnA: PaymentChanged[] = [];
      const heardOnB: PaymentChanged[] = [];
      a.running.platform.events.subscribe((c) => heardOnA.push(c));
      b.running.platform.events.subscribe((c) => heardOnB.push(c));
      const api = await PspApi.connect(b.url);
      const body = initBody({ makePaymentUrl: stub.url, customerMobileNumber: DEMO.user });
      assert.equal((await api.init(body)).status, 200);
      const approved = await call<{ id: string; state: string }>(`${b.url}/_emulator/payments/${String(body.pspTransactionId)}/approve`, {
        method: 'POST',
        headers: { 'Psp-Id': DEMO.pspId, 'Content-Type': 'application/json' },
        body: '{}',
      });
      assert.equal(approved.status, 200, approved.text);
      const deadline = Date.now() + 10_000;
      while (!heardOnA.some((c) => c.state === 'RESERVED') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const states = (list: PaymentChanged[]) => list.map((c) => c.state);
      assert.ok(states(heardOnB).includes('RESERVED'), JSON.stringify(heardOnB));
      // A hears exactly what B emitted, in the same order, each once (B does not hear itself twice).
      assert.deepEqual(states(heardOnA), states(heardOnB));
      assert.ok(heardOnA.every((c) => c.userPhone === DEMO.user));
    } finally {
      await a.close();
      await b.close();
      await stub.close();
      rmSync(dir, { recursive: true, force: true });
      await dropTestDatabase(dir);
    }
  });
});
