import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuthError, nodeCrypto, parseAuthorization, presign, signRequest, type SignableRequest, type V4Auth, type VerifiedV4 } from '../../src/sigv4/index.js';
import { splitUrl } from '../../src/sigv4/split-url.js';
import { VerifiedRequestCache, type VerifiedCacheScope } from '../../src/s3/verified-cache.js';
import { verifyV4 } from '../../src/sigv4/verify.js';

// Every assert.ok here has a message: without one, node:assert re-reads the source to quote the expression,
// which under tsx (and Stryker's instrumented code) can spin for minutes on a failure.
const NOW = Date.parse('2024-05-06T07:08:09Z');
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET };
const HOST = '127.0.0.1:9000';
const SCOPE: VerifiedCacheScope = { region: 'us-east-1', service: 's3', requireContentSha256: true };

type Headers = Record<string, string | string[]>;

/** A pre-signed GET as the server receives it, with any extra headers the link must be sent with. */
function presigned(options: { expiresIn?: number; signedHeaders?: Record<string, string>; sent?: Headers } = {}): SignableRequest {
  const { url } = presign({
    method: 'GET',
    url: `http://${HOST}/bkt/key.txt`,
    credentials: CREDENTIALS,
    region: 'us-east-1',
    now: NOW,
    expiresIn: options.expiresIn ?? 300,
    crypto: nodeCrypto,
    ...(options.signedHeaders ? { headers: options.signedHeaders } : {}),
  });
  const parts = splitUrl(url);
  return { method: 'GET', path: parts.path, query: parts.query, headers: { host: HOST, ...options.signedHeaders, ...options.sent } };
}

function verify(request: SignableRequest, now = NOW): { auth: V4Auth; verified: VerifiedV4 } {
  const auth = parseAuthorization(request, SCOPE);
  assert.equal(auth.version, 4);
  return { auth, verified: verifyV4(auth, request, SECRET, { now, crypto: nodeCrypto }) };
}

function remembered(request: SignableRequest, cache = new VerifiedRequestCache()): VerifiedRequestCache {
  const { auth, verified } = verify(request);
  cache.remember(request, SCOPE, auth, verified, SECRET);
  return cache;
}

