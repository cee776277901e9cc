import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { CryptoProvider, Hasher } from './types.js';

/** The CryptoProvider backed by node:crypto; the server injects this one. */
export const nodeCrypto: CryptoProvider = {
  sha256: (data) => createHash('sha256').update(data).digest(),
  createSha256: () => {
    const hash = createHash('sha256');
    const hasher: Hasher = {
      update(data) {
        hash.update(data);
        return hasher;
      },
      digest: () => hash.digest(),
    };
    return hasher;
  },
  hmacSha256: (key, data) => createHmac('sha256', key).update(data).digest(),
  hmacSha1: (key, data) => createHmac('sha1', key).update(data).digest(),
  timingSafeEqual: (a, b) => a.length === b.length && timingSafeEqual(a, b),
};
