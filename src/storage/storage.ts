import { mkdir } from 'node:fs/promises';
import { S3Error } from '../errors.js';
import type { MetadataBackend } from './backend.js';
import { BlobNotFoundError, BlobStore, type BlobWriteOptions, type ByteRange, type ChecksumComputer, type WrittenDigests } from './blob-store.js';
import type { BodySource } from './body-digest.js';
import type { MetadataStore } from './metadata-store.js';
import { MultipartStorage } from './multipart-storage.js';
import { noSuchBucket, writeObject, type PutObjectOutcome } from './object-write.js';
import { BytesBody, type ObjectBody } from './opened-blob.js';
import { openParts } from './part-stream.js';
import type { BucketRecord, ObjectMetadataInput, ObjectRecord } from './types.js';

export { METADATA_FILE } from './backend.js';
export type { PutObjectOutcome } from './object-write.js';

export interface RecoveryReport {
  readonly tempFilesRemoved: number;
  readonly orphanBlobsRemoved: number;
  readonly foreignFiles: number;
}

export interface GetObjectOptions {
  /**
   * A fixed range, or one resolved against the record found (its size, its
   * ETag for conditional requests); the function may throw an S3Error such as
   * InvalidRange or PreconditionFailed, and then no file is opened.
   */
  readonly range?: ByteRange | ((object: ObjectRecord) => ByteRange | undefined) | undefined;
  /** One version (null: the "null" one) rather than the current one. */
  readonly versionId?: string | null | undefined;
}

export interface FoundObject {
  readonly object: ObjectRecord;
  readonly range: ByteRange | undefined;
  readonly body: ObjectBody;
  /** The bytes, when they were small enough to read whole (a GET sends them in one write). */
  readonly bytes?: Buffer;
}

/** Freed blobs unlinked per round. */
const FREED_BATCH = 2500;

/** Re-reads after a blob vanished under a concurrent replace; more means corruption. */
const GET_ATTEMPTS = 3;

/**
 * Objects up to this size (by their promised length) keep their bytes in the
 * metadata database, committed with the row: one shared WAL fsync instead of
 * a file fsync, a rename and a directory fsync each. SQLite reads and writes
 * blobs this small faster than the filesystem (sqlite.org/intern-v-extern-blob.html);
 * MinIO and Garage inline small objects for the same reason.
 */
export const INLINE_MAX = 64 * 1024;

/**
 * What the S3 layer uses for object bytes: the protocol across the two
 * stores (a PutObject's, blob first, then the row, then the replaced blob's
 * removal, lives in object-write.ts), reads that retry when a concurrent
 * replace unlinked the blob, deletes, and the disposal of freed blobs.
 */
export class Storage {
  /** Multipart uploads: parts, completion, abort, expiry. */
  readonly multipart: MultipartStorage;
  /** Blobs a reader of a multipart object still needs (count of readers), and those whose unlink waits for them. */
  private readonly pins = new Map<string, number>();
  private readonly unlinkWhenUnpinned = new Set<string>();
  /** With a shared data dir: gives up this node's id (held while the node runs). */
  private releaseNodeId: (() => Promise<void>) | undefined;

  constructor(
    readonly metadata: MetadataStore,
    readonly blobs: BlobStore,
    private readonly warn: (message: string, error: unknown) => void = () => undefined,
    /** Set when other nodes share the blob directory (see SharedDataDir). */
    readonly shared?: SharedDataDir,
  ) {
    this.multipart = new MultipartStorage(this);
  }

  /**
   * Opens (creating if needed) a data directory with the given metadata
   * backend, and recovers it. A backend shared by several nodes needs
   * `shared` (this node's id and the blob grace period).
   */
  static async open(
    dataDir: string,
    backend: MetadataBackend,
    warn?: (message: string, error: unknown) => void,
    shared?: SharedDataDir,
  ): Promise<{ storage: Storage; recovery: RecoveryReport }> {
    if (backend.sharedDataDir && shared === undefined) throw new Error(`a ${backend.kind} backend shares the data dir: give this node an id and a blob grace period`);
    // Owner-only: the directory holds the metadata database and, by default, the master key.
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    const blobs = new BlobStore(dataDir, undefined, shared?.nodeId);
    await blobs.init();
    const storage = new Storage(await backend.open(dataDir, (message) => warn?.(message, undefined)), blobs, warn, shared);
    try {
      if (shared !== undefined) {
        // Two live nodes with one id would clean each other's temp files: the second one is refused.
        const release = await storage.metadata.claim(`node/${shared.nodeId}`);
        if (release === undefined) throw new Error(`node id ${shared.nodeId} is in use by another running node on this database: give each node its own --node-id`);
        storage.releaseNodeId = release;
      }
      return { storage, recovery: await storage.recover() };
    } catch (error) {
      await storage.close();
      throw error;
    }
  }

