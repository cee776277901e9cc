import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/**
 * The data directory as multipart uploads leave it, read straight from disk:
 * which blob files exist, and which rows (objects, parts of multipart objects,
 * parts of uploads in progress) reference which blob with what size.
 */
export interface MultipartDisk {
  /** blob id → size: blob files, and small objects' bodies kept in the database. */
  readonly blobs: ReadonlyMap<string, number>;
  readonly temp: readonly string[];
  /** Every reference a row makes: where it comes from, the blob, the size the row expects (undefined: not checked). */
  readonly references: ReadonlyArray<{ readonly from: string; readonly blobId: string; readonly size: number | undefined }>;
  readonly uploads: number;
  readonly uploadParts: number;
}

export function readMultipartDisk(dataDir: string): MultipartDisk {
  const blobs = new Map<string, number>();
  for (const fanOut of readdirSync(join(dataDir, 'blobs'))) {
    for (const name of readdirSync(join(dataDir, 'blobs', fanOut))) blobs.set(name, statSync(join(dataDir, 'blobs', fanOut, name)).size);
  }
  const db = new Database(join(dataDir, 'metadata.sqlite3'), { readonly: true, fileMustExist: true });
  try {
    const objects = db.prepare('SELECT key, size, blob_id, part_count FROM objects').all() as Array<{ key: Buffer; size: number; blob_id: string; part_count: number | null }>;
    const objectParts = db.prepare('SELECT key, part_number, size, blob_id FROM object_parts').all() as Array<{ key: Buffer; part_number: number; size: number; blob_id: string }>;
    const uploadParts = db.prepare('SELECT upload_id, part_number, size, blob_id FROM upload_parts').all() as Array<{ upload_id: string; part_number: number; size: number; blob_id: string }>;
    const uploads = (db.prepare('SELECT count(*) AS n FROM multipart_uploads').get() as { n: number }).n;
    // Small objects keep their bodies in the database: blobs all the same, only not files.
    for (const r of db.prepare('SELECT blob_id, length(bytes) AS size FROM inline_blobs').all() as Array<{ blob_id: string; size: number }>) blobs.set(r.blob_id, r.size);
    const references = [
      // A multipart object's blob_id is its first part, whose size the object_parts row gives.
      ...objects.map((o) => ({ from: `object ${o.key.toString()}`, blobId: o.blob_id, size: o.part_count === null ? o.size : undefined })),
      ...objectParts.map((p) => ({ from: `object ${p.key.toString()} part ${p.part_number}`, blobId: p.blob_id, size: p.size })),
      ...uploadParts.map((p) => ({ from: `upload ${p.upload_id} part ${p.part_number}`, blobId: p.blob_id, size: p.size })),
    ];
    for (const o of objects.filter((o) => o.part_count !== null)) {
      const parts = objectParts.filter((p) => p.key.equals(o.key));
      const total = parts.reduce((sum, p) => sum + p.size, 0);
      if (parts.length !== o.part_count || total !== o.size) references.push({ from: `object ${o.key.toString()} manifest (${parts.length} parts, ${total} bytes)`, blobId: '', size: o.size });
    }
    return { blobs, temp: readdirSync(join(dataDir, 'tmp')), references, uploads, uploadParts: uploadParts.length };
  } finally {
    db.close();
  }
}

/** Broken promises: rows pointing at missing or wrongly sized blobs, and (when asked) unreferenced blob files. */
export function multipartProblems(disk: MultipartDisk, options: { expectNoOrphans: boolean }): string[] {
  const problems: string[] = [];
  const referenced = new Set<string>();
  for (const ref of disk.references) {
    referenced.add(ref.blobId);
    const size = disk.blobs.get(ref.blobId);
    if (size === undefined) problems.push(`${ref.from}: blob ${ref.blobId || '(none)'} is missing`);
    else if (ref.size !== undefined && size !== ref.size) problems.push(`${ref.from}: blob has ${size} bytes, row says ${ref.size}`);
  }
  if (options.expectNoOrphans) for (const id of disk.blobs.keys()) if (!referenced.has(id)) problems.push(`blob ${id} is an orphan`);
  return problems;
}
