import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { policyDocument, userWithPolicies } from '../helpers/admin-client.js';
import { assertBotoError, boto } from '../helpers/admin-boto.js';
import type { TestCredentials } from '../helpers/clients.js';
import { fingerprint, readDiskState } from '../helpers/disk-state.js';
import { parseS3Error, signedRequest } from '../helpers/e2e-http.js';
import { startServer, type TestServer } from '../helpers/server.js';

/*
 * Small answers that trip clients: ListBuckets paging, a LocationConstraint
 * naming the server's region, object ownership (fixed at BucketOwnerEnforced),
 * the validators on a 304, and an empty continuation-token.
 */

let server: TestServer;
let reader: TestCredentials;

before(async () => {
  server = await startServer();
  await boto(server, `
for name in ['pg-a1', 'pg-a2', 'pg-a3', 'pg-b1', 'pg-b2']:
    s3.create_bucket(Bucket=name)
s3.put_object(Bucket='pg-a1', Key='doc.txt', Body=b'hello')
out(True)
`);
  reader = (await userWithPolicies(server, 'object-reader', {
    read: policyDocument({ Effect: 'Allow', Action: ['s3:GetObject', 's3:ListAllMyBuckets'], Resource: '*' }),
  })).credentials;
});
after(async () => {
  await server?.stop();
});

describe('ListBuckets paging', () => {
  it('boto3 pages with MaxBuckets and ContinuationToken, filters by Prefix and BucketRegion', async () => {
    const r = await boto<Record<string, unknown>>(server, `
pages = []
kw = {'MaxBuckets': 2, 'Prefix': 'pg-'}
while True:
    page = s3.list_buckets(**kw)
    pages.append({'names': [b['Name'] for b in page['Buckets']], 'token': page.get('ContinuationToken'), 'prefix': page.get('Prefix')})
    if not page.get('ContinuationToken'):
        break
    kw['ContinuationToken'] = page['ContinuationToken']
r = {'pages': pages}
r['prefix_b'] = [b['Name'] for b in s3.list_buckets(Prefix='pg-b')['Buckets']]
r['region'] = [b['Name'] for b in s3.list_buckets(BucketRegion='us-east-1', Prefix='pg-a')['Buckets']]
r['other_region'] = s3.list_buckets(BucketRegion='eu-west-1')['Buckets']
r['all'] = [b['Name'] for b in s3.list_buckets()['Buckets']]
r['all_token'] = s3.list_buckets().get('ContinuationToken')
out(r)
`);
    const pages = r['pages'] as { names: string[]; token: string | null; prefix: string }[];
    assert.deepEqual(pages.map((p) => p.names), [['pg-a1', 'pg-a2'], ['pg-a3', 'pg-b1'], ['pg-b2']]);
    assert.ok(pages[0]!.token && pages[1]!.token);
    assert.equal(pages[2]!.token, null);
    assert.deepEqual(pages.map((p) => p.prefix), ['pg-', 'pg-', 'pg-']);
    assert.deepEqual(r['prefix_b'], ['pg-b1', 'pg-b2']);
    assert.deepEqual(r['region'], ['pg-a1', 'pg-a2', 'pg-a3']);
    assert.deepEqual(r['other_region'], []);
    assert.deepEqual(r['all'], ['pg-a1', 'pg-a2', 'pg-a3', 'pg-b1', 'pg-b2']);
    assert.equal(r['all_token'], null);
  });

  it('an out-of-range max-buckets or a token this server did not make is InvalidArgument', async () => {
    for (const query of ['max-buckets=0', 'max-buckets=10001', 'max-buckets=abc', 'continuation-token=bm90LW91cnM']) {
      const res = await signedRequest(server, { method: 'GET', path: `/?${query}` });
      assert.equal(res.status, 400, query);
      assert.equal(parseS3Error(res.body).code, 'InvalidArgument', query);
    }
  });
});

describe('CreateBucket LocationConstraint', () => {
  it('in us-east-1, naming us-east-1 is InvalidLocationConstraint and another region IllegalLocationConstraintException; no bucket is made', async () => {
    const before = fingerprint(readDiskState(server.dataDir));
    const r = await boto<Record<string, unknown>>(server, `
out({
  'us_east_1': client_error(s3.create_bucket, Bucket='lc-east', CreateBucketConfiguration={'LocationConstraint': 'us-east-1'}),
  'other': client_error(s3.create_bucket, Bucket='lc-other', CreateBucketConfiguration={'LocationConstraint': 'eu-west-1'}),
  'heads': [client_error(s3.head_bucket, Bucket=b) for b in ['lc-east', 'lc-other']],
})
`);
    assertBotoError(r['us_east_1'], 'InvalidLocationConstraint', 400, 'us-east-1');
    assertBotoError(r['other'], 'IllegalLocationConstraintException', 400, 'eu-west-1');
    for (const head of r['heads'] as unknown[]) assertBotoError(head, '404', 404, 'head');
    assert.equal(fingerprint(readDiskState(server.dataDir)), before);
  });

  it("elsewhere, naming the server's own region succeeds and GetBucketLocation reports it", async () => {
    const eu = await startServer({ args: ['--region', 'eu-west-1', '--no-console'] });
    try {
      const r = await boto<Record<string, unknown>>(eu, `
s3 = session.client('s3', endpoint_url=endpoint, region_name='eu-west-1', config=Config(s3={'addressing_style': 'path'}, retries={'max_attempts': 1}))
s3.create_bucket(Bucket='lc-eu', CreateBucketConfiguration={'LocationConstraint': 'eu-west-1'})
out({
  'location': s3.get_bucket_location(Bucket='lc-eu')['LocationConstraint'],
  'mismatch': client_error(s3.create_bucket, Bucket='lc-us', CreateBucketConfiguration={'LocationConstraint': 'us-west-2'}),
})
`);
      assert.equal(r['location'], 'eu-west-1');
      assertBotoError(r['mismatch'], 'IllegalLocationConstraintException', 400, 'mismatch');
    } finally {
      await eu.stop();
    }
  });
});

