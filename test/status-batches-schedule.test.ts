import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lastNightlyRunAt, osloNightAt } from '../src/jobs/status-batch-job.js';
import { statusItemsOfPayment } from '../src/services/status-batch-report.js';
import { call, initBody, PspApi, type Reply, startTestPlatform, type TestPlatform } from './helpers/platform.js';
import { reserveForTest } from './helpers/reserve.js';

const PATH = '/psp/v3/psppayments/updatestatus';

interface BatchView {
  id: number;
  state: string;
  appliedAt: string | null;
  counts: { items: number; applied: number; unchanged: number; rejected: number; pending: number };
}
interface BatchList {
  schedule: string;
  lastNightlyRun: { night: string; ranAt: string } | null;
  batches: BatchView[];
}

async function platformWith(schedule: string, extra: Record<string, string> = {}) {
  // A slow sweep: only the clock control (and the immediate trigger) runs the job in these tests.
  const p = await startTestPlatform({ env: { STATUS_BATCH_SCHEDULE: schedule, SWEEP_INTERVAL_MS: '60000', ...extra } });
  return connect(p);
}

async function connect(p: TestPlatform) {
  let api = await PspApi.connect(p.url);
  const advance = async (seconds: number) => {
    const r = await call(`${p.url}/_emulator/clock/advance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ seconds }),
    });
    assert.equal(r.status, 200, r.text);
    api = await PspApi.connect(p.url); // the access token lives an hour
  };
  const reserved = async (amount: number) => {
    const body = initBody({ amount });
    assert.equal((await api.init(body)).status, 200);
    const payment = await reserveForTest(p, api.creds.pspId, String(body.pspTransactionId));
    return { id: String(body.pspTransactionId), paymentId: payment.id };
  };
  const capture = async (id: string, amount: number) => {
    const r = await api.post(PATH, { transactions: [{ pspTransactionId: id, status: 'CAPTURED', amount }] });
    assert.equal(r.status, 200, r.text);
  };
  const captured = async (id: string) => (await api.details(id)).json.transactionSummary.capturedAmount;
  const list = async () => {
    const r = await call<BatchList>(`${p.url}/_emulator/status-batches`, { headers: { 'Psp-Id': api.creds.pspId } });
    assert.equal(r.status, 200, r.text);
    return r.json;
  };
  const run = () =>
    call<{ schedule: string; applied: BatchView[] }>(`${p.url}/_emulator/status-batches/run`, {
      method: 'POST',
      headers: { 'Psp-Id': api.creds.pspId },
    });
  return { p, advance, reserved, capture, captured, list, run };
}

/** Seconds from the platform's now until `minutes` after the next 02:00 Oslo. */
function secondsToNextNight(p: TestPlatform, minutes: number): number {
  const now = p.clock.now();
  const next = lastNightlyRunAt(now) + 86_400_000;
  // On a DST day the next night is 23 or 25 hours after the last one; lastNightlyRunAt knows.
  const exact = lastNightlyRunAt(next + 3 * 3_600_000);
  return Math.ceil((exact - now) / 1000) + minutes * 60;
}

describe('the status batch schedule', () => {
  it('immediate: applied right after the answer, with no sweep', async () => {
    const t = await platformWith('immediate');
    try {
      const { id } = await t.reserved(10000);
      await t.capture(id, 4000);
      const deadline = Date.now() + 3000;
      while ((await t.captured(id)) !== 4000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(await t.captured(id), 4000);
    } finally {
      await t.p.close();
    }
  });

  it('manual: pending until POST /_emulator/status-batches/run, which answers with what it applied', async () => {
    const t = await platformWith('manual');
    try {
      const { id, paymentId } = await t.reserved(10000);
      await t.capture(id, 4000);
      await t.capture('no-such-payment', 100);
      await t.advance(3 * 86_400);
      assert.equal(await t.captured(id), 0);
      const listed = await t.list();
      assert.equal(listed.schedule, 'manual');
      assert.deepEqual(
        listed.batches.map((b) => [b.state, b.counts.pending]),
        [
          ['PENDING', 1],
          ['PENDING', 1],
        ],
      );
      assert.deepEqual(
        (await statusItemsOfPayment(t.p.running.platform, paymentId)).map((i) => i.outcome),
        ['PENDING'],
      );

      const r = await t.run();
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(
        r.json.applied.map((b) => [b.state, b.counts]),
        [
          ['APPLIED', { items: 1, applied: 1, unchanged: 0, rejected: 0, pending: 0 }],
          ['APPLIED', { items: 1, applied: 0, unchanged: 0, rejected: 1, pending: 0 }],
        ],
      );
      assert.equal(await t.captured(id), 4000);
      const again = await t.run();
      assert.deepEqual(again.json.applied, []);
    } finally {
      await t.p.close();
    }
  });

  it('never: stored and never applied; the manual run is refused', async () => {
    const t = await platformWith('never');
    try {
      const { id } = await t.reserved(10000);
      await t.capture(id, 4000);
      await t.advance(3 * 86_400);
      assert.equal(await t.captured(id), 0);
      const r: Reply = await t.run();
      assert.equal(r.status, 409);
      assert.deepEqual(
        (r.json as { errorCode: string }[]).map((e) => e.errorCode),
        ['StatusBatchesNeverApplied'],
      );
      const [batch] = (await t.list()).batches;
      assert.deepEqual([batch?.state, batch?.counts.pending], ['PENDING', 1]);
    } finally {
      await t.p.close();
    }
  });

  it('nightly: applied at 02:00 Oslo; a batch received after 02:00 waits for the next night', async () => {
    const t = await platformWith('nightly');
    try {
      // Start just after a night, so "before 02:00" is a whole day away.
      await t.advance(secondsToNextNight(t.p, 5));
      const { id } = await t.reserved(10000);
      await t.capture(id, 4000);
      await t.advance(secondsToNextNight(t.p, -10)); // 01:50
      assert.equal(await t.captured(id), 0);
      await t.advance(15 * 60); // 02:05
      assert.equal(await t.captured(id), 4000);
      const { batches, lastNightlyRun } = await t.list();
      assert.equal(batches[0]?.state, 'APPLIED');
      assert.equal(lastNightlyRun?.night, new Date(lastNightlyRunAt(t.p.clock.now())).toISOString());
      // Oslo time of the run: 02:xx.
      const ranAt = new Date(lastNightlyRun?.ranAt ?? '');
      assert.equal(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Oslo', hour: '2-digit', hourCycle: 'h23' }).format(ranAt), '02');

      await t.capture(id, 1000);
      await t.advance(12 * 3600);
      assert.equal(await t.captured(id), 4000);
      await t.advance(secondsToNextNight(t.p, 1));
      assert.equal(await t.captured(id), 5000);
    } finally {
      await t.p.close();
    }
  });

  it('nightly across restarts: a night that passed while down is caught up once, and not run again', async () => {
    const first = await platformWith('nightly');
    let p = first.p;
    try {
      await first.advance(secondsToNextNight(p, 5));
      const { id } = await first.reserved(10000);
      await first.capture(id, 4000);
      // Down over the night: the clock passes 02:00 while no platform runs.
      await p.running.close();
      p.clock.advance(secondsToNextNight(p, 60) * 1000); // 03:00
      p = await p.restart();
      let t = await connect(p);
      await t.advance(0); // the first tick after the restart
      assert.equal(await t.captured(id), 4000, 'the missed night is caught up');
      const caughtUp = (await t.list()).lastNightlyRun;
      assert.ok(caughtUp);

      // A batch after 02:00, then another restart the same morning: the night is not run again.
      await t.capture(id, 1000);
      await p.running.close();
      p.clock.advance(3600 * 1000);
      p = await p.restart();
      t = await connect(p);
      await t.advance(0);
      assert.deepEqual((await t.list()).lastNightlyRun, caughtUp);
      assert.equal(await t.captured(id), 4000);
      await t.advance(secondsToNextNight(p, 1));
      assert.equal(await t.captured(id), 5000);
    } finally {
      await p.close();
    }
  });
});

describe('the nightly run time', () => {
  const oslo = (ms: number) =>
    new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Oslo', dateStyle: 'short', timeStyle: 'short' }).format(new Date(ms));

  it('is 02:00 Oslo time, in winter and in summer', () => {
    assert.equal(new Date(osloNightAt('2026-01-15')).toISOString(), '2026-01-15T01:00:00.000Z');
    assert.equal(new Date(osloNightAt('2026-07-15')).toISOString(), '2026-07-15T00:00:00.000Z');
    assert.equal(oslo(osloNightAt('2026-07-15')), '2026-07-15 02:00');
  });

  it('exists on the DST days: 03:00 CEST when 02:00 is skipped, the first 02:00 when it repeats', () => {
    assert.equal(new Date(osloNightAt('2026-03-29')).toISOString(), '2026-03-29T01:00:00.000Z');
    assert.equal(oslo(osloNightAt('2026-03-29')), '2026-03-29 03:00');
    assert.equal(new Date(osloNightAt('2026-10-25')).toISOString(), '2026-10-25T00:00:00.000Z');
    assert.equal(oslo(osloNightAt('2026-10-25')), '2026-10-25 02:00');
  });

  it('is the last 02:00 at or before now', () => {
    const at = (s: string) => Date.parse(s);
    assert.equal(new Date(lastNightlyRunAt(at('2026-01-15T00:59:59.999Z'))).toISOString(), '2026-01-14T01:00:00.000Z');
    assert.equal(new Date(lastNightlyRunAt(at('2026-01-15T01:00:00.000Z'))).toISOString(), '2026-01-15T01:00:00.000Z');
    assert.equal(new Date(lastNightlyRunAt(at('2026-03-01T00:30:00.000Z'))).toISOString(), '2026-02-28T01:00:00.000Z');
    assert.equal(new Date(lastNightlyRunAt(at('2026-10-25T00:30:00.000Z'))).toISOString(), '2026-10-25T00:00:00.000Z');
    assert.equal(new Date(lastNightlyRunAt(at('2026-03-29T00:59:00.000Z'))).toISOString(), '2026-03-28T01:00:00.000Z');
  });
});
