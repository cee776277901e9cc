import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { MIGRATIONS, migrate } from '../../src/storage/sqlite-migrations.js';
import { SqliteMetadataStore } from '../../src/storage/sqlite-metadata-store.js';

describe('SqliteMetadataStore specifics', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'latchkey-sqlite-'));
    file = join(dir, 'metadata.sqlite3');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs in WAL mode with synchronous=NORMAL (durability by group commit) and foreign keys on', async () => {
    const store = new SqliteMetadataStore(file);
    await store.close();
    const db = new Database(file);
    try {
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      // synchronous and foreign_keys are per connection: check through a store's own connection.
    } finally {
      db.close();
    }
    const probe = new SqliteMetadataStore(file) as unknown as { db: Database.Database; close(): Promise<void> };
    try {
      assert.equal(probe.db.pragma('synchronous', { simple: true }), 1); // NORMAL
      assert.equal(probe.db.pragma('foreign_keys', { simple: true }), 1);
    } finally {
      await probe.close();
    }
  });

  it('makes every write durable before it resolves, sharing WAL fsyncs between concurrent writers', async () => {
    const store = new SqliteMetadataStore(file);
    try {
      await store.createBucket({ name: 'b', owner: 'alice' });
      const before = store.walSyncs;
      assert.ok(before >= 1, 'a single write waited for an fsync');
      const writes = Array.from({ length: 50 }, (_, i) => store.putObject({ bucket: 'b', key: `k${i}`, size: 1, etag: 'e', blobId: i.toString(16).padStart(32, '0') }));
      await Promise.all(writes);
      const used = store.walSyncs - before;
      assert.ok(used >= 1 && used < 50, `50 concurrent writes shared fsyncs (${used} used)`);
      await store.deleteObject('b', 'k0');
      assert.equal(store.walSyncs, before + used + 1, 'a delete waits for its own fsync');
    } finally {
      await store.close();
    }
  });

  it('records migration 1 once, and keeps data across reopening', async () => {
    const store = new SqliteMetadataStore(file);
    await store.createBucket({ name: 'b', owner: 'alice' });
    await store.putObject({ bucket: 'b', key: '\u{1F600}', size: 1, etag: 'e', blobId: 'a'.repeat(32) });
    await store.close();
    const again = new SqliteMetadataStore(file);
    const got = await again.getObject('b', '\u{1F600}');
    assert.equal(got.kind, 'found');
    await again.close();
    const db = new Database(file);
    try {
      const rows = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
      assert.deepEqual(rows, MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
      assert.deepEqual(db.prepare('SELECT typeof(key) AS t, hex(key) AS h FROM objects').get(), { t: 'blob', h: 'F09F9880' });
    } finally {
      db.close();
    }
  });

  it('refuses a database from a newer schema', () => {
    const db = new Database(file);
    try {
      migrate(db);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, ?, 0)').run('from the future');
    } finally {
      db.close();
    }
    assert.throws(() => new SqliteMetadataStore(file), /schema version 99/);
  });

  it('applies only the migrations a database lacks, each atomically', () => {
    const db = new Database(file);
    try {
      const newest = MIGRATIONS.length;
      assert.equal(migrate(db, MIGRATIONS), newest);
      const next = newest + 1;
      const broken = [...MIGRATIONS, { version: next, name: 'broken', sql: 'CREATE TABLE extra (x); SELECT nonsense FROM nowhere;' }];
      assert.throws(() => migrate(db, broken));
      // The failed migration left neither its table nor its version behind.
      assert.deepEqual(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'extra'").get(), { n: 0 });
      assert.deepEqual(db.prepare('SELECT max(version) AS v FROM schema_migrations').get(), { v: newest });
      const fine = [...MIGRATIONS, { version: next, name: 'extra', sql: 'CREATE TABLE extra (x)' }];
      assert.equal(migrate(db, fine), next);
      assert.equal(migrate(db, fine), next);
      assert.deepEqual(
        db.prepare('SELECT version FROM schema_migrations ORDER BY version').all(),
        fine.map((m) => ({ version: m.version })),
      );
    } finally {
      db.close();
    }
  });

  it('rejects a TEXT key at the schema level, since it would sort apart from every BLOB key', () => {
    const db = new Database(file);
    try {
      migrate(db);
      db.prepare("INSERT INTO buckets (name, owner, created_at) VALUES ('b', 'o', 0)").run();
      assert.throws(() => db.prepare("INSERT INTO objects (bucket_id, key, size, etag, last_modified, blob_id) VALUES (1, 'text', 0, 'e', 0, 'x')").run(), /CHECK constraint/);
      assert.throws(() => db.prepare('INSERT INTO objects (bucket_id, key, size, etag, last_modified, blob_id) VALUES (1, ?, 0, \'e\', 0, \'y\')').run(Buffer.alloc(1025, 0x61)), /CHECK constraint/);
    } finally {
      db.close();
    }
  });
});