  /**
   * Run before serving requests. Alone on the data dir, a write in flight
   * would look like an orphan, so nothing may be writing; shared, only this
   * node's temp files are cleaned and only blobs older than the grace period
   * are swept (other nodes are writing meanwhile).
   */
  async recover(): Promise<RecoveryReport> {
    const tempFilesRemoved = await this.blobs.cleanTemp();
    const swept = await this.sweepOrphans();
    return { tempFilesRemoved, orphanBlobsRemoved: swept?.removed ?? 0, foreignFiles: swept?.foreign ?? 0 };
  }

  /** Unreferenced blob files; with a shared data dir, one node at a time and only past the grace period. Undefined when another node was sweeping. */
  sweepOrphans(): Promise<{ removed: number; foreign: number } | undefined> {
    const referenced = (ids: readonly string[]) => this.metadata.referencedBlobIds(ids);
    if (this.shared === undefined) return this.blobs.sweepOrphans(referenced);
    const before = new Date(Date.now() - this.shared.blobGraceMs);
    return this.metadata.exclusive('orphan-sweep', () => this.blobs.sweepOrphans(referenced, before));
  }

  /**
   * Whether a body of this promised length is stored inline (in the metadata
   * row): such a body may as well be handed over whole, gathered in memory,
   * which costs less than streaming it.
   */
  storesInline(expectedLength: number | undefined): boolean {
    return expectedLength !== undefined && expectedLength <= INLINE_MAX;
  }

  /**
   * Stores the body as the new current version of bucket/key (the bucket by
   * name, or its record when the caller has just looked it up); see
   * object-write.ts.
   */
  putObject<C extends Record<string, ChecksumComputer> = Record<never, ChecksumComputer>>(
    target: string | BucketRecord,
    key: string,
    body: BodySource,
    meta: ObjectMetadataInput | ((written: WrittenDigests<C>) => ObjectMetadataInput),
    options: BlobWriteOptions<C> = {},
  ): Promise<PutObjectOutcome<C>> {
    return writeObject(this, target, key, body, meta, options);
  }

  /**
   * The current version, or the one named (`versionId` null: the "null"
   * one). A key whose latest version is a delete marker is NoSuchKey with
   * `x-amz-delete-marker`; naming a delete marker is 405 MethodNotAllowed, as on S3.
   */
  async headObject(bucket: string, key: string, versionId?: string | null): Promise<ObjectRecord> {
    if (versionId !== undefined) return this.headVersion(bucket, key, versionId);
    const found = await this.metadata.getObject(bucket, key);
    if (found.kind === 'no-such-bucket') throw noSuchBucket(bucket);
    if (found.kind === 'no-such-key') {
      const marker: Record<string, string> = found.deleteMarker === undefined ? {} : { 'x-amz-delete-marker': 'true', 'x-amz-version-id': found.deleteMarker.versionId ?? 'null' };
      throw new S3Error('NoSuchKey', undefined, { Key: key }, marker);
    }
    return found.object;
  }

  private async headVersion(bucket: string, key: string, versionId: string | null): Promise<ObjectRecord> {
    const found = await this.metadata.getObjectVersion(bucket, key, versionId);
    if (found.kind === 'no-such-bucket') throw noSuchBucket(bucket);
    if (found.kind === 'no-such-version') throw new S3Error('NoSuchVersion', undefined, { Key: key, VersionId: versionId ?? 'null' });
    if (found.kind === 'delete-marker') {
      throw new S3Error('MethodNotAllowed', undefined, { Method: 'GET', ResourceType: 'DeleteMarker' }, {
        'x-amz-delete-marker': 'true', 'x-amz-version-id': versionId ?? 'null', 'last-modified': found.lastModified.toUTCString(), allow: 'DELETE',
      });
    }
    return found.object;
  }

