import { close as closeCallback, createReadStream, read as readCallback } from 'node:fs';
import { Readable, type Writable } from 'node:stream';

/** Inclusive byte offsets into a blob. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** Large reads: fewer trips to the thread pool per megabyte. */
export const LARGE_READ = 1024 * 1024;
/** Idle read buffers kept for the next send; concurrent sends beyond this allocate and later drop theirs. */
const IDLE_BUFFERS = 8;
const idle: Buffer[] = [];

/** An object's bytes, read once: as a stream, or sent into a destination. */
export interface ObjectBody {
  /** A stream of the bytes, for consumers that keep chunks. */
  stream(): Readable;
  /** Writes the bytes into `dest` with backpressure; resolves once `dest` has accepted the last chunk (the caller ends it). */
  sendTo(dest: Writable, onBytes: (n: number) => void): Promise<void>;
}

/** Bytes already in memory (a small or inline object). */
export class BytesBody implements ObjectBody {
  constructor(private readonly bytes: Buffer) {}

  stream(): Readable {
    return Readable.from([this.bytes], { objectMode: false });
  }

  sendTo(dest: Writable, onBytes: (n: number) => void): Promise<void> {
    onBytes(this.bytes.length);
    if (dest.write(this.bytes)) return Promise.resolve();
    return drained(dest);
  }
}

/**
 * A blob's descriptor, opened before the response headers go out (so a
 * replace or delete meanwhile cannot cut the read short), read once: either
 * as a stream, for consumers that keep chunks (copying into a new blob), or
 * sent into a destination through reused buffers (a GET). A stream allocates
 * a fresh megabyte per read; at hundreds of megabytes a second that external
 * memory drove V8 into a full mark-compact every few dozen megabytes, which
 * cost a third of the server's CPU on a large GET.
 */
export class OpenedBlob implements ObjectBody {
  private claimed = false;

  constructor(
    private readonly fd: number,
    private readonly range: ByteRange | undefined,
  ) {}

  /** The bytes as a stream that owns (and closes) the descriptor. */
  stream(): Readable {
    this.claim();
    return createReadStream('', { fd: this.fd, autoClose: true, highWaterMark: LARGE_READ, ...(this.range ?? {}) });
  }

  /** Closes the descriptor before it settles; rejects on a read error, a blob shorter than its range, or a destination destroyed before the end. */
  async sendTo(dest: Writable, onBytes: (n: number) => void): Promise<void> {
    this.claim();
    try {
      await pump(this.fd, this.range, dest, onBytes);
    } finally {
      await new Promise<void>((resolve) => closeCallback(this.fd, () => resolve()));
    }
  }

  private claim(): void {
    if (this.claimed) throw new Error('an opened blob is read once');
    this.claimed = true;
  }
}

async function pump(fd: number, range: ByteRange | undefined, dest: Writable, onBytes: (n: number) => void): Promise<void> {
  let position = range?.start ?? 0;
  const end = range?.end ?? Infinity;
  while (position <= end) {
    if (dest.destroyed) throw new Error('the destination closed before the body was sent');
    const buffer = idle.pop() ?? Buffer.allocUnsafeSlow(LARGE_READ);
    let n: number;
    try {
      n = await readAt(fd, buffer, Math.min(LARGE_READ, end - position + 1), position);
    } catch (error) {
      giveBack(buffer);
      throw error;
    }
    if (n === 0) {
      giveBack(buffer);
      if (range === undefined) return;
      throw new Error(`blob ended at byte ${position}, before byte ${end + 1}`);
    }
    position += n;
    onBytes(n);
    // A socket may hold the chunk until the kernel takes it: the buffer is reused only after its write callback.
    if (!dest.write(buffer.subarray(0, n), () => giveBack(buffer))) await drained(dest);
  }
}

function giveBack(buffer: Buffer): void {
  if (idle.length < IDLE_BUFFERS) idle.push(buffer);
}

function readAt(fd: number, buffer: Buffer, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => readCallback(fd, buffer, 0, length, position, (error, n) => (error ? reject(error) : resolve(n))));
}

function drained(dest: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (error?: Error) => {
      dest.off('drain', onDrain);
      dest.off('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = () => settle();
    const onClose = () => settle(new Error('the destination closed before the body was sent'));
    if (dest.destroyed) return onClose();
    dest.on('drain', onDrain);
    dest.on('close', onClose);
  });
}
