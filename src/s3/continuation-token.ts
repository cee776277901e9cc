import { S3Error } from '../errors.js';

/*
 * Continuation tokens of ListObjectsV2 and ListBuckets: opaque to clients,
 * they carry the last name returned. The version prefix and the round-trip
 * check refuse a token this server did not make.
 */

export function encodeToken(after: string): string {
  return Buffer.from(`1:${after}`, 'utf8').toString('base64url');
}

export function decodeToken(token: string): string {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  if (!text.startsWith('1:') || Buffer.from(text, 'utf8').toString('base64url') !== token) {
    throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', { ArgumentName: 'continuation-token' });
  }
  return text.slice(2);
}
