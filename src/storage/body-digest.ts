import { createHash, type Hash } from 'node:crypto';
import { Readable } from 'node:stream';
import { S3Error } from '../errors.js';

/** A streaming digest the caller wants computed alongside MD5 (e.g. CRC32C, SHA256). */
export interface ChecksumComputer<D = unknown> {
  update(bytes: Uint8Array): void;
  digest(): D | Promise<D>;
}

type DigestsOf<C> = { [K in keyof C]: C[K] extends ChecksumComputer<infer D> ? D : never };

export interface BodyOptions<C extends Record<string, ChecksumComputer>> {
  /** Content-Length (or decoded length) the caller promised; a mismatch is IncompleteBody. */
  readonly expectedLength?: number | undefined;
  /** More bytes than this is EntityTooLarge, detected as soon as it happens. */
  readonly maxSize?: number | undefined;
  readonly checksums?: C | undefined;
  /**
   * Called once every byte is in and hashed, before the bytes become durable
   * and visible; throwing (say BadDigest) discards them like any other failure.
   */
  readonly verify?: ((written: WrittenDigests<C>) => void | Promise<void>) | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface WrittenDigests<C> {
  readonly size: number;
  /** Raw 16 bytes: hex for the ETag, base64 to compare with Content-MD5. */
  readonly md5: Buffer;
  readonly checksums: DigestsOf<C>;
}

/** Streamed bytes: a Readable or chunks. */
export type StreamedBytes = Readable | AsyncIterable<Uint8Array>;
/**
 * A small body already whole in memory: the bytes, or their promise (the
 * reader resolves it once every byte is in, or rejects it with the reason the
 * body was refused).
 */
export type WholeBytes = Uint8Array | Promise<Uint8Array>;

/** Size and MD5 of a body, computed by whoever read it. */
export interface KnownDigests {
  readonly size: number;
  readonly md5: Buffer;
}

/**
 * Bytes whose producer counts and hashes them as they pass (the S3 layer's
 * verified request body, which needs MD5 for Content-MD5 anyway): storage
 * still holds them to the length limits but takes their MD5 instead of
 * hashing every byte a second time.
 */
export interface DigestedBody<B extends StreamedBytes | WholeBytes = StreamedBytes | WholeBytes> {
  readonly bytes: B;
  /** Once the bytes have ended: what the producer computed over them. */
  digests(): KnownDigests;
}

export type StreamedBody = StreamedBytes | DigestedBody<StreamedBytes>;
export type BodySource = StreamedBytes | WholeBytes | DigestedBody;

export function isDigested(source: BodySource): source is DigestedBody {
  return typeof (source as Partial<DigestedBody>).digests === 'function';
}

/** The bytes without their digests. */
export function bytesOf(source: BodySource): StreamedBytes | WholeBytes {
  return isDigested(source) ? source.bytes : source;
}

export function isWholeBody(source: StreamedBytes | WholeBytes): source is WholeBytes {
  return source instanceof Uint8Array || source instanceof Promise;
}

/** What can be refused before a byte is read (or a file created): an abort, a promised length over the limit. */
export function refuseEarly(options: Pick<BodyOptions<never>, 'signal' | 'expectedLength' | 'maxSize'>): void {
  options.signal?.throwIfAborted();
  const { expectedLength, maxSize } = options;
  if (expectedLength !== undefined && maxSize !== undefined && expectedLength > maxSize) throw tooLarge(maxSize, expectedLength);
}

/**
 * Reads a body to its end, handing each chunk to `sink` (a file, or memory
 * for an object stored inline) while hashing it and holding the client to
 * the length it promised. A sink that returns a promise (busy) is awaited
 * before the next chunk is read: a slow disk slows the client
 * (backpressure). A whole body is one chunk, without the async iterator
 * (most of what a 4 KiB body cost).
 */
export async function digestBody<C extends Record<string, ChecksumComputer>>(
  source: BodySource,
  options: BodyOptions<C>,
  sink: (chunk: Uint8Array) => void | Promise<void> | undefined,
): Promise<WrittenDigests<C>> {
  refuseEarly(options);
  const given = isDigested(source) ? source : undefined;
  const digests = new Digests(options, given);
  const raw = bytesOf(source);
  if (isWholeBody(raw)) {
    const bytes = await wholeBytes(raw, options.signal);
    digests.add(bytes);
    if (bytes.byteLength > 0) await sink(bytes);
  } else {
    for await (const chunk of chunksOf(raw, options.signal)) {
      digests.add(chunk);
      // Awaited only when the sink is busy: a resolved await per chunk is a microtask per chunk.
      const busy = sink(chunk);
      if (busy !== undefined) await busy;
    }
  }
  return digests.finish();
}

/** Size and digests so far, with the length checks a chunk can fail as soon as it arrives. */
class Digests<C extends Record<string, ChecksumComputer>> {
  private size = 0;
  /** Undefined when the body came digested. */
  private readonly md5: Hash | undefined;
  private readonly computers: Array<[string, ChecksumComputer]>;