describe('object ownership is BucketOwnerEnforced', () => {
  it('boto3 reads it, may set it to itself, and creates a bucket that asks for it', async () => {
    const r = await boto<Record<string, unknown>>(server, `
r = {}
r['get'] = s3.get_bucket_ownership_controls(Bucket='pg-a1')['OwnershipControls']
r['put'] = s3.put_bucket_ownership_controls(Bucket='pg-a1', OwnershipControls={'Rules': [{'ObjectOwnership': 'BucketOwnerEnforced'}]})['ResponseMetadata']['HTTPStatusCode']
s3.create_bucket(Bucket='owner-enforced', ObjectOwnership='BucketOwnerEnforced')
r['created'] = s3.get_bucket_ownership_controls(Bucket='owner-enforced')['OwnershipControls']
out(r)
`);
    const enforced = { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] };
    assert.deepEqual(r['get'], enforced);
    assert.equal(r['put'], 200);
    assert.deepEqual(r['created'], enforced);
  });

  it('ACL-based ownership, removing the controls, a missing bucket and a caller without the permission are refused; nothing changes', async () => {
    const before = fingerprint(readDiskState(server.dataDir));
    const r = await boto<Record<string, unknown>>(server, `
out({
  'put_writer': client_error(s3.put_bucket_ownership_controls, Bucket='pg-a1', OwnershipControls={'Rules': [{'ObjectOwnership': 'ObjectWriter'}]}),
  'put_preferred': client_error(s3.put_bucket_ownership_controls, Bucket='pg-a1', OwnershipControls={'Rules': [{'ObjectOwnership': 'BucketOwnerPreferred'}]}),
  'delete': client_error(s3.delete_bucket_ownership_controls, Bucket='pg-a1'),
  'create_writer': client_error(s3.create_bucket, Bucket='owner-writer', ObjectOwnership='ObjectWriter'),
  'head_writer': client_error(s3.head_bucket, Bucket='owner-writer'),
  'missing': client_error(s3.get_bucket_ownership_controls, Bucket='no-such-bucket-here'),
})
`);
    assertBotoError(r['put_writer'], 'NotImplemented', 501, 'ObjectWriter');
    assertBotoError(r['put_preferred'], 'NotImplemented', 501, 'BucketOwnerPreferred');
    assertBotoError(r['delete'], 'NotImplemented', 501, 'delete');
    assertBotoError(r['create_writer'], 'NotImplemented', 501, 'create ObjectWriter');
    assertBotoError(r['head_writer'], '404', 404, 'no bucket made');
    assertBotoError(r['missing'], 'NoSuchBucket', 404, 'missing');
    const denied = await boto<Record<string, unknown>>(server, `
out({
  'get': client_error(s3.get_bucket_ownership_controls, Bucket='pg-a1'),
  'put': client_error(s3.put_bucket_ownership_controls, Bucket='pg-a1', OwnershipControls={'Rules': [{'ObjectOwnership': 'BucketOwnerEnforced'}]}),
})
`, null, reader);
    assertBotoError(denied['get'], 'AccessDenied', 403, 'reader get');
    assertBotoError(denied['put'], 'AccessDenied', 403, 'reader put');
    assert.equal(fingerprint(readDiskState(server.dataDir)), before);
  });
});

describe('validators and empty tokens', () => {
  it('a 304 carries ETag and Last-Modified and no body or content type', async () => {
    const r = await boto<Record<string, { code: string; status: number; headers: Record<string, string> } | string>>(server, `
head = s3.head_object(Bucket='pg-a1', Key='doc.txt')
out({
  'etag': head['ETag'],
  'last_modified': head['ResponseMetadata']['HTTPHeaders']['last-modified'],
  'get': client_error(s3.get_object, Bucket='pg-a1', Key='doc.txt', IfNoneMatch=head['ETag']),
  'head': client_error(s3.head_object, Bucket='pg-a1', Key='doc.txt', IfModifiedSince=head['LastModified']),
})
`);
    for (const name of ['get', 'head'] as const) {
      const error = r[name] as { status: number; headers: Record<string, string> };
      assert.equal(error.status, 304, name);
      assert.equal(error.headers['etag'], r['etag'], name);
      assert.equal(error.headers['last-modified'], r['last_modified'], name);
      assert.equal(error.headers['content-type'], undefined, name);
    }
  });

  it('ListObjectsV2 with an empty continuation-token lists from the start', async () => {
    const res = await signedRequest(server, { method: 'GET', path: '/pg-a1?list-type=2&continuation-token=' });
    assert.equal(res.status, 200);
    const text = res.body.toString();
    assert.match(text, /<Key>doc\.txt<\/Key>/);
    assert.doesNotMatch(text, /<ContinuationToken>/);
  });
});
