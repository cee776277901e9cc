import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { S3Error } from '../../src/errors.js';
import { asS3Error } from '../../src/s3/library-errors.js';
import { MAX_POLICY_BYTES, PolicyError, parsePolicy, type ParseOptions, type PolicyDefect } from '../../src/iam/index.js';

const BUCKET: ParseOptions = { kind: 'bucket', bucket: 'photos' };

function stmt(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::photos/*', ...extra };
}

function without(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const s = stmt(extra);
  delete s[name];
  return s;
}

function policy(...statements: unknown[]): Record<string, unknown> {
  return { Version: '2012-10-17', Statement: statements };
}

interface Failure {
  readonly name: string;
  readonly input: unknown;
  readonly options?: ParseOptions;
  readonly defect: PolicyDefect;
  readonly message: string | RegExp;
}

const big = 'x'.repeat(MAX_POLICY_BYTES);

const FAILURES: readonly Failure[] = [
  { name: 'not JSON', input: '{"Version": ', defect: 'invalid-json', message: 'This policy contains invalid Json' },
  { name: 'does not start with {', input: '[1]', defect: 'invalid-json', message: "Policies must be valid JSON and the first byte must be '{'" },
  { name: 'not an object value', input: ['x'], defect: 'not-an-object', message: /first byte must be/ },
  { name: 'over 20 KB', input: policy(stmt({ Sid: big })), options: BUCKET, defect: 'too-large', message: 'Policy exceeds the maximum allowed document size.' },
  { name: 'unknown top-level element', input: { ...policy(stmt()), Extra: 1 }, options: BUCKET, defect: 'unknown-element', message: 'Unknown field Extra' },
  { name: 'bad version', input: { Version: '2020-01-01', Statement: [stmt()] }, options: BUCKET, defect: 'invalid-version', message: 'The policy must contain a valid version string' },
  { name: 'non-string Id', input: { ...policy(stmt()), Id: 7 }, options: BUCKET, defect: 'invalid-id', message: /Id/ },
  { name: 'no Statement', input: { Version: '2012-10-17' }, options: BUCKET, defect: 'missing-statement', message: 'Missing required field Statement' },
  { name: 'empty Statement list', input: policy(), options: BUCKET, defect: 'empty-statement', message: /Statement is empty/ },
  { name: 'statement not an object', input: policy('Allow'), options: BUCKET, defect: 'invalid-statement', message: /not well-formed/ },
  { name: 'unknown statement element', input: policy(stmt({ Actions: 's3:*' })), options: BUCKET, defect: 'unknown-element', message: 'Unknown field Actions' },
  { name: 'bad effect', input: policy(stmt({ Effect: 'hello' })), options: BUCKET, defect: 'invalid-effect', message: 'Invalid effect: hello' },
  { name: 'lower-case effect', input: policy(stmt({ Effect: 'allow' })), options: BUCKET, defect: 'invalid-effect', message: 'Invalid effect: allow' },
  { name: 'missing effect', input: policy(without('Effect')), options: BUCKET, defect: 'invalid-effect', message: 'Missing required field Effect' },
  { name: 'duplicate Sid', input: policy(stmt({ Sid: 'A' }), stmt({ Sid: 'A' })), options: BUCKET, defect: 'duplicate-sid', message: /must be unique/ },
  { name: 'numeric Sid', input: policy(stmt({ Sid: 1 })), options: BUCKET, defect: 'invalid-sid', message: /Sid/ },
  { name: 'missing Action', input: policy(without('Action')), options: BUCKET, defect: 'missing-action', message: 'Missing required field Action' },
  { name: 'Action and NotAction', input: policy(stmt({ NotAction: 's3:PutObject' })), options: BUCKET, defect: 'conflicting-elements', message: /both Action and NotAction/ },
  { name: 'malformed action', input: policy(stmt({ Action: 'GetObject' })), options: BUCKET, defect: 'invalid-action', message: 'Policy has invalid action' },
  { name: 'empty action list', input: policy(stmt({ Action: [] })), options: BUCKET, defect: 'invalid-action', message: 'Policy has invalid action' },
  { name: 'non-S3 action in a bucket policy', input: policy(stmt({ Action: 'iam:CreateUser' })), options: BUCKET, defect: 'invalid-action', message: 'Policy has invalid action' },
  { name: 'missing Resource', input: policy(without('Resource')), options: BUCKET, defect: 'missing-resource', message: 'Missing required field Resource' },
  { name: 'Resource and NotResource', input: policy(stmt({ NotResource: 'arn:aws:s3:::photos/x' })), options: BUCKET, defect: 'conflicting-elements', message: /both Resource and NotResource/ },
  { name: 'resource not an ARN', input: policy(stmt({ Resource: 'photos/*' })), defect: 'invalid-resource', message: 'Policy has invalid resource', options: { kind: 'identity' } },
  { name: 'bucket policy on another bucket', input: policy(stmt({ Resource: 'arn:aws:s3:::videos/*' })), options: BUCKET, defect: 'invalid-resource', message: 'Policy has invalid resource' },
  { name: 'bucket policy with Resource "*"', input: policy(stmt({ Resource: '*' })), options: BUCKET, defect: 'invalid-resource', message: 'Policy has invalid resource' },
  { name: 'object action on the bucket ARN only', input: policy(stmt({ Resource: 'arn:aws:s3:::photos' })), options: BUCKET, defect: 'action-resource-mismatch', message: 'Action does not apply to any resource(s) in statement' },
  { name: 'bucket action on object ARNs only', input: policy(stmt({ Action: 's3:ListBucket' })), options: BUCKET, defect: 'action-resource-mismatch', message: 'Action does not apply to any resource(s) in statement' },
  { name: 'version action on the bucket ARN only', input: policy(stmt({ Action: 's3:GetObjectVersion', Resource: 'arn:aws:s3:::photos' })), options: BUCKET, defect: 'action-resource-mismatch', message: 'Action does not apply to any resource(s) in statement' },
  { name: 'bucket policy without Principal', input: policy(without('Principal')), options: BUCKET, defect: 'missing-principal', message: 'Missing required field Principal' },
  { name: 'Principal and NotPrincipal', input: policy(stmt({ NotPrincipal: '*' })), options: BUCKET, defect: 'conflicting-elements', message: /both Principal and NotPrincipal/ },
  { name: 'identity policy with a Principal', input: policy(stmt()), options: { kind: 'identity' }, defect: 'unexpected-principal', message: 'Policy document should not specify a principal.' },
  { name: 'session policy with a NotPrincipal', input: policy(without('Principal', { NotPrincipal: '*' })), options: { kind: 'session' }, defect: 'unexpected-principal', message: /should not specify a principal/ },
  { name: 'principal from another account', input: policy(stmt({ Principal: { AWS: 'arn:aws:iam::123456789012:root' } })), options: BUCKET, defect: 'invalid-principal', message: 'Invalid principal in policy' },
  { name: 'principal with a partial wildcard', input: policy(stmt({ Principal: { AWS: 'arn:aws:iam::latchkey:user/*' } })), options: BUCKET, defect: 'invalid-principal', message: 'Invalid principal in policy' },
  { name: 'Service principal', input: policy(stmt({ Principal: { Service: 'cloudtrail.amazonaws.com' } })), options: BUCKET, defect: 'invalid-principal', message: 'Invalid principal in policy' },
  { name: 'principal string other than "*"', input: policy(stmt({ Principal: 'alice' })), options: BUCKET, defect: 'invalid-principal', message: 'Invalid principal in policy' },
  { name: 'unknown user refused by the server hook', input: policy(stmt({ Principal: { AWS: 'arn:aws:iam::latchkey:user/ghost' } })), options: { ...BUCKET, principalExists: (arn) => arn.endsWith('/alice') }, defect: 'invalid-principal', message: 'Invalid principal in policy' },
  { name: 'Condition not an object', input: policy(stmt({ Condition: ['Bool'] })), options: BUCKET, defect: 'invalid-condition', message: /Condition/ },
  { name: 'unknown operator', input: policy(stmt({ Condition: { StringEqualz: { 's3:prefix': 'a' } } })), options: BUCKET, defect: 'unknown-operator', message: /invalid condition operator: StringEqualz/ },
  { name: 'operator names are case-sensitive', input: policy(stmt({ Condition: { stringequals: { 's3:prefix': 'a' } } })), options: BUCKET, defect: 'unknown-operator', message: /stringequals/ },
  { name: 'NullIfExists is not an operator', input: policy(stmt({ Condition: { NullIfExists: { 's3:prefix': 'true' } } })), options: BUCKET, defect: 'unknown-operator', message: /NullIfExists/ },
  { name: 'unknown set qualifier', input: policy(stmt({ Condition: { 'ForSomeValues:StringEquals': { 's3:prefix': 'a' } } })), options: BUCKET, defect: 'unknown-operator', message: /ForSomeValues/ },
  { name: 'operator block not an object', input: policy(stmt({ Condition: { StringEquals: 'a' } })), options: BUCKET, defect: 'invalid-condition', message: /StringEquals/ },
  { name: 'condition key without a prefix', input: policy(stmt({ Condition: { StringEquals: { prefix: 'a' } } })), options: BUCKET, defect: 'invalid-condition-key', message: /invalid condition key: prefix/ },
  { name: 'condition key of another service in a bucket policy', input: policy(stmt({ Condition: { StringEquals: { 'ec2:Region': 'a' } } })), options: BUCKET, defect: 'invalid-condition-key', message: /ec2:Region/ },
  { name: 'numeric operator with text', input: policy(stmt({ Condition: { NumericLessThan: { 's3:max-keys': 'ten' } } })), options: BUCKET, defect: 'invalid-condition-value', message: /NumericLessThan.*ten/ },
  { name: 'date operator with a bad date', input: policy(stmt({ Condition: { DateLessThan: { 'aws:CurrentTime': 'tomorrow' } } })), options: BUCKET, defect: 'invalid-condition-value', message: /tomorrow/ },
  { name: 'Bool with a non-boolean', input: policy(stmt({ Condition: { Bool: { 'aws:SecureTransport': 'yes' } } })), options: BUCKET, defect: 'invalid-condition-value', message: /yes/ },
  { name: 'IpAddress with a bad block', input: policy(stmt({ Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/33' } } })), options: BUCKET, defect: 'invalid-condition-value', message: /10\.0\.0\.0\/33/ },
  { name: 'IpAddress with a bad IPv6 block', input: policy(stmt({ Condition: { IpAddress: { 'aws:SourceIp': '2001:db8:::/32' } } })), options: BUCKET, defect: 'invalid-condition-value', message: /2001/ },
  { name: 'condition value null', input: policy(stmt({ Condition: { StringEquals: { 's3:prefix': null } } })), options: BUCKET, defect: 'invalid-condition-value', message: /s3:prefix/ },
  { name: 'condition value empty list', input: policy(stmt({ Condition: { StringEquals: { 's3:prefix': [] } } })), options: BUCKET, defect: 'invalid-condition-value', message: /no value/ },
];

describe('parsePolicy: failures', () => {
  for (const f of FAILURES) {
    it(f.name, () => {
      assert.throws(
        () => parsePolicy(f.input, f.options),
        (e: unknown) => {
          // iam's own error, which the S3 edge answers as an S3Error.
          assert.ok(e instanceof PolicyError && asS3Error(e) instanceof S3Error);
          assert.equal(e.code, 'MalformedPolicy');
          assert.equal(e.status, 400);
          assert.equal(e.defect, f.defect);
          if (typeof f.message === 'string') assert.equal(e.message, f.message);
          else assert.match(e.message, f.message);
          return true;
        },
      );
    });
  }
});

describe('parsePolicy: accepted documents', () => {
  it('normalises a single statement object and string lists', () => {
    const doc = parsePolicy(JSON.stringify({ Version: '2012-10-17', Id: 'P1', Statement: stmt({ Sid: 'S' }) }), BUCKET);
    assert.deepEqual(doc, {
      kind: 'bucket',
      version: '2012-10-17',
      id: 'P1',
      statements: [{ index: 0, sid: 'S', effect: 'Allow', action: ['s3:GetObject'], resource: ['arn:aws:s3:::photos/*'], principal: { wildcard: true, arns: [] }, conditions: [] }],
    });
  });

  it('defaults a missing Version to 2008-10-17 and the kind to identity', () => {
    const doc = parsePolicy({ Statement: [{ Effect: 'Deny', NotAction: 's3:GetObject', NotResource: '*' }] });
    assert.equal(doc.version, '2008-10-17');
    assert.equal(doc.kind, 'identity');
    assert.deepEqual(doc.statements[0]?.notAction, ['s3:GetObject']);
    assert.deepEqual(doc.statements[0]?.notResource, ['*']);
  });

  it('normalises principals: account id, duplicates and "*" inside an AWS list', () => {
    const doc = parsePolicy(policy(stmt({ Principal: { AWS: ['latchkey', 'arn:aws:iam::latchkey:root', 'arn:aws:iam::latchkey:user/alice', '*'] } })), BUCKET);
    assert.deepEqual(doc.statements[0]?.principal, { wildcard: true, arns: ['arn:aws:iam::latchkey:root', 'arn:aws:iam::latchkey:user/alice'] });
  });

  it('splits condition operators and keeps typed JSON values as strings', () => {
    const doc = parsePolicy(policy(stmt({ Condition: { 'ForAllValues:StringLikeIfExists': { 'AWS:TagKeys': ['a*', 3, true] } } })), BUCKET);
    assert.deepEqual(doc.statements[0]?.conditions, [
      { operator: 'ForAllValues:StringLikeIfExists', base: 'StringLike', family: 'String', qualifier: 'ForAllValues', ifExists: true, keyAsWritten: 'AWS:TagKeys', key: 'aws:tagkeys', values: ['a*', '3', 'true'] },
    ]);
  });

  it('accepts a pretty-printed policy whose minified form fits 20 KB', () => {
    const sid = 'x'.repeat(MAX_POLICY_BYTES - 400);
    const text = JSON.stringify(policy(stmt({ Sid: sid })), null, 8).replace(/\n/g, '\n' + ' '.repeat(200));
    assert.ok(text.length > MAX_POLICY_BYTES);
    assert.equal(parsePolicy(text, BUCKET).statements[0]?.sid, sid);
  });

  it('accepts wildcard buckets, variables and both resource kinds in a bucket policy', () => {
    const doc = parsePolicy(policy(stmt({ Action: ['s3:ListBucket', 's3:GetObject'], Resource: ['arn:aws:s3:::pho*', 'arn:aws:s3:::photos/${aws:username}/*'] })), BUCKET);
    assert.equal(doc.statements[0]?.resource?.length, 2);
  });

  it('lets identity policies name other services and any ARN', () => {
    const doc = parsePolicy(policy({ Effect: 'Allow', Action: ['iam:GetUser', 'sts:AssumeRole'], Resource: 'arn:aws:iam::latchkey:user/alice' }));
    assert.deepEqual(doc.statements[0]?.action, ['iam:GetUser', 'sts:AssumeRole']);
  });

  it('does not type-check condition values that hold a variable', () => {
    assert.doesNotThrow(() => parsePolicy(policy(stmt({ Condition: { Bool: { 'aws:SecureTransport': '${s3:flag}' } } })), BUCKET));
  });
});
