import { decodeKey, encodeKey, encodeText, prefixUpperBound } from '../object-key.js';
import type { ObjectMetadataInput, ObjectRecord } from '../types.js';
import type {
  AbortUploadResult, CompleteUploadInput, CompleteUploadResult, CreateUploadInput, CreateUploadResult, ListPartsQuery,
  ListPartsResult, ListUploadsQuery, ListUploadsResult, PutPartInput, PutPartResult, UploadRecord, UploadStore, UploadSummary,
} from '../upload-store.js';
import { toPart, toSummary, toUpload, type SummaryRow, type UploadPartRow as PartRow, type UploadRow } from '../rows.js';
import { guarded, isForeignKeyViolation, type Queryable, type Sql, type Tx } from './pg-connection.js';
import { lockKey, writeObjectRow } from './pg-object-rows.js';


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
      await lockKey(tx, row.bucket_id, key);
      const previous = await writeObjectRow(tx, row.bucket_id, key, object);
      if (previous?.blobId != null) freed.push(previous.blobId);
      if (previous !== null) freed.push(...previous.partBlobIds);
      return { kind: 'completed', object, freedBlobIds: freed };
    }));
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
  if (row === undefined || row.bucket !== bucket || !row.key.equals(Buffer.from(key, 'utf8'))) return undefined;
  return row;
}

/** Deletes the uploads (their parts cascade); returns their blobs. */
async function remove(tx: Tx, uploadIds: string[]): Promise<string[]> {
  const blobs = await tx<{ blob_id: string }[]>`SELECT blob_id FROM upload_parts WHERE upload_id = ANY(${uploadIds}::text[])`;
  await tx`DELETE FROM multipart_uploads WHERE upload_id = ANY(${uploadIds}::text[])`;
  return blobs.map((r) => r.blob_id);
}

/**
 * Uploads in (key bytes, initiation) order, grouped by delimiter: the same
 * walk as SQLite's (see sqlite-upload-store.ts), over a server-side cursor.
 */
async function pageOfUploads(tx: Tx, bucketId: number, query: ListUploadsQuery): Promise<Omit<Extract<ListUploadsResult, { kind: 'listed' }>, 'kind'>> {
  const prefix = encodeText(query.prefix ?? '');
  const delimiter = query.delimiter ?? '';
  const marker = query.keyMarker !== undefined && query.keyMarker !== '' ? encodeText(query.keyMarker) : undefined;
  const uploads: UploadSummary[] = [];
  const commonPrefixes: string[] = [];
  let last: { key: string; uploadId: string | undefined } | undefined;
  let isTruncated = false;
  if (query.maxUploads <= 0) return { uploads, commonPrefixes, isTruncated, nextKeyMarker: undefined, nextUploadIdMarker: undefined };
  let skipThrough = marker !== undefined && query.uploadIdMarker ? query.uploadIdMarker : undefined;
  let markerHasUpload = false;
  if (skipThrough !== undefined) {
    const [m] = await tx<{ key: Buffer }[]>`SELECT key FROM multipart_uploads WHERE upload_id = ${skipThrough}`;
    markerHasUpload = m?.key.equals(marker ?? Buffer.alloc(0)) === true;
  }
  let from: Buffer | null = marker !== undefined && Buffer.compare(marker, prefix) > 0 ? marker : prefix;
  scan: while (from !== null) {
    const start: Buffer = from;
    from = null;
    const cursor = tx<SummaryRow[]>`
      SELECT upload_id, key, initiator, checksum_algorithm, checksum_type, created_at FROM multipart_uploads
      WHERE bucket_id = ${bucketId} AND key >= ${start} ORDER BY key, created_at, upload_id`.cursor(UPLOAD_CURSOR_ROWS);
    for await (const rows of cursor) {
      for (const row of rows) {
        if (!row.key.subarray(0, prefix.length).equals(prefix)) break scan;
        const key = decodeKey(row.key);
        const cut = delimiter === '' ? -1 : key.indexOf(delimiter, (query.prefix ?? '').length);
        const entry = cut === -1 ? row.key : encodeText(key.slice(0, cut + delimiter.length));
        if (marker !== undefined) {
          const order = Buffer.compare(entry, marker);
          if (order < 0 || (order === 0 && (cut !== -1 || !markerHasUpload))) {
            if (cut === -1) continue;
            from = prefixUpperBound(entry);
            continue scan;
          }
          if (order === 0 && skipThrough !== undefined) {
            if (row.upload_id === skipThrough) skipThrough = undefined;
            continue;
          }
        }
        if (uploads.length + commonPrefixes.length === query.maxUploads) {
          isTruncated = true;
          break scan;
        }
        if (cut === -1) {
          uploads.push(toSummary(key, row));
          last = { key, uploadId: row.upload_id };
          continue;
        }
        const group = entry.toString('utf8');
        commonPrefixes.push(group);
        last = { key: group, uploadId: undefined };
        from = prefixUpperBound(entry);
        continue scan;
      }
    }
  }
  return {
    uploads, commonPrefixes, isTruncated,
    nextKeyMarker: isTruncated ? last?.key : undefined,
    nextUploadIdMarker: isTruncated ? last?.uploadId : undefined,
  };
}

