/**
 * The platform's symmetric keys, the same in every process on one database (so one process opens
 * what another sealed, and an app session started on one works on another):
 *  - `seal`: AES-256-GCM key for makePaymentTokens (security/secret-box.ts);
 *  - `session`: HMAC key of the simulated app's session cookie and CSRF tokens.
 * From PLATFORM_SECRET when configured (derived with HKDF, one label per key: a database dump
 * alone then opens nothing), otherwise random keys created once in the database by whichever
 * process starts first. A database created before the keys moved into it kept the sealing key in a
 * file beside it (`<database>.key`): that key is taken over once, so sealed tokens still open.
 */

import { hkdfSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { PlatformStateRepository } from '../store/platform-state.js';

export interface PlatformKeys {
  readonly seal: Buffer;
  readonly session: Buffer;
}

const derive = (secret: Buffer, label: string): Buffer =>
  Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), `vipps-psp-emulator:${label}`, 32));

export async function loadPlatformKeys(options: {
  readonly secret: Buffer | null;
  readonly state: PlatformStateRepository;
  readonly databasePath: string | null;
  readonly nowIso: string;
}): Promise<PlatformKeys> {
  if (options.secret) return { seal: derive(options.secret, 'seal'), session: derive(options.secret, 'session') };
  const legacyFile = options.databasePath ? `${options.databasePath}.key` : null;
  const legacy = legacyFile && existsSync(legacyFile) ? Buffer.from(readFileSync(legacyFile, 'utf8').trim(), 'base64') : null;
  return {
    seal: await options.state.key('seal', options.nowIso, legacy?.length === 32 ? legacy : undefined),
    session: await options.state.key('session', options.nowIso),
  };
}
