import type { CredentialScope, CryptoProvider } from './types.js';

/**
 * Where derived keys are remembered: a bounded map that decides what to
 * forget. The library keeps no state of its own, so its owner passes one in
 * (the server, an LRU cache of 1024 keys).
 */
export interface KeyMemo {
  get(id: string): Uint8Array | undefined;
  set(id: string, key: Uint8Array): unknown;
  readonly size: number;
}

/**
 * Derives AWS4 signing keys, remembering recent ones. The cache key holds a
 * hash of the secret, never the secret, and the session token, so rotating
 * either misses the cache.
 */
export class SigningKeyCache {
  constructor(
    private readonly crypto: CryptoProvider,
    private readonly entries: KeyMemo,
  ) {}

  get(secretAccessKey: string, scope: CredentialScope, sessionToken?: string): Uint8Array {
    const id = [scope.date, scope.region, scope.service, this.crypto.sha256Hex(secretAccessKey), sessionToken ?? ''].join('\n');
    const hit = this.entries.get(id);
    if (hit) return hit;
    const key = deriveSigningKey(this.crypto, secretAccessKey, scope);
    this.entries.set(id, key);
    return key;
  }

  get size(): number {
    return this.entries.size;
  }
}

export function deriveSigningKey(crypto: CryptoProvider, secretAccessKey: string, scope: CredentialScope): Uint8Array {
  const kDate = crypto.hmacSha256(`AWS4${secretAccessKey}`, scope.date);
  const kRegion = crypto.hmacSha256(kDate, scope.region);
  const kService = crypto.hmacSha256(kRegion, scope.service);
  return crypto.hmacSha256(kService, 'aws4_request');
}
