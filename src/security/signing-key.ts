/**
 * The platform's RS256 signing key, for access tokens (and, derived from it, the landing token
 * secret). Created on first start and kept in the database, so tokens stay valid across restarts.
 */
import { createHash } from 'node:crypto';
import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly publicJwk: JWK;
  /** A 32-byte secret derived from the private key, for the platform's own HMAC tokens. */
  readonly derivedSecret: Buffer;
}

export async function loadOrCreateSigningKey(db: Kysely<Database>, nowIso: string): Promise<SigningKey> {
  const existing = await db.selectFrom('signing_keys').selectAll().orderBy('created_at', 'desc').limit(1).executeTakeFirst();
  if (existing) {
    const publicJwk = JSON.parse(existing.public_jwk) as JWK;
    const privateJwk = JSON.parse(existing.private_jwk) as JWK;
    return {
      derivedSecret: createHash('sha256')
        .update(`landing-token:${privateJwk.d ?? ''}`)
        .digest(),
      kid: existing.kid,
      privateKey: (await importJWK(privateJwk, 'RS256')) as CryptoKey,
      publicKey: (await importJWK(publicJwk, 'RS256')) as CryptoKey,
      publicJwk,
    };
  }
  const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const privateJwk = await exportJWK(privateKey);
  await db
    .insertInto('signing_keys')
    .values({
      kid,
      private_jwk: JSON.stringify(privateJwk),
      public_jwk: JSON.stringify({ ...publicJwk, kid, alg: 'RS256', use: 'sig' }),
      created_at: nowIso,
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
  // Another process may have raced us to the first key: always use the stored one.
  return loadOrCreateSigningKey(db, nowIso);
}
