import { runListing, type ListRow, type RangeRead } from '../list-plan.js';
import type {
  CreateBucketResult, DeleteBucketResult, DeleteObjectResult, DeleteVersionResult, GetObjectResult, GetVersionResult, ListObjectsResult,
  ListVersionsResult, MetadataStore, PutObjectResult, PutObjectRow, PutObjectTagsResult,
} from '../metadata-store.js';
import { blobIdsOf, type HeldBlobs } from '../rows.js';
import { runVersionListing, type ListVersionsQuery, type VersioningStatus } from '../versions.js';
import { findVersion, latestMarker, markDeleted, putVersion, readVersions, removeVersion, versioningOf } from './pg-version-rows.js';
import { encodeKey } from '../object-key.js';
import type { BucketRecord, ListObjectsQuery, ObjectPart, ObjectTags } from '../types.js';
import { connectPg, guarded, isForeignKeyViolation, type PgOptions, type Sql } from './pg-connection.js';
import { parseMap, partsOf, recordOfPut, toBucket, toObject, type BucketRow, type ObjectRow } from '../rows.js';
import { PgConsoleStore } from './pg-console-store.js';
import { PgIdentityStore } from './pg-identity-store.js';
import { PgLinkStore } from './pg-link-store.js';
import { migratePg } from './pg-migrations.js';
import { heldOf, lockKey, objectArguments, removeObjectRow, type WrittenRow } from './pg-object-rows.js';
import { PgUploadStore } from './pg-upload-store.js';

/** Names "background jobs" among this database's advisory locks (the job name is the second key). */
const JOB_LOCK = 0x4c4b_4a42; // "LKJB"

interface PartJson { partNumber: number; size: number; etag: string; checksums: string; blobId: string }

/**
 * MetadataStore on PostgreSQL, for several nodes sharing one database. It
 * keeps no cache of rows: any other node may write between two calls, and a
 * change acknowledged there must be seen here on the very next request. Every
 * write is one transaction that resolves after COMMIT returned, i.e. once it
 * is durable (synchronous_commit, on replicas too when configured).
 */
export class PgMetadataStore implements MetadataStore {
  readonly identities: PgIdentityStore;
  readonly uploads: PgUploadStore;
  readonly links: PgLinkStore;
  readonly console: PgConsoleStore;

  private constructor(readonly sql: Sql) {
    this.identities = new PgIdentityStore(sql);
    this.uploads = new PgUploadStore(sql);
    this.links = new PgLinkStore(sql);
    this.console = new PgConsoleStore(sql);
  }

  /** Connects, and creates or migrates the schema (safe with several nodes starting at once). */
  static async open(url: string, options: PgOptions = {}): Promise<PgMetadataStore> {
    const sql = connectPg(url, options);
    try {
      await migratePg(sql);
    } catch (error) {
      await sql.end({ timeout: 1 });
      throw error;
    }
    return new PgMetadataStore(sql);
  }

  createBucket(input: { name: string; owner: string; region?: string | null | undefined }): Promise<CreateBucketResult> {
    return guarded(async () => {
      const inserted = await this.sql<BucketRow[]>`
        INSERT INTO buckets (name, owner, region, created_at) VALUES (${input.name}, ${input.owner}, ${input.region ?? null}, ${Date.now()})
        ON CONFLICT (name) DO NOTHING RETURNING id, name, owner, region, created_at`;
      const [created] = inserted;
      if (created !== undefined) return { kind: 'created', bucket: toBucket(created) };
      const [existing] = await this.sql<BucketRow[]>`SELECT id, name, owner, region, created_at FROM buckets WHERE name = ${input.name}`;
      // Created and deleted again in between: as if this call had come first.
      if (existing === undefined) return this.createBucket(input);
      const bucket = toBucket(existing);
      return { kind: 'exists', bucket, ownedByCaller: bucket.owner === input.owner };
    });
  }

