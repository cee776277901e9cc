import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { S3Error } from '../../src/errors.js';
import { hashToken, type Principal, type ResolvedKey } from '../../src/identity/identities.js';
import type { AuthDeps } from '../../src/s3/auth.js';
import { RequestContext } from '../../src/s3/context.js';
import { claimForm } from '../../src/s3/post-object/post-auth.js';
import { signerOf, verifyClaim } from '../helpers/stage-auth.js';
import { LRUCache } from 'lru-cache';
import { AuthError, deriveSigningKey, nodeCrypto, SigningKeyCache } from '../../src/sigv4/index.js';
import { encodePolicy, multipartBody, v2PolicyFields, v4AuthConditions, v4PolicyFields, type Signer } from '../helpers/post-form.js';

/*
 * authenticateForm (post-auth.ts) in-process: a form read from a stream as the
 * server's request, signed with the tests' own signer (test/helpers/post-form),
 * checked with a clock and key table the test controls. Where
 * test/presign/post-auth.test.ts drives each refusal through HTTP, this pins
 * the edges: what the form records on the request, each time bound to the
 * millisecond, the SigV2 signature's exact shape. The mutation target `post`
 * runs it first (docs/testing.md).
 */

const NOW = Date.parse('2024-05-06T07:08:09Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const SKEW = 15 * 60_000;
const LONG: Signer = { accessKeyId: 'AKLONGTERMKEY0000001', secretAccessKey: 'long-term-secret-000000000000000000000000' };
const SESSION: Signer = { accessKeyId: 'LKTSSESSIONKEY000001', secretAccessKey: 'session-secret-0000000000000000000000000', sessionToken: 'the-session-token' };
const alice: Principal = { kind: 'user', name: 'alice', accessKeyId: LONG.accessKeyId };
const bob: Principal = { kind: 'user', name: 'bob', accessKeyId: SESSION.accessKeyId, session: { expiresAt: new Date(NOW + DAY), policy: null } };

type Fields = Array<[string, string]>;

/** A path-style form upload (the bucket in the path). */
/** The form's credentials step as the pipeline runs it: the address's bucket, the claim (its key), then who signed. */
const authenticate = async (ctx: RequestContext, d: AuthDeps, address: { bucket: string | undefined } = { bucket: ctx.address.bucket }) =>
  verifyClaim(ctx, await claimForm(ctx, d, { ...address, virtualHosted: false }));

function deps(options: { sigv2?: boolean; now?: number } = {}): AuthDeps {
  const keys = new Map<string, ResolvedKey>([
    [LONG.accessKeyId, { secretAccessKey: LONG.secretAccessKey, principal: alice }],
    [SESSION.accessKeyId, { secretAccessKey: SESSION.secretAccessKey, principal: bob, tokenHash: hashToken(SESSION.sessionToken ?? '') }],
  ]);
  return {
    region: 'us-east-1',
    crypto: nodeCrypto,
    keyCache: new SigningKeyCache(nodeCrypto, new LRUCache<string, Uint8Array>({ max: 64 })),
    lookupKey: (id) => Promise.resolve(keys.get(id)),
    now: () => options.now ?? NOW,
    ...(options.sigv2 === undefined ? {} : { sigv2: options.sigv2 }),
  };
}

interface Sent {
  readonly ctx: RequestContext;
  readonly continues: () => number;
  readonly size: number;
}

/** The form as the server receives it: a request stream with these headers, a response that counts 100 Continues. */
function request(fields: Fields, file: { filename?: string } | null = { filename: 'a.txt' }, headers: Record<string, string> = {}, retype = (contentType: string) => contentType): Sent {
  const { body, contentType } = multipartBody(fields, file === null ? undefined : { content: 'form body\n', ...file });
  const all: Record<string, string> = { host: 'h', 'content-type': retype(contentType), 'content-length': String(body.length), ...headers };
  for (const [name, value] of Object.entries(all)) if (value === '') delete all[name];
  const req = Object.assign(Readable.from([body]), {
    method: 'POST',
    url: '/bkt',
    headers: all,
    rawHeaders: Object.entries(all).flat(),
    headersDistinct: Object.fromEntries(Object.entries(all).map(([name, value]) => [name, [value]])),
    complete: true,
    socket: { remoteAddress: '127.0.0.1' },
  });
  let continues = 0;
  const res = { writeContinue: () => void continues++ };
  const ctx = new RequestContext(req as unknown as IncomingMessage, res as unknown as ServerResponse);
  return { ctx, continues: () => continues, size: body.length };
}

/** A SigV4-signed form for `key`, signed at `signedAt`, its policy expiring at `expiration`. */
function v4Form(key: string, options: { signer?: Signer; signedAt?: number; expiration?: number; extra?: Fields } = {}): Fields {
  const signer = options.signer ?? LONG;
  const signedAt = options.signedAt ?? NOW;
  const policy = encodePolicy(new Date(options.expiration ?? signedAt + HOUR), [{ bucket: 'bkt' }, { key }, ...v4AuthConditions(signer, { now: signedAt })]);
  return [['key', key], ...(options.extra ?? []), ...v4PolicyFields(signer, policy, { now: signedAt })];
}

function v2Form(key: string, options: { signer?: Signer; expiration?: number } = {}): Fields {
  const signer = options.signer ?? LONG;
  const policy = encodePolicy(new Date(options.expiration ?? NOW + HOUR), [{ bucket: 'bkt' }, { key }]);
  const token: Fields = signer.sessionToken === undefined ? [] : [['x-amz-security-token', signer.sessionToken]];
  return [['key', key], ...token, ...v2PolicyFields(signer, policy)];
}

const set = (fields: Fields, name: string, value: string): Fields => fields.map(([n, v]): [string, string] => [n, n === name ? value : v]);
const valueOf = (fields: Fields, name: string): string => fields.find(([n]) => n === name)?.[1] ?? assert.fail(`no ${name}`);

interface Expected {
  readonly status: number;
  readonly code: string;
  readonly message?: string;
  readonly details?: Record<string, string>;
}

async function refused(sent: Sent, expected: Expected, deps_ = deps()): Promise<void> {
  let error: unknown;
  try {
    await authenticate(sent.ctx, deps_);
  } catch (caught) {
    error = caught;
  }
  assert.ok(error instanceof S3Error || error instanceof AuthError, `refused: ${String(error)}`);
  assert.deepEqual([error.status, error.code], [expected.status, expected.code], error.message);
  if (expected.message !== undefined) assert.equal(error.message, expected.message);
  if (expected.details !== undefined) assert.deepEqual(error.details, expected.details);
}

const missing = (name: string): Expected => ({
  status: 400,
  code: 'InvalidArgument',
  message: `Bucket POST must contain a field named '${name}'.  If it is specified, please check the order of the fields.`,
  details: { ArgumentName: name, ArgumentValue: '' },
});

describe('authenticateForm: the request', () => {
  it('only multipart/form-data is a form: 412 RequestIsNotMultiPartContent otherwise', async () => {
    const notForm: Expected = { status: 412, code: 'RequestIsNotMultiPartContent' };
    for (const contentType of ['', 'text/plain', 'multipart/form-datax; boundary=b', 'multipart/mixed; boundary=b', 'application/json; multipart/form-data', ' multipart/form-data; boundary=b']) {
      await refused(request([['key', 'k']], null, { 'content-type': contentType }), notForm);
    }
  });

  it('multipart/form-data in any case and spacing is read; without a boundary it is malformed (400)', async () => {
    const form = v4Form('k');
    const retypes = [(t: string) => t.replace('multipart/form-data', 'Multipart/Form-Data'), (t: string) => t.replace('multipart/form-data; ', 'multipart/form-data \t;')];
    for (const retype of retypes) {
      const sent = request(form, { filename: 'a.txt' }, {}, retype);
      assert.equal((await authenticate(sent.ctx, deps())).version, 4, sent.ctx.header('content-type'));
    }
    await refused(request(form, { filename: 'a.txt' }, { 'content-type': 'multipart/form-data' }), { status: 400, code: 'MalformedPOSTRequest' });
  });

  it('Expect: 100-continue (any case) is answered, since the body is needed whatever it says; nothing else is', async () => {
    for (const [expect, count] of [['100-continue', 1], ['100-Continue', 1], ['', 0], ['101-continue', 0]] as const) {
      const sent = request(v4Form('k'), { filename: 'a.txt' }, { expect });
      await authenticate(sent.ctx, deps());
      assert.equal(sent.continues(), count, expect);
    }
  });

  it('the bytes read count as received', async () => {
    const sent = request(v4Form('k'));
    await authenticate(sent.ctx, deps());
    assert.equal(sent.ctx.bytesIn, sent.size);
  });
});

describe('authenticateForm: the key and the file', () => {
  it('a form without a key field', async () => {
    await refused(request([]), missing('key'));
  });

  it('a form without a file: InvalidArgument naming the file', async () => {
    await refused(request([['key', 'k']], null), {
      status: 400,
      code: 'InvalidArgument',
      message: 'POST requires exactly one file upload per request.',
      details: { ArgumentName: 'file', ArgumentValue: '0' },
    });
  });

  it('${filename} becomes the file\'s name, every time it appears; the template is kept as sent', async () => {
    const sent = request([['key', 'up/${filename}/${filename}']], { filename: 'a.txt' });
    const { form, ...verified } = await authenticate(sent.ctx, deps());
    assert.deepEqual(verified, { version: 0 });
    assert.equal(signerOf(sent.ctx).key, 'up/a.txt/a.txt');
    assert.deepEqual([form.bucket, form.key, form.keyTemplate, form.policy], ['bkt', 'up/a.txt/a.txt', 'up/${filename}/${filename}', undefined]);
    assert.equal(form.form.file.filename, 'a.txt');
    assert.equal(form.form.fields.get('key'), 'up/${filename}/${filename}');
  });

  it('a key that ends up empty (a file part without a filename is the empty name): InvalidArgument, the key must have a length', async () => {
    await refused(request([['key', '${filename}']], {}), {
      status: 400,
      code: 'InvalidArgument',
      message: 'User key must have a length greater than 0.',
      details: { ArgumentName: 'key', ArgumentValue: '' },
    });
  });

  it('the tagging field sets the request\'s tags when it parses, none when it does not', async () => {
    const tagged = request([['key', 'k'], ['tagging', '<Tagging><TagSet><Tag><Key>class</Key><Value>public</Value></Tag></TagSet></Tagging>']]);
    assert.deepEqual((await authenticate(tagged.ctx, deps())).form.tags, { class: 'public' });
    const broken = request([['key', 'k'], ['tagging', '<Tagging>']]);
    assert.equal((await authenticate(broken.ctx, deps())).form.tags, undefined);
  });

  it('the bucket is the request\'s; none recorded as the empty name', async () => {
    const sent = request([['key', 'k']]);
    assert.equal((await authenticate(sent.ctx, deps(), { bucket: undefined })).form.bucket, '');
  });
});

describe('authenticateForm: anonymous and signed forms', () => {
  it('a form with no signature is anonymous (nothing recorded); one with a policy but no signature is refused', async () => {
    const sent = request([['key', 'k']]);
    assert.equal((await authenticate(sent.ctx, deps())).version, 0);
    assert.deepEqual([signerOf(sent.ctx).authType, signerOf(sent.ctx).principal], ['anonymous', undefined]);
    await refused(request([['key', 'k'], ['policy', valueOf(v4Form('k'), 'policy')]]), missing('AWSAccessKeyId'));
  });

  it('any one signature field makes a signed form, whose other fields are then required', async () => {
    await refused(request([['key', 'k'], ['x-amz-algorithm', 'AWS4-HMAC-SHA256']]), missing('x-amz-credential'));
    await refused(request([['key', 'k'], ['x-amz-credential', 'AK/20240506/us-east-1/s3/aws4_request']]), missing('x-amz-algorithm'));
    await refused(request([['key', 'k'], ['x-amz-signature', '00']]), missing('x-amz-algorithm'));
    await refused(request([['key', 'k'], ['AWSAccessKeyId', LONG.accessKeyId]]), missing('signature'));
    await refused(request([['key', 'k'], ['signature', 'x']]), missing('awsaccesskeyid'));
  });

  it('V4 and V2 fields together: only one auth mechanism', async () => {
    await refused(request([...v4Form('k'), ['signature', 'x']]), { status: 400, code: 'InvalidArgument' });
    await refused(request([...v2Form('k'), ['x-amz-algorithm', 'AWS4-HMAC-SHA256']]), { status: 400, code: 'InvalidArgument' });
    await refused(request([...v2Form('k').filter(([n]) => n !== 'signature'), ['x-amz-signature', '00']]), { status: 400, code: 'InvalidArgument' });
    await refused(request([...v4Form('k').filter(([n]) => n !== 'x-amz-signature'), ['AWSAccessKeyId', LONG.accessKeyId]]), { status: 400, code: 'InvalidArgument' });
  });

  it('a SigV4 form records its signer and expires with its policy', async () => {
    const expiration = NOW + 2 * HOUR;
    const sent = request(v4Form('k', { expiration }));
    const verified = await authenticate(sent.ctx, deps());
    assert.equal(signerOf(sent.ctx).authType, 'presigned');
    assert.equal(signerOf(sent.ctx).principal, alice);
    assert.ok(verified.version === 4);
    const v4 = verified;
    assert.deepEqual(
      [v4.mode, v4.accessKeyId, v4.amzDate, v4.signedAt, v4.payloadHash, v4.expiresAt, v4.securityToken, v4.scope],
      ['query', LONG.accessKeyId, '20240506T070809Z', NOW, 'UNSIGNED-PAYLOAD', expiration, undefined, { date: '20240506', region: 'us-east-1', service: 's3' }],
    );
    assert.equal(v4.signature, valueOf(v4Form('k', { expiration }), 'x-amz-signature'));
    assert.deepEqual(Buffer.from(v4.signingKey), Buffer.from(deriveSigningKey(nodeCrypto, LONG.secretAccessKey, v4.scope)));
    assert.equal(verified.form.policy?.expiration, expiration);
  });

  it('a SigV4 form with temporary credentials carries its token', async () => {
    const sent = request(v4Form('k', { signer: SESSION }));
    const verified = await authenticate(sent.ctx, deps());
    assert.equal(verified.version === 4 && verified.securityToken, SESSION.sessionToken);
    assert.equal(signerOf(sent.ctx).principal, bob);
    // Temporary credentials need their token (the signing key does not involve it).
    await refused(request(v4Form('k', { signer: SESSION }).filter(([n]) => n !== 'x-amz-security-token')), { status: 400, code: 'InvalidToken' });
  });

  it('a SigV2 form records its signer and expires with its policy', async () => {
    const expiration = NOW + 2 * HOUR;
    const sent = request(v2Form('k', { expiration }));
    const { form: _form, ...verified } = await authenticate(sent.ctx, deps());
    assert.deepEqual([signerOf(sent.ctx).authType, signerOf(sent.ctx).principal], ['presigned', alice]);
    assert.deepEqual(verified, { version: 2, mode: 'query', accessKeyId: LONG.accessKeyId, signature: valueOf(v2Form('k', { expiration }), 'signature'), expiresAt: expiration });
    const session = request(v2Form('k', { signer: SESSION }));
    const withToken = await authenticate(session.ctx, deps());
    assert.equal(withToken.version === 2 && withToken.securityToken, SESSION.sessionToken);
    assert.equal(signerOf(session.ctx).principal, bob);
  });

  it('sigv2: false refuses a SigV2 form (InvalidRequest), and sigv2: true accepts it', async () => {
    await refused(request(v2Form('k')), { status: 400, code: 'InvalidRequest', message: 'SigV2 authentication is disabled on this server; use AWS4-HMAC-SHA256' }, deps({ sigv2: false }));
    assert.equal((await authenticate(request(v2Form('k')).ctx, deps({ sigv2: true }))).version, 2);
    assert.equal((await authenticate(request(v4Form('k')).ctx, deps({ sigv2: false }))).version, 4);
  });

  it('SigV2: the signature must be exactly base64 of 20 bytes, nothing before or after it', async () => {
    const form = v2Form('k');
    const signature = valueOf(form, 'signature');
    for (const bad of [`!${signature}`, `${signature}AAAA`, signature.slice(0, -1), `${signature.slice(0, -1)}A`, Buffer.from(signature, 'base64').toString('hex'), Buffer.concat([Buffer.from(signature, 'base64'), Buffer.alloc(1)]).toString('base64')]) {
      const sent = request(set(form, 'signature', bad));
      await refused(sent, { status: 403, code: 'SignatureDoesNotMatch' });
      assert.deepEqual([signerOf(sent.ctx).principal, signerOf(sent.ctx).authType], [undefined, 'anonymous']);
    }
  });

  it('SigV2: a long-term key\'s form carrying a token, a session\'s without: InvalidToken', async () => {
    await refused(request([['x-amz-security-token', 'stray'], ...v2Form('k')]), { status: 400, code: 'InvalidToken' });
    await refused(request(v2Form('k', { signer: SESSION }).filter(([n]) => n !== 'x-amz-security-token')), { status: 400, code: 'InvalidToken' });
  });

  it('an unknown access key: InvalidAccessKeyId (403), V4 and V2', async () => {
    const stranger: Signer = { accessKeyId: 'AKSTRANGER0000000001', secretAccessKey: 'x'.repeat(40) };
    await refused(request(v4Form('k', { signer: stranger })), { status: 403, code: 'InvalidAccessKeyId' });
    await refused(request(v2Form('k', { signer: stranger })), { status: 403, code: 'InvalidAccessKeyId' });
  });
});

describe('authenticateForm: time', () => {
  it('a policy past its expiration: AccessDenied, to the millisecond', async () => {
    const expiration = NOW + HOUR;
    assert.equal((await authenticate(request(v4Form('k', { expiration })).ctx, deps({ now: expiration }))).version, 4);
    await refused(request(v4Form('k', { expiration })), { status: 403, code: 'AccessDenied', message: 'Invalid according to Policy: Policy expired.' }, deps({ now: expiration + 1 }));
  });

  it('signed more than 15 minutes in the future: AccessDenied, not yet valid', async () => {
    assert.equal((await authenticate(request(v4Form('k', { signedAt: NOW + SKEW })).ctx, deps())).version, 4);
    await refused(request(v4Form('k', { signedAt: NOW + SKEW + 1000 })), { status: 403, code: 'AccessDenied', message: 'Request is not yet valid' });
  });

  it('a SigV4 policy lives at most 7 days from its signing (not from now)', async () => {
    const lifetime: Expected = { status: 400, code: 'InvalidPolicyDocument', message: 'Invalid Policy: a policy may expire at most 7 days (604800 seconds) after it is signed.' };
    assert.equal((await authenticate(request(v4Form('k', { expiration: NOW + WEEK })).ctx, deps())).version, 4);
    await refused(request(v4Form('k', { expiration: NOW + WEEK + 1 })), lifetime);
    // Signed an hour ago: 7 days from then, though less than 7 days from now, is the limit.
    const signedAt = NOW - HOUR;
    assert.equal((await authenticate(request(v4Form('k', { signedAt, expiration: signedAt + WEEK })).ctx, deps())).version, 4);
    await refused(request(v4Form('k', { signedAt, expiration: NOW + WEEK - 1000 })), lifetime);
    // Signed in the (allowed) future: counted from the signing too.
    const ahead = NOW + 10 * 60_000;
    assert.equal((await authenticate(request(v4Form('k', { signedAt: ahead, expiration: ahead + WEEK })).ctx, deps())).version, 4);
  });

  it('a SigV2 policy, which does not say when it was signed, lives at most 7 days from now', async () => {
    assert.equal((await authenticate(request(v2Form('k', { expiration: NOW + WEEK })).ctx, deps())).version, 2);
    await refused(request(v2Form('k', { expiration: NOW + WEEK + 1 })), {
      status: 400,
      code: 'InvalidPolicyDocument',
      message: 'Invalid Policy: a policy may expire at most 7 days (604800 seconds) after it is signed.',
    });
    await refused(request(v2Form('k', { expiration: NOW - 1 })), { status: 403, code: 'AccessDenied', message: 'Invalid according to Policy: Policy expired.' });
  });
});

describe("authenticateForm: a SigV4 form's credential scope and signature length", () => {
  const credentialOf = (scope: string): Fields => set(v4Form('k'), 'x-amz-credential', `${LONG.accessKeyId}/${scope}`);
  const scopeError = (reason: string, details?: Record<string, string>): Expected => ({
    status: 400,
    code: 'AuthorizationQueryParametersError',
    message: `Error parsing the X-Amz-Credential parameter; ${reason}`,
    ...(details === undefined ? {} : { details }),
  });

  it('another region is refused by name before the signature is checked (not a SignatureDoesNotMatch)', async () => {
    await refused(request(credentialOf('20240506/eu-west-1/s3/aws4_request')), scopeError("the region 'eu-west-1' is wrong; expecting 'us-east-1'", { Region: 'us-east-1' }));
  });

  it('another service names the one this endpoint belongs to', async () => {
    await refused(request(credentialOf('20240506/us-east-1/sts/aws4_request')), scopeError('incorrect service "sts". This endpoint belongs to "s3".'));
  });

  it('a scope date of nine digits, extra at either end, is a malformed credential, not a date mismatch', async () => {
    const malformed = scopeError('the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".');
    await refused(request(credentialOf('120240506/us-east-1/s3/aws4_request')), malformed);
    await refused(request(credentialOf('202405061/us-east-1/s3/aws4_request')), malformed);
  });

  it('a hex signature one byte short is SignatureDoesNotMatch, never a crash in the comparison', async () => {
    const form = v4Form('k');
    await refused(request(set(form, 'x-amz-signature', valueOf(form, 'x-amz-signature').slice(0, 62))), { status: 403, code: 'SignatureDoesNotMatch' });
  });
});
