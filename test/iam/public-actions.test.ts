import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluate, isPublic, parsePolicy } from '../../src/iam/index.js';
import { OPERATIONS, type OperationName as S3OperationName } from '../../src/s3/operations/index.js';
import { resourceArn, type PermissionTarget } from '../../src/s3/permissions.js';

/** The (action, resource ARN) pairs a request for the named operation must be allowed, from its declaration. */
function requiredPermissions(name: S3OperationName, target: PermissionTarget): Array<{ action: string; resource: string }> {
  return OPERATIONS[name].permissions.map(({ action, resource }) => ({ action, resource: resourceArn(name, resource, target) }));
}

/** A one-statement bucket policy; an override set to undefined removes that element. */
function bucketPolicy(overrides: Record<string, unknown>): ReturnType<typeof parsePolicy> {
  const merged = { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::site/*', ...overrides };
  const statement = Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined));
  return parsePolicy({ Version: '2012-10-17', Statement: [statement] }, { kind: 'bucket', bucket: 'site' });
}

describe('isPublic', () => {
  const rows: ReadonlyArray<readonly [name: string, statement: Record<string, unknown>, expected: boolean]> = [
    ['Principal "*" without conditions', {}, true],
    ['{"AWS": "*"}', { Principal: { AWS: '*' } }, true],
    ['"*" among named principals', { Principal: { AWS: ['arn:aws:iam::latchkey:user/alice', '*'] } }, true],
    ['a named user', { Principal: { AWS: 'arn:aws:iam::latchkey:user/alice' } }, false],
    ['the account', { Principal: { AWS: 'latchkey' } }, false],
    ['a Deny to "*"', { Effect: 'Deny' }, false],
    ['Allow with NotPrincipal', { Principal: undefined, NotPrincipal: { AWS: 'arn:aws:iam::latchkey:user/alice' } }, true],
    ['restricted to a /24', { Condition: { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } } }, false],
    ['restricted to an IPv6 /48', { Condition: { IpAddress: { 'aws:SourceIp': '2001:db8::/48' } } }, false],
    ['"restricted" to 0.0.0.0/1', { Condition: { IpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '0.0.0.0/1'] } } }, true],
    ['NotIpAddress does not restrict', { Condition: { NotIpAddress: { 'aws:SourceIp': '203.0.113.0/24' } } }, true],
    ['IpAddressIfExists does not restrict', { Condition: { IpAddressIfExists: { 'aws:SourceIp': '203.0.113.0/24' } } }, true],
    ['a fixed aws:userid', { Condition: { StringEquals: { 'aws:userid': 'alice' } } }, false],
    ['a wildcard aws:userid', { Condition: { StringLike: { 'aws:userid': 'a*' } } }, true],
    ['a condition on an unrelated key', { Condition: { Bool: { 'aws:SecureTransport': 'true' } } }, true],
  ];
  for (const [name, statement, expected] of rows) {
    it(`${name} → ${expected ? 'public' : 'not public'}`, () => {
      assert.equal(isPublic(bucketPolicy(statement)), expected);
    });
  }

  it('is public when any one statement is', () => {
    const doc = parsePolicy(
      {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::latchkey:user/alice' }, Action: 's3:*', Resource: 'arn:aws:s3:::site/*' },
          { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::site/index.html' },
        ],
      },
      { kind: 'bucket' },
    );
    assert.equal(isPublic(doc), true);
  });
});

describe('S3 operation → action table', () => {
  it('names the action and ARN for object, bucket and service operations', () => {
    assert.deepEqual(requiredPermissions('GetObject', { bucket: 'b', key: 'a/b c.txt' }), [{ action: 's3:GetObject', resource: 'arn:aws:s3:::b/a/b c.txt' }]);
    assert.deepEqual(requiredPermissions('HeadObject', { bucket: 'b', key: 'k' }), [{ action: 's3:GetObject', resource: 'arn:aws:s3:::b/k' }]);
    assert.deepEqual(requiredPermissions('ListObjectsV2', { bucket: 'b' }), [{ action: 's3:ListBucket', resource: 'arn:aws:s3:::b' }]);
    assert.deepEqual(requiredPermissions('ListBuckets', {}), [{ action: 's3:ListAllMyBuckets', resource: 'arn:aws:s3:::*' }]);
    assert.deepEqual(requiredPermissions('GetBucketPolicyStatus', { bucket: 'b' }), [{ action: 's3:GetBucketPolicyStatus', resource: 'arn:aws:s3:::b' }]);
    assert.deepEqual(requiredPermissions('AbortMultipartUpload', { bucket: 'b', key: 'k' }), [{ action: 's3:AbortMultipartUpload', resource: 'arn:aws:s3:::b/k' }]);
  });

  it('checks CopyObject against the target and the source', () => {
    assert.deepEqual(requiredPermissions('CopyObject', { bucket: 'dst', key: 'new', sourceBucket: 'src', sourceKey: 'old' }), [
      { action: 's3:PutObject', resource: 'arn:aws:s3:::dst/new' },
      { action: 's3:GetObject', resource: 'arn:aws:s3:::src/old' },
    ]);
  });

  it('refuses a target missing the part the operation needs', () => {
    assert.throws(() => requiredPermissions('PutObject', { bucket: 'b' }), /PutObject needs a key/);
    assert.throws(() => requiredPermissions('CopyObject', { bucket: 'b', key: 'k' }), /CopyObject needs a source bucket/);
  });

  it('lets a read-only user copy out of, but not into, a bucket', () => {
    const identity = parsePolicy({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::src/*' },
        { Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::dst/*' },
      ],
    });
    const decide = (target: Parameters<typeof requiredPermissions>[1]): string[] =>
      requiredPermissions('CopyObject', target).map(
        ({ action, resource }) => evaluate({ identityPolicies: [identity], request: { principal: { kind: 'user', name: 'u' }, action, resource, conditions: {} } }).decision,
      );
    assert.deepEqual(decide({ bucket: 'dst', key: 'k', sourceBucket: 'src', sourceKey: 'k' }), ['allow', 'allow']);
    assert.deepEqual(decide({ bucket: 'src', key: 'k', sourceBucket: 'dst', sourceKey: 'k' }), ['implicit-deny', 'implicit-deny']);
  });

  it('covers the operations the server routes', () => {
    const routed: S3OperationName[] = ['ListBuckets', 'CreateBucket', 'HeadBucket', 'DeleteBucket', 'GetBucketLocation', 'ListObjects', 'ListObjectsV2', 'DeleteObjects', 'PutObject', 'CopyObject', 'GetObject', 'HeadObject', 'DeleteObject'];
    for (const op of routed) assert.ok(OPERATIONS[op].permissions.length > 0, op);
  });
});
