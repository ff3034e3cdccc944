#!/usr/bin/env node
// The baseline of `npm run bench`: a bare node:http server that reads the request body and
// answers a small JSON body. It does no work at all, so it measures what one Node process (and
// the load generator) can do on this machine; the platform's figures are read as a ratio to it.
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 0);
const body = Buffer.from(JSON.stringify({ status: 'OK', service: 'baseline' }));

const server = createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    response.end(body);
  });
});
server.keepAliveTimeout = 30_000;
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : port}\n`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