describe('VerifiedRequestCache', () => {
  it('finds a remembered link for the identical request and hands back the verified outcome', () => {
    const request = presigned();
    const { auth, verified } = verify(request);
    const cache = new VerifiedRequestCache();
    assert.equal(cache.find(request, SCOPE), undefined, 'nothing is found before a success was remembered');
    cache.remember(request, SCOPE, auth, verified, SECRET);
    const hit = cache.find({ ...request, headers: { ...request.headers } }, SCOPE);
    assert.ok(hit, 'hit');
    assert.equal(hit.accessKeyId, 'AKIDEXAMPLE');
    assert.equal(cache.revalidate(hit, SECRET, NOW + 1000), verified);
  });

  it('misses when anything verification reads differs', () => {
    const request = presigned();
    const cache = remembered(request);
    const changes: Array<[string, SignableRequest]> = [
      ['method', { ...request, method: 'HEAD' }],
      ['path', { ...request, path: '/bkt/key.txu' }],
      ['query, one character', { ...request, query: request.query.replace('X-Amz-Expires=300', 'X-Amz-Expires=301') }],
      ['query, same meaning spelt differently', { ...request, query: request.query.replace('%2F', '%2f') }],
      ['host', { ...request, headers: { host: 'localhost:9000' } }],
      ['host sent twice', { ...request, headers: { host: [HOST, HOST] } }],
      ['an Authorization header', { ...request, headers: { ...request.headers, authorization: 'AWS4-HMAC-SHA256 x' } }],
      ['an unsigned x-amz-* header', { ...request, headers: { ...request.headers, 'x-amz-date': '20240506T070809Z' } }],
      ['an unsigned x-amz-content-sha256', { ...request, headers: { ...request.headers, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }],
    ];
    for (const [what, changed] of changes) assert.equal(cache.find(changed, SCOPE), undefined, what);
    assert.equal(cache.find(request, { ...SCOPE, service: 'sts' }), undefined, 'another service');
    assert.equal(cache.find(request, { ...SCOPE, region: 'eu-west-1' }), undefined, 'another region');
    assert.equal(cache.find(request, { ...SCOPE, payloadHash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' }), undefined, 'a body hash');
    // Unsigned headers outside x-amz-* do not enter verification.
    assert.ok(cache.find({ ...request, headers: { ...request.headers, 'user-agent': 'curl/8', accept: '*/*' } }, SCOPE), 'cache.find({ ...request, headers: { ...request.headers, "user-agent": "curl/8", accept: "*/*" } }, SCOPE)');
  });

  it('compares every signed header, value by value (a header sent once as "v" or ["v"] is the same input)', () => {
    const request = presigned({ signedHeaders: { 'x-test': 'a' } });
    const cache = remembered(request);
    assert.ok(cache.find({ ...request, headers: { host: [HOST], 'x-test': ['a'] } }, SCOPE), 'cache.find({ ...request, headers: { host: [HOST], "x-test": ["a"] } }, SCOPE)');
    assert.equal(cache.find({ ...request, headers: { host: HOST } }, SCOPE), undefined, 'signed header missing');
    assert.equal(cache.find({ ...request, headers: { host: HOST, 'x-test': 'b' } }, SCOPE), undefined, 'signed header changed');
    assert.equal(cache.find({ ...request, headers: { host: HOST, 'x-test': ['a', 'a'] } }, SCOPE), undefined, 'signed header repeated');
    assert.equal(cache.find({ ...request, headers: { host: HOST, 'x-test': 'a ' } }, SCOPE), undefined, 'even a change canonicalization would undo');
  });

  it('a hit past the expiry throws what verifyV4 throws (AccessDenied, Request has expired), and keeps doing so as a remembered refusal', () => {
    const request = presigned({ expiresIn: 60 });
    const cache = remembered(request);
    const hit = cache.find(request, SCOPE);
    assert.ok(hit, 'hit');
    assert.ok(cache.revalidate(hit, SECRET, NOW + 60_000), 'still valid at the last millisecond');
    const late = NOW + 60_001;
    const fresh = (() => {
      try {
        verify(request, late);
      } catch (error) {
        return error;
      }
      assert.fail('verifyV4 accepted an expired URL');
    })();
    assert.throws(
      () => cache.revalidate(hit, SECRET, late),
      (error: unknown) => {
        assert.ok(error instanceof AuthError, 'error instanceof AuthError');
        assert.deepEqual([error.code, error.status, error.defect, error.message], ['AccessDenied', 403, 'expired', 'Request has expired']);
        assert.deepEqual(error, fresh);
        return true;
      },
    );
    assert.equal(cache.size, 0, 'no longer a success');
    assert.equal(cache.refusalCount, 1);
    const again = cache.find(request, SCOPE);
    assert.ok(again, 'an expired link stays expired: the refusal is remembered');
    assert.throws(() => cache.revalidate(again, SECRET, late + 5000), (error: unknown) => error instanceof AuthError && error.defect === 'expired' && error.details['ServerTime'] === '2024-05-06T07:09:14Z');
  });

  it('remembers a signature mismatch under its secret: the same request is refused with the same error, without an HMAC', () => {
    const genuine = presigned();
    // The signature's last hex digit changed (presign puts X-Amz-Signature last).
    const tampered: SignableRequest = { ...genuine, query: genuine.query.replace(/.$/, (c) => (c === '0' ? '1' : '0')) };
    assert.match(genuine.query, /X-Amz-Signature=[0-9a-f]{64}$/);
    const auth = parseAuthorization(tampered, SCOPE);
    assert.equal(auth.version, 4);
    const fresh = (() => {
      try {
        verifyV4(auth, tampered, SECRET, { now: NOW, crypto: nodeCrypto });
      } catch (error) {
        return error;
      }
      assert.fail('a tampered signature was accepted');
    })();
    assert.ok(fresh instanceof AuthError && fresh.defect === 'signature-mismatch', 'fresh instanceof AuthError && fresh.defect === "signature-mismatch"');
    const cache = new VerifiedRequestCache();
    cache.rememberRefusal(tampered, SCOPE, auth, fresh, SECRET);
    assert.equal(cache.size, 0);
    assert.equal(cache.refusalCount, 1);
    assert.equal(cache.find(genuine, SCOPE), undefined, 'the genuine link is another request');
    const hit = cache.find(tampered, SCOPE);
    assert.ok(hit, 'hit');
    assert.throws(() => cache.revalidate(hit, SECRET, NOW), (error: unknown) => {
      assert.ok(error instanceof AuthError, 'error instanceof AuthError');
      assert.deepEqual(error, fresh);
      return true;
    });
    // Under another secret the verdict proves nothing: checked from scratch.
    assert.equal(cache.revalidate(hit, `${SECRET}X`, NOW), undefined);
    assert.equal(cache.find(tampered, SCOPE), undefined);
  });

  it('remembers only refusals that the same bytes and secret would give again', () => {
    const request = presigned();
    const auth = parseAuthorization(request, SCOPE);
    assert.equal(auth.version, 4);
    const cache = new VerifiedRequestCache();
    cache.rememberRefusal(request, SCOPE, auth, new Error('disk on fire'), SECRET);
    cache.rememberRefusal(request, SCOPE, auth, new AuthError('unknown-access-key', 'InvalidAccessKeyId'), SECRET);
    assert.equal(cache.refusalCount, 0);
  });

  it('a link refused as not yet valid is checked in full once it is valid', () => {
    const request = presigned();
    const auth = parseAuthorization(request, SCOPE);
    assert.equal(auth.version, 4);
    const early = NOW - 16 * 60_000;
    const error = (() => {
      try {
        verifyV4(auth, request, SECRET, { now: early, crypto: nodeCrypto });
      } catch (e) {
        return e;
      }
      assert.fail('accepted before its time');
    })();
    const cache = new VerifiedRequestCache();
    cache.rememberRefusal(request, SCOPE, auth, error, SECRET);
    const hit = cache.find(request, SCOPE);
    assert.ok(hit, 'hit');
    assert.throws(() => cache.revalidate(hit, SECRET, early + 1000), (e: unknown) => e instanceof AuthError && e.defect === 'not-yet-valid');
    assert.equal(cache.revalidate(hit, SECRET, NOW), undefined, 'now valid: no verdict, verify from scratch');
    assert.equal(cache.find(request, SCOPE), undefined);
  });

  it('holds at most 1,000 refusals, apart from the successes', () => {
    const cache = remembered(presigned());
    const base = presigned();
    const auth = parseAuthorization(base, SCOPE);
    assert.equal(auth.version, 4);
    for (let i = 0; i < 1005; i++) {
      const forged: SignableRequest = { ...base, query: `${base.query}&x-id=${i}` };
      cache.rememberRefusal(forged, SCOPE, auth, new AuthError('signature-mismatch', 'SignatureDoesNotMatch'), SECRET);
    }
    assert.equal(cache.refusalCount, 1000);
    assert.equal(cache.size, 1, 'the success is still there');
    assert.equal(cache.find({ ...base, query: `${base.query}&x-id=0` }, SCOPE), undefined, 'the oldest refusals went first');
    assert.ok(cache.find({ ...base, query: `${base.query}&x-id=1004` }, SCOPE), 'cache.find({ ...base, query: `${base.query}&x-id=1004` }, SCOPE)');
  });

  it('a hit before the URL is valid (the clock went back) throws not-yet-valid', () => {
    const request = presigned();
    const cache = remembered(request);
    const hit = cache.find(request, SCOPE);
    assert.ok(hit, 'hit');
    assert.throws(() => cache.revalidate(hit, SECRET, NOW - 16 * 60_000), (error: unknown) => error instanceof AuthError && error.defect === 'not-yet-valid');
  });

  it('a key whose secret is no longer the one verified with gets no outcome, and the entry is dropped', () => {
    const request = presigned();
    const cache = remembered(request);
    const hit = cache.find(request, SCOPE);
    assert.ok(hit, 'hit');
    assert.equal(cache.revalidate(hit, `${SECRET.slice(0, -1)}X`, NOW), undefined);
    assert.equal(cache.revalidate(hit, `${SECRET}X`, NOW), undefined);
    assert.equal(cache.find(request, SCOPE), undefined);
  });

  it('remembers nothing for header-signed requests', () => {
    const signed = signRequest({
      method: 'GET',
      url: `http://${HOST}/bkt/key.txt`,
      credentials: CREDENTIALS,
      region: 'us-east-1',
      now: NOW,
      crypto: nodeCrypto,
      payloadHash: 'UNSIGNED-PAYLOAD',
    });
    const request: SignableRequest = { method: 'GET', path: '/bkt/key.txt', query: '', headers: signed.headers };
    const { auth, verified } = verify(request);
    const cache = new VerifiedRequestCache();
    cache.remember(request, SCOPE, auth, verified, SECRET);
    assert.equal(cache.size, 0);
    assert.equal(cache.find(request, SCOPE), undefined);
  });

  it('holds at most its capacity, dropping the least recently used', () => {
    const cache = new VerifiedRequestCache(2);
    const [a, b, c] = [60, 61, 62].map((expiresIn) => presigned({ expiresIn })) as [SignableRequest, SignableRequest, SignableRequest];
    remembered(a, cache);
    remembered(b, cache);
    assert.ok(cache.find(a, SCOPE), 'a is now the most recent');
    remembered(c, cache);
    assert.equal(cache.size, 2);
    assert.ok(cache.find(a, SCOPE), 'cache.find(a, SCOPE)');
    assert.equal(cache.find(b, SCOPE), undefined);
    assert.ok(cache.find(c, SCOPE), 'cache.find(c, SCOPE)');
  });
});

describe('VerifiedRequestCache edges (mutation testing)', () => {
  const expiredError = (request: SignableRequest): unknown => {
    try {
      verify(request, NOW + 301_000);
    } catch (error) {
      return error;
    }
    assert.fail('verifyV4 accepted an expired URL');
  };

  it('remembers an expired refusal from the full check, and refuses the next use with it', () => {
    const request = presigned();
    const auth = parseAuthorization(request, SCOPE);
    assert.equal(auth.version, 4);
    const cache = new VerifiedRequestCache();
    cache.rememberRefusal(request, SCOPE, auth, expiredError(request), SECRET);
    assert.deepEqual([cache.size, cache.refusalCount], [0, 1]);
    const hit = cache.find(request, SCOPE);
    assert.ok(hit, 'hit');
    assert.throws(() => cache.revalidate(hit, SECRET, NOW + 302_000), (e: unknown) => e instanceof AuthError && e.defect === 'expired');
  });

  it('a success remembered after a refusal of the same request replaces it', () => {
    const request = presigned();
    const { auth, verified } = verify(request);
    const cache = new VerifiedRequestCache();
    cache.rememberRefusal(request, SCOPE, auth, expiredError(request), SECRET);
    cache.remember(request, SCOPE, auth, verified, SECRET);
    assert.deepEqual([cache.size, cache.refusalCount], [1, 0]);
  });

  it('dropping a stale hit leaves the entry remembered since for the same request', () => {
    const request = presigned();
    const { auth, verified } = verify(request);
    const cache = new VerifiedRequestCache();
    cache.remember(request, SCOPE, auth, verified, `${SECRET}-old`);
    const stale = cache.find(request, SCOPE);
    assert.ok(stale, 'stale');
    cache.remember(request, SCOPE, auth, verified, SECRET);
    // The request that held the stale hit finds the key rotated: it drops its own entry only.
    assert.equal(cache.revalidate(stale, SECRET, NOW), undefined);
    const fresh = cache.find(request, SCOPE);
    assert.ok(fresh, 'fresh');
    assert.equal(cache.revalidate(fresh, SECRET, NOW), verified);

    const refusal = new VerifiedRequestCache();
    refusal.rememberRefusal(request, SCOPE, auth, expiredError(request), `${SECRET}-old`);
    const staleRefusal = refusal.find(request, SCOPE);
    assert.ok(staleRefusal, 'staleRefusal');
    refusal.rememberRefusal(request, SCOPE, auth, expiredError(request), SECRET);
    assert.equal(refusal.revalidate(staleRefusal, SECRET, NOW), undefined);
    assert.equal(refusal.refusalCount, 1);
  });

  it('remembering an existing request again makes it the most recent', () => {
    const cache = new VerifiedRequestCache(2);
    const [a, b, c] = [60, 61, 62].map((expiresIn) => presigned({ expiresIn })) as [SignableRequest, SignableRequest, SignableRequest];
    remembered(a, cache);
    remembered(b, cache);
    remembered(a, cache);
    remembered(c, cache);
    assert.ok(cache.find(a, SCOPE), 'cache.find(a, SCOPE)');
    assert.equal(cache.find(b, SCOPE), undefined);
  });

  it('a request carrying an Authorization header is never remembered', () => {
    const request = presigned();
    const { auth, verified } = verify(request);
    const cache = new VerifiedRequestCache();
    const withHeader = { ...request, headers: { ...request.headers, authorization: 'AWS4-HMAC-SHA256 x' } };
    cache.remember(withHeader, SCOPE, auth, verified, SECRET);
    cache.rememberRefusal(withHeader, SCOPE, auth, expiredError(request), SECRET);
    assert.deepEqual([cache.size, cache.refusalCount], [0, 0]);
  });

  it('a path and query of up to 4096 characters are remembered, longer ones are not', () => {
    const queryLength = presigned().query.length;
    for (const [length, held] of [
      [4096, 1],
      [4097, 0],
    ] as const) {
      const path = `/bkt/${'p'.repeat(length - queryLength - '/bkt/'.length)}`;
      const { url } = presign({ method: 'GET', url: `http://${HOST}${path}`, credentials: CREDENTIALS, region: 'us-east-1', now: NOW, expiresIn: 300, crypto: nodeCrypto });
      const parts = splitUrl(url);
      const request: SignableRequest = { method: 'GET', path: parts.path, query: parts.query, headers: { host: HOST } };
      assert.equal(request.path.length + request.query.length, length);
      const cache = remembered(request);
      assert.equal(cache.size, held, String(length));
    }
  });

  it('the scope is part of the key, each option apart; left out, it reads as its default', () => {
    const request = presigned();
    const cache = remembered(request);
    for (const scope of [{ ...SCOPE, requireContentSha256: false }, { ...SCOPE, normalizePath: true }, { region: 'us-east-1s', service: '3' }]) {
      assert.equal(cache.find(request, scope), undefined, JSON.stringify(scope));
    }
    assert.ok(cache.find(request, { region: 'us-east-1' }), 's3, content sha256 required, no payload hash, path as sent');
  });

  it('an unsigned x-amz-* header must be sent again as it was; one sent as undefined is none', () => {
    const request = presigned({ sent: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
    const cache = remembered(request);
    assert.ok(cache.find(request, SCOPE), 'cache.find(request, SCOPE)');
    const { 'x-amz-content-sha256': _dropped, ...without } = request.headers;
    assert.equal(cache.find({ ...request, headers: without }, SCOPE), undefined);
    assert.ok(cache.find({ ...request, headers: { ...request.headers, 'x-amz-meta-b': undefined } }, SCOPE), 'cache.find({ ...request, headers: { ...request.headers, "x-amz-meta-b": undefined } }, SCOPE)');
  });

  it('holds its own copy of the header values it compares', () => {
    const signed = ['a'];
    const unsigned = ['UNSIGNED-PAYLOAD'];
    const request = presigned({ signedHeaders: { 'x-test': 'a' }, sent: { 'x-test': signed, 'x-amz-content-sha256': unsigned } });
    const cache = remembered(request);
    const same = { ...request, headers: { ...request.headers, 'x-test': ['a'], 'x-amz-content-sha256': ['UNSIGNED-PAYLOAD'] } };
    assert.ok(cache.find(same, SCOPE), 'cache.find(same, SCOPE)');
    signed.push('b');
    assert.equal(cache.find(request, SCOPE), undefined, 'signed values');
    signed.pop();
    assert.ok(cache.find(request, SCOPE), 'cache.find(request, SCOPE)');
    unsigned.push('x');
    assert.equal(cache.find(request, SCOPE), undefined, 'unsigned x-amz-* values');
  });
});

describe('VerifiedRequestCache edges, second run', () => {
  it('an expired link remembered as refused, used again inside its window (the clock went back): verified from scratch, the refusal dropped', () => {
    const request = presigned({ expiresIn: 60 });
    const cache = remembered(request);
    const hit = cache.find(request, SCOPE);
    assert.ok(hit, 'remembered');
    assert.throws(() => cache.revalidate(hit, SECRET, NOW + 61_000), (e: unknown) => e instanceof AuthError && e.defect === 'expired');
    const refusal = cache.find(request, SCOPE);
    assert.ok(refusal, 'the refusal is remembered');
    assert.equal(cache.revalidate(refusal, SECRET, NOW), undefined);
    assert.deepEqual([cache.size, cache.refusalCount], [0, 0]);
  });

  it('a signed header left out of the request (signed as empty) is remembered as absent: absent again hits, sent empty does not', () => {
    const signed = presigned({ signedHeaders: { 'x-test': '' } });
    const { 'x-test': _absent, ...headers } = signed.headers;
    const request = { ...signed, headers };
    const cache = remembered(request);
    assert.ok(cache.find({ ...request, headers: { ...headers } }, SCOPE), 'absent again');
    assert.equal(cache.find(signed, SCOPE), undefined, 'sent empty');
  });

  it('values compared element by element, whether sent as a list or as one string', () => {
    const request = presigned({ signedHeaders: { 'x-test': 'abc' }, sent: { 'x-test': ['abc'] } });
    const cache = remembered(request);
    assert.ok(cache.find({ ...request, headers: { ...request.headers, 'x-test': 'abc' } }, SCOPE), 'one string');
    const pair = presigned({ signedHeaders: { 'x-test': 'a,b' }, sent: { 'x-test': ['a', 'b'] } });
    const pairs = remembered(pair);
    assert.ok(pairs.find(pair, SCOPE), 'the same list');
    assert.equal(pairs.find({ ...pair, headers: { ...pair.headers, 'x-test': ['a', 'c'] } }, SCOPE), undefined, 'the second value differs');
  });
});
