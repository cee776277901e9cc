import type { PgMigration } from './pg-migration.js';

/** Bucket versioning: the current version's place in the objects table, the others in object_versions. */
export const v4Versioning: PgMigration = {
  version: 4,
  name: 'bucket versioning',
  sql: `
      -- A bucket with no row here was never versioned (S3 cannot go back to that state).
      CREATE TABLE bucket_versioning (
        bucket_id bigint PRIMARY KEY REFERENCES buckets(id) ON DELETE CASCADE,
        status    text   NOT NULL CHECK (status IN ('Enabled', 'Suspended'))
      );
      -- The current version's place among its key's versions, and its id (NULL: S3's "null" version).
      ALTER TABLE objects ADD COLUMN version_seq bigint NOT NULL DEFAULT 0;
      ALTER TABLE objects ADD COLUMN version_id text;
      -- Every version that is not current, and every delete marker. record: the version's ObjectRecord as JSON.
      CREATE TABLE object_versions (
        bucket_id     bigint  NOT NULL REFERENCES buckets(id),
        key           bytea   NOT NULL CHECK (length(key) BETWEEN 1 AND 1024),
        version_seq   bigint  NOT NULL,
        version_id    text,
        delete_marker boolean NOT NULL,
        size          bigint  NOT NULL,
        etag          text    NOT NULL,
        checksums     text    NOT NULL DEFAULT '{}',
        last_modified bigint  NOT NULL,
        blob_id       text    UNIQUE,
        stored_inline boolean NOT NULL DEFAULT false,
        record        text,
        PRIMARY KEY (bucket_id, key, version_seq)
      );
      -- The part blobs of archived multipart versions, so the orphan sweep sees them.
      CREATE TABLE version_parts (
        blob_id     text   PRIMARY KEY,
        bucket_id   bigint NOT NULL,
        key         bytea  NOT NULL,
        version_seq bigint NOT NULL,
        FOREIGN KEY (bucket_id, key, version_seq) REFERENCES object_versions (bucket_id, key, version_seq) ON DELETE CASCADE
      );
      CREATE INDEX version_parts_by_version ON version_parts (bucket_id, key, version_seq);
    `,
};
