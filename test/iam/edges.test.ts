import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluate, parsePolicy, type Decision, type EvaluationInput, type RequestPrincipal } from '../../src/iam/index.js';

/*
 * Edges of the evaluator and the condition operators that mutation testing
 * (npm run mutate -- iam) found no other test pinning down: each case would
 * decide differently if one operator, literal or branch were changed.
 */

const ALICE: RequestPrincipal = { kind: 'user', name: 'alice' };
const ROOT: RequestPrincipal = { kind: 'root' };
const ANON: RequestPrincipal = { kind: 'anonymous' };
const CAT = 'arn:aws:s3:::photos/alice/cat.jpg';
const PHOTOS = 'arn:aws:s3:::photos/*';
const ROOT_ARN = 'arn:aws:iam::latchkey:root';

type Stmt = Record<string, unknown>;
const doc = (...statements: Stmt[]) => ({ Version: '2012-10-17', Statement: statements });

interface Ask {
  readonly identity?: readonly object[];
  readonly bucket?: object;
  readonly session?: object;
  readonly principal?: RequestPrincipal;
  readonly action?: string;
  readonly resource?: string;
  readonly conditions?: Record<string, string | string[] | undefined>;
  readonly now?: number;
}

function input(ask: Ask): EvaluationInput {
  return {
    identityPolicies: (ask.identity ?? []).map((p) => parsePolicy(p, { kind: 'identity' })),
    ...(ask.bucket ? { bucketPolicy: parsePolicy(ask.bucket, { kind: 'bucket', bucket: 'photos' }) } : {}),
    ...(ask.session ? { sessionPolicy: parsePolicy(ask.session, { kind: 'session' }) } : {}),
    request: { principal: ask.principal ?? ALICE, action: ask.action ?? 's3:GetObject', resource: ask.resource ?? CAT, conditions: ask.conditions ?? {} },
    ...(ask.now === undefined ? {} : { now: ask.now }),
  };
}

const decide = (ask: Ask): Decision => evaluate(input(ask)).decision;

/** One identity Allow for alice whose only condition is `condition`: does it let the request through? */
function allowedBy(condition: Record<string, Record<string, unknown>>, context: Record<string, string | string[] | undefined> = {}, extra: Partial<Ask> = {}): boolean {
  const decision = decide({ identity: [doc({ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: condition })], conditions: context, ...extra });
  return decision === 'allow';
}

