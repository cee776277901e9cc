import { toHex } from './hex.js';
import { scopeString } from './string-to-sign.js';
import { EMPTY_SHA256, type CredentialScope, type CryptoProvider } from './types.js';

/** What chains aws-chunked signatures: the verified request's key, time, scope and signature. */
export interface ChunkSigningContext {
  readonly signingKey: Uint8Array;
  /** The request's own (seed) signature, hex. */
  readonly signature: string;
  readonly amzDate: string;
  readonly scope: CredentialScope;
  /** Only for error details. */
  readonly accessKeyId?: string;
}

export const CHUNK_ALGORITHM = 'AWS4-HMAC-SHA256-PAYLOAD';
export const TRAILER_ALGORITHM = 'AWS4-HMAC-SHA256-TRAILER';

export function chunkStringToSign(context: ChunkSigningContext, previousSignature: string, dataSha256Hex: string): string {
  return [CHUNK_ALGORITHM, context.amzDate, scopeString(context.scope), previousSignature, EMPTY_SHA256, dataSha256Hex].join('\n');
}

export function trailerStringToSign(context: ChunkSigningContext, previousSignature: string, trailerSha256Hex: string): string {
  return [TRAILER_ALGORITHM, context.amzDate, scopeString(context.scope), previousSignature, trailerSha256Hex].join('\n');
}

/** The bytes a trailer signature covers: each trailer as "name:value\n", in the order sent. */
export function canonicalTrailers(trailers: ReadonlyArray<readonly [string, string]>): string {
  return trailers.map(([name, value]) => `${name}:${value}\n`).join('');
}

export function signChunkString(crypto: CryptoProvider, context: ChunkSigningContext, text: string): string {
  return toHex(crypto.hmacSha256(context.signingKey, text));
}
