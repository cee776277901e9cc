export type { BucketRecord, ListObjectsPage, ListObjectsQuery, ObjectMetadataInput, ObjectPart, ObjectRecord, ObjectSummary, SystemMetadata } from './types.js';
export type {
  BucketMetadata, CreateBucketResult, DeleteBucketResult, DeleteObjectResult, GetObjectResult, ListObjectsResult, MetadataStore,
  ObjectMetadata, PutObjectResult, PutObjectRow,
} from './metadata-store.js';
export { BlobNotFoundError, BlobStore } from './blob-store.js';
export type { BlobWriteOptions, ByteRange, ChecksumComputer, WrittenBlob, WrittenDigests } from './blob-store.js';
export type { ConsoleStore, IssuedLink } from './console-store.js';
export { MAX_KEY_BYTES, encodeKey } from './object-key.js';
export { METADATA_FILE, metadataBackend, postgresBackend, sqliteBackend } from './backend.js';
export type { MetadataBackend } from './backend.js';
export { Storage } from './storage.js';
export type { GetObjectOptions, PutObjectOutcome, RecoveryReport } from './storage.js';
export type {
  AbortUploadResult, ChecksumType, CompleteUploadInput, CompleteUploadResult, CreateUploadInput, CreateUploadResult, ListPartsQuery, ListPartsResult,
  ListUploadsQuery, ListUploadsResult, PartRecord, PutPartInput, PutPartResult, UploadRecord, UploadStore, UploadSummary,
} from './upload-store.js';
export { MultipartStorage } from './multipart-storage.js';
export { MAX_OBJECT_SIZE, MAX_PART_NUMBER, MAX_PART_SIZE, MIN_PART_SIZE, planCompletion } from './multipart-plan.js';
export type { CompletionPlan, RequestedPart } from './multipart-plan.js';
