import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, DeleteObjectCommand, GetObjectCommand,
  ListMultipartUploadsCommand, ListPartsCommand, PutObjectCommand, UploadPartCommand,
} from '@aws-sdk/client-s3';
import { multipartProblems, readMultipartDisk } from '../helpers/multipart-disk.js';
import { serverWithBucket } from '../helpers/server-with-bucket.js';

const MiB = 1024 * 1024;
const BUCKET = 'multipart-errors';

/** Rejects with this S3 error code and HTTP status. */
async function rejectsWith(promise: Promise<unknown>, code: string, status: number): Promise<void> {
  await assert.rejects(promise, (e: Error & { $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(e.name, code);
    assert.equal(e.$metadata?.httpStatusCode, status);
    return true;
  });
}

describe('multipart errors and bookkeeping', () => {
  const live = serverWithBucket(BUCKET);

  async function start(key: string, extra: { ChecksumAlgorithm?: 'CRC32C' } = {}): Promise<string> {
    return (await live.client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key, ...extra }))).UploadId!;
  }

  async function part(key: string, uploadId: string, partNumber: number, body: Buffer): Promise<string> {
    return (await live.client.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: body }))).ETag!;
  }

  function complete(key: string, uploadId: string, parts: Array<{ PartNumber: number; ETag: string }>) {
    return live.client.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
  }

  const blobCount = () => readMultipartDisk(live.server.dataDir).blobs.size;

  test('EntityTooSmall: a part before the last below 5 MiB, checked at completion', async () => {
    const id = await start('small');
    const e1 = await part('small', id, 1, randomBytes(1024));
    const e2 = await part('small', id, 2, randomBytes(1024));
    await rejectsWith(complete('small', id, [{ PartNumber: 1, ETag: e1 }, { PartNumber: 2, ETag: e2 }]), 'EntityTooSmall', 400);
    // The upload survives a refused completion; a single small part is fine as the last.
    const done = await complete('small', id, [{ PartNumber: 2, ETag: e2 }]);
    assert.match(done.ETag!, /-1"$/);
  });

  test('InvalidPart: wrong ETag or a part never uploaded; InvalidPartOrder: descending or repeated numbers', async () => {
    const id = await start('order');
    const e1 = await part('order', id, 1, randomBytes(5 * MiB));
    const e2 = await part('order', id, 2, randomBytes(10));
    await rejectsWith(complete('order', id, [{ PartNumber: 1, ETag: '"00000000000000000000000000000000"' }, { PartNumber: 2, ETag: e2 }]), 'InvalidPart', 400);
    await rejectsWith(complete('order', id, [{ PartNumber: 1, ETag: e1 }, { PartNumber: 3, ETag: e2 }]), 'InvalidPart', 400);
    await rejectsWith(complete('order', id, [{ PartNumber: 2, ETag: e2 }, { PartNumber: 1, ETag: e1 }]), 'InvalidPartOrder', 400);
    await rejectsWith(complete('order', id, [{ PartNumber: 1, ETag: e1 }, { PartNumber: 1, ETag: e1 }]), 'InvalidPartOrder', 400);
    await rejectsWith(complete('order', id, []), 'MalformedXML', 400);
    await live.client.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: 'order', UploadId: id }));
  });

  test('NoSuchUpload: unknown ids, another key\'s id, after abort and after completion', async () => {
    const id = await start('gone');
    const etag = await part('gone', id, 1, randomBytes(100));
    await rejectsWith(part('gone', 'not-an-upload', 1, randomBytes(1)), 'NoSuchUpload', 404);
    await rejectsWith(part('other-key', id, 1, randomBytes(1)), 'NoSuchUpload', 404);
    await rejectsWith(live.client.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'gone', UploadId: 'nope' })), 'NoSuchUpload', 404);
    await rejectsWith(complete('gone', 'nope', [{ PartNumber: 1, ETag: etag }]), 'NoSuchUpload', 404);
    const aborted = await live.client.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: 'gone', UploadId: id }));
    assert.equal(aborted.$metadata.httpStatusCode, 204);
    await rejectsWith(live.client.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: 'gone', UploadId: id })), 'NoSuchUpload', 404);
    await rejectsWith(complete('gone', id, [{ PartNumber: 1, ETag: etag }]), 'NoSuchUpload', 404);
    await rejectsWith(part('gone', id, 2, randomBytes(1)), 'NoSuchUpload', 404);

    const done = await start('done');
    await complete('done', done, [{ PartNumber: 1, ETag: await part('done', done, 1, randomBytes(10)) }]);
    await rejectsWith(part('done', done, 2, randomBytes(1)), 'NoSuchUpload', 404);
    await rejectsWith(live.client.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: 'done', UploadId: done })), 'NoSuchUpload', 404);
    await rejectsWith(live.client.send(new CreateMultipartUploadCommand({ Bucket: 'no-such-bucket-here', Key: 'k' })), 'NoSuchBucket', 404);
  });

  test('part numbers outside 1..10000 are InvalidArgument; partNumber reads beyond the count are InvalidPartNumber', async () => {
    const id = await start('numbers');
    await rejectsWith(part('numbers', id, 10001, randomBytes(1)), 'InvalidArgument', 400);
    await rejectsWith(part('numbers', id, 0, randomBytes(1)), 'InvalidArgument', 400);
    const etags = [await part('numbers', id, 1, randomBytes(5 * MiB)), await part('numbers', id, 2, randomBytes(7))];
    await complete('numbers', id, etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })));
    await rejectsWith(live.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'numbers', PartNumber: 3 })), 'InvalidPartNumber', 416);
    await rejectsWith(live.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'numbers', PartNumber: 1, Range: 'bytes=0-1' })), 'InvalidRequest', 400);
    const last = await live.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'numbers', PartNumber: 2 }));
    assert.equal((await last.Body!.transformToByteArray()).length, 7);
  });

  test('a part must carry the upload\'s checksum algorithm or none', async () => {
    const id = await start('crc', { ChecksumAlgorithm: 'CRC32C' });
    await rejectsWith(live.client.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'crc', UploadId: id, PartNumber: 1, Body: randomBytes(10), ChecksumAlgorithm: 'SHA256' })), 'InvalidRequest', 400);
    const ok = await live.client.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'crc', UploadId: id, PartNumber: 1, Body: randomBytes(10), ChecksumAlgorithm: 'CRC32C' }));
    assert.ok(ok.ChecksumCRC32C);
    const parts = await live.client.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'crc', UploadId: id }));
    assert.equal(parts.Parts?.[0]?.ChecksumCRC32C, ok.ChecksumCRC32C);
    assert.equal(parts.ChecksumAlgorithm, 'CRC32C');
    await rejectsWith(complete('crc', id, [{ PartNumber: 1, ETag: ok.ETag! }]), 'InvalidRequest', 400); // the part checksum is required
    await live.client.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: 'crc', UploadId: id }));
  });

  test('ListParts pages with max-parts and part-number-marker', async () => {
    const id = await start('paged');
    for (const n of [1, 2, 4, 7, 9]) await part('paged', id, n, Buffer.from(`part ${n}`));
    const seen: number[] = [];
    let marker: string | undefined;
    let pages = 0;
    for (;;) {
      const page = await live.client.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'paged', UploadId: id, MaxParts: 2, PartNumberMarker: marker }));
      pages++;
      seen.push(...(page.Parts ?? []).map((p) => p.PartNumber!));
      if (!page.IsTruncated) break;
      marker = page.NextPartNumberMarker;
    }
    assert.deepEqual(seen, [1, 2, 4, 7, 9]);
    assert.equal(pages, 3);
    await live.client.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: 'paged', UploadId: id }));
  });

  test('ListMultipartUploads: prefix, delimiter, key and upload-id markers, in key order then initiation order', async () => {
    const started: Array<[string, string]> = [];
    for (const key of ['list/b', 'list/a', 'list/dir/x', 'list/dir/y', 'list/b', 'list/c', 'other']) started.push([key, await start(key)]);
    const expected = started.filter(([k]) => k.startsWith('list/')).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const seen: Array<[string, string]> = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const page = await live.client.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: 'list/', MaxUploads: 2, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }));
      seen.push(...(page.Uploads ?? []).map((u): [string, string] => [u.Key!, u.UploadId!]));
      if (!page.IsTruncated) break;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
    assert.deepEqual(seen, expected); // the two uploads of list/b in the order they began
    const grouped = await live.client.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: 'list/', Delimiter: '/' }));
    assert.deepEqual(grouped.CommonPrefixes?.map((p) => p.Prefix), ['list/dir/']);
    assert.deepEqual(grouped.Uploads?.map((u) => u.Key), ['list/a', 'list/b', 'list/b', 'list/c']);
    const afterB = await live.client.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: 'list/', Delimiter: '/', KeyMarker: 'list/b' }));
    assert.deepEqual([afterB.Uploads?.map((u) => u.Key), afterB.CommonPrefixes?.map((p) => p.Prefix)], [['list/c'], ['list/dir/']]);
    // A common prefix given back as the marker skips its whole group.
    const afterGroup = await live.client.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: 'list/', Delimiter: '/', KeyMarker: 'list/dir/' }));
    assert.deepEqual([afterGroup.Uploads, afterGroup.CommonPrefixes, afterGroup.IsTruncated], [undefined, undefined, false]);
    for (const [key, id] of started) await live.client.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: id }));
  });

  test('no orphan blobs: abort, unused parts, re-uploaded parts, replacing and deleting a multipart object', async () => {
    const baseline = blobCount();
    const id = await start('tidy');
    await part('tidy', id, 1, randomBytes(5 * MiB));
    const e1 = await part('tidy', id, 1, randomBytes(5 * MiB)); // replaces the first upload of part 1
    const e2 = await part('tidy', id, 2, randomBytes(10));
    await part('tidy', id, 3, randomBytes(10)); // never used
    assert.equal(blobCount(), baseline + 3);
    await complete('tidy', id, [{ PartNumber: 1, ETag: e1 }, { PartNumber: 2, ETag: e2 }]);
    assert.equal(blobCount(), baseline + 2);
    assert.deepEqual(multipartProblems(readMultipartDisk(live.server.dataDir), { expectNoOrphans: true }), []);
    await live.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'tidy', Body: 'plain now' }));
    assert.equal(blobCount(), baseline + 1);

    const again = await start('tidy');
    await complete('tidy', again, [{ PartNumber: 1, ETag: await part('tidy', again, 1, randomBytes(5 * MiB)) }, { PartNumber: 2, ETag: await part('tidy', again, 2, randomBytes(3)) }]);
    assert.equal(blobCount(), baseline + 2);
    await live.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'tidy' }));
    assert.equal(blobCount(), baseline);
    assert.deepEqual(multipartProblems(readMultipartDisk(live.server.dataDir), { expectNoOrphans: true }), []);
  });
});
