import { percentDecode, uriEncode } from './uri-encode.js';

export type QueryPair = readonly [name: string, value: string];

/**
 * Split a raw query string into decoded pairs, keeping order and repeats.
 * '+' means space, as browsers' URLSearchParams send it.
 */
export function parseQuery(raw: string): QueryPair[] {
  if (raw === '') return [];
  const pairs: QueryPair[] = [];
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = eq === -1 ? part : part.slice(0, eq);
    const value = eq === -1 ? '' : part.slice(eq + 1);
    pairs.push([percentDecode(name, true), percentDecode(value, true)]);
  }
  return pairs;
}

/** Encoded "name=value" items, in the order given. */
export function encodeQueryPairs(pairs: readonly QueryPair[]): string[] {
  return pairs.map(([name, value]) => `${uriEncode(name)}=${uriEncode(value)}`);
}

export function canonicalQuery(pairs: readonly QueryPair[], omit: string | undefined = 'X-Amz-Signature'): string {
  const encoded = pairs
    .filter(([name]) => name !== omit)
    .map(([name, value]) => [uriEncode(name), uriEncode(value)] as const);
  encoded.sort((a, b) => compare(a[0], b[0]) || compare(a[1], b[1]));
  return encoded.map(([name, value]) => `${name}=${value}`).join('&');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
