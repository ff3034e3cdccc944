/**
 * Two platform processes on one SQLite file (WAL), one PSP stub — or, with TEST_DATABASE_URL, on
 * one PostgreSQL schema (the same test: the coordination is the same rows on both dialects): every decision that must agree
 * between them is in the database (docs/ARCHITECTURE.md "Where coordination lives").
 *
 *  - 300 payments driven through approve, FAIL, 3-D Secure, cancel and expiry from both processes
 *    at once (each request to a random process): every payment exactly one outcome, every outcome
 *    exactly one makePayment or notification call, no cryptogram twice, every status batch applied
 *    once and in order.
 *  - A process SIGKILLed while its makePayment calls are in flight: the other finishes its work
 *    after the lease, with no second ACCEPTED call.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually } from './helpers/eventually.js';
import { accessToken, call, DEMO, dropTestDatabase, initBody, type Reply, testDatabaseUrl } from './helpers/platform.js';
import { failWith, gate, ok, PspStub, type StubRequest, softDecline } from './helpers/psp-stub.js';

interface Node {
  readonly url: string;
  readonly nodeId: string;
  readonly child: ChildProcess;
  output(): string;
}

const CALLBACK_TIMEOUT_MS = 3000;
const LEASE_MARGIN_MS = 2000;

async function startNode(databaseUrl: string, env: Record<string, string> = {}): Promise<Node> {
  const child = spawn(process.execPath, ['--import', 'tsx', join('test', 'fixtures', 'platform-node.ts')], {
    env: {
      ...process.env,
      PORT: '0',
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'warn',
      CLOCK_REFRESH_MS: '50',
      SWEEP_INTERVAL_MS: '250',
      CALLBACK_TIMEOUT_MS: String(CALLBACK_TIMEOUT_MS),
      CALLBACK_LEASE_MARGIN_MS: String(LEASE_MARGIN_MS),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const ready = new Promise<{ url: string; nodeId: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node not ready in 60 s:\n${out}`)), 60_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('{"ready"'));
      if (line) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { ready: { url: string; nodeId: string } }).ready);
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('exit', (code) => reject(new Error(`node exited (${code}) before it was ready:\n${out}`)));
  });
  const { url, nodeId } = await ready;
  return { url, nodeId, child, output: () => out };
}

function stop(node: Node): Promise<void> {
  if (node.child.exitCode !== null || node.child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    node.child.once('exit', () => resolve());
    node.child.kill('SIGTERM');
  });
}

/** A small deterministic generator (mulberry32), so a failing run can be repeated. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

const control = (node: Node, path: string, init: RequestInit = {}): Promise<Reply<Record<string, unknown>>> =>
  call(`${node.url}/_emulator${path}`, {
    ...init,
    headers: { 'Psp-Id': DEMO.pspId, 'Content-Type': 'application/json', ...(init.headers as Record<string, string>) },
  });

function pspHeaders(token: string): Record<string, string> {
  return {
    Authorization: `Bearer ${token}`,
    'Ocp-Apim-Subscription-Key': DEMO.subscriptionKey,
    'Psp-Id': DEMO.pspId,
    'Merchant-Serial-Number': DEMO.msn,
    'Content-Type': 'application/json',
  };
}

type Path = 'ok' | 'fail' | '3ds' | 'cancel' | 'expire';
const PATHS: readonly Path[] = ['ok', 'fail', '3ds', 'cancel', 'expire'];

describe('two platform processes on one SQLite file (or one PostgreSQL)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vipps-psp-2proc-'));
  let stub: PspStub;
  let a: Node;
  let b: Node;

  before(async () => {
    stub = await PspStub.start();
    const databaseUrl = await testDatabaseUrl(dir);
    // The first start creates the database (migrations, seed); the second joins it.
    a = await startNode(databaseUrl);
    b = await startNode(databaseUrl);
  });

  after(async () => {
    await Promise.all([a, b].filter(Boolean).map(stop));
    await stub?.close();
    rmSync(dir, { recursive: true, force: true });
    await dropTestDatabase(dir);
  });

  it('300 payments from both processes at once: one outcome each, one call per outcome, no cryptogram twice, batches once and in order', async () => {
    assert.notEqual(a.nodeId, b.nodeId);
    const rnd = random(20261203);
    const nodes = [a, b];
    const pick = () => nodes[Math.floor(rnd() * 2)] as Node;
    const tokens = new Map([
      [a, await accessToken(a.url)],
      [b, await accessToken(b.url)],
    ]);
    const payments = Array.from({ length: 300 }, (_, i) => {
      const body = initBody({ makePaymentUrl: stub.url, amount: 20000 });
      return { id: String(body.pspTransactionId), body, path: PATHS[i % PATHS.length] as Path };
    });
    for (const p of payments) {
      if (p.path === 'fail') stub.script(p.id, failWith(p.id, 82, 'Refused by Issuer'));
      if (p.path === '3ds') stub.script(p.id, softDecline(p.id, 'https://acs.example/3ds'), ok(p.id));
    }

    // init on either process; then the user's action on either process.
    await pool(payments, 16, async (p) => {
      const node = pick();
      const r = await call(`${node.url}/psp/v3/psppayments/init`, {
        method: 'POST',
        headers: pspHeaders(tokens.get(node) as string),
        body: JSON.stringify(p.body),
      });
      assert.equal(r.status, 200, r.text);
    });
    await pool(payments, 16, async (p) => {
      switch (p.path) {
        case 'ok':
        case 'fail':
        case '3ds': {
          const r = await control(pick(), `/payments/${p.id}/approve`, {
            method: 'POST',
            body: JSON.stringify({ phoneNumber: DEMO.user }),
          });
          assert.equal(r.status, 200, r.text);
          if (p.path === '3ds') {
            assert.equal(r.json.state, 'AWAITING_3DS');
            const [first] = stub.requestsFor(p.id);
            const operations = first?.body.operations as { url: string; operation: string }[];
            const success = new URL(operations.find((o) => o.operation === '3dssuccess')?.url ?? '');
            // The user's browser returns to whichever process the load balancer picks.
            const back = await call(`${pick().url}${success.pathname}${success.search}`, { redirect: 'manual' });
            assert.ok(back.status < 500, back.text);
          }
          return;
        }
        case 'cancel': {
          const r = await control(pick(), `/payments/${p.id}/cancel`, { method: 'POST', body: '{}' });
          assert.equal(r.status, 200, r.text);
          return;
        }
        case 'expire':
          return;
      }
    });

    // Expiry: the clock moved on one process; both sweep at once once they see it.
    assert.equal((await control(a, '/clock/advance', { method: 'POST', body: JSON.stringify({ seconds: 601 }) })).status, 200);
    await Promise.all(nodes.map((n) => control(n, '/clock/advance', { method: 'POST', body: JSON.stringify({ seconds: 0 }) })));
    const clocks = await Promise.all(nodes.map(async (n) => (await control(n, '/clock')).json.offsetSeconds as number));
    assert.ok(
      clocks.every((s) => s >= 601),
      `both processes follow the stored clock: ${clocks}`,
    );

    const expected: Record<Path, string> = {
      ok: 'RESERVED',
      fail: 'FAILED',
      '3ds': 'RESERVED',
      cancel: 'USER_CANCELLED',
      expire: 'EXPIRED',
    };
    const views = new Map<string, Record<string, unknown>>();
    await eventually(
      async () => {
        for (const p of payments) {
          const view = (await control(pick(), `/payments/${p.id}`)).json;
          views.set(p.id, view);
        }
        return payments.filter((p) => {
          const v = views.get(p.id) as { state: string; callbacks: { status: string }[] };
          return v.state !== expected[p.path] || v.callbacks.some((c) => c.status !== 'DONE');
        }).length;
      },
      (left) => left === 0,
      'every payment at its outcome with its calls done',
    );

    // One call per outcome, as the PSP saw them; no cryptogram twice.
    const callsOf: Record<Path, string[]> = {
      ok: ['ACCEPTED'],
      fail: ['ACCEPTED'],
      '3ds': ['ACCEPTED', 'ACCEPTED'],
      cancel: ['USER_CANCEL'],
      expire: ['TIMEOUT'],
    };
    const cryptograms: string[] = [];
    for (const p of payments) {
      const seen: StubRequest[] = stub.requestsFor(p.id);
      assert.deepEqual(
        seen.map((r) => r.body.paymentState),
        callsOf[p.path],
        `${p.path} payment ${p.id}`,
      );
      for (const r of seen) {
        const token = r.body.networkToken as { cryptogram?: string } | undefined;
        if (token?.cryptogram) cryptograms.push(token.cryptogram);
      }
      const view = views.get(p.id) as { callbacks: { paymentState: string; outcome: string }[] };
      assert.deepEqual(
        view.callbacks.map((c) => c.paymentState),
        callsOf[p.path],
        `recorded attempts of ${p.id}`,
      );
    }
    assert.equal(new Set(cryptograms).size, cryptograms.length, 'a cryptogram was sent twice');
    const count = (path: Path) => payments.filter((p) => p.path === path).length;
    assert.equal(cryptograms.length, count('ok') + count('fail') + 2 * count('3ds'));

    // Status batches for the reserved payments: capture 150, refund 100, capture 50, refund 90 —
    // each to a random process; applied out of order, some items would be rejected.
    const reserved = payments.filter((p) => p.path === 'ok' || p.path === '3ds');
    const steps = [
      ['CAPTURED', 15000],
      ['REFUNDED', 10000],
      ['CAPTURED', 5000],
      ['REFUNDED', 9000], // another body than the second batch's (the same body again would be a duplicate)
    ] as const;
    for (const [status, amount] of steps) {
      const node = pick();
      const r = await call(`${node.url}/psp/v3/psppayments/updatestatus`, {
        method: 'POST',
        headers: pspHeaders(tokens.get(node) as string),
        body: JSON.stringify({
          transactions: reserved.map((p) => ({ pspTransactionId: p.id, status, amount: String(amount), currency: 'NOK' })),
        }),
      });
      assert.equal(r.status, 200, r.text);
    }
    const batches = await eventually(
      async () =>
        (await control(pick(), '/status-batches')).json.batches as {
          id: number;
          state: string;
          counts: { applied: number; rejected: number };
        }[],
      (list) => list.length === steps.length && list.every((x) => x.state !== 'PENDING'),
      'every batch applied',
    );
    for (const batch of batches) {
      assert.equal(batch.state, 'APPLIED', JSON.stringify(batch));
      assert.deepEqual(batch.counts.applied, reserved.length, JSON.stringify(batch));
      assert.equal(batch.counts.rejected, 0, JSON.stringify(batch));
    }
    for (const p of reserved) {
      const view = (await control(pick(), `/payments/${p.id}`)).json as { money: { captured: number; refunded: number } };
      assert.equal(view.money.captured, 20000);
      assert.equal(view.money.refunded, 19000);
    }
  });
});

describe('a process killed while its makePayment calls are in flight', () => {
  it('leaves them to the other process after the lease: the payments fail, the USER_CANCEL is resent, no second ACCEPTED call', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vipps-psp-kill-'));
    const databaseUrl = await testDatabaseUrl(dir);
    const stub = await PspStub.start();
    const held = gate();
    // The PSP holds every answer until the test opens the gate (after the kill).
    stub.fallback = (body) => ({ ...ok(String(body.pspTransactionId)), gate: held.promise });
    const a = await startNode(databaseUrl, { CALLBACK_TIMEOUT_MS: '60000' });
    const b = await startNode(databaseUrl, { CALLBACK_TIMEOUT_MS: '60000' });
    try {
      const token = await accessToken(a.url);
      const approved = Array.from({ length: 5 }, () => initBody({ makePaymentUrl: stub.url }));
      const cancelled = Array.from({ length: 3 }, () => initBody({ makePaymentUrl: stub.url }));
      for (const body of [...approved, ...cancelled]) {
        const r = await call(`${a.url}/psp/v3/psppayments/init`, {
          method: 'POST',
          headers: pspHeaders(token),
          body: JSON.stringify(body),
        });
        assert.equal(r.status, 200, r.text);
      }
      const calls: Promise<unknown>[] = [];
      for (const body of approved)
        calls.push(
          control(a, `/payments/${body.pspTransactionId}/approve`, {
            method: 'POST',
            body: JSON.stringify({ phoneNumber: DEMO.user }),
          }).catch(() => null),
        );
      for (const body of cancelled)
        calls.push(control(a, `/payments/${body.pspTransactionId}/cancel`, { method: 'POST', body: '{}' }).catch(() => null));
      await eventually(
        async () => stub.requests.length,
        (n) => n === approved.length + cancelled.length,
        'every call reached the PSP',
      );
      a.child.kill('SIGKILL');
      await new Promise((resolve) => a.child.once('exit', resolve));
      await Promise.all(calls);

      // Before the lease runs out, the other process leaves the calls alone.
      await control(b, '/clock/advance', { method: 'POST', body: JSON.stringify({ seconds: 0 }) });
      const idOf = (body: Record<string, unknown>) => String(body.pspTransactionId);
      for (const body of approved) assert.equal((await control(b, `/payments/${idOf(body)}`)).json.state, 'CONFIRMING');
      assert.equal(stub.requests.length, approved.length + cancelled.length);

      // After it, the other process applies the cut-off rule.
      held.open();
      await control(b, '/clock/advance', { method: 'POST', body: JSON.stringify({ seconds: (60_000 + LEASE_MARGIN_MS) / 1000 + 1 }) });
      await eventually(
        async () => stub.requests.filter((r) => r.body.paymentState === 'USER_CANCEL').length,
        (n) => n === 2 * cancelled.length,
        'the cut-off USER_CANCELs resent once',
      );
      for (const body of approved) {
        const view = (await control(b, `/payments/${idOf(body)}`)).json as {
          state: string;
          callbacks: { paymentState: string; outcome: string }[];
        };
        assert.equal(view.state, 'FAILED');
        assert.deepEqual(
          view.callbacks.map((c) => [c.paymentState, c.outcome]),
          [['ACCEPTED', 'ABANDONED']],
        );
        assert.equal(stub.requestsFor(idOf(body)).length, 1, 'a second ACCEPTED call');
      }
      for (const body of cancelled) {
        const view = await eventually(
          async () =>
            (await control(b, `/payments/${idOf(body)}`)).json as { state: string; callbacks: { paymentState: string; outcome: string }[] },
          (v) => v.callbacks.length === 2 && v.callbacks[1]?.outcome === 'OK',
          'the resend recorded',
        );
        assert.equal(view.state, 'USER_CANCELLED');
        assert.deepEqual(
          view.callbacks.map((c) => [c.paymentState, c.outcome]),
          [
            ['USER_CANCEL', 'ABANDONED'],
            ['USER_CANCEL', 'OK'],
          ],
        );
      }
    } catch (error) {
      throw new Error(`${String(error)}\n--- the surviving process said:\n${b.output()}`, { cause: error });
    } finally {
      held.open();
      await Promise.all([a, b].map(stop));
      await stub.close();
      rmSync(dir, { recursive: true, force: true });
      await dropTestDatabase(dir);
    }
  });
});
