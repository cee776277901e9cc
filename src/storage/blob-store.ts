import { randomFillSync } from 'node:crypto';
import { closeSync, open as openCallback, read as readCallback } from 'node:fs';
import { mkdir, open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fsyncPath } from './fsync-path.js';
import { GatheredWriter } from './gathered-writer.js';
import { OpenedBlob, type ByteRange } from './opened-blob.js';
import { digestBody, refuseEarly, type BodyOptions, type ChecksumComputer, type StreamedBody, type WrittenDigests } from './body-digest.js';
import { SmallBlobCache } from './small-blob-cache.js';

export type { BodyOptions as BlobWriteOptions, ChecksumComputer, WrittenDigests } from './body-digest.js';

export interface WrittenBlob<C> extends WrittenDigests<C> {
  readonly blobId: string;
}

/** Inclusive byte offsets, already validated against the object size. */
export type { ByteRange } from './opened-blob.js';

export class BlobNotFoundError extends Error {
  constructor(readonly blobId: string) {
    super(`blob ${blobId} is missing`);
    this.name = 'BlobNotFoundError';
  }
}

const BLOB_ID = /^[0-9a-f]{32}$/;

const ID_BYTES = 16;
const idPool = Buffer.alloc(ID_BYTES * 256);
let idNext = idPool.length;

/** Hex of `bytes` random bytes, cut from a pool drawn 4 KiB at a time: a randomBytes(16) call per PUT cost ~10 µs, a slice well under 1. */
function randomHex(bytes: number): string {
  if (idNext + bytes > idPool.length) {
    randomFillSync(idPool);
    idNext = 0;
  }
  const hex = idPool.toString('hex', idNext, idNext + bytes);
  idNext += bytes;
  return hex;
}

/** Random, so never derived from a key, and never reused: a cached or pinned id always means the same bytes. */
export function newBlobId(): string {
  return randomHex(ID_BYTES);
}

/**
 * The id of a body stored inline: the time in ms (12 hex digits), then 80
 * random bits. Still never derived from a key nor reused, and each new id
 * sorts after the previous ones, so storing it touches the right-hand edge of
 * the two blob_id indexes instead of a random page of each (measured: a
 * quarter of SQLite's CPU per small PUT). Not for files: a file's fan-out
 * directory is the first two digits of its id, which must be random.
 */
export function newInlineBlobId(): string {
  return Date.now().toString(16).padStart(12, '0') + randomHex(10);
}

const FAN_OUT = /^[0-9a-f]{2}$/;
const SWEEP_BATCH = 500;
/** Reads up to this size are done in one call (the default stream chunk). */
const SMALL_READ = 64 * 1024;
/** Memory for whole small blobs (see SmallBlobCache). */
const DEFAULT_SMALL_CACHE = 32 * 1024 * 1024;

/**
 * Object bytes as files under <dataDir>/blobs/<2 hex>/<32 hex>. Names are
 * random ids, never derived from object keys, so no key (`../x`, NUL-free
 * oddities, 1024-byte names) ever reaches a path. A blob is immutable once
 * written: a new version is a new blob, which is what lets an open reader keep
 * the old bytes while a replace or delete goes on.
 */
export class BlobStore {
  readonly blobDir: string;
  readonly tmpDir: string;

  private readonly small: SmallBlobCache;

  /**
   * `nodeId`: with a data dir shared by several nodes, this node's temp files
   * live in tmp/<nodeId>/, which only this node ever cleans.
   */
  constructor(
    readonly dataDir: string,
    smallBlobCacheBytes = DEFAULT_SMALL_CACHE,
    nodeId?: string,
  ) {
    this.blobDir = join(dataDir, 'blobs');
    this.tmpDir = nodeId === undefined ? join(dataDir, 'tmp') : join(dataDir, 'tmp', nodeId);
    this.small = new SmallBlobCache(smallBlobCacheBytes);
  }

