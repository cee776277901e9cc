import { S3Error } from '../errors.js';

/** S3's limit, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/**
 * The UTF-8 bytes of a key, which is how keys are stored and ordered: S3
 * lists in UTF-8 binary order, which differs from JavaScript's UTF-16 order
 * for characters above U+FFFF (U+1F600 sorts after U+FFFD in UTF-8, before it
 * in UTF-16).
 */
export function encodeKey(key: string): Buffer {
  if (key.length === 0) throw new S3Error('InvalidArgument', 'Object key must not be empty.');
  const bytes = Buffer.from(key, 'utf8');
  // Buffer.from silently turns a lone surrogate into U+FFFD, which would store
  // the object under a different key than the one asked for.
  if (bytes.toString('utf8') !== key) throw new S3Error('InvalidArgument', 'Object key is not valid UTF-8.');
  if (bytes.length > MAX_KEY_BYTES) throw new S3Error('KeyTooLongError');
  return bytes;
}

export function decodeKey(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

/** Prefixes and markers are not length-checked like keys, only encoded. */
export function encodeText(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

/**
 * The smallest byte string greater than every string starting with `prefix`,
 * or null when there is none (empty or all-0xFF prefix). A range scan
 * `key >= prefix AND key < bound` then selects exactly the prefixed keys.
 */
export function prefixUpperBound(prefix: Uint8Array): Buffer | null {
  let end = prefix.length;
  while (end > 0 && prefix[end - 1] === 0xff) end--;
  if (end === 0) return null;
  const bound = Buffer.from(prefix.subarray(0, end));
  bound[end - 1] = (bound[end - 1] ?? 0) + 1;
  return bound;
}

/** The smallest byte string strictly greater than `bytes`: itself plus a 0x00 byte. */
export function successor(bytes: Uint8Array): Buffer {
  return Buffer.concat([bytes, Buffer.of(0)]);
}

export function maxBytes(a: Buffer, b: Buffer): Buffer {
  return Buffer.compare(a, b) >= 0 ? a : b;
}