  /**
   * The record and an open stream of its bytes. Between reading the row and
   * opening the blob a concurrent PUT may replace and unlink it; the row has
   * then changed too, so reading again finds the new version (or NoSuchKey).
   */
  async getObject(bucket: string, key: string, options: GetObjectOptions = {}): Promise<FoundObject> {
    let lastMissing: BlobNotFoundError | undefined;
    for (let attempt = 0; attempt < GET_ATTEMPTS; attempt++) {
      const object = await this.headObject(bucket, key, options.versionId);
      if (lastMissing !== undefined && (object.parts ?? [object]).some((p) => p.blobId === lastMissing?.blobId)) break; // the row really points at nothing
      if (object.parts !== undefined && !(await this.pinCurrent(object, options.versionId))) continue;
      try {
        const range = typeof options.range === 'function' ? options.range(object) : options.range;
        if (object.inline === true) {
          const whole = await this.readInline(object.blobId);
          const bytes = range ? whole.subarray(range.start, range.end + 1) : whole;
          return { object, bytes, range, body: new BytesBody(bytes) };
        }
        if (object.parts === undefined) {
          const bytes = await this.blobs.readIfSmall(object.blobId, range, object.size);
          if (bytes !== undefined) return { object, bytes, range, body: new BytesBody(bytes) };
          return { object, body: await this.blobs.openFile(object.blobId, range), range };
        }
        return { object, body: await openParts(this.blobs, object.parts, range, () => this.unpin(object)), range };
      } catch (error) {
        if (object.parts !== undefined) this.unpin(object);
        if (!(error instanceof BlobNotFoundError)) throw error;
        lastMissing = error;
      }
    }
    throw new Error(`metadata for ${bucket}/${key} points at a missing blob`, { cause: lastMissing });
  }

  /**
   * S3 semantics: deleting a missing key succeeds; `deleted` tells whether one
   * existed. In a versioned bucket a delete marker is added (`marker`: its id,
   * "null" for the null one) and no version's bytes go.
   */
  async deleteObject(bucket: string, key: string): Promise<{ deleted: boolean; marker?: string }> {
    const result = await this.metadata.deleteObject(bucket, key);
    if (result.kind === 'no-such-bucket') throw noSuchBucket(bucket);
    if (result.kind === 'no-such-key') return { deleted: false };
    if (result.kind === 'marked') {
      await this.discard(result.freedBlobIds);
      return { deleted: true, marker: result.versionId ?? 'null' };
    }
    await this.discard([result.blobId, ...(result.partBlobIds ?? [])]);
    return { deleted: true };
  }

  /** Deletes one version (or delete marker) for good; its bytes are freed. */
  async deleteObjectVersion(bucket: string, key: string, versionId: string | null): Promise<{ deleteMarker: boolean } | undefined> {
    const result = await this.metadata.deleteObjectVersion(bucket, key, versionId);
    if (result.kind === 'no-such-bucket') throw noSuchBucket(bucket);
    if (result.kind === 'no-such-version') return undefined;
    await this.discard(result.freedBlobIds);
    return { deleteMarker: result.deleteMarker };
  }

  async close(): Promise<void> {
    await this.releaseNodeId?.();
    await this.metadata.close();
  }

  /**
   * Unlinks blobs no row references any more. A blob a reader has pinned is
   * unlinked when the last such reader finishes. One that fails to unlink is
   * only an orphan: the next start-up sweeps it. A null (an inline
   * version, whose bytes went with its row) is skipped. With a shared data
   * dir, a reader on another node may still be streaming the blob: it is
   * recorded to be unlinked after the grace period instead (see sweepFreed).
   */
  async discard(blobIds: readonly (string | null)[]): Promise<void> {
    if (this.shared !== undefined) {
      const ids = blobIds.filter((id): id is string => id !== null);
      if (ids.length === 0) return;
      try {
        await this.metadata.uploads.freeBlobsLater(ids, new Date(Date.now() + this.shared.blobGraceMs));
      } catch (error) {
        this.warn('could not record freed blobs; the orphan sweep will remove them', error);
      }
      return;
    }
    await this.unlink(blobIds);
  }

