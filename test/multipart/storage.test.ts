import { sqliteBackend } from '../../src/storage/backend.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { Readable } from 'node:stream';
import type { S3Error } from '../../src/errors.js';
import { slicesOf } from '../../src/storage/part-stream.js';
import { Storage } from '../../src/storage/storage.js';
import type { ObjectPart } from '../../src/storage/types.js';
import { multipartProblems, readMultipartDisk } from '../helpers/multipart-disk.js';
import { sendAll } from '../helpers/object-body.js';

const MiB = 1024 * 1024;

async function withStorage(run: (storage: Storage, dataDir: string) => Promise<void>): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-mp-storage-'));
  const { storage } = await Storage.open(dataDir, sqliteBackend());
  try {
    await storage.metadata.createBucket({ name: 'b', owner: 'me' });
    await run(storage, dataDir);
  } finally {
    await storage.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function bytes(data: Buffer): AsyncIterable<Uint8Array> {
  return Readable.from([data]);
}

async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Uploads these bodies as parts 1..n and completes; returns the whole object's bytes. */
async function multipart(storage: Storage, key: string, bodies: readonly Buffer[]): Promise<Buffer> {
  const upload = await storage.multipart.create({ bucket: 'b', key, initiator: 'me', metadata: {} });
  const requested = [];
  for (const [i, body] of bodies.entries()) {
    const part = await storage.multipart.uploadPart(upload, i + 1, bytes(body), () => ({}));
    requested.push({ partNumber: i + 1, etag: part.etag, checksums: {} });
  }
  await storage.multipart.complete('b', key, upload.uploadId, requested);
  return Buffer.concat(bodies);
}

test('slicesOf picks exactly the bytes of any range across parts, empty parts included', () => {
  for (let trial = 0; trial < 300; trial++) {
    const sizes = Array.from({ length: randomInt(1, 6) }, () => (randomInt(0, 4) === 0 ? 0 : randomInt(1, 20)));
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total === 0) continue;
    const whole = Buffer.from(Array.from({ length: total }, (_, i) => i % 251));
    let offset = 0;
    const parts: ObjectPart[] = sizes.map((size, i) => {
      const part = { partNumber: i + 1, size, etag: '', checksums: {}, blobId: String(offset) };
      offset += size;
      return part;
    });
    const start = randomInt(0, total);
    const range = randomInt(0, 3) === 0 ? undefined : { start, end: randomInt(start, total) };
    const picked = Buffer.concat(slicesOf(parts, range).map((s) => whole.subarray(Number(s.blobId) + s.start, Number(s.blobId) + s.end + 1)));
    assert.deepEqual(picked, range ? whole.subarray(range.start, range.end + 1) : whole, JSON.stringify({ sizes, range }));
  }
});

test('a multipart object reads whole and in ranges that cross part boundaries', async () => {
  await withStorage(async (storage) => {
    const data = await multipart(storage, 'k', [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(777)]);
    assert.deepEqual(await readAll((await storage.getObject('b', 'k')).body.stream()), data);
    assert.deepEqual(await sendAll((await storage.getObject('b', 'k')).body), data);
    for (const [start, end] of [[5 * MiB - 3, 5 * MiB + 2], [0, 0], [10 * MiB, 10 * MiB + 776], [1, 10 * MiB + 5]] as const) {
      const expected = data.subarray(start, end + 1);
      assert.deepEqual(await readAll((await storage.getObject('b', 'k', { range: { start, end } })).body.stream()), expected, `${start}-${end}`);
      assert.deepEqual(await sendAll((await storage.getObject('b', 'k', { range: { start, end } })).body), expected, `sent ${start}-${end}`);
    }
  });
});

