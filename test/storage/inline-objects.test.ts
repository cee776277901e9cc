import { sqliteBackend } from '../../src/storage/backend.js';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { S3Error } from '../../src/errors.js';
import type { SqliteMetadataStore } from '../../src/storage/sqlite/sqlite-metadata-store.js';
import { INLINE_MAX, METADATA_FILE, Storage } from '../../src/storage/storage.js';

async function* body(...parts: Buffer[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) {
    await Promise.resolve();
    yield part;
  }
}

async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))).sort();
}

/** The inline bodies as the database holds them, read beside the open store. */
function inlineRows(dataDir: string): Map<string, Buffer> {
  const db = new Database(join(dataDir, METADATA_FILE), { readonly: true });
  try {
    return new Map((db.prepare('SELECT blob_id, bytes FROM inline_blobs').all() as Array<{ blob_id: string; bytes: Buffer }>).map((r) => [r.blob_id, r.bytes]));
  } finally {
    db.close();
  }
}

describe('Storage: small objects stored inline', () => {
  let dataDir: string;
  let storage: Storage;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'latchkey-inline-'));
    storage = (await Storage.open(dataDir, sqliteBackend())).storage;
    await storage.metadata.createBucket({ name: 'b', owner: 'alice' });
  });
  afterEach(async () => {
    await storage.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const blobFiles = () => files(storage.blobs.blobDir);
  const put = (key: string, data: Buffer, expectedLength: number | 'unknown' = data.length) =>
    storage.putObject('b', key, body(data.subarray(0, 7), data.subarray(7)), {}, expectedLength === 'unknown' ? {} : { expectedLength });

  it('keeps a body of up to INLINE_MAX bytes in the database, with no file, and serves it whole and by range', async () => {
    const data = randomBytes(INLINE_MAX);
    const { object } = await put('edge', data);
    assert.equal(object.inline, true);
    assert.equal(object.etag, createHash('md5').update(data).digest('hex'));
    assert.deepEqual(await blobFiles(), []);
    assert.deepEqual(inlineRows(dataDir), new Map([[object.blobId, data]]));
    const got = await storage.getObject('b', 'edge');
    assert.deepEqual(got.bytes, data);
    assert.deepEqual(await buffer(got.body.stream()), data);
    const ranged = await storage.getObject('b', 'edge', { range: { start: 10, end: 19 } });
    assert.deepEqual(ranged.bytes, data.subarray(10, 20));
    assert.deepEqual(await storage.headObject('b', 'edge'), object);
  });

  it('writes a file for one byte more, and for a body of unknown length', async () => {
    const over = await put('over', randomBytes(INLINE_MAX + 1));
    const unknown = await put('unknown', randomBytes(10), 'unknown');
    assert.equal(over.object.inline, undefined);
    assert.equal(unknown.object.inline, undefined);
    assert.equal((await blobFiles()).length, 2);
    assert.equal(inlineRows(dataDir).size, 0);
  });

  it('moves between inline and file as versions replace each other, leaving no orphan either way', async () => {
    const v1 = await put('k', Buffer.from('small one'));
    const v2 = await put('k', randomBytes(INLINE_MAX + 100));
    assert.deepEqual(inlineRows(dataDir), new Map(), 'the inline body went with its version');
    assert.deepEqual(await blobFiles(), [join(v2.object.blobId.slice(0, 2), v2.object.blobId)]);
    const v3 = await put('k', Buffer.from('small again'));
    assert.deepEqual(await blobFiles(), [], 'the replaced file was unlinked');
    assert.deepEqual([...inlineRows(dataDir).keys()], [v3.object.blobId]);
    assert.notEqual(v1.object.blobId, v3.object.blobId);
    assert.equal((await storage.getObject('b', 'k')).bytes?.toString(), 'small again');
    assert.deepEqual(await storage.deleteObject('b', 'k'), { deleted: true });
    assert.deepEqual(inlineRows(dataDir), new Map());
    await assert.rejects(storage.getObject('b', 'k'), (e: unknown) => e instanceof S3Error && e.code === 'NoSuchKey');
  });

  it('refuses a short or long body, a failed check and a vanished bucket without storing anything, keeping the old version', async () => {
    await put('k', Buffer.from('original'));
    const before = inlineRows(dataDir);
    await assert.rejects(put('k', Buffer.from('too short'), 20), (e: unknown) => e instanceof S3Error && e.code === 'IncompleteBody');
    await assert.rejects(put('k', Buffer.from('too long!'), 4), (e: unknown) => e instanceof S3Error && e.code === 'IncompleteBody');
    await assert.rejects(
      storage.putObject('b', 'k', body(Buffer.from('x'.repeat(20))), {}, { expectedLength: 20, maxSize: 10 }),
      (e: unknown) => e instanceof S3Error && e.code === 'EntityTooLarge',
    );
    await assert.rejects(
      storage.putObject('b', 'k', body(Buffer.from('checked')), {}, { expectedLength: 7, verify: () => { throw new S3Error('BadDigest'); } }),
      (e: unknown) => e instanceof S3Error && e.code === 'BadDigest',
    );
    const gone = storage.putObject('b', 'k', (async function* () {
      await storage.metadata.deleteObject('b', 'k');
      await storage.metadata.deleteBucket('b');
      yield Buffer.from('late');
    })(), {}, { expectedLength: 4 });
    await assert.rejects(gone, (e: unknown) => e instanceof S3Error && e.code === 'NoSuchBucket');
    assert.equal(inlineRows(dataDir).size, 0, 'the vanished bucket took nothing new with it');
    assert.equal(before.size, 1);
    assert.deepEqual(await blobFiles(), []);
  });

  it('makes the body durable with its row: one commit, a WAL fsync, and it survives reopening', async () => {
    const metadata = storage.metadata as SqliteMetadataStore;
    const syncs = metadata.walSyncs;
    const { object } = await put('durable', Buffer.from('kept across restarts'));
    assert.equal(metadata.walSyncs, syncs + 1);
    await storage.close();
    storage = (await Storage.open(dataDir, sqliteBackend())).storage;
    const got = await storage.getObject('b', 'durable');
    assert.deepEqual(got.object, object);
    assert.equal(got.bytes?.toString(), 'kept across restarts');
  });

  it('lets a reader that found the old row read the new version after a replace (ids are never reused)', async () => {
    await put('k', Buffer.from('first'));
    const stale = await storage.headObject('b', 'k');
    await put('k', Buffer.from('second'));
    assert.equal(await storage.metadata.readInlineBlob(stale.blobId), null);
    // getObject re-reads when the body it was pointed at is gone, as for blob files.
    assert.equal((await storage.getObject('b', 'k')).bytes?.toString(), 'second');
  });
});
