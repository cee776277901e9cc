import Database from 'better-sqlite3';
import { LRUCache } from 'lru-cache';
import { runListingSync, type ListRow, type RangeRead } from '../list-plan.js';
import type {
  CreateBucketResult, DeleteBucketResult, DeleteObjectResult, DeleteVersionResult, GetObjectResult, GetVersionResult, ListObjectsResult,
  ListVersionsResult, MetadataStore, PutObjectResult, PutObjectRow, PutObjectTagsResult,
} from '../metadata-store.js';
import { blobIdsOf } from '../rows.js';
import type { ListVersionsQuery, VersioningStatus } from '../versions.js';
import { SqliteVersionRows } from './sqlite-version-rows.js';
import { SqliteVersionStore } from './sqlite-version-store.js';
import { settle } from './sqlite-work.js';
import { encodeKey } from '../object-key.js';
import { Checkpointer } from './checkpointer.js';
import { GroupCommit } from './group-commit.js';
import type { ConsoleStore } from '../console-store.js';
import type { IdentityStore } from '../identity-store.js';
import { SqliteConsoleStore } from './sqlite-console-store.js';
import { SqliteIdentityStore } from './sqlite-identity-store.js';
import type { LinkStore } from '../link-store.js';
import { SqliteLinkStore } from './sqlite-link-store.js';
import { migrate } from './sqlite-migrations.js';
import { WriteBatch } from './write-batch.js';
import { SqliteObjectRows } from './sqlite-object-rows.js';
import { parseMap, partsOf, recordOfPut, toBucket, toObject, type BucketRow, type ObjectRow } from '../rows.js';
import { SqliteUploadStore } from './sqlite-upload-store.js';
import type { BucketRecord, ListObjectsQuery, ObjectTags } from '../types.js';
import type { UploadStore } from '../upload-store.js';

const OBJECT_COLUMNS = `key, size, etag, content_type, cache_control, content_disposition, content_encoding,
  content_language, expires, user_metadata, checksums, tags, last_modified, blob_id, part_count, stored_inline, version_id`;

/**
 * MetadataStore on SQLite through better-sqlite3. Every call runs to
 * completion synchronously, so each method is atomic within the process;
 * transactions make them atomic against other connections too.
 *
 * Pragmas: WAL lets readers proceed during a write. Every write is durable
 * before its promise resolves, and this is required, not cautious: after a PUT
 * commits, the replaced blob is unlinked, and a power cut that rolled back the
 * commit while the unlink survived would leave the old row pointing at a
 * deleted blob, the one state crash recovery cannot repair. Durability comes
 * from a group commit (synchronous=NORMAL plus a shared WAL fsync off the
 * event loop, see group-commit.ts) rather than synchronous=FULL, which would
 * block every request for one fsync per commit.
 */
export class SqliteMetadataStore implements MetadataStore {
  private readonly db: Database.Database;
  private readonly stmt;
  private readonly commits: GroupCommit | undefined;
  private readonly checkpointer: Checkpointer | undefined;
  private readonly batch: WriteBatch;
  readonly identities: IdentityStore;
  private readonly identityStore: SqliteIdentityStore;
  /**
   * Recently read object rows, and bucket ids by name. Every write to an
   * object row goes through SqliteObjectRows, which drops the entry in the
   * same synchronous call, and this connection is the only writer: an entry
   * is always the current row. A hot object's GET skips the query.
   */
  private readonly recent = new LRUCache<string, GetObjectResult>({ max: RECENT_OBJECTS });
  private readonly bucketIds = new Map<string, number>();
  /** Existing buckets by name (every PUT asks): dropped when the bucket is deleted. Misses are not remembered. */
  private readonly bucketRecords = new Map<string, BucketRecord>();
  readonly uploads: UploadStore;
  readonly links: LinkStore;
  private readonly linkStore: SqliteLinkStore;
  readonly console: ConsoleStore;
  private readonly rows: SqliteObjectRows;
  private readonly versions: SqliteVersionRows;
  private readonly versionStore: SqliteVersionStore;
  /** Made once: db.transaction() builds a new wrapper on every call, which a 4 KiB PUT notices. */
  private readonly putTransaction: Database.Transaction<(row: PutObjectRow, key: Buffer) => PutObjectResult>;

