/**
 * Domain records shared by every metadata backend (SQLite now, PostgreSQL
 * later). Nothing here is shaped by SQL: a backend maps rows to these.
 */

export interface BucketRecord {
  readonly name: string;
  /** Identity (account id) that created the bucket; S3 reports "owned by you" against it. */
  readonly owner: string;
  /** LocationConstraint given at creation, or null for the default region. */
  readonly region: string | null;
  readonly createdAt: Date;
}

/** The HTTP system metadata S3 stores and replays on GET/HEAD verbatim. */
export interface SystemMetadata {
  readonly contentType?: string | undefined;
  readonly cacheControl?: string | undefined;
  readonly contentDisposition?: string | undefined;
  readonly contentEncoding?: string | undefined;
  readonly contentLanguage?: string | undefined;
  /** Kept as the raw header text: S3 echoes whatever the client sent. */
  readonly expires?: string | undefined;
}

/** What the caller knows about an object before its bytes are stored. */
export interface ObjectMetadataInput extends SystemMetadata {
  /** x-amz-meta-* without the prefix, names lower-cased by the S3 layer. */
  readonly userMetadata?: Readonly<Record<string, string>> | undefined;
  /** Checksum algorithm (e.g. "CRC32C", "SHA256") → value as S3 renders it (base64). */
  readonly checksums?: Readonly<Record<string, string>> | undefined;
  /** The object's tag set (validated by the S3 layer): key → value. */
  readonly tags?: ObjectTags | undefined;
}

/** An object's or a bucket's tags, key → value; the keys are unique by construction, as S3 requires. */
export type ObjectTags = Readonly<Record<string, string>>;

/** One current version of an object, as the metadata store holds it. */
export interface ObjectRecord extends SystemMetadata {
  readonly bucket: string;
  /** The key as UTF-8 text; stored and ordered as its UTF-8 bytes. */
  readonly key: string;
  readonly size: number;
  /** Without the surrounding quotes (hex MD5 for single PUTs); the S3 layer quotes it. */
  readonly etag: string;
  readonly userMetadata: Readonly<Record<string, string>>;
  readonly checksums: Readonly<Record<string, string>>;
  /** Belongs to this version: replaced with its bytes, kept by a tags-only change. */
  readonly tags: ObjectTags;
  readonly lastModified: Date;
  /** Internal id of the bytes in the BlobStore (part 1's blob for a multipart object); never derived from the key. */
  readonly blobId: string;
  /** The bytes live in the metadata store (small objects), not in a file of the BlobStore. */
  readonly inline?: true | undefined;
  /** Present only for an object completed from a multipart upload: its bytes are these blobs, in order. */
  readonly parts?: readonly ObjectPart[] | undefined;
  /** The version's id in a versioned bucket; undefined for S3's "null" version (every object of a bucket never versioned). */
  readonly versionId?: string | undefined;
}

/** One part of a multipart object, kept as the blob it was uploaded into (completion copies nothing). */
export interface ObjectPart {
  readonly partNumber: number;
  readonly size: number;
  /** The part's ETag without quotes (hex MD5 of its bytes). */
  readonly etag: string;
  /** Algorithm → base64 value of the part's own checksums. */
  readonly checksums: Readonly<Record<string, string>>;
  readonly blobId: string;
}

/** What ListObjects reports per key (no user metadata, no blob id). */
export interface ObjectSummary {
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  readonly lastModified: Date;
  readonly checksumAlgorithms: readonly string[];
}

export interface ListObjectsQuery {
  readonly bucket: string;
  readonly prefix?: string | undefined;
  /** An empty delimiter means "no delimiter", as in S3. */
  readonly delimiter?: string | undefined;
  /**
   * List strictly after this key (V1 marker, V2 start-after, or the key a V2
   * continuation token stands for). May name a common prefix returned earlier:
   * everything under that prefix is then skipped.
   */
  readonly after?: string | undefined;
  /** 0..1000, already clamped by the caller. */
  readonly maxKeys: number;
}

export interface ListObjectsPage {
  readonly contents: readonly ObjectSummary[];
  readonly commonPrefixes: readonly string[];
  readonly isTruncated: boolean;
  /**
   * When truncated: the last key or common prefix returned, which is what the
   * next page's `after` must be. Undefined when not truncated.
   */
  readonly nextAfter: string | undefined;
}
