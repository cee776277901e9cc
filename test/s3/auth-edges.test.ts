import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { S3Error } from '../../src/errors.js';
import { hashToken, type Principal, type ResolvedKey } from '../../src/identity/identities.js';
import { checkSessionToken } from '../../src/s3/auth.js';
import type { RequestContext } from '../../src/s3/context.js';
import { AuthError, nodeCrypto, signRequest, signV2, UNSIGNED_PAYLOAD } from '../../src/sigv4/index.js';
import {
  alice, authHarness, context, HOST, link, LONG, LONG_KEY, LONG_SECRET, NOW, refusal, REGION, SESSION, SESSION_KEY, SESSION_SECRET, sessionKey, TOKEN, type Credentials,
} from '../helpers/auth-harness.js';
import { authenticate, signerOf } from '../helpers/stage-auth.js';

/*
 * authenticate() and checkSessionToken() in-process, each branch with a real
 * signer (src/sigv4's presign, signRequest, signV2), a real key cache and a
 * clock and key table the test controls: what each kind of request records on
 * the context, what it is refused with, and what the verified-request cache
 * keeps. The mutation target `auth` runs this file first (docs/testing.md).
 */

/** A header-signed request (SigV4) as a context. */
function headerSigned(options: { credentials?: Credentials; method?: string; service?: string; payloadHash?: string; contentSha256Header?: boolean } = {}): RequestContext {
  const url = `http://${HOST}/bkt/key.txt`;
  const method = options.method ?? 'GET';
  const signed = signRequest({
    method,
    url,
    credentials: options.credentials ?? LONG,
    region: REGION,
    now: NOW,
    crypto: nodeCrypto,
    payloadHash: options.payloadHash ?? UNSIGNED_PAYLOAD,
    ...(options.service === undefined ? {} : { service: options.service }),
    ...(options.contentSha256Header === undefined ? {} : { contentSha256Header: options.contentSha256Header }),
  });
  const { host: _host, ...headers } = signed.headers;
  return context(url, headers, method);
}

function v2(mode: 'header' | 'query', options: { url?: string; virtualHostBucket?: string; credentials?: Credentials } = {}): RequestContext {
  const url = options.url ?? `http://${HOST}/bkt/key.txt`;
  const base = { method: 'GET', url, credentials: options.credentials ?? LONG, crypto: nodeCrypto, now: NOW, ...(options.virtualHostBucket === undefined ? {} : { virtualHostBucket: options.virtualHostBucket }) };
  const signed = mode === 'query' ? signV2({ ...base, mode, expiresIn: 600 }) : signV2({ ...base, mode });
  return context(signed.url, signed.headers);
}

/** The link with the last hex digit of its signature changed. */
function forge(url: string): string {
  return url.replace(/[0-9a-f]$/, (digit) => (digit === '0' ? '1' : '0'));
}

const codeOf = (error: S3Error | AuthError) => [error.status, error.code];

