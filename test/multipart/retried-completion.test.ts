import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  CompleteMultipartUploadCommand, CreateMultipartUploadCommand, DeleteObjectCommand, GetObjectCommand, PutObjectCommand, UploadPartCommand,
} from '@aws-sdk/client-s3';
import { assertBotoError, boto } from '../helpers/admin-boto.js';
import { aws } from '../helpers/clients.js';
import { cliErrorCode } from '../helpers/e2e-clients.js';
import { readMultipartDisk } from '../helpers/multipart-disk.js';
import { serverWithBucket } from '../helpers/server-with-bucket.js';

const BUCKET = 'retried-completion';

function noSuchUpload(error: Error & { $metadata?: { httpStatusCode?: number } }): boolean {
  assert.equal(error.name, 'NoSuchUpload');
  assert.equal(error.$metadata?.httpStatusCode, 404);
  return true;
}

/**
 * A client whose CompleteMultipartUpload response was lost sends it again:
 * S3 answers the retry as it answered the first, as long as the object the
 * upload made is still there, and NoSuchUpload once it is not.
 */
describe('a second CompleteMultipartUpload of a completed upload', () => {
  const live = serverWithBucket(BUCKET);

  async function uploadOnePart(key: string, body: Buffer, checksum?: 'CRC32C'): Promise<{ uploadId: string; parts: Array<{ PartNumber: number; ETag: string; ChecksumCRC32C?: string }> }> {
    const extra = checksum === undefined ? {} : { ChecksumAlgorithm: checksum };
    const uploadId = (await live.client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key, ...extra }))).UploadId!;
    const part = await live.client.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, PartNumber: 1, Body: body, ...extra }));
    return { uploadId, parts: [{ PartNumber: 1, ETag: part.ETag!, ...(checksum === undefined ? {} : { ChecksumCRC32C: part.ChecksumCRC32C! }) }] };
  }

  function complete(key: string, uploadId: string, parts: Array<{ PartNumber: number; ETag: string }>) {
    return live.client.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
  }

  test('JS SDK: the retry answers 200 with the same ETag, Location, Bucket, Key and checksum; the object is untouched', async () => {
    const body = randomBytes(1000);
    const { uploadId, parts } = await uploadOnePart('sdk.bin', body, 'CRC32C');
    const first = await complete('sdk.bin', uploadId, parts);
    const disk = readMultipartDisk(live.server.dataDir);
    const again = await complete('sdk.bin', uploadId, parts);
    assert.equal(again.$metadata.httpStatusCode, 200);
    for (const field of ['ETag', 'Location', 'Bucket', 'Key', 'ChecksumCRC32C', 'ChecksumType'] as const) assert.equal(again[field], first[field], field);
    assert.equal(again.ChecksumType, 'COMPOSITE');
    assert.deepEqual(readMultipartDisk(live.server.dataDir), disk);
    const got = await live.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'sdk.bin' }));
    assert.deepEqual(Buffer.from(await got.Body!.transformToByteArray()), body);
  });

  test('JS SDK: NoSuchUpload once the object was replaced or deleted, or for another key', async () => {
    const { uploadId, parts } = await uploadOnePart('gone.bin', randomBytes(10));
    await complete('gone.bin', uploadId, parts);
    await assert.rejects(complete('other.bin', uploadId, parts), noSuchUpload);
    await live.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'gone.bin', Body: 'newer' }));
    await assert.rejects(complete('gone.bin', uploadId, parts), noSuchUpload);
    const newer = await live.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'gone.bin' }));
    assert.equal(await newer.Body!.transformToString(), 'newer');

    const second = await uploadOnePart('deleted.bin', randomBytes(10));
    await complete('deleted.bin', second.uploadId, second.parts);
    await live.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'deleted.bin' }));
    await assert.rejects(complete('deleted.bin', second.uploadId, second.parts), noSuchUpload);
    await assert.rejects(live.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'deleted.bin' })), { name: 'NoSuchKey' });
  });

  test('boto3: complete_multipart_upload twice gives the same answer, NoSuchUpload once the object is overwritten', async () => {
    const r = await boto<Record<string, unknown>>(live.server, `
s3.create_bucket(Bucket='boto-retry')
upload = s3.create_multipart_upload(Bucket='boto-retry', Key='k', ChecksumAlgorithm='SHA256')['UploadId']
p = s3.upload_part(Bucket='boto-retry', Key='k', UploadId=upload, PartNumber=1, Body=b'x' * 100, ChecksumAlgorithm='SHA256')
parts = {'Parts': [{'PartNumber': 1, 'ETag': p['ETag'], 'ChecksumSHA256': p['ChecksumSHA256']}]}
keep = ['ETag', 'Location', 'Bucket', 'Key', 'ChecksumSHA256', 'ChecksumType']
first = s3.complete_multipart_upload(Bucket='boto-retry', Key='k', UploadId=upload, MultipartUpload=parts)
second = s3.complete_multipart_upload(Bucket='boto-retry', Key='k', UploadId=upload, MultipartUpload=parts)
s3.put_object(Bucket='boto-retry', Key='k', Body=b'overwritten')
out({'first': {k: first.get(k) for k in keep}, 'second': {k: second.get(k) for k in keep},
     'status': second['ResponseMetadata']['HTTPStatusCode'],
     'after_overwrite': client_error(s3.complete_multipart_upload, Bucket='boto-retry', Key='k', UploadId=upload, MultipartUpload=parts)})
`);
    assert.deepEqual(r['second'], r['first']);
    assert.equal(r['status'], 200);
    assert.equal((r['first'] as Record<string, unknown>)['ChecksumType'], 'COMPOSITE');
    assertBotoError(r['after_overwrite'], 'NoSuchUpload', 404);
  });

  test('aws CLI: s3api complete-multipart-upload retried prints the same result', async () => {
    const { uploadId, parts } = await uploadOnePart('cli.bin', randomBytes(100));
    const args = ['s3api', 'complete-multipart-upload', '--bucket', BUCKET, '--key', 'cli.bin', '--upload-id', uploadId,
      '--multipart-upload', JSON.stringify({ Parts: parts })];
    const first = await aws(live.server, args);
    assert.equal(first.code, 0, first.stderr);
    const second = await aws(live.server, args);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(JSON.parse(second.stdout), JSON.parse(first.stdout));
    await live.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'cli.bin' }));
    const gone = await aws(live.server, args);
    assert.notEqual(gone.code, 0);
    assert.equal(cliErrorCode(gone), 'NoSuchUpload');
  });
});