  /** `durable: false` skips every fsync: for tests that seed thousands of rows, never for data. */
  constructor(file: string, options: { durable?: boolean; warn?: (message: string) => void } = {}) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(options.durable === false ? 'synchronous = OFF' : 'synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    migrate(this.db);
    this.commits = options.durable === false ? undefined : new GroupCommit(`${file}-wal`);
    if (this.commits !== undefined) {
      // Checkpoints run beside the event loop (see checkpointer.ts); SQLite's own is only a backstop.
      this.db.pragma(`wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
      this.db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT}`);
      this.checkpointer = new Checkpointer(file, options.warn);
    }
    const db = this.db;
    this.batch = new WriteBatch(
      db,
      () => {
        this.checkpointer?.wrote();
        return this.commits?.sync() ?? Promise.resolve();
      },
      () => this.forgetReads(),
    );
    this.identityStore = new SqliteIdentityStore(db, (work) => this.durably(work), settle);
    this.identities = this.identityStore;
    this.rows = new SqliteObjectRows(db, (bucketId, key) => this.recent.delete(recentKey(bucketId, key)));
    this.versions = new SqliteVersionRows(db, this.rows, (bucketId, key) => this.recent.delete(recentKey(bucketId, key)));
    this.versionStore = new SqliteVersionStore(
      db, this.versions, (name) => this.bucketIdOf(name), (name) => this.stmt.bucketByName.get(name)?.id, (work) => this.durably(work), settle);
    this.uploads = new SqliteUploadStore(db, this.versions, (work) => this.durably(work), settle);
    this.linkStore = new SqliteLinkStore(db, (work) => this.durably(work), settle);
    this.links = this.linkStore;
    this.console = new SqliteConsoleStore(db, (work) => this.durably(work), settle);
    this.putTransaction = db.transaction((row: PutObjectRow, key: Buffer) => this.storeObject(row, key));
    this.stmt = {
      insertBucket: db.prepare<[string, string, string | null, number]>(
        'INSERT INTO buckets (name, owner, region, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING'),
      bucketByName: db.prepare<[string], BucketRow>('SELECT id, name, owner, region, created_at FROM buckets WHERE name = ?'),
      allBuckets: db.prepare<[], BucketRow>('SELECT id, name, owner, region, created_at FROM buckets ORDER BY name'),
      ownerBuckets: db.prepare<[string], BucketRow>('SELECT id, name, owner, region, created_at FROM buckets WHERE owner = ? ORDER BY name'),
      anyObject: db.prepare<[number], { one: number }>('SELECT 1 AS one FROM objects WHERE bucket_id = ? LIMIT 1'),
      deleteBucket: db.prepare<[number]>('DELETE FROM buckets WHERE id = ?'),
      objectWithBucket: db.prepare<[Buffer, string], Partial<ObjectRow> & { bucket_id: number }>(`
        SELECT b.id AS bucket_id, ${OBJECT_COLUMNS.replace(/(\w+)/g, 'o.$1')}
        FROM buckets b LEFT JOIN objects o ON o.bucket_id = b.id AND o.key = ?
        WHERE b.name = ?`),
      rangeBounded: db.prepare<[number, Buffer, Buffer, number], ObjectRow>(
        `SELECT ${OBJECT_COLUMNS} FROM objects WHERE bucket_id = ? AND key >= ? AND key < ? ORDER BY key LIMIT ?`),
      // Separate from rangeBounded: "(? IS NULL OR key < ?)" would stop SQLite
      // from ending the index scan at the prefix's upper bound.
      rangeOpen: db.prepare<[number, Buffer, number], ObjectRow>(
        `SELECT ${OBJECT_COLUMNS} FROM objects WHERE bucket_id = ? AND key >= ? ORDER BY key LIMIT ?`),
      putBucketTags: db.prepare<[number, string]>(
        'INSERT INTO bucket_tags (bucket_id, tags) VALUES (?, ?) ON CONFLICT (bucket_id) DO UPDATE SET tags = excluded.tags'),
      bucketTags: db.prepare<[string], { tags: string }>('SELECT bt.tags FROM bucket_tags bt JOIN buckets b ON b.id = bt.bucket_id WHERE b.name = ?'),
      deleteBucketTags: db.prepare<[string]>('DELETE FROM bucket_tags WHERE bucket_id = (SELECT id FROM buckets WHERE name = ?)'),
      inlineBlob: db.prepare<[string], { bytes: Buffer }>('SELECT bytes FROM inline_blobs WHERE blob_id = ?'),
      // Each arm is served by its table's unique index on blob_id.
      countObjects: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM objects'),
      referenced: db.prepare<[string, string, string, string, number, string, string], { blob_id: string }>(`
        SELECT blob_id FROM objects WHERE blob_id IN (SELECT value FROM json_each(?))
        UNION SELECT blob_id FROM object_parts WHERE blob_id IN (SELECT value FROM json_each(?))
        UNION SELECT blob_id FROM upload_parts WHERE blob_id IN (SELECT value FROM json_each(?))
        UNION SELECT blob_id FROM freed_blobs WHERE blob_id IN (SELECT value FROM json_each(?)) AND due_at > ?
        UNION SELECT blob_id FROM object_versions WHERE blob_id IN (SELECT value FROM json_each(?))
        UNION SELECT blob_id FROM version_parts WHERE blob_id IN (SELECT value FROM json_each(?))`),
    };
  }

