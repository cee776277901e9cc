import type { CredentialScope, CryptoProvider } from './types.js';

/**
 * Derives AWS4 signing keys, remembering recent ones. The cache key holds a
 * hash of the secret, never the secret, and the session token, so rotating
 * either misses the cache.
 */
export class SigningKeyCache {
  private readonly entries = new Map<string, Uint8Array>();

  constructor(
    private readonly crypto: CryptoProvider,
    private readonly capacity = 1024,
  ) {}

  get(secretAccessKey: string, scope: CredentialScope, sessionToken?: string): Uint8Array {
    const id = [scope.date, scope.region, scope.service, this.crypto.sha256Hex(secretAccessKey), sessionToken ?? ''].join('\n');
    const hit = this.entries.get(id);
    if (hit) {
      // Re-insert so Map order tracks recency and eviction drops the least recent.
      this.entries.delete(id);
      this.entries.set(id, hit);
      return hit;
    }
    const key = deriveSigningKey(this.crypto, secretAccessKey, scope);
    this.entries.set(id, key);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
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
