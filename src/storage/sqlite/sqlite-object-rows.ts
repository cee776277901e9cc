import type Database from 'better-sqlite3';
import type { ObjectPart, ObjectRecord } from '../types.js';
import type { HeldBlobs } from '../rows.js';

interface PartRow { part_number: number; size: number; etag: string; checksums: string; blob_id: string }

/**
 * Writes and removes object rows, plain or multipart, for the statements that
 * must share them (PutObject and CompleteMultipartUpload). Callers run these
 * inside their own write transaction.
 */
export class SqliteObjectRows {
  private readonly stmt;

  /** `changed` hears of every row written or removed: the metadata store's read cache listens. */
  constructor(
    db: Database.Database,
    private readonly changed: (bucketId: number, key: Buffer) => void = () => undefined,
  ) {
    this.stmt = {
      previous: db.prepare<[number, Buffer], { blob_id: string; part_count: number | null; stored_inline: number }>(
        'SELECT blob_id, part_count, stored_inline FROM objects WHERE bucket_id = ? AND key = ?'),
      insertInline: db.prepare<[string, Buffer]>('INSERT INTO inline_blobs (blob_id, bytes) VALUES (?, ?)'),
      deleteInline: db.prepare<[string]>('DELETE FROM inline_blobs WHERE blob_id = ?'),
      partBlobs: db.prepare<[number, Buffer], { blob_id: string }>('SELECT blob_id FROM object_parts WHERE bucket_id = ? AND key = ?'),
      deleteParts: db.prepare<[number, Buffer]>('DELETE FROM object_parts WHERE bucket_id = ? AND key = ?'),
      parts: db.prepare<[number, Buffer], PartRow>(
        'SELECT part_number, size, etag, checksums, blob_id FROM object_parts WHERE bucket_id = ? AND key = ? ORDER BY part_number'),
      insertPart: db.prepare<[number, Buffer, number, number, string, string, string]>(
        'INSERT INTO object_parts (bucket_id, key, part_number, size, etag, checksums, blob_id) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      // Positional: binding seventeen named parameters costs a property lookup each, on every PUT.
      upsert: db.prepare<[number, Buffer, number, string, string | null, string | null, string | null, string | null,
                          string | null, string | null, string, string, string, number, string, number | null, number]>(`
        INSERT INTO objects (bucket_id, key, size, etag, content_type, cache_control, content_disposition, content_encoding,
                             content_language, expires, user_metadata, checksums, tags, last_modified, blob_id, part_count, stored_inline)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (bucket_id, key) DO UPDATE SET
          size = excluded.size, etag = excluded.etag, content_type = excluded.content_type,
          cache_control = excluded.cache_control, content_disposition = excluded.content_disposition,
          content_encoding = excluded.content_encoding, content_language = excluded.content_language,
          expires = excluded.expires, user_metadata = excluded.user_metadata, checksums = excluded.checksums, tags = excluded.tags,
          last_modified = excluded.last_modified, blob_id = excluded.blob_id, part_count = excluded.part_count,
          stored_inline = excluded.stored_inline`),
      setTags: db.prepare<[string, number, Buffer]>('UPDATE objects SET tags = ? WHERE bucket_id = ? AND key = ?'),
      deleteObject: db.prepare<[number, Buffer], { blob_id: string }>('DELETE FROM objects WHERE bucket_id = ? AND key = ? RETURNING blob_id'),
    };
  }

  /**
   * Inserts or replaces the row (with the body when `inlineBytes` is given);
   * returns what the replaced version held (now unreferenced), or null.
   * `restored`: an archived version becoming current again, whose inline body is stored already.
   */
  write(bucketId: number, key: Buffer, object: ObjectRecord, inlineBytes?: Buffer, restored = false): HeldBlobs | null {
    if (!restored && (inlineBytes !== undefined) !== (object.inline === true)) throw new Error('an inline object needs its bytes, and only it');
    this.changed(bucketId, key);
    const previous = this.release(bucketId, key);
    if (inlineBytes !== undefined) this.stmt.insertInline.run(object.blobId, inlineBytes);
    this.stmt.upsert.run(
      bucketId, key, object.size, object.etag,
      object.contentType ?? null, object.cacheControl ?? null,
      object.contentDisposition ?? null, object.contentEncoding ?? null,
      object.contentLanguage ?? null, object.expires ?? null,
      JSON.stringify(object.userMetadata), JSON.stringify(object.checksums), JSON.stringify(object.tags),
      object.lastModified.getTime(), object.blobId, object.parts?.length ?? null,
      object.inline === true ? 1 : 0,
    );
    for (const part of object.parts ?? []) {
      this.stmt.insertPart.run(bucketId, key, part.partNumber, part.size, part.etag, JSON.stringify(part.checksums), part.blobId);
    }
    return previous;
  }

  /** Replaces the row's tag set; false when there is no row. */
  setTags(bucketId: number, key: Buffer, tags: string): boolean {
    this.changed(bucketId, key);
    return this.stmt.setTags.run(tags, bucketId, key).changes === 1;
  }

  /** Deletes the row; what it held, or null when there was none. */
  remove(bucketId: number, key: Buffer): HeldBlobs | null {
    this.changed(bucketId, key);
    const previous = this.release(bucketId, key);
    if (previous === null) return null;
    this.stmt.deleteObject.run(bucketId, key);
    return previous;
  }

  /** The parts of a multipart object, in order. */
  parts(bucketId: number, key: Buffer): ObjectPart[] {
    return this.stmt.parts.all(bucketId, key).map((r) => ({
      partNumber: r.part_number, size: r.size, etag: r.etag, checksums: JSON.parse(r.checksums) as Record<string, string>, blobId: r.blob_id,
    }));
  }

  /** Drops the current version's part rows and inline body (the row itself stays for the caller to replace or delete). */
  private release(bucketId: number, key: Buffer): HeldBlobs | null {
    const previous = this.stmt.previous.get(bucketId, key);
    if (previous === undefined) return null;
    if (previous.stored_inline === 1) {
      this.stmt.deleteInline.run(previous.blob_id);
      return { blobId: null, partBlobIds: [] };
    }
    if (previous.part_count === null) return { blobId: previous.blob_id, partBlobIds: [] };
    const partBlobIds = this.stmt.partBlobs.all(bucketId, key).map((r) => r.blob_id).filter((id) => id !== previous.blob_id);
    this.stmt.deleteParts.run(bucketId, key);
    return { blobId: previous.blob_id, partBlobIds };
  }
}
