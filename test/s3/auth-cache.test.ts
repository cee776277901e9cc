import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashToken, type ResolvedKey } from '../../src/identity/identities.js';
import { AuthError } from '../../src/sigv4/index.js';
import { authHarness, context, link, NOW, refusal, SESSION, SESSION_KEY, SESSION_SECRET, sessionKey, type LinkOptions } from '../helpers/auth-harness.js';
import { authenticate, signerOf } from '../helpers/stage-auth.js';

/*
 * authenticate() with its verified-request cache, driven with a clock and a
 * key lookup the test controls: what a remembered link must still pass on
 * every use (key, secret, time window, session token).
 */

/** A link signed with bob's session (SESSION_KEY and its token), for 600 s unless told. */
const sessionLink = (options: LinkOptions = {}): string => link({ credentials: SESSION, ...options });

describe('authenticate with remembered pre-signed requests', () => {
  it('verifies a link once: its next uses compute no signature but get the same outcome and principal', async () => {
    const h = authHarness();
    const first = context(sessionLink());
    const verified = await authenticate(first, h.deps);
    assert.equal(signerOf(first).authType, 'presigned');
    const hmacs = h.hmacs();
    assert.ok(hmacs > 0);
    const again = context(sessionLink());
    // The same remembered verification (its signing key the very object the first use derived); the credentials
    // now carry who signed, so each request's is a new object around it.
    const reused = await authenticate(again, h.deps);
    assert.deepEqual(reused, verified);
    assert.ok(reused.version === 4 && verified.version === 4 && reused.signingKey === verified.signingKey);
    assert.equal(h.hmacs(), hmacs, 'the second use was not re-signed');
    assert.equal(signerOf(again).authType, 'presigned');
    assert.equal(signerOf(again).principal?.accessKeyId, SESSION_KEY);
  });

  it('remembers download links only: an upload link is verified on each use', async () => {
    const h = authHarness();
    const put = sessionLink({ method: 'PUT' });
    await authenticate(context(put, {}, 'PUT'), h.deps);
    const hmacs = h.hmacs();
    await authenticate(context(put, {}, 'PUT'), h.deps);
    assert.ok(h.hmacs() > hmacs);
    const head = sessionLink({ method: 'HEAD' });
    await authenticate(context(head, {}, 'HEAD'), h.deps);
    const afterHead = h.hmacs();
    await authenticate(context(head, {}, 'HEAD'), h.deps);
    assert.equal(h.hmacs(), afterHead, 'HEAD is remembered like GET');
  });

  it('without the cache every use is verified', async () => {
    const h = authHarness({ cache: false });
    await authenticate(context(sessionLink()), h.deps);
    const hmacs = h.hmacs();
    await authenticate(context(sessionLink()), h.deps);
    assert.ok(h.hmacs() > hmacs);
  });

  it('a remembered link used after its expiry: AccessDenied, Request has expired', async () => {
    const h = authHarness();
    await authenticate(context(sessionLink({ expiresIn: 60 })), h.deps);
    h.clock = NOW + 60_001;
    const error = await refusal(authenticate(context(sessionLink({ expiresIn: 60 })), h.deps));
    assert.ok(error instanceof AuthError);
    assert.deepEqual([error.status, error.code, error.defect, error.message], [403, 'AccessDenied', 'expired', 'Request has expired']);
  });

  it("a remembered link whose session has ended: ExpiredToken, as for a link never seen", async () => {
    const h = authHarness();
    await authenticate(context(sessionLink()), h.deps);
    h.keys.set(SESSION_KEY, sessionKey(NOW + 1000));
    h.clock = NOW + 2000;
    const cached = await refusal(authenticate(context(sessionLink()), h.deps));
    const fresh = await refusal(authenticate(context(sessionLink({ expiresIn: 601 })), h.deps));
    assert.deepEqual([cached.status, cached.code], [400, 'ExpiredToken']);
    assert.deepEqual([fresh.status, fresh.code], [cached.status, cached.code]);
  });

  it('a remembered link whose session token no longer matches: InvalidToken', async () => {
    const h = authHarness();
    await authenticate(context(sessionLink()), h.deps);
    h.keys.set(SESSION_KEY, { ...sessionKey(NOW + 3600_000), tokenHash: hashToken('another token') });
    const error = await refusal(authenticate(context(sessionLink()), h.deps));
    assert.deepEqual([error.status, error.code], [400, 'InvalidToken']);
  });

  it('a remembered link whose key is gone: InvalidAccessKeyId, as for a link never seen; back again once the key is', async () => {
    const h = authHarness();
    await authenticate(context(sessionLink()), h.deps);
    const key = h.keys.get(SESSION_KEY);
    h.keys.delete(SESSION_KEY);
    const cached = await refusal(authenticate(context(sessionLink()), h.deps));
    const fresh = await refusal(authenticate(context(sessionLink({ expiresIn: 601 })), h.deps));
    assert.ok(cached instanceof AuthError);
    assert.deepEqual([cached.status, cached.code, cached.defect], [403, 'InvalidAccessKeyId', 'unknown-access-key']);
    assert.deepEqual([fresh.status, fresh.code, fresh.message], [cached.status, cached.code, cached.message]);
    h.keys.set(SESSION_KEY, key as ResolvedKey);
    assert.equal((await authenticate(context(sessionLink()), h.deps)).version, 4);
  });

  it('a remembered link whose key now has another secret is verified again, and fails', async () => {
    const h = authHarness();
    await authenticate(context(sessionLink()), h.deps);
    h.keys.set(SESSION_KEY, sessionKey(NOW + 3600_000, `${SESSION_SECRET.slice(0, -1)}1`));
    const error = await refusal(authenticate(context(sessionLink()), h.deps));
    assert.ok(error instanceof AuthError);
    assert.deepEqual([error.status, error.code, error.defect], [403, 'SignatureDoesNotMatch', 'signature-mismatch']);
  });

  it('the same link sent with another Host header, or one character changed, is verified from scratch and fails', async () => {
    const h = authHarness();
    const url = sessionLink();
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
