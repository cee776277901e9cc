import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { MIGRATIONS, migrate } from '../../src/storage/sqlite/sqlite-migrations.js';
import { SqliteMetadataStore } from '../../src/storage/sqlite/sqlite-metadata-store.js';

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

  it('checkpoints the WAL on a thread of its own, long before SQLite would on the event loop, and removes it at close', async () => {
    const store = new SqliteMetadataStore(file);
    const probe = store as unknown as { db: Database.Database };
    assert.equal(probe.db.pragma('wal_autocheckpoint', { simple: true }), 8192, 'the event loop checkpoints only as a backstop');
    await store.createBucket({ name: 'b', owner: 'alice' });
    const baseline = statSync(file).size;
    // ~1 MiB of inline bodies: 250 WAL pages, far below both SQLite's default (1,000) and the backstop.
    await Promise.all(Array.from({ length: 250 }, (_, i) =>
      store.putObject({ bucket: 'b', key: `k${i}`, size: 4096, etag: 'e', blobId: i.toString(16).padStart(32, '0'), inlineBytes: Buffer.alloc(4096, i) })));
    assert.ok(statSync(file).size - baseline < 512 * 1024, 'the commits themselves went to the WAL only');
    const deadline = Date.now() + 10_000;
    while (statSync(file).size - baseline < 1024 * 1024 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(statSync(file).size - baseline >= 1024 * 1024, `the database file took the pages (grew ${statSync(file).size - baseline} bytes)`);
    await store.close();
    assert.ok(!existsSync(`${file}-wal`), 'closing checkpoints the rest and removes the WAL');
    const reopened = new SqliteMetadataStore(file);
    try {
      const found = await reopened.getObject('b', 'k249');
      assert.equal(found.kind, 'found');
      assert.deepEqual(await reopened.readInlineBlob(249 .toString(16).padStart(32, '0')), Buffer.alloc(4096, 249));
    } finally {
      await reopened.close();
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
