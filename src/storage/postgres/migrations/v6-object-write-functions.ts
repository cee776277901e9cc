import type { PgMigration } from './pg-migration.js';

/** Object writes as server-side functions: a PutObject in one round trip. */
export const v6ObjectWriteFunctions: PgMigration = {
  version: 6,
  name: 'object writes in one statement',
  sql: `
      -- Replaces (or inserts) a key's current row, its inline body and its parts, as
      -- pg-object-rows.ts did in three to five statements: one round trip instead.
      -- The caller's transaction holds the key's lock. replaced: there was a row;
      -- freed_blob_id / freed_part_blob_ids: the blob files it held (none if inline).
      CREATE FUNCTION latchkey_write_object(
        p_bucket_id bigint, p_key bytea, p_size bigint, p_etag text, p_content_type text, p_cache_control text,
        p_content_disposition text, p_content_encoding text, p_content_language text, p_expires text,
        p_user_metadata text, p_checksums text, p_tags text, p_last_modified bigint, p_blob_id text,
        p_part_count integer, p_stored_inline boolean, p_inline_bytes bytea,
        p_part_numbers integer[], p_part_sizes bigint[], p_part_etags text[], p_part_checksums text[], p_part_blob_ids text[],
        OUT replaced boolean, OUT freed_blob_id text, OUT freed_part_blob_ids text[])
      LANGUAGE plpgsql AS $$
      DECLARE
        previous record;
      BEGIN
        freed_part_blob_ids := '{}';
        SELECT o.blob_id, o.part_count, o.stored_inline INTO previous FROM objects o
        WHERE o.bucket_id = p_bucket_id AND o.key = p_key FOR UPDATE;
        replaced := FOUND;
        IF replaced THEN
          IF previous.stored_inline THEN
            DELETE FROM inline_blobs WHERE blob_id = previous.blob_id;
          ELSE
            freed_blob_id := previous.blob_id;
            IF previous.part_count IS NOT NULL THEN
              WITH gone AS (DELETE FROM object_parts p WHERE p.bucket_id = p_bucket_id AND p.key = p_key RETURNING p.blob_id)
              SELECT coalesce(array_agg(gone.blob_id) FILTER (WHERE gone.blob_id <> previous.blob_id), '{}') INTO freed_part_blob_ids FROM gone;
            END IF;
          END IF;
        END IF;
        IF p_inline_bytes IS NOT NULL THEN
          INSERT INTO inline_blobs (blob_id, bytes) VALUES (p_blob_id, p_inline_bytes);
        END IF;
        INSERT INTO objects (bucket_id, key, size, etag, content_type, cache_control, content_disposition, content_encoding,
                             content_language, expires, user_metadata, checksums, tags, last_modified, blob_id, part_count, stored_inline)
        VALUES (p_bucket_id, p_key, p_size, p_etag, p_content_type, p_cache_control, p_content_disposition, p_content_encoding,
                p_content_language, p_expires, p_user_metadata, p_checksums, p_tags, p_last_modified, p_blob_id, p_part_count, p_stored_inline)
        ON CONFLICT (bucket_id, key) DO UPDATE SET
          size = excluded.size, etag = excluded.etag, content_type = excluded.content_type, cache_control = excluded.cache_control,
          content_disposition = excluded.content_disposition, content_encoding = excluded.content_encoding,
          content_language = excluded.content_language, expires = excluded.expires, user_metadata = excluded.user_metadata,
          checksums = excluded.checksums, tags = excluded.tags, last_modified = excluded.last_modified, blob_id = excluded.blob_id,
          part_count = excluded.part_count, stored_inline = excluded.stored_inline;
        IF cardinality(p_part_numbers) > 0 THEN
          INSERT INTO object_parts (bucket_id, key, part_number, size, etag, checksums, blob_id)
          SELECT p_bucket_id, p_key, * FROM unnest(p_part_numbers, p_part_sizes, p_part_etags, p_part_checksums, p_part_blob_ids);
        END IF;
      END $$;

      -- PutObject in one statement, so one round trip with its commit: finds the bucket,
      -- takes the key's lock (as lockKey does), and writes through latchkey_write_object.
      -- A bucket that has versioning (a row in bucket_versioning) is left untouched:
      -- outcome 'versioned' sends the caller to the versioned write (pg-version-rows.ts).
      CREATE FUNCTION latchkey_put_object(
        p_bucket text, p_key bytea, p_size bigint, p_etag text, p_content_type text, p_cache_control text,
        p_content_disposition text, p_content_encoding text, p_content_language text, p_expires text,
        p_user_metadata text, p_checksums text, p_tags text, p_last_modified bigint, p_blob_id text,
        p_part_count integer, p_stored_inline boolean, p_inline_bytes bytea,
        p_part_numbers integer[], p_part_sizes bigint[], p_part_etags text[], p_part_checksums text[], p_part_blob_ids text[],
        OUT outcome text, OUT replaced boolean, OUT freed_blob_id text, OUT freed_part_blob_ids text[])
      LANGUAGE plpgsql AS $$
      DECLARE
        b bigint;
      BEGIN
        SELECT id INTO b FROM buckets WHERE name = p_bucket;
        IF NOT FOUND THEN
          outcome := 'no-such-bucket';
          RETURN;
        END IF;
        PERFORM pg_advisory_xact_lock(hashtextextended(b::text || '/' || encode(p_key, 'hex'), 0));
        IF EXISTS (SELECT 1 FROM bucket_versioning WHERE bucket_id = b) THEN
          outcome := 'versioned';
          RETURN;
        END IF;
        SELECT w.replaced, w.freed_blob_id, w.freed_part_blob_ids INTO replaced, freed_blob_id, freed_part_blob_ids
        FROM latchkey_write_object(b, p_key, p_size, p_etag, p_content_type, p_cache_control, p_content_disposition, p_content_encoding,
          p_content_language, p_expires, p_user_metadata, p_checksums, p_tags, p_last_modified, p_blob_id, p_part_count, p_stored_inline,
          p_inline_bytes, p_part_numbers, p_part_sizes, p_part_etags, p_part_checksums, p_part_blob_ids) w;
        outcome := 'stored';
      END $$;
    `,
};