  /** A blob whose commit was refused (its bucket or upload is gone): no row ever referenced it, nobody can be reading it. */
  async discardUncommitted(blobId: string): Promise<void> {
    await this.unlink([blobId]);
  }

  /**
   * A blob whose commit threw. Alone on the data dir the transaction rolled
   * back; a database server may have committed before the connection broke,
   * so then the blob is left for the orphan sweep, which asks the database.
   */
  async discardAfterFailedCommit(blobId: string): Promise<void> {
    if (this.shared === undefined) await this.unlink([blobId]);
  }

  /**
   * Unlinks freed blobs that are due (a deleted bucket's upload parts; with a
   * shared data dir, every freed blob once its grace period is over); one node
   * at a time. Returns how many were handled.
   */
  async sweepFreed(): Promise<number> {
    const uploads = this.metadata.uploads;
    const swept = await this.metadata.exclusive('freed-blobs', async () => {
      let freed = 0;
      for (;;) {
        const pending = await uploads.pendingFreedBlobs(FREED_BATCH);
        if (pending.length === 0) return freed;
        // Only rows that no longer exist were cascaded away; a blob still referenced stays.
        const live = await this.metadata.referencedBlobIds(pending);
        await this.unlink(pending.filter((id) => !live.has(id)));
        await uploads.forgetFreedBlobs(pending);
        freed += pending.length;
      }
    });
    return swept ?? 0;
  }

  private async unlink(blobIds: readonly (string | null)[]): Promise<void> {
    for (const blobId of blobIds) {
      if (blobId === null) continue;
      if (this.pins.has(blobId)) {
        this.unlinkWhenUnpinned.add(blobId);
        continue;
      }
      try {
        await this.blobs.delete(blobId);
      } catch (error) {
        this.warn(`could not delete blob ${blobId}; start-up recovery will`, error);
      }
    }
  }

  /** An inline body, from the blob cache when there; a version replaced since its row was read is "not found" and read again. */
  private async readInline(blobId: string): Promise<Buffer> {
    const cached = this.blobs.cached(blobId);
    if (cached !== undefined) return cached;
    const bytes = await this.metadata.readInlineBlob(blobId);
    if (bytes === null) throw new BlobNotFoundError(blobId);
    this.blobs.remember(blobId, bytes);
    return bytes;
  }

  /**
   * Pins a multipart object's blobs, then checks the row still names them. A
   * replace committed before the pin shows up in that re-read (blob ids are
   * never reused); one committed after it finds the blobs pinned and leaves
   * them in place until the read ends.
   */
  private async pinCurrent(object: ObjectRecord, versionId: string | null | undefined): Promise<boolean> {
    for (const part of object.parts ?? []) this.pins.set(part.blobId, (this.pins.get(part.blobId) ?? 0) + 1);
    const again = versionId === undefined
      ? await this.metadata.getObject(object.bucket, object.key)
      : await this.metadata.getObjectVersion(object.bucket, object.key, versionId);
    if (again.kind === 'found' && again.object.blobId === object.blobId) return true;
    this.unpin(object);
    return false;
  }

  private unpin(object: ObjectRecord): void {
    const release: string[] = [];
    for (const part of object.parts ?? []) {
      const left = (this.pins.get(part.blobId) ?? 1) - 1;
      if (left > 0) {
        this.pins.set(part.blobId, left);
        continue;
      }
      this.pins.delete(part.blobId);
      if (this.unlinkWhenUnpinned.delete(part.blobId)) release.push(part.blobId);
    }
    if (release.length > 0) void this.unlink(release);
  }
}

/** A data dir whose blob directory other nodes share (a PostgreSQL backend). */
export interface SharedDataDir {
  /** Names this node's temp directory, tmp/<nodeId>/: unique among the nodes. */
  readonly nodeId: string;
  /** How long a freed blob stays for readers on other nodes, and how old an unreferenced file must be to count as an orphan. */
  readonly blobGraceMs: number;
}