  createBucket(input: { name: string; owner: string; region?: string | null | undefined }): Promise<CreateBucketResult> {
    return this.durably(() => this.db.transaction((): CreateBucketResult => {
      const inserted = this.stmt.insertBucket.run(input.name, input.owner, input.region ?? null, Date.now()).changes === 1;
      const bucket = toBucket(must(this.stmt.bucketByName.get(input.name)));
      if (inserted) return { kind: 'created', bucket };
      return { kind: 'exists', bucket, ownedByCaller: bucket.owner === input.owner };
    }).immediate());
  }

  getBucket(name: string): Promise<BucketRecord | null> {
    return settle(() => {
      const known = this.bucketRecords.get(name);
      if (known !== undefined) return known;
      const row = this.stmt.bucketByName.get(name);
      if (row === undefined) return null;
      const bucket = toBucket(row);
      this.bucketRecords.set(name, bucket);
      return bucket;
    });
  }

  listBuckets(owner?: string): Promise<BucketRecord[]> {
    return settle(() => (owner === undefined ? this.stmt.allBuckets.all() : this.stmt.ownerBuckets.all(owner)).map(toBucket));
  }

  deleteBucket(name: string): Promise<DeleteBucketResult> {
    return this.durably(() => this.db.transaction((): DeleteBucketResult => {
      const bucket = this.stmt.bucketByName.get(name);
      if (bucket === undefined) return { kind: 'no-such-bucket' };
      if (this.stmt.anyObject.get(bucket.id) !== undefined || this.versions.hasVersions(bucket.id)) return { kind: 'not-empty' };
      this.stmt.deleteBucket.run(bucket.id);
      this.identityStore.forgetBucket(name);
      this.bucketIds.delete(name);
      this.bucketRecords.delete(name);
      return { kind: 'deleted' };
    }).immediate());
  }

  putBucketTags(bucket: string, tags: ObjectTags): Promise<boolean> {
    return this.durably(() => {
      const row = this.stmt.bucketByName.get(bucket);
      if (row === undefined) return false;
      this.stmt.putBucketTags.run(row.id, JSON.stringify(tags));
      return true;
    });
  }

  getBucketTags(bucket: string): Promise<ObjectTags | null> {
    return settle(() => {
      const row = this.stmt.bucketTags.get(bucket);
      return row === undefined ? null : parseMap(row.tags);
    });
  }

