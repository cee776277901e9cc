import * as crypto from 'node:crypto';
import type { CryptoProvider, Hasher } from './types.js';

// crypto.hash (Node 20.12+) hashes in one call without building a Hash object: several times cheaper for short inputs.
const oneShot = (crypto as Partial<typeof crypto>).hash;

/** The CryptoProvider backed by node:crypto; the server injects this one. */
export const nodeCrypto: CryptoProvider = {
  sha256: oneShot ? (data) => oneShot('sha256', data, 'buffer') : (data) => crypto.createHash('sha256').update(data).digest(),
  sha256Hex: oneShot ? (data) => oneShot('sha256', data, 'hex') : (data) => crypto.createHash('sha256').update(data).digest('hex'),
  createSha256: () => {
    const hash = crypto.createHash('sha256');
    const hasher: Hasher = {
      update(data) {
        hash.update(data);
        return hasher;
      },
      digest: () => hash.digest(),
    };
    return hasher;
  },
  hmacSha256: (key, data) => crypto.createHmac('sha256', key).update(data).digest(),
  hmacSha1: (key, data) => crypto.createHmac('sha1', key).update(data).digest(),
  timingSafeEqual: (a, b) => a.length === b.length && crypto.timingSafeEqual(a, b),
};
