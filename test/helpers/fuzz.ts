/**
 * The hostile-input fuzzer (issue 16), shared by the test (test/fuzz.test.ts, a bounded run in
 * the suite) and the long run (`npm run fuzz -- --count 100000`, scripts/fuzz.ts).
 *
 * It takes its routes from the app's own route table (`app.routeTable`, filled by an onRoute
 * hook, src/http/route-table.ts), so a new route is fuzzed without anyone listing it. For each
 * route it generates seeded, deterministic requests: valid PSP credentials most of the time (so
 * the request gets past authentication), path and query parameters that are repeated, missing,
 * empty, over-long, badly percent-encoded or not UTF-8, hostile headers, bodies built from the
 * route's JSON schema and then broken (deep nesting, wrong types, unknown fields, invalid JSON,
 * forms, garbage), and requests that are not well-formed HTTP. Each goes over real HTTP on
 * loopback (a raw socket, so malformed bytes reach the server as sent) and the answer must:
 *  - arrive within the deadline (the headers; an event stream is answered once its headers are in),
 *  - not be a 5xx,
 *  - be in the route's error format when it is a 4xx (`config.errorFormat`: `psp`, `problem`, `page`).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { type Config, parseConfig } from '../../src/config.js';
import { ERRORS } from '../../src/domain/errors.js';
import { buildHttpApp } from '../../src/http/app.js';
import { type ErrorFormat, formatOf, type RouteEntry } from '../../src/http/route-table.js';
import { buildPlatform } from '../../src/platform.js';
import { DEMO, seedWithOtherPsp } from './platform.js';

// --- Seeded randomness -------------------------------------------------------------------------

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }
}

// --- What the fuzzer knows about the running platform -------------------------------------------

/** Valid values to start from (so requests reach past authentication and lookups). */
export interface FuzzContext {
  readonly base: string;
  accessToken: string;
  readonly subscriptionKey: string;
  readonly pspId: string;
  readonly msn: string;
  /** A sales unit the fuzzer created (PATCHing it harms nobody else). */
  readonly ownMsn: string;
  readonly pspTransactionId: string;
  readonly landingToken: string;
  readonly paymentId: string;
  readonly sessionCookie: string;
  readonly userPhone: string;
  /** Fetches a fresh access token (a fuzzed clock advance can expire the old one). */
  refreshToken(): Promise<void>;
}

/** A route as the fuzzer sees it: from the app's route table. */
export interface FuzzRoute {
  readonly method: string;
  readonly url: string;
  readonly format: ErrorFormat;
  readonly options: RouteOptions;
}

export function fuzzRoutes(entries: readonly RouteEntry[]): FuzzRoute[] {
  return entries.map((e) => ({ method: e.method, url: e.url, format: formatOf(e.options), options: e.options }));
}

// --- Requests -----------------------------------------------------------------------------------

export interface FuzzRequest {
  readonly route: FuzzRoute;
  /** What kind of hostility, for the report. */
  readonly kind: string;
  /** The bytes sent, as latin1 (each char one byte). */
  readonly bytes: Buffer;
  readonly method: string;
  readonly target: string;
}

interface Schema {
  type?: string | readonly string[];
  properties?: Record<string, Schema>;
  required?: readonly string[];
  items?: Schema;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  enum?: readonly unknown[];
}

const HOSTILE_STRINGS = [
  '',
  ' ',
  'null',
  '0',
  '-1',
  '1e309',
  '__proto__',
  'constructor',
  '../../etc/passwd',
  '%00',
  '\u0000',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '😀💥',
  '\uD800',
  'ÆØÅ',
  'a'.repeat(37),
  'x'.repeat(300),
  'y'.repeat(5000),
];

/** Valid-looking values by property or parameter name (the names the spec uses). */
function knownValue(name: string, ctx: FuzzContext, rng: Rng): unknown {
  const id = `fz${rng.int(1e9).toString(36)}`;
  switch (name) {
    case 'amount':
      return rng.pick([49900, 100, 3100, '49900']);
    case 'currency':
      return 'NOK';
    case 'pspTransactionId':
      return rng.chance(0.5) ? ctx.pspTransactionId : id;
    case 'merchantOrderId':
      return id;
    case 'pspRedirectUrl':
      return 'http://localhost:3000/result';
    case 'makePaymentUrl':
      // Nothing listens on port 9 of loopback: a makePayment call fails at once.
      return 'http://127.0.0.1:9/makepayment';
    case 'makePaymentToken':
      return 'fuzz-make-payment-token';
    case 'paymentText':
      return 'Fuzz';
    case 'customerMobileNumber':
    case 'customerPhoneNumber':
    case 'phoneNumber':
      return ctx.userPhone;
    case 'token':
      return ctx.landingToken;
    case 'merchantSerialNumber':
      return ctx.ownMsn;
    case 'id':
      return ctx.paymentId;
    case 'seconds':
      return rng.pick([0, 1, 60]);
    case 'organizationNumber':
      return '918130047';
    case 'mccCode':
      return '5411';
    case 'logo':
      return LOGO;
    case 'name':
    case 'companyName':
    case 'addressLine1':
    case 'city':
      return 'Fuzz';
    case 'country':
      return 'NO';
    case 'postCode':
      return '0154';
    case 'email':
    case 'companyEmail':
      return 'post@shop.example';
    case 'website':
      return 'https://www.vipps.no';
    case 'cardId':
      return 'kari-visa';
    case 'transactionId':
      return '00000000-0000-4000-8000-000000000000';
    case 'responsecode':
      return rng.pick(['OK', 'FAIL']);
    default:
      return undefined;
  }
}

