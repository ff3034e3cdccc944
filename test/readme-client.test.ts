/**
 * The README's section on the client ("The PSP API client (`vipps-psp-emulator/client`)") stays
 * true: its example runs as written against the platform started in-process (only the package
 * name and the base URL are pointed at this checkout and that platform), prints what its comments
 * say, and leaves on the platform what it claims; the helpers it names are the client's exports.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it, mock } from 'node:test';
import { pathToFileURL } from 'node:url';
import { inspect } from 'node:util';
import * as client from '../src/client/index.js';
import { type Emulator, startEmulator } from '../src/emulator.js';
import { ARTIFACTS } from './helpers/browser.js';

const HEADING = '## The PSP API client (`vipps-psp-emulator/client`)';

function section(): string {
  const readme = readFileSync('README.md', 'utf8');
  const start = readme.indexOf(`\n${HEADING}\n`);
  assert.notEqual(start, -1, HEADING);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

describe('the README section on the client', () => {
  let emulator: Emulator;
  before(async () => {
    emulator = await startEmulator();
  });
  after(async () => {
    await emulator?.close();
  });

  it('runs its example against startEmulator(): init, details, updatestatus with a key, a typed error', async () => {
    const example = /```ts\n([\s\S]*?)```/.exec(section())?.[1];
    assert.ok(example, 'a ts code block');
    const source = example
      .replaceAll("'vipps-psp-emulator/client'", JSON.stringify(pathToFileURL(resolve('src/client/index.ts')).href))
      .replace("'http://127.0.0.1:7070'", JSON.stringify(emulator.url));
    assert.ok(source.includes(emulator.url) && !source.includes("'vipps-psp-emulator/client'"), 'the example was pointed here');
    mkdirSync(ARTIFACTS, { recursive: true });
    const file = join(ARTIFACTS, `readme-client-example-${process.pid}.ts`);
    writeFileSync(file, source);

    const log = mock.method(console, 'log', () => undefined);
    try {
      await import(pathToFileURL(file).href);
    } finally {
      log.mock.restore();
      rmSync(file, { force: true });
    }
    const printed = log.mock.calls.map((c) => c.arguments.map((a) => (typeof a === 'string' ? a : inspect(a))).join(' '));
    assert.equal(printed.length, 4, printed.join('\n'));
    assert.match(printed[0] ?? '', /\/vippsgateway\?v=2&token=/);
    // The comments in the example say what these print.
    assert.equal(printed[1], inspect({ capturedAmount: 0, remainingAmountToCapture: 0, refundedAmount: 0, remainingAmountToRefund: 0 }));
    assert.equal(printed[2], inspect({ responseCode: '9000', responseMessage: 'SUCCESS' }));
    assert.equal(printed[3], '400 44 PSP Transaction id already exists');

    const payment = await emulator.payment('psp-1001');
    assert.equal(payment.merchantOrderId, 'shop-1001');
    assert.equal(payment.amount, 49900);
    const batches = (await (
      await fetch(`${emulator.url}/_emulator/status-batches`, { headers: { 'psp-id': 'C948DFD1546347568874C4DDC93A2E3C' } })
    ).json()) as { batches: { idempotencyKey: string | null }[] };
    assert.deepEqual(
      batches.batches.map((b) => b.idempotencyKey),
      ['shop-1001-captured-1'],
    );
  });

  it('names only helpers the client exports', () => {
    const named = [...section().matchAll(/`(\w+)\(/g)].map((m) => m[1] ?? '');
    assert.ok(named.length >= 7, named.join(', '));
    for (const name of named) {
      if (name === 'PspClient') continue;
      assert.equal(typeof (client as Record<string, unknown>)[name], 'function', name);
    }
  });
});
