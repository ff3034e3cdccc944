/**
 * Which endpoints the platform under test has. Some are built in parallel with the bench; a
 * scenario whose endpoint answers 404 is reported "not available" (never a made-up figure).
 */
import { type Context, initBody } from './context.js';
import { call, type Reply } from './http.js';

export interface Availability {
  readonly init: string | null;
  readonly details: string | null;
  readonly updatestatus: string | null;
  readonly approve: string | null;
  readonly controlView: string | null;
  readonly statusBatches: string | null;
  readonly clock: string | null;
}

/** null = available; otherwise why not. */
function why(what: string, reply: Reply, expected = 200): string | null {
  if (reply.status === expected) return null;
  return `${what} answered ${reply.status}${reply.status === 404 ? ' (not built yet?)' : ''}: ${reply.text.slice(0, 160)}`;
}

export async function probePlatform(ctx: Context): Promise<Availability> {
  const p = ctx.server('platform');
  const tag = Date.now().toString(36);
  const idA = `probe${tag}a`;
  const idB = `probe${tag}b`;
  const post = (path: string, body: string, headers: Record<string, string>) => call(`${p.url}${path}`, { method: 'POST', headers, body });

  const initA = await post('/psp/v3/psppayments/init', initBody(idA, ctx.makePaymentUrl), ctx.pspHeaders('platform', true));
  const init = why('POST /psp/v3/psppayments/init', initA);
  const details = init
    ? 'needs init'
    : why(
        'GET /psp/v3/psppayments/{id}/details',
        await call(`${p.url}/psp/v3/psppayments/${idA}/details`, { headers: ctx.pspHeaders('platform', false) }),
      );

  const view = await call(`${p.url}/_emulator/payments/${idA}`, { headers: ctx.controlHeaders(false) });
  let controlView = why('GET /_emulator/payments/{id}', view);
  if (!controlView && typeof view.json<{ state?: unknown }>().state !== 'string')
    controlView = 'GET /_emulator/payments/{id} has no state field';

  let approve: string | null = init ? 'needs init' : null;
  if (!approve) {
    const initB = await post('/psp/v3/psppayments/init', initBody(idB, ctx.makePaymentUrl), ctx.pspHeaders('platform', true));
    approve = why('POST /psp/v3/psppayments/init', initB);
    if (!approve)
      approve = why(
        'POST /_emulator/payments/{id}/approve',
        await post(`/_emulator/payments/${idB}/approve`, ctx.approveBody(), ctx.controlHeaders(true)),
      );
    if (!approve && !controlView) {
      const state = (await call(`${p.url}/_emulator/payments/${idB}`, { headers: ctx.controlHeaders(false) })).json<{ state: string }>()
        .state;
      if (state !== 'RESERVED') approve = `an approved payment is ${state}, not RESERVED (is the PSP stub reachable?)`;
    }
  }

  const batch = JSON.stringify({ transactions: [{ pspTransactionId: idA, status: 'CANCELLED', amount: 49900, currency: 'NOK' }] });
  const updatestatus = why(
    'POST /psp/v3/psppayments/updatestatus',
    await post('/psp/v3/psppayments/updatestatus', batch, ctx.pspHeaders('platform', true)),
  );
  const statusBatches = why(
    'GET /_emulator/status-batches',
    await call(`${p.url}/_emulator/status-batches?limit=1&rejectedLimit=0`, { headers: ctx.controlHeaders(false) }),
  );
  const clock = why(
    'POST /_emulator/clock/advance',
    await post('/_emulator/clock/advance', '{"seconds":0}', { 'Content-Type': 'application/json' }),
  );
  return { init, details, updatestatus, approve, controlView, statusBatches, clock };
}
