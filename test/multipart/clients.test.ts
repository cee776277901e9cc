import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import {
  CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, GetObjectCommand, HeadObjectCommand, UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { startPresignedMultipartUpload } from '../../src/presign/multipart.js';
import { aws, boto3, s3Client } from '../helpers/clients.js';
import { multipartProblems, readMultipartDisk } from '../helpers/multipart-disk.js';
import { ROOT_CREDENTIALS, startServer, type TestServer } from '../helpers/server.js';

const MiB = 1024 * 1024;
const BUCKET = 'multipart-clients';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** What S3 gives an object uploaded in `partSize` pieces: the ETag and the composite CRC32. */
function expectedMultipart(bytes: Buffer, partSize: number): { etag: string; crc32: string } {
  const md5s: Buffer[] = [];
  const crcs: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += partSize) {
    const part = bytes.subarray(at, at + partSize);
    md5s.push(createHash('md5').update(part).digest());
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(part) >>> 0);
    crcs.push(crc);
  }
  const composite = Buffer.alloc(4);
  composite.writeUInt32BE(crc32(Buffer.concat(crcs)) >>> 0);
  return {
    etag: `"${createHash('md5').update(Buffer.concat(md5s)).digest('hex')}-${md5s.length}"`,
    crc32: `${composite.toString('base64')}-${crcs.length}`,
  };
}

