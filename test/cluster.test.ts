/**
 * Three platform processes on one PostgreSQL (TEST_DATABASE_URL; skipped on SQLite): payments
 * through init, approve, cancel, 3-D Secure and expiry, each request to a random node, one node
 * SIGKILLed in the middle and started again. Shows: every payment one final outcome; no
 * cryptogram twice; at most one ACCEPTED makePayment per cryptogram and exactly the calls each
 * outcome needs; status batches applied once and in order; details identical from every node.
 * CLUSTER_TEST_PAYMENTS sets the count (default 1,000).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { accessToken, call, DEMO, dropTestDatabase, initBody, TEST_DATABASE_URL, testDatabaseUrl } from './helpers/platform.js';
import { ok, PspStub, softDecline } from './helpers/psp-stub.js';

const PAYMENTS = Number(process.env.CLUSTER_TEST_PAYMENTS ?? 1000);
const CONCURRENCY = 16;
const FINAL = new Set(['RESERVED', 'FAILED', 'USER_CANCELLED', 'EXPIRED']);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

class Node {
  child: ChildProcess | null = null;
  constructor(
    readonly port: number,
    readonly databaseUrl: string,
  ) {}
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  get alive(): boolean {
    return this.child !== null;
  }
  async start(): Promise<void> {
    this.child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts'], {
      env: { ...process.env, PORT: String(this.port), DATABASE_URL: this.databaseUrl, LOG_LEVEL: 'warn', SWEEP_INTERVAL_MS: '200' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    for (let i = 0; i < 600; i++) {
      const up = await fetch(`${this.url}/health`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (up) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`node on ${this.port} did not get ready`);
  }
  kill(): void {
    this.child?.kill('SIGKILL');
    this.child = null;
  }
  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    await new Promise((r) => {
      child.once('exit', r);
      child.kill('SIGTERM');
    });
  }
}

async function pool<T>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        await work(items[i] as T, i);
      }
    }),
  );
}

describe('three nodes on one PostgreSQL, one killed', {
  skip: TEST_DATABASE_URL ? false : 'PostgreSQL only (TEST_DATABASE_URL unset)',
}, () => {
  it(`${PAYMENTS} payments through approve, cancel, 3-D Secure and expiry on random nodes, a SIGKILL in the middle`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vipps-psp-cluster-test-'));
    const databaseUrl = await testDatabaseUrl(dir);
    const stub = await PspStub.start();
    const nodes = [
      new Node(await freePort(), databaseUrl),
      new Node(await freePort(), databaseUrl),
      new Node(await freePort(), databaseUrl),
    ];
    try {
      await Promise.all(nodes.map((n) => n.start()));
      const live = () => nodes.filter((n) => n.alive);
      const anyNode = () => {
        const l = live();
        return l[Math.floor(Math.random() * l.length)] as Node;
      };
      /** A request to a random live node; on a refused connection (a killed node) the next one, as a load balancer does. */
      const send = async (path: string, init: RequestInit = {}) => {
        for (let attempt = 0; ; attempt++) {
          try {
            return await call(`${anyNode().url}${path}`, init);
          } catch (error) {
            if (attempt > 20) throw error;
            await new Promise((r) => setTimeout(r, 50));
          }
        }
      };
      const token = await accessToken(nodes[0]?.url ?? '');
      const psp = {
        Authorization: `Bearer ${token}`,
        'Ocp-Apim-Subscription-Key': DEMO.subscriptionKey,
        'Psp-Id': DEMO.pspId,
        'Merchant-Serial-Number': DEMO.msn,
        'Content-Type': 'application/json',
      };
      const control = { 'Psp-Id': DEMO.pspId, 'Content-Type': 'application/json' };
      type Kind = 'approve' | 'cancel' | '3ds' | 'expire';
      const kinds: Kind[] = ['approve', 'cancel', '3ds', 'expire'];
      const payments = Array.from({ length: PAYMENTS }, (_, i) => {
        const body = initBody({ makePaymentUrl: stub.url, customerMobileNumber: DEMO.user, amount: 10_000 });
        return { id: String(body.pspTransactionId), body, kind: kinds[i % 4] as Kind };
      });
      for (const p of payments) if (p.kind === '3ds') stub.script(p.id, softDecline(p.id, 'http://127.0.0.1:9/3ds'), ok(p.id));

      await pool(payments, CONCURRENCY, async (p) => {
        const r = await send('/psp/v3/psppayments/init', { method: 'POST', headers: psp, body: JSON.stringify(p.body) });
        assert.equal(r.status, 200, r.text);
      });

      // The user actions, with node 2 killed at 40 % and started again at 70 %.
      const actions = payments.filter((p) => p.kind !== 'expire');
      let done = 0;
      let restarted: Promise<void> | null = null;
      await pool(actions, CONCURRENCY, async (p) => {
        done += 1;
        if (done === Math.floor(actions.length * 0.4)) nodes[1]?.kill();
        if (done === Math.floor(actions.length * 0.7)) restarted = nodes[1]?.start() ?? null;
        const what = p.kind === 'cancel' ? 'cancel' : 'approve';
        await send(`/_emulator/payments/${p.id}/${what}`, { method: 'POST', headers: control, body: '{}' });
        if (p.kind === '3ds') {
          const first = stub.requestsFor(p.id)[0];
          const ops = (first?.body.operations ?? []) as { url: string; operation: string }[];
          const success = ops.find((o) => o.operation === '3dssuccess')?.url;
          if (success) {
            const u = new URL(success);
            await send(`${u.pathname}${u.search}`);
          }
        }
      });
      await restarted;

      // Expiry: the platform's clock moves (on any node) past every due time and every lease.
      const advanced = await send('/_emulator/clock/advance', { method: 'POST', headers: control, body: JSON.stringify({ seconds: 700 }) });
      assert.equal(advanced.status, 200, advanced.text);
      const stateOf = async (id: string) => (await send(`/_emulator/payments/${id}`, { headers: control })).json as { state: string };
      const deadline = Date.now() + 180_000;
      let pending = payments;
      while (pending.length > 0 && Date.now() < deadline) {
        const states = await Promise.all(pending.map(async (p) => ({ p, s: (await stateOf(p.id)).state })));
        pending = states.filter((x) => !FINAL.has(x.s)).map((x) => x.p);
        if (pending.length > 0) await new Promise((r) => setTimeout(r, 500));
      }
      assert.deepEqual(
        pending.map((p) => p.id),
        [],
        'every payment reached a final state',
      );
      // Outbound calls still due (notifications) are sent by the sweeps; give them a moment.
      await new Promise((r) => setTimeout(r, 3000));

      const final = new Map<string, string>();
      for (const p of payments) final.set(p.id, (await stateOf(p.id)).state);
      const cryptograms: string[] = [];
      for (const p of payments) {
        const state = final.get(p.id) as string;
        const requests = stub.requestsFor(p.id);
        const accepted = requests.filter((r) => r.body.paymentState === 'ACCEPTED');
        for (const r of accepted) cryptograms.push((r.body.networkToken as { cryptogram: string }).cryptogram);
        if (p.kind === 'expire') {
          assert.equal(state, 'EXPIRED', p.id);
          assert.ok(requests.length >= 1 && requests.every((r) => r.body.paymentState === 'TIMEOUT'), `${p.id}: TIMEOUT sent`);
        } else if (p.kind === 'cancel') {
          assert.ok(['USER_CANCELLED', 'EXPIRED'].includes(state), `${p.id}: ${state}`);
          assert.ok(requests.length >= 1 && requests.length <= 2, `${p.id}: one notification (resent once if cut off)`);
        } else {
          // An ACCEPTED call cut off by the kill fails the payment: never a second call with that cryptogram.
          assert.ok(['RESERVED', 'FAILED', 'EXPIRED'].includes(state), `${p.id}: ${state}`);
          const maxAccepted = p.kind === '3ds' ? 2 : 1;
          assert.ok(accepted.length <= maxAccepted, `${p.id}: ${accepted.length} ACCEPTED calls`);
          if (state === 'RESERVED') assert.equal(accepted.length, maxAccepted, `${p.id}: RESERVED after ${accepted.length} calls`);
        }
      }
      assert.equal(new Set(cryptograms).size, cryptograms.length, 'no cryptogram twice');
      const reserved = payments.filter((p) => final.get(p.id) === 'RESERVED');
      assert.ok(reserved.length > PAYMENTS / 4, `${reserved.length} reserved`);

      // Status batches, each to a random node, in this order: capture 3,000, capture 2,000,
      // refund 1,000 (a refund applied before its captures would be rejected: the order shows).
      for (const [status, amount] of [
        ['CAPTURED', 3000],
        ['CAPTURED', 2000],
        ['REFUNDED', 1000],
      ] as const) {
        const transactions = reserved.map((p) => ({ pspTransactionId: p.id, status, amount }));
        const r = await send('/psp/v3/psppayments/updatestatus', { method: 'POST', headers: psp, body: JSON.stringify({ transactions }) });
        assert.equal(r.status, 200, r.text);
      }
      await send('/_emulator/clock/advance', { method: 'POST', headers: control, body: JSON.stringify({ seconds: 0 }) });
      const sample = reserved.filter((_, i) => i % Math.max(1, Math.floor(reserved.length / 100)) === 0);
      const summaryDeadline = Date.now() + 120_000;
      for (const p of sample) {
        let views: unknown[] = [];
        for (;;) {
          views = await Promise.all(
            live().map(async (n) => (await call(`${n.url}/psp/v3/psppayments/${p.id}/details`, { headers: psp })).json),
          );
          const s = (views[0] as { transactionSummary: { capturedAmount: number; refundedAmount: number } }).transactionSummary;
          if ((s.capturedAmount === 5000 && s.refundedAmount === 1000) || Date.now() > summaryDeadline) break;
          await new Promise((r) => setTimeout(r, 200));
        }
        const summary = (views[0] as { transactionSummary: Record<string, number> }).transactionSummary;
        assert.equal(summary.capturedAmount, 5000, `${p.id}: captured once each`);
        assert.equal(summary.refundedAmount, 1000, `${p.id}: refunded after the captures`);
        for (const v of views.slice(1)) assert.deepEqual(v, views[0], `${p.id}: details identical from every node`);
      }
    } finally {
      await Promise.all(nodes.map((n) => n.stop()));
      await stub.close();
      rmSync(dir, { recursive: true, force: true });
      await dropTestDatabase(dir);
    }
  });
});