  async init(): Promise<void> {
    await mkdir(this.blobDir, { recursive: true });
    await mkdir(this.tmpDir, { recursive: true });
  }

  /**
   * Streams `source` into a new blob: temp file → fsync → rename into place →
   * fsync the directory. Either the whole blob exists under its id when this
   * resolves, or nothing but a temp file that cleanTemp() removes at start-up.
   * Chunks are gathered into large writes, a bounded number at once (see
   * GatheredWriter), so a slow disk slows the client (backpressure).
   */
  async write<C extends Record<string, ChecksumComputer>>(
    source: StreamedBody,
    options: BodyOptions<C> = {},
  ): Promise<WrittenBlob<C>> {
    refuseEarly(options);
    const blobId = newBlobId();
    const tmpPath = join(this.tmpDir, `${blobId}.tmp`);
    let file: FileHandle | undefined;
    let writer: GatheredWriter | undefined;
    try {
      file = await open(tmpPath, 'wx', 0o600);
      const gathered = (writer = new GatheredWriter(file));
      const written = await digestBody(source, options, (chunk) => gathered.add(chunk));
      await gathered.end();
      await file.sync();
      await file.close();
      file = undefined;
      await this.publish(tmpPath, blobId);
      return { blobId, ...written };
    } catch (error) {
      await writer?.abandon();
      await file?.close().catch(() => undefined);
      await unlink(tmpPath).catch(() => undefined);
      throw error;
    }
  }

  /**
   * A stream of the blob's bytes (or the inclusive range). The descriptor is
   * opened before this resolves, so a delete or replace afterwards cannot cut
   * the read short: POSIX keeps an unlinked file's data while it is open.
   */
  async open(blobId: string, range?: ByteRange, size?: number): Promise<Readable> {
    const bytes = await this.readIfSmall(blobId, range, size);
    if (bytes !== undefined) return Readable.from([bytes], { objectMode: false });
    return (await this.openFile(blobId, range)).stream();
  }

  /** The blob's descriptor, opened now and read later, as a stream or sent into a destination (see OpenedBlob). */
  async openFile(blobId: string, range?: ByteRange): Promise<OpenedBlob> {
    return new OpenedBlob(await this.openBlob(blobId), range);
  }

  /** The bytes (or the range of them) of a blob of at most 64 KiB, from memory when cached; undefined for larger blobs. */
  async readIfSmall(blobId: string, range?: ByteRange, size?: number): Promise<Buffer | undefined> {
    if (size === undefined || size > SMALL_READ) return undefined;
    const whole = this.small.get(blobId) ?? (await this.readSmall(blobId, size));
    return range ? whole.subarray(range.start, range.end + 1) : whole;
  }

  /** Whole small blobs kept in memory, also for bodies stored outside this store (inline objects): ids are never reused. */
  cached(blobId: string): Buffer | undefined {
    return this.small.get(blobId);
  }

  remember(blobId: string, bytes: Buffer): void {
    this.small.set(blobId, bytes);
  }

  /** One open, one read, one close, then the bytes stay cached: the stream machinery would cost more than the bytes. */
  private async readSmall(blobId: string, size: number): Promise<Buffer> {
    const fd = await this.openBlob(blobId);
    try {
      const buffer = Buffer.allocUnsafe(size);
      const whole = buffer.subarray(0, await readFd(fd, buffer, 0));
      this.small.set(blobId, whole);
      return whole;
    } finally {
      closeSync(fd);
    }
  }

  /** Plain descriptors, not FileHandles: on a small GET the FileHandle objects cost more than the read. */
  private async openBlob(blobId: string): Promise<number> {
    try {
      return await openFd(this.pathOf(blobId));
    } catch (error) {
      if (isErrno(error, 'ENOENT')) throw new BlobNotFoundError(blobId);
      throw error;
    }
  }

