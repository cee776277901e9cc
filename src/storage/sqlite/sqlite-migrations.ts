import type Database from 'better-sqlite3';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/**
 * Append-only: a released migration is never edited, a change is a new
 * version. Keys are BLOBs holding UTF-8 bytes because SQLite compares BLOBs
 * with memcmp, which is exactly S3's UTF-8 binary listing order; the CHECKs
 * keep a TEXT value (which would sort apart from every BLOB) from sneaking in.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'buckets and objects',
    sql: `
      CREATE TABLE buckets (
        id         INTEGER PRIMARY KEY,
        name       TEXT    NOT NULL UNIQUE,
        owner      TEXT    NOT NULL,
        region     TEXT,
        created_at INTEGER NOT NULL -- ms since the epoch
      );

      CREATE TABLE objects (
        bucket_id           INTEGER NOT NULL REFERENCES buckets(id),
        key                 BLOB    NOT NULL CHECK (typeof(key) = 'blob' AND length(key) BETWEEN 1 AND 1024),
        size                INTEGER NOT NULL CHECK (size >= 0),
        etag                TEXT    NOT NULL,
        content_type        TEXT,
        cache_control       TEXT,
        content_disposition TEXT,
        content_encoding    TEXT,
        content_language    TEXT,
        expires             TEXT,
        user_metadata       TEXT    NOT NULL DEFAULT '{}', -- JSON object name → value
        checksums           TEXT    NOT NULL DEFAULT '{}', -- JSON object algorithm → value
        last_modified       INTEGER NOT NULL,              -- ms since the epoch
        blob_id             TEXT    NOT NULL UNIQUE,       -- one row per blob; the index serves crash recovery
        PRIMARY KEY (bucket_id, key)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    name: 'identities: users, access keys, policies, bucket policies, sessions',
    sql: `
      CREATE TABLE users (
        name       TEXT    PRIMARY KEY,
        status     TEXT    NOT NULL CHECK (status IN ('active', 'disabled')),
        created_at INTEGER NOT NULL
      );

      CREATE TABLE access_keys (
        access_key_id TEXT    PRIMARY KEY,
        user_name     TEXT    NOT NULL REFERENCES users(name) ON DELETE CASCADE,
        status        TEXT    NOT NULL CHECK (status IN ('active', 'inactive')),
        sealed_secret BLOB    NOT NULL, -- AES-256-GCM under the master key, never plain text
        created_at    INTEGER NOT NULL,
        last_used_at  INTEGER
      );
      CREATE INDEX access_keys_by_user ON access_keys (user_name);

      CREATE TABLE policies (
        name       TEXT    PRIMARY KEY,
        document   TEXT    NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );

      CREATE TABLE user_policies (
        user_name   TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
        policy_name TEXT NOT NULL REFERENCES policies(name),
        PRIMARY KEY (user_name, policy_name)
      ) WITHOUT ROWID;

      CREATE TABLE bucket_policies (
        bucket_id INTEGER PRIMARY KEY REFERENCES buckets(id) ON DELETE CASCADE,
        document  TEXT    NOT NULL
      );

      CREATE TABLE sessions (
        access_key_id  TEXT    PRIMARY KEY,
        principal      TEXT    NOT NULL,
        sealed_secret  BLOB    NOT NULL,
        token_hash     TEXT    NOT NULL,
        session_policy TEXT,
        created_at     INTEGER NOT NULL,
        expires_at     INTEGER NOT NULL
      );
      CREATE INDEX sessions_by_expiry ON sessions (expires_at);

      CREATE TABLE settings (
        name  TEXT PRIMARY KEY,
        value BLOB NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'multipart uploads, parts, objects made of part blobs',
    sql: `
      CREATE TABLE multipart_uploads (
        upload_id          TEXT    PRIMARY KEY,
        bucket_id          INTEGER NOT NULL REFERENCES buckets(id) ON DELETE CASCADE,
        key                BLOB    NOT NULL CHECK (typeof(key) = 'blob' AND length(key) BETWEEN 1 AND 1024),
        initiator          TEXT    NOT NULL,
        metadata           TEXT    NOT NULL, -- JSON: system metadata and user_metadata for the object
        checksum_algorithm TEXT,
        checksum_type      TEXT    CHECK (checksum_type IN ('COMPOSITE', 'FULL_OBJECT')),
        created_at         INTEGER NOT NULL
      );
      -- ListMultipartUploads order (key bytes, then initiation) and the expiry sweep.
      CREATE INDEX multipart_uploads_by_key ON multipart_uploads (bucket_id, key, created_at, upload_id);
      CREATE INDEX multipart_uploads_by_age ON multipart_uploads (created_at);

      CREATE TABLE upload_parts (
        upload_id     TEXT    NOT NULL REFERENCES multipart_uploads(upload_id) ON DELETE CASCADE,
        part_number   INTEGER NOT NULL CHECK (part_number BETWEEN 1 AND 10000),
        size          INTEGER NOT NULL CHECK (size >= 0),
        etag          TEXT    NOT NULL,
        checksums     TEXT    NOT NULL DEFAULT '{}',
        last_modified INTEGER NOT NULL,
        blob_id       TEXT    NOT NULL UNIQUE,
        PRIMARY KEY (upload_id, part_number)
      ) WITHOUT ROWID;

      -- NULL: the object is objects.blob_id alone. N: it is the concatenation of
      -- its N object_parts rows (blob_id then names part 1's blob).
      ALTER TABLE objects ADD COLUMN part_count INTEGER CHECK (part_count BETWEEN 1 AND 10000);

      CREATE TABLE object_parts (
        bucket_id   INTEGER NOT NULL,
        key         BLOB    NOT NULL,
        part_number INTEGER NOT NULL,
        size        INTEGER NOT NULL CHECK (size >= 0),
        etag        TEXT    NOT NULL,
        checksums   TEXT    NOT NULL DEFAULT '{}',
        blob_id     TEXT    NOT NULL UNIQUE,
        PRIMARY KEY (bucket_id, key, part_number),
        FOREIGN KEY (bucket_id, key) REFERENCES objects (bucket_id, key)
      ) WITHOUT ROWID;

      -- Blobs whose rows went with a deleted bucket (its uploads cascade): the
      -- background sweep unlinks them, so nothing waits for the next restart.
      CREATE TABLE freed_blobs (blob_id TEXT PRIMARY KEY) WITHOUT ROWID;
      CREATE TRIGGER buckets_free_upload_parts BEFORE DELETE ON buckets BEGIN
        INSERT OR IGNORE INTO freed_blobs (blob_id)
          SELECT p.blob_id FROM upload_parts p JOIN multipart_uploads u ON u.upload_id = p.upload_id WHERE u.bucket_id = OLD.id;
      END;
    `,
  },
  {
    version: 4,
    name: 'bucket CORS configurations',
    sql: `
      CREATE TABLE bucket_cors (
        bucket_id INTEGER PRIMARY KEY REFERENCES buckets(id) ON DELETE CASCADE,
        document  TEXT    NOT NULL -- JSON of the validated rules (src/s3/cors-config.ts)
      );
    `,
  },
  {
    version: 5,
    name: 'pre-signed link use counters, revocations and audit log',
    sql: `
      -- Links are named by the SHA-256 of their signature (never the signature, a bearer secret).
      CREATE TABLE link_uses (
        link       TEXT    PRIMARY KEY,
        max_uses   INTEGER NOT NULL CHECK (max_uses >= 1),
        uses       INTEGER NOT NULL CHECK (uses BETWEEN 0 AND max_uses),
        expires_at INTEGER NOT NULL -- the link's expiry: the row is swept after it
      ) WITHOUT ROWID;
      CREATE INDEX link_uses_by_expiry ON link_uses (expires_at);

      CREATE TABLE link_revocations (
        kind       TEXT    NOT NULL CHECK (kind IN ('link', 'signer', 'bucket')),
        subject    TEXT    NOT NULL, -- signature hash, access key id or bucket name
        before     INTEGER,          -- signer and bucket: links signed before this instant
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL, -- no link it covers lives past this
        PRIMARY KEY (kind, subject)
      ) WITHOUT ROWID;
      CREATE INDEX link_revocations_by_expiry ON link_revocations (expires_at);

      CREATE TABLE link_audit (
        id            INTEGER PRIMARY KEY,
        at            INTEGER NOT NULL,
        link          TEXT    NOT NULL,
        access_key_id TEXT    NOT NULL,
        user_name     TEXT    NOT NULL,
        method        TEXT    NOT NULL,
        bucket        TEXT,
        key           TEXT,
        status        INTEGER NOT NULL,
        bytes         INTEGER NOT NULL,
        client_ip     TEXT    NOT NULL,
        user_agent    TEXT
      );
      CREATE INDEX link_audit_by_time ON link_audit (at);
      CREATE INDEX link_audit_by_link ON link_audit (link, at);
    `,
  },
  {
    version: 6,
    name: 'small objects stored inline',
    sql: `
      -- Bodies of small objects, committed with their row in one transaction (one shared WAL fsync)
      -- instead of a file each (two fsyncs and a rename). Rowid table: WITHOUT ROWID suits small rows only.
      CREATE TABLE inline_blobs (
        blob_id TEXT NOT NULL UNIQUE,
        bytes   BLOB NOT NULL
      );
      ALTER TABLE objects ADD COLUMN stored_inline INTEGER NOT NULL DEFAULT 0 CHECK (stored_inline IN (0, 1));
    `,
  },
  {
    version: 7,
    name: 'freed blobs due later',
    sql: `
      -- When a freed blob may be unlinked (ms since the epoch; 0: at once). See UploadStore.freeBlobsLater.
      ALTER TABLE freed_blobs ADD COLUMN due_at INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 8,
    name: 'console sign-in failures and issued links',
    sql: `
      -- One row per failed console sign-in, kept for the limiter's window (see ConsoleStore).
      CREATE TABLE console_signin_failures (
        address       TEXT    NOT NULL,
        access_key_id TEXT    NOT NULL,
        at            INTEGER NOT NULL
      );
      CREATE INDEX console_signin_failures_by_pair ON console_signin_failures (address, access_key_id, at);
      CREATE INDEX console_signin_failures_by_time ON console_signin_failures (at);

      -- Links issued from the console (never their URL or signature).
      CREATE TABLE console_links (
        id            TEXT    PRIMARY KEY,
        kind          TEXT    NOT NULL CHECK (kind IN ('download', 'upload-object', 'upload-prefix')),
        bucket        TEXT    NOT NULL,
        key           TEXT    NOT NULL,
        issuer        TEXT    NOT NULL,
        access_key_id TEXT    NOT NULL,
        link_id       TEXT    NOT NULL,
        created_at    INTEGER NOT NULL,
        expires_at    INTEGER NOT NULL,
        max_uses      INTEGER,
        download_name TEXT,
        content_type  TEXT,
        max_size      INTEGER,
        revoked_at    INTEGER
      );
      CREATE INDEX console_links_by_issuer ON console_links (issuer, created_at);
      CREATE INDEX console_links_by_time ON console_links (created_at);
    `,
  },
  {
    version: 9,
    name: 'completed multipart uploads, bucket public access blocks',
    sql: `
      -- What a completed upload made, so a retried CompleteMultipartUpload answers as the first did.
      -- Forgotten by the upload expiry sweep, after as long as an upload itself may live.
      CREATE TABLE completed_uploads (
        upload_id     TEXT    PRIMARY KEY,
        bucket_id     INTEGER NOT NULL REFERENCES buckets(id) ON DELETE CASCADE,
        key           BLOB    NOT NULL,
        etag          TEXT    NOT NULL,
        blob_id       TEXT    NOT NULL, -- the object's first blob: names the version it made
        checksum_type TEXT    CHECK (checksum_type IN ('COMPOSITE', 'FULL_OBJECT')),
        completed_at  INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX completed_uploads_by_age ON completed_uploads (completed_at);

      CREATE TABLE bucket_public_access_blocks (
        bucket_id               INTEGER PRIMARY KEY REFERENCES buckets(id) ON DELETE CASCADE,
        block_public_acls       INTEGER NOT NULL CHECK (block_public_acls IN (0, 1)),
        ignore_public_acls      INTEGER NOT NULL CHECK (ignore_public_acls IN (0, 1)),
        block_public_policy     INTEGER NOT NULL CHECK (block_public_policy IN (0, 1)),
        restrict_public_buckets INTEGER NOT NULL CHECK (restrict_public_buckets IN (0, 1))
      );
      `,
  },
  {
    version: 10,
    name: 'bucket versioning',
    sql: `
      -- A bucket with no row here was never versioned (S3 cannot go back to that state).
      CREATE TABLE bucket_versioning (
        bucket_id INTEGER PRIMARY KEY REFERENCES buckets(id) ON DELETE CASCADE,
        status    TEXT    NOT NULL CHECK (status IN ('Enabled', 'Suspended'))
      );
      -- The current version's place among its key's versions, and its id (NULL: S3's "null" version).
      ALTER TABLE objects ADD COLUMN version_seq INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE objects ADD COLUMN version_id TEXT;
      -- Every version that is not current, and every delete marker. record: the version's ObjectRecord as JSON.
      CREATE TABLE object_versions (
        bucket_id     INTEGER NOT NULL REFERENCES buckets(id),
        key           BLOB    NOT NULL CHECK (typeof(key) = 'blob' AND length(key) BETWEEN 1 AND 1024),
        version_seq   INTEGER NOT NULL,
        version_id    TEXT,
        delete_marker INTEGER NOT NULL CHECK (delete_marker IN (0, 1)),
        size          INTEGER NOT NULL,
        etag          TEXT    NOT NULL,
        checksums     TEXT    NOT NULL DEFAULT '{}',
        last_modified INTEGER NOT NULL,
        blob_id       TEXT    UNIQUE,
        stored_inline INTEGER NOT NULL DEFAULT 0 CHECK (stored_inline IN (0, 1)),
        record        TEXT,
        PRIMARY KEY (bucket_id, key, version_seq)
      ) WITHOUT ROWID;
      -- The part blobs of archived multipart versions, so the orphan sweep and backups see them.
      CREATE TABLE version_parts (
        blob_id     TEXT    PRIMARY KEY,
        bucket_id   INTEGER NOT NULL,
        key         BLOB    NOT NULL,
        version_seq INTEGER NOT NULL,
        FOREIGN KEY (bucket_id, key, version_seq) REFERENCES object_versions (bucket_id, key, version_seq) ON DELETE CASCADE
      ) WITHOUT ROWID;
      CREATE INDEX version_parts_by_version ON version_parts (bucket_id, key, version_seq);
    `,
  },
  {
    version: 11,
    name: 'object and bucket tags',
    sql: `
      -- An object version's tag set, JSON of key → value (validated by src/s3/tagging.ts); it goes with the version.
      ALTER TABLE objects ADD COLUMN tags TEXT NOT NULL DEFAULT '{}';
      CREATE TABLE bucket_tags (
        bucket_id INTEGER PRIMARY KEY REFERENCES buckets(id) ON DELETE CASCADE,
        tags      TEXT    NOT NULL -- JSON of key → value
      );
    `,
  },
];

/**
 * Brings the schema up to the newest known version, one transaction per
 * migration. Refuses a database written by a newer Latchkey rather than
 * guessing at tables it does not know.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const row = db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null };
  const current = row.v ?? 0;
  const newest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  if (current > newest) {
    throw new Error(`metadata database is at schema version ${current}, newer than this build knows (${newest})`);
  }
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.version, m.name, Date.now());
    }).immediate();
  }
  return Math.max(current, newest);
}
