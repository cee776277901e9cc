import { encodeKey } from '../object-key.js';
import type { ObjectMetadataInput, ObjectRecord } from '../types.js';
import type {
  AbortUploadResult, CompletedUpload, CompleteUploadInput, CompleteUploadResult, CreateUploadInput, CreateUploadResult, ListPartsQuery,
  ListPartsResult, ListUploadsQuery, ListUploadsResult, PutPartInput, PutPartResult, UploadRecord, UploadStore,
} from '../upload-store.js';
import { isMarkerKey, runUploadListing, uploadIdMarkerOf, type UploadsPage } from '../upload-list-plan.js';
import {
  completedType, sameUpload, toCompleted, toPart, toUpload, type CompletedRow, type SummaryRow, type UploadPartRow as PartRow, type UploadRow,
} from '../rows.js';
import { guarded, isForeignKeyViolation, type Queryable, type Sql, type Tx } from './pg-connection.js';
import { lockKey } from './pg-object-rows.js';
import { putVersion } from './pg-version-rows.js';
import { blobIdsOf } from '../rows.js';


/** Rows fetched per round trip while paging through uploads. */
const UPLOAD_CURSOR_ROWS = 200;

/** UploadStore on PostgreSQL: every call one transaction, no state kept between calls. */
export class PgUploadStore implements UploadStore {
  constructor(private readonly sql: Sql) {}

  async createUpload(input: CreateUploadInput): Promise<CreateUploadResult> {
    const key = encodeKey(input.key);
    return guarded(async (): Promise<CreateUploadResult> => {
      const initiated = input.initiated ?? new Date();
      let inserted;
      try {
        inserted = await this.sql`
          INSERT INTO multipart_uploads (upload_id, bucket_id, key, initiator, metadata, checksum_algorithm, checksum_type, created_at)
          SELECT ${input.uploadId}, id, ${key}, ${input.initiator}, ${JSON.stringify(input.metadata)}, ${input.checksumAlgorithm ?? null},
                 ${input.checksumType ?? null}, ${initiated.getTime()}
          FROM buckets WHERE name = ${input.bucket}`;
      } catch (error) {
        if (isForeignKeyViolation(error)) return { kind: 'no-such-bucket' };
        throw error;
      }
      if (inserted.count === 0) return { kind: 'no-such-bucket' };
      const upload: UploadRecord = {
        uploadId: input.uploadId, bucket: input.bucket, key: input.key, initiator: input.initiator, initiated,
        metadata: input.metadata, checksumAlgorithm: input.checksumAlgorithm, checksumType: input.checksumType,
      };
      return { kind: 'created', upload };
    });
  }

  getUpload(bucket: string, key: string, uploadId: string): Promise<UploadRecord | null> {
    return guarded(async () => {
      const row = await find(this.sql, bucket, key, uploadId);
      return row === undefined ? null : toUpload(row);
    });
  }

  putPart(input: PutPartInput): Promise<PutPartResult> {
    return guarded(async () => {
      try {
        return await this.sql.begin(async (tx): Promise<PutPartResult> => {
          // Locks the upload row: a concurrent complete or abort waits, and then this part is either in it or refused.
          if ((await find(tx, input.bucket, input.key, input.uploadId, true)) === undefined) return { kind: 'no-such-upload' };
          const { part } = input;
          const [previous] = await tx<{ blob_id: string }[]>`
            SELECT blob_id FROM upload_parts WHERE upload_id = ${input.uploadId} AND part_number = ${part.partNumber} FOR UPDATE`;
          const lastModified = part.lastModified ?? new Date();
          await tx`
            INSERT INTO upload_parts (upload_id, part_number, size, etag, checksums, last_modified, blob_id)
            VALUES (${input.uploadId}, ${part.partNumber}, ${part.size}, ${part.etag}, ${JSON.stringify(part.checksums)}, ${lastModified.getTime()}, ${part.blobId})
            ON CONFLICT (upload_id, part_number) DO UPDATE SET size = excluded.size, etag = excluded.etag, checksums = excluded.checksums,
              last_modified = excluded.last_modified, blob_id = excluded.blob_id`;
          return { kind: 'stored', part: { ...part, checksums: { ...part.checksums }, lastModified }, replacedBlobId: previous?.blob_id ?? null };
        });
      } catch (error) {
        if (isForeignKeyViolation(error)) return { kind: 'no-such-upload' }; // aborted or completed by another node meanwhile
        throw error;
      }
    });
  }

