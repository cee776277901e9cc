import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CopyObjectCommand, DeleteObjectCommand, GetBucketVersioningCommand, GetObjectCommand, ListObjectVersionsCommand, PutBucketVersioningCommand,
  PutObjectCommand, S3ServiceException,
} from '@aws-sdk/client-s3';
import { policyDocument, userWithPolicies } from '../helpers/admin-client.js';
import { assertBotoError, boto } from '../helpers/admin-boto.js';
import { aws, s3Client, type TestCredentials } from '../helpers/clients.js';
import { cliErrorCode } from '../helpers/e2e-clients.js';
import { signedRequest } from '../helpers/e2e-http.js';
import { fingerprint, integrityProblems, readDiskState } from '../helpers/disk-state.js';
import { startServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
let noVersionActions: TestCredentials;

before(async () => {
  server = await startServer();
  // Everything on objects and listing, but none of the version actions.
  noVersionActions = (await userWithPolicies(server, 'plain', {
    plain: policyDocument(
      { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], Resource: 'arn:aws:s3:::*/*' },
      { Effect: 'Allow', Action: ['s3:ListBucket', 's3:CreateBucket'], Resource: 'arn:aws:s3:::*' },
    ),
  })).credentials;
});
after(async () => {
  await server?.stop();
});

function noProblems(): void {
  assert.deepEqual(integrityProblems(readDiskState(server.dataDir), { expectCleanTemp: true, expectNoOrphans: true }), []);
}

