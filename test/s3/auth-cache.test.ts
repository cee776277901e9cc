import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import { LRUCache } from 'lru-cache';
import { S3Error } from '../../src/errors.js';
import { hashToken, type ResolvedKey } from '../../src/identity/identities.js';
import type { AuthDeps } from '../../src/s3/auth.js';
import { authenticate, signerOf } from '../helpers/stage-auth.js';
import { RequestContext } from '../../src/s3/context.js';
import { AuthError, nodeCrypto, presign, SigningKeyCache, type CryptoProvider } from '../../src/sigv4/index.js';
import { VerifiedRequestCache } from '../../src/s3/verified-cache.js';
import { splitUrl } from '../../src/sigv4/split-url.js';

/*
 * authenticate() with its verified-request cache, driven with a clock and a
 * key lookup the test controls: what a remembered link must still pass on
 * every use (key, secret, time window, session token).
 */

const NOW = Date.parse('2024-05-06T07:08:09Z');
const HOST = '127.0.0.1:9000';
const KEY_ID = 'LKTSSESSIONKEY000001';
const SECRET = 'session-secret-0000000000000000000000000';
const TOKEN = 'the-session-token';

interface Harness {
  readonly deps: AuthDeps;
  /** HMAC computations so far: a remembered link needs none. */
  readonly hmacs: () => number;
  clock: number;
  key: ResolvedKey | undefined;
}

function harness(options: { cache?: false } = {}): Harness {
  let hmacs = 0;
  const crypto: CryptoProvider = {
    ...nodeCrypto,
    hmacSha256: (key, data) => {
      hmacs++;
      return nodeCrypto.hmacSha256(key, data);
    },
  };
  const state: Harness = {
    clock: NOW,
    key: sessionKey(NOW + 3600_000),
    hmacs: () => hmacs,
    deps: {
      region: 'us-east-1',
      crypto,
      keyCache: new SigningKeyCache(crypto, new LRUCache<string, Uint8Array>({ max: 1024 })),
      lookupKey: (id) => Promise.resolve(id === KEY_ID ? state.key : undefined),
      now: () => state.clock,
      verifiedCache: options.cache === false ? (false as const) : new VerifiedRequestCache(),
    },
  };
  return state;
}

function sessionKey(expiresAt: number, secretAccessKey = SECRET): ResolvedKey {
  return {
    secretAccessKey,
    principal: { kind: 'user', name: 'alice', accessKeyId: KEY_ID, session: { expiresAt: new Date(expiresAt), policy: null } },
    tokenHash: hashToken(TOKEN),
  };
}

function link(expiresIn = 600, host = HOST, method = 'GET'): string {
  return presign({
    method,
    url: `http://${host}/bkt/key.txt`,
    credentials: { accessKeyId: KEY_ID, secretAccessKey: SECRET, sessionToken: TOKEN },
    region: 'us-east-1',
    now: NOW,
    expiresIn,
    crypto: nodeCrypto,
  }).url;
}

/** A request context as the handler builds it, for a GET of `url` (its Host header is the URL's unless given). */
function context(url: string, headers: Record<string, string> = {}, method = 'GET'): RequestContext {
  const parts = splitUrl(url);
  const all = { host: parts.host, ...headers };
  const req = {
    method,
    url: `${parts.path}?${parts.query}`,
    headers: all,
    rawHeaders: Object.entries(all).flat(),
    headersDistinct: Object.fromEntries(Object.entries(all).map(([name, value]) => [name, [value]])),
  };
  return new RequestContext(req as unknown as IncomingMessage, {} as ServerResponse);
}

/** A refusal S3 answers: an S3Error, or the SigV4 library's own AuthError (which the S3 edge renders as one). */
async function refusal(promise: Promise<unknown>): Promise<S3Error | AuthError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof S3Error || error instanceof AuthError, String(error));
    return error;
  }
  assert.fail('the request was accepted');
}