/** A value that fits `schema` (roughly), preferring the known value for `name`. */
function valueFor(schema: Schema, name: string, ctx: FuzzContext, rng: Rng, depth: number, strict: boolean): unknown {
  const known = knownValue(name, ctx, rng);
  if (known !== undefined && (strict || rng.chance(0.9))) return known;
  if (schema.enum && schema.enum.length > 0) return rng.pick(schema.enum);
  const types = typeof schema.type === 'string' ? [schema.type] : (schema.type ?? ['string']);
  const type = rng.pick(types);
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      if (depth > 4) return out;
      for (const [key, sub] of Object.entries(schema.properties ?? {})) {
        if (schema.required?.includes(key) || rng.chance(0.5)) out[key] = valueFor(sub, key, ctx, rng, depth + 1, strict);
      }
      return out;
    }
    case 'array':
      return depth > 4 ? [] : [valueFor(schema.items ?? {}, name, ctx, rng, depth + 1, strict)];
    case 'integer':
    case 'number':
      return rng.pick([0, 1, 100, 49900, schema.minimum ?? 1, schema.maximum ?? 1000]);
    case 'boolean':
      return rng.chance(0.5);
    case 'null':
      return null;
    default:
      return rng.pick(['fuzz', 'A1', '12345678']);
  }
}

/** A hostile replacement for one value. */
function hostileValue(rng: Rng, maxDepth: number): unknown {
  switch (rng.int(9)) {
    case 0:
      return null;
    case 1:
      return rng.pick([true, false]);
    case 2:
      return rng.pick([-1, 0, 1.5, 2 ** 31, 2 ** 53 + 1, -0, 1e308]);
    case 3:
      return [];
    case 4:
      return {};
    case 5:
      return nested(rng.pick([maxDepth - 2, maxDepth + 1, 300]), rng.chance(0.5));
    case 6:
      return { __proto__: { polluted: true }, constructor: { prototype: { polluted: true } } };
    default:
      return rng.pick(HOSTILE_STRINGS);
  }
}

