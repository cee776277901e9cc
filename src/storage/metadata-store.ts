import type { ConsoleStore } from './console-store.js';
import type { IdentityStore } from './identity-store.js';
import type { LinkStore } from './link-store.js';
import type { UploadStore } from './upload-store.js';
import type { BucketRecord, ListObjectsPage, ListObjectsQuery, ObjectMetadataInput, ObjectRecord, ObjectTags } from './types.js';
import type { ListVersionsPage, ListVersionsQuery, VersioningStatus } from './versions.js';

/**
 * The metadata backend contract. Methods are async so a networked database
 * (PostgreSQL) can implement it unchanged; expected outcomes such as "bucket
 * not empty" are results, not exceptions, so the caller picks the S3 error.
 * Unexpected failures (I/O, corruption) throw.
 *
 * Every write resolves only once it is durable (on disk, or committed by the
 * database server): callers unlink replaced blobs and acknowledge requests on
 * that promise. Every read sees every write that resolved before it started,
 * through this instance or any other on the same database.
 */
export interface MetadataStore extends BucketMetadata, ObjectMetadata, VersionMetadata {
  /** Users, keys, policies and sessions live in the same database (one backup, one transaction log). */
  readonly identities: IdentityStore;
  /** Multipart uploads and their parts (migration 3). */
  readonly uploads: UploadStore;
  /** Pre-signed link use counters, revocations and audit log (migration 5). */
  readonly links: LinkStore;
  /** The web console's failed sign-ins and issued links (SQLite migration 8, PostgreSQL 2). */
  readonly console: ConsoleStore;
  /**
   * Of the given blob ids, those some metadata row still references (an
   * object, a part of a multipart object, a part of an upload in progress, a
   * freed blob not yet due for unlinking). Crash recovery asks this in batches
   * while sweeping the blob directory.
   */
  referencedBlobIds(blobIds: readonly string[]): Promise<Set<string>>;
  /** How many objects there are in all buckets, for the storage metrics (reads every row's index entry: not for request paths). */
  countObjects(): Promise<number>;
  /**
   * Runs background work (sweeps) only when no other instance on this
   * database runs the job of the same name right now; undefined when one does.
   */
  exclusive<T>(job: string, work: () => Promise<T>): Promise<T | undefined>;
  /**
   * Holds a named lock until the returned function releases it (or this
   * instance closes or dies); undefined when another instance holds it.
   */
  claim(name: string): Promise<(() => Promise<void>) | undefined>;
  close(): Promise<void>;
}

export type CreateBucketResult =
  | { readonly kind: 'created'; readonly bucket: BucketRecord }
  /** The name is taken; `ownedByCaller` picks BucketAlreadyOwnedByYou vs BucketAlreadyExists. */
  | { readonly kind: 'exists'; readonly bucket: BucketRecord; readonly ownedByCaller: boolean };

export type DeleteBucketResult = { readonly kind: 'deleted' } | { readonly kind: 'no-such-bucket' } | { readonly kind: 'not-empty' };

export interface BucketMetadata {
  createBucket(input: { name: string; owner: string; region?: string | null | undefined }): Promise<CreateBucketResult>;
  getBucket(name: string): Promise<BucketRecord | null>;
  /** Sorted by name; only the owner's buckets when `owner` is given. */
  listBuckets(owner?: string): Promise<BucketRecord[]>;
  /** Deletes only an empty bucket, atomically with the emptiness check. */
  deleteBucket(name: string): Promise<DeleteBucketResult>;
  /** Replaces the bucket's tag set; false when the bucket does not exist. */
  putBucketTags(bucket: string, tags: ObjectTags): Promise<boolean>;
  /** Null when the bucket has no tag set (or does not exist). */
  getBucketTags(bucket: string): Promise<ObjectTags | null>;
  /** False when there was no tag set to delete. */
  deleteBucketTags(bucket: string): Promise<boolean>;
}

export interface PutObjectRow extends ObjectMetadataInput {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  readonly blobId: string;
  /** Defaults to the time of the commit. */
  readonly lastModified?: Date | undefined;
  /** A small object's whole body, stored with the row under `blobId` instead of in a blob file. */
  readonly inlineBytes?: Buffer | undefined;
}

