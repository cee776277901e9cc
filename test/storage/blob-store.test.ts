import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { BlobNotFoundError, BlobStore, newBlobId, newInlineBlobId, type ChecksumComputer } from '../../src/storage/blob-store.js';

async function* chunks(data: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) {
    await Promise.resolve();
    yield data.subarray(i, i + size);
  }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

function sha256(): ChecksumComputer<string> {
  const hash = createHash('sha256');
  return { update: (b) => { hash.update(b); }, digest: () => hash.digest('base64') };
}

/** Like @aws-crypto's computers: the digest arrives as a promise. */
function asyncLength(): ChecksumComputer<number> {
  let n = 0;
  return { update: (b) => { n += b.byteLength; }, digest: () => Promise.resolve(n) };
}

describe('BlobStore', () => {
  let dataDir: string;
  let blobs: BlobStore;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'latchkey-blobs-'));
    blobs = new BlobStore(dataDir);
    await blobs.init();
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  const tmpFiles = () => readdir(blobs.tmpDir);
  async function blobFiles(): Promise<string[]> {
    const out: string[] = [];
    for (const fan of await readdir(blobs.blobDir)) {
      for (const name of await readdir(join(blobs.blobDir, fan))) out.push(`${fan}/${name}`);
    }
    return out.sort();
  }

  it('takes the size and MD5 a digested body comes with instead of hashing it again, and refuses one whose count differs', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 5);
    // Not the bytes' MD5: storage must hand back what it was given.
    const handed = Buffer.alloc(16, 7);
    const written = await blobs.write({ bytes: chunks(data, 65_536), digests: () => ({ size: data.length, md5: handed }) }, { expectedLength: data.length });
    assert.deepEqual(written.md5, handed);
    assert.equal(written.size, data.length);
    assert.deepEqual(await readAll(await blobs.open(written.blobId)), data);

    await assert.rejects(blobs.write({ bytes: chunks(data, 65_536), digests: () => ({ size: data.length - 1, md5: handed }) }), /counted/);
    assert.deepEqual(await tmpFiles(), []);
  });

  it('writes a blob under a random id fanned out by its first two hex digits, with MD5 and extra checksums', async () => {
    const data = randomBytes(300_000);
    const written = await blobs.write(chunks(data, 65_536), { expectedLength: data.length, checksums: { sha: sha256(), len: asyncLength() } });
    assert.match(written.blobId, /^[0-9a-f]{32}$/);
    assert.equal(written.size, data.length);
    assert.deepEqual(written.md5, createHash('md5').update(data).digest());
    assert.equal(written.checksums.sha, createHash('sha256').update(data).digest('base64'));
    assert.equal(written.checksums.len, data.length);
    assert.deepEqual(await blobFiles(), [`${written.blobId.slice(0, 2)}/${written.blobId}`]);
    assert.deepEqual(await tmpFiles(), []);
    assert.deepEqual(await readAll(await blobs.open(written.blobId)), data);
    assert.notEqual((await blobs.write(chunks(data, 65_536))).blobId, written.blobId);
  });

  it('accepts a Readable and an empty body', async () => {
    const fromReadable = await blobs.write(Readable.from([Buffer.from('hello '), Buffer.from('world')]));
    assert.equal(await text(await blobs.open(fromReadable.blobId)), 'hello world');
    const empty = await blobs.write(Readable.from([]), { expectedLength: 0 });
    assert.equal(empty.size, 0);
    assert.equal(empty.md5.toString('hex'), 'd41d8cd98f00b204e9800998ecf8427e');
    assert.equal((await readAll(await blobs.open(empty.blobId))).length, 0);
  });

  it('reads an inclusive byte range', async () => {
    const { blobId } = await blobs.write(chunks(Buffer.from('0123456789'), 3));
    assert.equal(await text(await blobs.open(blobId, { start: 2, end: 5 })), '2345');
    assert.equal(await text(await blobs.open(blobId, { start: 9, end: 9 })), '9');
  });

  it('pulls the source one chunk at a time (backpressure), never reading ahead into memory', async () => {
    let produced = 0;
    let consumed = 0;
    let maxAhead = 0;
    async function* source(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 50; i++) {
        await Promise.resolve();
        produced++;
        maxAhead = Math.max(maxAhead, produced - consumed);
        yield Buffer.alloc(16_384, i);
      }
    }
    await blobs.write(source(), { checksums: { count: { update: () => { consumed++; }, digest: () => consumed } } });
    assert.equal(consumed, 50);
    assert.equal(maxAhead, 1);
  });

  it('fails with IncompleteBody when the body is shorter or longer than promised, leaving no file', async () => {
    await assert.rejects(blobs.write(chunks(Buffer.alloc(99), 10), { expectedLength: 100 }), { code: 'IncompleteBody', status: 400 });
    await assert.rejects(blobs.write(chunks(Buffer.alloc(101), 10), { expectedLength: 100 }), { code: 'IncompleteBody', status: 400 });
    assert.deepEqual(await tmpFiles(), []);
    assert.deepEqual(await blobFiles(), []);
  });

  it('stops reading as soon as the body passes maxSize (EntityTooLarge), without destroying the source', async () => {
    let pulled = 0;
    const endless = new Readable({
      read() {
        pulled++;
        this.push(Buffer.alloc(1024));
      },
    });
    await assert.rejects(blobs.write(endless, { maxSize: 10_000 }), (e: unknown) => {
      assert.deepEqual({ code: (e as { code: string }).code, status: (e as { status: number }).status }, { code: 'EntityTooLarge', status: 400 });
      assert.equal((e as { details: Record<string, string> }).details['MaxSizeAllowed'], '10000');
      return true;
    });
    assert.ok(pulled < 100, `pulled ${pulled} chunks`);
    assert.equal(endless.destroyed, false, 'the request stream must stay usable for the error response');
    endless.destroy();
    assert.deepEqual(await tmpFiles(), []);
    assert.deepEqual(await blobFiles(), []);
  });

  it('refuses a promised length over maxSize before reading anything', async () => {
    let pulled = 0;
    async function* source(): AsyncGenerator<Uint8Array> {
      await Promise.resolve();
      pulled++;
      yield Buffer.alloc(1);
    }
    await assert.rejects(blobs.write(source(), { maxSize: 10, expectedLength: 11 }), (e: unknown) => {
      assert.equal((e as { code: string }).code, 'EntityTooLarge');
      assert.deepEqual((e as { details: unknown }).details, { ProposedSize: '11', MaxSizeAllowed: '10' });
      return true;
    });
    assert.equal(pulled, 0);
    assert.deepEqual(await tmpFiles(), []);
  });

  it('accepts a body of exactly maxSize', async () => {
    const written = await blobs.write(chunks(Buffer.alloc(10_000), 999), { maxSize: 10_000 });
    assert.equal(written.size, 10_000);
  });

  it('discards the blob when verify rejects it (e.g. BadDigest)', async () => {
    const { S3Error } = await import('../../src/errors.js');
    let seen: { size: number; md5: string } | undefined;
    await assert.rejects(blobs.write(chunks(Buffer.from('payload'), 3), {
      verify: (w) => {
        seen = { size: w.size, md5: w.md5.toString('hex') };
        throw new S3Error('BadDigest');
      },
    }), { code: 'BadDigest', status: 400 });
    assert.deepEqual(seen, { size: 7, md5: createHash('md5').update('payload').digest('hex') });
    assert.deepEqual(await tmpFiles(), []);
    assert.deepEqual(await blobFiles(), []);
  });

  it('removes the temp file when aborted while the source stalls', async () => {
    const controller = new AbortController();
    let firstChunkIn!: () => void;
    const started = new Promise<void>((resolve) => { firstChunkIn = resolve; });
    async function* stalls(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('some bytes');
      firstChunkIn();
      await new Promise(() => undefined); // a client that never sends the rest
    }
    const writing = blobs.write(stalls(), { signal: controller.signal });
    await started;
    assert.equal((await tmpFiles()).length, 1, 'the write is in progress in tmp/');
    controller.abort(new Error('client went away'));
    await assert.rejects(writing, /client went away/);
    assert.deepEqual(await tmpFiles(), []);
    assert.deepEqual(await blobFiles(), []);
  });

  it('removes the temp file when the source fails', async () => {
    const failing = new Readable({ read() { this.destroy(new Error('ECONNRESET')); } });
    await assert.rejects(blobs.write(failing), /ECONNRESET/);
    assert.deepEqual(await tmpFiles(), []);
  });

  it('keeps serving an open reader the full old bytes after the blob is deleted', async () => {
    const data = randomBytes(2 * 1024 * 1024);
    const { blobId } = await blobs.write(chunks(data, 65_536));
    const reader = await blobs.open(blobId);
    const iterator = reader[Symbol.asyncIterator]();
    const first = (await iterator.next()).value as Buffer; // reading has begun...
    await blobs.delete(blobId); // ...when a DELETE (or a replace) unlinks the file
    assert.equal(await blobs.exists(blobId), false);
    const parts = [first];
    for (let step = await iterator.next(); step.done !== true; step = await iterator.next()) parts.push(step.value as Buffer);
    assert.deepEqual(Buffer.concat(parts), data);
  });

  it('opens the descriptor before resolving, so a delete right after open() cannot fail the read', async () => {
    const { blobId } = await blobs.write(chunks(Buffer.from('old bytes'), 4));
    const reader = await blobs.open(blobId);
    await blobs.delete(blobId);
    assert.equal(await text(reader), 'old bytes');
  });

  it('reports a missing blob as BlobNotFoundError and deletes idempotently', async () => {
    const id = randomBytes(16).toString('hex');
    await assert.rejects(blobs.open(id), (e: unknown) => e instanceof BlobNotFoundError && e.blobId === id);
    await blobs.delete(id);
  });

  it('never turns anything but a blob id into a path', async () => {
    for (const bad of ['../x', '..', '', 'a/../b', '/etc/passwd', 'AB'.repeat(16), `${'a'.repeat(32)}/`, 'a'.repeat(33)]) {
      assert.throws(() => blobs.pathOf(bad), /not a blob id/);
      await assert.rejects(blobs.open(bad), /not a blob id/);
      await assert.rejects(blobs.delete(bad), /not a blob id/);
    }
  });

  it('cleans leftover temp files at start-up', async () => {
    await writeFile(join(blobs.tmpDir, 'deadbeef.tmp'), 'half a write');
    await writeFile(join(blobs.tmpDir, 'other'), 'x');
    assert.equal(await blobs.cleanTemp(), 2);
    assert.deepEqual(await tmpFiles(), []);
  });

  it('sweeps unreferenced blobs, keeps referenced ones, and leaves foreign files alone', async () => {
    const kept = await blobs.write(chunks(Buffer.from('kept'), 2));
    const orphan = await blobs.write(chunks(Buffer.from('orphan'), 2));
    const fan = join(blobs.blobDir, kept.blobId.slice(0, 2));
    await writeFile(join(fan, 'README'), 'not ours');
    await mkdir(join(blobs.blobDir, 'not-a-fan'));
    const asked: string[] = [];
    const counts = await blobs.sweepOrphans((ids) => {
      asked.push(...ids);
      return Promise.resolve(new Set(ids.filter((id) => id === kept.blobId)));
    });
    assert.deepEqual(counts, { removed: 1, kept: 1, foreign: 2 });
    assert.deepEqual(asked.sort(), [kept.blobId, orphan.blobId].sort());
    assert.equal(await blobs.exists(kept.blobId), true);
    assert.equal(await blobs.exists(orphan.blobId), false);
    assert.deepEqual((await readdir(fan)).includes('README'), true);
  });
});

describe('blob ids', () => {
  it('file ids are random from their first digit (the fan-out directory); inline ids sort in the order they were made', async () => {
    const files = Array.from({ length: 2000 }, () => newBlobId());
    assert.equal(new Set(files).size, files.length);
    assert.ok(new Set(files.map((id) => id.slice(0, 2))).size > 200, 'file ids spread over the fan-out directories');
    const inline: string[] = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 500; i++) inline.push(newInlineBlobId());
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    assert.equal(new Set(inline).size, inline.length, 'never repeated, even within one millisecond');
    for (const id of [...files, ...inline]) assert.match(id, /^[0-9a-f]{32}$/);
    const millis = inline.map((id) => id.slice(0, 12));
    assert.deepEqual([...millis].sort(), millis, 'each id sorts at or after the ones made before it');
    assert.ok(Math.abs(parseInt(millis.at(-1) ?? '', 16) - Date.now()) < 5000, 'the prefix is the time in ms');
    assert.ok(new Set(inline.map((id) => id.slice(12))).size === inline.length, 'the rest is random');
  });
});
