import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { nodeCrypto } from '../../src/sigv4/node-crypto.js';
import { presign } from '../../src/sigv4/sign.js';
import { userWithPolicies } from '../helpers/admin-client.js';
import { assertBotoError, boto } from '../helpers/admin-boto.js';
import { parseS3Error, signedRequest } from '../helpers/e2e-http.js';
import { ROOT_CREDENTIALS, startServer, type TestServer } from '../helpers/server.js';

const MINUTE = 60_000;

let server: TestServer;

function bucketPolicy(...statements: object[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

const publicRead = (bucket: string) => ({ Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/*` });

interface PolicyOutcome {
  readonly put: unknown;
  readonly policy?: string;
  readonly status?: { IsPublic: boolean };
}

/**
 * PutBucketPolicy for each policy in turn (then GetBucketPolicy and
 * GetBucketPolicyStatus when it was accepted), as root, in one boto3 run;
 * `final` is GetBucketPolicy's answer after the last one.
 */
async function putEach(bucket: string, policies: readonly string[]): Promise<{ outcomes: PolicyOutcome[]; final: string | null }> {
  return boto(
    server,
    `
outcomes = []
for policy in args['policies']:
    r = {'put': client_error(s3.put_bucket_policy, Bucket=args['bucket'], Policy=policy)}
    if r['put'] is None:
        r['policy'] = s3.get_bucket_policy(Bucket=args['bucket'])['Policy']
        r['status'] = s3.get_bucket_policy_status(Bucket=args['bucket'])['PolicyStatus']
    outcomes.append(r)
final = None if client_error(s3.get_bucket_policy, Bucket=args['bucket']) else s3.get_bucket_policy(Bucket=args['bucket'])['Policy']
out({'outcomes': outcomes, 'final': final})
`,
    { bucket, policies },
  );
}

async function putAndRead(bucket: string, policy: string): Promise<PolicyOutcome> {
  const { outcomes } = await putEach(bucket, [policy]);
  assert.ok(outcomes[0]);
  return outcomes[0];
}

/** DeleteBucketPolicy with our signer (boto3's is exercised in the public-read test). */
async function deletePolicy(bucket: string): Promise<void> {
  const response = await signedRequest(server, { method: 'DELETE', path: `/${bucket}?policy` });
  assert.equal(response.status, 204, response.body.toString());
}

/** PutBucketPolicy with our signer, where boto3's start-up time is not worth it. */
async function quickPut(bucket: string, policy: string): Promise<void> {
  const response = await signedRequest(server, { method: 'PUT', path: `/${bucket}?policy`, body: policy });
  assert.equal(response.status, 204, response.body.toString());
}

/** An unsigned request, as a browser or curl would make it. */
async function plain(path: string, init: RequestInit = {}): Promise<{ status: number; text: string; code: string | undefined }> {
  const response = await fetch(`${server.endpoint}${path}`, init);
  const text = await response.text();
  return { status: response.status, text, code: response.status >= 300 ? parseS3Error(text).code : undefined };
}

function rootUrl(path: string, now = Date.now()): string {
  return presign({ method: 'GET', url: `${server.endpoint}${path}`, credentials: ROOT_CREDENTIALS, region: server.region, now, expiresIn: 3600, crypto: nodeCrypto }).url;
}

before(async () => {
  server = await startServer();
  await boto(
    server,
    `
for b in ['pub', 'aged', 'nolinks', 'iponly']:
    s3.create_bucket(Bucket=b)
    s3.put_object(Bucket=b, Key='a.txt', Body=b'hello ' + b.encode())
out(True)
`,
  );
});
after(async () => {
  await server?.stop();
});

describe('bucket policies: public read', () => {
  it('a "*" GetObject policy makes objects public, and nothing else', async () => {
    assert.equal((await plain('/pub/a.txt')).code, 'AccessDenied', 'private before any policy');
    const policy = bucketPolicy(publicRead('pub'));
    const r = await putAndRead('pub', policy);
    assert.equal(r.put, null, JSON.stringify(r.put));
    assert.deepEqual(JSON.parse(r.policy ?? ''), JSON.parse(policy));
    assert.deepEqual(r.status, { IsPublic: true });

    const got = await plain('/pub/a.txt');
    assert.equal(got.status, 200, got.text);
    assert.equal(got.text, 'hello pub');
    // Listing, writing, deleting and the other buckets stay private.
    assert.deepEqual(await plainCodes(['/pub', '/pub?list-type=2', '/', '/aged/a.txt']), Array(4).fill('AccessDenied'));
    assert.equal((await plain('/pub/new.txt', { method: 'PUT', body: 'x' })).code, 'AccessDenied');
    assert.equal((await plain('/pub/a.txt', { method: 'DELETE' })).code, 'AccessDenied');
    assert.equal((await plain('/pub/a.txt')).text, 'hello pub');

    const after = await boto<Record<string, unknown>>(
      server,
      `
s3.delete_bucket_policy(Bucket='pub')
out({'get': client_error(s3.get_bucket_policy, Bucket='pub'), 'status': client_error(s3.get_bucket_policy_status, Bucket='pub'),
     'delete_again': client_error(s3.delete_bucket_policy, Bucket='pub'), 'no_bucket': client_error(s3.get_bucket_policy, Bucket='nosuchbucket')})
`,
    );
    assertBotoError(after['get'], 'NoSuchBucketPolicy', 404, 'GetBucketPolicy after delete');
    assertBotoError(after['status'], 'NoSuchBucketPolicy', 404, 'GetBucketPolicyStatus after delete');
    assert.equal(after['delete_again'], null, 'DeleteBucketPolicy without a policy succeeds, as on AWS');
    assertBotoError(after['no_bucket'], 'NoSuchBucket', 404, 'GetBucketPolicy on a missing bucket');
    assert.equal((await plain('/pub/a.txt')).code, 'AccessDenied', 'private again once the policy is gone');
  });

  it('GetBucketPolicyStatus says IsPublic false for policies that do not reach everyone', async () => {
    const notPublic = [
      bucketPolicy({ ...publicRead('pub'), Principal: { AWS: 'arn:aws:iam::latchkey:user/someone' } }),
      bucketPolicy({ ...publicRead('pub'), Condition: { IpAddress: { 'aws:SourceIp': '127.0.0.1/32' } } }),
      bucketPolicy({ ...publicRead('pub'), Effect: 'Deny' }),
    ];
    const open = bucketPolicy({ ...publicRead('pub'), Condition: { IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } } });
    const { outcomes } = await putEach('pub', [...notPublic, open]);
    assert.deepEqual(
      outcomes.map((o) => o.status),
      [{ IsPublic: false }, { IsPublic: false }, { IsPublic: false }, { IsPublic: true }],
    );
    await deletePolicy('pub');
  });

  it('refuses malformed policies with MalformedPolicy and keeps the one in force', async () => {
    const kept = bucketPolicy(publicRead('pub'));
    const malformed = [
      '{"Version": "2012-10-17", "Statement": [',
      'not json at all',
      bucketPolicy({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::pub/*' }),
      bucketPolicy({ ...publicRead('pub'), Resource: 'pub/*' }),
      bucketPolicy({ ...publicRead('pub'), Action: 'iam:CreateUser' }),
      bucketPolicy({ ...publicRead('pub'), Effect: 'Perhaps' }),
      // A bucket's policy may only name that bucket's resources.
      bucketPolicy({ ...publicRead('pub'), Resource: 'arn:aws:s3:::other-bucket/*' }),
    ];
    const { outcomes, final } = await putEach('pub', [kept, ...malformed]);
    assert.equal(outcomes[0]?.put, null);
    malformed.forEach((policy, i) => assertBotoError(outcomes[i + 1]?.put, 'MalformedPolicy', 400, policy));
    assert.deepEqual(JSON.parse(final ?? ''), JSON.parse(kept));
    assert.equal((await plain('/pub/a.txt')).status, 200);
    await deletePolicy('pub');
  });

  it('a user named by a bucket policy gets access without any identity policy', async () => {
    const guest = await userWithPolicies(server, 'guest', {});
    const policy = bucketPolicy({ ...publicRead('pub'), Principal: { AWS: 'arn:aws:iam::latchkey:user/guest' } });
    assert.equal((await putAndRead('pub', policy)).put, null);
    const r = await boto<Record<string, unknown>>(
      server,
      "out({'get': s3.get_object(Bucket='pub', Key='a.txt')['Body'].read().decode(), 'other': client_error(s3.get_object, Bucket='aged', Key='a.txt')})",
      null,
      guest.credentials,
    );
    assert.equal(r['get'], 'hello pub');
    assertBotoError(r['other'], 'AccessDenied', 403, 'a bucket without such a policy');
    assert.equal((await plain('/pub/a.txt')).code, 'AccessDenied', 'anonymous callers are not named');
    await deletePolicy('pub');
  });
});

async function plainCodes(paths: readonly string[]): Promise<Array<string | undefined>> {
  const codes: Array<string | undefined> = [];
  for (const path of paths) codes.push((await plain(path)).code);
  return codes;
}

describe('bucket policies: conditions on how the request was signed', () => {
  it('a Deny on s3:signatureAge refuses a URL signed 11 minutes ago and accepts a fresh one', async () => {
    const policy = bucketPolicy({
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:GetObject',
      Resource: 'arn:aws:s3:::aged/*',
      Condition: { NumericGreaterThan: { 's3:signatureAge': '600000' } },
    });
    await quickPut('aged', policy);
    const old = rootUrl('/aged/a.txt', Date.now() - 11 * MINUTE);
    const recent = rootUrl('/aged/a.txt', Date.now() - 9 * MINUTE);
    const fresh = rootUrl('/aged/a.txt');
    const refused = await fetch(old);
    const refusedText = await refused.text();
    assert.equal(refused.status, 403, refusedText);
    assert.equal(parseS3Error(refusedText).code, 'AccessDenied');
    for (const url of [recent, fresh]) {
      const response = await fetch(url);
      assert.equal(response.status, 200, await response.clone().text());
      assert.equal(await response.text(), 'hello aged');
    }
    await deletePolicy('aged');
    assert.equal((await fetch(old)).status, 200, 'the same old URL works once the policy is gone');
  });

  it('a Deny on s3:authType REST-QUERY-STRING forbids pre-signed URLs, while header-signed requests still work', async () => {
    const policy = bucketPolicy({
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: ['arn:aws:s3:::nolinks', 'arn:aws:s3:::nolinks/*'],
      Condition: { StringEquals: { 's3:authType': 'REST-QUERY-STRING' } },
    });
    assert.equal((await putAndRead('nolinks', policy)).put, null);
    const r = await boto<Record<string, unknown>>(
      server,
      `
urls = {'boto3 s3v4': s3v4.generate_presigned_url('get_object', Params={'Bucket': 'nolinks', 'Key': 'a.txt'}, ExpiresIn=600),
        'boto3 SigV2': s3.generate_presigned_url('get_object', Params={'Bucket': 'nolinks', 'Key': 'a.txt'}, ExpiresIn=600),
        'other bucket': s3v4.generate_presigned_url('get_object', Params={'Bucket': 'aged', 'Key': 'a.txt'}, ExpiresIn=600)}
out({'urls': urls, 'header_get': s3.get_object(Bucket='nolinks', Key='a.txt')['Body'].read().decode(),
     'header_list': [o['Key'] for o in s3.list_objects_v2(Bucket='nolinks')['Contents']]})
`,
    );
    assert.equal(r['header_get'], 'hello nolinks');
    assert.deepEqual(r['header_list'], ['a.txt']);
    const urls = { ...(r['urls'] as Record<string, string>), presign: rootUrl('/nolinks/a.txt'), 'presigned listing': rootUrl('/nolinks?list-type=2') };
    for (const [name, url] of Object.entries(urls)) {
      const response = await fetch(url);
      const text = await response.text();
      if (name === 'other bucket') {
        assert.equal(response.status, 200, `${name}: ${text}`);
      } else {
        assert.equal(response.status, 403, `${name}: ${text}`);
        assert.equal(parseS3Error(text).code, 'AccessDenied', name);
      }
    }
    await deletePolicy('nolinks');
  });

  it('a Deny with NotIpAddress on aws:SourceIp refuses callers from elsewhere, root included', async () => {
    const denyOutside = (cidr: string | string[]) =>
      bucketPolicy(publicRead('iponly'), {
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:GetObject',
        Resource: 'arn:aws:s3:::iponly/*',
        Condition: { NotIpAddress: { 'aws:SourceIp': cidr } },
      });
    const rootGet = async () => {
      const response = await signedRequest(server, { method: 'GET', path: '/iponly/a.txt' });
      return { status: response.status, code: response.status === 200 ? undefined : parseS3Error(response.body).code };
    };

    await quickPut('iponly', denyOutside('127.0.0.0/8'));
    assert.equal((await plain('/iponly/a.txt')).status, 200, 'the loopback client is inside 127.0.0.0/8');
    assert.deepEqual(await rootGet(), { status: 200, code: undefined });

    await quickPut('iponly', denyOutside('10.0.0.0/8'));
    assert.equal((await plain('/iponly/a.txt')).code, 'AccessDenied');
    assert.deepEqual(await rootGet(), { status: 403, code: 'AccessDenied' }, 'root from outside the allowed range');
    const url = await fetch(rootUrl('/iponly/a.txt'));
    assert.equal(url.status, 403);
    await url.text();

    await quickPut('iponly', denyOutside(['192.168.0.0/16', '127.0.0.1/32']));
    assert.equal((await plain('/iponly/a.txt')).status, 200, 'one block of the list is an exact /32 match');
    await deletePolicy('iponly');
  });
});
