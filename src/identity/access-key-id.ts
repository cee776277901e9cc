import { randomBytes } from 'node:crypto';

const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** A new access key id: the prefix, then 18 random base32 characters (AWS's length of 20 and more). */
export function generateAccessKeyId(prefix = 'LK'): string {
  const bytes = randomBytes(18);
  let id = prefix;
  for (const b of bytes) id += KEY_ALPHABET[b % 32];
  return id;
}
