import { canonicalTrailers, chunkStringToSign, signChunkString, trailerStringToSign, type ChunkSigningContext } from './chunked-signature.js';
import { authErrors, type AuthError } from './errors.js';
import { fromHex, toHex } from './hex.js';
import { EMPTY_SHA256, type CryptoProvider, type Hasher } from './types.js';

/**
 * Incremental decoder for S3's aws-chunked request bodies (the three
 * STREAMING-* values of x-amz-content-sha256). It never holds more than one
 * size or trailer line: data slices are handed back as they arrive, so a
 * consumer must treat what it wrote as provisional until end() resolves —
 * a later chunk signature, the decoded length or the trailing checksum can
 * still fail the request.
 *
 * Wire forms, as real clients send them:
 *   signed:           <hex>;chunk-signature=<64 hex>\r\n<data>\r\n … 0;chunk-signature=<sig>\r\n\r\n
 *   signed + trailer: … 0;chunk-signature=<sig>\r\n<name>:<value>\r\nx-amz-trailer-signature:<sig>\r\n\r\n
 *   unsigned trailer: <hex>\r\n<data>\r\n … 0\r\n<name>:<value>\r\n\r\n   (botocore, aws CLI, JS SDK)
 */
export const STREAMING_SIGNED = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
export const STREAMING_SIGNED_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
export const STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';
export type StreamingPayload = typeof STREAMING_SIGNED | typeof STREAMING_SIGNED_TRAILER | typeof STREAMING_UNSIGNED_TRAILER;

export function isStreamingPayload(payloadHash: string | undefined): payloadHash is StreamingPayload {
  return payloadHash === STREAMING_SIGNED || payloadHash === STREAMING_SIGNED_TRAILER || payloadHash === STREAMING_UNSIGNED_TRAILER;
}

/** A running checksum for one trailer (src/checksums.ts provides them). */
export interface TrailerChecksum {
  update(bytes: Uint8Array): void;
  /** Base64, as it appears in the trailer. */
  digest(): Promise<string> | string;
}

export interface ChunkedDecoderOptions {
  /** The request's x-amz-content-sha256. */
  readonly payload: StreamingPayload;
  readonly crypto: CryptoProvider;
  /** The verified request (VerifiedV4 fits); required for the signed forms. */
  readonly signing?: ChunkSigningContext;
  /** The raw x-amz-decoded-content-length header. */
  readonly decodedContentLength: string | undefined;
  /** The raw x-amz-trailer header: the trailers the body must end with. */
  readonly trailer?: string | undefined;
  /** A checksum for a trailer name such as x-amz-checksum-crc32; undefined if unsupported. */
  readonly createChecksum: (trailerName: string) => TrailerChecksum | undefined;
  /** Largest chunk accepted, refused at its size line. Default 16 MiB. */
  readonly maxChunkSize?: number;
  /** Every chunk but the last must be at least this big (AWS: 8 KiB). 0 turns the check off. */
  readonly minChunkSize?: number;
  /** Cap on the whole trailer section. Default 4 KiB. */
  readonly maxTrailerBytes?: number;
}

export interface ChunkedResult {
  readonly decodedLength: number;
  /** Data chunks, not counting the final empty one. */
  readonly chunks: number;
  /** Trailer name (lower case) to value; every one a checksum verified against the decoded bytes. */
  readonly checksums: Readonly<Record<string, string>>;
}

export const DEFAULT_MAX_CHUNK_SIZE = 16 * 1024 * 1024;
export const AWS_MIN_CHUNK_SIZE = 8192;
export const DEFAULT_MAX_TRAILER_BYTES = 4096;

const CR = 0x0d;
const LF = 0x0a;
const MAX_HEX_DIGITS = 16;
const SIGNATURE_EXTENSION = ';chunk-signature=';
/** Longest legal size line, CRLF included. */
const MAX_SIZE_LINE = MAX_HEX_DIGITS + SIGNATURE_EXTENSION.length + 64 + 2;
const SIGNED_SIZE_LINE = /^([0-9a-fA-F]+);chunk-signature=([0-9a-f]{64})$/;
const UNSIGNED_SIZE_LINE = /^([0-9a-fA-F]+)$/;
const HEX_SIGNATURE = /^[0-9a-f]{64}$/;
const TRAILER_SIGNATURE = 'x-amz-trailer-signature';
const DECIMAL = /^[0-9]{1,16}$/;

type State = 'size' | 'data' | 'data-cr' | 'data-lf' | 'trailer' | 'done';

export class ChunkedDecoder {
  private readonly signed: boolean;
  private readonly withTrailer: boolean;
  private readonly expectedLength: number;
  private readonly maxChunkSize: number;
  private readonly minChunkSize: number;
  private readonly maxTrailerBytes: number;
  private readonly checksums = new Map<string, TrailerChecksum>();

  private state: State = 'size';
  private failure: AuthError | undefined;
  private ending: Promise<ChunkedResult> | undefined;
  private readonly line: Uint8Array;
  private lineLength = 0;

  private previousSignature: string;
  private chunkSignature = '';
  private chunkHash: Hasher | undefined;
  private remaining = 0;
  private lastSize = 0;
  private chunkCount = 0;
  private decoded = 0;

