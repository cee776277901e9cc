import type { Sql } from './pg-connection.js';

export interface PgMigration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/**
 * Append-only, like SQLite's: a released migration is never edited. Version 1
 * is the schema SQLite reached at its version 6, in PostgreSQL's types: keys
 * are bytea (compared bytewise, S3's UTF-8 binary order), times are ms since
 * the epoch in bigint so every backend maps rows the same way.
 */
export const PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    name: 'buckets, objects, inline bodies, identities, multipart uploads, CORS, link controls',
    sql: `
      CREATE TABLE buckets (
        id         bigserial PRIMARY KEY,
        name       text   NOT NULL UNIQUE,
        owner      text   NOT NULL,
        region     text,
        created_at bigint NOT NULL
      );

      CREATE TABLE objects (
        bucket_id           bigint  NOT NULL REFERENCES buckets(id),
        key                 bytea   NOT NULL CHECK (length(key) BETWEEN 1 AND 1024),
        size                bigint  NOT NULL CHECK (size >= 0),
        etag                text    NOT NULL,
        content_type        text,
        cache_control       text,
        content_disposition text,
        content_encoding    text,
        content_language    text,
        expires             text,
        user_metadata       text    NOT NULL DEFAULT '{}',
        checksums           text    NOT NULL DEFAULT '{}',
        last_modified       bigint  NOT NULL,
        blob_id             text    NOT NULL UNIQUE,
        part_count          integer CHECK (part_count BETWEEN 1 AND 10000),
        stored_inline       boolean NOT NULL DEFAULT false,
        PRIMARY KEY (bucket_id, key)
      );

      CREATE TABLE object_parts (
        bucket_id   bigint  NOT NULL,
        key         bytea   NOT NULL,
        part_number integer NOT NULL,
        size        bigint  NOT NULL CHECK (size >= 0),
        etag        text    NOT NULL,
        checksums   text    NOT NULL DEFAULT '{}',
        blob_id     text    NOT NULL UNIQUE,
        PRIMARY KEY (bucket_id, key, part_number),
        FOREIGN KEY (bucket_id, key) REFERENCES objects (bucket_id, key)
      );

      CREATE TABLE inline_blobs (
        blob_id text  PRIMARY KEY,
        bytes   bytea NOT NULL
      );

      CREATE TABLE users (
        name       text   PRIMARY KEY,
        status     text   NOT NULL CHECK (status IN ('active', 'disabled')),
        created_at bigint NOT NULL
      );

      CREATE TABLE access_keys (
        access_key_id text   PRIMARY KEY,
        user_name     text   NOT NULL REFERENCES users(name) ON DELETE CASCADE,
        status        text   NOT NULL CHECK (status IN ('active', 'inactive')),
        sealed_secret bytea  NOT NULL,
        created_at    bigint NOT NULL,
        last_used_at  bigint
      );
      CREATE INDEX access_keys_by_user ON access_keys (user_name);

      CREATE TABLE policies (
        name       text   PRIMARY KEY,
        document   text   NOT NULL,
        created_at bigint NOT NULL,
        updated_at bigint NOT NULL
      );

      CREATE TABLE user_policies (
        user_name   text NOT NULL REFERENCES users(name) ON DELETE CASCADE,
        policy_name text NOT NULL REFERENCES policies(name),
        PRIMARY KEY (user_name, policy_name)
      );

      CREATE TABLE bucket_policies (
        bucket_id bigint PRIMARY KEY REFERENCES buckets(id) ON DELETE CASCADE,
        document  text   NOT NULL
      );

      CREATE TABLE bucket_cors (
        bucket_id bigint PRIMARY KEY REFERENCES buckets(id) ON DELETE CASCADE,
        document  text   NOT NULL
      );

      CREATE TABLE sessions (
        access_key_id  text   PRIMARY KEY,
        principal      text   NOT NULL,
        sealed_secret  bytea  NOT NULL,
        token_hash     text   NOT NULL,
        session_policy text,
        created_at     bigint NOT NULL,
        expires_at     bigint NOT NULL
      );
      CREATE INDEX sessions_by_expiry ON sessions (expires_at);

      CREATE TABLE settings (
        name  text  PRIMARY KEY,
        value bytea NOT NULL
      );

      CREATE TABLE multipart_uploads (
        upload_id          text   PRIMARY KEY,
        bucket_id          bigint NOT NULL REFERENCES buckets(id) ON DELETE CASCADE,
        key                bytea  NOT NULL CHECK (length(key) BETWEEN 1 AND 1024),
        initiator          text   NOT NULL,
        metadata           text   NOT NULL,
        checksum_algorithm text,
        checksum_type      text   CHECK (checksum_type IN ('COMPOSITE', 'FULL_OBJECT')),
        created_at         bigint NOT NULL
      );
      CREATE INDEX multipart_uploads_by_key ON multipart_uploads (bucket_id, key, created_at, upload_id);
      CREATE INDEX multipart_uploads_by_age ON multipart_uploads (created_at);

      CREATE TABLE upload_parts (
        upload_id     text    NOT NULL REFERENCES multipart_uploads(upload_id) ON DELETE CASCADE,
        part_number   integer NOT NULL CHECK (part_number BETWEEN 1 AND 10000),
        size          bigint  NOT NULL CHECK (size >= 0),
        etag          text    NOT NULL,
        checksums     text    NOT NULL DEFAULT '{}',
        last_modified bigint  NOT NULL,
        blob_id       text    NOT NULL UNIQUE,
        PRIMARY KEY (upload_id, part_number)
      );

      -- Blob files no row references any more, for the background sweep to unlink once due: at once for a
      -- deleted bucket's upload parts, after the grace period for versions a reader on another node may still stream.
      CREATE TABLE freed_blobs (blob_id text PRIMARY KEY, due_at bigint NOT NULL DEFAULT 0);
      CREATE INDEX freed_blobs_by_due ON freed_blobs (due_at);

      CREATE TABLE link_uses (
        link       text    PRIMARY KEY,
        max_uses   integer NOT NULL CHECK (max_uses >= 1),
        uses       integer NOT NULL CHECK (uses BETWEEN 0 AND max_uses),
        expires_at bigint  NOT NULL
      );
      CREATE INDEX link_uses_by_expiry ON link_uses (expires_at);

      CREATE TABLE link_revocations (
        kind       text   NOT NULL CHECK (kind IN ('link', 'signer', 'bucket')),
        subject    text   NOT NULL,
        before     bigint,
        created_at bigint NOT NULL,
        expires_at bigint NOT NULL,
        PRIMARY KEY (kind, subject)
      );
      CREATE INDEX link_revocations_by_expiry ON link_revocations (expires_at);

      CREATE TABLE link_audit (
        id            bigserial PRIMARY KEY,
        at            bigint  NOT NULL,
        link          text    NOT NULL,
        access_key_id text    NOT NULL,
        user_name     text    NOT NULL,
        method        text    NOT NULL,
        bucket        text,
        key           text,
        status        integer NOT NULL,
        bytes         bigint  NOT NULL,
        client_ip     text    NOT NULL,
        user_agent    text
      );
      CREATE INDEX link_audit_by_time ON link_audit (at);
      CREATE INDEX link_audit_by_link ON link_audit (link, at);
    `,
  },
  {
    version: 2,
    name: 'console sign-in failures and issued links',
    sql: `
      -- One row per failed console sign-in, kept for the limiter's window: every node counts the same failures.
      CREATE TABLE console_signin_failures (
        address       text   NOT NULL,
        access_key_id text   NOT NULL,
        at            bigint NOT NULL
      );
      CREATE INDEX console_signin_failures_by_pair ON console_signin_failures (address, access_key_id, at);
      CREATE INDEX console_signin_failures_by_time ON console_signin_failures (at);

      -- Links issued from the console (never their URL or signature): every node lists and revokes the same ones.
      CREATE TABLE console_links (
        id            text    PRIMARY KEY,
        kind          text    NOT NULL CHECK (kind IN ('download', 'upload-object', 'upload-prefix')),
        bucket        text    NOT NULL,
        key           text    NOT NULL,
        issuer        text    NOT NULL,
        access_key_id text    NOT NULL,
        link_id       text    NOT NULL,
        created_at    bigint  NOT NULL,
        expires_at    bigint  NOT NULL,
        max_uses      integer,
        download_name text,
        content_type  text,
        max_size      bigint,
        revoked_at    bigint
      );
      CREATE INDEX console_links_by_issuer ON console_links (issuer, created_at);
      CREATE INDEX console_links_by_time ON console_links (created_at);
    `,
  },
  {
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
  },
  {
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
  },
  {
    version: 5,
    name: 'object and bucket tags',
    sql: `
      ALTER TABLE objects ADD COLUMN tags text NOT NULL DEFAULT '{}';
      CREATE TABLE bucket_tags (
        bucket_id bigint PRIMARY KEY REFERENCES buckets(id) ON DELETE CASCADE,
        tags      text   NOT NULL
      );
    `,
  },
  {
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
  },
];

/** Any constant works: it names "the schema migration" among this database's advisory locks. */
const MIGRATION_LOCK = 0x4c4b_4d47; // "LKMG"

/**
 * Brings the schema (the connection's search_path) to the newest known
 * version. Several nodes starting at once serialize on an advisory lock held
 * for the transaction, so each migration runs exactly once; a database
 * migrated by a newer Latchkey is refused rather than guessed at.
 */
export async function migratePg(sql: Sql, migrations: readonly PgMigration[] = PG_MIGRATIONS): Promise<number> {
  const newest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK}, hashtext(current_schema()))`;
    await tx`CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)`;
    const [row] = await tx<{ v: number | null }[]>`SELECT max(version) AS v FROM schema_migrations`;
    const current = row?.v ?? 0;
    if (current > newest) throw new Error(`metadata database is at schema version ${current}, newer than this build knows (${newest})`);
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (m.version <= current) continue;
      await tx.unsafe(m.sql);
      await tx`INSERT INTO schema_migrations (version, name, applied_at) VALUES (${m.version}, ${m.name}, ${Date.now()})`;
    }
    return Math.max(current, newest);
  });
}
