import { uriEncode } from './uri-encode.js';

export interface CanonicalUriOptions {
  /**
   * Remove '.' and '..' segments and collapse repeated slashes. S3 never does
   * this (keys are literal); other services do.
   */
  readonly normalize?: boolean;
}

/** Canonical URI of a decoded path: each byte encoded once, '/' kept. */
export function canonicalUri(decodedPath: string, options: CanonicalUriOptions = {}): string {
  const path = options.normalize ? normalizePath(decodedPath) : decodedPath;
  return uriEncode(path === '' ? '/' : path, true);
}

function normalizePath(path: string): string {
  const out: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  const trailing = path.endsWith('/') && out.length > 0 ? '/' : '';
  return `/${out.join('/')}${trailing}`;
}
