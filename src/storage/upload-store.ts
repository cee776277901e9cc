import type { ObjectMetadataInput, ObjectPart, ObjectRecord } from './types.js';

/**
 * Multipart uploads in the metadata backend. Like MetadataStore, expected
 * outcomes are results (`no-such-upload`), so the caller picks the S3 error,
 * and every blob a call stops referencing comes back in `freedBlobIds` for
 * the caller to unlink once the change is durable. Writes resolve only once
 * durable; reads see every write that resolved before, through any instance.
 */
export interface UploadStore {
  createUpload(input: CreateUploadInput): Promise<CreateUploadResult>;
  /** The upload, if it exists for exactly this bucket and key. */
  getUpload(bucket: string, key: string, uploadId: string): Promise<UploadRecord | null>;
  /** Records (or replaces) a part whose blob is already durable. */
  putPart(input: PutPartInput): Promise<PutPartResult>;
  listParts(query: ListPartsQuery): Promise<ListPartsResult>;
  listUploads(query: ListUploadsQuery): Promise<ListUploadsResult>;
  /**
   * Atomically: the object row (made of the planned part blobs) replaces the
   * current version, the upload and its parts disappear. Refused with
   * `parts-changed` if a planned part was re-uploaded since it was read.
   */
  completeUpload(input: CompleteUploadInput): Promise<CompleteUploadResult>;
  /**
   * What a completed upload of exactly this bucket and key made, remembered
   * from its completion until expireUploads forgets it (a retried completion
   * answers with it); null for an upload never completed, or forgotten.
   */
  getCompletedUpload(bucket: string, key: string, uploadId: string): Promise<CompletedUpload | null>;
  abortUpload(bucket: string, key: string, uploadId: string): Promise<AbortUploadResult>;
  /** Aborts up to `limit` uploads initiated before `before`, the oldest first; forgets uploads completed before `before`. */
  expireUploads(before: Date, limit: number): Promise<{ readonly expired: number; readonly freedBlobIds: readonly string[] }>;
  /** Freed blobs due for unlinking at `now` (a deleted bucket's upload parts, and those of freeBlobsLater) that nobody has unlinked yet. */
  pendingFreedBlobs(limit: number, now?: Date): Promise<string[]>;
  /**
   * Records blobs no row references any more, to unlink at `dueAt` rather than
   * now: with a shared data dir, a reader on another node may still stream them.
   */
  freeBlobsLater(blobIds: readonly string[], dueAt: Date): Promise<void>;
  /** Forget freed blobs once they are unlinked. */
  forgetFreedBlobs(blobIds: readonly string[]): Promise<void>;
}

export type ChecksumType = 'COMPOSITE' | 'FULL_OBJECT';

export interface UploadRecord {
  readonly uploadId: string;
  readonly bucket: string;
  readonly key: string;
  /** Name of the identity that started the upload. */
  readonly initiator: string;
  readonly initiated: Date;
  /** Headers given at creation, for the object the upload becomes. */
  readonly metadata: ObjectMetadataInput;
  /** x-amz-checksum-algorithm at creation (upper case), if any. */
  readonly checksumAlgorithm: string | undefined;
  readonly checksumType: ChecksumType | undefined;
}

/** The checksum type a completion reports: none without an algorithm, COMPOSITE unless the upload said FULL_OBJECT. */
export function reportedChecksumType(upload: Pick<UploadRecord, 'checksumAlgorithm' | 'checksumType'>): ChecksumType | undefined {
  return upload.checksumAlgorithm === undefined ? undefined : (upload.checksumType ?? 'COMPOSITE');
}

export interface CompletedUpload {
  /** The object's ETag, without quotes. */
  readonly etag: string;
  /** The object's blob id (its first part's): whether the current version is still the one the upload made. */
  readonly blobId: string;
  readonly checksumType: ChecksumType | undefined;
  readonly completedAt: Date;
}

export interface PartRecord {
  readonly partNumber: number;
  readonly size: number;
  /** Hex MD5, without quotes. */
  readonly etag: string;
  readonly checksums: Readonly<Record<string, string>>;
  readonly lastModified: Date;
  readonly blobId: string;
}

export interface CreateUploadInput {
  readonly bucket: string;
  readonly key: string;
  readonly uploadId: string;
  readonly initiator: string;
  readonly metadata: ObjectMetadataInput;
  readonly checksumAlgorithm?: string | undefined;
  readonly checksumType?: ChecksumType | undefined;
  readonly initiated?: Date | undefined;
}

export type CreateUploadResult = { readonly kind: 'created'; readonly upload: UploadRecord } | { readonly kind: 'no-such-bucket' };

export interface PutPartInput {
  readonly bucket: string;
  readonly key: string;
  readonly uploadId: string;
  readonly part: Omit<PartRecord, 'lastModified'> & { readonly lastModified?: Date | undefined };
}

export type PutPartResult =
  | { readonly kind: 'stored'; readonly part: PartRecord; readonly replacedBlobId: string | null }
  | { readonly kind: 'no-such-upload' };

export interface ListPartsQuery {
  readonly bucket: string;
  readonly key: string;
  readonly uploadId: string;
  /** Parts numbered above this (part-number-marker). */
  readonly after: number;
  /** 0..10000. */
  readonly maxParts: number;
}

export type ListPartsResult =
  | {
    readonly kind: 'listed';
    readonly upload: UploadRecord;
    readonly parts: readonly PartRecord[];
    readonly isTruncated: boolean;
    /** The last part number returned, when truncated. */
    readonly nextAfter: number | undefined;
  }
  | { readonly kind: 'no-such-upload' };

export interface ListUploadsQuery {
  readonly bucket: string;
  readonly prefix?: string | undefined;
  readonly delimiter?: string | undefined;
  /** Uploads of keys after this one; with uploadIdMarker, also later uploads of this key. */
  readonly keyMarker?: string | undefined;
  readonly uploadIdMarker?: string | undefined;
  /** 0..1000. */
  readonly maxUploads: number;
}

export interface UploadSummary {
  readonly key: string;
  readonly uploadId: string;
  readonly initiator: string;
  readonly initiated: Date;
  readonly checksumAlgorithm: string | undefined;
  readonly checksumType: ChecksumType | undefined;
}

export type ListUploadsResult =
  | {
    readonly kind: 'listed';
    readonly uploads: readonly UploadSummary[];
    readonly commonPrefixes: readonly string[];
    readonly isTruncated: boolean;
    /** When truncated: the key (or common prefix) and upload id to pass as the next markers. */
    readonly nextKeyMarker: string | undefined;
    readonly nextUploadIdMarker: string | undefined;
  }
  | { readonly kind: 'no-such-bucket' };

export interface CompleteUploadInput {
  readonly bucket: string;
  readonly key: string;
  readonly uploadId: string;
  /** The parts that make the object, in order, exactly as read before planning. */
  readonly parts: readonly ObjectPart[];
  readonly size: number;
  readonly etag: string;
  readonly checksums: Readonly<Record<string, string>>;
  readonly lastModified?: Date | undefined;
}

export type CompleteUploadResult =
  /** `freedBlobIds`: parts not used, and the replaced version's blobs. */
  | { readonly kind: 'completed'; readonly object: ObjectRecord; readonly freedBlobIds: readonly string[] }
  | { readonly kind: 'no-such-upload' }
  | { readonly kind: 'parts-changed' };

export type AbortUploadResult = { readonly kind: 'aborted'; readonly freedBlobIds: readonly string[] } | { readonly kind: 'no-such-upload' };
