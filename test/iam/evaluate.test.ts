import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluate, parsePolicy, type Decision, type RequestPrincipal } from '../../src/iam/index.js';

/**
 * Table-driven decisions for the evaluator: action and resource matching,
 * policy variables, principals and the precedence between identity, bucket
 * and session policies. Most rows come in pairs that differ in one detail
 * and expect different decisions, so no row passes by accident.
 */

const ALICE: RequestPrincipal = { kind: 'user', name: 'alice' };
const BOB: RequestPrincipal = { kind: 'user', name: 'bob' };
const ROOT: RequestPrincipal = { kind: 'root' };
const ANON: RequestPrincipal = { kind: 'anonymous' };
const ALICE_ARN = 'arn:aws:iam::latchkey:user/alice';

interface Case {
  readonly name: string;
  readonly identity?: readonly object[];
  readonly bucket?: object;
  readonly session?: object;
  readonly principal?: RequestPrincipal;
  readonly action?: string;
  readonly resource?: string;
  readonly conditions?: Record<string, string | string[]>;
  readonly expect: Decision;
  /** Sids of the statements reported as matched, in order. */
  readonly sids?: readonly string[];
}

type Stmt = Record<string, unknown>;

function doc(...statements: Stmt[]): object {
  return { Version: '2012-10-17', Statement: statements };
}

function allow(action: unknown, resource: unknown, extra: Stmt = {}): Stmt {
  return { Effect: 'Allow', Action: action, Resource: resource, ...extra };
}

function deny(action: unknown, resource: unknown, extra: Stmt = {}): Stmt {
  return { Effect: 'Deny', Action: action, Resource: resource, ...extra };
}

const PHOTOS = 'arn:aws:s3:::photos/*';
const CAT = 'arn:aws:s3:::photos/alice/cat.jpg';

