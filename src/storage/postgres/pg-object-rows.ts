import type { ObjectRecord } from '../types.js';
import type { HeldBlobs } from '../rows.js';
import type { Tx } from './pg-connection.js';

/**
 * Serializes every writer of one bucket/key for the rest of the transaction.
 * A row lock cannot do it: two first PUTs of a key find no row to lock, and
 * the loser's upsert would replace the winner's version without reporting its
 * blob as freed. Released at commit or rollback.
 */
export async function lockKey(tx: Tx, bucketId: number, key: Buffer): Promise<void> {
  await tx`SELECT pg_advisory_xact_lock(hashtextextended(${String(bucketId)} || '/' || encode(${key}::bytea, 'hex'), 0))`;
}

/**
 * Inserts or replaces the row (with the body when `inlineBytes` is given)
 * inside the caller's transaction, which holds lockKey; returns what the
 * replaced version held (now unreferenced), or null. `restored`: an archived
 * version becoming current again, whose inline body is stored already.
 */
export async function writeObjectRow(tx: Tx, bucketId: number, key: Buffer, object: ObjectRecord, inlineBytes?: Buffer, restored = false): Promise<HeldBlobs | null> {
  if (!restored && (inlineBytes !== undefined) !== (object.inline === true)) throw new Error('an inline object needs its bytes, and only it');
  const previous = await releaseObjectRow(tx, bucketId, key);
  if (inlineBytes !== undefined) await tx`INSERT INTO inline_blobs (blob_id, bytes) VALUES (${object.blobId}, ${inlineBytes})`;
  await tx`
    INSERT INTO objects (bucket_id, key, size, etag, content_type, cache_control, content_disposition, content_encoding,
                         content_language, expires, user_metadata, checksums, tags, last_modified, blob_id, part_count, stored_inline)
    VALUES (${bucketId}, ${key}, ${object.size}, ${object.etag}, ${object.contentType ?? null}, ${object.cacheControl ?? null},
            ${object.contentDisposition ?? null}, ${object.contentEncoding ?? null}, ${object.contentLanguage ?? null}, ${object.expires ?? null},
            ${JSON.stringify(object.userMetadata)}, ${JSON.stringify(object.checksums)}, ${JSON.stringify(object.tags)}, ${object.lastModified.getTime()}, ${object.blobId},
            ${object.parts?.length ?? null}, ${object.inline === true})
    ON CONFLICT (bucket_id, key) DO UPDATE SET
      size = excluded.size, etag = excluded.etag, content_type = excluded.content_type, cache_control = excluded.cache_control,
      content_disposition = excluded.content_disposition, content_encoding = excluded.content_encoding,
      content_language = excluded.content_language, expires = excluded.expires, user_metadata = excluded.user_metadata,
      checksums = excluded.checksums, tags = excluded.tags, last_modified = excluded.last_modified, blob_id = excluded.blob_id,
      part_count = excluded.part_count, stored_inline = excluded.stored_inline`;
  const parts = object.parts ?? [];
  if (parts.length > 0) {
    await tx`
      INSERT INTO object_parts (bucket_id, key, part_number, size, etag, checksums, blob_id)
      SELECT ${bucketId}, ${key}::bytea, * FROM unnest(${parts.map((p) => p.partNumber)}::int[], ${parts.map((p) => p.size)}::bigint[],
        ${parts.map((p) => p.etag)}::text[], ${parts.map((p) => JSON.stringify(p.checksums))}::text[], ${parts.map((p) => p.blobId)}::text[])`;
  }
  return previous;
}

/** Deletes the row inside the caller's transaction (holding lockKey); what it held, or null when there was none. */
export async function removeObjectRow(tx: Tx, bucketId: number, key: Buffer): Promise<HeldBlobs | null> {
  const previous = await releaseObjectRow(tx, bucketId, key);
  if (previous === null) return null;
  await tx`DELETE FROM objects WHERE bucket_id = ${bucketId} AND key = ${key}`;
  return previous;
}

/** Drops the current version's part rows and inline body (the row itself stays for the caller to replace or delete). */
async function releaseObjectRow(tx: Tx, bucketId: number, key: Buffer): Promise<HeldBlobs | null> {
  const [previous] = await tx<{ blob_id: string; part_count: number | null; stored_inline: boolean }[]>`
    SELECT blob_id, part_count, stored_inline FROM objects WHERE bucket_id = ${bucketId} AND key = ${key} FOR UPDATE`;
  if (previous === undefined) return null;
  if (previous.stored_inline) {
    await tx`DELETE FROM inline_blobs WHERE blob_id = ${previous.blob_id}`;
    return { blobId: null, partBlobIds: [] };
  }
  if (previous.part_count === null) return { blobId: previous.blob_id, partBlobIds: [] };
  const parts = await tx<{ blob_id: string }[]>`DELETE FROM object_parts WHERE bucket_id = ${bucketId} AND key = ${key} RETURNING blob_id`;
  return { blobId: previous.blob_id, partBlobIds: parts.map((r) => r.blob_id).filter((id) => id !== previous.blob_id) };
}
