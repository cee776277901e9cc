import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { connectPg } from '../../src/storage/postgres/pg-connection.js';
import type { TestServer } from './server.js';

/**
 * What a data directory holds, read straight from disk (not through the
 * server), so a test can tell that a refused request changed nothing and that
 * a crash left no row pointing at a missing or short blob.
 */
export interface ObjectRow {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  readonly blobId: string;
  readonly contentType: string | null;
  readonly userMetadata: string;
  /** The version's tag set as stored (JSON). */
  readonly tags: string;
}

export interface DiskState {
  /** blob id → size: every file under blobs/, and every small object's body kept in the database. */
  readonly blobs: ReadonlyMap<string, number>;
  /** Names of the files in tmp/. */
  readonly temp: readonly string[];
  /** Every object row, ordered by bucket then key. */
  readonly rows: readonly ObjectRow[];
  /** Every older version and delete marker of a versioned bucket, by bucket, key, then newest first. */
  readonly versions: readonly VersionRow[];
  /** Bucket name → its stored tag set (JSON), for buckets that have one. */
  readonly bucketTags: Readonly<Record<string, string>>;
}

export interface VersionRow {
  readonly bucket: string;
  readonly key: string;
  readonly versionId: string | null;
  readonly deleteMarker: boolean;
  /** Null for a delete marker. */
  readonly blobId: string | null;
  readonly size: number;
}

type RawVersion = Omit<VersionRow, 'key' | 'deleteMarker'> & { key: Buffer; deleteMarker: number | boolean };
const VERSIONS_SQL = `SELECT b.name AS bucket, v.key AS key, v.version_id AS "versionId", v.delete_marker AS "deleteMarker", v.blob_id AS "blobId",
    v.size AS size FROM object_versions v JOIN buckets b ON b.id = v.bucket_id ORDER BY b.name, v.key, v.version_seq DESC`;

type RawRow = Omit<ObjectRow, 'key'> & { key: Buffer };

/** The same SQL on both backends (their tables share names and columns; quoted aliases keep their case on PostgreSQL). */
const INLINE_SQL = 'SELECT blob_id AS id, length(bytes) AS size FROM inline_blobs';
const ROWS_SQL = `SELECT b.name AS bucket, o.key AS key, o.size AS size, o.etag AS etag, o.blob_id AS "blobId",
    o.content_type AS "contentType", o.user_metadata AS "userMetadata", o.tags AS tags
  FROM objects o JOIN buckets b ON b.id = o.bucket_id`;
const BUCKET_TAGS_SQL = 'SELECT b.name AS name, t.tags AS tags FROM bucket_tags t JOIN buckets b ON b.id = t.bucket_id';
type BucketTagsRow = { name: string; tags: string };

export function readDiskState(dataDir: string): DiskState {
  // Read-only and WAL-aware: sees what the server committed, even right after a SIGKILL.
  const db = new Database(join(dataDir, 'metadata.sqlite3'), { readonly: true, fileMustExist: true });
  try {
    return stateOf(dataDir, db.prepare(ROWS_SQL).all() as RawRow[], db.prepare(INLINE_SQL).all() as Array<{ id: string; size: number }>,
      db.prepare(VERSIONS_SQL).all() as RawVersion[], db.prepare(BUCKET_TAGS_SQL).all() as BucketTagsRow[]);
  } finally {
    db.close();
  }
}

/** The state of a running test server on either backend (its SQLite file, or its PostgreSQL database) and its data dir. */
export async function readState(server: TestServer): Promise<DiskState> {
  if (server.metadataUrl === undefined) return readDiskState(server.dataDir);
  const sql = connectPg(server.metadataUrl, { max: 1 });
  try {
    return await sql.begin('ISOLATION LEVEL REPEATABLE READ READ ONLY', async (tx) =>
      stateOf(server.dataDir, await tx.unsafe<RawRow[]>(ROWS_SQL), await tx.unsafe<Array<{ id: string; size: number }>>(INLINE_SQL),
        await tx.unsafe<RawVersion[]>(VERSIONS_SQL), await tx.unsafe<BucketTagsRow[]>(BUCKET_TAGS_SQL)));
  } finally {
    await sql.end({ timeout: 1 });
  }
}

function stateOf(
  dataDir: string, raw: readonly RawRow[], inline: readonly { id: string; size: number }[], rawVersions: readonly RawVersion[], tagSets: readonly BucketTagsRow[],
): DiskState {
  const blobs = new Map<string, number>();
  const blobDir = join(dataDir, 'blobs');
  for (const fanOut of readdirSync(blobDir)) {
    for (const name of readdirSync(join(blobDir, fanOut))) blobs.set(name, statSync(join(blobDir, fanOut, name)).size);
  }
  for (const { id, size } of inline) blobs.set(id, size);
  const ordered = [...raw].sort((a, b) => (a.bucket < b.bucket ? -1 : a.bucket > b.bucket ? 1 : Buffer.compare(a.key, b.key)));
  const versions = rawVersions.map((v) => ({ ...v, key: v.key.toString('utf8'), deleteMarker: v.deleteMarker === 1 || v.deleteMarker === true, size: Number(v.size) }));
  const bucketTags = Object.fromEntries([...tagSets].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((r) => [r.name, r.tags]));
  return { blobs, temp: readdirSync(join(dataDir, 'tmp')).sort(), rows: ordered.map((row) => ({ ...row, key: row.key.toString('utf8') })), versions, bucketTags };
}

/** A comparable form of the state: equal strings mean nothing on disk changed. */
export function fingerprint(state: DiskState): string {
  return JSON.stringify({ blobs: [...state.blobs.entries()].sort(), temp: state.temp, rows: state.rows, versions: state.versions, bucketTags: state.bucketTags });
}

/** Every broken promise of the write protocol, as readable lines (empty when sound). */
export function integrityProblems(state: DiskState, options: { expectCleanTemp: boolean; expectNoOrphans: boolean }): string[] {
  const problems: string[] = [];
  const referenced = new Set<string>();
  for (const row of state.rows) {
    referenced.add(row.blobId);
    const size = state.blobs.get(row.blobId);
    if (size === undefined) problems.push(`${row.bucket}/${row.key}: blob ${row.blobId} is missing`);
    else if (size !== row.size) problems.push(`${row.bucket}/${row.key}: blob ${row.blobId} has ${size} bytes, row says ${row.size}`);
  }
  for (const version of state.versions) {
    if (version.blobId === null) continue;
    referenced.add(version.blobId);
    if (!state.blobs.has(version.blobId)) problems.push(`${version.bucket}/${version.key}@${version.versionId ?? 'null'}: blob ${version.blobId} is missing`);
  }
  if (options.expectCleanTemp && state.temp.length > 0) problems.push(`tmp/ holds ${state.temp.join(', ')}`);
  if (options.expectNoOrphans) {
    for (const id of state.blobs.keys()) if (!referenced.has(id)) problems.push(`blob ${id} is an orphan`);
  }
  return problems;
}