const CASES: readonly Case[] = [
  // Actions: wildcards and case-insensitivity
  { name: 'exact action allows', identity: [doc(allow('s3:GetObject', PHOTOS))], expect: 'allow' },
  { name: 'other action does not', identity: [doc(allow('s3:GetObject', PHOTOS))], action: 's3:PutObject', expect: 'implicit-deny' },
  { name: 's3:* covers GetObject', identity: [doc(allow('s3:*', PHOTOS))], expect: 'allow' },
  { name: '"*" covers any action', identity: [doc(allow('*', PHOTOS))], action: 's3:DeleteObject', expect: 'allow' },
  { name: 's3:Get* covers GetObject', identity: [doc(allow('s3:Get*', PHOTOS))], expect: 'allow' },
  { name: 's3:Get* does not cover PutObject', identity: [doc(allow('s3:Get*', PHOTOS))], action: 's3:PutObject', expect: 'implicit-deny' },
  { name: 'action matching ignores case', identity: [doc(allow('S3:getobject', PHOTOS))], expect: 'allow' },
  { name: '? matches one character of an action', identity: [doc(allow('s3:?etObject', PHOTOS))], expect: 'allow' },
  { name: '? needs exactly one character', identity: [doc(allow('s3:?GetObject', PHOTOS))], expect: 'implicit-deny' },
  { name: 'action list is OR', identity: [doc(allow(['s3:PutObject', 's3:GetObject'], PHOTOS))], expect: 'allow' },
  { name: 'service-prefix wildcard does not cross services', identity: [doc(allow('iam:*', PHOTOS))], expect: 'implicit-deny' },
  { name: 'NotAction allows what it does not list', identity: [doc({ Effect: 'Allow', NotAction: 's3:DeleteObject', Resource: PHOTOS })], expect: 'allow' },
  { name: 'NotAction excludes what it lists', identity: [doc({ Effect: 'Allow', NotAction: 's3:DeleteObject', Resource: PHOTOS })], action: 's3:DeleteObject', expect: 'implicit-deny' },
  { name: 'NotAction wildcard excludes a family', identity: [doc({ Effect: 'Allow', NotAction: 's3:Delete*', Resource: PHOTOS })], action: 's3:DeleteObject', expect: 'implicit-deny' },

  // Resources: case-sensitive wildcards, NotResource
  { name: 'object wildcard covers nested keys', identity: [doc(allow('s3:GetObject', 'arn:aws:s3:::photos/alice/*'))], expect: 'allow' },
  { name: 'prefix wildcard is not a sibling prefix', identity: [doc(allow('s3:GetObject', 'arn:aws:s3:::photos/bob/*'))], expect: 'implicit-deny' },
  { name: 'resource matching is case-sensitive', identity: [doc(allow('s3:GetObject', 'arn:aws:s3:::Photos/*'))], expect: 'implicit-deny' },
  { name: 'bucket ARN does not cover its objects', identity: [doc(allow('s3:GetObject', 'arn:aws:s3:::photos'))], expect: 'implicit-deny' },
  { name: 'bucket ARN covers ListBucket on the bucket', identity: [doc(allow('s3:ListBucket', 'arn:aws:s3:::photos'))], action: 's3:ListBucket', resource: 'arn:aws:s3:::photos', expect: 'allow' },
  { name: '"*" resource covers all', identity: [doc(allow('s3:GetObject', '*'))], expect: 'allow' },
  { name: '? in a resource matches one character', identity: [doc(allow('s3:GetObject', 'arn:aws:s3:::photos/alice/ca?.jpg'))], expect: 'allow' },
  { name: '? in a resource never matches zero characters', identity: [doc(allow('s3:GetObject', 'arn:aws:s3:::photos/alice/cat?.jpg'))], expect: 'implicit-deny' },
  { name: 'NotResource allows outside its list', identity: [doc({ Effect: 'Allow', Action: 's3:GetObject', NotResource: 'arn:aws:s3:::photos/private/*' })], expect: 'allow' },
  { name: 'NotResource refuses inside its list', identity: [doc({ Effect: 'Allow', Action: 's3:GetObject', NotResource: 'arn:aws:s3:::photos/alice/*' })], expect: 'implicit-deny' },
  { name: 'service action needs "*" or arn:aws:s3:::*', identity: [doc(allow('s3:ListAllMyBuckets', 'arn:aws:s3:::*'))], action: 's3:ListAllMyBuckets', resource: 'arn:aws:s3:::*', expect: 'allow' },
  { name: 'service action is not covered by a bucket ARN', identity: [doc(allow('s3:ListAllMyBuckets', 'arn:aws:s3:::photos'))], action: 's3:ListAllMyBuckets', resource: 'arn:aws:s3:::*', expect: 'implicit-deny' },

  // Policy variables in Resource
  { name: '${aws:username} resolves for the caller', identity: [doc(allow('s3:GetObject', 'arn:aws:s3:::photos/${aws:username}/*'))], expect: 'allow' },
  { name: '${aws:username} is another user’s prefix for bob', identity: [doc(allow('s3:GetObject', 'arn:aws:s3:::photos/${aws:username}/*'))], principal: BOB, expect: 'implicit-deny' },
  { name: 'variable names are case-insensitive', identity: [doc(allow('s3:GetObject', 'arn:aws:s3:::photos/${AWS:UserName}/*'))], expect: 'allow' },
  { name: 'Version 2008-10-17 takes ${...} literally', identity: [{ Version: '2008-10-17', Statement: [allow('s3:GetObject', 'arn:aws:s3:::photos/${aws:username}/*')] }], expect: 'implicit-deny' },
  { name: 'Version 2008-10-17 literal text matches itself', identity: [{ Version: '2008-10-17', Statement: [allow('s3:GetObject', 'arn:aws:s3:::photos/${aws:username}/*')] }], resource: 'arn:aws:s3:::photos/${aws:username}/x', expect: 'allow' },
  { name: '${*} is a literal star', identity: [doc(allow('s3:GetObject', 'arn:aws:s3:::photos/star${*}'))], resource: 'arn:aws:s3:::photos/star*', expect: 'allow' },
  { name: '${*} is not a wildcard', identity: [doc(allow('s3:GetObject', 'arn:aws:s3:::photos/star${*}'))], resource: 'arn:aws:s3:::photos/starlight', expect: 'implicit-deny' },
  { name: '${?} is a literal question mark', identity: [doc(allow('s3:GetObject', 'arn:aws:s3:::photos/why${?}'))], resource: 'arn:aws:s3:::photos/why?', expect: 'allow' },
  { name: '${?} does not match another character', identity: [doc(allow('s3:GetObject', 'arn:aws:s3:::photos/why${?}'))], resource: 'arn:aws:s3:::photos/whyX', expect: 'implicit-deny' },
  { name: '${$} is a literal dollar', identity: [doc(allow('s3:GetObject', 'arn:aws:s3:::photos/${$}{aws:username}'))], resource: 'arn:aws:s3:::photos/${aws:username}', expect: 'allow' },
  { name: 'a wildcard in a variable value stays literal', identity: [doc(allow('s3:GetObject', 'arn:aws:s3:::photos/${s3:prefix}'))], conditions: { 's3:prefix': 'a*' }, resource: 'arn:aws:s3:::photos/abc', expect: 'implicit-deny' },
  { name: 'variable default applies to an absent key', bucket: doc(allow('s3:GetObject', "arn:aws:s3:::photos/${aws:username, 'public'}/*", { Principal: '*' })), principal: ANON, resource: 'arn:aws:s3:::photos/public/x', expect: 'allow' },
  { name: 'variable default is not a wildcard', bucket: doc(allow('s3:GetObject', "arn:aws:s3:::photos/${aws:username, 'public'}/*", { Principal: '*' })), principal: ANON, resource: 'arn:aws:s3:::photos/alice/x', expect: 'implicit-deny' },
  { name: 'unresolved variable matches nothing', bucket: doc(allow('s3:GetObject', 'arn:aws:s3:::photos/${aws:username}*', { Principal: '*' })), principal: ANON, resource: 'arn:aws:s3:::photos/x', expect: 'implicit-deny' },

  // Principals in bucket policies
  { name: 'anonymous allowed by Principal "*"', bucket: doc(allow('s3:GetObject', PHOTOS, { Principal: '*' })), principal: ANON, expect: 'allow' },
  { name: 'anonymous allowed by {"AWS": "*"}', bucket: doc(allow('s3:GetObject', PHOTOS, { Principal: { AWS: '*' } })), principal: ANON, expect: 'allow' },
  { name: 'anonymous not allowed by a named principal', bucket: doc(allow('s3:GetObject', PHOTOS, { Principal: { AWS: ALICE_ARN } })), principal: ANON, expect: 'implicit-deny' },
  { name: 'anonymous not allowed by NotPrincipal', bucket: doc(allow('s3:GetObject', PHOTOS, { NotPrincipal: { AWS: ALICE_ARN } })), principal: ANON, expect: 'implicit-deny' },
  { name: 'anonymous ignores identity policies', identity: [doc(allow('*', '*'))], principal: ANON, expect: 'implicit-deny' },
  { name: 'anonymous without a bucket policy', principal: ANON, expect: 'implicit-deny' },
  { name: 'bucket policy naming the user allows', bucket: doc(allow('s3:GetObject', PHOTOS, { Principal: { AWS: [ALICE_ARN] } })), expect: 'allow' },
  { name: 'bucket policy naming another user does not', bucket: doc(allow('s3:GetObject', PHOTOS, { Principal: { AWS: [ALICE_ARN] } })), principal: BOB, expect: 'implicit-deny' },
  { name: 'bucket policy "*" allows any user', bucket: doc(allow('s3:GetObject', PHOTOS, { Principal: '*' })), principal: BOB, expect: 'allow' },
  { name: 'account principal delegates, it does not grant users', bucket: doc(allow('s3:GetObject', PHOTOS, { Principal: { AWS: 'arn:aws:iam::latchkey:root' } })), expect: 'implicit-deny' },
  { name: 'NotPrincipal Allow grants users it does not list', bucket: doc(allow('s3:GetObject', PHOTOS, { NotPrincipal: { AWS: ALICE_ARN } })), principal: BOB, expect: 'allow' },
  { name: 'NotPrincipal Allow skips users it lists', bucket: doc(allow('s3:GetObject', PHOTOS, { NotPrincipal: { AWS: ALICE_ARN } })), expect: 'implicit-deny' },
  { name: 'root needs no policy', principal: ROOT, action: 's3:DeleteBucket', resource: 'arn:aws:s3:::photos', expect: 'allow' },
  { name: 'root ignores identity Deny (root has no identity policies)', identity: [doc(deny('*', '*'))], principal: ROOT, expect: 'allow' },

  // Deny precedence
  { name: 'identity Deny beats identity Allow', identity: [doc(allow('s3:*', '*', { Sid: 'All' }), deny('s3:GetObject', PHOTOS, { Sid: 'NoGet' }))], expect: 'explicit-deny', sids: ['NoGet'] },
  { name: 'Deny in another identity policy still wins', identity: [doc(allow('s3:*', '*')), doc(deny('s3:GetObject', CAT, { Sid: 'NoCat' }))], expect: 'explicit-deny', sids: ['NoCat'] },
  { name: 'Deny on another object does not interfere', identity: [doc(allow('s3:*', '*', { Sid: 'All' }), deny('s3:GetObject', 'arn:aws:s3:::photos/bob/*'))], expect: 'allow', sids: ['All'] },
  { name: 'bucket Deny "*" beats identity Allow', identity: [doc(allow('s3:*', '*'))], bucket: doc(deny('s3:GetObject', PHOTOS, { Principal: '*', Sid: 'Lock' })), expect: 'explicit-deny', sids: ['Lock'] },
  { name: 'identity Deny beats bucket Allow', identity: [doc(deny('s3:GetObject', PHOTOS, { Sid: 'Mine' }))], bucket: doc(allow('s3:GetObject', PHOTOS, { Principal: '*' })), expect: 'explicit-deny', sids: ['Mine'] },
  { name: 'bucket Deny applies to root', bucket: doc(deny('s3:GetObject', PHOTOS, { Principal: '*' })), principal: ROOT, expect: 'explicit-deny' },
  { name: 'bucket Deny naming the account applies to root', bucket: doc(deny('s3:GetObject', PHOTOS, { Principal: { AWS: 'latchkey' } })), principal: ROOT, expect: 'explicit-deny' },
  { name: 'bucket Deny naming the account applies to its users', identity: [doc(allow('*', '*'))], bucket: doc(deny('s3:GetObject', PHOTOS, { Principal: { AWS: 'arn:aws:iam::latchkey:root' } })), expect: 'explicit-deny' },
  { name: 'bucket Deny naming alice does not touch root', bucket: doc(deny('s3:GetObject', PHOTOS, { Principal: { AWS: ALICE_ARN } })), principal: ROOT, expect: 'allow' },
  { name: 'root can always replace a locking bucket policy', bucket: doc(deny('s3:*', 'arn:aws:s3:::photos', { Principal: '*' })), principal: ROOT, action: 's3:PutBucketPolicy', resource: 'arn:aws:s3:::photos', expect: 'allow' },
  { name: 'the lockout exemption is root-only', identity: [doc(allow('*', '*'))], bucket: doc(deny('s3:*', 'arn:aws:s3:::photos', { Principal: '*' })), action: 's3:PutBucketPolicy', resource: 'arn:aws:s3:::photos', expect: 'explicit-deny' },
  { name: 'Deny NotPrincipal spares the listed user', identity: [doc(allow('*', '*'))], bucket: doc(deny('s3:GetObject', PHOTOS, { NotPrincipal: { AWS: ALICE_ARN } })), expect: 'allow' },
  { name: 'Deny NotPrincipal hits everyone else', identity: [doc(allow('*', '*'))], bucket: doc(deny('s3:GetObject', PHOTOS, { NotPrincipal: { AWS: ALICE_ARN } })), principal: BOB, expect: 'explicit-deny' },
  { name: 'Deny NotPrincipal hits anonymous', bucket: doc(allow('s3:GetObject', PHOTOS, { Principal: '*' }), deny('s3:GetObject', PHOTOS, { NotPrincipal: { AWS: ALICE_ARN } })), principal: ANON, expect: 'explicit-deny' },
  { name: 'Deny whose condition fails is ignored', identity: [doc(allow('s3:*', '*'), deny('s3:*', '*', { Condition: { Bool: { 'aws:SecureTransport': 'false' } } }))], conditions: { 'aws:SecureTransport': 'true' }, expect: 'allow' },
  { name: 'Deny whose condition holds applies', identity: [doc(allow('s3:*', '*'), deny('s3:*', '*', { Condition: { Bool: { 'aws:SecureTransport': 'false' } } }))], conditions: { 'aws:SecureTransport': 'false' }, expect: 'explicit-deny' },

  // Session policies only narrow
  { name: 'session policy narrows an identity Allow', identity: [doc(allow('s3:*', '*'))], session: doc(allow('s3:GetObject', '*')), action: 's3:PutObject', expect: 'implicit-deny' },
  { name: 'session policy lets the overlap through', identity: [doc(allow('s3:*', '*', { Sid: 'Id' }))], session: doc(allow('s3:GetObject', '*', { Sid: 'Sess' })), expect: 'allow', sids: ['Id', 'Sess'] },
  { name: 'session policy alone grants nothing', session: doc(allow('s3:*', '*')), expect: 'implicit-deny' },
  { name: 'session Deny wins', identity: [doc(allow('s3:*', '*'))], session: doc(allow('s3:*', '*'), deny('s3:GetObject', CAT, { Sid: 'S' })), expect: 'explicit-deny', sids: ['S'] },
  { name: 'session policy also narrows a bucket-policy Allow', bucket: doc(allow('s3:PutObject', PHOTOS, { Principal: { AWS: ALICE_ARN } })), session: doc(allow('s3:GetObject', '*')), action: 's3:PutObject', expect: 'implicit-deny' },
  { name: 'bucket Allow plus session Allow', bucket: doc(allow('s3:GetObject', PHOTOS, { Principal: { AWS: ALICE_ARN } })), session: doc(allow('s3:GetObject', '*')), expect: 'allow' },

  // Keys the evaluator derives from the principal
  { name: 'aws:PrincipalType is User for users', identity: [doc(allow('s3:GetObject', PHOTOS, { Condition: { StringEquals: { 'aws:PrincipalType': 'User' } } }))], expect: 'allow' },
  { name: 'aws:PrincipalType is Anonymous for anonymous', bucket: doc(allow('s3:GetObject', PHOTOS, { Principal: '*', Condition: { StringEquals: { 'aws:PrincipalType': 'User' } } })), principal: ANON, expect: 'implicit-deny' },
  { name: 'aws:userid defaults to the user name', identity: [doc(allow('s3:GetObject', PHOTOS, { Condition: { StringEquals: { 'aws:userid': 'alice' } } }))], expect: 'allow' },
  { name: 'aws:userid supplied by the server wins', identity: [doc(allow('s3:GetObject', PHOTOS, { Condition: { StringEquals: { 'aws:userid': 'alice' } } }))], conditions: { 'aws:userid': 'AIDAEXAMPLE' }, expect: 'implicit-deny' },
  { name: 'aws:username is absent for anonymous', bucket: doc(allow('s3:GetObject', PHOTOS, { Principal: '*', Condition: { Null: { 'aws:username': 'true' } } })), principal: ANON, expect: 'allow' },
  { name: 'aws:username is present for users', bucket: doc(allow('s3:GetObject', PHOTOS, { Principal: '*', Condition: { Null: { 'aws:username': 'true' } } })), expect: 'implicit-deny' },
];

