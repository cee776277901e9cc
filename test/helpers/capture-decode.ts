import assert from 'node:assert/strict';
import { createChecksumForHeader } from '../../src/checksums.js';
import { ChunkedDecoder, isStreamingPayload, type ChunkedDecoderOptions, type ChunkedResult } from '../../src/sigv4/chunked.js';
import { encodeChunked, splitChunks } from '../../src/sigv4/chunked-encode.js';
import {
  AuthError,
  nodeCrypto,
  signRequest,
  verifyRequest,
  type AuthDefect,
  type SignableRequest,
  type VerifiedV4,
} from '../../src/sigv4/index.js';
import type { S3ErrorCode } from '../../src/errors.js';
import { CAPTURE_CREDENTIALS, CAPTURE_REGION } from './capture-clients.js';

/** How the body is fed to the decoder: whole, one byte at a time, or cut at the given offsets. */
export type Feeding = 'whole' | 'bytes' | readonly number[];

export interface Decoded {
  readonly data: Buffer;
  readonly result: ChunkedResult;
}

export async function decode(body: Uint8Array, options: ChunkedDecoderOptions, feeding: Feeding = 'whole'): Promise<Decoded> {
  const decoder = new ChunkedDecoder(options);
  const out: Uint8Array[] = [];
  for (const piece of pieces(body, feeding)) out.push(...decoder.push(piece));
  const result = await decoder.end();
  return { data: Buffer.concat(out), result };
}

function* pieces(body: Uint8Array, feeding: Feeding): Generator<Uint8Array> {
  if (feeding === 'whole') {
    yield body;
    return;
  }
  if (feeding === 'bytes') {
    for (let i = 0; i < body.length; i++) yield body.subarray(i, i + 1);
    return;
  }
  let start = 0;
  for (const cut of [...feeding, body.length]) {
    yield body.subarray(start, cut);
    start = cut;
  }
}

/** Decoder options from a request's headers, as the server will build them. */
export function optionsFor(request: SignableRequest, signing?: VerifiedV4, overrides: Partial<ChunkedDecoderOptions> = {}): ChunkedDecoderOptions {
  const header = (name: string): string | undefined => {
    const value = request.headers[name];
    return typeof value === 'string' ? value : value?.join(',');
  };
  const payload = header('x-amz-content-sha256');
  assert.ok(isStreamingPayload(payload), `x-amz-content-sha256 is a STREAMING-* value, got ${payload}`);
  return {
    payload,
    crypto: nodeCrypto,
    ...(signing === undefined ? {} : { signing }),
    decodedContentLength: header('x-amz-decoded-content-length'),
    trailer: header('x-amz-trailer'),
    createChecksum: createChecksumForHeader,
    ...overrides,
  };
}

export async function verifyV4(request: SignableRequest, now = Date.now(), secretAccessKey: string = CAPTURE_CREDENTIALS.secretAccessKey): Promise<VerifiedV4> {
  const verified = await verifyRequest(request, { now, crypto: nodeCrypto, region: CAPTURE_REGION, lookupSecret: () => ({ secretAccessKey }) });
  assert.equal(verified.version, 4);
  return verified;
}

export interface SignedUpload {
  readonly request: SignableRequest;
  readonly verified: VerifiedV4;
  readonly body: Buffer;
}

/**
 * A header-signed PUT whose body is framed in a STREAMING-* form, signed by our
 * signer and checked by our verifier first, so the seed is the verified one.
 */
export async function signedUpload(input: {
  payload: ChunkedDecoderOptions['payload'];
  data: Uint8Array;
  chunkSize?: number;
  trailers?: ReadonlyArray<readonly [string, string]>;
  headers?: Record<string, string>;
}): Promise<SignedUpload> {
  const now = Date.now();
  const trailerHeader = input.trailers?.map(([name]) => name).join(',');
  const signed = signRequest({
    method: 'PUT',
    url: 'http://127.0.0.1/bucket/object',
    credentials: CAPTURE_CREDENTIALS,
    region: CAPTURE_REGION,
    now,
    crypto: nodeCrypto,
    payloadHash: input.payload,
    headers: {
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': String(input.data.length),
      ...(trailerHeader ? { 'x-amz-trailer': trailerHeader } : {}),
      ...input.headers,
    },
  });
  const request: SignableRequest = { method: 'PUT', path: '/bucket/object', query: '', headers: signed.headers };
  const verified = await verifyV4(request, now);
  const body = encodeChunked(splitChunks(input.data, input.chunkSize ?? 65536), {
    payload: input.payload,
    crypto: nodeCrypto,
    signing: verified,
    ...(input.trailers ? { trailers: input.trailers } : {}),
  });
  return { request, verified, body };
}

/** Asserts an AuthError with this S3 code, status and defect (sync throw or rejection). */
export async function assertAuthError(action: () => unknown, code: S3ErrorCode, status: number, defect: AuthDefect): Promise<AuthError> {
  let caught: unknown;
  try {
    await action();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof AuthError, `expected AuthError ${defect}, got ${String(caught)}`);
  assert.equal(caught.code, code);
  assert.equal(caught.status, status);
  assert.equal(caught.defect, defect);
  return caught;
}

/** A test body: deterministic, not periodic over chunk boundaries. */
export function testData(length: number, seed = 1): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