  deleteBucketTags(bucket: string): Promise<boolean> {
    return this.durably(() => this.stmt.deleteBucketTags.run(bucket).changes === 1);
  }

  putObject(row: PutObjectRow): Promise<PutObjectResult> {
    return this.durably(() => this.putTransaction.immediate(row, encodeKey(row.key)));
  }

  private storeObject(row: PutObjectRow, key: Buffer): PutObjectResult {
    const bucketId = this.bucketIdOf(row.bucket);
    if (bucketId === undefined) return { kind: 'no-such-bucket' };
    const { object, freed, versioned } = this.versions.put(bucketId, key, recordOfPut(row), row.inlineBytes);
    return { kind: 'stored', object, replacedBlobId: freed?.blobId ?? null, ...partsOf(freed, 'replacedPartBlobIds'), versioned };
  }

  /**
   * A bucket's id, remembered: this connection is the only writer and
   * deleteBucket forgets it in the same call, so a remembered id names a
   * bucket that exists (and the foreign key would refuse one that did not).
   */
  private bucketIdOf(name: string): number | undefined {
    const known = this.bucketIds.get(name);
    if (known !== undefined) return known;
    const id = this.stmt.bucketByName.get(name)?.id;
    if (id !== undefined) this.bucketIds.set(name, id);
    return id;
  }

  getObject(bucket: string, key: string): Promise<GetObjectResult> {
    // A multipart object's row and its parts are read in one synchronous call; this connection is the
    // database's only writer and cannot commit in between, so no transaction is needed for a consistent pair.
    return settle((): GetObjectResult => {
      const keyBytes = encodeKey(key);
      const bucketId = this.bucketIds.get(bucket);
      const cached = bucketId === undefined ? undefined : this.recent.get(recentKey(bucketId, keyBytes));
      if (cached !== undefined) return cached;
      const row = this.stmt.objectWithBucket.get(keyBytes, bucket);
      if (row === undefined) return { kind: 'no-such-bucket' };
      if (row.blob_id === undefined || row.blob_id === null) {
        const deleteMarker = this.versions.latestMarker(row.bucket_id, keyBytes);
        return deleteMarker === undefined ? { kind: 'no-such-key' } : { kind: 'no-such-key', deleteMarker };
      }
      const object = toObject(bucket, row as ObjectRow);
      const found: GetObjectResult = { kind: 'found', object: row.part_count === null ? object : { ...object, parts: this.rows.parts(row.bucket_id, keyBytes) } };
      this.bucketIds.set(bucket, row.bucket_id);
      this.recent.set(recentKey(row.bucket_id, keyBytes), found);
      return found;
    });
  }


  readInlineBlob(blobId: string): Promise<Buffer | null> {
    return settle(() => this.stmt.inlineBlob.get(blobId)?.bytes ?? null);
  }

  deleteObject(bucket: string, key: string): Promise<DeleteObjectResult> {
    return this.durably(() => {
      const keyBytes = encodeKey(key);
      return this.db.transaction((): DeleteObjectResult => {
        const b = this.stmt.bucketByName.get(bucket);
        if (b === undefined) return { kind: 'no-such-bucket' };
        const status = this.versions.status(b.id);
        if (status !== null) {
          const marked = this.versions.mark(b.id, keyBytes, status);
          return { kind: 'marked', versionId: marked.versionId ?? undefined, freedBlobIds: blobIdsOf([marked.freed]) };
        }
        const removed = this.rows.remove(b.id, keyBytes);
        return removed === null ? { kind: 'no-such-key' } : { kind: 'deleted', blobId: removed.blobId, ...partsOf(removed, 'partBlobIds') };
      }).immediate();
    });
  }

  putObjectTags(bucket: string, key: string, tags: ObjectTags): Promise<PutObjectTagsResult> {
    return this.durably(() => {
      const keyBytes = encodeKey(key);
      return this.db.transaction((): PutObjectTagsResult => {
        const b = this.stmt.bucketByName.get(bucket);
        if (b === undefined) return { kind: 'no-such-bucket' };
        return this.rows.setTags(b.id, keyBytes, JSON.stringify(tags)) ? { kind: 'updated' } : { kind: 'no-such-key' };
      }).immediate();
    });
  }

