import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { createChecksum, parseChecksumAlgorithm } from '../checksums.js';
import { S3Error } from '../errors.js';
import { BlobNotFoundError, type BlobWriteOptions, type ChecksumComputer, type WrittenDigests } from './blob-store.js';
import { MAX_PART_NUMBER, planCompletion, type CompletionPlan, type RequestedPart } from './multipart-plan.js';
import { encodeKey } from './object-key.js';
import type { Storage } from './storage.js';
import type { ObjectRecord } from './types.js';
import {
  reportedChecksumType, type ChecksumType, type CreateUploadInput, type ListPartsQuery, type ListPartsResult, type ListUploadsQuery,
  type ListUploadsResult, type PartRecord, type UploadRecord, type UploadStore,
} from './upload-store.js';

/** Completion re-plans when a part was re-uploaded between reading and committing; more than this is a client racing itself. */
const COMPLETE_ATTEMPTS = 3;
const SWEEP_BATCH = 100;

/** What a completion answers with: the object, and the checksum type its upload reported (none without an algorithm). */
export interface CompletedObject {
  readonly object: ObjectRecord;
  readonly checksumType: ChecksumType | undefined;
}

type Listed<R> = Extract<R, { kind: 'listed' }>;

/**
 * The write protocol for multipart uploads, on top of Storage's two stores.
 * Each part streams into its own blob (durable before its row commits, as for
 * PutObject); completing commits one transaction that turns the part blobs
 * into the object, so no byte is copied and readers see the old object or the
 * whole new one. Every blob a change frees is unlinked after it is durable.
 */
export class MultipartStorage {
  constructor(private readonly storage: Storage) {}

  private get uploads(): UploadStore {
    return this.storage.metadata.uploads;
  }

  async create(input: Omit<CreateUploadInput, 'uploadId'>): Promise<UploadRecord> {
    encodeKey(input.key);
    // Long and random: an upload id is a capability to add parts to someone's upload.
    // Hex, not base64url: an id starting with '-' reads as an option to the aws CLI.
    const uploadId = randomBytes(24).toString('hex');
    const result = await this.uploads.createUpload({ ...input, uploadId });
    if (result.kind === 'no-such-bucket') throw noSuchBucket(input.bucket);
    return result.upload;
  }

  /** The open upload, if the id names one of this key. */
  getUpload(bucket: string, key: string, uploadId: string): Promise<UploadRecord | null> {
    return this.uploads.getUpload(bucket, key, uploadId);
  }

  /** NoSuchBucket, then NoSuchUpload when the id does not name an upload of this key. */
  async requireUpload(bucket: string, key: string, uploadId: string): Promise<UploadRecord> {
    const upload = await this.uploads.getUpload(bucket, key, uploadId);
    if (upload !== null) return upload;
    if ((await this.storage.metadata.getBucket(bucket)) === null) throw noSuchBucket(bucket);
    throw noSuchUpload(uploadId);
  }

