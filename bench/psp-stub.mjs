#!/usr/bin/env node
// The PSP's makePaymentUrl for `npm run bench`: a local server that answers every makePayment
// with OK (psp-facts.md §2.5: HTTP 200 and paymentInfo.status "OK" reserve the payment). It runs
// on the load generator's core, not the platform's: it stands for the PSP, which is not measured.
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 0);
let calls = 0;

const server = createServer((request, response) => {
  const chunks = [];
  request.on('data', (c) => chunks.push(c));
  request.on('end', () => {
    if (request.method === 'GET' && request.url === '/calls') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ calls }));
      return;
    }
    calls += 1;
    let pspTransactionId = null;
    try {
      pspTransactionId = JSON.parse(Buffer.concat(chunks).toString('utf8')).pspTransactionId ?? null;
    } catch {}
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ paymentInfo: { pspTransactionId, status: 'OK' } }));
  });
});
server.keepAliveTimeout = 30_000;
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : port}\n`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
