import type Database from 'better-sqlite3';
import { decodeKey } from '../object-key.js';
import { heldBy, parseMap, toObject, type HeldBlobs, type ObjectRow } from '../rows.js';
import type { ObjectRecord } from '../types.js';
import { archivedRecord, planVersionedWrite, recordOfArchive, type VersioningStatus, type VersionRead, type VersionReadResult, type VersionRow } from '../versions.js';
import type { SqliteObjectRows } from './sqlite-object-rows.js';

interface ArchiveRow {
  key: Buffer; version_seq: number; version_id: string | null; delete_marker: number; size: number; etag: string;
  checksums: string; last_modified: number; record: string | null;
}
interface ListedRow { key: Buffer; version_seq: number; version_id: string | null; delete_marker: number; size: number; etag: string; checksums: string; last_modified: number }

const LISTED = 'key, version_seq, version_id, delete_marker, size, etag, checksums, last_modified';
const CURRENT_LISTED = 'key, version_seq, version_id, 0 AS delete_marker, size, etag, checksums, last_modified';

/**
 * The versioned side of object rows on SQLite (see versions.ts): archiving the
 * current version, delete markers, reads and deletes of one version, and the
 * version listing's reads. Callers run these inside their write transaction.
 */
export class SqliteVersionRows {
  private readonly stmt;