  /**
   * Streams one part into a new blob and records it, replacing an earlier
   * upload of the same number. An upload completed or aborted meanwhile gets
   * NoSuchUpload, and the blob goes.
   */
  async uploadPart<C extends Record<string, ChecksumComputer>>(
    upload: UploadRecord,
    partNumber: number,
    body: Readable | AsyncIterable<Uint8Array>,
    checksums: (written: WrittenDigests<C>) => Readonly<Record<string, string>>,
    options: BlobWriteOptions<C> = {},
  ): Promise<PartRecord> {
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER) throw new Error(`part number ${partNumber} out of range`);
    const blob = await this.storage.blobs.write(body, options);
    let stored;
    try {
      stored = await this.uploads.putPart({
        bucket: upload.bucket, key: upload.key, uploadId: upload.uploadId,
        part: { partNumber, size: blob.size, etag: blob.md5.toString('hex'), checksums: checksums(blob), blobId: blob.blobId },
      });
    } catch (error) {
      await this.storage.discardAfterFailedCommit(blob.blobId);
      throw error;
    }
    if (stored.kind === 'no-such-upload') {
      await this.storage.discardUncommitted(blob.blobId);
      throw noSuchUpload(upload.uploadId);
    }
    if (stored.replacedBlobId !== null) await this.storage.discard([stored.replacedBlobId]);
    return stored.part;
  }

  async listParts(query: ListPartsQuery): Promise<Listed<ListPartsResult>> {
    const result = await this.uploads.listParts(query);
    if (result.kind === 'listed') return result;
    await this.requireUpload(query.bucket, query.key, query.uploadId);
    throw noSuchUpload(query.uploadId);
  }

  async listUploads(query: ListUploadsQuery): Promise<Listed<ListUploadsResult>> {
    const result = await this.uploads.listUploads(query);
    if (result.kind === 'no-such-bucket') throw noSuchBucket(query.bucket);
    return result;
  }

  /** Validates the request against the stored parts and commits the object; see planCompletion. */
  async complete(bucket: string, key: string, uploadId: string, requested: readonly RequestedPart[]): Promise<CompletedObject> {
    for (let attempt = 1; ; attempt++) {
      const listed = await this.uploads.listParts({ bucket, key, uploadId, after: 0, maxParts: MAX_PART_NUMBER });
      if (listed.kind === 'no-such-upload') return this.completed(bucket, key, uploadId);
      let plan: CompletionPlan;
      try {
        plan = await this.withFullObjectChecksum(listed.upload, await planCompletion(listed.upload, listed.parts, requested));
      } catch (error) {
        if (error instanceof BlobNotFoundError && attempt < COMPLETE_ATTEMPTS) continue; // a part was replaced while we read it
        throw error;
      }
      const result = await this.uploads.completeUpload({ bucket, key, uploadId, ...plan });
      if (result.kind === 'no-such-upload') return this.completed(bucket, key, uploadId); // completed by a request racing this one
      if (result.kind === 'parts-changed') {
        if (attempt < COMPLETE_ATTEMPTS) continue;
        throw new S3Error('InvalidPart', 'A part was uploaded again while the upload was being completed.', { UploadId: uploadId });
      }
      await this.storage.discard(result.freedBlobIds);
      return { object: result.object, checksumType: reportedChecksumType(listed.upload) };
    }
  }

  /**
   * A retried completion (its first response was lost) gets the object the
   * upload made, as long as that is still the key's current version; anything
   * else is NoSuchUpload (or NoSuchBucket), as for an id never seen.
   */
  async completed(bucket: string, key: string, uploadId: string): Promise<CompletedObject> {
    const done = await this.uploads.getCompletedUpload(bucket, key, uploadId);
    if (done !== null) {
      const current = await this.storage.metadata.getObject(bucket, key);
      if (current.kind === 'found' && current.object.blobId === done.blobId && current.object.etag === done.etag) {
        return { object: current.object, checksumType: done.checksumType };
      }
    }
    if ((await this.storage.metadata.getBucket(bucket)) === null) throw noSuchBucket(bucket);
    throw noSuchUpload(uploadId);
  }

  /** 204 whether or not parts existed; the part blobs go at once. */
  async abort(bucket: string, key: string, uploadId: string): Promise<void> {
    const result = await this.uploads.abortUpload(bucket, key, uploadId);
    if (result.kind === 'no-such-upload') {
      await this.requireUpload(bucket, key, uploadId);
      throw noSuchUpload(uploadId);
    }
    await this.storage.discard(result.freedBlobIds);
  }

  /** Background housekeeping: aborts uploads initiated before `before`, and unlinks blobs freed by cascades. */
  async sweep(before: Date): Promise<{ expired: number; freed: number }> {
    let expired = 0;
    let freed = 0;
    for (;;) {
      const batch = await this.uploads.expireUploads(before, SWEEP_BATCH);
      await this.storage.discard(batch.freedBlobIds);
      expired += batch.expired;
      freed += batch.freedBlobIds.length;
      if (batch.expired < SWEEP_BATCH) break;
    }
    freed += await this.storage.sweepFreed();
    return { expired, freed };
  }

  /** FULL_OBJECT uploads need a checksum of the whole object: one read of the part blobs, still no copy. */
  private async withFullObjectChecksum(upload: UploadRecord, plan: CompletionPlan): Promise<CompletionPlan> {
    const algorithm = upload.checksumAlgorithm === undefined ? undefined : parseChecksumAlgorithm(upload.checksumAlgorithm);
    if (algorithm === undefined || upload.checksumType !== 'FULL_OBJECT') return plan;
    const checksum = createChecksum(algorithm);
    for (const part of plan.parts) {
      if (part.size === 0) continue;
      for await (const chunk of await this.storage.blobs.open(part.blobId)) checksum.update(chunk as Uint8Array);
    }
    return { ...plan, checksums: { [algorithm]: await checksum.digest() } };
  }
}

function noSuchBucket(bucket: string): S3Error {
  return new S3Error('NoSuchBucket', undefined, { BucketName: bucket });
}

function noSuchUpload(uploadId: string): S3Error {
  return new S3Error('NoSuchUpload', undefined, { UploadId: uploadId });
}