  listObjects(query: ListObjectsQuery): Promise<ListObjectsResult> {
    // One read transaction: every seek of the plan sees the same snapshot.
    return settle(() => this.db.transaction((): ListObjectsResult => {
      const bucket = this.stmt.bucketByName.get(query.bucket);
      if (bucket === undefined) return { kind: 'no-such-bucket' };
      const read = (range: RangeRead): ListRow[] => {
        const rows = range.to === null
          ? this.stmt.rangeOpen.all(bucket.id, range.from, range.limit)
          : this.stmt.rangeBounded.all(bucket.id, range.from, range.to, range.limit);
        return rows.map((r) => ({
          keyBytes: r.key, size: r.size, etag: r.etag, lastModified: new Date(r.last_modified),
          checksumAlgorithms: Object.keys(parseMap(r.checksums)),
        }));
      };
      return { kind: 'listed', ...runListingSync(query, read) };
    }).deferred());
  }

  getVersioning(bucket: string): Promise<VersioningStatus | null | 'no-such-bucket'> {
    return this.versionStore.getVersioning(bucket);
  }

  setVersioning(bucket: string, status: VersioningStatus): Promise<'set' | 'no-such-bucket'> {
    return this.versionStore.setVersioning(bucket, status);
  }

  getObjectVersion(bucket: string, key: string, versionId: string | null): Promise<GetVersionResult> {
    return this.versionStore.getObjectVersion(bucket, key, versionId);
  }

  deleteObjectVersion(bucket: string, key: string, versionId: string | null): Promise<DeleteVersionResult> {
    return this.versionStore.deleteObjectVersion(bucket, key, versionId);
  }

  listObjectVersions(query: ListVersionsQuery): Promise<ListVersionsResult> {
    return this.versionStore.listObjectVersions(query);
  }

  referencedBlobIds(blobIds: readonly string[]): Promise<Set<string>> {
    const ids = JSON.stringify(blobIds);
    return settle(() => new Set(this.stmt.referenced.all(ids, ids, ids, ids, Date.now(), ids, ids).map((r) => r.blob_id)));
  }

  countObjects(): Promise<number> {
    return settle(() => this.stmt.countObjects.get()?.n ?? 0);
  }

  /** One process per data dir (the embedded database's rule): nothing else can be running it. */
  exclusive<T>(_job: string, work: () => Promise<T>): Promise<T | undefined> {
    return work();
  }

  claim(_name: string): Promise<() => Promise<void>> {
    return Promise.resolve(() => Promise.resolve());
  }

  async close(): Promise<void> {
    await this.batch.close();
    await this.commits?.close();
    await this.checkpointer?.close();
    this.db.close();
  }

  /** Fsyncs issued by the group commit, for tests. */
  get walSyncs(): number {
    return this.commits?.syncs ?? 0;
  }

  /** A write, inside this turn's shared transaction (write-batch.ts); resolved only once that is on disk. */
  private async durably<T>(work: () => T): Promise<T> {
    const durable = this.batch.join();
    const result = await settle(work);
    await durable;
    return result;
  }

  /** A batch rolled back: what was read from it, and counts kept in step with it, may be wrong. */
  private forgetReads(): void {
    this.recent.clear();
    this.bucketIds.clear();
    this.bucketRecords.clear();
    this.identityStore.forgetReads();
    this.linkStore.recount();
  }
}

function must<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('row vanished inside its own transaction');
  return value;
}

/** SQLite checkpoints by itself only past this many WAL pages (32 MiB); checkpointer.ts does it well before. */
const BACKSTOP_CHECKPOINT_PAGES = 8192;
/** The WAL file is cut back to this size when it starts over. */
const WAL_SIZE_LIMIT = 32 * 1024 * 1024;

/** Object rows remembered by getObject. */
const RECENT_OBJECTS = 10_000;

function recentKey(bucketId: number, key: Buffer): string {
  return `${bucketId}\n${key.toString('latin1')}`;
}