function parseAll(c: Case): Parameters<typeof evaluate>[0] {
  return {
    identityPolicies: (c.identity ?? []).map((p) => parsePolicy(p, { kind: 'identity' })),
    ...(c.bucket ? { bucketPolicy: parsePolicy(c.bucket, { kind: 'bucket', bucket: 'photos' }) } : {}),
    ...(c.session ? { sessionPolicy: parsePolicy(c.session, { kind: 'session' }) } : {}),
    request: {
      principal: c.principal ?? ALICE,
      action: c.action ?? 's3:GetObject',
      resource: c.resource ?? CAT,
      conditions: c.conditions ?? {},
    },
  };
}

describe('evaluate: decisions', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const result = evaluate(parseAll(c));
      assert.equal(result.decision, c.expect);
      if (c.sids) assert.deepEqual(result.matched.map((m) => m.sid), c.sids);
    });
  }

  it('has a meaningful number of cases with both outcomes', () => {
    assert.ok(CASES.length >= 60);
    for (const d of ['allow', 'explicit-deny', 'implicit-deny'] as const) assert.ok(CASES.some((c) => c.expect === d), d);
  });
});

describe('evaluate: matched statements', () => {
  it('identifies statements without a Sid by source, policy and position', () => {
    const result = evaluate({
      identityPolicies: [parsePolicy(doc(allow('s3:PutObject', '*'))), parsePolicy(doc(allow('s3:PutObject', '*'), allow('s3:GetObject', '*')))],
      request: { principal: ALICE, action: 's3:GetObject', resource: CAT, conditions: {} },
    });
    assert.deepEqual(result, { decision: 'allow', matched: [{ source: 'identity', policy: 1, statement: 1 }] });
  });

  it('reports every matching Deny across sources', () => {
    const result = evaluate({
      identityPolicies: [parsePolicy(doc(deny('s3:*', '*', { Sid: 'A' })))],
      bucketPolicy: parsePolicy(doc(deny('s3:GetObject', PHOTOS, { Sid: 'B', Principal: '*' })), { kind: 'bucket' }),
      request: { principal: ALICE, action: 's3:GetObject', resource: CAT, conditions: {} },
    });
    assert.equal(result.decision, 'explicit-deny');
    assert.deepEqual(result.matched.map((m) => `${m.source}:${m.sid ?? ''}`), ['identity:A', 'bucket:B']);
  });
});
