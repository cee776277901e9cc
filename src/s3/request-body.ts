import { createHash, type Hash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { S3Error } from '../errors.js';
import {
  checksumAlgorithmFromHeader,
  checksumHeaderName,
  checksumMismatchMessage,
  createChecksum,
  createChecksumForHeader,
  isWellFormedChecksum,
  parseChecksumAlgorithm,
  type ChecksumAlgorithm,
  type StreamingChecksum,
} from '../checksums.js';
import { isStreamingPayload } from '../sigv4/chunked.js';
import { createChunkedDecodeStream, type ChunkedDecodeStream } from '../sigv4/chunked-stream.js';
import { nodeCrypto } from '../sigv4/node-crypto.js';
import type { VerifiedAuth } from '../sigv4/verify.js';
import type { RequestContext } from './context.js';
import type { DigestedBody, KnownDigests } from '../storage/body-digest.js';
import { parseXml } from './xml.js';

export const MAX_PUT_SIZE = 5 * 1024 ** 3;
const MAX_XML_BODY = 2 * 1024 * 1024;

export interface RequestBody {
  /** The decoded object bytes; fails (S3Error) before ending if any digest or signature is wrong. */
  readonly stream: Readable;
  /** The object size the client declared (decoded length for aws-chunked). */
  readonly declaredSize: number;
  /** After the stream ended: the verified or computed additional checksums, by algorithm. */
  checksums(): Partial<Record<ChecksumAlgorithm, string>>;
  /** The stream with the size and MD5 computed here, for storage, which then does not hash the bytes again. */
  readonly source: DigestedBody<Readable>;
}

/**
 * Opens the request body: declared-size checks before any byte is read, then
 * aws-chunked decoding, then every digest the client sent (x-amz-content-sha256,
 * Content-MD5, x-amz-checksum-*) checked as the bytes stream past, and the
 * MD5 an ETag needs computed in the same pass.
 */
export function openRequestBody(ctx: RequestContext, auth: VerifiedAuth, maxSize = MAX_PUT_SIZE): RequestBody {
  const payloadHash = auth.version === 4 ? auth.payloadHash : undefined;
  const streaming = isStreamingPayload(payloadHash);
  const declaredSize = declaredLength(ctx, streaming);
  if (declaredSize > maxSize) {
    throw new S3Error('EntityTooLarge', undefined, { ProposedSize: String(declaredSize), MaxSizeAllowed: String(maxSize) });
  }

  let decoder: ChunkedDecodeStream | undefined;
  if (streaming) {
    if (auth.version !== 4) throw new S3Error('InvalidRequest', 'aws-chunked payloads need SigV4.');
    decoder = createChunkedDecodeStream({
      payload: payloadHash,
      crypto: nodeCrypto,
      signing: { ...auth, accessKeyId: auth.accessKeyId },
      decodedContentLength: ctx.header('x-amz-decoded-content-length'),
      trailer: ctx.header('x-amz-trailer'),
      createChecksum: createChecksumForHeader,
    });
  }
  const verifier = new DigestVerifier(new BodyDigests(ctx, declaredSize, streaming ? undefined : payloadHash));
  if (ctx.req.headers.expect?.toLowerCase() === '100-continue') ctx.res.writeContinue();

  ctx.req.once('aborted', () => verifier.destroy(new S3Error('IncompleteBody')));
  const source = decoder ? ctx.req.pipe(decoder) : ctx.req;
  if (decoder) decoder.once('error', (e) => verifier.destroy(e));
  ctx.req.once('error', (e) => verifier.destroy(e));
  source.pipe(verifier);
  // Observes what the pipe already reads: no extra flow of its own.
  ctx.req.on('data', (chunk: Buffer) => (ctx.bytesIn += chunk.length));
  // Bytes flow from here on, but the consumer starts iterating only after some
  // awaits (bucket lookup, temp file open): an error before then (a bad chunk)
  // would be an unhandled 'error' event and kill the process. Iteration still
  // rejects with the stored error, so nothing is lost by this listener.
  verifier.on('error', () => undefined);
  return {
    stream: verifier,
    declaredSize,
    source: { bytes: verifier, digests: () => verifier.digests.known() },
    checksums: () => {
      const result: Partial<Record<ChecksumAlgorithm, string>> = { ...verifier.digests.checksums };
      for (const [name, value] of Object.entries(decoder?.result?.checksums ?? {})) {
        const algorithm = checksumAlgorithmFromHeader(name);
        if (algorithm) result[algorithm] = value;
      }
      return result;
    },
  };
}

export interface WholeRequestBody {
  /**
   * Every byte, once all of them are in and every digest passed; rejects with
   * the S3Error the stream would have failed with. A handler is attached, so
   * it may be left unawaited when the request fails for another reason.
   */
  readonly bytes: Promise<Buffer>;
  readonly declaredSize: number;
  /** After `bytes` resolved: the verified or computed additional checksums. */
  checksums(): Partial<Record<ChecksumAlgorithm, string>>;
  /** `bytes` with their size and MD5, for storage. */
  readonly source: DigestedBody<Promise<Buffer>>;
}

/**
 * openRequestBody for a plain (not aws-chunked) body whose declared size
 * `whole` accepts: the same checks, but the bytes are gathered from the
 * request directly instead of through a stream stage and an iterator, which
 * is most of what reading a 4 KiB body costs. Undefined when the body must be
 * streamed.
 */
export function readWholeRequestBody(ctx: RequestContext, auth: VerifiedAuth, whole: (declaredSize: number) => boolean): WholeRequestBody | undefined {
  const payloadHash = auth.version === 4 ? auth.payloadHash : undefined;
  if (isStreamingPayload(payloadHash)) return undefined;
  const declaredSize = declaredLength(ctx, false);
  if (!whole(declaredSize)) return undefined;
  const digests = new BodyDigests(ctx, declaredSize, payloadHash);
  if (ctx.req.headers.expect?.toLowerCase() === '100-continue') ctx.res.writeContinue();
  const bytes = gather(ctx, digests);
  bytes.catch(() => undefined);
  return { bytes, declaredSize, checksums: () => ({ ...digests.checksums }), source: { bytes, digests: () => digests.known() } };
}

/** The request's bytes through `digests`; a client gone before the end is IncompleteBody. */
function gather(ctx: RequestContext, digests: BodyDigests): Promise<Buffer> {
  const req = ctx.req;
  if (req.destroyed && !req.complete) return Promise.reject(new S3Error('IncompleteBody'));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const stop = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('aborted', onAborted);
      req.off('close', onAborted);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      ctx.bytesIn += chunk.length;
      try {
        digests.update(chunk);
      } catch (e) {
        // As a failed pipe does: stop reading, and leave the socket for the error response.
        stop();
        req.pause();
        reject(e instanceof Error ? e : new Error(String(e)));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      stop();
      const [only] = chunks;
      digests.verdict().then(() => resolve(chunks.length === 1 && only !== undefined ? only : Buffer.concat(chunks, digests.size)), reject);
    };
    const onAborted = (): void => {
      stop();
      reject(new S3Error('IncompleteBody'));
    };
    const onError = (e: Error): void => {
      stop();
      reject(e);
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('aborted', onAborted);
    // 'close' after 'end' finds this listener gone: only a body cut short gets here.
    req.once('close', onAborted);
    req.once('error', onError);
  });
}

