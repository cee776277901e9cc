import type Database from 'better-sqlite3';
import type { DeleteVersionResult, GetVersionResult, ListVersionsResult } from '../metadata-store.js';
import { encodeKey } from '../object-key.js';
import { blobIdsOf } from '../rows.js';
import { runVersionListingSync, type ListVersionsQuery, type VersioningStatus } from '../versions.js';
import type { SqliteVersionRows } from './sqlite-version-rows.js';
import type { Durably, Read } from './sqlite-work.js';

/**
 * The metadata store's version methods (bucket versioning, one version read
 * or deleted by id, ListObjectVersions) on SQLite, over the version rows; the
 * metadata store passes them through.
 */
export class SqliteVersionStore {
  constructor(
    private readonly db: Database.Database,
    private readonly versions: SqliteVersionRows,
    /** The bucket's id (remembered), or undefined when there is no such bucket. */
    private readonly bucketIdOf: (bucket: string) => number | undefined,
    /** The same, read from the table (inside a listing's read transaction). */
    private readonly bucketIdNow: (bucket: string) => number | undefined,
    private readonly durably: Durably,
    private readonly read: Read,
  ) {}

  getVersioning(bucket: string): Promise<VersioningStatus | null | 'no-such-bucket'> {
    return this.read(() => {
      const bucketId = this.bucketIdOf(bucket);
      return bucketId === undefined ? 'no-such-bucket' : this.versions.status(bucketId);
    });
  }

  setVersioning(bucket: string, status: VersioningStatus): Promise<'set' | 'no-such-bucket'> {
    return this.durably(() => {
      const bucketId = this.bucketIdOf(bucket);
      if (bucketId === undefined) return 'no-such-bucket';
      this.versions.setStatus(bucketId, status);
      return 'set';
    });
  }

  getObjectVersion(bucket: string, key: string, versionId: string | null): Promise<GetVersionResult> {
    return this.read(() => this.db.transaction((): GetVersionResult => {
      const keyBytes = encodeKey(key);
      const bucketId = this.bucketIdOf(bucket);
      if (bucketId === undefined) return { kind: 'no-such-bucket' };
      const found = this.versions.find(bucketId, keyBytes, bucket, versionId);
      if (found === undefined) return { kind: 'no-such-version' };
      return found.kind === 'found' ? found : { ...found, versionId: versionId ?? undefined };
    }).deferred());
  }

  deleteObjectVersion(bucket: string, key: string, versionId: string | null): Promise<DeleteVersionResult> {
    return this.durably(() => {
      const keyBytes = encodeKey(key);
      return this.db.transaction((): DeleteVersionResult => {
        const bucketId = this.bucketIdOf(bucket);
        if (bucketId === undefined) return { kind: 'no-such-bucket' };
        const removed = this.versions.remove(bucketId, keyBytes, versionId);
        if (removed === undefined) return { kind: 'no-such-version' };
        return { kind: 'deleted', deleteMarker: removed.deleteMarker, freedBlobIds: blobIdsOf([removed.freed]) };
      }).immediate();
    });
  }

  listObjectVersions(query: ListVersionsQuery): Promise<ListVersionsResult> {
    return this.read(() => this.db.transaction((): ListVersionsResult => {
      const bucketId = this.bucketIdNow(query.bucket);
      if (bucketId === undefined) return { kind: 'no-such-bucket' };
      return { kind: 'listed', ...runVersionListingSync(query, (r) => this.versions.read(bucketId, r)) };
    }).deferred());
  }
}
