import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import Database from 'better-sqlite3';

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

/**
 * Reads the metadata database read-only beside the running server (WAL lets
 * a reader in while the server holds its connection) and lists the blob files.
 */
export function snapshotDisk(dataDir: string): DiskSnapshot {
  const db = new Database(join(dataDir, 'metadata.sqlite3'), { readonly: true, fileMustExist: true });
  try {
    const buckets = (db.prepare('SELECT name FROM buckets ORDER BY name').all() as Array<{ name: string }>).map((r) => r.name);
    const rows = db
      .prepare(
        `SELECT b.name AS bucket, o.key, o.size, o.etag, o.content_type, o.user_metadata, o.checksums, o.last_modified, o.blob_id
         FROM objects o JOIN buckets b ON b.id = o.bucket_id ORDER BY b.name, o.key`,
      )
      .all() as RawObjectRow[];
    const objects = rows.map((r) => ({
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
    return { buckets, objects, files: [...listDataFiles(dataDir, 'blobs'), ...listDataFiles(dataDir, 'tmp'), ...inlineBlobs(db)].sort() };
  } finally {
    db.close();
  }
}

/** Bodies of small objects kept in the database, as `inline/<blob id>`: a blob all the same, only not a file. */
export function inlineBlobs(db: Database.Database): string[] {
  return (db.prepare('SELECT blob_id FROM inline_blobs').all() as Array<{ blob_id: string }>).map((r) => `inline/${r.blob_id}`);
}

/** The object rows of one bucket. */
export function objectsIn(snapshot: DiskSnapshot, bucket: string): ObjectRow[] {
  return snapshot.objects.filter((o) => o.bucket === bucket);
}