describe('condition operators at their edges', () => {
  it('Date operators: equal, at the bound, and a request date that cannot be read', () => {
    const at = '2024-05-06T07:08:09Z';
    const context = { 'aws:CurrentTime': at };
    assert.equal(allowedBy({ DateEquals: { 'aws:CurrentTime': at } }, context), true);
    assert.equal(allowedBy({ DateEquals: { 'aws:CurrentTime': '2024-05-06T07:08:10Z' } }, context), false);
    assert.equal(allowedBy({ DateLessThanEquals: { 'aws:CurrentTime': at } }, context), true);
    assert.equal(allowedBy({ DateLessThanEquals: { 'aws:CurrentTime': '2024-05-06T07:08:08Z' } }, context), false);
    assert.equal(allowedBy({ DateGreaterThanEquals: { 'aws:CurrentTime': at } }, context), true);
    assert.equal(allowedBy({ DateNotEquals: { 'aws:CurrentTime': '2024-01-01T00:00:00Z' } }, context), true);
    assert.equal(allowedBy({ DateNotEquals: { 'aws:CurrentTime': '2024-01-01T00:00:00Z' } }, { 'aws:CurrentTime': 'yesterday' }), false);
  });

  it('Numeric: NumericEquals compares, NumericNotEquals holds for another readable number', () => {
    assert.equal(allowedBy({ NumericEquals: { 's3:max-keys': '10' } }, { 's3:max-keys': '10' }), true);
    assert.equal(allowedBy({ NumericEquals: { 's3:max-keys': '10' } }, { 's3:max-keys': '11' }), false);
    assert.equal(allowedBy({ NumericNotEquals: { 's3:max-keys': '10' } }, { 's3:max-keys': '11' }), true);
    // A number that is no date (Date operators take epoch seconds too, so '11' would be both).
    assert.equal(allowedBy({ NumericNotEquals: { 's3:max-keys': '10' } }, { 's3:max-keys': '2.5' }), true);
  });

  it('NotIpAddress holds for another address, not for one that cannot be read', () => {
    assert.equal(allowedBy({ NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }, { 'aws:SourceIp': '192.0.2.1' }), true);
    assert.equal(allowedBy({ NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }, { 'aws:SourceIp': 'not-an-address' }), false);
  });

  it('BinaryEquals compares the base64 text exactly', () => {
    assert.equal(allowedBy({ BinaryEquals: { 's3:x-amz-meta-bin': 'QUJD' } }, { 's3:x-amz-meta-bin': 'QUJD' }), true);
    assert.equal(allowedBy({ BinaryEquals: { 's3:x-amz-meta-bin': 'QUJD' } }, { 's3:x-amz-meta-bin': 'QUJE' }), false);
  });

  it('Null with both "true" and "false" listed holds either way (the values are OR\'d)', () => {
    assert.equal(allowedBy({ Null: { 's3:prefix': ['true', 'false'] } }), true);
    assert.equal(allowedBy({ Null: { 's3:prefix': ['false', 'true'] } }, { 's3:prefix': 'a/' }), true);
  });

  it('ForAnyValue with a negated operator on an absent key is false (no value to satisfy it)', () => {
    assert.equal(allowedBy({ 'ForAnyValue:StringNotEquals': { 's3:prefix': 'a/' } }), false);
    assert.equal(allowedBy({ StringNotEquals: { 's3:prefix': 'a/' } }), true);
  });

  it('a policy variable is expanded into several pieces; one with no value makes its entry match nothing', () => {
    assert.equal(allowedBy({ StringEquals: { 's3:prefix': 'home/${aws:username}/' } }, { 's3:prefix': 'home/alice/' }), true);
    assert.equal(allowedBy({ StringEquals: { 's3:prefix': 'home/${aws:username}/' } }, { 's3:prefix': 'home/bob/' }), false);
    const bucket = doc({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: PHOTOS, Condition: { StringEquals: { 's3:prefix': ['${aws:username}', 'public/'] } } });
    assert.equal(decide({ bucket, principal: ANON, conditions: { 's3:prefix': 'public/' } }), 'allow');
    assert.equal(decide({ bucket, principal: ANON, conditions: { 's3:prefix': 'x' } }), 'implicit-deny');
  });

  it('ArnLike: each of the first five parts on its own, the rest (colons and all) as one', () => {
    const arn = 'arn:aws:sns:us-east-1:123456789012:topic:sub';
    const context = { 'aws:SourceArn': arn };
    assert.equal(allowedBy({ ArnLike: { 'aws:SourceArn': arn } }, context), true);
    assert.equal(allowedBy({ ArnLike: { 'aws:SourceArn': 'arn:aws:sns:*:123456789012:topic:sub' } }, context), true);
    assert.equal(allowedBy({ ArnLike: { 'aws:SourceArn': 'arn:aws:sns:us-east-1:999999999999:topic:sub' } }, context), false);
    assert.equal(allowedBy({ ArnLike: { 'aws:SourceArn': 'arn:aws:sns:us-east-1:123456789012:topics:ub' } }, context), false);
    // Fewer than six parts is no ARN, whatever the pattern.
    assert.equal(allowedBy({ ArnLike: { 'aws:SourceArn': 'arn:*:*:*:*:*' } }, { 'aws:SourceArn': 'arn:aws:sns:us-east-1:1' }), false);
    assert.equal(allowedBy({ ArnLike: { 'aws:SourceArn': 'arn:*:*:*:*:*' } }, context), true);
    // In the resource part * spans colons; a pattern of fewer than six parts matches nothing, even empty parts.
    assert.equal(allowedBy({ ArnLike: { 'aws:SourceArn': 'arn:aws:sns:us-east-1:123456789012:to*ub' } }, context), true);
    assert.equal(allowedBy({ ArnLike: { 'aws:SourceArn': 'arn:aws' } }, { 'aws:SourceArn': 'arn:aws::::' }), false);
  });
});

