import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { S3Error } from '../../src/errors.js';
import { bucketArn, objectArn } from '../../src/iam/index.js';
import type { Principal } from '../../src/identity/identities.js';
import type { AuthType } from '../../src/s3/auth.js';
import { Authorizer } from '../../src/s3/authorize.js';
import { RequestContext } from '../../src/s3/context.js';
import type { VerifiedAuth } from '../../src/sigv4/verify.js';
import type { IdentityStore } from '../../src/storage/identity-store.js';
import { sqliteFixture, type StoreFixture } from '../helpers/store-fixtures.js';

/*
 * The Authorizer in-process, on a real (SQLite) identity store: which
 * policies each kind of principal is judged by, the condition keys a request
 * gives them, the tags a request sets, and the one exception (RestrictPublicBuckets)
 * that sets a bucket policy aside. Each case pairs an allowed request with the
 * refused one next to it, so a check that always answers the same fails.
 * The mutation target `auth` runs this file (docs/testing.md).
 */

const NOW = Date.parse('2024-05-06T07:08:09Z');
const V4: VerifiedAuth = { version: 4, mode: 'query', accessKeyId: 'AK', scope: { date: '20240506', region: 'us-east-1', service: 's3' }, amzDate: '20240506T070809Z', signedAt: NOW - 1500, payloadHash: 'UNSIGNED-PAYLOAD', signature: '00', signingKey: new Uint8Array(32) };
const V2: VerifiedAuth = { version: 2, mode: 'query', accessKeyId: 'AK', signature: 'x' };
const ANONYMOUS: VerifiedAuth = { version: 0 };

let fixture: StoreFixture;
let identities: IdentityStore;
let authorizer: Authorizer;
let users = 0;

const root: Principal = { kind: 'root', name: 'root', accessKeyId: 'AKROOT' };
const doc = (...statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });

/** A new user with `statements` as its one identity policy. */
async function userWith(...statements: object[]): Promise<Principal> {
  const name = `user${++users}`;
  await identities.createUser(name);
  await identities.putPolicy(name, doc(...statements));
  await identities.attachPolicy(name, name);
  return { kind: 'user', name, accessKeyId: `AK${name}` };
}

async function bucket(name: string, policy?: object[], restrictPublic?: boolean): Promise<string> {
  await fixture.store.createBucket({ name, owner: 'root' });
  if (policy !== undefined) assert.equal(await identities.putBucketPolicy(name, doc(...policy)), true);
  if (restrictPublic !== undefined) {
    await identities.putPublicAccessBlock(name, { blockPublicAcls: false, ignorePublicAcls: false, blockPublicPolicy: false, restrictPublicBuckets: restrictPublic });
  }
  return name;
}

interface RequestShape {
  readonly url?: string;
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly remoteAddress?: string;
  readonly tls?: boolean;
}

function context(principal: Principal | undefined, shape: RequestShape = {}): RequestContext {
  const headers = { host: 'h', ...shape.headers };
  const socket = { remoteAddress: shape.remoteAddress ?? '10.0.0.1', ...(shape.tls === true ? { encrypted: true } : {}) };
  const req = {
    method: shape.method ?? 'GET',
    url: shape.url ?? '/b/k',
    headers,
    rawHeaders: Object.entries(headers).flat(),
    headersDistinct: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    socket,
  };
  const ctx = new RequestContext(req as unknown as IncomingMessage, {} as ServerResponse);
  signers.set(ctx, { authType: 'anonymous', principal });
  return ctx;
}

/** What the authenticate stage would have handed on for each test request: who signed, how, and whether through a form. */
interface Signer {
  authType: AuthType;
  principal: Principal | undefined;
  form?: object;
}
const signers = new WeakMap<RequestContext, Signer>();
const signerOf = (ctx: RequestContext): Signer => signers.get(ctx) ?? assert.fail('a context made by context()');