  getBucket(name: string): Promise<BucketRecord | null> {
    return guarded(async () => {
      const [row] = await this.sql<BucketRow[]>`SELECT id, name, owner, region, created_at FROM buckets WHERE name = ${name}`;
      return row === undefined ? null : toBucket(row);
    });
  }

  listBuckets(owner?: string): Promise<BucketRecord[]> {
    return guarded(async () => {
      const rows = owner === undefined
        ? await this.sql<BucketRow[]>`SELECT id, name, owner, region, created_at FROM buckets ORDER BY name COLLATE "C"`
        : await this.sql<BucketRow[]>`SELECT id, name, owner, region, created_at FROM buckets WHERE owner = ${owner} ORDER BY name COLLATE "C"`;
      return rows.map(toBucket);
    });
  }

  deleteBucket(name: string): Promise<DeleteBucketResult> {
    return guarded(() => this.sql.begin(async (tx): Promise<DeleteBucketResult> => {
      // The row lock waits for writers that already inserted a child row (their
      // foreign-key check holds a key-share lock) and makes later ones fail theirs.
      const [bucket] = await tx<{ id: number }[]>`SELECT id FROM buckets WHERE name = ${name} FOR UPDATE`;
      if (bucket === undefined) return { kind: 'no-such-bucket' };
      const [any] = await tx`SELECT 1 FROM objects WHERE bucket_id = ${bucket.id}
        UNION ALL SELECT 1 FROM object_versions WHERE bucket_id = ${bucket.id} LIMIT 1`;
      if (any !== undefined) return { kind: 'not-empty' };
      // Uploads in progress go with the bucket; their part blobs are unlinked by the background sweep.
      await tx`SELECT upload_id FROM multipart_uploads WHERE bucket_id = ${bucket.id} FOR UPDATE`;
      await tx`
        INSERT INTO freed_blobs (blob_id)
        SELECT p.blob_id FROM upload_parts p JOIN multipart_uploads u ON u.upload_id = p.upload_id WHERE u.bucket_id = ${bucket.id}
        ON CONFLICT DO NOTHING`;
      await tx`DELETE FROM buckets WHERE id = ${bucket.id}`;
      return { kind: 'deleted' };
    }));
  }

  putBucketTags(bucket: string, tags: ObjectTags): Promise<boolean> {
    return guarded(async () => (await this.sql`
      INSERT INTO bucket_tags (bucket_id, tags) SELECT id, ${JSON.stringify(tags)} FROM buckets WHERE name = ${bucket}
      ON CONFLICT (bucket_id) DO UPDATE SET tags = excluded.tags`).count === 1);
  }

  getBucketTags(bucket: string): Promise<ObjectTags | null> {
    return guarded(async () => {
      const [row] = await this.sql<{ tags: string }[]>`SELECT bt.tags FROM bucket_tags bt JOIN buckets b ON b.id = bt.bucket_id WHERE b.name = ${bucket}`;
      return row === undefined ? null : parseMap(row.tags);
    });
  }

  deleteBucketTags(bucket: string): Promise<boolean> {
    return guarded(async () => (await this.sql`DELETE FROM bucket_tags WHERE bucket_id = (SELECT id FROM buckets WHERE name = ${bucket})`).count === 1);
  }