describe('keys the evaluator implies', () => {
  const denyRootWhen = (condition: Record<string, Record<string, unknown>>) =>
    doc({ Effect: 'Deny', Principal: { AWS: ROOT_ARN }, Action: 's3:GetObject', Resource: PHOTOS, Condition: condition }, { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: PHOTOS });

  it('aws:userid is the account for root, absent for anonymous callers', () => {
    assert.equal(decide({ bucket: denyRootWhen({ StringEquals: { 'aws:userid': 'latchkey' } }), principal: ROOT }), 'explicit-deny');
    assert.equal(decide({ bucket: denyRootWhen({ StringEquals: { 'aws:userid': 'other' } }), principal: ROOT }), 'allow');
    const anonymous = doc({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: PHOTOS, Condition: { Null: { 'aws:userid': 'true' } } });
    assert.equal(decide({ bucket: anonymous, principal: ANON }), 'allow');
  });

  it('aws:PrincipalAccount is the account for users, absent for anonymous callers', () => {
    assert.equal(allowedBy({ StringEquals: { 'aws:PrincipalAccount': 'latchkey' } }), true);
    const anonymous = doc({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: PHOTOS, Condition: { Null: { 'aws:PrincipalAccount': 'true' } } });
    assert.equal(decide({ bucket: anonymous, principal: ANON }), 'allow');
    assert.equal(decide({ bucket: anonymous, principal: ALICE }), 'implicit-deny');
  });

  it('aws:CurrentTime is the clock in whole seconds; aws:EpochTime is absent without a clock', () => {
    const now = Date.parse('2024-05-06T07:08:09.456Z');
    assert.equal(allowedBy({ StringEquals: { 'aws:CurrentTime': '2024-05-06T07:08:09Z' } }, {}, { now }), true);
    assert.equal(allowedBy({ StringEquals: { 'aws:EpochTime': String(Math.floor(now / 1000)) } }, {}, { now }), true);
    assert.equal(allowedBy({ Null: { 'aws:EpochTime': 'true' } }), true);
    assert.equal(allowedBy({ Null: { 'aws:EpochTime': 'true' } }, {}, { now }), false);
  });

  it('a condition key given as an empty list or undefined is absent', () => {
    assert.equal(allowedBy({ Null: { 's3:prefix': 'true' } }, { 's3:prefix': [] }), true);
    assert.equal(allowedBy({ Null: { 's3:prefix': 'true' } }, { 's3:prefix': undefined }), true);
  });
});

describe('statements and decisions', () => {
  it('a bucket policy naming the account covers users and root, never anonymous callers', () => {
    const bucket = doc({ Effect: 'Deny', Principal: { AWS: ROOT_ARN }, Action: 's3:GetObject', Resource: PHOTOS }, { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: PHOTOS });
    assert.equal(decide({ bucket, principal: ANON }), 'allow');
    assert.equal(decide({ bucket, principal: ALICE }), 'explicit-deny');
  });

  it('NotAction: any listed pattern (case-insensitive) excludes the action', () => {
    const notAction = (patterns: string[]) => [doc({ Effect: 'Allow', NotAction: patterns, Resource: '*' })];
    assert.equal(decide({ identity: notAction(['s3:PutObject', 's3:GetObject']) }), 'implicit-deny');
    assert.equal(decide({ identity: notAction(['S3:GETOBJECT']) }), 'implicit-deny');
    assert.equal(decide({ identity: notAction(['s3:PutObject']) }), 'allow');
  });

  it('Resource: any listed entry covers; NotResource: any listed entry excludes', () => {
    assert.equal(decide({ identity: [doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: ['arn:aws:s3:::other/*', PHOTOS] })] }), 'allow');
    assert.equal(decide({ identity: [doc({ Effect: 'Allow', Action: 's3:GetObject', NotResource: ['arn:aws:s3:::other/*', PHOTOS] })] }), 'implicit-deny');
    assert.equal(decide({ identity: [doc({ Effect: 'Allow', Action: 's3:GetObject', NotResource: ['arn:aws:s3:::other/*'] })] }), 'allow');
  });

  it('root can always read and change the bucket policy, whatever it denies', () => {
    const bucket = doc({ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: ['arn:aws:s3:::photos', PHOTOS] });
    for (const action of ['s3:GetBucketPolicy', 's3:PutBucketPolicy', 's3:DeleteBucketPolicy']) {
      assert.deepEqual(evaluate(input({ bucket, principal: ROOT, action, resource: 'arn:aws:s3:::photos' })), { decision: 'allow', matched: [] }, action);
    }
    assert.equal(decide({ bucket, principal: ROOT, action: 's3:GetBucketAcl', resource: 'arn:aws:s3:::photos' }), 'explicit-deny');
  });

  it('decisions without a statement behind them report none; a session policy\'s Allow is reported as such', () => {
    assert.deepEqual(evaluate(input({ principal: ROOT })), { decision: 'allow', matched: [] });
    assert.deepEqual(evaluate(input({})), { decision: 'implicit-deny', matched: [] });
    const identity = [doc({ Sid: 'Id', Effect: 'Allow', Action: 's3:*', Resource: '*' })];
    assert.deepEqual(evaluate(input({ identity, session: doc({ Effect: 'Allow', Action: 's3:PutObject', Resource: '*' }) })), { decision: 'implicit-deny', matched: [] });
    const allowed = evaluate(input({ identity, session: doc({ Sid: 'S', Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }) }));
    assert.equal(allowed.decision, 'allow');
    assert.deepEqual(allowed.matched.map((m) => `${m.source}:${m.sid ?? ''}`), ['identity:Id', 'session:S']);
  });
});