/** Percent-encodes the UTF-8 bytes of a string (a lone surrogate becomes U+FFFD, never an exception). */
function enc(value: string): string {
  return Array.from(Buffer.from(value, 'utf8'), (b) =>
    /[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
  ).join('');
}

function nested(depth: number, arrays: boolean): unknown {
  let value: unknown = 1;
  for (let i = 0; i < Math.max(0, depth); i++) value = arrays ? [value] : { a: value };
  return value;
}

/** A JSON body for the route: from its schema, then broken in one of many ways. */
function jsonBody(
  route: FuzzRoute,
  ctx: FuzzContext,
  rng: Rng,
  maxDepth: number,
  forced?: 'valid' | 'deep',
): { text: string; kind: string } {
  const schema = (route.options.schema?.body ?? { type: 'object' }) as Schema;
  const valid = valueFor(schema, '', ctx, rng, 0, forced !== undefined);
  const mode = forced === 'valid' ? 0 : forced === 'deep' ? 7 : rng.int(12);
  if (mode <= 2) return { text: JSON.stringify(valid), kind: 'json-valid' };
  if (mode <= 5 && valid && typeof valid === 'object' && !Array.isArray(valid)) {
    const obj = valid as Record<string, unknown>;
    const keys = [...Object.keys(schema.properties ?? {}), 'unknownField', '__proto__'];
    const key = rng.pick(keys);
    if (rng.chance(0.2)) delete obj[key];
    else obj[key] = hostileValue(rng, maxDepth);
    // JSON.stringify drops a __proto__ set by assignment; write it as text.
    const text = JSON.stringify(obj);
    return { text: key === '__proto__' ? text.replace(/^\{/, '{"__proto__":{"polluted":true},') : text, kind: `json-field:${key}` };
  }
  switch (mode) {
    case 6:
      return { text: '['.repeat(maxDepth + 1 + rng.int(5000)), kind: 'json-deep-unclosed' };
    case 7: {
      // Deep nesting, alone or as an extra field of an otherwise valid body (so it gets past
      // validation to whatever walks the body next).
      // Thousands of levels overflow the stack of a recursive walk; both forms stay under the
      // 64 KiB body limit (10,000 arrays take 20 KB, 5,000 objects 30 KB).
      const arrays = rng.chance(0.5);
      const depth = forced === 'deep' ? (arrays ? 10_000 : 5000) : rng.pick([maxDepth - 1, maxDepth, maxDepth + 1, 5000]);
      const deep = arrays ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
      const text = JSON.stringify(valid);
      return {
        text:
          (forced === 'deep' || rng.chance(0.7)) && text.startsWith('{')
            ? `{"deep":${deep}${text === '{}' ? '' : ','}${text.slice(1)}`
            : deep,
        kind: `json-deep:${depth}`,
      };
    }
    case 8:
      return {
        text: rng.pick(['{', '{"a":}', '{"a":1,}', "{'a':1}", 'NaN', '"\\uZZZZ"', '{"a":1}{"b":2}', '\u0000']),
        kind: 'json-invalid',
      };
    case 9:
      return { text: JSON.stringify(rng.pick([null, 1, 'text', [], [valid], true])), kind: 'json-not-object' };
    case 10:
      // Duplicate keys: the last one wins in JSON.parse.
      return { text: JSON.stringify(valid).replace(/^\{/, '{"amount":"x","amount":1,'), kind: 'json-duplicate-keys' };
    default:
      return { text: JSON.stringify(valid).replace(/"([^"]*)"/, '"$1\\ud800"'), kind: 'json-lone-surrogate' };
  }
}

const FORM_FIELDS = ['token', 'phoneNumber', 'pin', 'next', 'csrf', 'link', 'cardId', 'remember'];

function formBody(ctx: FuzzContext, rng: Rng): string {
  const params: string[] = [];
  for (const name of FORM_FIELDS) {
    if (!rng.chance(0.5)) continue;
    const value = rng.chance(0.6) ? String(knownValue(name, ctx, rng) ?? '1236') : rng.pick(HOSTILE_STRINGS);
    params.push(`${name}=${enc(value)}`);
    if (rng.chance(0.2)) params.push(`${name}=${enc(rng.pick(HOSTILE_STRINGS))}`);
  }
  if (rng.chance(0.1)) params.push('%FF%FE=%C0%AF', 'a%=b', '&&&=');
  return params.join('&');
}

/** A path parameter: valid, or one of the hostile forms. */
function pathValue(name: string, ctx: FuzzContext, rng: Rng, focus: Focus): { value: string; kind: string } {
  const mode = focus === 'path' ? 4 + rng.int(6) : focus === 'any' ? rng.int(10) : 0;
  if (mode <= 3) return { value: enc(String(knownValue(name, ctx, rng) ?? 'x')), kind: 'valid' };
  switch (mode) {
    case 4:
      return { value: rng.pick(['%FF', '%', '%E0%A4%A', '%C0%AF', '%zz', '%00']), kind: 'bad-percent' };
    case 5:
      return { value: 'z'.repeat(rng.pick([99, 100, 101, 300, 3000])), kind: 'long' };
    case 6:
      return { value: rng.pick(['%20', '..', '.', '%2F', 'a%2Fb', ';a=b']), kind: 'odd' };
    case 7:
      return { value: rng.pick(['\xff\xfe', '\xe6\xf8\xe5', '\x80']), kind: 'non-utf8' };
    case 8:
      return { value: enc(rng.pick(HOSTILE_STRINGS)) || 'x', kind: 'hostile' };
    default:
      return { value: enc(`${name}-${rng.int(1000)}`), kind: 'unknown' };
  }
}

function queryNames(route: FuzzRoute): string[] {
  const schema = route.options.schema?.querystring as Schema | undefined;
  return Object.keys(schema?.properties ?? {});
}

function queryString(route: FuzzRoute, ctx: FuzzContext, rng: Rng, focus: Focus): { query: string; kind: string } {
  const declared = queryNames(route);
  if (focus !== 'any' && focus !== 'query') {
    // Only the route's own parameters, with valid values.
    const valid = declared.filter(() => rng.chance(0.5)).map((name) => `${name}=${enc(String(knownValue(name, ctx, rng) ?? '1'))}`);
    return { query: valid.length ? `?${valid.join('&')}` : '', kind: '' };
  }
  const names = [...declared, 'token', 'next', 'payment', 'format', 'limit', rng.pick(['x', '__proto__', 'a[b]', 'a.b'])];
  const parts: string[] = [];
  const kinds: string[] = [];
  // With the query in focus, one of the route's own parameters (or a common one) comes twice.
  const twice = focus === 'query' ? rng.pick(declared.length ? declared : names) : null;
  for (const name of names) {
    if (name !== twice && !rng.chance(0.4)) continue;
    const mode = rng.int(8);
    const valid = String(knownValue(name, ctx, rng) ?? '1');
    const value =
      mode <= 2
        ? enc(valid)
        : mode === 3
          ? ''
          : mode === 4
            ? 'q'.repeat(rng.pick([100, 4097, 12_000]))
            : mode === 5
              ? rng.pick(['%FF', '%', '%E0%A4%A', '\xff', '%00'])
              : enc(rng.pick(HOSTILE_STRINGS));
    parts.push(`${name}=${value}`);
    kinds.push(['valid', 'valid', 'valid', 'empty', 'long', 'bad-encoding', 'hostile', 'hostile'][mode] ?? '');
    // A repeated parameter: the case of the issue.
    if (name === twice || rng.chance(0.3)) {
      parts.push(`${name}=${enc(valid)}`);
      kinds.push('repeated');
    }
    if (rng.chance(0.05)) {
      parts.push(name);
      kinds.push('no-value');
    }
  }
  return { query: parts.length ? `?${parts.join('&')}` : rng.chance(0.1) ? '?' : '', kind: kinds.join(',') };
}

type Header = readonly [string, string];

function headersFor(route: FuzzRoute, ctx: FuzzContext, rng: Rng, focus: Focus): { headers: Header[]; kind: string } {
  const headers: Header[] = [];
  const kinds: string[] = [];
  const hostile = focus === 'any' || focus === 'headers';
  const credentials = !hostile || rng.chance(0.8);
  if (credentials) {
    headers.push(
      ['Authorization', `Bearer ${ctx.accessToken}`],
      ['Ocp-Apim-Subscription-Key', ctx.subscriptionKey],
      ['Psp-Id', ctx.pspId],
      ['Merchant-Serial-Number', ctx.msn],
      ['Cookie', ctx.sessionCookie],
    );
  } else {
    kinds.push('bad-credentials');
    const mode = rng.int(4);
    if (mode === 1) headers.push(['Authorization', 'Bearer x'], ['Ocp-Apim-Subscription-Key', ctx.subscriptionKey]);
    if (mode === 2) headers.push(['Authorization', `bearer ${ctx.accessToken}`], ['Ocp-Apim-Subscription-Key', 'nope']);
    if (mode === 3) headers.push(['Ocp-Apim-Subscription-Key', ctx.subscriptionKey], ['Ocp-Apim-Subscription-Key', 'second']);
  }
  if (!hostile || rng.chance(0.5))
    headers.push(['Idempotency-Key', !hostile || rng.chance(0.8) ? `fz-${rng.int(1e6)}` : rng.pick(HOSTILE_STRINGS)]);
  if (focus === 'headers' || (hostile && rng.chance(0.15))) {
    const name = rng.pick(['Psp-Id', 'Merchant-Serial-Number', 'Idempotency-Key', 'Authorization', 'Cookie', 'User-Agent', 'Origin']);
    headers.push([name, rng.pick(['', ' ', 'x'.repeat(rng.pick([100, 8000])), '\xff\xfe', 'null', 'Mobile iPhone', 'null'])]);
    kinds.push(`header:${name}`);
  }
  if (hostile && rng.chance(0.05)) {
    headers.push(['Sec-Fetch-Site', rng.pick(['cross-site', 'same-origin', 'none', ''])]);
    kinds.push('fetch-site');
  }
  if (route.method === 'GET' && rng.chance(0.05)) {
    headers.push(['Accept', 'text/event-stream']);
  }
  return { headers, kind: kinds.join(',') };
}

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json;charset=UTF-8',
  'APPLICATION/JSON',
  'application/x-www-form-urlencoded',
  'text/plain',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/json; charset=latin1',
  'application/json; charset',
  ';;;',
  '',
  '\xff',
];

function requestLine(method: string, target: string, headers: readonly Header[], body: Buffer | null, extra = ''): Buffer {
  const lines = [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
  for (const [name, value] of headers) lines.push(`${name}: ${value}`);
  if (body) lines.push(`Content-Length: ${body.length}`);
  const head = Buffer.from(`${lines.join('\r\n')}\r\n${extra}\r\n`, 'latin1');
  return body ? Buffer.concat([head, body]) : head;
}

/** Requests that are not well-formed HTTP (the parser refuses them before Fastify sees them). */
function framingCase(method: string, target: string, headers: readonly Header[], rng: Rng): { bytes: Buffer; kind: string } {
  const head = (extra: string) => requestLine(method, target, headers, null, extra);
  switch (rng.int(9)) {
    case 0:
      return { bytes: head('Content-Length: abc\r\n'), kind: 'framing:content-length-nan' };
    case 1:
      return { bytes: head('Content-Length: 5\r\nContent-Length: 6\r\n'), kind: 'framing:content-length-twice' };
    case 2:
      return {
        bytes: Buffer.concat([head('Content-Length: 2\r\nTransfer-Encoding: chunked\r\n'), Buffer.from('{}')]),
        kind: 'framing:cl-and-te',
      };
    case 3:
      return { bytes: head('Bad Header: x\r\n'), kind: 'framing:header-token' };
    case 4:
      return { bytes: head(`X-Big: ${'b'.repeat(20_000)}\r\n`), kind: 'framing:431' };
    case 5:
      return {
        bytes: requestLine(method, `${target}${target.includes('?') ? '&' : '?'}q=${'u'.repeat(20_000)}`, headers, null),
        kind: 'framing:414',
      };
    case 6:
      // A chunk size that is not hex (a chunked body that never comes would only be a slow client).
      return {
        bytes: Buffer.concat([head('Transfer-Encoding: chunked\r\n'), Buffer.from('zz\r\n{}\r\n0\r\n\r\n')]),
        kind: 'framing:bad-chunk',
      };
    case 7:
      return { bytes: Buffer.from(`${method} ${target} HTTP/1.1\nHost: x\n\n`, 'latin1'), kind: 'framing:bare-lf' };
    default:
      return { bytes: head('Content-Length: -1\r\n'), kind: 'framing:content-length-negative' };
  }
}

/** One request for the route (deterministic for a given rng state). */
/**
 * What a request is hostile in. Requests take the foci in turn, per route, so that even a short
 * run sends every route each kind of hostility at least once, with everything else valid (a
 * deep body with valid credentials, path and fields gets past authentication and validation to
 * whatever walks the body next). `any` mixes everything at random.
 */
export const FOCI = ['any', 'valid', 'query', 'deep', 'path', 'body', 'headers', 'framing', 'any'] as const;
export type Focus = (typeof FOCI)[number];

/** One request for the route (deterministic for a given rng state). */
export function generateRequest(route: FuzzRoute, ctx: FuzzContext, rng: Rng, maxDepth: number, focus: Focus = 'any'): FuzzRequest {
  const kinds: string[] = [focus];
  // Path: each parameter valid or hostile.
  const path = route.url.replace(/:(\w+)|\*/g, (_m, name: string | undefined) => {
    const { value, kind } = pathValue(name ?? 'wildcard', ctx, rng, focus);
    if (kind !== 'valid') kinds.push(`path:${kind}`);
    return value;
  });
  const query = queryString(route, ctx, rng, focus);
  if (query.kind) kinds.push(`query:${query.kind}`);
  const target = `${path}${query.query}`;
  const { headers, kind: headerKind } = headersFor(route, ctx, rng, focus);
  if (headerKind) kinds.push(headerKind);
  const method = route.method;
  if (focus === 'framing' || (focus === 'any' && rng.chance(0.1))) {
    const framing = framingCase(method, target, headers, rng);
    return { route, kind: [framing.kind, ...kinds].join(' '), bytes: framing.bytes, method, target };
  }
  let body: Buffer | null = null;
  const bodyFocus = focus === 'any' || focus === 'body';
  const withBody = method !== 'GET' && method !== 'HEAD' ? !bodyFocus || rng.chance(0.9) : bodyFocus && rng.chance(0.1);
  if (withBody) {
    const contentType = !bodyFocus || rng.chance(0.75) ? 'application/json' : rng.pick(CONTENT_TYPES);
    headers.push(['Content-Type', contentType]);
    if (contentType.includes('form')) {
      body = Buffer.from(formBody(ctx, rng), 'latin1');
      kinds.push('body:form');
    } else if (contentType.toLowerCase().includes('json') && (!bodyFocus || rng.chance(0.9))) {
      const json = jsonBody(route, ctx, rng, maxDepth, focus === 'deep' ? 'deep' : bodyFocus ? undefined : 'valid');
      body = Buffer.from(json.text, 'utf8');
      kinds.push(`body:${json.kind}`);
    } else {
      body = rng.chance(0.5)
        ? Buffer.from(formBody(ctx, rng), 'latin1')
        : Buffer.from(Array.from({ length: rng.int(200) }, () => rng.int(256)));
      kinds.push(`body:${contentType || 'none'}`);
    }
    if (bodyFocus && rng.chance(0.03)) {
      body = Buffer.alloc(rng.pick([70 * 1024, 5 * 1024 * 1024]), 0x20);
      kinds.push('body:too-large');
    }
  }
  return { route, kind: kinds.join(' ') || 'plain', bytes: requestLine(method, target, headers, body), method, target };
}

// --- Sending and judging ------------------------------------------------------------------------

export interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly ms: number;
}

/**
 * Sends the bytes on a fresh loopback connection and reads one response: up to its headers for
 * a HEAD, a 1xx/204/304 or an event stream, else the whole body (Content-Length, chunked, or
 * until the server closes). Null when nothing complete arrived before the deadline.
 */
export function sendRaw(base: string, bytes: Buffer, method: string, deadlineMs: number): Promise<Answer | { error: string }> {
  const url = new URL(base);
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    let buffer = Buffer.alloc(0);
    let settled = false;
    const finish = (result: Answer | { error: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ error: `no complete answer within ${deadlineMs} ms` }), deadlineMs);
    const tryParse = (ended: boolean) => {
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) {
        if (ended) finish({ error: buffer.length ? 'malformed response' : 'connection closed without an answer' });
        return;
      }
      const head = buffer.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '')?.[1]);
      const headers: Record<string, string> = {};
      for (const line of head.slice(1)) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const rest = buffer.subarray(end + 4);
      const ms = performance.now() - started;
      const done = (body: Buffer) => finish({ status, headers, body: body.toString('utf8'), ms });
      if (method === 'HEAD' || status < 200 || status === 204 || status === 304) return done(Buffer.alloc(0));
      if (status < 300 && (headers['content-type'] ?? '').startsWith('text/event-stream')) return done(Buffer.alloc(0));
      const length = headers['content-length'];
      if (length !== undefined) {
        if (rest.length >= Number(length)) return done(rest.subarray(0, Number(length)));
      } else if ((headers['transfer-encoding'] ?? '').includes('chunked')) {
        const body = dechunk(rest);
        if (body) return done(body);
      } else if (ended) return done(rest);
      if (ended) finish({ error: 'connection closed before the whole body' });
    };
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      tryParse(false);
    });
    socket.on('end', () => tryParse(true));
    socket.on('close', () => tryParse(true));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // The server may answer and close before it has read all we sent (a 413, a framing error).
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') tryParse(true);
      else finish({ error: `socket: ${error.code ?? error.message}` });
    });
    socket.write(bytes);
  });
}

