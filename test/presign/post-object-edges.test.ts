import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter, once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { computeChecksum } from '../helpers/checksum.js';
import { S3Error } from '../../src/errors.js';
import { s3Error } from '../helpers/s3-error.js';
import { RequestContext } from '../../src/s3/context.js';
import { FreeSpaceGate } from '../../src/s3/free-space-gate.js';
import { formChecksum, metadataFromFields, POST_OBJECT_OPERATIONS, storeFormFile } from '../../src/s3/post-object/post-object.js';
import { sqliteBackend } from '../../src/storage/backend.js';
import { Storage } from '../../src/storage/storage.js';
import { fingerprint, readDiskState } from '../helpers/disk-state.js';

/*
 * What post-object.ts does with a form once its policy holds, in-process:
 * the object's metadata from the fields, the checksum a form asks for, and
 * the file streamed into a real SQLite storage (its size range, its checksum,
 * a body cut inside the file), each refusal with its S3 error and nothing
 * left on disk. test/presign/post-object.test.ts drives the operation itself
 * through a server. The mutation target `post` runs this file first (docs/testing.md).
 */

const fieldsOf = (fields: Record<string, string>): ReadonlyMap<string, string> => new Map(Object.entries(fields));

describe('metadataFromFields', () => {
  it('each system field under its property, user metadata without its prefix', () => {
    const fields = fieldsOf({
      key: 'k',
      'content-type': 'text/plain',
      'cache-control': 'no-cache',
      'content-disposition': 'attachment',
      'content-encoding': 'gzip',
      'content-language': 'fr',
      expires: 'Wed, 21 Oct 2026 07:28:00 GMT',
      'x-amz-meta-owner': 'alice',
      'x-amz-meta-empty': '',
      'x-amz-storage-class': 'STANDARD',
    });
    assert.deepEqual(metadataFromFields(fields), {
      contentType: 'text/plain',
      cacheControl: 'no-cache',
      contentDisposition: 'attachment',
      contentEncoding: 'gzip',
      contentLanguage: 'fr',
      expires: 'Wed, 21 Oct 2026 07:28:00 GMT',
      userMetadata: { owner: 'alice', empty: '' },
    });
  });

  it("no Content-Type field: S3's default type; fields left out are no properties at all", () => {
    assert.deepEqual(metadataFromFields(fieldsOf({ key: 'k', success_action_status: '201' })), { contentType: 'binary/octet-stream', userMetadata: {} });
    assert.deepEqual(metadataFromFields(fieldsOf({ 'content-type': '' })), { contentType: '', userMetadata: {} });
  });

  it('user metadata over 2 KB is MetadataTooLarge', () => {
    const error = s3Error(() => metadataFromFields(fieldsOf({ 'x-amz-meta-v': 'x'.repeat(2048) })));
    assert.deepEqual([error.code, error.status, error.details], ['MetadataTooLarge', 400, { Size: '2049', MaxSizeAllowed: '2048' }]);
  });
});

