import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { openSync, readdirSync, truncateSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { BlobStore } from '../../src/storage/blob-store.js';
import { LARGE_READ, OpenedBlob } from '../../src/storage/opened-blob.js';
import { sendAll } from '../helpers/object-body.js';

const openFds = () => readdirSync('/proc/self/fd').length;

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

describe('OpenedBlob', () => {
  let dataDir: string;
  let blobs: BlobStore;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'latchkey-opened-'));
    blobs = new BlobStore(dataDir);
    await blobs.init();
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  const store = async (data: Buffer) => (await blobs.write(Readable.from([data]))).blobId;

  it('sends a blob of several read buffers, whole and in ranges across buffer edges, like its stream', async () => {
    const data = randomBytes(3 * LARGE_READ + 12345);
    const id = await store(data);
    assert.deepEqual(await sendAll(await blobs.openFile(id)), data);
    for (const [start, end] of [[0, 0], [LARGE_READ - 1, LARGE_READ], [5, 2 * LARGE_READ + 7], [3 * LARGE_READ, data.length - 1]] as const) {
      assert.deepEqual(await sendAll(await blobs.openFile(id, { start, end })), data.subarray(start, end + 1), `sent ${start}-${end}`);
      assert.deepEqual(await readAll((await blobs.openFile(id, { start, end })).stream()), data.subarray(start, end + 1), `streamed ${start}-${end}`);
    }
  });

  it('reuses a buffer only after the destination took its bytes: concurrent sends keep their own bytes', async () => {
    const bodies = Array.from({ length: 6 }, () => randomBytes(2 * LARGE_READ + 99));
    const ids = await Promise.all(bodies.map(store));
    for (let round = 0; round < 3; round++) {
      const sent = await Promise.all(ids.map(async (id) => sendAll(await blobs.openFile(id))));
      sent.forEach((bytes, i) => assert.ok(bytes.equals(bodies[i]!), `round ${round}, body ${i}`));
    }
  });

  it('rejects a blob shorter than the range asked for, and closes its descriptor', async () => {
    const id = await store(randomBytes(LARGE_READ + 10));
    truncateSync(blobs.pathOf(id), 100);
    const before = openFds();
    const opened = await blobs.openFile(id, { start: 0, end: LARGE_READ + 9 });
    await assert.rejects(sendAll(opened), /ended at byte 100, before byte 1048586/);
    assert.equal(openFds(), before);
  });

  it('rejects when the destination is destroyed mid-body, and closes its descriptor', async () => {
    const id = await store(randomBytes(4 * LARGE_READ));
    const before = openFds();
    let writes = 0;
    const dest = new Writable({
      write(_chunk, _encoding, callback) {
        if (++writes === 2) dest.destroy();
        else setImmediate(callback);
      },
    });
    await assert.rejects((await blobs.openFile(id)).sendTo(dest, () => undefined), /destination closed before the body was sent/);
    assert.equal(writes, 2);
    assert.equal(openFds(), before);
  });

  it('rejects a read error without sending anything, and closes its descriptor', async () => {
    const before = openFds();
    // A directory opens for reading but every read fails (EISDIR).
    const opened = new OpenedBlob(openSync(dataDir, 'r'), undefined);
    const dest = new PassThrough();
    let counted = 0;
    await assert.rejects(opened.sendTo(dest, (n) => (counted += n)), { code: 'EISDIR' });
    assert.equal(counted, 0);
    assert.equal(dest.readableLength, 0);
    assert.equal(openFds(), before);
  });

  it('is read once', async () => {
    const opened = await blobs.openFile(await store(randomBytes(10)));
    assert.equal((await sendAll(opened)).length, 10);
    assert.throws(() => opened.stream(), /read once/);
    await assert.rejects(sendAll(opened), /read once/);
  });
});
