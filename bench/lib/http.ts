/**
 * A small HTTP client for the harness's own calls (tokens, probes, batches, polling): node:http
 * with keep-alive and an explicit deadline, so a long call (the clock advance that expires
 * 100,000 payments) is not cut off by a library default.
 */
import { Agent, request } from 'node:http';

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

export interface Reply {
  readonly status: number;
  readonly text: string;
  readonly ms: number;
  json<T = unknown>(): T;
}

export interface CallOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** Deadline in ms; 0 = none. Default 30 s. */
  readonly timeoutMs?: number;
}

export function call(url: string, options: CallOptions = {}): Promise<Reply> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...options.headers };
    if (options.body !== undefined) headers['content-length'] = Buffer.byteLength(options.body);
    const req = request(url, { method: options.method ?? 'GET', headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          text,
          ms: performance.now() - started,
          json: <T>() => JSON.parse(text) as T,
        });
      });
      res.on('error', reject);
    });
    const timeoutMs = options.timeoutMs ?? 30_000;
    if (timeoutMs > 0)
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`${options.method ?? 'GET'} ${url}: no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Waits until the URL answers anything over HTTP. */
export async function waitForHttp(url: string, timeoutMs: number, isAlive: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isAlive()) throw new Error(`${url}: the process exited before it answered`);
    try {
      await call(url, { timeoutMs: 2000 });
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`${url}: no answer within ${timeoutMs} ms`);
      await sleep(100);
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
