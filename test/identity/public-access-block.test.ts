import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { policyDocument, userWithPolicies } from '../helpers/admin-client.js';
import { assertBotoError, boto } from '../helpers/admin-boto.js';
import { aws, type TestCredentials } from '../helpers/clients.js';
import { cliErrorCode, curl } from '../helpers/e2e-clients.js';
import { parseS3Error, signedRequest } from '../helpers/e2e-http.js';
import { startServer, type TestServer } from '../helpers/server.js';

let server: TestServer;

const publicRead = (bucket: string): string => JSON.stringify(policyDocument(
  { Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/*` },
));

before(async () => {
  server = await startServer({ args: ['--no-console'] });
  await boto(server, `
for b in ['pab', 'blocked', 'leaky']:
    s3.create_bucket(Bucket=b)
s3.put_object(Bucket='leaky', Key='page.html', Body=b'<p>hello</p>')
s3.put_bucket_policy(Bucket='leaky', Policy=args)
out(True)
`, publicRead('leaky'));
});
after(async () => {
  await server?.stop();
});

const ALL_ON = "{'BlockPublicAcls': True, 'IgnorePublicAcls': True, 'BlockPublicPolicy': True, 'RestrictPublicBuckets': True}";

describe('Put/Get/DeletePublicAccessBlock', () => {
  it('none until put; an element left out reads back false; delete answers 204 and forgets it', async () => {
    const r = await boto<Record<string, unknown>>(server, `
r = {'none': client_error(s3.get_public_access_block, Bucket='pab')}
put = s3.put_public_access_block(Bucket='pab', PublicAccessBlockConfiguration=${ALL_ON})
r['put_status'] = put['ResponseMetadata']['HTTPStatusCode']
r['all'] = s3.get_public_access_block(Bucket='pab')['PublicAccessBlockConfiguration']
s3.put_public_access_block(Bucket='pab', PublicAccessBlockConfiguration={'RestrictPublicBuckets': True})
r['one'] = s3.get_public_access_block(Bucket='pab')['PublicAccessBlockConfiguration']
r['delete_status'] = s3.delete_public_access_block(Bucket='pab')['ResponseMetadata']['HTTPStatusCode']
r['after'] = client_error(s3.get_public_access_block, Bucket='pab')
r['delete_again'] = s3.delete_public_access_block(Bucket='pab')['ResponseMetadata']['HTTPStatusCode']
r['no_bucket'] = client_error(s3.put_public_access_block, Bucket='no-such-bucket-pab', PublicAccessBlockConfiguration=${ALL_ON})
r['no_bucket_get'] = client_error(s3.get_public_access_block, Bucket='no-such-bucket-pab')
out(r)
`);
    assertBotoError(r['none'], 'NoSuchPublicAccessBlockConfiguration', 404);
    assert.equal(r['put_status'], 200);
    assert.deepEqual(r['all'], { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
    assert.deepEqual(r['one'], { BlockPublicAcls: false, IgnorePublicAcls: false, BlockPublicPolicy: false, RestrictPublicBuckets: true });
    assert.equal(r['delete_status'], 204);
    assertBotoError(r['after'], 'NoSuchPublicAccessBlockConfiguration', 404);
    assert.equal(r['delete_again'], 204);
    assertBotoError(r['no_bucket'], 'NoSuchBucket', 404);
    assertBotoError(r['no_bucket_get'], 'NoSuchBucket', 404);
  });

  it('a body that is not the configuration, or a value not a boolean, is MalformedXML and changes nothing', async () => {
    await boto(server, "s3.put_public_access_block(Bucket='pab', PublicAccessBlockConfiguration={'BlockPublicAcls': True}); out(True)");
    for (const body of [
      '<PublicAccessBlockConfiguration><BlockPublicAcls>yes</BlockPublicAcls></PublicAccessBlockConfiguration>',
      '<Other><BlockPublicAcls>true</BlockPublicAcls></Other>',
    ]) {
      const response = await signedRequest(server, { method: 'PUT', path: '/pab?publicAccessBlock', body });
      assert.equal(response.status, 400, body);
      assert.equal(parseS3Error(response.body).code, 'MalformedXML', body);
    }
    const stored = await boto<unknown>(server, "out(s3.get_public_access_block(Bucket='pab')['PublicAccessBlockConfiguration'])");
    assert.deepEqual(stored, { BlockPublicAcls: true, IgnorePublicAcls: false, BlockPublicPolicy: false, RestrictPublicBuckets: false });
  });

  it('needs s3:PutBucketPublicAccessBlock to put and delete, s3:GetBucketPublicAccessBlock to read', async () => {
    const arn = 'arn:aws:s3:::pab';
    const writer = (await userWithPolicies(server, 'pab-writer', { w: policyDocument({ Effect: 'Allow', Action: 's3:PutBucketPublicAccessBlock', Resource: arn }) })).credentials;
    const reader = (await userWithPolicies(server, 'pab-reader', { r: policyDocument({ Effect: 'Allow', Action: 's3:GetBucketPublicAccessBlock', Resource: arn }) })).credentials;
    const script = `
r = {'put': client_error(s3.put_public_access_block, Bucket='pab', PublicAccessBlockConfiguration={'IgnorePublicAcls': True}),
     'get': client_error(s3.get_public_access_block, Bucket='pab')}
out(r)
`;
    const asWriter = await boto<Record<string, unknown>>(server, script, null, writer);
    assert.equal(asWriter['put'], null);
    assertBotoError(asWriter['get'], 'AccessDenied', 403);
    const asReader = await boto<Record<string, unknown>>(server, `${script.replace('out(r)', '')}
r['delete'] = client_error(s3.delete_public_access_block, Bucket='pab')
out(r)`, null, reader);
    assertBotoError(asReader['put'], 'AccessDenied', 403);
    assert.equal(asReader['get'], null);
    assertBotoError(asReader['delete'], 'AccessDenied', 403);
    const left = await boto<unknown>(server, "out(s3.get_public_access_block(Bucket='pab')['PublicAccessBlockConfiguration'])");
    assert.deepEqual(left, { BlockPublicAcls: false, IgnorePublicAcls: true, BlockPublicPolicy: false, RestrictPublicBuckets: false });
  });
});

describe('BlockPublicPolicy', () => {
  it('refuses a public bucket policy with 403 AccessDenied and stores nothing; a policy that names its principals is accepted', async () => {
    const named = JSON.stringify(policyDocument({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::latchkey:user/amy' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::blocked/*' }));
    const r = await boto<Record<string, unknown>>(server, `
s3.put_public_access_block(Bucket='blocked', PublicAccessBlockConfiguration={'BlockPublicPolicy': True})
r = {'public': client_error(s3.put_bucket_policy, Bucket='blocked', Policy=args['public']),
     'stored': client_error(s3.get_bucket_policy, Bucket='blocked'),
     'named': client_error(s3.put_bucket_policy, Bucket='blocked', Policy=args['named'])}
r['status'] = s3.get_bucket_policy_status(Bucket='blocked')['PolicyStatus']
s3.delete_public_access_block(Bucket='blocked')
r['unblocked'] = client_error(s3.put_bucket_policy, Bucket='blocked', Policy=args['public'])
r['status_after'] = s3.get_bucket_policy_status(Bucket='blocked')['PolicyStatus']
out(r)
`, { public: publicRead('blocked'), named });
    assertBotoError(r['public'], 'AccessDenied', 403);
    assertBotoError(r['stored'], 'NoSuchBucketPolicy', 404);
    assert.equal(r['named'], null);
    assert.deepEqual(r['status'], { IsPublic: false });
    assert.equal(r['unblocked'], null);
    assert.deepEqual(r['status_after'], { IsPublic: true });
  });

  it('aws CLI: put-bucket-policy of a public policy fails with AccessDenied', async () => {
    await boto(server, "s3.create_bucket(Bucket='blocked-cli'); s3.put_public_access_block(Bucket='blocked-cli', PublicAccessBlockConfiguration={'BlockPublicPolicy': True}); out(True)");
    const put = await aws(server, ['s3api', 'put-bucket-policy', '--bucket', 'blocked-cli', '--policy', publicRead('blocked-cli')]);
    assert.notEqual(put.code, 0);
    assert.equal(cliErrorCode(put), 'AccessDenied');
    const get = await aws(server, ['s3api', 'get-bucket-policy', '--bucket', 'blocked-cli']);
    assert.equal(cliErrorCode(get), 'NoSuchBucketPolicy');
  });
});

describe('RestrictPublicBuckets', () => {
  it('an anonymous GET that a public policy allowed gets 403 AccessDenied once set, and works again once deleted; signed callers keep access', async () => {
    const url = `${server.endpoint}/leaky/page.html`;
    const open = await curl(url);
    assert.equal(open.status, 200);
    assert.equal(open.body, '<p>hello</p>');
    assert.deepEqual(JSON.parse((await aws(server, ['s3api', 'get-bucket-policy-status', '--bucket', 'leaky'])).stdout), { PolicyStatus: { IsPublic: true } });

    const put = await aws(server, ['s3api', 'put-public-access-block', '--bucket', 'leaky', '--public-access-block-configuration', 'RestrictPublicBuckets=true']);
    assert.equal(put.code, 0, put.stderr);
    const got = await aws(server, ['s3api', 'get-public-access-block', '--bucket', 'leaky']);
    assert.deepEqual(JSON.parse(got.stdout), {
      PublicAccessBlockConfiguration: { BlockPublicAcls: false, IgnorePublicAcls: false, BlockPublicPolicy: false, RestrictPublicBuckets: true },
    });
    const closed = await curl(url);
    assert.equal(closed.status, 403);
    assert.match(closed.body, /<Code>AccessDenied<\/Code>/);
    // The policy itself is kept; it just no longer makes the bucket public.
    assert.deepEqual(JSON.parse((await aws(server, ['s3api', 'get-bucket-policy-status', '--bucket', 'leaky'])).stdout), { PolicyStatus: { IsPublic: false } });
    assert.equal((JSON.parse((await aws(server, ['s3api', 'get-bucket-policy', '--bucket', 'leaky'])).stdout) as { Policy: string }).Policy, publicRead('leaky'));

    // A user of this account signing (or handing out a link) still reads.
    const reader: TestCredentials = (await userWithPolicies(server, 'leaky-reader', {
      r: policyDocument({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::leaky/*' }),
    })).credentials;
    const link = await boto<string>(server, "out(s3v4.generate_presigned_url('get_object', Params={'Bucket': 'leaky', 'Key': 'page.html'}, ExpiresIn=300))", null, reader);
    const viaLink = await curl(link);
    assert.equal(viaLink.status, 200);
    assert.equal(viaLink.body, '<p>hello</p>');

    const deleted = await aws(server, ['s3api', 'delete-public-access-block', '--bucket', 'leaky']);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal((await curl(url)).status, 200);
  });
});
