import { decodeKey } from './object-key.js';
import type { PutObjectRow } from './metadata-store.js';
import type { BucketRecord, ObjectRecord } from './types.js';
import type { PublicAccessBlock } from './identity-store.js';
import { reportedChecksumType, type ChecksumType, type CompletedUpload, type PartRecord, type UploadRecord, type UploadSummary } from './upload-store.js';
import type { ObjectMetadataInput } from './types.js';

/*
 * Rows as both backends' schemas name their columns (the SQL differs, the
 * tables do not), and the one mapping from them to domain records.
 */

export interface BucketRow { id: number; name: string; owner: string; region: string | null; created_at: number }

export interface ObjectRow {
  key: Buffer; size: number; etag: string;
  content_type: string | null; cache_control: string | null; content_disposition: string | null;
  content_encoding: string | null; content_language: string | null; expires: string | null;
  user_metadata: string; checksums: string; tags: string; last_modified: number; blob_id: string; part_count: number | null;
  /** SQLite has no booleans: 1 or 0 there. */
  stored_inline: number | boolean;
  /** Null for the "null" version; absent where a query does not ask for it. */
  version_id?: string | null;
}

export interface UploadRow {
  upload_id: string; bucket_id: number; bucket: string; key: Buffer; initiator: string; metadata: string;
  checksum_algorithm: string | null; checksum_type: ChecksumType | null; created_at: number;
}
export interface CompletedRow {
  upload_id: string; bucket: string; key: Buffer; etag: string; blob_id: string; checksum_type: ChecksumType | null; completed_at: number;
}
export type SummaryRow = Omit<UploadRow, 'bucket_id' | 'bucket' | 'metadata'>;
export interface UploadPartRow { part_number: number; size: number; etag: string; checksums: string; last_modified: number; blob_id: string }

/** The blob files a version held: its own (null when its bytes were inline) and a multipart object's parts 2..n. */
export interface HeldBlobs {
  readonly blobId: string | null;
  readonly partBlobIds: readonly string[];
}

export function parseMap(json: string): Record<string, string> {
  return JSON.parse(json) as Record<string, string>;
}

/** A multipart version's other part blobs under `name`; nothing for a plain object (results keep their old shape). */
export function partsOf<N extends string>(held: HeldBlobs | null, name: N): Partial<Record<N, readonly string[]>> {
  if (held === null || held.partBlobIds.length === 0) return {};
  return { [name]: held.partBlobIds } as Partial<Record<N, readonly string[]>>;
}

export function toBucket(row: BucketRow): BucketRecord {
  return { name: row.name, owner: row.owner, region: row.region, createdAt: new Date(row.created_at) };
}

export function toObject(bucket: string, row: ObjectRow): ObjectRecord {
  return {
    bucket, key: decodeKey(row.key), size: row.size, etag: row.etag,
    contentType: row.content_type ?? undefined, cacheControl: row.cache_control ?? undefined,
    contentDisposition: row.content_disposition ?? undefined, contentEncoding: row.content_encoding ?? undefined,
    contentLanguage: row.content_language ?? undefined, expires: row.expires ?? undefined,
    userMetadata: parseMap(row.user_metadata), checksums: parseMap(row.checksums), tags: parseMap(row.tags),
    lastModified: new Date(row.last_modified), blobId: row.blob_id,
    ...(row.stored_inline === 1 || row.stored_inline === true ? { inline: true as const } : {}),
    ...(row.version_id === undefined || row.version_id === null ? {} : { versionId: row.version_id }),
  };
}

/** The blob files a version's record holds (none for inline bytes). */
export function heldBy(object: ObjectRecord): HeldBlobs {
  if (object.inline === true) return { blobId: null, partBlobIds: [] };
  return { blobId: object.blobId, partBlobIds: (object.parts ?? []).map((p) => p.blobId).filter((id) => id !== object.blobId) };
}

/** Freed blob ids, flattened. */
export function blobIdsOf(held: readonly (HeldBlobs | null)[]): string[] {
  return held.flatMap((h) => (h === null ? [] : [...(h.blobId === null ? [] : [h.blobId]), ...h.partBlobIds]));
}

/** The version a PutObject stores, as both backends write it and report it back. */
export function recordOfPut(row: PutObjectRow): ObjectRecord {
  return {
    bucket: row.bucket, key: row.key, size: row.size, etag: row.etag,
    contentType: row.contentType, cacheControl: row.cacheControl, contentDisposition: row.contentDisposition,
    contentEncoding: row.contentEncoding, contentLanguage: row.contentLanguage, expires: row.expires,
    userMetadata: { ...row.userMetadata }, checksums: { ...row.checksums }, tags: { ...row.tags },
    lastModified: row.lastModified ?? new Date(), blobId: row.blobId,
    ...(row.inlineBytes === undefined ? {} : { inline: true as const }),
  };
}

export function toUpload(row: UploadRow): UploadRecord {
  return {
    uploadId: row.upload_id, bucket: row.bucket, key: decodeKey(row.key), initiator: row.initiator, initiated: new Date(row.created_at),
    metadata: JSON.parse(row.metadata) as ObjectMetadataInput,
    checksumAlgorithm: row.checksum_algorithm ?? undefined, checksumType: row.checksum_type ?? undefined,
  };
}

export function toSummary(key: string, row: SummaryRow): UploadSummary {
  return {
    key, uploadId: row.upload_id, initiator: row.initiator, initiated: new Date(row.created_at),
    checksumAlgorithm: row.checksum_algorithm ?? undefined, checksumType: row.checksum_type ?? undefined,
  };
}

export function toPart(row: UploadPartRow): PartRecord {
  return { partNumber: row.part_number, size: row.size, etag: row.etag, checksums: parseMap(row.checksums), lastModified: new Date(row.last_modified), blobId: row.blob_id };
}

/** Whether an upload's row (open or completed) is of exactly this bucket and key: S3 answers NoSuchUpload otherwise. */
export function sameUpload(row: { bucket: string; key: Buffer }, bucket: string, key: string): boolean {
  return row.bucket === bucket && row.key.equals(Buffer.from(key, 'utf8'));
}

/** The checksum type a completion of this upload reports, as its column holds it. */
export function completedType(row: UploadRow): ChecksumType | null {
  return reportedChecksumType(toUpload(row)) ?? null;
}

export function toCompleted(row: CompletedRow): CompletedUpload {
  return { etag: row.etag, blobId: row.blob_id, checksumType: row.checksum_type ?? undefined, completedAt: new Date(row.completed_at) };
}

/** SQLite has no booleans: its flags are 1 or 0. */
export interface PublicAccessBlockRow {
  block_public_acls: number | boolean; ignore_public_acls: number | boolean; block_public_policy: number | boolean; restrict_public_buckets: number | boolean;
}

export function toPublicAccessBlock(row: PublicAccessBlockRow): PublicAccessBlock {
  const on = (flag: number | boolean): boolean => flag === 1 || flag === true;
  return {
    blockPublicAcls: on(row.block_public_acls), ignorePublicAcls: on(row.ignore_public_acls),
    blockPublicPolicy: on(row.block_public_policy), restrictPublicBuckets: on(row.restrict_public_buckets),
  };
}