describe('authenticate: what each kind of request records', () => {
  it('an unsigned request is anonymous: version 0, no key looked up, nothing recorded', async () => {
    const h = authHarness();
    const ctx = context(`http://${HOST}/bkt/key.txt`);
    assert.deepEqual(await authenticate(ctx, h.deps), { version: 0 });
    assert.equal(signerOf(ctx).authType, 'anonymous');
    assert.equal(signerOf(ctx).principal, undefined);
    assert.deepEqual(h.lookups, []);
    assert.deepEqual([h.cache.size, h.cache.refusalCount], [0, 0]);
  });

  it('a header-signed request: auth type "header", the signer as principal, nothing remembered', async () => {
    const h = authHarness();
    const ctx = headerSigned();
    const verified = await authenticate(ctx, h.deps);
    assert.equal(verified.version, 4);
    assert.equal(signerOf(ctx).authType, 'header');
    assert.equal(signerOf(ctx).principal, alice);
    assert.deepEqual(h.lookups, [LONG_KEY]);
    assert.equal(h.cache.size, 0);
  });

  it('a pre-signed download: auth type "presigned", remembered once it passed', async () => {
    const h = authHarness();
    const ctx = context(link());
    const verified = await authenticate(ctx, h.deps);
    assert.equal(verified.version === 4 && verified.mode, 'query');
    assert.equal(signerOf(ctx).authType, 'presigned');
    assert.equal(signerOf(ctx).principal, alice);
    assert.equal(h.cache.size, 1);
  });

  it('a pre-signed upload is verified but not remembered, nor is its refusal', async () => {
    const h = authHarness();
    const url = link({ method: 'PUT' });
    assert.equal((await authenticate(context(url, {}, 'PUT'), h.deps)).version, 4);
    const error = await refusal(authenticate(context(forge(url), {}, 'PUT'), h.deps));
    assert.deepEqual(codeOf(error), [403, 'SignatureDoesNotMatch']);
    assert.deepEqual([h.cache.size, h.cache.refusalCount], [0, 0]);
  });

  it('with the cache turned off a download is verified every time and nothing is kept', async () => {
    const h = authHarness({ cache: false });
    await authenticate(context(link()), h.deps);
    const hmacs = h.hmacs();
    await authenticate(context(link()), h.deps);
    assert.ok(h.hmacs() > hmacs);
    assert.deepEqual([h.cache.size, h.cache.refusalCount], [0, 0]);
  });

  it('an unknown access key: InvalidAccessKeyId (403) for a header, a link and SigV2, recorded under the mechanism it claimed', async () => {
    const h = authHarness();
    h.keys.delete(LONG_KEY);
    const claimed = [
      [headerSigned(), 'header'],
      [context(link()), 'presigned'],
      [v2('header'), 'header'],
      [v2('query'), 'presigned'],
    ] as const;
    for (const [ctx, authType] of claimed) {
      const error = await refusal(authenticate(ctx, h.deps));
      assert.deepEqual(codeOf(error), [403, 'InvalidAccessKeyId']);
      assert.equal(signerOf(ctx).authType, authType);
      assert.equal(signerOf(ctx).principal, undefined);
    }
    assert.deepEqual([h.cache.size, h.cache.refusalCount], [0, 0]);
  });

  it('a remembered link whose key is gone is forgotten, not only refused', async () => {
    const h = authHarness();
    await authenticate(context(link()), h.deps);
    assert.equal(h.cache.size, 1);
    const key = h.keys.get(LONG_KEY);
    h.keys.delete(LONG_KEY);
    const ctx = context(link());
    assert.deepEqual(codeOf(await refusal(authenticate(ctx, h.deps))), [403, 'InvalidAccessKeyId']);
    assert.equal(signerOf(ctx).authType, 'presigned');
    assert.equal(h.cache.size, 0);
    h.keys.set(LONG_KEY, key as ResolvedKey);
    const again = context(link());
    assert.equal((await authenticate(again, h.deps)).version, 4);
    assert.equal(signerOf(again).principal, alice);
  });

  it('a remembered link answers with the principal as the key table has it now', async () => {
    const h = authHarness();
    await authenticate(context(link()), h.deps);
    const renamed: Principal = { ...alice, name: 'alice2' };
    h.keys.set(LONG_KEY, { secretAccessKey: LONG_SECRET, principal: renamed });
    const ctx = context(link());
    await authenticate(ctx, h.deps);
    assert.equal(signerOf(ctx).principal, renamed);
    assert.equal(signerOf(ctx).authType, 'presigned');
  });
});

describe('authenticate: refused forgeries are remembered (SigV4 downloads only)', () => {
  it('a forged download link is refused, remembered, and refused again without a signature computed', async () => {
    const h = authHarness();
    const forged = forge(link());
    assert.deepEqual(codeOf(await refusal(authenticate(context(forged), h.deps))), [403, 'SignatureDoesNotMatch']);
    assert.equal(h.cache.refusalCount, 1);
    const hmacs = h.hmacs();
    assert.deepEqual(codeOf(await refusal(authenticate(context(forged), h.deps))), [403, 'SignatureDoesNotMatch']);
    assert.equal(h.hmacs(), hmacs);
  });

  it('a link refused for its session token is not remembered as valid', async () => {
    const h = authHarness();
    h.keys.set(SESSION_KEY, { ...sessionKey(NOW + 3600_000), tokenHash: hashToken('another token') });
    const url = link({ credentials: SESSION });
    const ctx = context(url);
    assert.deepEqual(codeOf(await refusal(authenticate(ctx, h.deps))), [400, 'InvalidToken']);
    assert.equal(h.cache.size, 0);
    assert.equal(signerOf(ctx).principal, undefined);
  });

  it('SigV2 links are never remembered: a valid one passes and a forged one is refused as a mismatch', async () => {
    const h = authHarness();
    const ctx = v2('query');
    const verified = await authenticate(ctx, h.deps);
    assert.equal(verified.version, 2);
    assert.equal(signerOf(ctx).authType, 'presigned');
    assert.equal(signerOf(ctx).principal, alice);
    const signed = signV2({ method: 'GET', url: `http://${HOST}/bkt/key.txt`, credentials: LONG, crypto: nodeCrypto, now: NOW, mode: 'query', expiresIn: 600 });
    const forged = signed.url.replace(/Signature=[^&]+/, `Signature=${encodeURIComponent(Buffer.alloc(20, 7).toString('base64'))}`);
    assert.deepEqual(codeOf(await refusal(authenticate(context(forged), h.deps))), [403, 'SignatureDoesNotMatch']);
    assert.deepEqual([h.cache.size, h.cache.refusalCount], [0, 0]);
  });

  it('SigV2 header auth: auth type "header"', async () => {
    const h = authHarness();
    const ctx = v2('header');
    assert.equal((await authenticate(ctx, h.deps)).version, 2);
    assert.equal(signerOf(ctx).authType, 'header');
    assert.equal(signerOf(ctx).principal, alice);
  });
});

