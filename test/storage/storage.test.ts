import { sqliteBackend } from '../../src/storage/backend.js';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { S3Error } from '../../src/errors.js';
import type { MetadataStore } from '../../src/storage/metadata-store.js';
import { METADATA_FILE, Storage } from '../../src/storage/storage.js';

async function* body(...parts: Array<string | Buffer>): AsyncGenerator<Uint8Array> {
  for (const part of parts) {
    await Promise.resolve();
    yield typeof part === 'string' ? Buffer.from(part) : part;
  }
}

async function bytes(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/** Every file under dir, relative, sorted. */
async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))).sort();
}

describe('Storage', () => {
  let dataDir: string;
  let storage: Storage;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'latchkey-storage-'));
    storage = (await Storage.open(dataDir, sqliteBackend())).storage;
    await storage.metadata.createBucket({ name: 'b', owner: 'alice' });
  });
  afterEach(async () => {
    await storage.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const blobCount = async () => (await walk(storage.blobs.blobDir)).length;

  it('stores bytes and metadata, with the MD5 hex as ETag', async () => {
    const { object, written } = await storage.putObject('b', 'docs/a.txt', body('hello ', 'world'), {
      contentType: 'text/plain', userMetadata: { who: 'me' },
    });
    const md5 = createHash('md5').update('hello world').digest('hex');
    assert.equal(object.etag, md5);
    assert.equal(written.md5.toString('hex'), md5);
    assert.equal(object.size, 11);
    const got = await storage.getObject('b', 'docs/a.txt');
    assert.deepEqual(got.object, object);
    assert.equal(await text(got.body.stream()), 'hello world');
    assert.deepEqual(await storage.headObject('b', 'docs/a.txt'), object);
  });

  it('lets metadata depend on the digests computed while streaming (trailing checksums)', async () => {
    const sha = createHash('sha256');
    const { object } = await storage.putObject('b', 'k', body('abc'), (w) => ({ checksums: { SHA256: String(w.checksums.sha) } }), {
      checksums: { sha: { update: (b: Uint8Array) => { sha.update(b); }, digest: () => sha.digest('base64') } },
    });
    assert.deepEqual(object.checksums, { SHA256: createHash('sha256').update('abc').digest('base64') });
  });

  it('replaces atomically: the old blob is deleted, yet a reader that opened it still reads it all', async () => {
    const v1 = randomBytes(1024 * 1024);
    await storage.putObject('b', 'k', body(v1.subarray(0, 500_000), v1.subarray(500_000)), {});
    const before = await storage.getObject('b', 'k');
    await storage.putObject('b', 'k', body('version two'), {});
    assert.equal(await blobCount(), 1, 'the replaced blob is gone');
    assert.equal(await storage.blobs.exists(before.object.blobId), false);
    assert.deepEqual(await bytes(before.body.stream()), v1);
    assert.equal(await text((await storage.getObject('b', 'k')).body.stream()), 'version two');
  });

  it('serves a range, resolving it against the record found', async () => {
    await storage.putObject('b', 'k', body('0123456789'), {});
    const got = await storage.getObject('b', 'k', { range: (o) => ({ start: o.size - 3, end: o.size - 1 }) });
    assert.deepEqual(got.range, { start: 7, end: 9 });
    assert.equal(await text(got.body.stream()), '789');
    await assert.rejects(storage.getObject('b', 'k', { range: () => { throw new S3Error('InvalidRange'); } }), { code: 'InvalidRange', status: 416 });
  });

  it('deletes, removing the blob; a missing key is still a success', async () => {
    await storage.putObject('b', 'k', body('x'), {});
    assert.deepEqual(await storage.deleteObject('b', 'k'), { deleted: true });
    assert.equal(await blobCount(), 0);
    assert.deepEqual(await storage.deleteObject('b', 'k'), { deleted: false });
    await assert.rejects(storage.getObject('b', 'k'), { code: 'NoSuchKey', status: 404 });
    await assert.rejects(storage.headObject('b', 'k'), { code: 'NoSuchKey', status: 404 });
  });

  it('answers NoSuchBucket without reading the body', async () => {
    let pulled = 0;
    async function* counted(): AsyncGenerator<Uint8Array> {
      await Promise.resolve();
      pulled++;
      yield Buffer.from('x');
    }
    await assert.rejects(storage.putObject('nope', 'k', counted(), {}), { code: 'NoSuchBucket', status: 404 });
    assert.equal(pulled, 0);
    await assert.rejects(storage.getObject('nope', 'k'), { code: 'NoSuchBucket', status: 404 });
    await assert.rejects(storage.deleteObject('nope', 'k'), { code: 'NoSuchBucket', status: 404 });
    await assert.rejects(storage.putObject('b', 'x'.repeat(1025), counted(), {}), { code: 'KeyTooLongError', status: 400 });
    assert.equal(pulled, 0);
  });

  it('discards the new blob when the bucket disappears during the upload', async () => {
    async function* slow(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('part one');
      assert.deepEqual(await storage.metadata.deleteBucket('b'), { kind: 'deleted' });
      yield Buffer.from('part two');
    }
    await assert.rejects(storage.putObject('b', 'k', slow(), {}), { code: 'NoSuchBucket', status: 404 });
    assert.equal(await blobCount(), 0);
  });

  it('discards the new blob when the commit fails, and keeps the old version', async () => {
    await storage.putObject('b', 'k', body('old'), {});
    const failing = Object.create(storage.metadata) as MetadataStore;
    failing.putObject = () => Promise.reject(new Error('disk full'));
    const broken = new Storage(failing, storage.blobs);
    await assert.rejects(broken.putObject('b', 'k', body('new'), {}), /disk full/);
    assert.equal(await blobCount(), 1);
    assert.equal(await text((await storage.getObject('b', 'k')).body.stream()), 'old');
  });

  it('re-reads the row when a concurrent replace unlinked the blob it named', async () => {
    await storage.putObject('b', 'k', body('current'), {});
    const real = storage.metadata;
    let calls = 0;
    const stale = Object.create(real) as MetadataStore;
    stale.getObject = async (bucket, key) => {
      const found = await real.getObject(bucket, key);
      // The first read sees the version a concurrent PUT just replaced and unlinked.
      if (calls++ === 0 && found.kind === 'found') return { kind: 'found', object: { ...found.object, blobId: randomBytes(16).toString('hex') } };
      return found;
    };
    const got = await new Storage(stale, storage.blobs).getObject('b', 'k');
    assert.equal(calls, 2);
    assert.equal(await text(got.body.stream()), 'current');
  });

  it('fails loudly, not with NoSuchKey, when a row points at a missing blob', async () => {
    const { object } = await storage.putObject('b', 'k', body('x'), {});
    await storage.blobs.delete(object.blobId);
    await assert.rejects(storage.getObject('b', 'k'), (e: unknown) => !(e instanceof S3Error) && /missing blob/.test(String(e)));
  });

  it('never lets a key reach the filesystem', async () => {
    const keys = ['../x', 'a/../b', '../../../../tmp/escape', '/abs', './', '.', '..', 'con', 'nul.txt', 'a\\b', '\u{1F600}/../\u{1F600}', '\u202e\u0301', 'x'.repeat(1024)];
    for (const key of keys) await storage.putObject('b', key, body(`value of ${key}`), {});
    const files = await walk(dataDir);
    for (const file of files) {
      assert.match(file, new RegExp(`^(${METADATA_FILE}(-wal|-shm)?|blobs/([0-9a-f]{2})/\\3[0-9a-f]{30})$`), `unexpected file ${file}`);
    }
    assert.equal(files.filter((f) => f.startsWith('blobs/')).length, keys.length);
    for (const key of keys) assert.equal(await text((await storage.getObject('b', key)).body.stream()), `value of ${key}`);
  });
});

describe('Storage crash recovery', () => {
  it('removes temp files and orphan blobs at start-up, keeping every referenced blob', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'latchkey-recover-'));
    try {
      const first = (await Storage.open(dataDir, sqliteBackend())).storage;
      await first.metadata.createBucket({ name: 'b', owner: 'alice' });
      await first.putObject('b', 'kept', body('kept bytes'), {});
      // A crash after the blob was written but before its row committed:
      const orphan = await first.blobs.write(body('never committed'));
      // and one in the middle of streaming a body:
      await writeFile(join(first.blobs.tmpDir, `${randomBytes(16).toString('hex')}.tmp`), 'half');
      await first.close();

      const { storage, recovery } = await Storage.open(dataDir, sqliteBackend());
      try {
        assert.deepEqual(recovery, { tempFilesRemoved: 1, orphanBlobsRemoved: 1, foreignFiles: 0 });
        assert.equal(await storage.blobs.exists(orphan.blobId), false);
        assert.equal(await text((await storage.getObject('b', 'kept')).body.stream()), 'kept bytes');
        assert.deepEqual(await readdir(storage.blobs.tmpDir), []);
      } finally {
        await storage.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