describe('bucket versioning with boto3', () => {
  it('Put/GetBucketVersioning: none, Enabled, Suspended; never back; bad configurations refused and nothing changes', async () => {
    const r = await boto<Record<string, unknown>>(server, `
r = {}
s3.create_bucket(Bucket='cfg')
r['never'] = s3.get_bucket_versioning(Bucket='cfg').get('Status')
s3.put_bucket_versioning(Bucket='cfg', VersioningConfiguration={'Status': 'Enabled'})
r['enabled'] = s3.get_bucket_versioning(Bucket='cfg').get('Status')
r['bad_status'] = client_error(s3.put_bucket_versioning, Bucket='cfg', VersioningConfiguration={'Status': 'Disabled'})
r['mfa'] = client_error(s3.put_bucket_versioning, Bucket='cfg', VersioningConfiguration={'Status': 'Enabled', 'MFADelete': 'Enabled'}, MFA='serial 123456')
r['missing'] = client_error(s3.put_bucket_versioning, Bucket='no-such-cfg', VersioningConfiguration={'Status': 'Enabled'})
r['still'] = s3.get_bucket_versioning(Bucket='cfg').get('Status')
s3.put_bucket_versioning(Bucket='cfg', VersioningConfiguration={'Status': 'Suspended', 'MFADelete': 'Disabled'})
r['suspended'] = s3.get_bucket_versioning(Bucket='cfg').get('Status')
out(r)
`);
    assert.equal(r['never'], null);
    assert.equal(r['enabled'], 'Enabled');
    assertBotoError(r['bad_status'], 'IllegalVersioningConfigurationException', 400, 'Status Disabled');
    assertBotoError(r['mfa'], 'NotImplemented', 501, 'MFA delete');
    assertBotoError(r['missing'], 'NoSuchBucket', 404, 'missing bucket');
    assert.equal(r['still'], 'Enabled');
    assert.equal(r['suspended'], 'Suspended');
  });

  it('every write is a version; GET/HEAD by versionId; a delete marker hides the key (404 with x-amz-delete-marker); deleting it restores', async () => {
    const r = await boto<Record<string, unknown>>(server, `
r = {}
s3.create_bucket(Bucket='ver')
s3.put_object(Bucket='ver', Key='k', Body=b'before')
s3.put_bucket_versioning(Bucket='ver', VersioningConfiguration={'Status': 'Enabled'})
v1 = s3.put_object(Bucket='ver', Key='k', Body=b'one')['VersionId']
v2 = s3.put_object(Bucket='ver', Key='k', Body=b'two' * 30000)['VersionId']
r['distinct'] = len({v1, v2}) == 2 and 'null' not in (v1, v2)
r['current'] = s3.get_object(Bucket='ver', Key='k')['Body'].read()[:3].decode()
g = s3.get_object(Bucket='ver', Key='k', VersionId=v1)
r['v1'] = (g['Body'].read().decode(), g['VersionId'] == v1)
r['null'] = s3.get_object(Bucket='ver', Key='k', VersionId='null')['Body'].read().decode()
r['head_v2'] = s3.head_object(Bucket='ver', Key='k', VersionId=v2)['ContentLength']
d = s3.delete_object(Bucket='ver', Key='k')
r['marker'] = (d.get('DeleteMarker'), bool(d.get('VersionId')))
marker = d['VersionId']
e = client_error(s3.get_object, Bucket='ver', Key='k')
r['hidden'] = e
r['hidden_marker'] = (e['headers'].get('x-amz-delete-marker'), e['headers'].get('x-amz-version-id') == marker)
r['head_hidden'] = client_error(s3.head_object, Bucket='ver', Key='k')
r['get_marker'] = client_error(s3.get_object, Bucket='ver', Key='k', VersionId=marker)
r['listed'] = [o['Key'] for o in s3.list_objects_v2(Bucket='ver').get('Contents', [])]
r['old_still'] = s3.get_object(Bucket='ver', Key='k', VersionId=v1)['Body'].read().decode()
d2 = s3.delete_object(Bucket='ver', Key='k', VersionId=marker)
r['marker_gone'] = (d2.get('DeleteMarker'), d2.get('VersionId') == marker)
r['back'] = s3.get_object(Bucket='ver', Key='k')['Body'].read()[:3].decode()
r['unknown'] = client_error(s3.get_object, Bucket='ver', Key='k', VersionId='A' * 24)
r['invalid'] = client_error(s3.get_object, Bucket='ver', Key='k', VersionId='not-a-version')
r['delete_unknown'] = s3.delete_object(Bucket='ver', Key='k', VersionId='B' * 24).get('VersionId')
out(r)
`);
    assert.equal(r['distinct'], true);
    assert.equal(r['current'], 'two');
    assert.deepEqual(r['v1'], ['one', true]);
    assert.equal(r['null'], 'before');
    assert.equal(r['head_v2'], 90000);
    assert.deepEqual(r['marker'], [true, true]);
    assertBotoError(r['hidden'], 'NoSuchKey', 404, 'latest is a delete marker');
    assert.deepEqual(r['hidden_marker'], ['true', true]);
    assertBotoError(r['head_hidden'], '404', 404, 'HEAD of a hidden key');
    assertBotoError(r['get_marker'], 'MethodNotAllowed', 405, 'GET of a delete marker');
    assert.deepEqual(r['listed'], []);
    assert.equal(r['old_still'], 'one');
    assert.deepEqual(r['marker_gone'], [true, true]);
    assert.equal(r['back'], 'two');
    assertBotoError(r['unknown'], 'NoSuchVersion', 404, 'unknown version');
    assertBotoError(r['invalid'], 'InvalidArgument', 400, 'malformed version');
    assert.equal(r['delete_unknown'], 'B'.repeat(24), 'deleting a version that is not there is no error, as on S3');
    noProblems();
  });

  it('ListObjectVersions: key order, newest first, markers, paging by key and version-id markers, prefixes; ListObjects shows current only', async () => {
    const r = await boto<Record<string, unknown>>(server, `
r = {}
s3.create_bucket(Bucket='lvs')
s3.put_bucket_versioning(Bucket='lvs', VersioningConfiguration={'Status': 'Enabled'})
ids = {}
for key in ['b', 'a', 'b', 'dir/x', 'a', 'c']:
    ids.setdefault(key, []).append(s3.put_object(Bucket='lvs', Key=key, Body=key.encode())['VersionId'])
ids['c'].append(s3.delete_object(Bucket='lvs', Key='c')['VersionId'])
v = s3.list_object_versions(Bucket='lvs')
r['versions'] = [(x['Key'], x['VersionId'], x['IsLatest']) for x in v['Versions']]
r['markers'] = [(x['Key'], x['VersionId'], x['IsLatest']) for x in v['DeleteMarkers']]
r['ids'] = ids
pages = s3.get_paginator('list_object_versions').paginate(Bucket='lvs', PaginationConfig={'PageSize': 2})
r['paged'] = [[x['Key'] + '@' + x['VersionId'] for x in p.get('Versions', []) + p.get('DeleteMarkers', [])] for p in pages]
first = s3.list_object_versions(Bucket='lvs', MaxKeys=1)
r['first'] = (first['IsTruncated'], first['NextKeyMarker'], first['NextVersionIdMarker'])
d = s3.list_object_versions(Bucket='lvs', Delimiter='/')
r['prefixes'] = [p['Prefix'] for p in d.get('CommonPrefixes', [])]
r['current'] = [o['Key'] for o in s3.list_objects(Bucket='lvs').get('Contents', [])]
r['not_empty'] = client_error(s3.delete_bucket, Bucket='lvs')
out(r)
`);
    const ids = r['ids'] as Record<string, string[]>;
    const newest = (key: string) => [...(ids[key] ?? [])].reverse();
    assert.deepEqual(r['versions'], [
      ...newest('a').map((id, i) => ['a', id, i === 0]),
      ...newest('b').map((id, i) => ['b', id, i === 0]),
      ['c', ids['c']?.[0], false],
      ['dir/x', ids['dir/x']?.[0], true],
    ]);
    assert.deepEqual(r['markers'], [['c', ids['c']?.[1], true]]);
    const order = ['a', 'b', 'c', 'dir/x'].flatMap((key) => newest(key).map((id) => `${key}@${id}`));
    const paged = r['paged'] as string[][];
    assert.ok(paged.every((page) => page.length <= 2));
    // Within a page boto3 splits versions from markers; across pages the order is S3's.
    assert.deepEqual(paged.flat().sort(), [...order].sort());
    assert.deepEqual(paged.map((p) => [...p].sort()), chunk(order, 2).map((p) => [...p].sort()));
    assert.deepEqual(r['first'], [true, 'a', ids['a']?.[1]]);
    assert.deepEqual(r['prefixes'], ['dir/']);
    assert.deepEqual(r['current'], ['a', 'b', 'dir/x']);
    assertBotoError(r['not_empty'], 'BucketNotEmpty', 409, 'versions left');
  });

  it('a suspended bucket overwrites the "null" version and keeps the real ones; old bytes go only when their version is deleted', async () => {
    const r = await boto<Record<string, unknown>>(server, `
r = {}
s3.create_bucket(Bucket='sus')
s3.put_bucket_versioning(Bucket='sus', VersioningConfiguration={'Status': 'Enabled'})
real = s3.put_object(Bucket='sus', Key='k', Body=b'real' * 30000)['VersionId']
s3.put_bucket_versioning(Bucket='sus', VersioningConfiguration={'Status': 'Suspended'})
r['put1'] = s3.put_object(Bucket='sus', Key='k', Body=b'n1' * 40000).get('VersionId')
r['put2'] = s3.put_object(Bucket='sus', Key='k', Body=b'n2' * 40000).get('VersionId')
r['versions'] = [(x['VersionId'] == real, x['IsLatest']) for x in s3.list_object_versions(Bucket='sus')['Versions']]
r['null'] = s3.get_object(Bucket='sus', Key='k', VersionId='null')['Body'].read()[:2].decode()
d = s3.delete_object(Bucket='sus', Key='k')
r['marker'] = (d.get('DeleteMarker'), d.get('VersionId'))
r['real'] = len(s3.get_object(Bucket='sus', Key='k', VersionId=real)['Body'].read())
out(r)
`);
    assert.equal(r['put1'], 'null');
    assert.equal(r['put2'], 'null');
    assert.deepEqual(r['versions'], [[false, true], [true, false]]);
    assert.equal(r['null'], 'n2');
    assert.deepEqual(r['marker'], [true, 'null']);
    assert.equal(r['real'], 120000);
    // Two files: the real version and nothing else (n1 was overwritten, n2 replaced by the null marker).
    const state = readDiskState(server.dataDir);
    const sus = state.versions.filter((v) => v.bucket === 'sus');
    assert.deepEqual(sus.map((v) => [v.versionId, v.deleteMarker]), [[null, true], [sus[1]?.versionId, false]]);
    noProblems();
  });

  it('copy from a version (x-amz-copy-source-version-id), DeleteObjects by VersionId, multipart completion and POST make versions', async () => {
    const r = await boto<Record<string, unknown>>(server, `
r = {}
s3.create_bucket(Bucket='cpy')
s3.put_bucket_versioning(Bucket='cpy', VersioningConfiguration={'Status': 'Enabled'})
v1 = s3.put_object(Bucket='cpy', Key='src', Body=b'first')['VersionId']
s3.put_object(Bucket='cpy', Key='src', Body=b'second')
c = s3.copy_object(Bucket='cpy', Key='src', CopySource={'Bucket': 'cpy', 'Key': 'src', 'VersionId': v1})
r['copy'] = (c.get('CopySourceVersionId') == v1, bool(c.get('VersionId')) and c.get('VersionId') != v1)
r['restored'] = s3.get_object(Bucket='cpy', Key='src')['Body'].read().decode()
r['copy_missing'] = client_error(s3.copy_object, Bucket='cpy', Key='dst', CopySource={'Bucket': 'cpy', 'Key': 'src', 'VersionId': 'C' * 24})
r['copy_invalid'] = client_error(s3.copy_object, Bucket='cpy', Key='dst', CopySource={'Bucket': 'cpy', 'Key': 'src', 'VersionId': 'bad'})
mp = s3.create_multipart_upload(Bucket='cpy', Key='mp')
part = s3.upload_part(Bucket='cpy', Key='mp', UploadId=mp['UploadId'], PartNumber=1, Body=b'm' * 100)
done = s3.complete_multipart_upload(Bucket='cpy', Key='mp', UploadId=mp['UploadId'], MultipartUpload={'Parts': [{'ETag': part['ETag'], 'PartNumber': 1}]})
r['mp_version'] = bool(done.get('VersionId'))
post = s3.generate_presigned_post('cpy', 'posted')
import urllib.request, uuid
boundary = uuid.uuid4().hex
body = b''.join(f'--{boundary}\\r\\nContent-Disposition: form-data; name="{k}"\\r\\n\\r\\n{v}\\r\\n'.encode() for k, v in post['fields'].items())
body += f'--{boundary}\\r\\nContent-Disposition: form-data; name="file"; filename="f"\\r\\n\\r\\n'.encode() + b'posted!' + f'\\r\\n--{boundary}--\\r\\n'.encode()
req = urllib.request.Request(post['url'], data=body, headers={'Content-Type': f'multipart/form-data; boundary={boundary}'})
with urllib.request.urlopen(req) as resp:
    r['post_version'] = bool(resp.headers.get('x-amz-version-id')) and resp.headers.get('x-amz-version-id') != 'null'
listed = s3.list_object_versions(Bucket='cpy', Prefix='src')['Versions']
multi = s3.delete_objects(Bucket='cpy', Delete={'Objects': [{'Key': 'src', 'VersionId': v['VersionId']} for v in listed] + [{'Key': 'mp'}]})
r['multi'] = sorted((d['Key'], d.get('DeleteMarker', False)) for d in multi['Deleted'])
r['multi_errors'] = multi.get('Errors', [])
r['left'] = [(x['Key']) for x in s3.list_object_versions(Bucket='cpy').get('Versions', [])]
r['left_markers'] = [(x['Key']) for x in s3.list_object_versions(Bucket='cpy').get('DeleteMarkers', [])]
out(r)
`);
    assert.deepEqual(r['copy'], [true, true]);
    assert.equal(r['restored'], 'first');
    assertBotoError(r['copy_missing'], 'NoSuchVersion', 404, 'copy of a missing version');
    assertBotoError(r['copy_invalid'], 'InvalidArgument', 400, 'copy of a malformed version');
    assert.equal(r['mp_version'], true);
    assert.equal(r['post_version'], true);
    assert.deepEqual(r['multi'], [['mp', true], ['src', false], ['src', false], ['src', false]]);
    assert.deepEqual(r['multi_errors'], []);
    assert.deepEqual(r['left'], ['mp', 'posted']);
    assert.deepEqual(r['left_markers'], ['mp']);
    noProblems();
  });

  it('the version actions are enforced: without them every version form is AccessDenied and nothing changes on disk', async () => {
    await boto(server, `
s3.create_bucket(Bucket='perm')
s3.put_bucket_versioning(Bucket='perm', VersioningConfiguration={'Status': 'Enabled'})
out(s3.put_object(Bucket='perm', Key='k', Body=b'x')['VersionId'])
`);
    const before = fingerprint(readDiskState(server.dataDir));
    const r = await boto<Record<string, unknown>>(server, `
r = {}
v = args
r['get'] = s3.get_object(Bucket='perm', Key='k')['Body'].read().decode()
r['put_versioning'] = client_error(s3.put_bucket_versioning, Bucket='perm', VersioningConfiguration={'Status': 'Suspended'})
r['get_versioning'] = client_error(s3.get_bucket_versioning, Bucket='perm')
r['list_versions'] = client_error(s3.list_object_versions, Bucket='perm')
r['get_version'] = client_error(s3.get_object, Bucket='perm', Key='k', VersionId=v)
r['delete_version'] = client_error(s3.delete_object, Bucket='perm', Key='k', VersionId=v)
r['copy_version'] = client_error(s3.copy_object, Bucket='perm', Key='k2', CopySource={'Bucket': 'perm', 'Key': 'k', 'VersionId': v})
multi = s3.delete_objects(Bucket='perm', Delete={'Objects': [{'Key': 'k', 'VersionId': v}]})
r['multi'] = [(e['Key'], e['Code']) for e in multi.get('Errors', [])]
out(r)
`, (await boto<string>(server, `out(s3.list_object_versions(Bucket='perm')['Versions'][0]['VersionId'])`)), noVersionActions);
    assert.equal(r['get'], 'x');
    for (const name of ['put_versioning', 'get_versioning', 'list_versions', 'get_version', 'delete_version', 'copy_version']) {
      assertBotoError(r[name], 'AccessDenied', 403, name);
    }
    assert.deepEqual(r['multi'], [['k', 'AccessDenied']]);
    assert.equal(fingerprint(readDiskState(server.dataDir)), before);
  });
});