describe('authenticate: the switch for SigV2', () => {
  it('sigv2: false refuses SigV2 header and query auth with InvalidRequest, before any key is looked up', async () => {
    const h = authHarness({ sigv2: false });
    for (const ctx of [v2('header'), v2('query')]) {
      const error = await refusal(authenticate(ctx, h.deps));
      assert.ok(error instanceof S3Error);
      assert.deepEqual(codeOf(error), [400, 'InvalidRequest']);
      assert.equal(error.message, 'SigV2 authentication is disabled on this server; use AWS4-HMAC-SHA256');
      assert.equal(signerOf(ctx).principal, undefined);
    }
    assert.deepEqual(h.lookups, []);
  });

  it('sigv2: false still accepts SigV4, and sigv2: true accepts SigV2', async () => {
    assert.equal((await authenticate(headerSigned(), authHarness({ sigv2: false }).deps)).version, 4);
    assert.equal((await authenticate(context(link()), authHarness({ sigv2: false }).deps)).version, 4);
    assert.equal((await authenticate(v2('header'), authHarness({ sigv2: true }).deps)).version, 2);
  });
});

describe('authenticate: the options', () => {
  it('request: the signed request given is the one verified, not the context\'s', async () => {
    const h = authHarness();
    const signed = headerSigned();
    const plain = context(`http://${HOST}/bkt/key.txt`);
    assert.equal((await authenticate(plain, h.deps, { request: signed.signable })).version, 4);
    assert.equal(signerOf(plain).principal, alice);
    assert.deepEqual(await authenticate(headerSigned(), h.deps, { request: plain.signable }), { version: 0 });
  });

  it('service and payloadHash: a request signed for STS (no x-amz-content-sha256, its body hashed) passes only with both', async () => {
    const h = authHarness();
    const bodyHash = nodeCrypto.sha256Hex('Action=GetSessionToken&Version=2011-06-15');
    const sts = () => headerSigned({ method: 'POST', service: 'sts', payloadHash: bodyHash, contentSha256Header: false });
    const verified = await authenticate(sts(), h.deps, { service: 'sts', payloadHash: bodyHash });
    assert.equal(verified.version === 4 && verified.scope.service, 'sts');
    // As an S3 request, the scope names the wrong service.
    const asS3 = await refusal(authenticate(sts(), h.deps, { payloadHash: bodyHash }));
    assert.deepEqual(codeOf(asS3), [400, 'AuthorizationHeaderMalformed']);
    // Without the body's hash, the header that would carry it is required.
    const noHash = await refusal(authenticate(sts(), h.deps, { service: 'sts' }));
    assert.ok(noHash instanceof AuthError);
    assert.equal(noHash.defect, 'missing-content-sha256');
    // That header is required before the key is even looked up: an unknown key is refused for the header.
    h.keys.delete(LONG_KEY);
    h.lookups.length = 0;
    const unknownNoHash = await refusal(authenticate(sts(), h.deps, { service: 'sts' }));
    assert.ok(unknownNoHash instanceof AuthError);
    assert.equal(unknownNoHash.defect, 'missing-content-sha256');
    assert.deepEqual(h.lookups, []);
    h.keys.set(LONG_KEY, { secretAccessKey: LONG_SECRET, principal: alice });
    // Another body: the signature does not match.
    const otherBody = await refusal(authenticate(sts(), h.deps, { service: 'sts', payloadHash: nodeCrypto.sha256Hex('Action=Other') }));
    assert.deepEqual(codeOf(otherBody), [403, 'SignatureDoesNotMatch']);
  });

  it('payloadHash: a download link remembered under one body hash is verified again under another', async () => {
    const h = authHarness();
    const hash = nodeCrypto.sha256Hex('one body');
    const url = link({ payloadHash: hash });
    assert.equal((await authenticate(context(url), h.deps, { payloadHash: hash })).version, 4);
    assert.equal(h.cache.size, 1);
    const other = await refusal(authenticate(context(url), h.deps, { payloadHash: nodeCrypto.sha256Hex('another body') }));
    assert.deepEqual(codeOf(other), [403, 'SignatureDoesNotMatch']);
    // And without one it is an S3 link, whose payload is UNSIGNED-PAYLOAD.
    assert.deepEqual(codeOf(await refusal(authenticate(context(url), h.deps))), [403, 'SignatureDoesNotMatch']);
  });

  it('virtualHostBucket: a SigV2 request to a virtual-hosted bucket passes only when the bucket is given', async () => {
    const h = authHarness();
    const url = 'http://bkt.s3.example.test/key.txt';
    assert.equal((await authenticate(v2('header', { url, virtualHostBucket: 'bkt' }), h.deps, { virtualHostBucket: 'bkt' })).version, 2);
    assert.deepEqual(codeOf(await refusal(authenticate(v2('header', { url, virtualHostBucket: 'bkt' }), h.deps))), [403, 'SignatureDoesNotMatch']);
  });
});