  private trailerBytes = 0;
  private readonly trailers: Array<[string, string]> = [];
  private trailerSigned = false;

  constructor(private readonly options: ChunkedDecoderOptions) {
    this.signed = options.payload !== STREAMING_UNSIGNED_TRAILER;
    this.withTrailer = options.payload !== STREAMING_SIGNED;
    if (this.signed && options.signing === undefined) throw new TypeError(`${options.payload} needs the verified request's signing context`);
    this.previousSignature = options.signing?.signature ?? '';
    this.maxChunkSize = options.maxChunkSize ?? DEFAULT_MAX_CHUNK_SIZE;
    this.minChunkSize = options.minChunkSize ?? AWS_MIN_CHUNK_SIZE;
    this.maxTrailerBytes = options.maxTrailerBytes ?? DEFAULT_MAX_TRAILER_BYTES;
    this.line = new Uint8Array(Math.max(MAX_SIZE_LINE, this.maxTrailerBytes));

    const length = options.decodedContentLength?.trim();
    if (length === undefined || !DECIMAL.test(length) || !Number.isSafeInteger(Number(length))) throw authErrors.chunkDecodedLengthMissing();
    this.expectedLength = Number(length);

    for (const name of parseTrailerNames(options.trailer)) {
      const checksum = this.withTrailer && !this.checksums.has(name) ? options.createChecksum(name) : undefined;
      if (checksum === undefined) throw authErrors.chunkTrailerUnsupported();
      this.checksums.set(name, checksum);
    }
  }

  /** Feed the next bytes of the body; returns the decoded data they held (views into `bytes`). */
  push(bytes: Uint8Array): Uint8Array[] {
    if (this.failure) throw this.failure;
    try {
      return this.consume(bytes);
    } catch (error) {
      this.failure = error as AuthError;
      throw error;
    }
  }

  /** The body ended: checks that it was complete and that every trailing checksum matches. */
  end(): Promise<ChunkedResult> {
    this.ending ??= this.finish();
    return this.ending;
  }

  private async finish(): Promise<ChunkedResult> {
    if (this.failure) throw this.failure;
    if (this.state !== 'done') throw (this.failure = authErrors.chunkIncompleteBody());
    const verified: Record<string, string> = {};
    for (const [name, value] of this.trailers) {
      const actual = await this.checksums.get(name)?.digest();
      if (actual !== value) throw (this.failure = authErrors.chunkChecksumMismatch(algorithmLabel(name)));
      verified[name] = value;
    }
    return { decodedLength: this.decoded, chunks: this.chunkCount, checksums: verified };
  }

  private consume(bytes: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let pos = 0;
    while (pos < bytes.length) {
      switch (this.state) {
        case 'size': {
          const [line, next] = this.takeLine(bytes, pos, MAX_SIZE_LINE, () => this.sizeLineOverflow(bytes, pos));
          pos = next;
          if (line !== undefined) this.startChunk(line);
          break;
        }
        case 'data': {
          const take = Math.min(this.remaining, bytes.length - pos);
          const slice = bytes.subarray(pos, pos + take);
          pos += take;
          this.chunkHash?.update(slice);
          for (const checksum of this.checksums.values()) checksum.update(slice);
          this.decoded += take;
          this.remaining -= take;
          out.push(slice);
          if (this.remaining === 0) {
            if (this.chunkHash) this.verifyChunk(toHex(this.chunkHash.digest()));
            this.state = 'data-cr';
          }
          break;
        }
        case 'data-cr':
        case 'data-lf': {
          if (bytes[pos] !== (this.state === 'data-cr' ? CR : LF)) throw authErrors.chunkMalformed();
          pos++;
          this.state = this.state === 'data-cr' ? 'data-lf' : 'size';
          break;
        }
        case 'trailer': {
          const [line, next] = this.takeLine(bytes, pos, this.maxTrailerBytes - this.trailerBytes, () => authErrors.chunkTrailerMalformed());
          pos = next;
          if (line !== undefined) {
            this.trailerBytes += line.length + 2;
            this.trailerLine(line);
          }
          break;
        }
        case 'done':
          // Bytes after the terminating empty line: the framing lied about where the body ends.
          throw authErrors.chunkMalformed();
      }
    }
    return out;
  }

  /**
   * Gathers one CRLF-terminated line, across pushes; at most `room` bytes.
   * Returns the line without CRLF once complete, and where reading stopped.
   */
  private takeLine(bytes: Uint8Array, pos: number, room: number, overflow: () => AuthError): [string | undefined, number] {
    const lf = bytes.indexOf(LF, pos);
    const end = lf === -1 ? bytes.length : lf + 1;
    if (this.lineLength + (end - pos) > room) throw overflow();
    this.line.set(bytes.subarray(pos, end), this.lineLength);
    this.lineLength += end - pos;
    if (lf === -1) return [undefined, end];
    const length = this.lineLength;
    this.lineLength = 0;
    if (length < 2 || this.line[length - 2] !== CR) throw this.state === 'trailer' ? authErrors.chunkTrailerMalformed() : authErrors.chunkMalformed();
    return [Buffer.from(this.line.buffer, this.line.byteOffset, length - 2).toString('latin1'), end];
  }

