/**
 * Seals secrets that must be kept for a while but never sit in the database in clear
 * (the PSP's makePaymentToken: needed for the TIMEOUT callback up to 10 minutes later, also
 * after a restart or on another process). AES-256-GCM with a key from configuration
 * (PLATFORM_SECRET) or, without it, a key created once in the database (platform-keys.ts).
 */
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject, randomFillSync } from 'node:crypto';

/** IV bytes per seal (GCM's 96-bit nonce). */
const IV_BYTES = 12;
/**
 * Nonces are drawn from the kernel in blocks of `IV_POOL_BYTES` rather than one `randomBytes(12)`
 * per seal (≈ 10 µs each, a third of the seal: docs/PERFORMANCE.md); each pooled byte is used once,
 * so every nonce is as random as before.
 */
const IV_POOL_BYTES = IV_BYTES * 512;
const ivPool = Buffer.alloc(IV_POOL_BYTES);
let ivOffset = IV_POOL_BYTES;

function nextIv(): Buffer {
  if (ivOffset + IV_BYTES > IV_POOL_BYTES) {
    randomFillSync(ivPool);
    ivOffset = 0;
  }
  const iv = Buffer.from(ivPool.subarray(ivOffset, ivOffset + IV_BYTES));
  ivOffset += IV_BYTES;
  return iv;
}

export class SecretBox {
  /** Imported once: a Buffer key is imported again by every createCipheriv. */
  private readonly key: KeyObject;
  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('a SecretBox key is 32 bytes');
    this.key = createSecretKey(key);
  }

  seal(plain: string): string {
    const iv = nextIv();
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
  }

  open(sealed: string): string {
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('not a sealed value');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }
}
