import { newVersionId } from '../version-id.js';
import { decodeKey, encodeText, maxBytes, prefixUpperBound, successor } from './object-key.js';
import { cutPage, rollUp, type PageEntry } from './list-page.js';
import type { ObjectRecord } from './types.js';

/*
 * Bucket versioning, written once for every backend. The `objects` table keeps
 * a key's current version (the newest one, when it is not a delete marker), so
 * every read and listing of current objects is unchanged; the other versions
 * and every delete marker sit in `object_versions`, ordered per key by a
 * sequence number (`version_seq`) that grows with each version of that key. A
 * bucket never versioned writes seq 0 and no version id, as before.
 */

export type VersioningStatus = 'Enabled' | 'Suspended';

/** What a new version (object or delete marker) does to the versions already there. */
export interface VersionedWrite {
  /** Move the current version into the archive (it stays readable by id). */
  readonly archiveCurrent: boolean;
  /** The new version's id; null for S3's "null" version. */
  readonly versionId: string | null;
  /** Drop the archived "null" version, if any: a suspended bucket overwrites it. */
  readonly dropArchivedNull: boolean;
}

/**
 * Enabled: every write is a new version. Suspended: the write is the "null"
 * version, replacing any earlier "null" version (current or not) and keeping
 * the real versions, as S3 does.
 */
export function planVersionedWrite(status: VersioningStatus, current: { readonly versionId: string | null } | null): VersionedWrite {
  if (status === 'Enabled') return { archiveCurrent: current !== null, versionId: newVersionId(), dropArchivedNull: false };
  return { archiveCurrent: current !== null && current.versionId !== null, versionId: null, dropArchivedNull: true };
}

/** The archived form of a version's record: everything but where it lives (bucket, key), which the row's columns say. */
export function archivedRecord(object: ObjectRecord): string {
  const { bucket: _bucket, key: _key, versionId: _versionId, ...rest } = object;
  return JSON.stringify(rest);
}

export function recordOfArchive(bucket: string, key: string, json: string, versionId: string | null): ObjectRecord {
  const parsed = JSON.parse(json) as Omit<ObjectRecord, 'lastModified'> & { lastModified: string };
  return { ...parsed, bucket, key, lastModified: new Date(parsed.lastModified), ...(versionId === null ? {} : { versionId }) };
}

/** One version or delete marker, as the listing reads it from either table. */
export interface VersionRow {
  readonly keyBytes: Uint8Array;
  readonly seq: number;
  readonly versionId: string | null;
  readonly deleteMarker: boolean;
  readonly size: number;
  readonly etag: string;
  readonly lastModified: Date;
  readonly checksumAlgorithms: readonly string[];
}

export interface VersionSummary {
  readonly key: string;
  /** Undefined for the "null" version. */
  readonly versionId: string | undefined;
  readonly isLatest: boolean;
  readonly deleteMarker: boolean;
  readonly size: number;
  readonly etag: string;
  readonly lastModified: Date;
  readonly checksumAlgorithms: readonly string[];
}

export interface ListVersionsQuery {
  readonly bucket: string;
  readonly prefix?: string | undefined;
  readonly delimiter?: string | undefined;
  readonly keyMarker?: string | undefined;
  /** Continue inside keyMarker's versions after this one ("null" for the null version). */
  readonly versionIdMarker?: string | undefined;
  /** 0..1000, clamped by the caller. */
  readonly maxKeys: number;
}

export interface ListVersionsPage {
  readonly versions: readonly VersionSummary[];
  readonly commonPrefixes: readonly string[];
  readonly isTruncated: boolean;
  /** When truncated: where the next page starts (a version's key and id, or a common prefix with no version id). */
  readonly nextKeyMarker: string | undefined;
  readonly nextVersionIdMarker: string | undefined;
}

/**
 * The reads a version listing asks of a backend: the versions of keys in
 * [from, to) (key ascending, newest first), the versions of one key older than
 * a sequence number, or the sequence number of one version.
 */
export type VersionRead =
  | { readonly kind: 'range'; readonly from: Buffer; readonly to: Buffer | null; readonly limit: number }
  | { readonly kind: 'older'; readonly key: Buffer; readonly beforeSeq: number; readonly limit: number }
  | { readonly kind: 'seq'; readonly key: Buffer; readonly versionId: string | null };

export type VersionReadResult = readonly VersionRow[] | number | undefined;

const MAX_BATCH = 1000;

/**
 * ListObjectVersions as a seek plan (like planListing): keys in UTF-8 byte
 * order, each key's versions newest first, a common prefix costing one seek
 * past its group. Sync (SQLite) or async (PostgreSQL) runners answer the reads.
 */