export type PutObjectResult =
  /**
   * `replacedBlobId` is the previous version's blob file, now unreferenced:
   * the caller deletes it, and `replacedPartBlobIds` too (present when that
   * version was a multipart object: its other parts). Null when there was no
   * previous version or its bytes were inline (gone with the commit).
   */
  | {
    readonly kind: 'stored'; readonly object: ObjectRecord; readonly replacedBlobId: string | null; readonly replacedPartBlobIds?: readonly string[];
    /** The bucket had versioning (Enabled or Suspended) when the version was written: a "null" version there is named in the reply. */
    readonly versioned: boolean;
  }
  | { readonly kind: 'no-such-bucket' };

export type GetObjectResult =
  | { readonly kind: 'found'; readonly object: ObjectRecord }
  | { readonly kind: 'no-such-bucket' }
  /** `deleteMarker` when the key's latest version is a delete marker (its id; undefined for the "null" one). */
  | { readonly kind: 'no-such-key'; readonly deleteMarker?: { readonly versionId: string | undefined } };

export type DeleteObjectResult =
  /** `blobId` (and `partBlobIds`, for a multipart object) are now unreferenced blob files: the caller deletes them. Null for an inline object. */
  | { readonly kind: 'deleted'; readonly blobId: string | null; readonly partBlobIds?: readonly string[] }
  /**
   * A versioned bucket: a delete marker was added as the latest version
   * (`versionId` undefined for the "null" one). `freedBlobIds`: a suspended
   * bucket's earlier "null" version, which the marker replaced.
   */
  | { readonly kind: 'marked'; readonly versionId: string | undefined; readonly freedBlobIds: readonly string[] }
  | { readonly kind: 'no-such-bucket' }
  | { readonly kind: 'no-such-key' };

export type PutObjectTagsResult =
  | { readonly kind: 'updated' }
  | { readonly kind: 'no-such-bucket' }
  | { readonly kind: 'no-such-key' };

export type ListObjectsResult = ({ readonly kind: 'listed' } & ListObjectsPage) | { readonly kind: 'no-such-bucket' };

export interface ObjectMetadata {
  /** Inserts or atomically replaces the current version of bucket/key. */
  putObject(row: PutObjectRow): Promise<PutObjectResult>;
  getObject(bucket: string, key: string): Promise<GetObjectResult>;
  /** The body of an object stored inline, by its blob id; null once that version is replaced or deleted. */
  readInlineBlob(blobId: string): Promise<Buffer | null>;
  deleteObject(bucket: string, key: string): Promise<DeleteObjectResult>;
  /** Replaces the current version's tag set, its bytes, metadata and Last-Modified untouched (as S3's PutObjectTagging). */
  putObjectTags(bucket: string, key: string, tags: ObjectTags): Promise<PutObjectTagsResult>;
  /** Keys in UTF-8 byte order, grouped by delimiter; see ListObjectsQuery. */
  listObjects(query: ListObjectsQuery): Promise<ListObjectsResult>;
}

export type GetVersionResult =
  | { readonly kind: 'found'; readonly object: ObjectRecord }
  | { readonly kind: 'delete-marker'; readonly versionId: string | undefined; readonly lastModified: Date }
  | { readonly kind: 'no-such-bucket' }
  | { readonly kind: 'no-such-version' };

export type DeleteVersionResult =
  /** `freedBlobIds`: the version's blob files, now unreferenced, for the caller to delete. */
  | { readonly kind: 'deleted'; readonly deleteMarker: boolean; readonly freedBlobIds: readonly string[] }
  | { readonly kind: 'no-such-bucket' }
  | { readonly kind: 'no-such-version' };

export type ListVersionsResult = ({ readonly kind: 'listed' } & ListVersionsPage) | { readonly kind: 'no-such-bucket' };

/**
 * Versions (see versions.ts). `versionId` null names S3's "null" version: in a
 * bucket never versioned that is every object's only version.
 */
export interface VersionMetadata {
  /** Null: never versioned. */
  getVersioning(bucket: string): Promise<VersioningStatus | null | 'no-such-bucket'>;
  setVersioning(bucket: string, status: VersioningStatus): Promise<'set' | 'no-such-bucket'>;
  getObjectVersion(bucket: string, key: string, versionId: string | null): Promise<GetVersionResult>;
  /** Removes exactly that version; the next newer-is-gone version becomes current when it is not a delete marker. */
  deleteObjectVersion(bucket: string, key: string, versionId: string | null): Promise<DeleteVersionResult>;
  listObjectVersions(query: ListVersionsQuery): Promise<ListVersionsResult>;
}
