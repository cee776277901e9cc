import { canonicalHeaders, type HeaderValues } from './canonical-headers.js';
import { canonicalQuery, type QueryPair } from './canonical-query.js';
import { canonicalUri } from './canonical-uri.js';
import { percentDecode } from './uri-encode.js';

export interface CanonicalRequestInput {
  readonly method: string;
  /** Path decoded from the wire (or the unencoded path to sign). */
  readonly decodedPath: string;
  readonly query: readonly QueryPair[];
  readonly signedHeaders: readonly string[];
  readonly header: (name: string) => HeaderValues;
  readonly payloadHash: string;
  readonly normalizePath?: boolean;
}

/** The one canonicalizer: signing, pre-signing and verifying all call this. */
export function canonicalRequest(input: CanonicalRequestInput): string {
  return [
    input.method.toUpperCase(),
    canonicalUri(input.decodedPath, { normalize: input.normalizePath ?? false }),
    canonicalQuery(input.query),
    canonicalHeaders(input.signedHeaders, input.header),
    input.signedHeaders.join(';'),
    input.payloadHash,
  ].join('\n');
}

export function decodeWirePath(wirePath: string): string {
  return percentDecode(wirePath);
}