  /**
   * One statement, so one round trip with its commit (latchkey_put_object);
   * a bucket with versioning takes the versioned write's transaction instead.
   */
  async putObject(row: PutObjectRow): Promise<PutObjectResult> {
    const key = encodeKey(row.key);
    const object = recordOfPut(row);
    const stored = (freed: HeldBlobs | null, versioned: boolean, written = object): PutObjectResult =>
      ({ kind: 'stored', object: written, replacedBlobId: freed?.blobId ?? null, ...partsOf(freed, 'replacedPartBlobIds'), versioned });
    return guarded(async () => {
      try {
        const [put] = await this.sql<(WrittenRow & { outcome: 'stored' | 'versioned' | 'no-such-bucket' })[]>`
          SELECT * FROM latchkey_put_object(${row.bucket}::text, ${objectArguments(this.sql, key, object, row.inlineBytes)})`;
        if (put?.outcome === 'no-such-bucket') return { kind: 'no-such-bucket' };
        if (put?.outcome === 'stored') return stored(heldOf(put), false);
        return await this.sql.begin(async (tx): Promise<PutObjectResult> => {
          const [bucket] = await tx<{ id: number }[]>`SELECT id FROM buckets WHERE name = ${row.bucket}`;
          if (bucket === undefined) return { kind: 'no-such-bucket' };
          await lockKey(tx, bucket.id, key);
          const version = await putVersion(tx, bucket.id, key, object, row.inlineBytes);
          return stored(version.freed, version.versioned, version.object);
        });
      } catch (error) {
        if (isForeignKeyViolation(error)) return { kind: 'no-such-bucket' }; // deleted by another node meanwhile
        throw error;
      }
    });
  }

  async getObject(bucket: string, key: string): Promise<GetObjectResult> {
    const keyBytes = encodeKey(key);
    // One statement: a multipart object's row and its parts come from one snapshot.
    return guarded(async () => {
      const [row] = await this.sql<(Partial<ObjectRow> & { bucket_id: number; parts: PartJson[] | null })[]>`
        SELECT b.id AS bucket_id, o.key, o.size, o.etag, o.content_type, o.cache_control, o.content_disposition, o.content_encoding,
               o.content_language, o.expires, o.user_metadata, o.checksums, o.tags, o.last_modified, o.blob_id, o.part_count, o.stored_inline, o.version_id,
               CASE WHEN o.part_count IS NULL THEN NULL ELSE (
                 SELECT json_agg(json_build_object('partNumber', p.part_number, 'size', p.size, 'etag', p.etag,
                                                   'checksums', p.checksums, 'blobId', p.blob_id) ORDER BY p.part_number)
                 FROM object_parts p WHERE p.bucket_id = o.bucket_id AND p.key = o.key) END AS parts
        FROM buckets b LEFT JOIN objects o ON o.bucket_id = b.id AND o.key = ${keyBytes}
        WHERE b.name = ${bucket}`;
      if (row === undefined) return { kind: 'no-such-bucket' };
      if (row.blob_id === undefined || row.blob_id === null) {
        const deleteMarker = await latestMarker(this.sql, row.bucket_id, keyBytes);
        return deleteMarker === undefined ? { kind: 'no-such-key' } : { kind: 'no-such-key', deleteMarker };
      }
      const object = toObject(bucket, row as ObjectRow);
      if (row.parts === null) return { kind: 'found', object };
      const parts: ObjectPart[] = row.parts.map((p) => ({ partNumber: p.partNumber, size: p.size, etag: p.etag, checksums: parseMap(p.checksums), blobId: p.blobId }));
      return { kind: 'found', object: { ...object, parts } };
    });
  }

  readInlineBlob(blobId: string): Promise<Buffer | null> {
    return guarded(async () => {
      const [row] = await this.sql<{ bytes: Buffer }[]>`SELECT bytes FROM inline_blobs WHERE blob_id = ${blobId}`;
      return row?.bytes ?? null;
    });
  }

  async deleteObject(bucket: string, key: string): Promise<DeleteObjectResult> {
    const keyBytes = encodeKey(key);
    return guarded(() => this.sql.begin(async (tx): Promise<DeleteObjectResult> => {
      const [b] = await tx<{ id: number }[]>`SELECT id FROM buckets WHERE name = ${bucket}`;
      if (b === undefined) return { kind: 'no-such-bucket' };
      await lockKey(tx, b.id, keyBytes);
      const status = await versioningOf(tx, b.id);
      if (status !== null) {
        const marked = await markDeleted(tx, b.id, keyBytes, status);
        return { kind: 'marked', versionId: marked.versionId ?? undefined, freedBlobIds: blobIdsOf([marked.freed]) };
      }
      const removed = await removeObjectRow(tx, b.id, keyBytes);
      return removed === null ? { kind: 'no-such-key' } : { kind: 'deleted', blobId: removed.blobId, ...partsOf(removed, 'partBlobIds') };
    }));
  }