function declaredLength(ctx: RequestContext, streaming: boolean): number {
  const text = streaming ? ctx.header('x-amz-decoded-content-length') : ctx.header('content-length');
  if (text === undefined) {
    if (streaming) throw new S3Error('MissingContentLength');
    if (ctx.header('transfer-encoding') === undefined) return 0;
    throw new S3Error('MissingContentLength');
  }
  if (!/^\d{1,15}$/.test(text)) throw new S3Error('InvalidArgument', 'Invalid content length.', { ArgumentName: 'Content-Length' });
  return Number(text);
}

/**
 * Counts and hashes the bytes a client sends against what it declared: a
 * body longer than declared fails at once, the rest in `verdict`. MD5 is
 * always computed: storage takes it for the ETag instead of hashing again.
 */
class BodyDigests {
  size = 0;
  private readonly sha256: Hash | undefined;
  private readonly md5 = createHash('md5');
  private md5Digest: Buffer | undefined;
  private readonly expectedMd5: string | undefined;
  private readonly checksum: StreamingChecksum | undefined;
  private readonly expectedChecksum: string | undefined;
  checksums: Partial<Record<ChecksumAlgorithm, string>> = {};

  constructor(
    ctx: RequestContext,
    private readonly declaredSize: number,
    private readonly payloadHash: string | undefined,
  ) {
    if (payloadHash !== undefined && /^[0-9a-f]{64}$/.test(payloadHash)) this.sha256 = createHash('sha256');
    const contentMd5 = ctx.header('content-md5');
    if (contentMd5 !== undefined) {
      if (Buffer.from(contentMd5, 'base64').length !== 16) throw new S3Error('InvalidDigest');
      this.expectedMd5 = contentMd5;
    }
    const [algorithm, expected] = requestedChecksum(ctx);
    if (algorithm) {
      this.checksum = createChecksum(algorithm);
      this.expectedChecksum = expected;
    }
  }