  listParts(query: ListPartsQuery): Promise<ListPartsResult> {
    return guarded(() => this.sql.begin('isolation level repeatable read read only', async (tx): Promise<ListPartsResult> => {
      const row = await find(tx, query.bucket, query.key, query.uploadId);
      if (row === undefined) return { kind: 'no-such-upload' };
      const rows = query.maxParts <= 0 ? [] : await tx<PartRow[]>`
        SELECT part_number, size, etag, checksums, last_modified, blob_id FROM upload_parts
        WHERE upload_id = ${query.uploadId} AND part_number > ${query.after} ORDER BY part_number LIMIT ${query.maxParts + 1}`;
      const isTruncated = rows.length > query.maxParts;
      const parts = rows.slice(0, query.maxParts).map(toPart);
      return { kind: 'listed', upload: toUpload(row), parts, isTruncated, nextAfter: isTruncated ? parts[parts.length - 1]?.partNumber : undefined };
    }));
  }

  listUploads(query: ListUploadsQuery): Promise<ListUploadsResult> {
    return guarded(() => this.sql.begin('isolation level repeatable read read only', async (tx): Promise<ListUploadsResult> => {
      const [bucket] = await tx<{ id: number }[]>`SELECT id FROM buckets WHERE name = ${query.bucket}`;
      if (bucket === undefined) return { kind: 'no-such-bucket' };
      return { kind: 'listed', ...(await pageOfUploads(tx, bucket.id, query)) };
    }));
  }

  async completeUpload(input: CompleteUploadInput): Promise<CompleteUploadResult> {
    const key = encodeKey(input.key);
    return guarded(() => this.sql.begin(async (tx): Promise<CompleteUploadResult> => {
      const row = await find(tx, input.bucket, input.key, input.uploadId, true);
      if (row === undefined) return { kind: 'no-such-upload' };
      const current = new Map((await tx<{ part_number: number; blob_id: string }[]>`
        SELECT part_number, blob_id FROM upload_parts WHERE upload_id = ${input.uploadId}`).map((r) => [r.part_number, r.blob_id]));
      for (const part of input.parts) {
        if (current.get(part.partNumber) !== part.blobId) return { kind: 'parts-changed' };
      }
      const [first] = input.parts;
      if (first === undefined) throw new Error('a multipart object needs at least one part');
      const used = new Set(input.parts.map((p) => p.blobId));
      const freed = [...current.values()].filter((id) => !used.has(id));
      const metadata = JSON.parse(row.metadata) as ObjectMetadataInput;
      const object: ObjectRecord = {
        ...metadata, bucket: input.bucket, key: input.key, size: input.size, etag: input.etag,
        userMetadata: { ...metadata.userMetadata }, checksums: { ...input.checksums }, tags: { ...metadata.tags },
        lastModified: input.lastModified ?? new Date(), blobId: first.blobId, parts: input.parts.map((p) => ({ ...p })),
      };
      // The upload's rows go first: the part blobs change hands to object_parts (UNIQUE blob_id).
      await tx`DELETE FROM multipart_uploads WHERE upload_id = ${input.uploadId}`;
      await tx`
        INSERT INTO completed_uploads (upload_id, bucket_id, key, etag, blob_id, checksum_type, completed_at)
        VALUES (${input.uploadId}, ${row.bucket_id}, ${key}, ${object.etag}, ${object.blobId}, ${completedType(row)}, ${object.lastModified.getTime()})`;
      await lockKey(tx, row.bucket_id, key);
      const stored = await putVersion(tx, row.bucket_id, key, object);
      freed.push(...blobIdsOf([stored.freed]));
      return { kind: 'completed', object: stored.object, freedBlobIds: freed };
    }));
  }

  getCompletedUpload(bucket: string, key: string, uploadId: string): Promise<CompletedUpload | null> {
    return guarded(async () => {
      const [row] = await this.sql<CompletedRow[]>`
        SELECT c.*, b.name AS bucket FROM completed_uploads c JOIN buckets b ON b.id = c.bucket_id WHERE c.upload_id = ${uploadId}`;
      return row === undefined || !sameUpload(row, bucket, key) ? null : toCompleted(row);
    });
  }

  abortUpload(bucket: string, key: string, uploadId: string): Promise<AbortUploadResult> {
    return guarded(() => this.sql.begin(async (tx): Promise<AbortUploadResult> => {
      if ((await find(tx, bucket, key, uploadId, true)) === undefined) return { kind: 'no-such-upload' };
      return { kind: 'aborted', freedBlobIds: await remove(tx, [uploadId]) };
    }));
  }

