/**
 * The platform's RS256 signing key, for access tokens and landing page tokens. Created on first
 * start and kept in the database, so tokens stay valid across restarts.
 */
import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly publicJwk: JWK;
}

export async function loadOrCreateSigningKey(db: Kysely<Database>, nowIso: string): Promise<SigningKey> {
  const existing = await db.selectFrom('signing_keys').selectAll().orderBy('created_at', 'desc').limit(1).executeTakeFirst();
  if (existing) {
    const publicJwk = JSON.parse(existing.public_jwk) as JWK;
    return {
      kid: existing.kid,
      privateKey: (await importJWK(JSON.parse(existing.private_jwk) as JWK, 'RS256')) as CryptoKey,
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
