import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { policyDocument, userWithPolicies } from '../helpers/admin-client.js';
import { assertBotoError, boto } from '../helpers/admin-boto.js';
import type { TestCredentials } from '../helpers/clients.js';
import { fingerprint, readDiskState } from '../helpers/disk-state.js';
import { startServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
let plainUser: TestCredentials;

const KEYS = ['a.txt', 'b.txt', 'dir/c.txt', 'dir/d.txt', 'e.txt'];

before(async () => {
  server = await startServer();
  await boto(server, `
s3.create_bucket(Bucket='versions')
for key in args:
    s3.put_object(Bucket='versions', Key=key, Body=key.encode())
out(True)
`, KEYS);
  // Reads, lists and deletes objects, but holds none of the version actions.
  plainUser = (await userWithPolicies(server, 'no-versions', {
    plain: policyDocument(
      { Effect: 'Allow', Action: ['s3:GetObject', 's3:DeleteObject'], Resource: 'arn:aws:s3:::versions/*' },
      { Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::versions' },
    ),
  })).credentials;
});
after(async () => {
  await server?.stop();
});

describe('object versions of a bucket that was never versioned: one "null" version per object', () => {
  it('list_object_versions lists each object once as the latest "null" version, with delimiter, markers and paging', async () => {
    const r = await boto<Record<string, unknown>>(server, `
r = {}
v = s3.list_object_versions(Bucket='versions')
r['all'] = [(x['Key'], x['VersionId'], x['IsLatest'], x['Size'], x['ETag']) for x in v['Versions']]
r['markers'] = 'DeleteMarkers' in v
d = s3.list_object_versions(Bucket='versions', Delimiter='/')
r['top'] = [x['Key'] for x in d['Versions']]
r['prefixes'] = [p['Prefix'] for p in d.get('CommonPrefixes', [])]
r['after_b'] = [x['Key'] for x in s3.list_object_versions(Bucket='versions', KeyMarker='b.txt', VersionIdMarker='null')['Versions']]
pages = s3.get_paginator('list_object_versions').paginate(Bucket='versions', PaginationConfig={'PageSize': 2})
r['paged'] = [[x['Key'] for x in page.get('Versions', [])] for page in pages]
first = s3.list_object_versions(Bucket='versions', MaxKeys=2)
r['first'] = {'truncated': first['IsTruncated'], 'key': first['NextKeyMarker'], 'version': first['NextVersionIdMarker']}
r['no_key_marker'] = client_error(s3.list_object_versions, Bucket='versions', VersionIdMarker='null')
r['bad_version_marker'] = client_error(s3.list_object_versions, Bucket='versions', KeyMarker='a.txt', VersionIdMarker='3HL4kqtJlcpXroDTDmJ')
r['missing_bucket'] = client_error(s3.list_object_versions, Bucket='no-such-versions')
out(r)
`);
    const md5 = (await import('node:crypto')).createHash;
    assert.deepEqual(r['all'], KEYS.map((k) => [k, 'null', true, k.length, `"${md5('md5').update(k).digest('hex')}"`]));
    assert.equal(r['markers'], false, 'no delete markers without versioning');
    assert.deepEqual(r['top'], ['a.txt', 'b.txt', 'e.txt']);
    assert.deepEqual(r['prefixes'], ['dir/']);
    assert.deepEqual(r['after_b'], ['dir/c.txt', 'dir/d.txt', 'e.txt']);
    assert.deepEqual(r['paged'], [['a.txt', 'b.txt'], ['dir/c.txt', 'dir/d.txt'], ['e.txt']]);
    assert.deepEqual(r['first'], { truncated: true, key: 'b.txt', version: 'null' });
    assertBotoError(r['no_key_marker'], 'InvalidArgument', 400, 'version-id-marker alone');
    assertBotoError(r['bad_version_marker'], 'InvalidArgument', 400, 'a version id that is not "null"');
    assertBotoError(r['missing_bucket'], 'NoSuchBucket', 404, 'missing bucket');
  });

  it('versionId=null reads and heads the object; any other version id is InvalidArgument and deletes nothing', async () => {
    const before = fingerprint(readDiskState(server.dataDir));
    const r = await boto<Record<string, unknown>>(server, `
r = {}
r['get'] = s3.get_object(Bucket='versions', Key='a.txt', VersionId='null')['Body'].read().decode()
r['head'] = s3.head_object(Bucket='versions', Key='a.txt', VersionId='null')['ContentLength']
r['get_other'] = client_error(s3.get_object, Bucket='versions', Key='a.txt', VersionId='3HL4kqtJlcpXroDTDmJ')
r['delete_other'] = client_error(s3.delete_object, Bucket='versions', Key='a.txt', VersionId='3HL4kqtJlcpXroDTDmJ')
multi = s3.delete_objects(Bucket='versions', Delete={'Objects': [{'Key': 'a.txt', 'VersionId': 'not-null'}]})
r['multi_errors'] = [(e['Key'], e.get('VersionId'), e['Code']) for e in multi.get('Errors', [])]
out(r)
`);
    assert.equal(r['get'], 'a.txt');
    assert.equal(r['head'], 5);
    assertBotoError(r['get_other'], 'InvalidArgument', 400, 'get');
    assertBotoError(r['delete_other'], 'InvalidArgument', 400, 'delete');
    assert.deepEqual(r['multi_errors'], [['a.txt', 'not-null', 'InvalidArgument']]);
    assert.equal(fingerprint(readDiskState(server.dataDir)), before);
  });

  it('without s3:ListBucketVersions / GetObjectVersion / DeleteObjectVersion a user is denied the version forms, not the plain ones', async () => {
    const before = fingerprint(readDiskState(server.dataDir));
    const r = await boto<Record<string, unknown>>(server, `
r = {}
r['get'] = s3.get_object(Bucket='versions', Key='b.txt')['Body'].read().decode()
r['list'] = len(s3.list_objects_v2(Bucket='versions')['Contents'])
r['list_versions'] = client_error(s3.list_object_versions, Bucket='versions')
r['get_version'] = client_error(s3.get_object, Bucket='versions', Key='b.txt', VersionId='null')
r['delete_version'] = client_error(s3.delete_object, Bucket='versions', Key='b.txt', VersionId='null')
multi = s3.delete_objects(Bucket='versions', Delete={'Objects': [{'Key': 'b.txt', 'VersionId': 'null'}]})
r['multi_errors'] = [(e['Key'], e['Code']) for e in multi.get('Errors', [])]
out(r)
`, null, plainUser);
    assert.equal(r['get'], 'b.txt');
    assert.equal(r['list'], 5);
    for (const name of ['list_versions', 'get_version', 'delete_version']) assertBotoError(r[name], 'AccessDenied', 403, name);
    assert.deepEqual(r['multi_errors'], [['b.txt', 'AccessDenied']]);
    assert.equal(fingerprint(readDiskState(server.dataDir)), before);
  });

  it("boto3's bucket.object_versions.delete() empties the bucket (DeleteObjects with VersionId null), then the bucket deletes", async () => {
    const r = await boto<Record<string, unknown>>(server, `
bucket = boto3.resource('s3', endpoint_url=endpoint, aws_access_key_id=access_key, aws_secret_access_key=secret_key, region_name=region).Bucket('versions')
result = bucket.object_versions.delete()
deleted = sorted((d['Key'], d.get('VersionId')) for page in result for d in page.get('Deleted', []))
s3.delete_bucket(Bucket='versions')
out({'deleted': deleted, 'buckets': [b['Name'] for b in s3.list_buckets()['Buckets']]})
`);
    assert.deepEqual(r['deleted'], KEYS.map((k) => [k, 'null']));
    assert.deepEqual(r['buckets'], []);
    const state = readDiskState(server.dataDir);
    assert.deepEqual(state.rows, []);
    assert.equal(state.blobs.size, 0, 'every body is gone too');
  });
});