describe('formChecksum', () => {
  const SHA256_OF_ABC = 'ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=';

  it('no checksum field: none', () => {
    assert.equal(formChecksum(fieldsOf({ key: 'k', 'x-amz-checksum-type': 'FULL_OBJECT', 'x-amz-checksum-mode': 'ENABLED' })), undefined);
  });

  it('an x-amz-checksum-<algorithm> field: the file is held to its value', () => {
    assert.deepEqual(formChecksum(fieldsOf({ key: 'k', 'x-amz-checksum-sha256': SHA256_OF_ABC })), { algorithm: 'SHA256', expected: SHA256_OF_ABC });
    assert.deepEqual(formChecksum(fieldsOf({ 'x-amz-checksum-crc32': 'AAAAAA==' })), { algorithm: 'CRC32', expected: 'AAAAAA==' });
    // The value wins over an algorithm named beside it.
    assert.deepEqual(formChecksum(fieldsOf({ 'x-amz-checksum-algorithm': 'CRC32C', 'x-amz-checksum-crc32': 'AAAAAA==' })), { algorithm: 'CRC32', expected: 'AAAAAA==' });
  });

  it('a value that is not that algorithm\'s digest in base64: InvalidRequest naming the field', () => {
    for (const value of ['', 'AAAA', 'AAAAAAA=', 'not base64!', SHA256_OF_ABC]) {
      const error = s3Error(() => formChecksum(fieldsOf({ 'x-amz-checksum-crc32c': value })));
      assert.deepEqual([error.code, error.status, error.message], ['InvalidRequest', 400, 'Value for x-amz-checksum-crc32c header is invalid.'], value);
    }
  });

  it('two checksum fields: InvalidRequest, even when both are well-formed', () => {
    const error = s3Error(() => formChecksum(fieldsOf({ 'x-amz-checksum-crc32': 'AAAAAA==', 'x-amz-checksum-sha256': SHA256_OF_ABC })));
    assert.deepEqual([error.code, error.status, error.message], ['InvalidRequest', 400, 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.']);
  });

  it('x-amz-checksum-algorithm alone: that checksum is computed, in any case', () => {
    assert.deepEqual(formChecksum(fieldsOf({ 'x-amz-checksum-algorithm': 'crc64nvme' })), { algorithm: 'CRC64NVME', expected: undefined });
    assert.deepEqual(formChecksum(fieldsOf({ 'x-amz-checksum-algorithm': 'SHA1' })), { algorithm: 'SHA1', expected: undefined });
  });

  it('an algorithm S3 does not have: InvalidRequest listing the valid ones', () => {
    for (const named of ['CRC16', '', 'x-amz-checksum-crc32']) {
      const error = s3Error(() => formChecksum(fieldsOf({ 'x-amz-checksum-algorithm': named })));
      assert.deepEqual(
        [error.code, error.status, error.message],
        ['InvalidRequest', 400, 'Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]'],
        named,
      );
    }
  });
});

describe('storeFormFile', () => {
  const BUCKET = 'forms';
  const ANY_SIZE = { min: 0, max: Number.MAX_SAFE_INTEGER };
  let dataDir: string;
  let storage: Storage;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'latchkey-post-object-'));
    storage = (await Storage.open(dataDir, sqliteBackend({ durable: false }))).storage;
    await storage.metadata.createBucket({ name: BUCKET, owner: 'root' });
  });
  after(async () => {
    await storage?.close();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  /** A file part of these chunks, read one at a time as a request's would be. */
  const fileOf = (...chunks: string[]) => ({ stream: Readable.from(chunks.map((chunk) => Buffer.from(chunk)), { objectMode: false }), filename: 'f.txt' });

  /** A file part that sends these chunks, then fails as busboy's does when the body ends inside the file. */
  function failingFile(...chunks: string[]) {
    let next = 0;
    const stream = new Readable({
      read() {
        const chunk = chunks[next++];
        if (chunk !== undefined) this.push(Buffer.from(chunk));
        else this.destroy(new Error('Unexpected end of form'));
      },
    });
    // As form.ts's: the failure stays on the stream for whoever reads it, never an uncaught 'error'.
    stream.on('error', () => undefined);
    return { stream, filename: 'f.txt' };
  }

  /** The refusal of a store, with nothing changed on disk. */
  async function refused(run: () => Promise<unknown>): Promise<S3Error> {
    const before = fingerprint(readDiskState(dataDir));
    const error = await run().then(
      () => assert.fail('stored'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof S3Error, String(error));
    assert.equal(fingerprint(readDiskState(dataDir)), before, 'a refused upload leaves the data dir as it was');
    return error;
  }

  it('stores the bytes with the metadata given, and no checksum unless asked', async () => {
    const object = await storeFormFile(storage, BUCKET, 'a.txt', fileOf('hello ', 'form'), { contentType: 'text/plain', userMetadata: { who: 'me' } }, ANY_SIZE, undefined);
    assert.deepEqual([object.bucket, object.key, object.size, object.contentType, object.userMetadata, object.checksums], [BUCKET, 'a.txt', 10, 'text/plain', { who: 'me' }, {}]);
    assert.equal((await storage.headObject(BUCKET, 'a.txt')).etag, object.etag);
  });

  it('a size exactly at either end of the range is stored', async () => {
    assert.equal((await storeFormFile(storage, BUCKET, 'min.txt', fileOf('abc', 'de'), {}, { min: 5, max: 5 }, undefined)).size, 5);
    assert.equal((await storeFormFile(storage, BUCKET, 'empty.txt', fileOf(), {}, { min: 0, max: 0 }, undefined)).size, 0);
  });

  it('under the minimum: EntityTooSmall with the sizes', async () => {
    const error = await refused(() => storeFormFile(storage, BUCKET, 'small.txt', fileOf('abc', 'd'), {}, { min: 5, max: 10 }, undefined));
    assert.deepEqual([error.code, error.status, error.details], ['EntityTooSmall', 400, { ProposedSize: '4', MinSizeAllowed: '5' }]);
  });

  it('over the maximum: EntityTooLarge with the whole file\'s size, the rest read and dropped', async () => {
    const file = fileOf('0123456789', '0123456789', '0123456789', '0123456789', '01234');
    const error = await refused(() => storeFormFile(storage, BUCKET, 'large.txt', file, {}, { min: 0, max: 15 }, undefined));
    assert.deepEqual([error.code, error.status, error.details], ['EntityTooLarge', 400, { ProposedSize: '45', MaxSizeAllowed: '15' }]);
    assert.ok(file.stream.readableEnded, 'the file part was read to its end');
  });

  it('over the maximum, then the body ends inside the file while the rest is read: EntityTooLarge with what arrived', async () => {
    const stream = new PassThrough();
    stream.on('error', () => undefined);
    stream.write('0123456789');
    const result = refused(() => storeFormFile(storage, BUCKET, 'cut-large.txt', { stream, filename: 'f.txt' }, {}, { min: 0, max: 5 }, undefined));
    // The rest is being read and dropped once a 'data' listener counts it.
    while (stream.listenerCount('data') === 0) await new Promise((resolve) => setImmediate(resolve));
    const more = once(stream, 'data');
    stream.write('abc');
    await more;
    stream.destroy(new Error('Unexpected end of form'));
    const error = await result;
    assert.deepEqual([error.code, error.status, error.details], ['EntityTooLarge', 400, { ProposedSize: '13', MaxSizeAllowed: '5' }]);
  });

  it('over the maximum, the file part already failed: EntityTooLarge with the size read, nothing waited for', async () => {
    // failingFile's stream reads ahead: it has failed (and dropped what it held) by the time the size is over.
    const error = await refused(() => storeFormFile(storage, BUCKET, 'failed-large.txt', failingFile('0123456789', '0123456789', '012'), {}, { min: 0, max: 5 }, undefined));
    assert.deepEqual([error.code, error.status, error.details], ['EntityTooLarge', 400, { ProposedSize: '10', MaxSizeAllowed: '5' }]);
  });

  it('the body ends inside the file: MalformedPOSTRequest, nothing stored', async () => {
    const error = await refused(() => storeFormFile(storage, BUCKET, 'cut.txt', failingFile('0123456789', 'abc'), {}, ANY_SIZE, undefined));
    assert.deepEqual([error.code, error.status], ['MalformedPOSTRequest', 400]);
  });

  it('a checksum field that matches is stored; one that does not is BadDigest', async () => {
    const expected = await computeChecksum('CRC32C', Buffer.from('checked body'));
    const object = await storeFormFile(storage, BUCKET, 'sum.txt', fileOf('checked ', 'body'), {}, ANY_SIZE, { algorithm: 'CRC32C', expected });
    assert.deepEqual(object.checksums, { CRC32C: expected });
    assert.deepEqual((await storage.headObject(BUCKET, 'sum.txt')).checksums, { CRC32C: expected });
    const wrong = await computeChecksum('CRC32C', Buffer.from('other body'));
    const error = await refused(() => storeFormFile(storage, BUCKET, 'bad-sum.txt', fileOf('checked ', 'body'), {}, ANY_SIZE, { algorithm: 'CRC32C', expected: wrong }));
    assert.deepEqual([error.code, error.status, error.message], ['BadDigest', 400, 'The CRC32C you specified did not match the calculated checksum.']);
  });

  it('an algorithm named without a value: the checksum is computed and kept', async () => {
    const object = await storeFormFile(storage, BUCKET, 'computed.txt', fileOf('computed'), {}, ANY_SIZE, { algorithm: 'SHA256', expected: undefined });
    assert.deepEqual(object.checksums, { SHA256: await computeChecksum('SHA256', Buffer.from('computed')) });
  });

  it('a failure that is not the file\'s (no such bucket, a storage fault) is passed on as it is', async () => {
    const missing = await refused(() => storeFormFile(storage, 'no-such-bucket', 'x.txt', fileOf('x'), {}, ANY_SIZE, undefined));
    assert.deepEqual([missing.code, missing.status], ['NoSuchBucket', 404]);
    const closedDir = await mkdtemp(join(tmpdir(), 'latchkey-post-object-closed-'));
    try {
      const closed = (await Storage.open(closedDir, sqliteBackend({ durable: false }))).storage;
      await closed.close();
      const fault = await storeFormFile(closed, BUCKET, 'x.txt', fileOf('x'), {}, ANY_SIZE, undefined).then(
        () => assert.fail('stored'),
        (e: unknown) => e,
      );
      assert.ok(!(fault instanceof S3Error), `a storage fault stays what it is: ${String(fault)}`);
    } finally {
      await rm(closedDir, { recursive: true, force: true });
    }
  });
});

describe('PostObject as declared', () => {
  it('a POST to a bucket whose credentials are the form, needing s3:PutObject on the key, refused on a full disk', async () => {
    const { method, target, credentials, permissions, space } = POST_OBJECT_OPERATIONS.PostObject;
    assert.deepEqual({ method, target, credentials, permissions, space }, { method: 'POST', target: 'bucket', credentials: 'form', permissions: [{ action: 's3:PutObject', resource: 'object' }], space: 'stores' });
    // The free-space gate reads the declaration: a form upload is a write.
    const headers = { 'content-length': '10' };
    const req = Object.assign(new EventEmitter(), { method: 'POST', url: '/b', headers, rawHeaders: Object.entries(headers).flat() });
    const ctx = new RequestContext(req as unknown as IncomingMessage, new EventEmitter() as unknown as ServerResponse);
    await assert.rejects(new FreeSpaceGate(1024, () => Promise.resolve(0)).admit(ctx, 'PostObject'), (error: unknown) => error instanceof S3Error && error.code === 'InsufficientStorage' && error.status === 507);
  });
});
