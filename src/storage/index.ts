export type { BucketRecord, ListObjectsPage, ListObjectsQuery, ObjectMetadataInput, ObjectRecord, ObjectSummary, SystemMetadata } from './types.js';
export type {
  BucketMetadata, CreateBucketResult, DeleteBucketResult, DeleteObjectResult, GetObjectResult, ListObjectsResult, MetadataStore,
  ObjectMetadata, PutObjectResult, PutObjectRow,
} from './metadata-store.js';
export { BlobNotFoundError, BlobStore } from './blob-store.js';
export type { BlobWriteOptions, ByteRange, ChecksumComputer, WrittenBlob, WrittenDigests } from './blob-store.js';
export { MAX_KEY_BYTES, encodeKey } from './object-key.js';
export { SqliteMetadataStore } from './sqlite-metadata-store.js';
export { METADATA_FILE, Storage } from './storage.js';
export type { GetObjectOptions, PutObjectOutcome, RecoveryReport } from './storage.js';
