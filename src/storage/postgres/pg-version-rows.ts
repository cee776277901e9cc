import { decodeKey } from '../object-key.js';
import { heldBy, parseMap, toObject, type HeldBlobs, type ObjectRow } from '../rows.js';
import type { ObjectPart, ObjectRecord } from '../types.js';
import { archivedRecord, planVersionedWrite, recordOfArchive, type VersioningStatus, type VersionRead, type VersionReadResult, type VersionRow } from '../versions.js';
import type { Queryable, Tx } from './pg-connection.js';
import { removeObjectRow, writeObjectRow } from './pg-object-rows.js';

/*
 * The versioned side of object rows on PostgreSQL (see versions.ts), the same
 * steps as sqlite-version-rows.ts. Writers run inside the caller's
 * transaction, which holds lockKey for the key.
 */

interface ArchiveRow {
  key: Buffer; version_seq: number; version_id: string | null; delete_marker: boolean; size: number; etag: string;
  checksums: string; last_modified: number; record: string | null;
}
type CurrentRow = ObjectRow & { version_seq: number };

export async function versioningOf(q: Queryable, bucketId: number): Promise<VersioningStatus | null> {
  const [row] = await q<{ status: VersioningStatus }[]>`SELECT status FROM bucket_versioning WHERE bucket_id = ${bucketId}`;
  return row?.status ?? null;
}

/** PutObject and completion: a plain replace in a bucket never versioned, a new version otherwise. */
export async function putVersion(tx: Tx, bucketId: number, key: Buffer, object: ObjectRecord, inlineBytes?: Buffer):
  Promise<{ object: ObjectRecord; freed: HeldBlobs | null; versioned: boolean }> {
  const status = await versioningOf(tx, bucketId);
  if (status === null) return { object, freed: await writeObjectRow(tx, bucketId, key, object, inlineBytes), versioned: false };
  const seq = await nextSeq(tx, bucketId, key);
  const plan = await makeRoom(tx, bucketId, key, status);
  const replaced = await writeObjectRow(tx, bucketId, key, object, inlineBytes);
  await tx`UPDATE objects SET version_seq = ${seq}, version_id = ${plan.versionId} WHERE bucket_id = ${bucketId} AND key = ${key}`;
  return { object: { ...object, ...(plan.versionId === null ? {} : { versionId: plan.versionId }) }, freed: replaced ?? plan.freed, versioned: true };
}

/** Adds a delete marker as the key's latest version. */
export async function markDeleted(tx: Tx, bucketId: number, key: Buffer, status: VersioningStatus): Promise<{ versionId: string | null; freed: HeldBlobs | null }> {
  const seq = await nextSeq(tx, bucketId, key);
  const plan = await makeRoom(tx, bucketId, key, status);
  const removed = await removeObjectRow(tx, bucketId, key); // a suspended bucket's current "null" version
  await tx`
    INSERT INTO object_versions (bucket_id, key, version_seq, version_id, delete_marker, size, etag, checksums, last_modified)
    VALUES (${bucketId}, ${key}, ${seq}, ${plan.versionId}, true, 0, '', '{}', ${Date.now()})`;
  return { versionId: plan.versionId, freed: removed ?? plan.freed };
}

export async function findVersion(q: Queryable, bucketId: number, key: Buffer, bucket: string, versionId: string | null):
  Promise<{ kind: 'found'; object: ObjectRecord } | { kind: 'delete-marker'; lastModified: Date } | undefined> {
  const current = await currentRow(q, bucketId, key);
  if (current !== undefined && (current.version_id ?? null) === versionId) {
    const object = toObject(bucket, current);
    return { kind: 'found', object: current.part_count === null ? object : { ...object, parts: await partsOf(q, bucketId, key) } };
  }
  const archived = await archivedRow(q, bucketId, key, versionId);
  if (archived === undefined) return undefined;
  if (archived.delete_marker || archived.record === null) return { kind: 'delete-marker', lastModified: new Date(archived.last_modified) };
  return { kind: 'found', object: recordOfArchive(bucket, decodeKey(key), archived.record, versionId) };
}

export async function latestMarker(q: Queryable, bucketId: number, key: Buffer): Promise<{ versionId: string | undefined } | undefined> {
  const newest = await newestArchived(q, bucketId, key);
  if (newest === undefined || !newest.delete_marker) return undefined;
  return { versionId: newest.version_id ?? undefined };
}

