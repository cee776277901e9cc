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