  /** Throws IncompleteBody as soon as the body passes its declared length. */
  update(chunk: Buffer): void {
    this.size += chunk.length;
    if (this.size > this.declaredSize) throw new S3Error('IncompleteBody', 'The request body is longer than the declared length.');
    this.sha256?.update(chunk);
    this.md5.update(chunk);
    this.checksum?.update(chunk);
  }

  /** Once `verdict` passed. */
  known(): KnownDigests {
    if (this.md5Digest === undefined) throw new Error('the body has not been verified to its end');
    return { size: this.size, md5: this.md5Digest };
  }

  async verdict(): Promise<void> {
    if (this.size !== this.declaredSize) throw new S3Error('IncompleteBody');
    if (this.sha256 && this.sha256.digest('hex') !== this.payloadHash) {
      throw new S3Error('XAmzContentSHA256Mismatch', undefined, { ClientComputedContentSHA256: this.payloadHash ?? '' });
    }
    const md5 = this.md5.digest();
    if (this.expectedMd5 !== undefined && md5.toString('base64') !== this.expectedMd5) throw new S3Error('BadDigest');
    this.md5Digest = md5;
    if (this.checksum) {
      const actual = await this.checksum.digest();
      if (this.expectedChecksum !== undefined && actual !== this.expectedChecksum) {
        throw new S3Error('BadDigest', checksumMismatchMessage(this.checksum.algorithm));
      }
      this.checksums[this.checksum.algorithm] = actual;
    }
  }
}

/**
 * The digests as a stream stage: the verdict is given in flush, before 'end'.
 * Its chunks come out one by one as they went in (object mode on the
 * readable side): a byte-mode read() joins whatever is buffered into a new
 * buffer, which copied every byte of an aws-chunked body (the decoder
 * pushes several slices per socket read).
 */
class DigestVerifier extends Transform {
  constructor(readonly digests: BodyDigests) {
    super({ readableObjectMode: true });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.digests.update(chunk);
    } catch (e) {
      callback(e as Error);
      return;
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.digests.verdict().then(() => callback(), (e: Error) => callback(e));
  }
}

/**
 * A checksum the client sent as a header, or asked for by name
 * (x-amz-sdk-checksum-algorithm without a value: we compute and keep it).
 * Trailer checksums are the chunked decoder's business.
 */
function requestedChecksum(ctx: RequestContext): [ChecksumAlgorithm | undefined, string | undefined] {
  // req.headers has the same names as ctx.headers, without building an array per header.
  const given = Object.keys(ctx.req.headers).filter((name) => name.startsWith('x-amz-checksum-') && checksumAlgorithmFromHeader(name) !== undefined);
  if (given.length > 1) throw new S3Error('InvalidRequest', 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
  const [header] = given;
  if (header !== undefined) {
    const algorithm = checksumAlgorithmFromHeader(header) as ChecksumAlgorithm;
    const value = ctx.header(header) ?? '';
    if (!isWellFormedChecksum(algorithm, value)) throw new S3Error('InvalidRequest', `Value for ${checksumHeaderName(algorithm)} header is invalid.`);
    return [algorithm, value];
  }
  if (ctx.header('x-amz-trailer') !== undefined) return [undefined, undefined];
  const named = ctx.header('x-amz-sdk-checksum-algorithm') ?? ctx.header('x-amz-checksum-algorithm');
  if (named === undefined) return [undefined, undefined];
  const algorithm = parseChecksumAlgorithm(named);
  if (algorithm === undefined) throw new S3Error('InvalidRequest', 'Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]');
  return [algorithm, undefined];
}

/** Small XML request bodies (DeleteObjects, CreateBucket configuration), read whole with a cap. */
export async function readXmlBody(ctx: RequestContext, auth: VerifiedAuth, options: { optional: boolean }): Promise<Record<string, unknown> | undefined> {
  const body = openRequestBody(ctx, auth, MAX_XML_BODY);
  const parts: Buffer[] = [];
  for await (const chunk of body.stream) parts.push(chunk as Buffer);
  const text = Buffer.concat(parts).toString('utf8');
  if (text.trim() === '') {
    if (options.optional) return undefined;
    throw new S3Error('MissingRequestBodyError');
  }
  return parseXml(text);
}