describe('bucket versioning with the aws CLI and the JS SDK', () => {
  it('aws s3api: put-bucket-versioning, put-object, list-object-versions, get-object --version-id, delete-object', async () => {
    const api = async (args: string[]) => {
      const result = await aws(server, ['s3api', ...args, '--output', 'json']);
      assert.equal(result.code, 0, result.stderr);
      return (result.stdout.trim() === '' ? {} : JSON.parse(result.stdout)) as Record<string, unknown>;
    };
    await api(['create-bucket', '--bucket', 'cli']);
    await api(['put-bucket-versioning', '--bucket', 'cli', '--versioning-configuration', 'Status=Enabled']);
    assert.equal((await api(['get-bucket-versioning', '--bucket', 'cli']))['Status'], 'Enabled');
    const body = `${server.dataDir}/../cli-body.txt`;
    await (await import('node:fs/promises')).writeFile(body, 'cli one');
    const v1 = (await api(['put-object', '--bucket', 'cli', '--key', 'k', '--body', body]))['VersionId'] as string;
    await (await import('node:fs/promises')).writeFile(body, 'cli two');
    const v2 = (await api(['put-object', '--bucket', 'cli', '--key', 'k', '--body', body]))['VersionId'] as string;
    const listed = await api(['list-object-versions', '--bucket', 'cli']);
    assert.deepEqual((listed['Versions'] as Array<{ VersionId: string }>).map((v) => v.VersionId), [v2, v1]);
    const out = `${server.dataDir}/../cli-out.txt`;
    await api(['get-object', '--bucket', 'cli', '--key', 'k', '--version-id', v1, out]);
    assert.equal(await (await import('node:fs/promises')).readFile(out, 'utf8'), 'cli one');
    const marker = await api(['delete-object', '--bucket', 'cli', '--key', 'k']);
    assert.equal(marker['DeleteMarker'], true);
    const bad = await aws(server, ['s3api', 'get-object', '--bucket', 'cli', '--key', 'k', '--version-id', 'zzz', out]);
    assert.equal(cliErrorCode(bad), 'InvalidArgument');
    const before = fingerprint(readDiskState(server.dataDir));
    const illegal = await aws(server, ['s3api', 'put-bucket-versioning', '--bucket', 'cli', '--versioning-configuration', 'Status=Off']);
    assert.equal(cliErrorCode(illegal), 'IllegalVersioningConfigurationException');
    assert.equal(fingerprint(readDiskState(server.dataDir)), before);
  });

  it('AWS SDK for JS v3: versions, delete marker, GetObject by VersionId, CopyObject from a version', async () => {
    const s3 = s3Client(server);
    await s3.send(new (await import('@aws-sdk/client-s3')).CreateBucketCommand({ Bucket: 'sdk' }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: 'sdk', VersioningConfiguration: { Status: 'Enabled' } }));
    assert.equal((await s3.send(new GetBucketVersioningCommand({ Bucket: 'sdk' }))).Status, 'Enabled');
    const v1 = (await s3.send(new PutObjectCommand({ Bucket: 'sdk', Key: 'k', Body: 'js one' }))).VersionId;
    const v2 = (await s3.send(new PutObjectCommand({ Bucket: 'sdk', Key: 'k', Body: 'js two' }))).VersionId;
    assert.ok(v1 && v2 && v1 !== v2);
    const old = await s3.send(new GetObjectCommand({ Bucket: 'sdk', Key: 'k', VersionId: v1 }));
    assert.equal(await old.Body?.transformToString(), 'js one');
    assert.equal(old.VersionId, v1);
    const marker = await s3.send(new DeleteObjectCommand({ Bucket: 'sdk', Key: 'k' }));
    assert.equal(marker.DeleteMarker, true);
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: 'sdk', Key: 'k' })), (e: unknown) => e instanceof S3ServiceException && e.name === 'NoSuchKey' && e.$metadata.httpStatusCode === 404);
    const copied = await s3.send(new CopyObjectCommand({ Bucket: 'sdk', Key: 'k', CopySource: `sdk/k?versionId=${v1}` }));
    assert.equal(copied.CopySourceVersionId, v1);
    const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: 'sdk' }));
    assert.deepEqual(listed.Versions?.map((v) => [v.VersionId === copied.VersionId, v.IsLatest]), [[true, true], [false, false], [false, false]]);
    assert.deepEqual(listed.DeleteMarkers?.map((m) => [m.VersionId, m.IsLatest]), [[marker.VersionId, false]]);
    assert.equal(await (await s3.send(new GetObjectCommand({ Bucket: 'sdk', Key: 'k' }))).Body?.transformToString(), 'js one');

    // The SDK sorts entries into two lists; S3's XML keeps one key's versions and markers interleaved, newest first.
    const raw = await signedRequest(server, { method: 'GET', path: '/sdk?versions' });
    assert.equal(raw.status, 200);
    const order = [...raw.body.toString().matchAll(/<(Version|DeleteMarker)><Key>k<\/Key><VersionId>([^<]+)<\/VersionId>/g)].map((m) => [m[1], m[2]]);
    assert.deepEqual(order, [['Version', copied.VersionId], ['DeleteMarker', marker.VersionId], ['Version', v2], ['Version', v1]]);
  });
});

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