export function* planVersionListing(query: ListVersionsQuery): Generator<VersionRead, ListVersionsPage, VersionReadResult> {
  const empty: ListVersionsPage = { versions: [], commonPrefixes: [], isTruncated: false, nextKeyMarker: undefined, nextVersionIdMarker: undefined };
  if (query.maxKeys <= 0) return empty;
  const prefix = query.prefix ?? '';
  const prefixBytes = encodeText(prefix);
  const markerBytes = query.keyMarker === undefined || query.keyMarker === '' ? undefined : encodeText(query.keyMarker);
  const to = prefixUpperBound(prefixBytes);
  let from = markerBytes === undefined ? prefixBytes : maxBytes(prefixBytes, successor(markerBytes));
  const wanted = query.maxKeys + 1;
  const entries: PageEntry<VersionSummary>[] = [];
  const inRange = (key: Uint8Array) => Buffer.compare(Buffer.from(key), prefixBytes) >= 0 && (to === null || Buffer.compare(Buffer.from(key), to) < 0);

  // Versions of one key left to list, older than `beforeSeq` (after a version-id marker, or a batch that ended inside a key).
  let older: { key: Buffer; beforeSeq: number } | undefined;
  if (markerBytes !== undefined && query.versionIdMarker !== undefined && query.versionIdMarker !== '' && inRange(markerBytes)) {
    const seq = yield { kind: 'seq', key: markerBytes, versionId: query.versionIdMarker === 'null' ? null : query.versionIdMarker };
    if (typeof seq === 'number') older = { key: markerBytes, beforeSeq: seq };
  }

  let batch = 1;
  let lastKey: Buffer | undefined;
  scan: while (entries.length < wanted) {
    if (older !== undefined) {
      const limit = Math.min(wanted - entries.length, MAX_BATCH);
      const rows = (yield { kind: 'older', ...older, limit }) as readonly VersionRow[];
      for (const row of rows) entries.push({ kind: 'item', item: summaryOf(row, false) });
      const last = rows[rows.length - 1];
      older = rows.length < limit || last === undefined ? undefined : { key: older.key, beforeSeq: last.seq };
      continue;
    }
    if (to !== null && Buffer.compare(from, to) >= 0) break;
    const limit = Math.min(wanted - entries.length, batch);
    const rows = (yield { kind: 'range', from, to, limit }) as readonly VersionRow[];
    batch = Math.min(batch * 2, MAX_BATCH);
    for (const row of rows) {
      const key = decodeKey(row.keyBytes);
      const commonPrefix = rollUp(key, prefix, query.delimiter);
      if (commonPrefix !== undefined) {
        const commonBytes = encodeText(commonPrefix);
        if (markerBytes === undefined || Buffer.compare(commonBytes, markerBytes) > 0) entries.push({ kind: 'prefix', prefix: commonPrefix });
        const past = prefixUpperBound(commonBytes);
        if (past === null) break scan;
        from = past;
        batch = 1;
        lastKey = undefined;
        continue scan;
      }
      const keyBytes = Buffer.from(row.keyBytes);
      const isLatest = lastKey === undefined || !lastKey.equals(keyBytes);
      lastKey = keyBytes;
      entries.push({ kind: 'item', item: summaryOf(row, isLatest) });
      if (entries.length >= wanted) break scan;
    }
    const last = rows[rows.length - 1];
    if (rows.length < limit || last === undefined) break;
    // The batch may have ended inside a key: its older versions first, then the keys after it.
    older = { key: Buffer.from(last.keyBytes), beforeSeq: last.seq };
    from = successor(last.keyBytes);
    lastKey = undefined;
  }

  const page = cutPage(entries, query.maxKeys);
  return {
    versions: page.items, commonPrefixes: page.commonPrefixes, isTruncated: page.isTruncated, nextKeyMarker: page.nextKey,
    nextVersionIdMarker: page.lastItem === undefined ? undefined : page.lastItem.versionId ?? 'null',
  };
}

function summaryOf(row: VersionRow, isLatest: boolean): VersionSummary {
  return {
    key: decodeKey(row.keyBytes), versionId: row.versionId ?? undefined, isLatest, deleteMarker: row.deleteMarker,
    size: row.size, etag: row.etag, lastModified: row.lastModified, checksumAlgorithms: row.checksumAlgorithms,
  };
}

export function runVersionListingSync(query: ListVersionsQuery, read: (r: VersionRead) => VersionReadResult): ListVersionsPage {
  const plan = planVersionListing(query);
  let step = plan.next(undefined);
  while (!step.done) step = plan.next(read(step.value));
  return step.value;
}

export async function runVersionListing(query: ListVersionsQuery, read: (r: VersionRead) => Promise<VersionReadResult>): Promise<ListVersionsPage> {
  const plan = planVersionListing(query);
  let step = plan.next(undefined);
  while (!step.done) step = plan.next(await read(step.value));
  return step.value;
}
