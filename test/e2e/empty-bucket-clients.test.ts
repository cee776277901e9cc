import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, DeleteObjectsCommand, ListObjectVersionsCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { aws, boto3, s3Client } from '../helpers/clients.js';
import { signedRequest } from '../helpers/e2e-http.js';
import { ROOT_CREDENTIALS, startServer, type TestServer } from '../helpers/server.js';
import { RCLONE_MISSING, rclone, S3CMD_MISSING, s3cmd } from '../helpers/tool-clients.js';

/**
 * The reproduction of issue 12, item 6, with every client that empties
 * buckets through DeleteObjects: keys XML must escape are really deleted,
 * not only reported deleted. (Every client also sends the Content-MD5 or
 * x-amz-checksum-* a multi-delete now needs.)
 */
const KEYS = ['&', '<', '>', 'a"b', "it's", 'x&amp;y', 'tab\there', 'euro€', 'dir/&<>/leaf'];
/** A CR survives XML only as a reference; the SDKs write it that way. */
const SDK_KEYS = [...KEYS, 'cr\rkey', 'crlf\r\nkey'];

let server: TestServer;
let sdk: S3Client;

before(async () => {
  server = await startServer();
  sdk = s3Client(server);
});

after(async () => {
  sdk.destroy();
  await server.stop();
});

async function fill(bucket: string, keys: readonly string[]): Promise<void> {
  await sdk.send(new CreateBucketCommand({ Bucket: bucket }));
  for (const key of keys) await sdk.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x' }));
  const listed = await sdk.send(new ListObjectVersionsCommand({ Bucket: bucket }));
  assert.deepEqual((listed.Versions ?? []).map((v) => v.Key).sort(), [...keys].sort());
}

async function assertEmpty(bucket: string): Promise<void> {
  const listing = await signedRequest(server, { method: 'GET', path: `/${bucket}?versions` });
  assert.equal(listing.status, 200);
  assert.doesNotMatch(listing.body.toString(), /<Key>/, listing.body.toString());
}

describe('every client empties a bucket of keys XML must escape', () => {
  it('the JS SDK: ListObjectVersions then DeleteObjects', async () => {
    await fill('empty-sdk', SDK_KEYS);
    const listed = await sdk.send(new ListObjectVersionsCommand({ Bucket: 'empty-sdk' }));
    const result = await sdk.send(new DeleteObjectsCommand({ Bucket: 'empty-sdk', Delete: { Objects: (listed.Versions ?? []).map((v) => ({ Key: v.Key ?? '' })) } }));
    assert.deepEqual(result.Errors ?? [], []);
    assert.deepEqual((result.Deleted ?? []).map((d) => d.Key).sort(), [...SDK_KEYS].sort());
    await assertEmpty('empty-sdk');
  });

  it('boto3: list_object_versions then delete_objects', async () => {
    await fill('empty-boto3', SDK_KEYS);
    const deleted = await boto3<string[]>(
      server,
      `
listed = s3.list_object_versions(Bucket='empty-boto3')
result = s3.delete_objects(Bucket='empty-boto3', Delete={'Objects': [{'Key': v['Key']} for v in listed['Versions']]})
assert not result.get('Errors'), result.get('Errors')
print(json.dumps(sorted(d['Key'] for d in result['Deleted'])))
`,
    );
    assert.deepEqual(deleted, [...SDK_KEYS].sort());
    await assertEmpty('empty-boto3');
  });

  it('aws CLI: s3 rm --recursive', async () => {
    await fill('empty-cli', KEYS);
    const result = await aws(server, ['s3', 'rm', '--recursive', 's3://empty-cli/', '--only-show-errors'], ROOT_CREDENTIALS);
    assert.equal(result.code, 0, result.stderr);
    await assertEmpty('empty-cli');
  });

  it('rclone: delete', { skip: RCLONE_MISSING }, async () => {
    await fill('empty-rclone', KEYS);
    const result = await rclone(server, ['delete', 'lk:empty-rclone']);
    assert.equal(result.code, 0, result.stderr);
    await assertEmpty('empty-rclone');
  });

  it('s3cmd: del --recursive', { skip: S3CMD_MISSING }, async () => {
    await fill('empty-s3cmd', KEYS);
    const result = await s3cmd(server, ['del', '--recursive', '--force', 's3://empty-s3cmd']);
    assert.equal(result.code, 0, result.stderr);
    await assertEmpty('empty-s3cmd');
  });
});