  constructor(
    private readonly options: BodyOptions<C>,
    private readonly given: DigestedBody | undefined,
  ) {
    this.md5 = given === undefined ? createHash('md5') : undefined;
    this.computers = Object.entries(options.checksums ?? {});
  }

  add(chunk: Uint8Array): void {
    const { expectedLength, maxSize } = this.options;
    this.size += chunk.byteLength;
    if (maxSize !== undefined && this.size > maxSize) throw tooLarge(maxSize, expectedLength);
    if (expectedLength !== undefined && this.size > expectedLength) throw new S3Error('IncompleteBody');
    this.md5?.update(chunk);
    for (const [, computer] of this.computers) computer.update(chunk);
  }

  async finish(): Promise<WrittenDigests<C>> {
    const { expectedLength, signal, verify } = this.options;
    if (expectedLength !== undefined && this.size !== expectedLength) throw new S3Error('IncompleteBody');
    const checksums: Record<string, unknown> = {};
    for (const [name, computer] of this.computers) checksums[name] = await computer.digest();
    const written: WrittenDigests<C> = { size: this.size, md5: this.md5?.digest() ?? this.givenMd5(), checksums: checksums as DigestsOf<C> };
    await verify?.(written);
    signal?.throwIfAborted();
    return written;
  }

  private givenMd5(): Buffer {
    const known = this.given?.digests();
    if (known === undefined || known.size !== this.size) throw new Error(`a digested body counted ${known?.size} bytes where ${this.size} were read`);
    return known.md5;
  }
}

async function wholeBytes(source: Uint8Array | Promise<Uint8Array>, signal: AbortSignal | undefined): Promise<Uint8Array> {
  if (signal === undefined || source instanceof Uint8Array) return source;
  const aborted = abortPromise(signal);
  try {
    return await Promise.race([source, aborted.promise]);
  } finally {
    aborted.dispose();
  }
}

/**
 * The source's chunks, stopping early on abort. A Readable is iterated
 * without destroyOnReturn: stopping at EntityTooLarge must leave the request
 * stream (and its socket) alive so the S3 layer can still send the error.
 */
async function* chunksOf(source: Readable | AsyncIterable<Uint8Array>, signal: AbortSignal | undefined): AsyncGenerator<Uint8Array> {
  const iterable: AsyncIterable<unknown> = source instanceof Readable ? source.iterator({ destroyOnReturn: false }) : source;
  const iterator = iterable[Symbol.asyncIterator]();
  const aborted = signal === undefined ? undefined : abortPromise(signal);
  let finished = false;
  try {
    for (;;) {
      const step = await (aborted === undefined ? iterator.next() : Promise.race([iterator.next(), aborted.promise]));
      if (step.done === true) { finished = true; return; }
      const chunk = step.value;
      if (typeof chunk === 'string') yield Buffer.from(chunk);
      else if (chunk instanceof Uint8Array) yield chunk;
      else throw new TypeError('blob source yielded a non-binary chunk');
    }
  } finally {
    aborted?.dispose();
    // Let the source release its listeners; not awaited, since after an abort
    // its pending next() may never settle.
    if (!finished) iterator.return?.().catch(() => undefined);
  }
}

function abortPromise(signal: AbortSignal): { promise: Promise<never>; dispose: () => void } {
  let onAbort = (): void => undefined;
  const promise = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  promise.catch(() => undefined); // rejections are observed through the race
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) };
}

function tooLarge(maxSize: number, proposed: number | undefined): S3Error {
  return new S3Error('EntityTooLarge', undefined, {
    ...(proposed === undefined ? {} : { ProposedSize: String(proposed) }),
    MaxSizeAllowed: String(maxSize),
  });
}

