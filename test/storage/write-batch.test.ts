import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteMetadataStore } from '../../src/storage/sqlite/sqlite-metadata-store.js';
import { WriteBatch } from '../../src/storage/sqlite/write-batch.js';

function memoryDb(): Database.Database {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  db.exec(`CREATE TABLE parent (id INTEGER PRIMARY KEY);
           CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);`);
  return db;
}

function batchOf(db: Database.Database) {
  const events: string[] = [];
  const batch = new WriteBatch(
    db,
    () => {
      events.push('durable');
      return Promise.resolve();
    },
    () => events.push('rolled back'),
  );
  /** A write as the stores make one: join, then run its own (nested) transaction. */
  const write = async (work: () => void): Promise<void> => {
    const durable = batch.join();
    db.transaction(work).immediate();
    await durable;
  };
  return { batch, events, write };
}

test('writes of one turn share one transaction; a write that throws undoes only itself', async () => {
  const db = memoryDb();
  const { events, write } = batchOf(db);
  const insert = db.prepare('INSERT INTO parent (id) VALUES (?)');
  const writes = [1, 2, 3].map((id) => write(() => insert.run(id)));
  assert.equal(db.inTransaction, true, 'the batch stays open until the turn ends');
  const failing = write(() => {
    insert.run(4);
    insert.run(1); // duplicate: this write fails after inserting 4
  });
  await assert.rejects(failing, /UNIQUE constraint failed/);
  await Promise.all(writes);
  assert.equal(db.inTransaction, false);
  assert.deepEqual(db.prepare('SELECT id FROM parent ORDER BY id').pluck().all(), [1, 2, 3]);
  assert.deepEqual(events, ['durable'], 'one commit made durable once for the whole turn');
  await write(() => insert.run(5));
  assert.deepEqual(events, ['durable', 'durable'], 'a later turn opens a new batch');
});

test('a commit that fails rolls the whole batch back and fails each of its writers', async () => {
  const db = memoryDb();
  const { events, write } = batchOf(db);
  const good = write(() => db.prepare('INSERT INTO parent (id) VALUES (1)').run());
  // A deferred foreign key is checked at COMMIT: the whole batch fails there.
  const orphan = write(() => db.prepare('INSERT INTO child (id, parent) VALUES (1, 99)').run());
  await assert.rejects(good, /FOREIGN KEY constraint failed/);
  await assert.rejects(orphan, /FOREIGN KEY constraint failed/);
  assert.deepEqual(events, ['rolled back']);
  assert.equal(db.inTransaction, false);
  assert.equal(db.prepare('SELECT count(*) FROM parent').pluck().get(), 0);
  await write(() => db.prepare('INSERT INTO parent (id) VALUES (2)').run());
  assert.deepEqual(db.prepare('SELECT id FROM parent').pluck().all(), [2], 'the next batch works');
});

test('close waits for the open batch to commit', async () => {
  const db = memoryDb();
  const { batch, events } = batchOf(db);
  void batch.join();
  db.prepare('INSERT INTO parent (id) VALUES (7)').run();
  await batch.close();
  assert.equal(db.inTransaction, false);
  assert.deepEqual(events, ['durable']);
  db.close();
});

test('PUTs started in one turn write the shared B-tree pages to the WAL once, not once per PUT', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-batch-'));
  const file = join(dir, 'meta.db');
  // durable: false keeps SQLite's own checkpoint threshold (1,000 pages) and no checkpointer: the WAL only grows here.
  const store = new SqliteMetadataStore(file, { durable: false });
  try {
    await store.createBucket({ name: 'b', owner: 'me' });
    const row = (key: string) => ({
      bucket: 'b', key, size: 4096, etag: 'e', userMetadata: {}, checksums: {}, blobId: `${key.padStart(8, '0')}${'0'.repeat(24)}`, inlineBytes: Buffer.alloc(4096, key),
    });
    const walPages = () => (statSync(`${file}-wal`).size - 32) / (24 + 4096);
    const before = walPages();
    await Promise.all(Array.from({ length: 40 }, (_, i) => store.putObject(row(`a${i}`))));
    const together = walPages() - before;
    for (let i = 0; i < 40; i++) await store.putObject(row(`b${i}`));
    const apart = walPages() - before - together;
    t.diagnostic(`WAL pages: ${together} for 40 PUTs in one turn, ${apart} for 40 one after another`);
    assert.ok(apart >= 80, `40 PUTs one after another wrote ${apart} pages`);
    assert.ok(together < apart / 2, `40 PUTs in one turn wrote ${together} pages, against ${apart} one after another`);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