  expireUploads(before: Date, limit: number): Promise<{ expired: number; freedBlobIds: string[] }> {
    return guarded(() => this.sql.begin(async (tx) => {
      // SKIP LOCKED: uploads another node is completing or expiring right now are theirs.
      const ids = (await tx<{ upload_id: string }[]>`
        SELECT upload_id FROM multipart_uploads WHERE created_at < ${before.getTime()} ORDER BY created_at LIMIT ${limit} FOR UPDATE SKIP LOCKED`)
        .map((r) => r.upload_id);
      await tx`DELETE FROM completed_uploads WHERE completed_at < ${before.getTime()}`;
      return { expired: ids.length, freedBlobIds: ids.length === 0 ? [] : await remove(tx, ids) };
    }));
  }

  pendingFreedBlobs(limit: number, now = new Date()): Promise<string[]> {
    return guarded(async () => (await this.sql<{ blob_id: string }[]>`
      SELECT blob_id FROM freed_blobs WHERE due_at <= ${now.getTime()} ORDER BY due_at LIMIT ${limit}`).map((r) => r.blob_id));
  }

  freeBlobsLater(blobIds: readonly string[], dueAt: Date): Promise<void> {
    const ids = [...blobIds];
    return guarded(async () => {
      await this.sql`
        INSERT INTO freed_blobs (blob_id, due_at) SELECT unnest(${ids}::text[]), ${dueAt.getTime()}
        ON CONFLICT (blob_id) DO UPDATE SET due_at = greatest(freed_blobs.due_at, excluded.due_at)`;
    });
  }

  forgetFreedBlobs(blobIds: readonly string[]): Promise<void> {
    const ids = [...blobIds];
    return guarded(async () => {
      await this.sql`DELETE FROM freed_blobs WHERE blob_id = ANY(${ids}::text[])`;
    });
  }
}

/** The upload row, only if it belongs to this bucket and key (S3 answers NoSuchUpload otherwise); `lock` holds it for the transaction. */
async function find(sql: Queryable, bucket: string, key: string, uploadId: string, lock = false): Promise<UploadRow | undefined> {
  const [row] = lock
    ? await sql<UploadRow[]>`SELECT u.*, b.name AS bucket FROM multipart_uploads u JOIN buckets b ON b.id = u.bucket_id
        WHERE u.upload_id = ${uploadId} FOR UPDATE OF u FOR KEY SHARE OF b`
    : await sql<UploadRow[]>`SELECT u.*, b.name AS bucket FROM multipart_uploads u JOIN buckets b ON b.id = u.bucket_id WHERE u.upload_id = ${uploadId}`;
  return row === undefined || !sameUpload(row, bucket, key) ? undefined : row;
}

/** Deletes the uploads (their parts cascade); returns their blobs. */
async function remove(tx: Tx, uploadIds: string[]): Promise<string[]> {
  const blobs = await tx<{ blob_id: string }[]>`SELECT blob_id FROM upload_parts WHERE upload_id = ANY(${uploadIds}::text[])`;
  await tx`DELETE FROM multipart_uploads WHERE upload_id = ANY(${uploadIds}::text[])`;
  return blobs.map((r) => r.blob_id);
}

/** One page of uploads: the shared walk (upload-list-plan.ts) over server-side cursors. */
async function pageOfUploads(tx: Tx, bucketId: number, query: ListUploadsQuery): Promise<UploadsPage> {
  const uploadIdMarker = uploadIdMarkerOf(query);
  let markerHasUpload = false;
  if (uploadIdMarker !== undefined) {
    const [m] = await tx<{ key: Buffer }[]>`SELECT key FROM multipart_uploads WHERE upload_id = ${uploadIdMarker}`;
    markerHasUpload = isMarkerKey(query, m?.key);
  }
  return runUploadListing(query, markerHasUpload, (from) => rowsOf(tx<SummaryRow[]>`
    SELECT upload_id, key, initiator, checksum_algorithm, checksum_type, created_at FROM multipart_uploads
    WHERE bucket_id = ${bucketId} AND key >= ${from} ORDER BY key, created_at, upload_id`.cursor(UPLOAD_CURSOR_ROWS)));
}

/** A cursor's batches as one row at a time. */
async function* rowsOf<T>(batches: AsyncIterable<readonly T[]>): AsyncGenerator<T> {
  for await (const batch of batches) yield* batch;
}