/** Deletes exactly one version; the newest remaining one becomes current if it is not a delete marker. */
export async function removeVersion(tx: Tx, bucketId: number, key: Buffer, versionId: string | null): Promise<{ deleteMarker: boolean; freed: HeldBlobs | null } | undefined> {
  const current = await currentRow(tx, bucketId, key);
  if (current !== undefined && (current.version_id ?? null) === versionId) {
    const freed = await removeObjectRow(tx, bucketId, key);
    await promote(tx, bucketId, key);
    return { deleteMarker: false, freed };
  }
  const archived = await archivedRow(tx, bucketId, key, versionId);
  if (archived === undefined) return undefined;
  const freed = await dropArchived(tx, bucketId, key, archived);
  if (current === undefined) await promote(tx, bucketId, key);
  return { deleteMarker: archived.delete_marker, freed };
}

/** Answers one read of planVersionListing. */
export async function readVersions(q: Queryable, bucketId: number, r: VersionRead): Promise<VersionReadResult> {
  if (r.kind === 'seq') {
    const current = await currentRow(q, bucketId, r.key);
    if (current !== undefined && (current.version_id ?? null) === r.versionId) return current.version_seq;
    return (await archivedRow(q, bucketId, r.key, r.versionId))?.version_seq;
  }
  const rows = r.kind === 'older'
    ? await q<ArchiveRow[]>`
        SELECT key, version_seq, version_id, size, etag, checksums, last_modified, false AS delete_marker FROM objects WHERE bucket_id = ${bucketId} AND key = ${r.key} AND version_seq < ${r.beforeSeq}
        UNION ALL SELECT key, version_seq, version_id, size, etag, checksums, last_modified, delete_marker FROM object_versions WHERE bucket_id = ${bucketId} AND key = ${r.key} AND version_seq < ${r.beforeSeq}
        ORDER BY version_seq DESC LIMIT ${r.limit}`
    : r.to === null
      ? await q<ArchiveRow[]>`
          SELECT key, version_seq, version_id, size, etag, checksums, last_modified, false AS delete_marker FROM objects WHERE bucket_id = ${bucketId} AND key >= ${r.from}
          UNION ALL SELECT key, version_seq, version_id, size, etag, checksums, last_modified, delete_marker FROM object_versions WHERE bucket_id = ${bucketId} AND key >= ${r.from}
          ORDER BY key, version_seq DESC LIMIT ${r.limit}`
      : await q<ArchiveRow[]>`
          SELECT key, version_seq, version_id, size, etag, checksums, last_modified, false AS delete_marker FROM objects WHERE bucket_id = ${bucketId} AND key >= ${r.from} AND key < ${r.to}
          UNION ALL SELECT key, version_seq, version_id, size, etag, checksums, last_modified, delete_marker FROM object_versions WHERE bucket_id = ${bucketId} AND key >= ${r.from} AND key < ${r.to}
          ORDER BY key, version_seq DESC LIMIT ${r.limit}`;
  return rows.map((row): VersionRow => ({
    keyBytes: row.key, seq: row.version_seq, versionId: row.version_id, deleteMarker: row.delete_marker,
    size: row.size, etag: row.etag, lastModified: new Date(row.last_modified), checksumAlgorithms: Object.keys(parseMap(row.checksums)),
  }));
}

async function currentRow(q: Queryable, bucketId: number, key: Buffer): Promise<CurrentRow | undefined> {
  const [row] = await q<CurrentRow[]>`SELECT * FROM objects WHERE bucket_id = ${bucketId} AND key = ${key}`;
  return row;
}

async function archivedRow(q: Queryable, bucketId: number, key: Buffer, versionId: string | null): Promise<ArchiveRow | undefined> {
  const [row] = await q<ArchiveRow[]>`
    SELECT key, version_seq, version_id, delete_marker, size, etag, checksums, last_modified, record FROM object_versions
    WHERE bucket_id = ${bucketId} AND key = ${key} AND version_id IS NOT DISTINCT FROM ${versionId}::text`;
  return row;
}

async function newestArchived(q: Queryable, bucketId: number, key: Buffer): Promise<ArchiveRow | undefined> {
  const [row] = await q<ArchiveRow[]>`
    SELECT key, version_seq, version_id, delete_marker, size, etag, checksums, last_modified, record FROM object_versions
    WHERE bucket_id = ${bucketId} AND key = ${key} ORDER BY version_seq DESC LIMIT 1`;
  return row;
}