function dechunk(data: Buffer): Buffer | null {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) return null;
    const size = Number.parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (Number.isNaN(size)) return null;
    if (size === 0) return Buffer.concat(parts);
    if (data.length < lineEnd + 2 + size + 2) return null;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

const ENTRIES = Object.values(ERRORS);

/** Whether `message` is the catalogue message of `entry` (placeholders filled, a ": detail" appended or not). */
function isMessageOf(entry: { errorMessage: string }, message: unknown): boolean {
  if (typeof message !== 'string') return false;
  const parts = entry.errorMessage.split(/\{\w+\}/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('[\\s\\S]*')}(: [\\s\\S]*)?$`).test(message);
}

/** The shapes every API shares: the gateway's and the authentication layer's (catalogue `apim`, `detail`, `aad`). */
function isSharedShape(status: number, body: unknown): boolean {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return false;
  const b = body as Record<string, unknown>;
  return ENTRIES.some((e) => {
    if (e.httpStatus !== status) return false;
    if (e.shape === 'apim') return b.statusCode === status && isMessageOf(e, b.message);
    if (e.shape === 'detail') return b.errorCode === e.errorCode && isMessageOf(e, b.errorMessage) && typeof b.contextId === 'string';
    if (e.shape === 'aad') return b.error === e.aad?.error && Array.isArray(b.error_codes) && b.error_codes[0] === e.aad?.code;
    return false;
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Why a 4xx answer is not in the route's format, or null when it is. */
export function formatProblem(format: ErrorFormat, answer: Answer, method: string): string | null {
  const type = (answer.headers['content-type'] ?? '').toLowerCase();
  const { status } = answer;
  if (format === 'page') {
    if (!type.startsWith('text/html')) {
      // An unknown path (a parameter that no longer matches) is the gateway's 404 on every API.
      if (isSharedShape(status, parseJson(answer.body))) return null;
      return `page route answered ${status} with ${type || 'no content type'}, not its HTML error page`;
    }
    if (method !== 'HEAD' && !/<html/i.test(answer.body)) return `page route answered ${status} without an HTML page`;
    return null;
  }
  if (method === 'HEAD') return type.includes('json') ? null : `HEAD answered ${status} with ${type || 'no content type'}`;
  const body = parseJson(answer.body);
  if (isSharedShape(status, body)) return null;
  if (format === 'problem') {
    if (!type.startsWith('application/problem+json')) return `Merchant API answered ${status} as ${type || 'nothing'}, not problem+json`;
    const b = (body ?? {}) as Record<string, unknown>;
    const code = typeof b.type === 'string' ? b.type.slice(b.type.lastIndexOf('#') + 1) : '';
    const ok =
      b.status === status &&
      typeof b.title === 'string' &&
      typeof b.instance === 'string' &&
      typeof b.contextId === 'string' &&
      ENTRIES.some((e) => e.shape === 'psp' && e.httpStatus === status && e.errorCode === code && isMessageOf(e, b.detail));
    return ok ? null : `Merchant API problem not from the catalogue: ${answer.body.slice(0, 200)}`;
  }
  if (!type.includes('json')) return `answered ${status} as ${type || 'nothing'}, not JSON`;
  const item = Array.isArray(body) && body.length === 1 ? (body[0] as Record<string, unknown>) : null;
  const ok =
    item !== null &&
    typeof item.contextId === 'string' &&
    ENTRIES.some(
      (e) => e.shape === 'psp' && e.httpStatus === status && e.errorCode === item.errorCode && isMessageOf(e, item.errorMessage),
    );
  return ok ? null : `PSP API error not an ErrorDetails array from the catalogue: ${answer.body.slice(0, 200)}`;
}

export interface FuzzFailure {
  readonly route: string;
  readonly kind: string;
  readonly request: string;
  readonly problem: string;
}

export interface FuzzReport {
  readonly requests: number;
  readonly routes: number;
  readonly byStatus: Readonly<Record<string, number>>;
  readonly failures: readonly FuzzFailure[];
  readonly slowestMs: number;
}

export interface FuzzOptions {
  readonly seed: number;
  /** Requests in all, spread evenly over the routes. */
  readonly count: number;
  readonly deadlineMs: number;
  readonly concurrency: number;
  readonly jsonMaxDepth: number;
  /** Fetch a fresh access token every this many requests. */
  readonly refreshEvery?: number;
  readonly onProgress?: (done: number) => void;
}

/** Runs `count` requests over `routes` and judges every answer. */
export async function fuzz(routes: readonly FuzzRoute[], ctx: FuzzContext, options: FuzzOptions): Promise<FuzzReport> {
  if (routes.length === 0) throw new Error('no routes to fuzz');
  const rng = new Rng(options.seed);
  const failures: FuzzFailure[] = [];
  const byStatus: Record<string, number> = {};
  let slowestMs = 0;
  let next = 0;
  const refreshEvery = options.refreshEvery ?? 50;
  // Requests are generated in one fixed order (deterministic), then sent by a few workers.
  const take = (): FuzzRequest | null => {
    if (next >= options.count) return null;
    const route = routes[next % routes.length];
    const focus = FOCI[Math.floor(next / routes.length) % FOCI.length] ?? 'any';
    next++;
    if (!route) return null;
    return generateRequest(route, ctx, rng, options.jsonMaxDepth, focus);
  };
  let done = 0;
  const worker = async () => {
    for (let request = take(); request; request = take()) {
      const answer = await sendRaw(ctx.base, request.bytes, request.method, options.deadlineMs);
      const summary = `${request.method} ${request.target.slice(0, 160)}${request.target.length > 160 ? '…' : ''}`;
      const fail = (problem: string) =>
        failures.push({ route: `${request.route.method} ${request.route.url}`, kind: request.kind, request: summary, problem });
      if ('error' in answer) {
        fail(answer.error);
      } else {
        byStatus[answer.status] = (byStatus[answer.status] ?? 0) + 1;
        slowestMs = Math.max(slowestMs, answer.ms);
        if (!(answer.status >= 100 && answer.status < 500)) fail(`answered ${answer.status}: ${answer.body.slice(0, 200)}`);
        else if (answer.status >= 400) {
          const problem = formatProblem(request.route.format, answer, request.method);
          if (problem) fail(problem);
        }
      }
      done++;
      if (done % refreshEvery === 0) await ctx.refreshToken();
      options.onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return { requests: done, routes: routes.length, byStatus, failures, slowestMs: Math.round(slowestMs) };
}

// --- Setting up the valid values ----------------------------------------------------------------

async function json<T>(response: Response): Promise<T> {
  const text = await response.text();
  if (!response.ok) throw new Error(`fuzz setup: ${response.status} ${text.slice(0, 200)}`);
  return JSON.parse(text) as T;
}

/** Creates what the requests start from: a token, a payment with its landing link, an app session, a sales unit. */
export async function prepareContext(base: string): Promise<FuzzContext> {
  const tokenOf = async () =>
    (
      await json<{ access_token: string }>(
        await fetch(`${base}/accesstoken/get`, {
          method: 'POST',
          headers: { client_id: DEMO.clientId, client_secret: DEMO.clientSecret, 'Ocp-Apim-Subscription-Key': DEMO.subscriptionKey },
        }),
      )
    ).access_token;
  const accessToken = await tokenOf();
  const pspHeaders = {
    Authorization: `Bearer ${accessToken}`,
    'Ocp-Apim-Subscription-Key': DEMO.subscriptionKey,
    'Psp-Id': DEMO.pspId,
    'Merchant-Serial-Number': DEMO.msn,
    'Content-Type': 'application/json',
  };
  const pspTransactionId = 'fuzz-payment-1';
  const init = await json<{ vippsRedirectUrl: string }>(
    await fetch(`${base}/psp/v3/psppayments/init`, {
      method: 'POST',
      headers: pspHeaders,
      body: JSON.stringify({
        pspTransactionId,
        merchantOrderId: pspTransactionId,
        amount: 49900,
        currency: 'NOK',
        pspRedirectUrl: 'http://localhost:3000/result',
        makePaymentUrl: 'http://127.0.0.1:9/makepayment',
        makePaymentToken: 'fuzz-token',
        paymentText: 'Fuzz',
      }),
    }),
  );
  const landingToken = new URL(init.vippsRedirectUrl).searchParams.get('token') ?? '';
  const login = await fetch(`${base}/app/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `phoneNumber=${DEMO.user}&pin=1236&next=/app`,
  });
  const sessionCookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  // Opening the link in the app assigns the payment to the user and names its internal id.
  const open = await fetch(`${base}/app/deeplink?token=${enc(landingToken)}`, {
    redirect: 'manual',
    headers: { cookie: sessionCookie },
  });
  const paymentId = /\/payments\/([0-9a-f-]{36})/.exec(open.headers.get('location') ?? '')?.[1] ?? '00000000-0000-0000-0000-000000000000';
  const created = await fetch(`${base}/merchant-management/psp/v1/merchants`, {
    method: 'POST',
    headers: { ...pspHeaders, 'Idempotency-Key': 'fuzz-merchant-1' },
    body: JSON.stringify({
      organizationNumber: '918130047',
      name: 'Fuzz Shop',
      mccCode: '5411',
      logo: LOGO,
      address: { addressLine1: 'Gate 1', city: 'Oslo', postCode: '0154', country: 'NO' },
      companyName: 'Fuzz AS',
      companyEmail: 'post@shop.example',
    }),
  });
  const { merchantSerialNumber: ownMsn } = await json<{ merchantSerialNumber: string }>(created);
  const ctx: FuzzContext = {
    base,
    accessToken,
    subscriptionKey: DEMO.subscriptionKey,
    pspId: DEMO.pspId,
    msn: DEMO.msn,
    ownMsn,
    pspTransactionId,
    landingToken,
    paymentId,
    sessionCookie,
    userPhone: DEMO.user,
    refreshToken: async () => {
      ctx.accessToken = await tokenOf();
    },
  };
  return ctx;
}