describe('multipart uploads from real clients', () => {
  let server: TestServer;
  let work: string;

  before(async () => {
    server = await startServer();
    work = mkdtempSync(join(tmpdir(), 'latchkey-mp-'));
    const client = s3Client(server);
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    client.destroy();
  });

  after(async () => {
    // Every upload above either completed or aborted: each blob file belongs to an object.
    const disk = readMultipartDisk(server.dataDir);
    await server.stop();
    rmSync(work, { recursive: true, force: true });
    assert.deepEqual(multipartProblems(disk, { expectNoOrphans: true }), []);
    assert.equal(disk.uploads, 0);
  });

  test('aws s3 cp: 100 MiB up and down in parts, the ETag has the -N form and the composite CRC32 matches', async () => {
    const data = randomBytes(100 * MiB);
    const source = join(work, 'big.bin');
    const target = join(work, 'big.out');
    writeFileSync(source, data);
    const up = await aws(server, ['s3', 'cp', '--only-show-errors', source, `s3://${BUCKET}/big/file.bin`]);
    assert.equal(up.code, 0, up.stderr);
    const head = await aws(server, ['s3api', 'head-object', '--bucket', BUCKET, '--key', 'big/file.bin', '--checksum-mode', 'ENABLED']);
    assert.equal(head.code, 0, head.stderr);
    const meta = JSON.parse(head.stdout) as { ETag: string; ContentLength: number; ChecksumCRC32?: string; ChecksumType?: string };
    const expected = expectedMultipart(data, 8 * MiB); // the CLI's default chunk size
    assert.match(meta.ETag, /^"[0-9a-f]{32}-13"$/);
    assert.equal(meta.ETag, expected.etag);
    assert.equal(meta.ContentLength, data.length);
    assert.equal(meta.ChecksumCRC32, expected.crc32);
    assert.equal(meta.ChecksumType, 'COMPOSITE');
    const down = await aws(server, ['s3', 'cp', '--only-show-errors', `s3://${BUCKET}/big/file.bin`, target]);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(sha256(readFileSync(target)), sha256(data));
    const part = await aws(server, ['s3api', 'head-object', '--bucket', BUCKET, '--key', 'big/file.bin', '--part-number', '13']);
    const partMeta = JSON.parse(part.stdout) as { ContentLength: number; PartsCount: number; ContentRange: string };
    assert.equal(partMeta.PartsCount, 13);
    assert.equal(partMeta.ContentLength, 4 * MiB);
    assert.equal(partMeta.ContentRange, `bytes ${96 * MiB}-${100 * MiB - 1}/${100 * MiB}`);
  });

  test('aws s3api: create, upload-part, list-parts, list-multipart-uploads, complete, abort', async () => {
    const first = randomBytes(5 * MiB);
    const second = randomBytes(1000);
    writeFileSync(join(work, 'p1'), first);
    writeFileSync(join(work, 'p2'), second);
    const api = async <T>(...args: string[]): Promise<T> => {
      const result = await aws(server, ['s3api', ...args]);
      assert.equal(result.code, 0, result.stderr);
      return (result.stdout.trim() === '' ? {} : JSON.parse(result.stdout)) as T;
    };
    const { UploadId } = await api<{ UploadId: string }>('create-multipart-upload', '--bucket', BUCKET, '--key', 'api/obj', '--content-type', 'text/x-parts', '--metadata', 'colour=blue');
    const p1 = await api<{ ETag: string }>('upload-part', '--bucket', BUCKET, '--key', 'api/obj', '--upload-id', UploadId, '--part-number', '1', '--body', join(work, 'p1'));
    const p2 = await api<{ ETag: string }>('upload-part', '--bucket', BUCKET, '--key', 'api/obj', '--upload-id', UploadId, '--part-number', '2', '--body', join(work, 'p2'));
    assert.equal(p1.ETag, `"${createHash('md5').update(first).digest('hex')}"`);
    const parts = await api<{ Parts: Array<{ PartNumber: number; ETag: string; Size: number }> }>('list-parts', '--bucket', BUCKET, '--key', 'api/obj', '--upload-id', UploadId);
    assert.deepEqual(parts.Parts.map((p) => [p.PartNumber, p.ETag, p.Size]), [[1, p1.ETag, first.length], [2, p2.ETag, second.length]]);
    const uploads = await api<{ Uploads: Array<{ Key: string; UploadId: string }> }>('list-multipart-uploads', '--bucket', BUCKET, '--prefix', 'api/');
    assert.deepEqual(uploads.Uploads.map((u) => [u.Key, u.UploadId]), [['api/obj', UploadId]]);
    const done = await api<{ ETag: string; Key: string }>('complete-multipart-upload', '--bucket', BUCKET, '--key', 'api/obj', '--upload-id', UploadId,
      '--multipart-upload', JSON.stringify({ Parts: [{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 2, ETag: p2.ETag }] }));
    assert.equal(done.ETag, expectedMultipart(Buffer.concat([first, second]), 5 * MiB).etag);
    const head = await api<{ ContentType: string; Metadata: Record<string, string>; ContentLength: number }>('head-object', '--bucket', BUCKET, '--key', 'api/obj');
    assert.deepEqual([head.ContentType, head.Metadata, head.ContentLength], ['text/x-parts', { colour: 'blue' }, first.length + second.length]);

    const aborted = await api<{ UploadId: string }>('create-multipart-upload', '--bucket', BUCKET, '--key', 'api/gone');
    await api('upload-part', '--bucket', BUCKET, '--key', 'api/gone', '--upload-id', aborted.UploadId, '--part-number', '1', '--body', join(work, 'p2'));
    await api('abort-multipart-upload', '--bucket', BUCKET, '--key', 'api/gone', '--upload-id', aborted.UploadId);
    const after = await aws(server, ['s3api', 'list-parts', '--bucket', BUCKET, '--key', 'api/gone', '--upload-id', aborted.UploadId]);
    assert.notEqual(after.code, 0);
    assert.match(after.stderr, /NoSuchUpload/);
    const left = await api<{ Uploads?: unknown[] }>('list-multipart-uploads', '--bucket', BUCKET);
    assert.equal(left.Uploads, undefined);
  });

  test('boto3 upload_file and download_file with 5 MiB threshold and chunks', async () => {
    const data = randomBytes(17 * MiB + 5);
    writeFileSync(join(work, 'boto.bin'), data);
    const result = await boto3<{ etag: string; size: number }>(server, `
from boto3.s3.transfer import TransferConfig
config = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)
s3.upload_file(args['source'], args['bucket'], 'boto/file.bin', Config=config)
s3.download_file(args['bucket'], 'boto/file.bin', args['target'], Config=config)
head = s3.head_object(Bucket=args['bucket'], Key='boto/file.bin')
print(json.dumps({'etag': head['ETag'], 'size': head['ContentLength']}))
`, { source: join(work, 'boto.bin'), target: join(work, 'boto.out'), bucket: BUCKET });
    assert.equal(result.etag, expectedMultipart(data, 5 * MiB).etag);
    assert.match(result.etag, /-4"$/);
    assert.equal(result.size, data.length);
    assert.equal(sha256(readFileSync(join(work, 'boto.out'))), sha256(data));
  });

  test('@aws-sdk/lib-storage Upload with its default checksums (CRC32, composite)', async () => {
    const client = s3Client(server);
    try {
      const data = randomBytes(12 * MiB + 1);
      const upload = new Upload({ client, params: { Bucket: BUCKET, Key: 'sdk/upload.bin', Body: data }, partSize: 5 * MiB, queueSize: 3 });
      const done = await upload.done();
      const expected = expectedMultipart(data, 5 * MiB);
      assert.equal(done.ETag, expected.etag);
      const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'sdk/upload.bin', ChecksumMode: 'ENABLED' }));
      assert.equal(head.ChecksumCRC32, expected.crc32);
      assert.equal(head.ChecksumType, 'COMPOSITE');
      const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'sdk/upload.bin', ChecksumMode: 'ENABLED' }));
      assert.equal(sha256(await got.Body!.transformToByteArray()), sha256(data));
      const part = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'sdk/upload.bin', PartNumber: 2, ChecksumMode: 'ENABLED' }));
      assert.equal(part.$metadata.httpStatusCode, 206);
      assert.equal(part.PartsCount, 3);
      assert.equal(part.ContentRange, `bytes ${5 * MiB}-${10 * MiB - 1}/${data.length}`);
      assert.equal(sha256(await part.Body!.transformToByteArray()), sha256(data.subarray(5 * MiB, 10 * MiB)));
    } finally {
      client.destroy();
    }
  });

  test('UploadPartCopy takes a range that spans parts of a multipart source', async () => {
    const client = s3Client(server);
    try {
      const data = randomBytes(11 * MiB);
      await new Upload({ client, params: { Bucket: BUCKET, Key: 'copy/source', Body: data }, partSize: 5 * MiB }).done();
      const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'copy/target' }));
      const ranges: Array<[number, number]> = [[3 * MiB, 8 * MiB - 1], [0, 99]];
      const etags: string[] = [];
      for (const [i, [start, end]] of ranges.entries()) {
        const copied = await client.send(new UploadPartCopyCommand({
          Bucket: BUCKET, Key: 'copy/target', UploadId, PartNumber: i + 1, CopySource: `${BUCKET}/copy/source`, CopySourceRange: `bytes=${start}-${end}`,
        }));
        etags.push(copied.CopyPartResult!.ETag!);
      }
      await client.send(new CompleteMultipartUploadCommand({
        Bucket: BUCKET, Key: 'copy/target', UploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }));
      const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'copy/target' }));
      const expected = Buffer.concat(ranges.map(([start, end]) => data.subarray(start, end + 1)));
      assert.equal(sha256(await got.Body!.transformToByteArray()), sha256(expected));
    } finally {
      client.destroy();
    }
  });

  test('pre-signed part URLs: 3 parts of 5 MiB PUT with plain fetch, completed by the app server', async () => {
    const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(5 * MiB)];
    const upload = await startPresignedMultipartUpload({
      endpoint: server.endpoint, bucket: BUCKET, key: 'presigned/video.mp4', partCount: 3,
      credentials: ROOT_CREDENTIALS, region: server.region, expiresIn: 900, contentType: 'video/mp4',
    });
    assert.equal(upload.parts.length, 3);
    const etags: string[] = [];
    for (const [i, part] of upload.parts.entries()) {
      assert.doesNotMatch(part.url, /Authorization|X-Amz-Content-Sha256/i); // nothing but the URL is needed
      const response = await fetch(part.url, { method: 'PUT', body: parts[i] });
      assert.equal(response.status, 200, await response.text());
      etags.push(response.headers.get('etag') ?? '');
    }
    const done = await upload.complete(etags);
    const data = Buffer.concat(parts);
    assert.equal(done.etag, expectedMultipart(data, 5 * MiB).etag);
    const client = s3Client(server);
    try {
      const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'presigned/video.mp4' }));
      assert.equal(got.ContentType, 'video/mp4');
      assert.equal(sha256(await got.Body!.transformToByteArray()), sha256(data));
    } finally {
      client.destroy();
    }
    // A part URL is bound to its upload: once completed, another PUT finds no upload.
    // (A small body: the refusal comes before the body is read, and a large one would still be in flight.)
    const late = await fetch(upload.parts[0]!.url, { method: 'PUT', body: 'late' });
    assert.equal(late.status, 404);
    assert.match(await late.text(), /<Code>NoSuchUpload<\/Code>/);
  });

  test('aborting through the helper frees the parts at once', async () => {
    const upload = await startPresignedMultipartUpload({
      endpoint: server.endpoint, bucket: BUCKET, key: 'presigned/abandoned', partCount: 1, credentials: ROOT_CREDENTIALS, region: server.region, expiresIn: 60,
    });
    const before = readMultipartDisk(server.dataDir).blobs.size;
    assert.equal((await fetch(upload.parts[0]!.url, { method: 'PUT', body: randomBytes(1234) })).status, 200);
    assert.equal(readMultipartDisk(server.dataDir).blobs.size, before + 1);
    await upload.abort();
    assert.equal(readMultipartDisk(server.dataDir).blobs.size, before);
    await assert.rejects(upload.abort(), (e: Error & { status?: number; code?: string }) => e.status === 404 && e.code === 'NoSuchUpload');
  });
});