  async putObjectTags(bucket: string, key: string, tags: ObjectTags): Promise<PutObjectTagsResult> {
    const keyBytes = encodeKey(key);
    return guarded(async () => {
      const [b] = await this.sql<{ id: number }[]>`SELECT id FROM buckets WHERE name = ${bucket}`;
      if (b === undefined) return { kind: 'no-such-bucket' };
      const updated = await this.sql`UPDATE objects SET tags = ${JSON.stringify(tags)} WHERE bucket_id = ${b.id} AND key = ${keyBytes}`;
      return updated.count === 1 ? { kind: 'updated' } : { kind: 'no-such-key' };
    });
  }

  listObjects(query: ListObjectsQuery): Promise<ListObjectsResult> {
    // One snapshot for every seek of the plan, as SQLite's read transaction gives.
    return guarded(() => this.sql.begin('isolation level repeatable read read only', async (tx): Promise<ListObjectsResult> => {
      const [bucket] = await tx<{ id: number }[]>`SELECT id FROM buckets WHERE name = ${query.bucket}`;
      if (bucket === undefined) return { kind: 'no-such-bucket' };
      const read = async (range: RangeRead): Promise<ListRow[]> => {
        const rows = range.to === null
          ? await tx<ObjectRow[]>`SELECT key, size, etag, last_modified, checksums FROM objects
              WHERE bucket_id = ${bucket.id} AND key >= ${range.from} ORDER BY key LIMIT ${range.limit}`
          : await tx<ObjectRow[]>`SELECT key, size, etag, last_modified, checksums FROM objects
              WHERE bucket_id = ${bucket.id} AND key >= ${range.from} AND key < ${range.to} ORDER BY key LIMIT ${range.limit}`;
        return rows.map((r) => ({
          keyBytes: r.key, size: r.size, etag: r.etag, lastModified: new Date(r.last_modified), checksumAlgorithms: Object.keys(parseMap(r.checksums)),
        }));
      };
      return { kind: 'listed', ...(await runListing(query, read)) };
    }));
  }

  getVersioning(bucket: string): Promise<VersioningStatus | null | 'no-such-bucket'> {
    return guarded(async () => {
      const [row] = await this.sql<{ id: number; status: VersioningStatus | null }[]>`
        SELECT b.id, v.status FROM buckets b LEFT JOIN bucket_versioning v ON v.bucket_id = b.id WHERE b.name = ${bucket}`;
      return row === undefined ? 'no-such-bucket' : row.status;
    });
  }

  async setVersioning(bucket: string, status: VersioningStatus): Promise<'set' | 'no-such-bucket'> {
    return guarded(async () => {
      const set = await this.sql`
        INSERT INTO bucket_versioning (bucket_id, status) SELECT id, ${status} FROM buckets WHERE name = ${bucket}
        ON CONFLICT (bucket_id) DO UPDATE SET status = excluded.status`;
      return set.count === 0 ? 'no-such-bucket' : 'set';
    });
  }

  getObjectVersion(bucket: string, key: string, versionId: string | null): Promise<GetVersionResult> {
    const keyBytes = encodeKey(key);
    return guarded(() => this.sql.begin('isolation level repeatable read read only', async (tx): Promise<GetVersionResult> => {
      const [b] = await tx<{ id: number }[]>`SELECT id FROM buckets WHERE name = ${bucket}`;
      if (b === undefined) return { kind: 'no-such-bucket' };
      const found = await findVersion(tx, b.id, keyBytes, bucket, versionId);
      if (found === undefined) return { kind: 'no-such-version' };
      return found.kind === 'found' ? found : { ...found, versionId: versionId ?? undefined };
    }));
  }

