#!/usr/bin/env node
// The load generator of `npm run bench`: autocannon driven programmatically, in its own process
// pinned to another core than the server (bench/run.ts starts it with `taskset -c 1`).
//
// Input: a JSON job (path in argv[2]). Output: one JSON line on stdout with the figures.
// Request kinds:
//   fixed      the same request every time (access token, baseline, updatestatus)
//   init       POST init with a unique pspTransactionId/merchantOrderId per request
//              (setupRequest); the ids answered 200 are written to job.idsOut when given
//   details    GET details, round-robin over the ids in job.idsIn
//   approve    POST the control API's approve, once per id in job.idsIn (preparation)
//   approval   the whole approval as one flow: init → approve → GET the payment's state
//   states     GET the control API's view of each id in job.idsIn once; tallies the states
import { readFileSync, writeFileSync } from 'node:fs';
import autocannon from 'autocannon';

const job = JSON.parse(readFileSync(process.argv[2], 'utf8'));

// Unique per worker run: the time in base 36 plus the process id, then a counter.
const runTag = `${Date.now().toString(36)}${process.pid.toString(36)}`;
let counter = 0;
function nextId(prefix) {
  counter += 1;
  return `${prefix}${runTag}${counter.toString(36)}`;
}

function initBody(id) {
  return JSON.stringify({
    pspTransactionId: id,
    merchantOrderId: `order-${id}`,
    amount: job.amountOre ?? 49900,
    currency: 'NOK',
    pspRedirectUrl: job.pspRedirectUrl ?? 'http://localhost:3000/result',
    makePaymentUrl: job.makePaymentUrl ?? 'http://127.0.0.1:3000/makepayment',
    makePaymentToken: 'bench-make-payment-token',
    paymentText: 'Benchmark payment',
  });
}

const idsOk = [];
const tally = { flows: 0, stateMismatches: 0, states: {} };
const flowMs = [];

function tallyState(status, body) {
  let state = `HTTP ${status}`;
  if (status === 200) {
    try {
      state = JSON.parse(body).state ?? 'no state field';
    } catch {
      state = 'not JSON';
    }
  }
  tally.states[state] = (tally.states[state] ?? 0) + 1;
  return state;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function idsIn() {
  const ids = readFileSync(job.idsIn, 'utf8').split('\n').filter(Boolean);
  if (ids.length === 0) throw new Error(`no ids in ${job.idsIn}`);
  return ids;
}

function requestsFor(kind) {
  const headers = job.headers ?? {};
  switch (kind) {
    case 'fixed':
      return [{ method: job.method ?? 'GET', path: job.path, headers, ...(job.body === undefined ? {} : { body: job.body }) }];
    case 'init':
      return [
        {
          method: 'POST',
          path: job.path,
          headers,
          setupRequest(req, context) {
            const id = nextId(job.idPrefix ?? 'b');
            context.id = id;
            return { ...req, body: initBody(id) };
          },
          onResponse(status, _body, context) {
            if (status === 200 && job.idsOut) idsOk.push(context.id);
          },
        },
      ];
    case 'details': {
      const ids = idsIn();
      let i = 0;
      return [
        {
          method: 'GET',
          headers,
          setupRequest(req) {
            const id = ids[i % ids.length];
            i += 1;
            return { ...req, path: job.path.replace('{id}', encodeURIComponent(id)) };
          },
        },
      ];
    }
    case 'approve': {
      const ids = idsIn();
      let i = 0;
      return [
        {
          method: 'POST',
          headers,
          ...(job.body === undefined ? {} : { body: job.body }),
          setupRequest(req, context) {
            const id = ids[i % ids.length];
            i += 1;
            context.id = id;
            return { ...req, path: job.path.replace('{id}', encodeURIComponent(id)) };
          },
          onResponse(status, _body, context) {
            if (status === 200 && job.idsOut) idsOk.push(context.id);
          },
        },
      ];
    }
    case 'approval':
      return [
        {
          method: 'POST',
          path: job.initPath,
          headers: job.headers,
          setupRequest(req, context) {
            const id = nextId(job.idPrefix ?? 'a');
            context.id = id;
            context.started = performance.now();
            return { ...req, body: initBody(id) };
          },
        },
        {
          method: 'POST',
          headers: job.controlHeaders,
          ...(job.approveBody === undefined ? {} : { body: job.approveBody }),
          setupRequest(req, context) {
            return { ...req, path: job.approvePath.replace('{id}', encodeURIComponent(context.id)) };
          },
        },
        {
          method: 'GET',
          headers: job.stateHeaders,
          setupRequest(req, context) {
            return { ...req, path: job.statePath.replace('{id}', encodeURIComponent(context.id)) };
          },
          onResponse(status, body, context) {
            tally.flows += 1;
            flowMs.push(performance.now() - context.started);
            if (tallyState(status, body) !== 'RESERVED') tally.stateMismatches += 1;
          },
        },
      ];
    case 'states': {
      const ids = idsIn();
      let i = 0;
      return [
        {
          method: 'GET',
          headers,
          setupRequest(req) {
            const id = ids[i % ids.length];
            i += 1;
            return { ...req, path: job.path.replace('{id}', encodeURIComponent(id)) };
          },
          onResponse(status, body) {
            tallyState(status, body);
          },
        },
      ];
    }
    default:
      throw new Error(`unknown kind ${kind}`);
  }
}

const options = {
  url: job.url,
  connections: job.connections,
  pipelining: 1,
  timeout: job.timeoutSeconds ?? 30,
  requests: requestsFor(job.kind),
};
if (job.amount !== undefined) options.amount = job.amount;
else options.duration = job.durationSeconds;

const cpuBefore = process.cpuUsage();
const result = await autocannon(options);
const cpuUsed = process.cpuUsage(cpuBefore);
if (job.idsOut) writeFileSync(job.idsOut, idsOk.length > 0 ? `${idsOk.join('\n')}\n` : '');

function approvalFigures() {
  const sorted = flowMs.slice().sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length);
  return {
    flows: tally.flows,
    flowsPerSecond: tally.flows / result.duration,
    flowLatencyMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: percentile(sorted, 100), mean },
    stateMismatches: tally.stateMismatches,
    states: tally.states,
  };
}

const statusCodes = {};
for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = Number(count);
const out = {
  requests: result.requests.total,
  durationSeconds: result.duration,
  requestsPerSecond: result.requests.total / result.duration,
  latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max, mean: result.latency.average },
  errors: result.errors,
  timeouts: result.timeouts,
  non2xx: result.non2xx,
  statusCodes,
  // The load generator's own CPU: near 100 % means it, not the server, set the pace.
  generatorCpuPercent: ((cpuUsed.user + cpuUsed.system) / (result.duration * 1e6)) * 100,
  ...(job.kind === 'approval' ? approvalFigures() : {}),
  ...(job.kind === 'states' ? { states: tally.states } : {}),
  ...(job.idsOut ? { idsWritten: idsOk.length } : {}),
};
process.stdout.write(`${JSON.stringify(out)}\n`);
