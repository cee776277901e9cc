import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { policyDocument, userWithPolicies } from '../helpers/admin-client.js';
import { assertBotoError, boto } from '../helpers/admin-boto.js';
import { aws, type TestCredentials } from '../helpers/clients.js';
import { fingerprint, readDiskState } from '../helpers/disk-state.js';
import { startServer, type TestServer } from '../helpers/server.js';

/** The policy of the brief: read photos/*, list only under photos/. */
const PHOTOS_POLICY = policyDocument(
  { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bkt/photos/*' },
  { Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::bkt', Condition: { StringLike: { 's3:prefix': 'photos/*' } } },
);

let server: TestServer;
let user: TestCredentials;
let work: string;

before(async () => {
  server = await startServer();
  work = mkdtempSync(join(tmpdir(), 'latchkey-restricted-'));
  await boto(
    server,
    `
s3.create_bucket(Bucket='bkt')
s3.put_object(Bucket='bkt', Key='photos/a.jpg', Body=b'JPEG-a')
s3.put_object(Bucket='bkt', Key='photos/sub/c.jpg', Body=b'JPEG-c')
s3.put_object(Bucket='bkt', Key='private/b.jpg', Body=b'secret-b')
out(True)
`,
  );
  user = (await userWithPolicies(server, 'photo-reader', { 'photos-read': PHOTOS_POLICY })).credentials;
});
after(async () => {
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('a restricted user with boto3', () => {
  it('reads and lists photos/ only, and can neither write nor delete', async () => {
    const before = fingerprint(readDiskState(server.dataDir));
    const r = await boto<Record<string, unknown>>(
      server,
      `
r = {}
r['get'] = s3.get_object(Bucket='bkt', Key='photos/a.jpg')['Body'].read().decode()
r['get_private'] = client_error(s3.get_object, Bucket='bkt', Key='private/b.jpg')
r['head_private'] = client_error(s3.head_object, Bucket='bkt', Key='private/b.jpg')
r['get_missing'] = client_error(s3.get_object, Bucket='bkt', Key='photos/missing.jpg')
r['list_photos'] = [o['Key'] for o in s3.list_objects_v2(Bucket='bkt', Prefix='photos/')['Contents']]
r['list_photos_v1'] = [o['Key'] for o in s3.list_objects(Bucket='bkt', Prefix='photos/sub/')['Contents']]
r['list_all'] = client_error(s3.list_objects_v2, Bucket='bkt')
r['list_private'] = client_error(s3.list_objects_v2, Bucket='bkt', Prefix='private/')
r['list_buckets'] = client_error(s3.list_buckets)
r['put'] = client_error(s3.put_object, Bucket='bkt', Key='photos/new.jpg', Body=b'x')
r['overwrite'] = client_error(s3.put_object, Bucket='bkt', Key='photos/a.jpg', Body=b'overwritten')
r['delete'] = client_error(s3.delete_object, Bucket='bkt', Key='photos/a.jpg')
r['delete_private'] = client_error(s3.delete_object, Bucket='bkt', Key='private/b.jpg')
r['copy'] = client_error(s3.copy_object, Bucket='bkt', Key='photos/copy.jpg', CopySource={'Bucket': 'bkt', 'Key': 'photos/a.jpg'})
multi = s3.delete_objects(Bucket='bkt', Delete={'Objects': [{'Key': 'photos/a.jpg'}, {'Key': 'private/b.jpg'}]})
r['multi_deleted'] = multi.get('Deleted', [])
r['multi_errors'] = sorted((e['Key'], e['Code']) for e in multi.get('Errors', []))
r['create_bucket'] = client_error(s3.create_bucket, Bucket='mine')
r['delete_bucket'] = client_error(s3.delete_bucket, Bucket='bkt')
out(r)
`,
      null,
      user,
    );
    assert.equal(r['get'], 'JPEG-a');
    assertBotoError(r['get_private'], 'AccessDenied', 403, 'get private/b.jpg');
    assertBotoError(r['head_private'], '403', 403, 'head private/b.jpg');
    // Without s3:ListBucket on the whole bucket, a missing key must not be told apart from a forbidden one (as S3).
    assertBotoError(r['get_missing'], 'AccessDenied', 403, 'get a missing key under photos/');
    assert.deepEqual(r['list_photos'], ['photos/a.jpg', 'photos/sub/c.jpg']);
    assert.deepEqual(r['list_photos_v1'], ['photos/sub/c.jpg']);
    assertBotoError(r['list_all'], 'AccessDenied', 403, 'list without prefix');
    assertBotoError(r['list_private'], 'AccessDenied', 403, 'list private/');
    assertBotoError(r['list_buckets'], 'AccessDenied', 403, 'list buckets');
    for (const name of ['put', 'overwrite', 'delete', 'delete_private', 'copy', 'create_bucket', 'delete_bucket']) {
      assertBotoError(r[name], 'AccessDenied', 403, name);
    }
    assert.deepEqual(r['multi_deleted'], []);
    assert.deepEqual(r['multi_errors'], [
      ['photos/a.jpg', 'AccessDenied'],
      ['private/b.jpg', 'AccessDenied'],
    ]);
    assert.equal(fingerprint(readDiskState(server.dataDir)), before, 'refused requests changed nothing on disk');
  });
});

describe('a restricted user with the aws CLI', () => {
  it('reads and lists photos/ only, and can neither write nor delete', async () => {
    const before = fingerprint(readDiskState(server.dataDir));
    const upload = join(work, 'upload.jpg');
    writeFileSync(upload, 'uploaded');
    const out = join(work, 'a.jpg');
    const [get, getPrivate, lsPhotos, lsAll, cpUp, rm, apiDelete] = await Promise.all([
      aws(server, ['s3', 'cp', 's3://bkt/photos/a.jpg', out], user),
      aws(server, ['s3api', 'get-object', '--bucket', 'bkt', '--key', 'private/b.jpg', join(work, 'b.jpg')], user),
      aws(server, ['s3', 'ls', 's3://bkt/photos/'], user),
      aws(server, ['s3', 'ls', 's3://bkt/'], user),
      aws(server, ['s3', 'cp', upload, 's3://bkt/photos/up.jpg'], user),
      aws(server, ['s3', 'rm', 's3://bkt/photos/a.jpg'], user),
      aws(server, ['s3api', 'delete-object', '--bucket', 'bkt', '--key', 'private/b.jpg'], user),
    ]);
    assert.equal(get.code, 0, get.stderr);
    assert.equal(readFileSync(out, 'utf8'), 'JPEG-a');
    assert.equal(lsPhotos.code, 0, lsPhotos.stderr);
    assert.match(lsPhotos.stdout, /\s6 a\.jpg$/m);
    assert.match(lsPhotos.stdout, /PRE sub\/$/m);
    for (const [name, result] of Object.entries({ getPrivate, lsAll, cpUp, rm, apiDelete })) {
      assert.notEqual(result.code, 0, `${name} should fail: ${result.stdout}`);
      assert.match(result.stderr, /AccessDenied|\(403\)|Forbidden/, `${name}: ${result.stderr}`);
    }
    assert.match(getPrivate.stderr, /An error occurred \(AccessDenied\) when calling the GetObject operation/);
    assert.match(lsAll.stderr, /An error occurred \(AccessDenied\) when calling the ListObjectsV2 operation/);
    assert.match(apiDelete.stderr, /An error occurred \(AccessDenied\) when calling the DeleteObject operation/);
    assert.equal(fingerprint(readDiskState(server.dataDir)), before, 'refused requests changed nothing on disk');
  });
});
