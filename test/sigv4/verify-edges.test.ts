import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeCrypto, presign, signRequest, verifyRequest, type SignableRequest } from '../../src/sigv4/index.js';
import { assertAuthError } from '../helpers/capture-decode.js';
import { referenceSign } from '../helpers/sdk-reference-signer.js';
import { verifierFor } from '../helpers/verify-key.js';

/*
 * Edges of verify.ts that mutation testing (npm run mutate -- verify) found no
 * other test pinning down: the skew bounds to the millisecond, what a verified
 * request reports, signed x-amz-* headers carried in the query, path
 * normalisation for non-S3 services, and the key lookup.
 */

const NOW = Date.parse('2024-05-06T07:08:09Z');
const MIN = 60_000;
const SKEW = 15 * MIN;
const AKID = 'AKIDEXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const REGION = 'us-east-1';
const HOST = '127.0.0.1:9000';
const EMPTY_SHA = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const amz = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

const verify = verifierFor({ accessKeyId: AKID, secretAccessKey: SECRET }, NOW);

function headerSigned(at: number, options: { token?: string } = {}): SignableRequest {
  const signed = signRequest({
    method: 'GET',
    url: `http://${HOST}/bkt/key.txt`,
    credentials: { accessKeyId: AKID, secretAccessKey: SECRET, ...(options.token === undefined ? {} : { sessionToken: options.token }) },
    region: REGION,
    now: at,
    crypto: nodeCrypto,
    payloadHash: EMPTY_SHA,
  });
  return { method: 'GET', path: '/bkt/key.txt', query: '', headers: signed.headers };
}

function querySigned(at: number, options: { token?: string } = {}): SignableRequest {
  const { url } = presign({
    method: 'GET',
    url: `http://${HOST}/bkt/key.txt`,
    credentials: { accessKeyId: AKID, secretAccessKey: SECRET, ...(options.token === undefined ? {} : { sessionToken: options.token }) },
    region: REGION,
    now: at,
    expiresIn: 600,
    crypto: nodeCrypto,
  });
  const parsed = new URL(url);
  return { method: 'GET', path: parsed.pathname, query: parsed.search.slice(1), headers: { host: HOST } };
}

describe('clock skew, to the millisecond', () => {
  it('a header-signed request exactly 15 minutes either side passes; a millisecond more is RequestTimeTooSkewed', async () => {
    await verify(headerSigned(NOW), NOW + SKEW);
    await verify(headerSigned(NOW), NOW - SKEW);
    await assertAuthError(() => verify(headerSigned(NOW), NOW + SKEW + 1), 'RequestTimeTooSkewed', 403, 'time-skewed');
    await assertAuthError(() => verify(headerSigned(NOW), NOW - SKEW - 1), 'RequestTimeTooSkewed', 403, 'time-skewed');
  });

  it('a pre-signed URL dated exactly 15 minutes ahead is valid; a millisecond more is not yet', async () => {
    await verify(querySigned(NOW), NOW - SKEW);
    await assertAuthError(() => verify(querySigned(NOW), NOW - SKEW - 1), 'AccessDenied', 403, 'not-yet-valid');
  });
});

describe('what a verified request reports', () => {
  it('header-signed: no expiry, the session token only when one was signed', async () => {
    const plain = await verify(headerSigned(NOW));
    assert.ok(plain.version === 4);
    assert.equal('expiresAt' in plain, false);
    assert.equal('securityToken' in plain, false);
    const withToken = await verify(headerSigned(NOW, { token: 'session-token' }));
    assert.ok(withToken.version === 4);
    assert.equal(withToken.securityToken, 'session-token');
  });

  it('pre-signed: the expiry, and the token only when one was signed', async () => {
    const plain = await verify(querySigned(NOW));
    assert.ok(plain.version === 4);
    assert.equal(plain.expiresAt, NOW + 600_000);
    assert.equal('securityToken' in plain, false);
    const withToken = await verify(querySigned(NOW, { token: 'session-token' }));
    assert.ok(withToken.version === 4);
    assert.equal(withToken.securityToken, 'session-token');
  });
});

