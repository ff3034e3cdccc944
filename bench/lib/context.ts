/**
 * What the scenarios share: the processes, the demo PSP's credentials, access tokens, and the
 * request headers of each contender.
 */
import { readFileSync } from 'node:fs';
import { call } from './http.js';
import type { BenchOptions } from './options.js';
import type { Pinning } from './proc.js';
import type { Server } from './servers.js';

export type ContenderKey = 'baseline' | 'platform' | 'platformNormal' | 'prism';

export const CONTENDER_LABELS: Record<ContenderKey, string> = {
  baseline: 'baseline (bare node:http)',
  platform: 'platform (synchronous=FULL)',
  platformNormal: 'platform (synchronous=NORMAL)',
  prism: 'Prism mock of psp-v3.yaml',
};

export interface DemoPsp {
  readonly pspId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly subscriptionKey: string;
  readonly msn: string;
  /** The test user who approves payments in the approval scenario (control API). */
  readonly userPhone: string;
}

/** The demo PSP and its first active sales unit, from seed/demo.json (the platform's default seed). */
export function readDemoPsp(): DemoPsp {
  const seed = JSON.parse(readFileSync('seed/demo.json', 'utf8')) as {
    psps: { pspId: string; clientId: string; clientSecret: string; subscriptionKey: string }[];
    merchants: { merchantSerialNumber: string; pspId: string; status?: string; skipLandingPage?: boolean }[];
    users: { phoneNumber: string; status?: string }[];
  };
  const psp = seed.psps[0];
  if (!psp) throw new Error('seed/demo.json has no PSP');
  const merchant = seed.merchants.find((m) => m.pspId === psp.pspId && (m.status ?? 'ACTIVE') === 'ACTIVE' && !m.skipLandingPage);
  if (!merchant) throw new Error('seed/demo.json has no active sales unit for its PSP');
  const user = seed.users.find((u) => (u.status ?? 'ACTIVE') === 'ACTIVE');
  if (!user) throw new Error('seed/demo.json has no active test user');
  return { ...psp, msn: merchant.merchantSerialNumber, userPhone: user.phoneNumber };
}

export class Context {
  readonly servers: Partial<Record<ContenderKey, Server>> = {};
  private readonly tokens: Partial<Record<ContenderKey, string>> = {};
  /** Why a contender is missing from the run, if it is. */
  readonly missing: Partial<Record<ContenderKey, string>> = {};

  constructor(
    readonly options: BenchOptions,
    readonly pinning: Pinning,
    readonly workDir: string,
    readonly demo: DemoPsp,
    readonly stub: Server,
  ) {}

  log(message: string): void {
    process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
  }

  server(key: ContenderKey): Server {
    const server = this.servers[key];
    if (!server) throw new Error(`${key} is not running`);
    return server;
  }

  has(key: ContenderKey): boolean {
    return this.servers[key] !== undefined;
  }

  get makePaymentUrl(): string {
    return `${this.stub.url}/makepayment`;
  }

  tokenHeaders(): Record<string, string> {
    return {
      client_id: this.demo.clientId,
      client_secret: this.demo.clientSecret,
      'Ocp-Apim-Subscription-Key': this.demo.subscriptionKey,
    };
  }

  /** A fresh access token from a platform instance. */
  async tokenFor(server: Server): Promise<string> {
    const reply = await call(`${server.url}/accesstoken/get`, { method: 'POST', headers: this.tokenHeaders() });
    if (reply.status !== 200)
      throw new Error(`${server.name}: POST /accesstoken/get answered ${reply.status}: ${reply.text.slice(0, 300)}`);
    return reply.json<{ access_token: string }>().access_token;
  }

  async refreshToken(key: ContenderKey): Promise<string> {
    const token = await this.tokenFor(this.server(key));
    this.tokens[key] = token;
    return token;
  }

  /**
   * The bearer token a contender is sent. The baseline and Prism do not check it; they get the
   * FULL platform's token so that every contender receives the same request bytes.
   */
  token(key: ContenderKey): string {
    const own = key === 'platform' || key === 'platformNormal' ? this.tokens[key] : this.tokens.platform;
    if (!own) throw new Error(`no token for ${key}`);
    return own;
  }

  /** The PSP API path as each contender serves it: Prism mocks the spec's paths without the /psp base. */
  pspPath(key: ContenderKey, path: string): string {
    return key === 'prism' ? path : `/psp${path}`;
  }

  pspHeaders(key: ContenderKey, withBody: boolean): Record<string, string> {
    return this.pspHeadersWith(this.token(key), withBody);
  }

  pspHeadersWith(token: string, withBody: boolean): Record<string, string> {
    return {
      Authorization: `Bearer ${token}`,
      'Ocp-Apim-Subscription-Key': this.demo.subscriptionKey,
      'Psp-Id': this.demo.pspId,
      'Merchant-Serial-Number': this.demo.msn,
      ...(withBody ? { 'Content-Type': 'application/json;charset=UTF-8' } : {}),
    };
  }

  controlHeaders(withBody: boolean): Record<string, string> {
    return { 'Psp-Id': this.demo.pspId, ...(withBody ? { 'Content-Type': 'application/json' } : {}) };
  }

  /** The control API's approve body: the seed's first active test user confirms with their default card. */
  approveBody(): string {
    return JSON.stringify({ phoneNumber: this.demo.userPhone });
  }

  /** How many makePayment calls the PSP stub has answered. */
  async stubCalls(): Promise<number> {
    const reply = await call(`${this.stub.url}/calls`);
    return reply.json<{ calls: number }>().calls;
  }
}

export function initBody(id: string, makePaymentUrl: string): string {
  return JSON.stringify({
    pspTransactionId: id,
    merchantOrderId: `order-${id}`,
    amount: 49900,
    currency: 'NOK',
    pspRedirectUrl: 'http://localhost:3000/result',
    makePaymentUrl,
    makePaymentToken: 'bench-make-payment-token',
    paymentText: 'Benchmark payment',
  });
}