  constructor(
    db: Database.Database,
    private readonly rows: SqliteObjectRows,
    private readonly changed: (bucketId: number, key: Buffer) => void,
  ) {
    this.stmt = {
      status: db.prepare<[number], { status: VersioningStatus }>('SELECT status FROM bucket_versioning WHERE bucket_id = ?'),
      setStatus: db.prepare<[number, string]>(
        'INSERT INTO bucket_versioning (bucket_id, status) VALUES (?, ?) ON CONFLICT (bucket_id) DO UPDATE SET status = excluded.status'),
      current: db.prepare<[number, Buffer], ObjectRow & { version_seq: number }>('SELECT * FROM objects WHERE bucket_id = ? AND key = ?'),
      nextSeq: db.prepare<[number, Buffer, number, Buffer], { seq: number }>(`
        SELECT coalesce(max(s), 0) + 1 AS seq FROM (
          SELECT version_seq AS s FROM objects WHERE bucket_id = ? AND key = ?
          UNION ALL SELECT max(version_seq) FROM object_versions WHERE bucket_id = ? AND key = ?)`),
      setVersion: db.prepare<[number, string | null, number, Buffer]>('UPDATE objects SET version_seq = ?, version_id = ? WHERE bucket_id = ? AND key = ?'),
      archive: db.prepare<[number, Buffer, number, string | null, number, number, string, string, number, string | null, number, string | null]>(`
        INSERT INTO object_versions (bucket_id, key, version_seq, version_id, delete_marker, size, etag, checksums, last_modified, blob_id, stored_inline, record)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      archivePart: db.prepare<[string, number, Buffer, number]>('INSERT INTO version_parts (blob_id, bucket_id, key, version_seq) VALUES (?, ?, ?, ?)'),
      dropCurrentParts: db.prepare<[number, Buffer]>('DELETE FROM object_parts WHERE bucket_id = ? AND key = ?'),
      dropCurrent: db.prepare<[number, Buffer]>('DELETE FROM objects WHERE bucket_id = ? AND key = ?'),
      archived: db.prepare<[number, Buffer, string | null], ArchiveRow>(
        `SELECT ${LISTED}, record FROM object_versions WHERE bucket_id = ? AND key = ? AND version_id IS ?`),
      newestArchived: db.prepare<[number, Buffer], ArchiveRow>(
        `SELECT ${LISTED}, record FROM object_versions WHERE bucket_id = ? AND key = ? ORDER BY version_seq DESC LIMIT 1`),
      dropArchived: db.prepare<[number, Buffer, number]>('DELETE FROM object_versions WHERE bucket_id = ? AND key = ? AND version_seq = ?'),
      deleteInline: db.prepare<[string]>('DELETE FROM inline_blobs WHERE blob_id = ?'),
      anyVersion: db.prepare<[number], { one: number }>('SELECT 1 AS one FROM object_versions WHERE bucket_id = ? LIMIT 1'),
      range: db.prepare<[number, Buffer, Buffer, number, Buffer, Buffer, number], ListedRow>(`
        SELECT * FROM (
          SELECT ${CURRENT_LISTED} FROM objects WHERE bucket_id = ? AND key >= ? AND key < ?
          UNION ALL SELECT ${LISTED} FROM object_versions WHERE bucket_id = ? AND key >= ? AND key < ?)
        ORDER BY key, version_seq DESC LIMIT ?`),
      rangeOpen: db.prepare<[number, Buffer, number, Buffer, number], ListedRow>(`
        SELECT * FROM (
          SELECT ${CURRENT_LISTED} FROM objects WHERE bucket_id = ? AND key >= ?
          UNION ALL SELECT ${LISTED} FROM object_versions WHERE bucket_id = ? AND key >= ?)
        ORDER BY key, version_seq DESC LIMIT ?`),
      older: db.prepare<[number, Buffer, number, number, Buffer, number, number], ListedRow>(`
        SELECT * FROM (
          SELECT ${CURRENT_LISTED} FROM objects WHERE bucket_id = ? AND key = ? AND version_seq < ?
          UNION ALL SELECT ${LISTED} FROM object_versions WHERE bucket_id = ? AND key = ? AND version_seq < ?)
        ORDER BY version_seq DESC LIMIT ?`),
    };
  }

  status(bucketId: number): VersioningStatus | null {
    return this.stmt.status.get(bucketId)?.status ?? null;
  }

  setStatus(bucketId: number, status: VersioningStatus): void {
    this.stmt.setStatus.run(bucketId, status);
  }

  /**
   * Stores `object` as the key's new current version (PutObject, completion):
   * a plain replace in a bucket never versioned, a new version otherwise.
   * Returns it with its version id, and what it made unreferenced.
   */
  put(bucketId: number, key: Buffer, object: ObjectRecord, inlineBytes?: Buffer): { object: ObjectRecord; freed: HeldBlobs | null; versioned: boolean } {
    const status = this.status(bucketId);
    if (status === null) return { object, freed: this.rows.write(bucketId, key, object, inlineBytes), versioned: false };
    this.changed(bucketId, key);
    const seq = this.nextSeq(bucketId, key);
    const plan = this.makeRoom(bucketId, key, status);
    const replaced = this.rows.write(bucketId, key, object, inlineBytes);
    this.stmt.setVersion.run(seq, plan.versionId, bucketId, key);
    return { object: { ...object, ...(plan.versionId === null ? {} : { versionId: plan.versionId }) }, freed: replaced ?? plan.freed, versioned: true };
  }

  /** Adds a delete marker as the key's latest version. */
  mark(bucketId: number, key: Buffer, status: VersioningStatus): { versionId: string | null; freed: HeldBlobs | null } {
    this.changed(bucketId, key);
    const seq = this.nextSeq(bucketId, key);
    const plan = this.makeRoom(bucketId, key, status);
    const removed = this.rows.remove(bucketId, key); // a suspended bucket's current "null" version
    this.stmt.archive.run(bucketId, key, seq, plan.versionId, 1, 0, '', '{}', Date.now(), null, 0, null);
    return { versionId: plan.versionId, freed: removed ?? plan.freed };
  }

  /** The current version's id and record, or an archived version's (or marker's). */
  find(bucketId: number, key: Buffer, bucket: string, versionId: string | null):
    | { kind: 'found'; object: ObjectRecord } | { kind: 'delete-marker'; lastModified: Date } | undefined {
    const current = this.stmt.current.get(bucketId, key);
    if (current !== undefined && (current.version_id ?? null) === versionId) {
      const object = toObject(bucket, current);
      return { kind: 'found', object: current.part_count === null ? object : { ...object, parts: this.rows.parts(bucketId, key) } };
    }
    const archived = this.stmt.archived.get(bucketId, key, versionId);
    if (archived === undefined) return undefined;
    if (archived.delete_marker === 1 || archived.record === null) return { kind: 'delete-marker', lastModified: new Date(archived.last_modified) };
    return { kind: 'found', object: recordOfArchive(bucket, decodeKey(key), archived.record, versionId) };
  }

  /** The latest version's id when it is a delete marker (no current object); undefined otherwise. */
  latestMarker(bucketId: number, key: Buffer): { versionId: string | undefined } | undefined {
    const newest = this.stmt.newestArchived.get(bucketId, key);
    if (newest === undefined || newest.delete_marker !== 1) return undefined;
    return { versionId: newest.version_id ?? undefined };
  }

  /** Deletes exactly one version; the newest remaining one becomes current if it is not a delete marker. */
  remove(bucketId: number, key: Buffer, versionId: string | null): { deleteMarker: boolean; freed: HeldBlobs | null } | undefined {
    this.changed(bucketId, key);
    const current = this.stmt.current.get(bucketId, key);
    if (current !== undefined && (current.version_id ?? null) === versionId) {
      const freed = this.rows.remove(bucketId, key);
      this.promote(bucketId, key);
      return { deleteMarker: false, freed };
    }
    const archived = this.stmt.archived.get(bucketId, key, versionId);
    if (archived === undefined) return undefined;
    const freed = this.dropArchived(bucketId, key, archived);
    if (current === undefined) this.promote(bucketId, key);
    return { deleteMarker: archived.delete_marker === 1, freed };
  }

  hasVersions(bucketId: number): boolean {
    return this.stmt.anyVersion.get(bucketId) !== undefined;
  }

  /** Answers one read of planVersionListing. */
  read(bucketId: number, r: VersionRead): VersionReadResult {
    if (r.kind === 'seq') {
      const current = this.stmt.current.get(bucketId, r.key);
      if (current !== undefined && (current.version_id ?? null) === r.versionId) return current.version_seq;
      return this.stmt.archived.get(bucketId, r.key, r.versionId)?.version_seq;
    }
    const rows = r.kind === 'older'
      ? this.stmt.older.all(bucketId, r.key, r.beforeSeq, bucketId, r.key, r.beforeSeq, r.limit)
      : r.to === null
        ? this.stmt.rangeOpen.all(bucketId, r.from, bucketId, r.from, r.limit)
        : this.stmt.range.all(bucketId, r.from, r.to, bucketId, r.from, r.to, r.limit);
    return rows.map(versionRow);
  }

  private nextSeq(bucketId: number, key: Buffer): number {
    return this.stmt.nextSeq.get(bucketId, key, bucketId, key)?.seq ?? 1;
  }

  /** Archives the current version or drops the "null" one, as the bucket's status says; the new version's id. */
  private makeRoom(bucketId: number, key: Buffer, status: VersioningStatus): { versionId: string | null; freed: HeldBlobs | null } {
    const current = this.stmt.current.get(bucketId, key);
    const plan = planVersionedWrite(status, current === undefined ? null : { versionId: current.version_id ?? null });
    if (plan.archiveCurrent && current !== undefined) this.archive(bucketId, key, current);
    let freed: HeldBlobs | null = null;
    if (plan.dropArchivedNull) {
      const archivedNull = this.stmt.archived.get(bucketId, key, null);
      if (archivedNull !== undefined) freed = this.dropArchived(bucketId, key, archivedNull);
    }
    return { versionId: plan.versionId, freed };
  }

  /** Moves the current row into the archive with its parts; its blobs stay referenced. */
  private archive(bucketId: number, key: Buffer, current: ObjectRow & { version_seq: number }): void {
    this.changed(bucketId, key);
    const object = toObject('', current);
    const record = current.part_count === null ? object : { ...object, parts: this.rows.parts(bucketId, key) };
    this.stmt.dropCurrentParts.run(bucketId, key);
    this.stmt.dropCurrent.run(bucketId, key);
    this.stmt.archive.run(bucketId, key, current.version_seq, current.version_id ?? null, 0, record.size, record.etag,
      JSON.stringify(record.checksums), record.lastModified.getTime(), record.blobId, record.inline === true ? 1 : 0, archivedRecord(record));
    for (const part of record.parts ?? []) this.stmt.archivePart.run(part.blobId, bucketId, key, current.version_seq);
  }

  /** Deletes an archived version (its part rows cascade, its inline body goes too); the blob files it held. */
  private dropArchived(bucketId: number, key: Buffer, row: ArchiveRow): HeldBlobs | null {
    this.stmt.dropArchived.run(bucketId, key, row.version_seq);
    if (row.record === null) return null;
    const object = recordOfArchive('', '', row.record, null);
    if (object.inline === true) this.stmt.deleteInline.run(object.blobId);
    return heldBy(object);
  }

  /** With no current row, the newest archived version becomes current again unless it is a delete marker. */
  private promote(bucketId: number, key: Buffer): void {
    const newest = this.stmt.newestArchived.get(bucketId, key);
    if (newest === undefined || newest.delete_marker === 1 || newest.record === null) return;
    const object = recordOfArchive('', decodeKey(key), newest.record, newest.version_id);
    this.stmt.dropArchived.run(bucketId, key, newest.version_seq);
    this.rows.write(bucketId, key, object, undefined, true);
    this.stmt.setVersion.run(newest.version_seq, newest.version_id, bucketId, key);
  }
}

function versionRow(r: ListedRow): VersionRow {
  return {
    keyBytes: r.key, seq: r.version_seq, versionId: r.version_id, deleteMarker: r.delete_marker === 1,
    size: r.size, etag: r.etag, lastModified: new Date(r.last_modified), checksumAlgorithms: Object.keys(parseMap(r.checksums)),
  };
}
