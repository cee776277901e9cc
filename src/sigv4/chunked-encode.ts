import { STREAMING_SIGNED, STREAMING_UNSIGNED_TRAILER, type StreamingPayload } from './chunked.js';
import { canonicalTrailers, chunkStringToSign, signChunkString, trailerStringToSign, type ChunkSigningContext } from './chunked-signature.js';
import type { CryptoProvider } from './types.js';

export interface ChunkedEncodeOptions {
  readonly payload: StreamingPayload;
  readonly crypto: CryptoProvider;
  /** The signed request's key, time, scope and (seed) signature; needed for the signed forms. */
  readonly signing?: ChunkSigningContext;
  /** Trailers in send order, e.g. [['x-amz-checksum-crc32', 'DUoRhQ==']]. */
  readonly trailers?: ReadonlyArray<readonly [string, string]>;
}

/**
 * Frames data chunks as an aws-chunked body, the way SDKs put it on the wire
 * (used by tests and the benchmark to speak the signed forms no installed client sends).
 */
export function encodeChunked(chunks: readonly Uint8Array[], options: ChunkedEncodeOptions): Buffer {
  const signed = options.payload !== STREAMING_UNSIGNED_TRAILER;
  const signing = options.signing;
  if (signed && signing === undefined) throw new TypeError(`${options.payload} needs a signing context`);
  let previous = signing?.signature ?? '';
  const parts: Uint8Array[] = [];

  const sizeLine = (size: number, data: Uint8Array): string => {
    if (!signed || signing === undefined) return `${size.toString(16)}\r\n`;
    previous = signChunkString(options.crypto, signing, chunkStringToSign(signing, previous, options.crypto.sha256Hex(data)));
    return `${size.toString(16)};chunk-signature=${previous}\r\n`;
  };

  for (const chunk of chunks) {
    if (chunk.length === 0) continue;
    parts.push(Buffer.from(sizeLine(chunk.length, chunk)), chunk, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(sizeLine(0, new Uint8Array(0))));

  if (options.payload === STREAMING_SIGNED) {
    parts.push(Buffer.from('\r\n'));
    return Buffer.concat(parts);
  }
  const trailers = options.trailers ?? [];
  let section = trailers.map(([name, value]) => `${name}:${value}\r\n`).join('');
  if (signed && signing !== undefined) {
    const hash = options.crypto.sha256Hex(canonicalTrailers(trailers));
    section += `x-amz-trailer-signature:${signChunkString(options.crypto, signing, trailerStringToSign(signing, previous, hash))}\r\n`;
  }
  parts.push(Buffer.from(`${section}\r\n`));
  return Buffer.concat(parts);
}

/** Cuts data into chunkSize pieces (the last one shorter). */
export function splitChunks(data: Uint8Array, chunkSize: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < data.length; i += chunkSize) out.push(data.subarray(i, i + chunkSize));
  return out;
}