describe('authenticate with remembered pre-signed requests', () => {
  it('verifies a link once: its next uses compute no signature but get the same outcome and principal', async () => {
    const h = harness();
    const first = context(link());
    const verified = await authenticate(first, h.deps);
    assert.equal(signerOf(first).authType, 'presigned');
    const hmacs = h.hmacs();
    assert.ok(hmacs > 0);
    const again = context(link());
    // The same remembered verification (its signing key the very object the first use derived); the credentials
    // now carry who signed, so each request's is a new object around it.
    const reused = await authenticate(again, h.deps);
    assert.deepEqual(reused, verified);
    assert.ok(reused.version === 4 && verified.version === 4 && reused.signingKey === verified.signingKey);
    assert.equal(h.hmacs(), hmacs, 'the second use was not re-signed');
    assert.equal(signerOf(again).authType, 'presigned');
    assert.equal(signerOf(again).principal?.accessKeyId, KEY_ID);
  });

  it('remembers download links only: an upload link is verified on each use', async () => {
    const h = harness();
    const put = link(600, HOST, 'PUT');
    await authenticate(context(put, {}, 'PUT'), h.deps);
    const hmacs = h.hmacs();
    await authenticate(context(put, {}, 'PUT'), h.deps);
    assert.ok(h.hmacs() > hmacs);
    const head = link(600, HOST, 'HEAD');
    await authenticate(context(head, {}, 'HEAD'), h.deps);
    const afterHead = h.hmacs();
    await authenticate(context(head, {}, 'HEAD'), h.deps);
    assert.equal(h.hmacs(), afterHead, 'HEAD is remembered like GET');
  });

  it('without the cache every use is verified', async () => {
    const h = harness({ cache: false });
    await authenticate(context(link()), h.deps);
    const hmacs = h.hmacs();
    await authenticate(context(link()), h.deps);
    assert.ok(h.hmacs() > hmacs);
  });

  it('a remembered link used after its expiry: AccessDenied, Request has expired', async () => {
    const h = harness();
    await authenticate(context(link(60)), h.deps);
    h.clock = NOW + 60_001;
    const error = await refusal(authenticate(context(link(60)), h.deps));
    assert.ok(error instanceof AuthError);
    assert.deepEqual([error.status, error.code, error.defect, error.message], [403, 'AccessDenied', 'expired', 'Request has expired']);
  });

  it("a remembered link whose session has ended: ExpiredToken, as for a link never seen", async () => {
    const h = harness();
    await authenticate(context(link()), h.deps);
    h.key = sessionKey(NOW + 1000);
    h.clock = NOW + 2000;
    const cached = await refusal(authenticate(context(link()), h.deps));
    const fresh = await refusal(authenticate(context(link(601)), h.deps));
    assert.deepEqual([cached.status, cached.code], [400, 'ExpiredToken']);
    assert.deepEqual([fresh.status, fresh.code], [cached.status, cached.code]);
  });

  it('a remembered link whose session token no longer matches: InvalidToken', async () => {
    const h = harness();
    await authenticate(context(link()), h.deps);
    h.key = { ...sessionKey(NOW + 3600_000), tokenHash: hashToken('another token') };
    const error = await refusal(authenticate(context(link()), h.deps));
    assert.deepEqual([error.status, error.code], [400, 'InvalidToken']);
  });

  it('a remembered link whose key is gone: InvalidAccessKeyId, as for a link never seen; back again once the key is', async () => {
    const h = harness();
    await authenticate(context(link()), h.deps);
    const key = h.key;
    h.key = undefined;
    const cached = await refusal(authenticate(context(link()), h.deps));
    const fresh = await refusal(authenticate(context(link(601)), h.deps));
    assert.ok(cached instanceof AuthError);
    assert.deepEqual([cached.status, cached.code, cached.defect], [403, 'InvalidAccessKeyId', 'unknown-access-key']);
    assert.deepEqual([fresh.status, fresh.code, fresh.message], [cached.status, cached.code, cached.message]);
    h.key = key;
    assert.equal((await authenticate(context(link()), h.deps)).version, 4);
  });

  it('a remembered link whose key now has another secret is verified again, and fails', async () => {
    const h = harness();
    await authenticate(context(link()), h.deps);
    h.key = sessionKey(NOW + 3600_000, `${SECRET.slice(0, -1)}1`);
    const error = await refusal(authenticate(context(link()), h.deps));
    assert.ok(error instanceof AuthError);
    assert.deepEqual([error.status, error.code, error.defect], [403, 'SignatureDoesNotMatch', 'signature-mismatch']);
  });

  it('the same link sent with another Host header, or one character changed, is verified from scratch and fails', async () => {
    const h = harness();
    const url = link();
    await authenticate(context(url), h.deps);
    const otherHost = await refusal(authenticate(context(url, { host: 'localhost:9000' }), h.deps));
    const tampered = await refusal(authenticate(context(url.replace('X-Amz-Expires=600', 'X-Amz-Expires=601')), h.deps));
    for (const error of [otherHost, tampered]) {
      assert.ok(error instanceof AuthError);
      assert.deepEqual([error.status, error.code, error.defect], [403, 'SignatureDoesNotMatch', 'signature-mismatch']);
    }
    // An x-amz-* header the link did not sign is refused as it would be on first use.
    const unsigned = await refusal(authenticate(context(url, { 'x-amz-meta-extra': '1' }), h.deps));
    assert.ok(unsigned instanceof AuthError);
    assert.equal(unsigned.defect, 'headers-not-signed');
  });
});