  deleteObjectVersion(bucket: string, key: string, versionId: string | null): Promise<DeleteVersionResult> {
    const keyBytes = encodeKey(key);
    return guarded(() => this.sql.begin(async (tx): Promise<DeleteVersionResult> => {
      const [b] = await tx<{ id: number }[]>`SELECT id FROM buckets WHERE name = ${bucket}`;
      if (b === undefined) return { kind: 'no-such-bucket' };
      await lockKey(tx, b.id, keyBytes);
      const removed = await removeVersion(tx, b.id, keyBytes, versionId);
      if (removed === undefined) return { kind: 'no-such-version' };
      return { kind: 'deleted', deleteMarker: removed.deleteMarker, freedBlobIds: blobIdsOf([removed.freed]) };
    }));
  }

  listObjectVersions(query: ListVersionsQuery): Promise<ListVersionsResult> {
    return guarded(() => this.sql.begin('isolation level repeatable read read only', async (tx): Promise<ListVersionsResult> => {
      const [bucket] = await tx<{ id: number }[]>`SELECT id FROM buckets WHERE name = ${query.bucket}`;
      if (bucket === undefined) return { kind: 'no-such-bucket' };
      return { kind: 'listed', ...(await runVersionListing(query, (r) => readVersions(tx, bucket.id, r))) };
    }));
  }

  countObjects(): Promise<number> {
    return guarded(async () => {
      const [row] = await this.sql<{ n: string }[]>`SELECT count(*) AS n FROM objects`;
      return Number(row?.n ?? 0);
    });
  }

  referencedBlobIds(blobIds: readonly string[]): Promise<Set<string>> {
    const ids = [...blobIds];
    return guarded(async () => {
      const rows = await this.sql<{ blob_id: string }[]>`
        SELECT blob_id FROM objects WHERE blob_id = ANY(${ids}::text[])
        UNION SELECT blob_id FROM object_parts WHERE blob_id = ANY(${ids}::text[])
        UNION SELECT blob_id FROM upload_parts WHERE blob_id = ANY(${ids}::text[])
        UNION SELECT blob_id FROM freed_blobs WHERE blob_id = ANY(${ids}::text[]) AND due_at > ${Date.now()}
        UNION SELECT blob_id FROM object_versions WHERE blob_id = ANY(${ids}::text[])
        UNION SELECT blob_id FROM version_parts WHERE blob_id = ANY(${ids}::text[])`;
      return new Set(rows.map((r) => r.blob_id));
    });
  }

  async exclusive<T>(job: string, work: () => Promise<T>): Promise<T | undefined> {
    const release = await this.claim(job);
    if (release === undefined) return undefined;
    try {
      return await work();
    } finally {
      await release();
    }
  }

  /**
   * A session-level advisory lock, tried rather than waited for, on a
   * connection of its own held until released: if the node dies, its
   * connection and so the lock go with it.
   */
  async claim(name: string): Promise<(() => Promise<void>) | undefined> {
    const conn = await guarded(() => this.sql.reserve());
    const [row] = await guarded(() => conn<{ got: boolean }[]>`SELECT pg_try_advisory_lock(${JOB_LOCK}, hashtext(current_schema() || '/' || ${name})) AS got`)
      .catch((error: unknown) => {
        conn.release();
        throw error;
      });
    if (row?.got !== true) {
      conn.release();
      return undefined;
    }
    return async () => {
      await conn`SELECT pg_advisory_unlock(${JOB_LOCK}, hashtext(current_schema() || '/' || ${name}))`.catch(() => undefined);
      conn.release();
    };
  }

  async close(): Promise<void> {
    await this.sql.end({ timeout: 5 });
  }
}

