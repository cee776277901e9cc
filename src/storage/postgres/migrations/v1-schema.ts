import type { PgMigration } from './pg-migration.js';

/** The first schema: what SQLite reached at its version 6, in PostgreSQL's types. */
export const v1Schema: PgMigration = {
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
};