describe('signed x-amz-* headers carried in the query (as some SDKs hoist them)', () => {
  const signedAt = NOW;
  const base: Array<[string, string]> = [
    ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
    ['X-Amz-Credential', `${AKID}/${amz(signedAt).slice(0, 8)}/${REGION}/s3/aws4_request`],
    ['X-Amz-Date', amz(signedAt)],
    ['X-Amz-Expires', '600'],
  ];
  /** Signed over host and `signed`; the headers actually sent are `sent`, the query carries `hoisted`. */
  function hoistedRequest(signed: Record<string, string>, hoisted: Array<[string, string]>, sent: Record<string, string> = {}): SignableRequest {
    const names = ['host', ...Object.keys(signed)].sort();
    const request = referenceSign({
      method: 'GET',
      path: '/bkt/key.txt',
      params: [...base, ['X-Amz-SignedHeaders', names.join(';')], ...hoisted],
      headers: { host: HOST, ...signed },
      secretAccessKey: SECRET,
    });
    return { ...request, headers: { host: HOST, ...sent } };
  }

  it('an x-amz-meta-* value in the query stands for the header (its name in any case)', async () => {
    await verify(hoistedRequest({ 'x-amz-meta-a': 'v' }, [['x-amz-meta-a', 'v']]));
    await verify(hoistedRequest({ 'x-amz-meta-a': 'v' }, [['X-Amz-Meta-A', 'v']]));
  });

  it('another value in the query, or none anywhere: SignatureDoesNotMatch', async () => {
    await assertAuthError(() => verify(hoistedRequest({ 'x-amz-meta-a': 'v' }, [['x-amz-meta-a', 'w']])), 'SignatureDoesNotMatch', 403, 'signature-mismatch');
    await assertAuthError(() => verify(hoistedRequest({ 'x-amz-meta-a': 'v' }, [])), 'SignatureDoesNotMatch', 403, 'signature-mismatch');
  });

  it('the header sent wins over the query; headers other than x-amz-* are never taken from the query', async () => {
    await assertAuthError(() => verify(hoistedRequest({ 'x-amz-meta-a': 'v' }, [['x-amz-meta-a', 'v']], { 'x-amz-meta-a': 'w' })), 'SignatureDoesNotMatch', 403, 'signature-mismatch');
    await assertAuthError(() => verify(hoistedRequest({ 'content-type': 'text/plain' }, [['content-type', 'text/plain']])), 'SignatureDoesNotMatch', 403, 'signature-mismatch');
    await verify(hoistedRequest({ 'content-type': 'text/plain' }, [], { 'content-type': 'text/plain' }));
  });
});

describe('the rest', () => {
  it('an unsigned request is anonymous: no key is looked up', async () => {
    let lookups = 0;
    const result = await verifyRequest(
      { method: 'GET', path: '/bkt/key.txt', query: '', headers: { host: HOST } },
      { region: REGION, now: NOW, crypto: nodeCrypto, lookupSecret: () => (lookups++, undefined) },
    );
    assert.deepEqual(result, { version: 0 });
    assert.equal(lookups, 0);
  });

  it('an unknown access key: InvalidAccessKeyId naming it', async () => {
    const signed = signRequest({ method: 'GET', url: `http://${HOST}/bkt/key.txt`, credentials: { accessKeyId: 'AKIDSTRANGER', secretAccessKey: SECRET }, region: REGION, now: NOW, crypto: nodeCrypto, payloadHash: EMPTY_SHA });
    const error = await assertAuthError(() => verify({ method: 'GET', path: '/bkt/key.txt', query: '', headers: signed.headers }), 'InvalidAccessKeyId', 403, 'unknown-access-key');
    assert.equal(error.details['AWSAccessKeyId'], 'AKIDSTRANGER');
  });

  it('no payload hash anywhere (a service that does not require the header) is InvalidRequest, not a signature over nothing', async () => {
    const signed = signRequest({ method: 'GET', url: `http://${HOST}/`, credentials: { accessKeyId: AKID, secretAccessKey: SECRET }, region: REGION, service: 'sts', now: NOW, crypto: nodeCrypto, payloadHash: EMPTY_SHA, contentSha256Header: false });
    await assertAuthError(() => verify({ method: 'GET', path: '/', query: '', headers: signed.headers }, NOW, { service: 'sts', requireContentSha256: false }), 'InvalidRequest', 400, 'missing-content-sha256');
  });

  it('path normalisation only when asked for (never for S3)', async () => {
    const signed = signRequest({ method: 'GET', url: `http://${HOST}/a/./b//c`, credentials: { accessKeyId: AKID, secretAccessKey: SECRET }, region: REGION, service: 'sts', now: NOW, crypto: nodeCrypto, payloadHash: EMPTY_SHA, normalizePath: true });
    const request: SignableRequest = { method: 'GET', path: '/a/./b//c', query: '', headers: signed.headers };
    await verify(request, NOW, { service: 'sts', requireContentSha256: false, normalizePath: true, payloadHash: EMPTY_SHA });
    await assertAuthError(() => verify(request, NOW, { service: 'sts', requireContentSha256: false, payloadHash: EMPTY_SHA }), 'SignatureDoesNotMatch', 403, 'signature-mismatch');
  });
});
