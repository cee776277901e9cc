import { timingSafeEqual } from 'node:crypto';

/**
 * The one comparison of secrets (keys, session tokens' digests, CSRF tokens,
 * the metrics bearer token's digest):
 * crypto.timingSafeEqual over their bytes, so the time taken does not depend
 * on how much of them matches. Their lengths are not the secret part (each
 * kind has a fixed length), so different lengths answer false at once.
 */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