describe('checkSessionToken', () => {
  const long: ResolvedKey = { secretAccessKey: LONG_SECRET, principal: alice };
  const code = (run: () => void): string | undefined => {
    try {
      run();
      return undefined;
    } catch (error) {
      assert.ok(error instanceof S3Error);
      assert.equal(error.status, 400);
      return error.code;
    }
  };

  it('a long-term key must carry no token', () => {
    assert.equal(code(() => checkSessionToken(long, undefined, NOW)), undefined);
    assert.equal(code(() => checkSessionToken(long, TOKEN, NOW)), 'InvalidToken');
    assert.equal(code(() => checkSessionToken(long, '', NOW)), 'InvalidToken');
  });

  it('temporary credentials need their own token', () => {
    const session = sessionKey(NOW + 1000);
    assert.equal(code(() => checkSessionToken(session, TOKEN, NOW)), undefined);
    assert.equal(code(() => checkSessionToken(session, undefined, NOW)), 'InvalidToken');
    assert.equal(code(() => checkSessionToken(session, 'another token', NOW)), 'InvalidToken');
    assert.equal(code(() => checkSessionToken(session, '', NOW)), 'InvalidToken');
  });

  it('a session ends at its expiry, to the millisecond', () => {
    const session = sessionKey(NOW + 1000);
    assert.equal(code(() => checkSessionToken(session, TOKEN, NOW + 999)), undefined);
    assert.equal(code(() => checkSessionToken(session, TOKEN, NOW + 1000)), 'ExpiredToken');
    assert.equal(code(() => checkSessionToken(session, TOKEN, NOW + 1001)), 'ExpiredToken');
    // An expired session with the wrong token is refused for the token.
    assert.equal(code(() => checkSessionToken(session, 'another token', NOW + 5000)), 'InvalidToken');
  });

  it('a session without an end, or a token-bearing key with no session record, passes on its token alone', () => {
    assert.equal(code(() => checkSessionToken(sessionKey(undefined), TOKEN, NOW + 365 * 86_400_000)), undefined);
    const bare: ResolvedKey = { secretAccessKey: SESSION_SECRET, principal: alice, tokenHash: hashToken(TOKEN) };
    assert.equal(code(() => checkSessionToken(bare, TOKEN, NOW)), undefined);
    assert.equal(code(() => checkSessionToken(bare, 'another token', NOW)), 'InvalidToken');
  });

  it('through authenticate: a long-term key\'s link carrying a token, a session link without one, an expired session', async () => {
    const h = authHarness();
    // A long-term key signing with a token: the signature is right, the token is not wanted.
    const withToken = link({ credentials: { ...LONG, sessionToken: TOKEN } as Credentials });
    assert.deepEqual(codeOf(await refusal(authenticate(context(withToken), h.deps))), [400, 'InvalidToken']);
    const withoutToken = link({ credentials: { accessKeyId: SESSION_KEY, secretAccessKey: SESSION_SECRET } });
    assert.deepEqual(codeOf(await refusal(authenticate(context(withoutToken), h.deps))), [400, 'InvalidToken']);
    h.keys.set(SESSION_KEY, sessionKey(NOW + 1000));
    h.clock = NOW + 1000;
    const header = headerSigned({ credentials: SESSION });
    assert.deepEqual(codeOf(await refusal(authenticate(header, h.deps))), [400, 'ExpiredToken']);
    assert.equal(signerOf(header).principal, undefined);
    assert.deepEqual([h.cache.size], [0]);
  });
});
