import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import Database from 'better-sqlite3';
import { connectPg } from '../../src/storage/postgres/pg-connection.js';
import type { TestServer } from './server.js';

export interface ObjectRow {
  readonly bucket: string;
  /** Hex of the stored UTF-8 key bytes: NFC and NFD forms stay apart here. */
  readonly keyHex: string;
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  readonly contentType: string | null;
  readonly userMetadata: string;
  readonly checksums: string;
  readonly lastModified: number;
  readonly blobId: string;
}

/** What the server has on disk: compare two of these to prove a rejected request wrote nothing. */
export interface DiskSnapshot {
  readonly buckets: readonly string[];
  readonly objects: readonly ObjectRow[];
  /** Every file under blobs/ and tmp/, relative to the data dir, and `inline/<blob id>` for each body stored in the database; sorted. */
  readonly files: readonly string[];
}

function walk(root: string, dir: string, out: string[]): void {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(root, path, out);
    else out.push(relative(root, path));
  }
}

/** Every file in the data dir (blob store and all), relative, sorted. */
export function listDataFiles(dataDir: string, under = '.'): string[] {
  const files: string[] = [];
  walk(dataDir, join(dataDir, under), files);
  return files.sort();
}

interface RawObjectRow {
  bucket: string;
  key: Buffer;
  size: number;
  etag: string;
  content_type: string | null;
  user_metadata: string;
  checksums: string;
  last_modified: number;
  blob_id: string;
}

/** The same SQL on both backends (their tables share names and columns); rows are ordered here, as byte orders differ by collation. */
const BUCKETS_SQL = 'SELECT name FROM buckets';
const OBJECTS_SQL = `SELECT b.name AS bucket, o.key, o.size, o.etag, o.content_type, o.user_metadata, o.checksums, o.last_modified, o.blob_id
  FROM objects o JOIN buckets b ON b.id = o.bucket_id`;
/** Bodies of small objects kept in the database, listed as `inline/<blob id>`: a blob all the same, only not a file. */
const INLINE_SQL = 'SELECT blob_id FROM inline_blobs';

/**
 * Reads the metadata database read-only beside the running server (WAL lets
 * a reader in while the server holds its connection) and lists the blob files.
 */
export function snapshotDisk(dataDir: string): DiskSnapshot {
  const db = new Database(join(dataDir, 'metadata.sqlite3'), { readonly: true, fileMustExist: true });
  try {
    const all = <T>(sql: string) => db.prepare(sql).all() as T[];
    return snapshotOf(dataDir, all<{ name: string }>(BUCKETS_SQL), all<RawObjectRow>(OBJECTS_SQL), all<{ blob_id: string }>(INLINE_SQL));
  } finally {
    db.close();
  }
}

/**
 * The snapshot of a running test server on either backend: its SQLite file,
 * or its PostgreSQL database (LATCHKEY_TEST_SERVER_METADATA=postgres), and the
 * files of its data dir. Equal snapshots mean a request changed nothing.
 */
export async function snapshotState(server: TestServer): Promise<DiskSnapshot> {
  if (server.metadataUrl === undefined) return snapshotDisk(server.dataDir);
  const sql = connectPg(server.metadataUrl, { max: 1 });
  try {
    return await sql.begin('ISOLATION LEVEL REPEATABLE READ READ ONLY', async (tx) =>
      snapshotOf(server.dataDir, await tx.unsafe<{ name: string }[]>(BUCKETS_SQL), await tx.unsafe<RawObjectRow[]>(OBJECTS_SQL), await tx.unsafe<{ blob_id: string }[]>(INLINE_SQL)));
  } finally {
    await sql.end({ timeout: 1 });
  }
}

function snapshotOf(dataDir: string, bucketRows: readonly { name: string }[], rows: readonly RawObjectRow[], inline: readonly { blob_id: string }[]): DiskSnapshot {
  const buckets = bucketRows.map((r) => r.name).sort(byCodeUnits);
  const ordered = [...rows].sort((a, b) => byCodeUnits(a.bucket, b.bucket) || Buffer.compare(a.key, b.key));
  const objects = ordered.map((r) => ({
    bucket: r.bucket,
    keyHex: r.key.toString('hex'),
    key: r.key.toString('utf8'),
    size: r.size,
    etag: r.etag,
    contentType: r.content_type,
    userMetadata: r.user_metadata,
    checksums: r.checksums,
    lastModified: r.last_modified,
    blobId: r.blob_id,
  }));
  return { buckets, objects, files: [...listDataFiles(dataDir, 'blobs'), ...listDataFiles(dataDir, 'tmp'), ...inline.map((r) => `inline/${r.blob_id}`)].sort() };
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The object rows of one bucket. */
export function objectsIn(snapshot: DiskSnapshot, bucket: string): ObjectRow[] {
  return snapshot.objects.filter((o) => o.bucket === bucket);
}
