import { S3Error } from '../errors.js';
import { percentDecode } from '../sigv4/uri-encode.js';
import { MAX_KEY_BYTES } from '../storage/object-key.js';

export interface Address {
  readonly bucket?: string;
  readonly key?: string;
  readonly style: 'path' | 'virtual-hosted';
}

/**
 * Bucket and key from the Host and the wire path. The key is the decoded
 * path as-is: '.', '..' and '//' are literal parts of it.
 */
export function resolveAddress(host: string | undefined, wirePath: string, domain: string | undefined): Address {
  if (!wirePath.startsWith('/')) throw new S3Error('InvalidURI');
  const path = decodePath(wirePath);
  const hostname = (host ?? '').replace(/:\d+$/, '').toLowerCase();
  if (domain && hostname.endsWith(`.${domain}`)) {
    const bucket = hostname.slice(0, -(domain.length + 1));
    const key = path.slice(1);
    return { bucket, ...(key === '' ? {} : { key: checkKey(key) }), style: 'virtual-hosted' };
  }
  const rest = path.slice(1);
  if (rest === '') return { style: 'path' };
  const slash = rest.indexOf('/');
  if (slash === -1) return { bucket: rest, style: 'path' };
  const key = rest.slice(slash + 1);
  return { bucket: rest.slice(0, slash), ...(key === '' ? {} : { key: checkKey(key) }), style: 'path' };
}

function decodePath(wirePath: string): string {
  const decoded = percentDecode(wirePath);
  // U+FFFD from the decoder means the bytes were not UTF-8: S3 keys must be.
  if (decoded.includes('\uFFFD') && !wirePath.includes('\uFFFD') && !/%EF%BF%BD/i.test(wirePath)) throw new S3Error('InvalidURI');
  return decoded;
}

function checkKey(key: string): string {
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) throw new S3Error('KeyTooLongError', undefined, { Size: String(Buffer.byteLength(key, 'utf8')), MaxSizeAllowed: String(MAX_KEY_BYTES) });
  return key;
}