for (const how of ['streamed', 'sent'] as const) {
  test(`a read that began before a replace gets the old bytes whole; its blobs go when it ends (${how})`, async (t) => {
    await withStorage(async (storage, dataDir) => {
      const old = await multipart(storage, 'k', [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(3)]);
      const { body, object } = await storage.getObject('b', 'k');
      await storage.putObject('b', 'k', bytes(Buffer.from('new')), {});
      const pending = object.parts!.map((p) => p.blobId);
      t.diagnostic(`blobs kept for the reader: ${pending.length}`);
      assert.equal((await Promise.all(pending.map((id) => storage.blobs.exists(id)))).every(Boolean), true);
      if (how === 'sent') assert.deepEqual(await sendAll(body), old);
      else {
        const stream = body.stream();
        assert.deepEqual(await readAll(stream), old);
        if (!stream.closed) await once(stream, 'close');
      }
      // The unlinks start when the read ends and run in the background.
      let left = pending.length;
      for (let waited = 0; left > 0 && waited < 2000; waited += 10) {
        left = (await Promise.all(pending.map((id) => storage.blobs.exists(id)))).filter(Boolean).length;
        if (left > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.equal(left, 0);
      assert.deepEqual(multipartProblems(readMultipartDisk(dataDir), { expectNoOrphans: true }), []);
    });
  });
}

test('referencedBlobIds covers parts of uploads in progress and of multipart objects', async () => {
  await withStorage(async (storage) => {
    await multipart(storage, 'done', [randomBytes(5 * MiB), randomBytes(10)]);
    const upload = await storage.multipart.create({ bucket: 'b', key: 'open', initiator: 'me', metadata: {} });
    const open = await storage.multipart.uploadPart(upload, 7, bytes(randomBytes(10)), () => ({}));
    const found = await storage.headObject('b', 'done');
    const ids = [...found.parts!.map((p) => p.blobId), open.blobId, 'f'.repeat(32)];
    assert.deepEqual(await storage.metadata.referencedBlobIds(ids), new Set(ids.slice(0, 3)));
    // Recovery at start-up keeps every one of them.
    const report = await storage.recover();
    assert.equal(report.orphanBlobsRemoved, 0);
  });
});

test('the sweep aborts uploads older than the expiry and frees their blobs; newer ones stay', async () => {
  await withStorage(async (storage, dataDir) => {
    const stale = await storage.metadata.uploads.createUpload({ bucket: 'b', key: 'stale', uploadId: 'stale-upload', initiator: 'me', metadata: {}, initiated: new Date(Date.now() - 8 * 86_400_000) });
    assert.equal(stale.kind, 'created');
    const staleRecord = await storage.multipart.requireUpload('b', 'stale', 'stale-upload');
    await storage.multipart.uploadPart(staleRecord, 1, bytes(randomBytes(100)), () => ({}));
    const fresh = await storage.multipart.create({ bucket: 'b', key: 'fresh', initiator: 'me', metadata: {} });
    await storage.multipart.uploadPart(fresh, 1, bytes(randomBytes(100)), () => ({}));
    const swept = await storage.multipart.sweep(new Date(Date.now() - 7 * 86_400_000));
    assert.deepEqual(swept, { expired: 1, freed: 1 });
    await assert.rejects(storage.multipart.requireUpload('b', 'stale', 'stale-upload'), (e: S3Error) => e.code === 'NoSuchUpload' && e.status === 404);
    assert.equal((await storage.multipart.requireUpload('b', 'fresh', fresh.uploadId)).key, 'fresh');
    const disk = readMultipartDisk(dataDir);
    assert.equal(disk.blobs.size, 1);
    assert.deepEqual(multipartProblems(disk, { expectNoOrphans: true }), []);
  });
});

test('deleting a bucket with an upload in progress drops the upload; the sweep unlinks its parts', async () => {
  await withStorage(async (storage, dataDir) => {
    await storage.metadata.createBucket({ name: 'doomed', owner: 'me' });
    const upload = await storage.multipart.create({ bucket: 'doomed', key: 'k', initiator: 'me', metadata: {} });
    await storage.multipart.uploadPart(upload, 1, bytes(randomBytes(10)), () => ({}));
    await storage.multipart.uploadPart(upload, 2, bytes(randomBytes(10)), () => ({}));
    assert.deepEqual(await storage.metadata.deleteBucket('doomed'), { kind: 'deleted' });
    assert.equal(readMultipartDisk(dataDir).blobs.size, 2);
    assert.deepEqual(await storage.multipart.sweep(new Date(0)), { expired: 0, freed: 2 });
    assert.equal(readMultipartDisk(dataDir).blobs.size, 0);
  });
});

test('a completion that finds a part uploaded again meanwhile plans again with the new part', async () => {
  await withStorage(async (storage) => {
    const upload = await storage.multipart.create({ bucket: 'b', key: 'k', initiator: 'me', metadata: {} });
    const first = await storage.multipart.uploadPart(upload, 1, bytes(Buffer.from('same bytes')), () => ({}));
    const realComplete = storage.metadata.uploads.completeUpload.bind(storage.metadata.uploads);
    let calls = 0;
    storage.metadata.uploads.completeUpload = async (input) => {
      // Between planning and committing, the client uploads part 1 again (same bytes, same ETag, new blob).
      if (calls++ === 0) await storage.multipart.uploadPart(upload, 1, bytes(Buffer.from('same bytes')), () => ({}));
      return realComplete(input);
    };
    const { object } = await storage.multipart.complete('b', 'k', upload.uploadId, [{ partNumber: 1, etag: first.etag, checksums: {} }]);
    assert.equal(calls, 2);
    assert.notEqual(object.parts![0]!.blobId, first.blobId);
    assert.equal((await readAll((await storage.getObject('b', 'k')).body.stream())).toString(), 'same bytes');
    assert.equal(await storage.blobs.exists(first.blobId), false);
  });
});

test('checksums: composite from the part checksums, full-object from one read of the parts', async () => {
  await withStorage(async (storage) => {
    const parts = [randomBytes(5 * MiB), randomBytes(1234)];
    const crcOf = (data: Buffer) => {
      const out = Buffer.alloc(4);
      out.writeUInt32BE(crc32(data) >>> 0);
      return out;
    };
    for (const checksumType of ['COMPOSITE', 'FULL_OBJECT'] as const) {
      const upload = await storage.multipart.create({ bucket: 'b', key: checksumType, initiator: 'me', metadata: {}, checksumAlgorithm: 'CRC32', checksumType });
      const requested = [];
      for (const [i, body] of parts.entries()) {
        const crc = crcOf(body).toString('base64');
        const part = await storage.multipart.uploadPart(upload, i + 1, bytes(body), () => ({ CRC32: crc }));
        requested.push({ partNumber: i + 1, etag: part.etag, checksums: { CRC32: crc } });
      }
      const { object } = await storage.multipart.complete('b', checksumType, upload.uploadId, requested);
      const expected = checksumType === 'FULL_OBJECT'
        ? crcOf(Buffer.concat(parts)).toString('base64')
        : `${crcOf(Buffer.concat(parts.map(crcOf))).toString('base64')}-2`;
      assert.deepEqual(object.checksums, { CRC32: expected }, checksumType);
    }
  });
});