/** The Authorizer as the pipeline calls it: the request's signature together with its signer. */
const authz = {
  check: (ctx: RequestContext, auth: VerifiedAuth, ...rest: DropFirst2<Parameters<Authorizer['check']>>) => authorizer.check(ctx, { verified: auth, ...signerOf(ctx) }, ...rest),
  allows: (ctx: RequestContext, auth: VerifiedAuth, ...rest: DropFirst2<Parameters<Authorizer['allows']>>) => authorizer.allows(ctx, { verified: auth, ...signerOf(ctx) }, ...rest),
};
type DropFirst2<T extends unknown[]> = T extends [unknown, unknown, ...infer Rest] ? Rest : never;

before(async () => {
  fixture = await sqliteFixture();
  identities = fixture.store.identities;
  authorizer = new Authorizer(identities, () => NOW);
});
after(async () => {
  await fixture?.cleanup();
});

describe('Authorizer.check', () => {
  it('passes an allowed request and refuses another with AccessDenied (403)', async () => {
    const reader = await userWith({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b1/*' });
    await bucket('b1');
    await authz.check(context(reader), V4, 's3:GetObject', objectArn('b1', 'k'), 'b1');
    await assert.rejects(authz.check(context(reader), V4, 's3:PutObject', objectArn('b1', 'k'), 'b1'), (error: unknown) => {
      assert.ok(error instanceof S3Error);
      assert.deepEqual([error.status, error.code], [403, 'AccessDenied']);
      return true;
    });
  });
});

describe('Authorizer: whose policies', () => {
  it('each user is judged by their own policies (parsed policies are not mixed up)', async () => {
    const a = await userWith({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b2/a/*' });
    const b = await userWith({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b2/b/*' });
    await bucket('b2');
    for (let round = 0; round < 2; round++) {
      assert.equal(await authorizer.allowsFor(a, 's3:GetObject', objectArn('b2', 'a/x'), 'b2', {}), true);
      assert.equal(await authorizer.allowsFor(a, 's3:GetObject', objectArn('b2', 'b/x'), 'b2', {}), false);
      assert.equal(await authorizer.allowsFor(b, 's3:GetObject', objectArn('b2', 'b/x'), 'b2', {}), true);
      assert.equal(await authorizer.allowsFor(b, 's3:GetObject', objectArn('b2', 'a/x'), 'b2', {}), false);
    }
  });

  it('the same text as an identity policy and as a bucket policy is read as each', async () => {
    // Valid as a bucket policy (it names a principal), refused as an identity policy: read from the cache as
    // the wrong kind, one of the two checks below would go wrong.
    const statement = { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b3/*' };
    await bucket('b3', [statement]);
    assert.equal(await authorizer.allowsFor(undefined, 's3:GetObject', objectArn('b3', 'k'), 'b3', {}), true);
    const name = `user${++users}`;
    await identities.createUser(name);
    const stored = await identities.putPolicy(name, doc(statement)).then(
      () => true,
      () => false,
    );
    if (stored) {
      await identities.attachPolicy(name, name);
      await assert.rejects(authorizer.allowsFor({ kind: 'user', name, accessKeyId: 'AKX' }, 's3:GetObject', objectArn('b3', 'k'), 'b3', {}));
    }
  });

  it('root may do anything where no bucket policy denies it, and is bound by one that does', async () => {
    await bucket('b4', [{ Effect: 'Deny', Principal: '*', Action: 's3:DeleteObject', Resource: 'arn:aws:s3:::b4/*' }]);
    await bucket('b4open');
    assert.equal(await authorizer.allowsFor(root, 's3:DeleteObject', objectArn('b4open', 'k'), 'b4open', {}), true);
    assert.equal(await authorizer.allowsFor(root, 's3:GetObject', objectArn('b4', 'k'), 'b4', {}), true);
    assert.equal(await authorizer.allowsFor(root, 's3:DeleteObject', objectArn('b4', 'k'), 'b4', {}), false);
    // Without a bucket, no bucket policy is read: root may, a user with no policy may not.
    await bucket('undefined', [{ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: ['arn:aws:s3:::undefined', 'arn:aws:s3:::undefined/*'] }]);
    assert.equal(await authorizer.allowsFor(root, 's3:ListAllMyBuckets', 'arn:aws:s3:::*', undefined, {}), true);
    assert.equal(await authorizer.allowsFor(await userWith({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::nothing/*' }), 's3:ListAllMyBuckets', 'arn:aws:s3:::*', undefined, {}), false);
  });

  it('anonymous requests get what a bucket policy grants everyone, and nothing where none does', async () => {
    await bucket('b5', [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b5/public/*' }]);
    assert.equal(await authorizer.allowsFor(undefined, 's3:GetObject', objectArn('b5', 'public/x'), 'b5', {}), true);
    assert.equal(await authorizer.allowsFor(undefined, 's3:GetObject', objectArn('b5', 'private/x'), 'b5', {}), false);
    assert.equal(await authorizer.allowsFor(undefined, 's3:GetObject', objectArn('b5', 'public/x'), undefined, {}), false);
    await bucket('b5none');
    assert.equal(await authorizer.allowsFor(undefined, 's3:GetObject', objectArn('b5none', 'public/x'), 'b5none', {}), false);
    await authz.check(context(undefined), ANONYMOUS, 's3:GetObject', objectArn('b5', 'public/x'), 'b5');
  });

  it('a bucket policy can grant a named user what their own policies do not', async () => {
    const plain = await userWith({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::other/*' });
    await bucket('b6', [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::latchkey:user/${plain.name}` }, Action: 's3:PutObject', Resource: 'arn:aws:s3:::b6/*' }]);
    assert.equal(await authorizer.allowsFor(plain, 's3:PutObject', objectArn('b6', 'k'), 'b6', {}), true);
    assert.equal(await authorizer.allowsFor(plain, 's3:DeleteObject', objectArn('b6', 'k'), 'b6', {}), false);
  });

  it('RestrictPublicBuckets sets a public bucket policy aside for anonymous requests only', async () => {
    const policy = [
      { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::BUCKET/*' },
    ];
    const user = await userWith({ Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::nothing' });
    for (const [name, restrict, anonymous] of [['b7on', true, false], ['b7off', false, true], ['b7none', undefined, true]] as const) {
      await bucket(name, policy.map((s) => ({ ...s, Resource: `arn:aws:s3:::${name}/*` })), restrict);
      assert.equal(await authorizer.allowsFor(undefined, 's3:GetObject', objectArn(name, 'k'), name, {}), anonymous, name);
      // The policy reaches everyone, signed users included, and the restriction does not take it from them.
      assert.equal(await authorizer.allowsFor(user, 's3:GetObject', objectArn(name, 'k'), name, {}), true, name);
    }
  });

  it('a session policy narrows a user\'s rights, and root\'s', async () => {
    await bucket('b8');
    const session = (principal: Principal, statements: object[] | null): Principal => ({
      ...principal,
      session: { expiresAt: new Date(NOW + 3600_000), policy: statements === null ? null : doc(...statements) },
    });
    const narrow = [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b8/shared/*' }];
    const user = await userWith({ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::b8/*' });
    for (const principal of [user, root]) {
      assert.equal(await authorizer.allowsFor(session(principal, null), 's3:PutObject', objectArn('b8', 'x'), 'b8', {}), true, principal.name);
      assert.equal(await authorizer.allowsFor(session(principal, narrow), 's3:GetObject', objectArn('b8', 'shared/x'), 'b8', {}), true, principal.name);
      assert.equal(await authorizer.allowsFor(session(principal, narrow), 's3:GetObject', objectArn('b8', 'x'), 'b8', {}), false, principal.name);
      assert.equal(await authorizer.allowsFor(session(principal, narrow), 's3:PutObject', objectArn('b8', 'shared/x'), 'b8', {}), false, principal.name);
    }
    // The session policy alone grants nothing the user's own policies do not.
    const getter = await userWith({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b8/*' });
    const wide = [{ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::b8/*' }];
    assert.equal(await authorizer.allowsFor(session(getter, wide), 's3:GetObject', objectArn('b8', 'x'), 'b8', {}), true);
    assert.equal(await authorizer.allowsFor(session(getter, wide), 's3:PutObject', objectArn('b8', 'x'), 'b8', {}), false);
    // Nor does a root session's policy lift a bucket policy's Deny.
    await bucket('b8deny', [{ Effect: 'Deny', Principal: '*', Action: 's3:DeleteObject', Resource: 'arn:aws:s3:::b8deny/*' }]);
    assert.equal(await authorizer.allowsFor(session(root, wide.map((st) => ({ ...st, Resource: 'arn:aws:s3:::b8deny/*' }))), 's3:DeleteObject', objectArn('b8deny', 'x'), 'b8deny', {}), false);
    assert.equal(await authorizer.allowsFor(session(root, wide.map((st) => ({ ...st, Resource: 'arn:aws:s3:::b8deny/*' }))), 's3:GetObject', objectArn('b8deny', 'x'), 'b8deny', {}), true);
    // A user's session policy is judged with the user's own name.
    const named = [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b8/${aws:username}/*' }];
    assert.equal(await authorizer.allowsFor(session(getter, named), 's3:GetObject', objectArn('b8', `${getter.name}/x`), 'b8', {}), true);
    assert.equal(await authorizer.allowsFor(session(getter, named), 's3:GetObject', objectArn('b8', 'root/x'), 'b8', {}), false);
    // A root session's policy is judged with root's user name (policy variables).
    const own = [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b8/${aws:username}/*' }];
    assert.equal(await authorizer.allowsFor(session(root, own), 's3:GetObject', objectArn('b8', 'root/x'), 'b8', {}), true);
    assert.equal(await authorizer.allowsFor(session(root, own), 's3:GetObject', objectArn('b8', '/x'), 'b8', {}), false);
    // A root session's policy narrows root even with no bucket policy at all, and without a bucket.
    assert.equal(await authorizer.allowsFor(session(root, narrow), 's3:ListAllMyBuckets', 'arn:aws:s3:::*', undefined, {}), false);
  });
});

describe('Authorizer: the condition keys a request gives', () => {
  const allowIf = (condition: object, action = 's3:GetObject', resource = 'arn:aws:s3:::c/*') => userWith({ Effect: 'Allow', Action: action, Resource: resource, Condition: condition });
  const get = async (ctx: RequestContext, auth: VerifiedAuth = V4) => authz.allows(ctx, auth, 's3:GetObject', objectArn('c', 'k'), 'c');

  before(async () => {
    await bucket('c');
  });

  it('aws:SourceIp is the client address', async () => {
    const user = await allowIf({ IpAddress: { 'aws:SourceIp': '192.0.2.0/24' } });
    assert.equal(await get(context(user, { remoteAddress: '192.0.2.7' })), true);
    assert.equal(await get(context(user, { remoteAddress: '198.51.100.7' })), false);
  });

  it('aws:SecureTransport is true over TLS only', async () => {
    const user = await allowIf({ Bool: { 'aws:SecureTransport': 'true' } });
    assert.equal(await get(context(user, { tls: true })), true);
    assert.equal(await get(context(user)), false);
    const plain = await allowIf({ Bool: { 'aws:SecureTransport': 'false' } });
    assert.equal(await get(context(plain)), true);
    assert.equal(await get(context(plain, { tls: true })), false);
  });

  it('s3:prefix, s3:delimiter and s3:max-keys are the listing\'s parameters', async () => {
    const user = await allowIf(
      { StringEquals: { 's3:prefix': 'docs/', 's3:delimiter': '/' }, NumericLessThanEquals: { 's3:max-keys': '100' } },
      's3:ListBucket',
      'arn:aws:s3:::c',
    );
    const list = (query: string) => authz.allows(context(user, { url: `/c?${query}` }), V4, 's3:ListBucket', bucketArn('c'), 'c');
    assert.equal(await list('prefix=docs%2F&delimiter=%2F&max-keys=100'), true);
    assert.equal(await list('prefix=img%2F&delimiter=%2F&max-keys=100'), false);
    assert.equal(await list('prefix=docs%2F&delimiter=-&max-keys=100'), false);
    assert.equal(await list('prefix=docs%2F&delimiter=%2F&max-keys=101'), false);
    assert.equal(await list('delimiter=%2F&max-keys=100'), false);
  });

  it('s3:authType: POST for a signed form, REST-QUERY-STRING for a link, REST-HEADER for a header', async () => {
    const types = ['POST', 'REST-QUERY-STRING', 'REST-HEADER'];
    const byType = new Map<string, Principal>();
    for (const type of types) byType.set(type, await allowIf({ StringEquals: { 's3:authType': type } }, 's3:PutObject'));
    const put = async (principal: Principal, setup: (ctx: RequestContext) => void) => {
      const ctx = context(principal, { method: 'PUT' });
      setup(ctx);
      return authz.allows(ctx, V4, 's3:PutObject', objectArn('c', 'k'), 'c');
    };
    const shapes: Record<string, (ctx: RequestContext) => void> = {
      POST: (ctx) => {
        signerOf(ctx).form = {};
        signerOf(ctx).authType = 'presigned';
      },
      'REST-QUERY-STRING': (ctx) => {
        signerOf(ctx).authType = 'presigned';
      },
      'REST-HEADER': (ctx) => {
        signerOf(ctx).authType = 'header';
      },
    };
    for (const [shape, setup] of Object.entries(shapes)) {
      for (const type of types) assert.equal(await put(byType.get(type) as Principal, setup), shape === type, `${shape} judged as ${type}`);
    }
    // An anonymous form (no signer) has no auth type at all, as any anonymous request: only a bucket policy can let it in.
    await bucket('c-anonymous', [{ Effect: 'Allow', Principal: '*', Action: 's3:PutObject', Resource: 'arn:aws:s3:::c-anonymous/*', Condition: { Null: { 's3:authType': 'true' } } }]);
    const form = context(undefined, { method: 'POST' });
    signerOf(form).form = {};
    assert.equal(await authz.allows(form, ANONYMOUS, 's3:PutObject', objectArn('c-anonymous', 'k'), 'c-anonymous'), true);
    const signedForm = context(await userWith({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::nothing/*' }), { method: 'POST' });
    signerOf(signedForm).form = {};
    signerOf(signedForm).authType = 'presigned';
    assert.equal(await authz.allows(signedForm, V4, 's3:PutObject', objectArn('c-anonymous', 'k'), 'c-anonymous'), false);
  });

  it('s3:signatureversion: AWS4-HMAC-SHA256 for SigV4, AWS for SigV2, none for anonymous', async () => {
    const v4 = await allowIf({ StringEquals: { 's3:signatureversion': 'AWS4-HMAC-SHA256' } });
    const v2 = await allowIf({ StringEquals: { 's3:signatureversion': 'AWS' } });
    const none = await allowIf({ Null: { 's3:signatureversion': 'true' } });
    assert.deepEqual([await get(context(v4), V4), await get(context(v4), V2), await get(context(v4), ANONYMOUS)], [true, false, false]);
    assert.deepEqual([await get(context(v2), V4), await get(context(v2), V2), await get(context(v2), ANONYMOUS)], [false, true, false]);
    assert.deepEqual([await get(context(none), V4), await get(context(none), V2), await get(context(none), ANONYMOUS)], [false, false, true]);
  });

  it('s3:signatureAge: milliseconds since the SigV4 signing, never negative, absent for SigV2', async () => {
    const young = await allowIf({ NumericLessThan: { 's3:signatureAge': '2000' } });
    const exact = await allowIf({ NumericEquals: { 's3:signatureAge': '1500' } });
    const zero = await allowIf({ NumericEquals: { 's3:signatureAge': '0' } });
    const at = (signedAt: number) => ({ ...V4, signedAt }) as VerifiedAuth;
    assert.equal(await get(context(young), at(NOW - 1500)), true);
    assert.equal(await get(context(young), at(NOW - 2500)), false);
    assert.equal(await get(context(exact), at(NOW - 1500)), true);
    assert.equal(await get(context(exact), at(NOW - 1499)), false);
    // Signed "in the future" (within the allowed skew): age 0.
    assert.equal(await get(context(zero), at(NOW + 5000)), true);
    assert.equal(await get(context(zero), at(NOW - 1)), false);
    assert.equal(await get(context(young), V2), false);
    const unsigned = await allowIf({ Null: { 's3:signatureAge': 'true' } });
    assert.deepEqual([await get(context(unsigned), V2), await get(context(unsigned), ANONYMOUS), await get(context(unsigned), V4)], [true, true, false]);
  });

  it('s3:x-amz-content-sha256 is the header as sent', async () => {
    const user = await allowIf({ StringEquals: { 's3:x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
    assert.equal(await get(context(user, { headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } })), true);
    assert.equal(await get(context(user, { headers: { 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' } })), false);
    assert.equal(await get(context(user)), false);
  });

  it('conditions the caller gives to allowsFor are the ones judged', async () => {
    const user = await allowIf({ StringEquals: { 's3:prefix': 'docs/' } }, 's3:ListBucket', 'arn:aws:s3:::c');
    assert.equal(await authorizer.allowsFor(user, 's3:ListBucket', bucketArn('c'), 'c', { 's3:prefix': 'docs/' }), true);
    assert.equal(await authorizer.allowsFor(user, 's3:ListBucket', bucketArn('c'), 'c', { 's3:prefix': 'img/' }), false);
  });
});

describe('Authorizer: s3:RequestObjectTag, the tags a request sets', () => {
  let user: Principal;
  const put = (ctx: RequestContext, action = 's3:PutObject') => authz.allows(ctx, V4, action, objectArn('t', 'k'), 't');

  before(async () => {
    await bucket('t');
    user = await userWith(
      { Effect: 'Allow', Action: ['s3:PutObject', 's3:PutObjectTagging'], Resource: 'arn:aws:s3:::t/*', Condition: { StringEquals: { 's3:RequestObjectTag/class': 'public' } } },
      { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::t/*', Condition: { Null: { 's3:RequestObjectTag/class': 'true' } } },
    );
  });

  it('from the x-amz-tagging header', async () => {
    assert.equal(await put(context(user, { method: 'PUT', headers: { 'x-amz-tagging': 'class=public' } })), true);
    assert.equal(await put(context(user, { method: 'PUT', headers: { 'x-amz-tagging': 'class=private' } })), false);
    assert.equal(await put(context(user, { method: 'PUT' })), false);
    // A header that does not parse sets no tags here.
    assert.equal(await put(context(user, { method: 'PUT', headers: { 'x-amz-tagging': 'class=public&class=public' } })), false);
  });

  it('from what the operation read (a form field, a tagging body) rather than the header', async () => {
    const ctx = context(user, { method: 'PUT', headers: { 'x-amz-tagging': 'class=private' } });
    assert.equal(await authz.allows(ctx, V4, 's3:PutObjectTagging', objectArn('t', 'k'), 't', { class: 'public' }), true);
    const other = context(user, { method: 'PUT', headers: { 'x-amz-tagging': 'class=public' } });
    assert.equal(await authz.allows(other, V4, 's3:PutObject', objectArn('t', 'k'), 't', { class: 'private' }), false);
  });

  it('only for the actions that set tags (the action\'s case aside)', async () => {
    const ctx = context(user, { headers: { 'x-amz-tagging': 'class=public' } });
    assert.equal(await authz.allows(ctx, V4, 's3:GetObject', objectArn('t', 'k'), 't'), true);
    assert.equal(await put(context(user, { method: 'PUT', headers: { 'x-amz-tagging': 'class=public' } }), 'S3:PUTOBJECT'), true);
  });

  it('a copy keeps its source\'s tags unless the directive is REPLACE: the header is then ignored', async () => {
    const copy = (directive?: string) =>
      context(user, { method: 'PUT', headers: { 'x-amz-tagging': 'class=public', 'x-amz-copy-source': '/t/src', ...(directive === undefined ? {} : { 'x-amz-tagging-directive': directive }) } });
    assert.equal(await put(copy()), false);
    assert.equal(await put(copy('COPY')), false);
    assert.equal(await put(copy('REPLACE')), true);
    assert.equal(await put(copy('replace')), true);
  });
});

describe('Authorizer: s3:ExistingObjectTag reads the object the resource names', () => {
  it('bucket and key split at the first slash; a bucket ARN or a console check without lookups sees no tags', async () => {
    const lookups: string[] = [];
    const tagged = new Authorizer(identities, () => NOW, (b, k) => {
      lookups.push(`${b}|${k}`);
      return Promise.resolve(k === 'dir/x' ? { class: 'public' } : null);
    });
    await bucket('e');
    const user = await userWith({ Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket'], Resource: ['arn:aws:s3:::e', 'arn:aws:s3:::e/*'], Condition: { StringEquals: { 's3:ExistingObjectTag/class': 'public' } } });
    assert.equal(await tagged.allowsFor(user, 's3:GetObject', objectArn('e', 'dir/x'), 'e', {}), true);
    assert.equal(await tagged.allowsFor(user, 's3:GetObject', objectArn('e', 'dir/y'), 'e', {}), false);
    assert.equal(await tagged.allowsFor(user, 's3:ListBucket', bucketArn('e'), 'e', {}), false);
    assert.equal(await tagged.allowsFor(user, 's3:GetObject', 'arn:aws:s3:::/dir/x', 'e', {}), false);
    assert.equal(await tagged.allowsFor(user, 's3:GetObject', 'arn:aws:s3:::e', 'e', {}), false);
    assert.deepEqual(lookups, ['e|dir/x', 'e|dir/y']);
    assert.equal(await authorizer.allowsFor(user, 's3:GetObject', objectArn('e', 'dir/x'), 'e', {}), false);
    assert.equal(await tagged.allowsFor(user, 'S3:GETOBJECT', objectArn('e', 'dir/x'), 'e', {}), true);
  });

  it('the condition is seen in a bucket policy or a session policy too; no lookup when no policy in play has it', async () => {
    const lookups: string[] = [];
    const tagged = new Authorizer(identities, () => NOW, (b, k) => {
      lookups.push(`${b}|${k}`);
      return Promise.resolve<Record<string, string>>(k === 'pub' ? { class: 'public' } : {});
    });
    const onTag = { StringEquals: { 's3:ExistingObjectTag/class': 'public' } };
    await bucket('e2', [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::e2/*', Condition: onTag }]);
    assert.equal(await tagged.allowsFor(undefined, 's3:GetObject', objectArn('e2', 'pub'), 'e2', {}), true);
    assert.equal(await tagged.allowsFor(undefined, 's3:GetObject', objectArn('e2', 'priv'), 'e2', {}), false);
    assert.deepEqual(lookups, ['e2|pub', 'e2|priv']);
    await bucket('e3');
    const user = await userWith({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::e3/*' });
    const scoped: Principal = { ...user, session: { expiresAt: new Date(NOW + 3600_000), policy: doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::e3/*', Condition: onTag }) } };
    lookups.length = 0;
    assert.equal(await tagged.allowsFor(scoped, 's3:GetObject', objectArn('e3', 'pub'), 'e3', {}), true);
    assert.equal(await tagged.allowsFor(scoped, 's3:GetObject', objectArn('e3', 'priv'), 'e3', {}), false);
    assert.deepEqual(lookups, ['e3|pub', 'e3|priv']);
    // Without the condition anywhere: allowed on the user's policy, and no tags read.
    lookups.length = 0;
    assert.equal(await tagged.allowsFor(user, 's3:GetObject', objectArn('e3', 'priv'), 'e3', {}), true);
    assert.equal(await tagged.allowsFor({ ...user, session: { expiresAt: new Date(NOW + 3600_000), policy: null } }, 's3:GetObject', objectArn('e3', 'priv'), 'e3', {}), true);
    assert.deepEqual(lookups, []);
  });
});
