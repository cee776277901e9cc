import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { crc32 as zlibCrc32 } from 'node:zlib';
import {
  CreateBucketCommand, GetObjectCommand, GetObjectTaggingCommand, HeadObjectCommand, PutBucketPolicyCommand, PutBucketVersioningCommand,
} from '@aws-sdk/client-s3';
import { fingerprint, readDiskState } from '../helpers/disk-state.js';
import { encodePolicy, postForm, v4AuthConditions, v4PolicyFields, xmlField, type PostAnswer } from '../helpers/post-form.js';
import '../helpers/sdk-js.js';
import { ROOT_CREDENTIALS } from '../helpers/server.js';
import { serverWithBucket } from '../helpers/server-with-bucket.js';

/*
 * The POST Object operation (post-object.ts) once a form is authenticated:
 * the policy's conditions and size range held, the fields that become the
 * object's metadata, tags and checksum, the version answered, and what is
 * refused before anything is stored. One server for the file; the helpers'
 * edges are in-process in post-object-edges.test.ts. The mutation target
 * `post` runs this file after that one (docs/testing.md).
 */

const BUCKET = 'post-object';
const VERSIONED = 'post-object-versioned';
const OPEN = 'post-object-open';

// Anyone may upload under anon/ in OPEN: an unsigned form needs no policy.
const ANYONE = { Effect: 'Allow', Principal: '*', Action: 's3:PutObject', Resource: `arn:aws:s3:::${OPEN}/anon/*` };
const env = serverWithBucket(BUCKET, {
  async seed(client) {
    for (const bucket of [VERSIONED, OPEN]) await client.send(new CreateBucketCommand({ Bucket: bucket }));
    await client.send(new PutBucketVersioningCommand({ Bucket: VERSIONED, VersioningConfiguration: { Status: 'Enabled' } }));
    await client.send(new PutBucketPolicyCommand({ Bucket: OPEN, Policy: JSON.stringify({ Version: '2012-10-17', Statement: [ANYONE] }) }));
  },
});

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

/** A SigV4-signed form: the key, the fields, and a policy of bucket, the auth fields and the conditions given (by default, each field as sent). */
function signed(key: string, fields: ReadonlyArray<readonly [string, string]>, conditions: readonly unknown[] = fields.map(([n, v]) => ({ [n]: v })), bucket = BUCKET) {
  const policy = encodePolicy(new Date(Date.now() + 3_600_000), [{ bucket }, { key }, ...v4AuthConditions(ROOT_CREDENTIALS), ...conditions]);
  return [['key', key], ...fields, ...v4PolicyFields(ROOT_CREDENTIALS, policy)] as Array<[string, string]>;
}

function send(form: ReadonlyArray<readonly [string, string]>, content: string, bucket = BUCKET): Promise<PostAnswer> {
  return postForm(`${env.server.endpoint}/${bucket}`, form, { content, filename: 'local.txt' });
}

/** A refused upload: its S3 error and status, and nothing changed on disk. */
async function refused(answer: () => Promise<PostAnswer>, code: string, status: number, message?: string): Promise<PostAnswer> {
  const before = fingerprint(readDiskState(env.server.dataDir));
  const got = await answer();
  assert.equal(xmlField(got.text, 'Code'), code, `${got.status} ${got.text}`);
  assert.equal(got.status, status, got.text);
  if (message !== undefined) assert.equal(xmlField(got.text, 'Message'), message);
  assert.equal(fingerprint(readDiskState(env.server.dataDir)), before, 'a refused upload leaves the data dir as it was');
  return got;
}

