import type { FileHandle } from 'node:fs/promises';

/**
 * Bytes gathered before one write. A request hands over its body in socket
 * reads of 16-64 KiB; writing each one was a thread-pool round trip apiece,
 * a fifth of the server's CPU on a 64 MiB PUT.
 */
const BATCH_BYTES = 1024 * 1024;
/** writev takes at most IOV_MAX (1024) buffers at once; a body in tiny chunks is written before it gathers more. */
const BATCH_CHUNKS = 1024;
/**
 * Batches being written at once per file. When that many are out, the next
 * chunk waits for the oldest, and so does the reading of the body: a slow
 * disk slows the client, it never fills memory (at most about
 * (WRITES_IN_FLIGHT + 1) × BATCH_BYTES per upload).
 */
const WRITES_IN_FLIGHT = 2;
/**
 * Written bytes after which their write-back to the disk is started
 * (fdatasync, not awaited), so the disk works while the rest of the body
 * arrives and the fsync that makes the blob durable has only the tail left
 * to wait for, rather than the whole body at once.
 */
const SYNC_AHEAD_BYTES = 16 * 1024 * 1024;

/**
 * Writes a body into a new file in gathered batches at increasing offsets,
 * holding the chunks it was handed (never copied) until their batch is
 * written: the caller must not reuse a chunk's memory.
 */
export class GatheredWriter {
  private batch: Uint8Array[] = [];
  private batchBytes = 0;
  private position = 0;
  private readonly writing: Promise<void>[] = [];
  private unsynced = 0;
  private syncing: Promise<void> | undefined;

  constructor(private readonly file: FileHandle) {}

  /** Undefined when the chunk was only gathered: awaiting nothing costs a microtask per chunk. */
  add(chunk: Uint8Array): Promise<void> | undefined {
    if (chunk.byteLength === 0) return undefined;
    this.batch.push(chunk);
    this.batchBytes += chunk.byteLength;
    if (this.batchBytes < BATCH_BYTES && this.batch.length < BATCH_CHUNKS) return undefined;
    return this.flush();
  }

  /** Every byte handed over is in the file (not yet fsync'd). */
  async end(): Promise<void> {
    await this.flush();
    while (this.writing.length > 0) await this.writing.shift();
    await this.syncing;
  }

  /** After a failure: waits for the writes under way, so the file can be closed and unlinked. */
  async abandon(): Promise<void> {
    await Promise.allSettled([...this.writing.splice(0), this.syncing]);
  }

  private async flush(): Promise<void> {
    if (this.batchBytes === 0) return;
    if (this.writing.length >= WRITES_IN_FLIGHT) await this.writing.shift();
    const write = writeAll(this.file, this.batch, this.position);
    // Observed when awaited, in end() or a later flush(); abandon() settles it after a failure.
    write.catch(() => undefined);
    this.writing.push(write);
    this.position += this.batchBytes;
    this.unsynced += this.batchBytes;
    if (this.unsynced >= SYNC_AHEAD_BYTES && this.syncing === undefined) {
      this.unsynced = 0;
      // After this batch's write, so the write-back covers it. A failed one is kept, for end() to fail the upload with.
      const sync = write.then(() => this.file.datasync());
      sync.then(() => {
        if (this.syncing === sync) this.syncing = undefined;
      }, () => undefined);
      this.syncing = sync;
    }
    this.batch = [];
    this.batchBytes = 0;
  }
}

/** writev at `position` until every byte is written (a regular file may take fewer). */
async function writeAll(file: FileHandle, chunks: Uint8Array[], position: number): Promise<void> {
  let rest = chunks;
  let at = position;
  for (;;) {
    const { bytesWritten } = await file.writev(rest, at);
    at += bytesWritten;
    rest = dropBytes(rest, bytesWritten);
    if (rest.length === 0) return;
  }
}

function dropBytes(chunks: Uint8Array[], count: number): Uint8Array[] {
  let left = count;
  let i = 0;
  while (i < chunks.length && left >= (chunks[i]?.byteLength ?? 0)) left -= chunks[i++]?.byteLength ?? 0;
  const rest = chunks.slice(i);
  const first = rest[0];
  if (first !== undefined && left > 0) rest[0] = first.subarray(left);
  return rest;
}