/** A blank 100 × 100 greyscale PNG: the smallest logo the Merchant API takes. */
function blankPng(size: number): string {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc32 = (bytes: Buffer) => {
    let c = 0xffffffff;
    for (const b of bytes) c = (crcTable[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    typed.copy(out, 4);
    out.writeUInt32BE(crc32(typed), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8;
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const pixels = deflateSync(Buffer.alloc((size + 1) * size));
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', pixels), chunk('IEND', Buffer.alloc(0))]).toString('base64');
}

const LOGO = blankPng(100);

// --- The platform under test ----------------------------------------------------------------------

export interface FuzzTarget {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly config: Config;
  close(): Promise<void>;
}

/**
 * The real platform on a fresh SQLite file, listening on loopback. `plant` may add routes to the
 * built app before it listens (the test that shows a planted 500 is found).
 */
export async function startFuzzTarget(plant?: (app: FastifyInstance) => void): Promise<FuzzTarget> {
  const dir = mkdtempSync(join(tmpdir(), 'vipps-psp-fuzz-'));
  const seedPath = join(dir, 'seed.json');
  writeFileSync(seedPath, JSON.stringify(seedWithOtherPsp()));
  const config = parseConfig({
    PORT: '0',
    DATABASE_URL: `sqlite:${join(dir, 'platform.sqlite')}`,
    LOG_LEVEL: 'silent',
    SEED_FILE: seedPath,
  });
  const platform = await buildPlatform(config);
  const app = await buildHttpApp(platform);
  plant?.(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  platform.setBoundPort(port);
  platform.scheduler.start(config.sweepIntervalMs);
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    config,
    close: async () => {
      await app.close();
      await platform.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