describe('a form upload that passes', () => {
  test('the fields become the object: HTTP metadata, user metadata, tags and checksum; 204 with ETag and Location, no version', async () => {
    const content = 'stored from a form\n';
    const crc32 = Buffer.alloc(4);
    crc32.writeUInt32BE(zlibCrc32(content));
    const answer = await send(signed('form/full.txt', [
      ['Content-Type', 'text/plain'],
      ['Cache-Control', 'max-age=60'],
      ['Content-Disposition', 'attachment; filename="full.txt"'],
      ['Content-Language', 'en'],
      ['x-amz-meta-owner', 'alice'],
      ['tagging', '<Tagging><TagSet><Tag><Key>via</Key><Value>form</Value></Tag></TagSet></Tagging>'],
      ['x-amz-checksum-crc32', crc32.toString('base64')],
      ['acl', 'bucket-owner-full-control'],
    ]), content);
    assert.equal(answer.status, 204, answer.text);
    assert.equal(answer.text, '');
    assert.equal(answer.headers['etag'], `"${md5(content)}"`);
    assert.equal(answer.headers['location'], `${env.server.endpoint}/${BUCKET}/form/full.txt`);
    assert.equal(answer.headers['x-amz-version-id'], undefined, 'no version id from a bucket that never had versioning');
    const head = await env.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'form/full.txt', ChecksumMode: 'ENABLED' }));
    assert.deepEqual(
      [head.ContentType, head.CacheControl, head.ContentDisposition, head.ContentLanguage, head.Metadata, head.ChecksumCRC32, head.ContentLength],
      ['text/plain', 'max-age=60', 'attachment; filename="full.txt"', 'en', { owner: 'alice' }, crc32.toString('base64'), content.length],
    );
    const tags = await env.client.send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: 'form/full.txt' }));
    assert.deepEqual(tags.TagSet, [{ Key: 'via', Value: 'form' }]);
    const got = await env.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'form/full.txt' }));
    assert.equal(await got.Body?.transformToString(), content);
  });

  test('a size range is held at both ends: exactly its minimum and its maximum are stored', async () => {
    const range = [['content-length-range', 3, 5]];
    assert.equal((await send(signed('form/min.txt', [], range), 'abc')).status, 204);
    assert.equal((await send(signed('form/max.txt', [], range), 'abcde')).status, 204);
    const head = await env.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'form/max.txt' }));
    assert.deepEqual([head.ContentLength, head.ContentType], [5, 'binary/octet-stream']);
  });

  test('into a versioned bucket: x-amz-version-id names the version stored; 201 answers the PostResponse document', async () => {
    const answer = await send(signed('form/v.txt', [['success_action_status', '201']], undefined, VERSIONED), 'versioned', VERSIONED);
    assert.equal(answer.status, 201, answer.text);
    const head = await env.client.send(new HeadObjectCommand({ Bucket: VERSIONED, Key: 'form/v.txt' }));
    assert.ok(head.VersionId !== undefined && head.VersionId !== 'null', String(head.VersionId));
    assert.equal(answer.headers['x-amz-version-id'], head.VersionId);
    assert.equal(answer.headers['etag'], `"${md5('versioned')}"`);
    assert.equal(xmlField(answer.text, 'Key'), 'form/v.txt');
    assert.equal(xmlField(answer.text, 'Bucket'), VERSIONED);
  });

  test('an unsigned form a bucket policy allows: no policy to hold it to, any field; still no public ACL', async () => {
    const answer = await postForm(`${env.server.endpoint}/${OPEN}`, [['key', 'anon/a.txt'], ['x-amz-meta-from', 'anyone'], ['Content-Type', 'text/csv']], { content: 'a,b\n', filename: 'a.csv' });
    assert.equal(answer.status, 204, answer.text);
    const head = await env.client.send(new HeadObjectCommand({ Bucket: OPEN, Key: 'anon/a.txt' }));
    assert.deepEqual([head.ContentType, head.Metadata, head.ContentLength], ['text/csv', { from: 'anyone' }, 4]);
    await refused(
      () => postForm(`${env.server.endpoint}/${OPEN}`, [['key', 'anon/public.txt'], ['acl', 'public-read']], { content: 'x', filename: 'p.txt' }),
      'AccessControlListNotSupported', 400,
    );
  });
});

describe('a form upload that is refused (S3 error, status, nothing stored)', () => {
  test('a condition that fails, and a field no condition names', async () => {
    await refused(() => send(signed('no/cond.txt', [['Content-Type', 'text/html']], [{ 'Content-Type': 'text/plain' }]), 'x'),
      'AccessDenied', 403, 'Invalid according to Policy: Policy Condition failed: ["eq", "$Content-Type", "text/plain"]');
    await refused(() => send(signed('no/extra.txt', [['x-amz-meta-a', '1']], []), 'x'), 'AccessDenied', 403, 'Invalid according to Policy: Extra input fields: x-amz-meta-a');
  });

  test('a file outside the policy\'s size range: EntityTooLarge and EntityTooSmall with the sizes', async () => {
    const range = [['content-length-range', 3, 5]];
    const large = await refused(() => send(signed('no/large.txt', [], range), 'abcdef'), 'EntityTooLarge', 400);
    assert.deepEqual([xmlField(large.text, 'ProposedSize'), xmlField(large.text, 'MaxSizeAllowed')], ['6', '5']);
    const small = await refused(() => send(signed('no/small.txt', [], range), 'ab'), 'EntityTooSmall', 400);
    assert.deepEqual([xmlField(small.text, 'ProposedSize'), xmlField(small.text, 'MinSizeAllowed')], ['2', '3']);
  });

  test('an ACL other than the owner\'s, a storage class the server lacks, a bad tag, two checksums, a wrong checksum', async () => {
    await refused(() => send(signed('no/acl.txt', [['acl', 'public-read']]), 'x'), 'AccessControlListNotSupported', 400);
    await refused(() => send(signed('no/class.txt', [['x-amz-storage-class', 'GLACIER']]), 'x'), 'InvalidStorageClass', 400);
    await refused(() => send(signed('no/tag.txt', [['tagging', '<Tagging><TagSet><Tag><Key>aws:x</Key><Value>1</Value></Tag></TagSet></Tagging>']]), 'x'), 'InvalidTag', 400);
    await refused(() => send(signed('no/sums.txt', [['x-amz-checksum-crc32', 'AAAAAA=='], ['x-amz-checksum-crc32c', 'AAAAAA==']]), 'x'), 'InvalidRequest', 400,
      'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
    await refused(() => send(signed('no/sum.txt', [['x-amz-checksum-crc32', 'AAAAAA==']]), 'x'), 'BadDigest', 400, 'The CRC32 you specified did not match the calculated checksum.');
  });
});