async function partsOf(q: Queryable, bucketId: number, key: Buffer): Promise<ObjectPart[]> {
  const rows = await q<{ part_number: number; size: number; etag: string; checksums: string; blob_id: string }[]>`
    SELECT part_number, size, etag, checksums, blob_id FROM object_parts WHERE bucket_id = ${bucketId} AND key = ${key} ORDER BY part_number`;
  return rows.map((r) => ({ partNumber: r.part_number, size: r.size, etag: r.etag, checksums: parseMap(r.checksums), blobId: r.blob_id }));
}

async function nextSeq(tx: Tx, bucketId: number, key: Buffer): Promise<number> {
  const [row] = await tx<{ seq: number }[]>`
    SELECT coalesce(max(s), 0) + 1 AS seq FROM (
      SELECT version_seq AS s FROM objects WHERE bucket_id = ${bucketId} AND key = ${key}
      UNION ALL SELECT max(version_seq) FROM object_versions WHERE bucket_id = ${bucketId} AND key = ${key}) AS seqs`;
  return Number(row?.seq ?? 1);
}

async function makeRoom(tx: Tx, bucketId: number, key: Buffer, status: VersioningStatus): Promise<{ versionId: string | null; freed: HeldBlobs | null }> {
  const current = await currentRow(tx, bucketId, key);
  const plan = planVersionedWrite(status, current === undefined ? null : { versionId: current.version_id ?? null });
  if (plan.archiveCurrent && current !== undefined) await archive(tx, bucketId, key, current);
  let freed: HeldBlobs | null = null;
  if (plan.dropArchivedNull) {
    const archivedNull = await archivedRow(tx, bucketId, key, null);
    if (archivedNull !== undefined) freed = await dropArchived(tx, bucketId, key, archivedNull);
  }
  return { versionId: plan.versionId, freed };
}

async function archive(tx: Tx, bucketId: number, key: Buffer, current: CurrentRow): Promise<void> {
  const object = toObject('', current);
  const record = current.part_count === null ? object : { ...object, parts: await partsOf(tx, bucketId, key) };
  await tx`DELETE FROM object_parts WHERE bucket_id = ${bucketId} AND key = ${key}`;
  await tx`DELETE FROM objects WHERE bucket_id = ${bucketId} AND key = ${key}`;
  await tx`
    INSERT INTO object_versions (bucket_id, key, version_seq, version_id, delete_marker, size, etag, checksums, last_modified, blob_id, stored_inline, record)
    VALUES (${bucketId}, ${key}, ${current.version_seq}, ${current.version_id ?? null}, false, ${record.size}, ${record.etag},
            ${JSON.stringify(record.checksums)}, ${record.lastModified.getTime()}, ${record.blobId}, ${record.inline === true}, ${archivedRecord(record)})`;
  const parts = record.parts ?? [];
  if (parts.length > 0) {
    await tx`
      INSERT INTO version_parts (blob_id, bucket_id, key, version_seq)
      SELECT blob_id, ${bucketId}, ${key}::bytea, ${current.version_seq} FROM unnest(${parts.map((p) => p.blobId)}::text[]) AS blob_id`;
  }
}

async function dropArchived(tx: Tx, bucketId: number, key: Buffer, row: ArchiveRow): Promise<HeldBlobs | null> {
  await tx`DELETE FROM object_versions WHERE bucket_id = ${bucketId} AND key = ${key} AND version_seq = ${row.version_seq}`;
  if (row.record === null) return null;
  const object = recordOfArchive('', '', row.record, null);
  if (object.inline === true) await tx`DELETE FROM inline_blobs WHERE blob_id = ${object.blobId}`;
  return heldBy(object);
}

async function promote(tx: Tx, bucketId: number, key: Buffer): Promise<void> {
  const newest = await newestArchived(tx, bucketId, key);
  if (newest === undefined || newest.delete_marker || newest.record === null) return;
  const object = recordOfArchive('', decodeKey(key), newest.record, newest.version_id);
  await tx`DELETE FROM object_versions WHERE bucket_id = ${bucketId} AND key = ${key} AND version_seq = ${newest.version_seq}`;
  await writeObjectRow(tx, bucketId, key, object, undefined, true);
  await tx`UPDATE objects SET version_seq = ${newest.version_seq}, version_id = ${newest.version_id} WHERE bucket_id = ${bucketId} AND key = ${key}`;
}
