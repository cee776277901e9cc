import type { PgMigration } from './pg-migration.js';

/** Completed multipart uploads (a retried completion answers again) and bucket public access blocks. */
export const v3CompletedUploads: PgMigration = {
  version: 3,
  name: 'completed multipart uploads, bucket public access blocks',
  sql: `
      CREATE TABLE completed_uploads (
        upload_id     text   PRIMARY KEY,
        bucket_id     bigint NOT NULL REFERENCES buckets(id) ON DELETE CASCADE,
        key           bytea  NOT NULL,
        etag          text   NOT NULL,
        blob_id       text   NOT NULL,
        checksum_type text   CHECK (checksum_type IN ('COMPOSITE', 'FULL_OBJECT')),
        completed_at  bigint NOT NULL
      );
      CREATE INDEX completed_uploads_by_age ON completed_uploads (completed_at);

      CREATE TABLE bucket_public_access_blocks (
        bucket_id               bigint  PRIMARY KEY REFERENCES buckets(id) ON DELETE CASCADE,
        block_public_acls       boolean NOT NULL,
        ignore_public_acls      boolean NOT NULL,
        block_public_policy     boolean NOT NULL,
        restrict_public_buckets boolean NOT NULL
      );
      `,
};
