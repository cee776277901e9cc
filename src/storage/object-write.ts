import { S3Error } from '../errors.js';
import type { BlobStore, BlobWriteOptions, ChecksumComputer, WrittenDigests } from './blob-store.js';
import { newInlineBlobId } from './blob-store.js';
import { digestBody, isDigested, isWholeBody, type BodySource, type StreamedBody, type WholeBytes } from './body-digest.js';
import type { MetadataStore } from './metadata-store.js';
import { encodeKey } from './object-key.js';
import type { BucketRecord, ObjectMetadataInput, ObjectRecord } from './types.js';

/*
 * The write protocol of a PutObject across the two stores: blob first (a file,
 * or the bytes held for an inline row), then the metadata row, then removal
 * of the replaced blob, so a crash at any point leaves at worst an orphan blob
 * (swept at start-up), never a row whose blob is missing.
 */

export interface PutObjectOutcome<C> {
  readonly object: ObjectRecord;
  readonly written: WrittenDigests<C>;
  /** The bucket had versioning when the object was written (see PutObjectResult). */
  readonly versioned: boolean;
}

/** What a write needs of Storage: its two stores and how it disposes of blobs. */
export interface ObjectWriter {
  readonly metadata: MetadataStore;
  readonly blobs: BlobStore;
  storesInline(expectedLength: number | undefined): boolean;
  discard(blobIds: readonly (string | null)[]): Promise<void>;
  discardUncommitted(blobId: string): Promise<void>;
  discardAfterFailedCommit(blobId: string): Promise<void>;
}

/**
 * Stores the body as the new current version of bucket/key (the bucket by
 * name, or its record when the caller has just looked it up): Storage.putObject. `meta` may be a
 * function of the digests when some of it (trailing checksums) is known
 * only after the body. A body storesInline accepts may come whole (see
 * BodySource); a larger one should be streamed. A body that comes with its
 * digests (DigestedBody) is not hashed again.
 */
export async function writeObject<C extends Record<string, ChecksumComputer> = Record<never, ChecksumComputer>>(
  storage: ObjectWriter,
  target: string | BucketRecord,
  key: string,
  body: BodySource,
  meta: ObjectMetadataInput | ((written: WrittenDigests<C>) => ObjectMetadataInput),
  options: BlobWriteOptions<C> = {},
): Promise<PutObjectOutcome<C>> {
  encodeKey(key); // reject a bad key before reading the body
  const bucket = typeof target === 'string' ? target : target.name;
  // Checked before the body too, as S3 does (unless the caller hands over the record it
  // just looked up, so a request resolves its bucket once); the commit re-checks atomically.
  if (typeof target === 'string' && (await storage.metadata.getBucket(bucket)) === null) throw noSuchBucket(bucket);
  const inline = storage.storesInline(options.expectedLength);
  const blob = inline ? await readSmallBody(body, options) : { ...(await storage.blobs.write(streamed(body), options)), bytes: undefined };
  let committed;
  try {
    const input = typeof meta === 'function' ? meta(blob) : meta;
    committed = await storage.metadata.putObject({
      ...input, bucket, key, size: blob.size, etag: blob.md5.toString('hex'), blobId: blob.blobId, inlineBytes: blob.bytes,
    });
  } catch (error) {
    if (!inline) await storage.discardAfterFailedCommit(blob.blobId);
    throw error;
  }
  if (committed.kind === 'no-such-bucket') {
    if (!inline) await storage.discardUncommitted(blob.blobId);
    throw noSuchBucket(bucket);
  }
  await storage.discard([committed.replacedBlobId, ...(committed.replacedPartBlobIds ?? [])]);
  const { blobId: _blobId, bytes: _bytes, ...written } = blob;
  return { object: committed.object, written, versioned: committed.versioned };
}

/** A small body read into memory with the same checks and digests as a blob file, and a fresh id to store it under. */
async function readSmallBody<C extends Record<string, ChecksumComputer>>(
  body: BodySource,
  options: BlobWriteOptions<C>,
): Promise<WrittenDigests<C> & { blobId: string; bytes: Buffer }> {
  const chunks: Uint8Array[] = [];
  const written = await digestBody(body, options, (chunk) => {
    chunks.push(chunk);
  });
  const [only] = chunks;
  // One chunk (a whole body) is stored as it is: SQLite copies it anyway.
  const bytes = chunks.length === 1 && only !== undefined ? Buffer.from(only.buffer, only.byteOffset, only.byteLength) : Buffer.concat(chunks, written.size);
  return { ...written, blobId: newInlineBlobId(), bytes };
}

/** A body as chunks, for the file path. */
function streamed(body: BodySource): StreamedBody {
  if (!isDigested(body)) return isWholeBody(body) ? chunksOf(body) : body;
  const { bytes } = body;
  return isWholeBody(bytes) ? { bytes: chunksOf(bytes), digests: () => body.digests() } : { bytes, digests: () => body.digests() };
}

async function* chunksOf(whole: WholeBytes): AsyncGenerator<Uint8Array> {
  yield await whole;
}

export function noSuchBucket(bucket: string): S3Error {
  return new S3Error('NoSuchBucket', undefined, { BucketName: bucket });
}