  /** Idempotent: a missing blob is already deleted. */
  async delete(blobId: string): Promise<void> {
    this.small.delete(blobId);
    try {
      await unlink(this.pathOf(blobId));
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) throw error;
    }
  }

  async exists(blobId: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(blobId))).isFile();
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return false;
      throw error;
    }
  }

  /** Start-up only: removes what this node's writes interrupted by a crash left behind (never another node's directory). */
  async cleanTemp(): Promise<number> {
    let removed = 0;
    for (const entry of await readdir(this.tmpDir, { withFileTypes: true })) {
      if (!entry.isFile()) continue;
      await unlink(join(this.tmpDir, entry.name)).catch((e: unknown) => { if (!isErrno(e, 'ENOENT')) throw e; });
      removed++;
    }
    return removed;
  }

  /**
   * Deletes blobs no metadata row references. A crash between "blob written"
   * and "row committed", or before a replaced blob was unlinked, leaves exactly
   * such blobs. Alone on a data dir, this runs at start-up before any write is
   * accepted; on a shared one, at any time, with `modifiedBefore`. Files whose
   * names are not blob ids are left alone and counted as foreign.
   */
  async sweepOrphans(
    referenced: (blobIds: readonly string[]) => Promise<Set<string>>,
    /**
     * With a shared data dir, other nodes are writing while this runs: a file
     * modified after this instant may be one whose row is about to commit, so
     * it is kept (the next sweep decides).
     */
    modifiedBefore?: Date,
  ): Promise<{ removed: number; kept: number; foreign: number }> {
    const counts = { removed: 0, kept: 0, foreign: 0 };
    const young = async (id: string): Promise<boolean> => {
      if (modifiedBefore === undefined) return false;
      try {
        return (await stat(this.pathOf(id))).mtimeMs >= modifiedBefore.getTime();
      } catch (error) {
        if (isErrno(error, 'ENOENT')) return true; // gone already: nothing to remove
        throw error;
      }
    };
    const flush = async (batch: string[]): Promise<void> => {
      if (batch.length === 0) return;
      const live = await referenced(batch);
      for (const id of batch) {
        if (live.has(id) || (await young(id))) counts.kept++;
        else { await this.delete(id); counts.removed++; }
      }
    };
    for (const dir of await readdir(this.blobDir, { withFileTypes: true })) {
      if (!dir.isDirectory() || !FAN_OUT.test(dir.name)) { counts.foreign++; continue; }
      let batch: string[] = [];
      for (const name of await readdir(join(this.blobDir, dir.name))) {
        if (!BLOB_ID.test(name) || !name.startsWith(dir.name)) { counts.foreign++; continue; }
        batch.push(name);
        if (batch.length >= SWEEP_BATCH) { await flush(batch); batch = []; }
      }
      await flush(batch);
    }
    return counts;
  }

  pathOf(blobId: string): string {
    // The id is the only thing that ever becomes a path; refuse anything else.
    if (!BLOB_ID.test(blobId)) throw new Error(`not a blob id: ${JSON.stringify(blobId)}`);
    return join(this.blobDir, blobId.slice(0, 2), blobId);
  }

  private async publish(tmpPath: string, blobId: string): Promise<void> {
    const dir = join(this.blobDir, blobId.slice(0, 2));
    const created = await mkdir(dir, { recursive: true });
    // A fresh fan-out directory must itself be durable in blobs/.
    if (created !== undefined) await fsyncPath(this.blobDir);
    await rename(tmpPath, join(dir, blobId));
    await fsyncPath(dir);
  }
}

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

function openFd(path: string): Promise<number> {
  return new Promise((resolve, reject) => openCallback(path, 'r', (error, fd) => (error ? reject(error) : resolve(fd))));
}

function readFd(fd: number, buffer: Buffer, position: number): Promise<number> {
  return new Promise((resolve, reject) =>
    readCallback(fd, buffer, 0, buffer.length, position, (error, bytesRead) => (error ? reject(error) : resolve(bytesRead))),
  );
}
