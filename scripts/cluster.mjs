#!/usr/bin/env node
// `npm run cluster [-- --nodes N] [--port P]`: a local cluster to point a PSP at. A private
// PostgreSQL (as CI makes it: scripts/local-postgres.mjs, durable settings), N platform nodes
// (default 2) on consecutive ports from P+1 (default 7071…), and a small round-robin HTTP proxy on
// P (default 7070) in front of them, as a team's load balancer would be. Each node is
// `node dist/src/cli.js` with DATABASE_URL on that PostgreSQL and PUBLIC_URL the proxy, so links
// the platform hands out (landing page, app) go through the proxy too. Ctrl-C stops all of it and
// removes the database.
//
// The proxy is for trying things out, not for production: it skips a node that refuses the
// connection (a killed node) and tries the next one; server-sent event streams pass through.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureBuilt } from './ensure-installed.mjs';
import { freePort, startLocalPostgres, stopLocalPostgres } from './local-postgres.mjs';

const { values } = parseArgs({
  options: { nodes: { type: 'string', default: '2' }, port: { type: 'string', default: '7070' } },
});
const nodeCount = Number(values.nodes);
const proxyPort = Number(values.port);
if (!Number.isInteger(nodeCount) || nodeCount < 1 || nodeCount > 16) throw new Error('--nodes: 1 to 16');

ensureBuilt();
const pgdir = mkdtempSync(join(tmpdir(), 'vipps-psp-cluster-'));
let databaseUrl;
const children = [];
let stopping = false;

function stopAll(code) {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  const done = () => {
    try {
      stopLocalPostgres(pgdir);
    } catch (error) {
      console.error(`[cluster] ${error.message}`);
    }
    rmSync(pgdir, { recursive: true, force: true });
    process.exit(code);
  };
  Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.once('exit', r))))).then(done);
  setTimeout(done, 10_000).unref();
}
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

try {
  databaseUrl = startLocalPostgres(pgdir, freePort());
} catch (error) {
  console.error(`[cluster] ${error.message}`);
  rmSync(pgdir, { recursive: true, force: true });
  process.exit(1);
}

const publicUrl = `http://localhost:${proxyPort}`;
const nodes = Array.from({ length: nodeCount }, (_, i) => ({ name: `node-${i + 1}`, port: proxyPort + 1 + i }));
for (const node of nodes) {
  const child = spawn(process.execPath, ['dist/src/cli.js'], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, PORT: String(node.port), DATABASE_URL: databaseUrl, PUBLIC_URL: publicUrl, NODE_NAME: node.name },
  });
  child.on('exit', (code, signal) => {
    if (!stopping) console.error(`[cluster] ${node.name} exited (${signal ?? code}); the others go on`);
  });
  children.push(child);
}

let next = 0;
const proxy = http.createServer((req, res) => {
  const tryNode = (left) => {
    const node = nodes[next++ % nodes.length];
    const upstream = http.request(
      {
        host: '127.0.0.1',
        port: node.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, 'x-forwarded-host': req.headers.host ?? '' },
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', (error) => {
      if (!res.headersSent && left > 1 && error.code === 'ECONNREFUSED') return tryNode(left - 1);
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`bad gateway: ${node.name} ${error.code ?? error.message}\n`);
    });
    req.pipe(upstream);
  };
  tryNode(nodes.length);
});
proxy.listen(proxyPort, '127.0.0.1', async () => {
  // Wait until every node says ready.
  for (const node of nodes) {
    for (let i = 0; i < 300; i++) {
      const ok = await fetch(`http://127.0.0.1:${node.port}/health`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  console.log(
    [
      '',
      `vipps-psp-emulator cluster: ${nodeCount} node(s) on one PostgreSQL`,
      `  Point your PSP at:  ${publicUrl}   (round-robin over the nodes)`,
      ...nodes.map((n) => `  ${n.name}:            http://127.0.0.1:${n.port}   (GET /health)`),
      `  PostgreSQL:         ${databaseUrl}`,
      '  Ctrl-C stops the nodes and the database.',
      '',
    ].join('\n'),
  );
});
