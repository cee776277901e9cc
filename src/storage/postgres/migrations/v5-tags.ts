import type { PgMigration } from './pg-migration.js';

/** Object and bucket tags. */
export const v5Tags: PgMigration = {
  version: 5,
  name: 'object and bucket tags',
  sql: `
      ALTER TABLE objects ADD COLUMN tags text NOT NULL DEFAULT '{}';
      CREATE TABLE bucket_tags (
        bucket_id bigint PRIMARY KEY REFERENCES buckets(id) ON DELETE CASCADE,
        tags      text   NOT NULL
      );
    `,
};
