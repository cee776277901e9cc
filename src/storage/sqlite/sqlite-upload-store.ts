import type Database from 'better-sqlite3';
import type { Durably, Read } from './sqlite-work.js';
import { encodeKey } from '../object-key.js';
import type { SqliteVersionRows } from './sqlite-version-rows.js';
import type { ObjectMetadataInput, ObjectRecord } from '../types.js';
import type {
  AbortUploadResult, CompletedUpload, CompleteUploadInput, CompleteUploadResult, CreateUploadInput, CreateUploadResult, ListPartsQuery,
  ListPartsResult, ListUploadsQuery, ListUploadsResult, PutPartInput, PutPartResult, UploadRecord, UploadStore,
} from '../upload-store.js';
import { isMarkerKey, runUploadListingSync, uploadIdMarkerOf, type UploadsPage } from '../upload-list-plan.js';
import {
  blobIdsOf, completedType, sameUpload, toCompleted, toPart, toUpload, type CompletedRow, type SummaryRow, type UploadPartRow as PartRow, type UploadRow,
} from '../rows.js';



/** UploadStore on the metadata database's connection (migration 3). */
export class SqliteUploadStore implements UploadStore {
  private readonly stmt;

  constructor(
    private readonly db: Database.Database,
    private readonly rows: SqliteVersionRows,
    private readonly durably: Durably,
    private readonly read: Read,
  ) {
    this.stmt = {
      bucketId: db.prepare<[string], { id: number }>('SELECT id FROM buckets WHERE name = ?'),
      insertUpload: db.prepare<[string, number, Buffer, string, string, string | null, string | null, number]>(`
        INSERT INTO multipart_uploads (upload_id, bucket_id, key, initiator, metadata, checksum_algorithm, checksum_type, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
      upload: db.prepare<[string], UploadRow>(
        'SELECT u.*, b.name AS bucket FROM multipart_uploads u JOIN buckets b ON b.id = u.bucket_id WHERE u.upload_id = ?'),
      partBlob: db.prepare<[string, number], { blob_id: string }>('SELECT blob_id FROM upload_parts WHERE upload_id = ? AND part_number = ?'),
      upsertPart: db.prepare<[string, number, number, string, string, number, string]>(`
        INSERT INTO upload_parts (upload_id, part_number, size, etag, checksums, last_modified, blob_id) VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (upload_id, part_number) DO UPDATE SET size = excluded.size, etag = excluded.etag, checksums = excluded.checksums,
          last_modified = excluded.last_modified, blob_id = excluded.blob_id`),
      parts: db.prepare<[string, number, number], PartRow>(
        'SELECT part_number, size, etag, checksums, last_modified, blob_id FROM upload_parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?'),
      partBlobs: db.prepare<[string], { blob_id: string }>('SELECT blob_id FROM upload_parts WHERE upload_id = ?'),
      deleteUpload: db.prepare<[string]>('DELETE FROM multipart_uploads WHERE upload_id = ?'),
      insertCompleted: db.prepare<[string, number, Buffer, string, string, string | null, number]>(`
        INSERT INTO completed_uploads (upload_id, bucket_id, key, etag, blob_id, checksum_type, completed_at) VALUES (?, ?, ?, ?, ?, ?, ?)`),
      completed: db.prepare<[string], CompletedRow>(
        'SELECT c.*, b.name AS bucket FROM completed_uploads c JOIN buckets b ON b.id = c.bucket_id WHERE c.upload_id = ?'),
      forgetCompleted: db.prepare<[number]>('DELETE FROM completed_uploads WHERE completed_at < ?'),
      uploadsFrom: db.prepare<[number, Buffer], SummaryRow>(`
        SELECT upload_id, key, initiator, checksum_algorithm, checksum_type, created_at FROM multipart_uploads
        WHERE bucket_id = ? AND key >= ? ORDER BY key, created_at, upload_id`),
      expired: db.prepare<[number, number], { upload_id: string }>(
        'SELECT upload_id FROM multipart_uploads WHERE created_at < ? ORDER BY created_at LIMIT ?'),
      freed: db.prepare<[number, number], { blob_id: string }>('SELECT blob_id FROM freed_blobs WHERE due_at <= ? LIMIT ?'),
      freeLater: db.prepare<[string, number]>(
        'INSERT INTO freed_blobs (blob_id, due_at) VALUES (?, ?) ON CONFLICT (blob_id) DO UPDATE SET due_at = max(due_at, excluded.due_at)'),
      forget: db.prepare<[string]>('DELETE FROM freed_blobs WHERE blob_id IN (SELECT value FROM json_each(?))'),
    };
  }

  createUpload(input: CreateUploadInput): Promise<CreateUploadResult> {
    return this.durably((): CreateUploadResult => {
      const key = encodeKey(input.key);
      const bucket = this.stmt.bucketId.get(input.bucket);
      if (bucket === undefined) return { kind: 'no-such-bucket' };
      const initiated = input.initiated ?? new Date();
      this.stmt.insertUpload.run(input.uploadId, bucket.id, key, input.initiator, JSON.stringify(input.metadata),
        input.checksumAlgorithm ?? null, input.checksumType ?? null, initiated.getTime());
      const upload: UploadRecord = {
        uploadId: input.uploadId, bucket: input.bucket, key: input.key, initiator: input.initiator, initiated,
        metadata: input.metadata, checksumAlgorithm: input.checksumAlgorithm, checksumType: input.checksumType,
      };
      return { kind: 'created', upload };
    });
  }

  getUpload(bucket: string, key: string, uploadId: string): Promise<UploadRecord | null> {
    return this.read(() => {
      const row = this.find(bucket, key, uploadId);
      return row === undefined ? null : toUpload(row);
    });
  }

  putPart(input: PutPartInput): Promise<PutPartResult> {
    return this.durably(() => this.db.transaction((): PutPartResult => {
      if (this.find(input.bucket, input.key, input.uploadId) === undefined) return { kind: 'no-such-upload' };
      const { part } = input;
      const previous = this.stmt.partBlob.get(input.uploadId, part.partNumber);
      const lastModified = part.lastModified ?? new Date();
      this.stmt.upsertPart.run(input.uploadId, part.partNumber, part.size, part.etag, JSON.stringify(part.checksums), lastModified.getTime(), part.blobId);
      return { kind: 'stored', part: { ...part, checksums: { ...part.checksums }, lastModified }, replacedBlobId: previous?.blob_id ?? null };
    }).immediate());
  }

  listParts(query: ListPartsQuery): Promise<ListPartsResult> {
    return this.read(() => this.db.transaction((): ListPartsResult => {
      const row = this.find(query.bucket, query.key, query.uploadId);
      if (row === undefined) return { kind: 'no-such-upload' };
      const rows = query.maxParts <= 0 ? [] : this.stmt.parts.all(query.uploadId, query.after, query.maxParts + 1);
      const isTruncated = rows.length > query.maxParts;
      const parts = rows.slice(0, query.maxParts).map(toPart);
      return { kind: 'listed', upload: toUpload(row), parts, isTruncated, nextAfter: isTruncated ? parts[parts.length - 1]?.partNumber : undefined };
    }).deferred());
  }

  listUploads(query: ListUploadsQuery): Promise<ListUploadsResult> {
    return this.read(() => this.db.transaction((): ListUploadsResult => {
      const bucket = this.stmt.bucketId.get(query.bucket);
      if (bucket === undefined) return { kind: 'no-such-bucket' };
      return { kind: 'listed', ...this.pageOfUploads(bucket.id, query) };
    }).deferred());
  }

  completeUpload(input: CompleteUploadInput): Promise<CompleteUploadResult> {
    return this.durably(() => this.db.transaction((): CompleteUploadResult => {
      const key = encodeKey(input.key);
      const row = this.find(input.bucket, input.key, input.uploadId);
      if (row === undefined) return { kind: 'no-such-upload' };
      for (const part of input.parts) {
        if (this.stmt.partBlob.get(input.uploadId, part.partNumber)?.blob_id !== part.blobId) return { kind: 'parts-changed' };
      }
      const [first] = input.parts;
      if (first === undefined) throw new Error('a multipart object needs at least one part');
      const used = new Set(input.parts.map((p) => p.blobId));
      const freed = this.stmt.partBlobs.all(input.uploadId).map((r) => r.blob_id).filter((id) => !used.has(id));
      const metadata = JSON.parse(row.metadata) as ObjectMetadataInput;
      const object: ObjectRecord = {
        ...metadata, bucket: input.bucket, key: input.key, size: input.size, etag: input.etag,
        userMetadata: { ...metadata.userMetadata }, checksums: { ...input.checksums }, tags: { ...metadata.tags },
        lastModified: input.lastModified ?? new Date(), blobId: first.blobId, parts: input.parts.map((p) => ({ ...p })),
      };
      // The upload's rows go first: the part blobs change hands to object_parts (UNIQUE blob_id).
      this.stmt.deleteUpload.run(input.uploadId);
      this.stmt.insertCompleted.run(input.uploadId, row.bucket_id, key, object.etag, object.blobId, completedType(row), object.lastModified.getTime());
      const stored = this.rows.put(row.bucket_id, key, object);
      freed.push(...blobIdsOf([stored.freed]));
      return { kind: 'completed', object: stored.object, freedBlobIds: freed };
    }).immediate());
  }

  getCompletedUpload(bucket: string, key: string, uploadId: string): Promise<CompletedUpload | null> {
    return this.read(() => {
      const row = this.stmt.completed.get(uploadId);
      return row === undefined || !sameUpload(row, bucket, key) ? null : toCompleted(row);
    });
  }

  abortUpload(bucket: string, key: string, uploadId: string): Promise<AbortUploadResult> {
    return this.durably(() => this.db.transaction((): AbortUploadResult => {
      if (this.find(bucket, key, uploadId) === undefined) return { kind: 'no-such-upload' };
      return { kind: 'aborted', freedBlobIds: this.remove(uploadId) };
    }).immediate());
  }

  expireUploads(before: Date, limit: number): Promise<{ expired: number; freedBlobIds: string[] }> {
    return this.durably(() => this.db.transaction(() => {
      const ids = this.stmt.expired.all(before.getTime(), limit).map((r) => r.upload_id);
      this.stmt.forgetCompleted.run(before.getTime());
      return { expired: ids.length, freedBlobIds: ids.flatMap((id) => this.remove(id)) };
    }).immediate());
  }

  pendingFreedBlobs(limit: number, now = new Date()): Promise<string[]> {
    return this.read(() => this.stmt.freed.all(now.getTime(), limit).map((r) => r.blob_id));
  }

  freeBlobsLater(blobIds: readonly string[], dueAt: Date): Promise<void> {
    return this.durably(() => {
      for (const id of blobIds) this.stmt.freeLater.run(id, dueAt.getTime());
    });
  }

  forgetFreedBlobs(blobIds: readonly string[]): Promise<void> {
    return this.durably(() => {
      this.stmt.forget.run(JSON.stringify(blobIds));
    });
  }

  /** The upload row, only if it belongs to this bucket and key (S3 answers NoSuchUpload otherwise). */
  private find(bucket: string, key: string, uploadId: string): UploadRow | undefined {
    const row = this.stmt.upload.get(uploadId);
    return row === undefined || !sameUpload(row, bucket, key) ? undefined : row;
  }

  /** Deletes the upload (its parts cascade); returns their blobs. */
  private remove(uploadId: string): string[] {
    const blobs = this.stmt.partBlobs.all(uploadId).map((r) => r.blob_id);
    this.stmt.deleteUpload.run(uploadId);
    return blobs;
  }

  /** One page of uploads: the shared walk (upload-list-plan.ts) over this connection's index scans. */
  private pageOfUploads(bucketId: number, query: ListUploadsQuery): UploadsPage {
    const uploadIdMarker = uploadIdMarkerOf(query);
    const markerHasUpload = uploadIdMarker !== undefined && isMarkerKey(query, this.stmt.upload.get(uploadIdMarker)?.key);
    return runUploadListingSync(query, markerHasUpload, (from) => this.stmt.uploadsFrom.iterate(bucketId, from));
  }
}

