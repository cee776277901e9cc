import type { ObjectRecord } from '../types.js';
import type { HeldBlobs } from '../rows.js';
import type { PendingQuery, Queryable, Tx } from './pg-connection.js';

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
 * One statement (latchkey_write_object, migration 6): one round trip.
 */
export async function writeObjectRow(tx: Tx, bucketId: number, key: Buffer, object: ObjectRecord, inlineBytes?: Buffer, restored = false): Promise<HeldBlobs | null> {
  if (!restored && (inlineBytes !== undefined) !== (object.inline === true)) throw new Error('an inline object needs its bytes, and only it');
  const [written] = await tx<WrittenRow[]>`SELECT * FROM latchkey_write_object(${bucketId}::bigint, ${objectArguments(tx, key, object, inlineBytes)})`;
  return heldOf(written);
}

/**
 * The arguments latchkey_write_object and latchkey_put_object take after the
 * bucket: the key, the row's columns, the inline body, the parts as arrays.
 */
export function objectArguments(q: Queryable, key: Buffer, object: ObjectRecord, inlineBytes: Buffer | undefined): PendingQuery {
  const parts = object.parts;
  const arrays = parts === undefined || parts.length === 0
    ? q`NULL, NULL, NULL, NULL, NULL`
    : q`${parts.map((p) => p.partNumber)}::int[], ${parts.map((p) => p.size)}::bigint[], ${parts.map((p) => p.etag)}::text[],
        ${parts.map((p) => JSON.stringify(p.checksums))}::text[], ${parts.map((p) => p.blobId)}::text[]`;
  return q`${key}::bytea, ${object.size}::bigint, ${object.etag}::text, ${object.contentType ?? null}::text, ${object.cacheControl ?? null}::text,
    ${object.contentDisposition ?? null}::text, ${object.contentEncoding ?? null}::text, ${object.contentLanguage ?? null}::text, ${object.expires ?? null}::text,
    ${JSON.stringify(object.userMetadata)}::text, ${JSON.stringify(object.checksums)}::text, ${JSON.stringify(object.tags)}::text,
    ${object.lastModified.getTime()}::bigint, ${object.blobId}::text, ${parts?.length ?? null}::int, ${object.inline === true}::boolean,
    ${inlineBytes ?? null}::bytea, ${arrays}`;
}

/** What latchkey_write_object (and latchkey_put_object) report of the row they replaced. */
export interface WrittenRow { replaced: boolean | null; freed_blob_id: string | null; freed_part_blob_ids: string[] | null }

export function heldOf(written: WrittenRow | undefined): HeldBlobs | null {
  if (written?.replaced !== true) return null;
  return { blobId: written.freed_blob_id, partBlobIds: written.freed_part_blob_ids ?? [] };
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
