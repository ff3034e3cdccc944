/**
 * Seals secrets that must be kept for a while but never sit in the database in clear
 * (the PSP's makePaymentToken: needed for the TIMEOUT callback up to 10 minutes later, also
 * after a restart). AES-256-GCM with a key kept outside the database: a file next to it
 * (mode 0600), or in memory for `sqlite::memory:`.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  static inMemory(): SecretBox {
    return new SecretBox(randomBytes(32));
  }

  /** Loads the key from `path`, creating it on first start. */
  static fromKeyFile(path: string): SecretBox {
    if (existsSync(path)) {
      const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
      if (key.length !== 32) throw new Error(`${path}: expected a base64 32-byte key`);
      return new SecretBox(key);
    }
    const key = randomBytes(32);
    writeFileSync(path, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    return new SecretBox(key);
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
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
