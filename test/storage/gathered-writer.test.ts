import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { GatheredWriter } from '../../src/storage/gathered-writer.js';

const MIB = 1024 * 1024;
const SOCKET_READ = 64 * 1024;

/** A real file whose write-back calls are seen (and, for a failing disk, refused). */
function watched(file: FileHandle, datasync: () => Promise<void>): { handle: FileHandle; syncs: () => number } {
  let syncs = 0;
  const handle = {
    writev: file.writev.bind(file),
    datasync: () => {
      syncs += 1;
      return datasync();
    },
  } as unknown as FileHandle;
  return { handle, syncs: () => syncs };
}

async function feed(writer: GatheredWriter, body: Buffer): Promise<void> {
  for (let at = 0; at < body.length; at += SOCKET_READ) await writer.add(body.subarray(at, at + SOCKET_READ));
}

describe('GatheredWriter', () => {
  let dir: string;
  let file: FileHandle;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'latchkey-gathered-'));
    file = await open(join(dir, 'blob'), 'w');
  });
  afterEach(async () => {
    await file.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('writes every byte in order, and starts write-back while a large body is still arriving', async () => {
    // A write-back that returns at once: a real one still under way when the next 16 MiB are in is not doubled, which
    // would make the count depend on the disk.
    const { handle, syncs } = watched(file, () => Promise.resolve());
    const writer = new GatheredWriter(handle);
    const body = randomBytes(40 * MIB + 12345);
    await feed(writer, body);
    await writer.end();
    assert.ok(syncs() >= 2, `write-back started ${syncs()} times for 40 MiB`);
    assert.deepEqual(await readFile(join(dir, 'blob')), body);
  });

  it('starts no write-back for a body under 16 MiB (the fsync after it is all it needs)', async () => {
    const { handle, syncs } = watched(file, () => file.datasync());
    const writer = new GatheredWriter(handle);
    const body = randomBytes(15 * MIB);
    await feed(writer, body);
    await writer.end();
    assert.equal(syncs(), 0);
    assert.deepEqual(await readFile(join(dir, 'blob')), body);
  });

  it('end() waits for a write-back under way, and fails when the disk refused it', async () => {
    let release: (() => void) | undefined;
    const slow = watched(file, () => new Promise<void>((resolve) => (release = resolve)));
    const writer = new GatheredWriter(slow.handle);
    await feed(writer, randomBytes(17 * MIB));
    let ended = false;
    const ending = writer.end().then(() => (ended = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(ended, false, 'end() resolved before the write-back finished');
    assert.ok(release !== undefined, 'no write-back was started');
    release();
    await ending;

    const eio = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
    const failing = new GatheredWriter(watched(file, () => Promise.reject(eio)).handle);
    await feed(failing, randomBytes(17 * MIB));
    await assert.rejects(failing.end(), { code: 'EIO' });
  });
});