  /** A size line longer than any legal one: an absurd hex size, or garbage. */
  private sizeLineOverflow(bytes: Uint8Array, pos: number): AuthError {
    const start = Buffer.concat([this.line.subarray(0, this.lineLength), bytes.subarray(pos, pos + MAX_SIZE_LINE)]);
    return /^[0-9a-fA-F]{17}/.test(start.toString('latin1')) ? authErrors.chunkTooLarge(start.toString('latin1', 0, 32)) : authErrors.chunkMalformed();
  }

  private startChunk(line: string): void {
    const match = (this.signed ? SIGNED_SIZE_LINE : UNSIGNED_SIZE_LINE).exec(line);
    if (!match) throw authErrors.chunkMalformed();
    const hex = (match[1] ?? '').replace(/^0+(?=.)/, '');
    const size = hex.length > 12 ? Infinity : parseInt(hex, 16);
    if (size > this.maxChunkSize) throw authErrors.chunkTooLarge(match[1] ?? '');
    if (size > 0 && this.lastSize > 0 && this.lastSize < this.minChunkSize) {
      // Only now is it known that the small chunk was not the last. AWS reports the number of
      // the chunk that revealed it (1-based) with the small chunk's size.
      throw authErrors.chunkTooSmall(this.chunkCount + 1, this.lastSize);
    }
    if (this.decoded + size > this.expectedLength) throw authErrors.chunkDecodedLengthMismatch(this.expectedLength, this.decoded + size);
    this.chunkSignature = match[2] ?? '';

    if (size === 0) {
      if (this.signed) this.verifyChunk(EMPTY_SHA256);
      if (this.decoded !== this.expectedLength) throw authErrors.chunkDecodedLengthMismatch(this.expectedLength, this.decoded);
      this.state = 'trailer';
      return;
    }
    this.chunkCount++;
    this.lastSize = size;
    this.remaining = size;
    this.chunkHash = this.signed ? this.options.crypto.createSha256() : undefined;
    this.state = 'data';
  }

  private verifyChunk(dataSha256Hex: string): void {
    const context = this.options.signing as ChunkSigningContext;
    const stringToSign = chunkStringToSign(context, this.previousSignature, dataSha256Hex);
    this.previousSignature = this.checkSignature(stringToSign, this.chunkSignature, authErrors.chunkSignatureMismatch);
  }

  private checkSignature(
    stringToSign: string,
    provided: string,
    mismatch: (details: { accessKeyId?: string; stringToSign: string; signatureProvided: string }) => AuthError,
  ): string {
    const context = this.options.signing as ChunkSigningContext;
    const expected = signChunkString(this.options.crypto, context, stringToSign);
    const given = fromHex(provided);
    if (given === undefined || !this.options.crypto.timingSafeEqual(given, Buffer.from(expected, 'hex'))) {
      throw mismatch({ ...(context.accessKeyId === undefined ? {} : { accessKeyId: context.accessKeyId }), stringToSign, signatureProvided: provided });
    }
    return expected;
  }

  private trailerLine(line: string): void {
    if (line === '') return this.endTrailers();
    // Nothing may follow the trailer signature but the empty line.
    if (!this.withTrailer || this.trailerSigned) throw authErrors.chunkTrailerMalformed();
    const colon = line.indexOf(':');
    if (colon <= 0) throw authErrors.chunkTrailerMalformed();
    // AWS tolerates blanks around the colon.
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();

    if (name === TRAILER_SIGNATURE && this.signed) {
      if (!HEX_SIGNATURE.test(value)) throw authErrors.chunkTrailerMalformed();
      const trailerHash = this.options.crypto.sha256Hex(canonicalTrailers(this.trailers));
      const context = this.options.signing as ChunkSigningContext;
      const stringToSign = trailerStringToSign(context, this.previousSignature, trailerHash);
      this.previousSignature = this.checkSignature(stringToSign, value, authErrors.chunkTrailerSignatureMismatch);
      this.trailerSigned = true;
      return;
    }
    // Only the trailers x-amz-trailer announced, each once.
    if (!this.checksums.has(name) || this.trailers.some(([seen]) => seen === name)) throw authErrors.chunkTrailerMalformed();
    this.trailers.push([name, value]);
  }

  private endTrailers(): void {
    if (this.trailers.length !== this.checksums.size) throw authErrors.chunkTrailerMalformed();
    if (this.withTrailer && this.signed && !this.trailerSigned) throw authErrors.chunkTrailerMalformed();
    this.state = 'done';
  }
}

/** x-amz-trailer may list several names, comma-separated. */
export function parseTrailerNames(header: string | undefined): string[] {
  if (header === undefined) return [];
  return header
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
}

/** 'x-amz-checksum-crc64nvme' → 'CRC64NVME', the way AWS names it in BadDigest. */
function algorithmLabel(trailerName: string): string {
  return trailerName.replace(/^x-amz-checksum-/, '').toUpperCase();
}
