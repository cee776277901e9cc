import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  canonicalResource,
  nodeCrypto,
  parseQuery,
  parseV2Header,
  parseV2Query,
  PresignError,
  signV2,
  v2StringToSign,
  verifyV2,
  type SignableRequest,
} from '../../src/sigv4/index.js';
import { requestFromUrl } from '../helpers/sigv2-clients.js';
import { refused, verifierFor } from '../helpers/verify-key.js';

/*
 * The SigV2 edges mutation testing found unpinned (docs/testing.md): each
 * test here fails on a changed operator, condition or constant of
 * src/sigv4/sigv2.ts. In-process, no clients: the client suites are in
 * sigv2.test.ts.
 */

const ACCESS_KEY = 'AKIDV2EDGES';
const SECRET = 'edges/secret+KEY';
const credentials = { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET };
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const HTTP_NOW = 'Thu, 15 Jan 2026 12:00:00 GMT';
const ENDPOINT = 'http://127.0.0.1:9000';
const WEEK = 604_800;

const verify = verifierFor(credentials, NOW);

const sign = (toSign: string): string => Buffer.from(nodeCrypto.hmacSha1(SECRET, toSign)).toString('base64');

/** A header-signed request whose string to sign is given line by line. */
function headerRequest(input: { method?: string; path?: string; query?: string; headers?: SignableRequest['headers']; toSign: string }): SignableRequest {
  return {
    method: input.method ?? 'GET',
    path: input.path ?? '/b/k',
    query: input.query ?? '',
    headers: { ...input.headers, authorization: `AWS ${ACCESS_KEY}:${sign(input.toSign)}` },
  };
}

const presigned = (extra: Partial<Parameters<typeof signV2>[0]> = {}, url = `${ENDPOINT}/b/k`) =>
  signV2({ mode: 'query', method: 'GET', url, credentials, crypto: nodeCrypto, now: NOW, expiresIn: 300, ...extra });

describe('parseV2Header', () => {
  const request = (headers: SignableRequest['headers']): SignableRequest => ({ method: 'GET', path: '/b/k', query: '', headers });

  it('reads the key, signature, date and token exactly', () => {
    const parsed = parseV2Header(request({ date: HTTP_NOW, 'x-amz-security-token': ['t1', 't2'] }), `AWS ${ACCESS_KEY}:c2ln`, []);
    assert.deepEqual(parsed, {
      version: 2,
      mode: 'header',
      accessKeyId: ACCESS_KEY,
      signature: 'c2ln',
      requestTime: HTTP_NOW,
      signedAt: NOW,
      securityToken: 't1,t2',
      query: [],
    });
    assert.ok(!('securityToken' in parseV2Header(request({ date: HTTP_NOW }), `AWS ${ACCESS_KEY}:c2ln`, [])), 'no token, no securityToken');
  });

  it('x-amz-date comes before Date, in the ISO basic form too; an empty list is no value', () => {
    const amz = parseV2Header(request({ 'x-amz-date': '20260115T120001Z', date: 'Fri, 01 Jan 2021 00:00:00 GMT' }), `AWS ${ACCESS_KEY}:c2ln`, []);
    assert.equal(amz.requestTime, '20260115T120001Z');
    assert.equal(amz.signedAt, NOW + 1000);
    const http = parseV2Header(request({ 'x-amz-date': 'Thu, 15 Jan 2026 12:00:02 GMT' }), `AWS ${ACCESS_KEY}:c2ln`, []);
    assert.equal(http.signedAt, NOW + 2000);
    const empty = parseV2Header(request({ 'x-amz-date': [], date: [HTTP_NOW] }), `AWS ${ACCESS_KEY}:c2ln`, []);
    assert.equal(empty.requestTime, HTTP_NOW);
  });

  it('the epoch itself is a date (only before it is none)', async () => {
    const signed = signV2({ mode: 'header', method: 'GET', url: `${ENDPOINT}/b/k`, credentials, crypto: nodeCrypto, now: 0 });
    assert.equal(signed.headers['date'], 'Thu, 01 Jan 1970 00:00:00 GMT');
    const result = await verify({ method: 'GET', path: '/b/k', query: '', headers: signed.headers }, 0);
    assert.deepEqual(result, { version: 2, mode: 'header', accessKeyId: ACCESS_KEY, signedAt: 0 });
  });

  it('refuses a credential without a colon, an empty half, or a blank anywhere', async () => {
    for (const value of ['AWS AKID', 'AWS :sig', 'AWS AKID:', 'AWS AKID:si g', 'AWS AKID:sig\t']) {
      await refused(() => parseV2Header(request({ date: HTTP_NOW }), value, []), 'InvalidArgument', 'v2-malformed-authorization-header', 400, value);
    }
    assert.equal(parseV2Header(request({ date: HTTP_NOW }), 'AWS A:c2ln', []).accessKeyId, 'A', 'a one-character key');
    assert.equal(parseV2Header(request({ date: HTTP_NOW }), 'AWS A:c2ln', []).signature, 'c2ln');
  });

  it('refuses a request without a date, with one that does not parse, or before the epoch', async () => {
    for (const headers of [{}, { date: 'yesterday' }, { date: 'Wed, 31 Dec 1969 23:59:59 GMT' }, { 'x-amz-date': '19691231T235959Z' }]) {
      await refused(() => parseV2Header(request(headers), 'AWS AKID:sig', []), 'AccessDenied', 'missing-date', 403, JSON.stringify(headers));
    }
  });
});

describe('parseV2Query', () => {
  const q = (raw: string) => parseQuery(raw);

  it('reads the three parameters and the token (any case), keeps the query', () => {
    const query = q('AWSAccessKeyId=AK&Signature=c2ln&Expires=999999999999&X-Amz-Security-Token=tok&a=1&a=2');
    assert.deepEqual(parseV2Query(query), {
      version: 2,
      mode: 'query',
      accessKeyId: 'AK',
      signature: 'c2ln',
      expiresAt: 999_999_999_999,
      expiresText: '999999999999',
      securityToken: 'tok',
      query,
    });
    assert.ok(!('securityToken' in parseV2Query(q('AWSAccessKeyId=AK&Signature=c2ln&Expires=1'))), 'no token, no securityToken');
  });

  it('refuses a link missing any of the three, or with one empty', async () => {
    for (const query of ['Signature=c2ln&Expires=1', 'AWSAccessKeyId=AK&Expires=1', 'AWSAccessKeyId=AK&Signature=c2ln', 'AWSAccessKeyId=&Signature=c2ln&Expires=1', 'AWSAccessKeyId=AK&Signature=&Expires=1', 'AWSAccessKeyId=AK&Signature=c2ln&Expires=']) {
      const error = await refused(() => parseV2Query(q(query)), 'AccessDenied', 'v2-missing-query-parameters', 403, query);
      assert.equal(error.message, 'Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters');
    }
  });

  it('refuses each of the three sent twice, but not another parameter', async () => {
    for (const name of ['AWSAccessKeyId', 'Signature', 'Expires']) {
      const error = await refused(() => parseV2Query(q(`AWSAccessKeyId=AK&Signature=c2ln&Expires=1&${name}=2`)), 'AuthorizationQueryParametersError', 'duplicate-query-parameter', 400, name);
      assert.match(error.message, new RegExp(name));
    }
    assert.equal(parseV2Query(q('x=1&AWSAccessKeyId=AK&x=2&Signature=c2ln&Expires=1&x=3')).accessKeyId, 'AK');
  });

  it('Expires: one to twelve digits, nothing else', async () => {
    for (const bad of ['a1', '1a', '1234567890123', '-1', ' 1', '1.5']) {
      const error = await refused(() => parseV2Query(q(`AWSAccessKeyId=AK&Signature=c2ln&Expires=${encodeURIComponent(bad)}`)), 'AccessDenied', 'v2-invalid-expires', 403, bad);
      assert.equal(error.message, `Invalid date (should be seconds since epoch): ${bad}`);
    }
    assert.equal(parseV2Query(q('AWSAccessKeyId=AK&Signature=c2ln&Expires=0')).expiresAt, 0);
  });
});

describe('verifyV2: the string to sign', () => {
  it('v2StringToSign: sorted x-amz names, values joined with ","', () => {
    const amzHeaders = new Map([
      ['x-amz-b', ['2']],
      ['x-amz-a', ['1', '3']],
    ]);
    assert.equal(v2StringToSign({ method: 'PUT', contentMd5: 'm', contentType: 't', date: 'd', amzHeaders, resource: '/r' }), 'PUT\nm\nt\nd\nx-amz-a:1,3\nx-amz-b:2\n/r');
  });

  it('header auth: x-amz-* headers of any case joined in order, trimmed; an undefined one ignored', async () => {
    const toSign = `PUT\n\n\n${HTTP_NOW}\nx-amz-meta-a:x,y,z\n/b/k`;
    const request = headerRequest({ method: 'PUT', toSign, headers: { date: HTTP_NOW, 'X-Amz-Meta-A': ' x ', 'x-amz-meta-a': ['y ', ' z'], 'x-amz-meta-gone': undefined } });
    await verify(request);
    await refused(() => verify({ ...request, headers: { ...request.headers, 'X-Amz-Meta-A': 'q' } }), 'SignatureDoesNotMatch', 'signature-mismatch', 403);
  });

  it('header auth: Content-MD5 and Content-Type trimmed and joined; an empty list is none; the query plays no part but for sub-resources', async () => {
    const toSign = `PUT\nmd5\na,b\n${HTTP_NOW}\n/b/k`;
    const request = headerRequest({ method: 'PUT', toSign, query: 'x-amz-meta-q=1&content-type=other&content-md5=x', headers: { date: HTTP_NOW, 'content-md5': ' md5 ', 'content-type': [' a', 'b '] } });
    await verify(request);
    const bare = headerRequest({ toSign: `GET\n\n\n${HTTP_NOW}\n/b/k`, headers: { date: [HTTP_NOW], 'content-type': [], 'content-md5': [] } });
    await verify(bare);
  });

  it('header auth with x-amz-date: the Date line is empty, or the Date header botocore signs; without x-amz-date it is the Date', async () => {
    const headers = { 'x-amz-date': HTTP_NOW, date: 'Fri, 01 Jan 2021 00:00:00 GMT' };
    await verify(headerRequest({ toSign: `GET\n\n\n\nx-amz-date:${HTTP_NOW}\n/b/k`, headers }));
    await verify(headerRequest({ toSign: `GET\n\n\nFri, 01 Jan 2021 00:00:00 GMT\nx-amz-date:${HTTP_NOW}\n/b/k`, headers }));
    await verify(headerRequest({ toSign: `GET\n\n\n\nx-amz-date:${HTTP_NOW}\n/b/k`, headers: { 'x-amz-date': HTTP_NOW } }));
    // With x-amz-date and no Date header, the Date line is empty and nothing else.
    for (const dateLine of ['undefined', HTTP_NOW]) {
      await refused(() => verify(headerRequest({ toSign: `GET\n\n\n${dateLine}\nx-amz-date:${HTTP_NOW}\n/b/k`, headers: { 'x-amz-date': HTTP_NOW } })), 'SignatureDoesNotMatch', 'signature-mismatch', 403, dateLine);
    }
    const noAmz = headerRequest({ toSign: `GET\n\n\n\n/b/k`, headers: { date: HTTP_NOW } });
    const error = await refused(() => verify(noAmz), 'SignatureDoesNotMatch', 'signature-mismatch', 403);
    assert.deepEqual(error.details, { AWSAccessKeyId: ACCESS_KEY, StringToSign: `GET\n\n\n${HTTP_NOW}\n/b/k`, SignatureProvided: sign(`GET\n\n\n\n/b/k`) });
  });

  it('a bucket-only path verifies signed with or without its slash; nothing else is signed literally', async () => {
    for (const resource of ['/bucket1/?acl', '/bucket1?acl']) {
      await verify(headerRequest({ path: '/bucket1', query: 'acl', toSign: `GET\n\n\n${HTTP_NOW}\n${resource}`, headers: { date: HTTP_NOW } }));
    }
    // Virtual-hosted: the resource is /bucket/key, never the key alone.
    const vhost = headerRequest({ path: '/key', toSign: `GET\n\n\n${HTTP_NOW}\n/key`, headers: { date: HTTP_NOW } });
    const error = await refused(() => verify(vhost, NOW, { virtualHostBucket: 'bucket1' }), 'SignatureDoesNotMatch', 'signature-mismatch', 403);
    assert.equal(error.details['StringToSign'], `GET\n\n\n${HTTP_NOW}\n/bucket1/key`);
    await verify(headerRequest({ path: '/key', toSign: `GET\n\n\n${HTTP_NOW}\n/bucket1/key`, headers: { date: HTTP_NOW } }), NOW, { virtualHostBucket: 'bucket1' });
  });

  it('query auth: Content-Type/Content-MD5 from the query (any case, trimmed) or the header; different values conflict', async () => {
    const { url } = presigned({ method: 'PUT', headers: { 'Content-Type': ' text/plain ', 'Content-MD5': 'md5' } }, `${ENDPOINT}/b/k`);
    assert.match(url, /&content-type=%20text%2Fplain%20&content-md5=md5&/);
    const request = requestFromUrl('PUT', url);
    await verify(request);
    await verify(requestFromUrl('PUT', url.replace('content-type=', 'Content-Type=').replace('content-md5=', 'CONTENT-MD5=')));
    await verify({ ...request, headers: { ...request.headers, 'content-type': 'text/plain', 'content-md5': 'md5' } });
    const bare = requestFromUrl('PUT', url.replace(/&content-type=[^&]*/, '').replace(/&content-md5=[^&]*/, ''));
    await verify({ ...bare, headers: { ...bare.headers, 'content-type': 'text/plain', 'content-md5': 'md5' } });
    await refused(() => verify(bare), 'SignatureDoesNotMatch', 'signature-mismatch', 403);
    // A header sent as an empty list is no header: the query's value stands.
    await verify({ ...request, headers: { ...request.headers, 'content-type': [], 'content-md5': [] } });
    for (const name of ['content-type', 'content-md5']) {
      const error = await refused(() => verify({ ...request, headers: { ...request.headers, [name]: 'other' } }), 'InvalidRequest', 'conflicting-values', 400, name);
      assert.equal(error.message, 'Conflicting values provided in HTTP headers and query parameters');
    }
  });

  it('query auth: x-amz-* parameters are signed (any case, repeated ones joined, trimmed); a header with the same value agrees, another conflicts', async () => {
    const { url } = presigned({ headers: { 'x-amz-meta-a': 'v' } });
    const request = requestFromUrl('GET', url);
    await verify(request);
    await verify({ ...request, headers: { ...request.headers, 'x-amz-meta-a': 'v' } });
    await refused(() => verify({ ...request, headers: { ...request.headers, 'x-amz-meta-a': 'w' } }), 'InvalidRequest', 'conflicting-values', 400);
    await refused(() => verify({ ...request, headers: { ...request.headers, 'x-amz-meta-b': 'w' } }), 'SignatureDoesNotMatch', 'signature-mismatch', 403);

    const expires = String(Math.floor(NOW / 1000) + 300);
    const toSign = `GET\n\n\n${expires}\nx-amz-meta-a:1,2\n/b/k`;
    const query = `AWSAccessKeyId=${ACCESS_KEY}&X-Amz-Meta-A=%201&x-amz-meta-a=2%20&Signature=${encodeURIComponent(sign(toSign))}&Expires=${expires}`;
    await verify({ method: 'GET', path: '/b/k', query, headers: {} });
    await verify({ method: 'GET', path: '/b/k', query, headers: { 'x-amz-meta-a': ['1', '2'] } });
  });

  it('query auth: the session token is signed and reported; repeated, it is joined', async () => {
    const { url } = presigned({ credentials: { ...credentials, sessionToken: 'tok' } });
    assert.deepEqual(await verify(requestFromUrl('GET', url)), {
      version: 2,
      mode: 'query',
      accessKeyId: ACCESS_KEY,
      expiresAt: NOW + 300_000,
      signature: new URL(url).searchParams.get('Signature'),
      securityToken: 'tok',
    });
    await refused(() => verify(requestFromUrl('GET', url.replace('x-amz-security-token=tok', 'x-amz-security-token=toc'))), 'SignatureDoesNotMatch', 'signature-mismatch', 403);
    const signed = signV2({ mode: 'header', method: 'GET', url: `${ENDPOINT}/b/k`, credentials: { ...credentials, sessionToken: 'a,b' }, crypto: nodeCrypto, now: NOW });
    const result = await verify({ method: 'GET', path: '/b/k', query: '', headers: { ...signed.headers, 'x-amz-security-token': ['a', 'b'] } });
    assert.equal(result.version === 2 && result.securityToken, 'a,b');
  });
});

describe('verifyV2: the signature and the time', () => {
  it('reads spaces in Signature back as "+", all of them', async () => {
    let url = '';
    for (let n = 0; (url.match(/%2B/g) ?? []).length < 2; n++) url = presigned({}, `${ENDPOINT}/b/k${n}`).url;
    await verify(requestFromUrl('GET', url.replace(/%2B/g, '+')));
  });

  it('refuses base64 that decodes to the signature but is not its canonical form (the padding bits)', async () => {
    const { url, signature } = presigned();
    // The last character before '=' carries 2 padding bits: flipping the lowest decodes to the same 20 bytes.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const sibling = `${signature.slice(0, 26)}${alphabet[alphabet.indexOf(signature[26] ?? '') ^ 1] ?? ''}=`;
    assert.ok(Buffer.from(sibling, 'base64').equals(Buffer.from(signature, 'base64')), 'the sibling decodes to the same bytes');
    await refused(() => verify(requestFromUrl('GET', url.replace(/Signature=[^&]+/, `Signature=${encodeURIComponent(sibling)}`))), 'SignatureDoesNotMatch', 'signature-mismatch', 403);
  });

  it('a signature that is not base64 of 20 bytes is a mismatch, and the error names what was sent', async () => {
    const { url, signature } = presigned();
    for (const bad of ['abc', `${signature.slice(0, 27)}A`, `A${signature}`, `${signature}A`]) {
      const error = await refused(() => verify(requestFromUrl('GET', url.replace(/Signature=[^&]+/, `Signature=${encodeURIComponent(bad)}`))), 'SignatureDoesNotMatch', 'signature-mismatch', 403, bad);
      assert.equal(error.details['SignatureProvided'], bad);
      assert.equal(error.details['AWSAccessKeyId'], ACCESS_KEY);
    }
  });

  it('query auth: valid to the millisecond of Expires, then expired with its details', async () => {
    const { url } = presigned();
    const request = requestFromUrl('GET', url);
    assert.deepEqual(await verify(request, NOW + 300_000), {
      version: 2,
      mode: 'query',
      accessKeyId: ACCESS_KEY,
      expiresAt: NOW + 300_000,
      signature: new URL(url).searchParams.get('Signature'),
    });
    const error = await refused(() => verify(request, NOW + 300_001), 'AccessDenied', 'expired', 403);
    assert.deepEqual(error.details, { Expires: '2026-01-15T12:05:00Z', ServerTime: '2026-01-15T12:05:00Z' });
  });

  it('query auth: Expires at most a week ahead, to the millisecond', async () => {
    const { url } = presigned({ expiresIn: WEEK });
    await verify(requestFromUrl('GET', url));
    const error = await refused(() => verify(requestFromUrl('GET', url), NOW - 1), 'AccessDenied', 'v2-expires-too-far', 403);
    assert.match(error.message, /at most 604800 seconds/);
  });

  it('header auth: within 15 minutes either way, to the millisecond; RequestTimeTooSkewed names both times', async () => {
    const signed = signV2({ mode: 'header', method: 'GET', url: `${ENDPOINT}/b/k`, credentials, crypto: nodeCrypto, now: NOW });
    const request = { method: 'GET', path: '/b/k', query: '', headers: signed.headers };
    for (const now of [NOW - 900_000, NOW + 900_000]) assert.deepEqual(await verify(request, now), { version: 2, mode: 'header', accessKeyId: ACCESS_KEY, signedAt: NOW });
    for (const now of [NOW - 900_001, NOW + 900_001]) {
      const error = await refused(() => verify(request, now), 'RequestTimeTooSkewed', 'time-skewed', 403);
      assert.deepEqual(error.details, { RequestTime: HTTP_NOW, ServerTime: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'), MaxAllowedSkewMilliseconds: '900000' });
    }
  });

  it('verifyV2 called directly with a header auth lacking its date: skewed, not accepted', async () => {
    const toSign = `GET\n\n\n\n/b/k`;
    const request = { method: 'GET', path: '/b/k', query: '', headers: {} };
    const auth = { version: 2, mode: 'header', accessKeyId: ACCESS_KEY, signature: sign(toSign), query: [] } as const;
    const error = await refused(() => verifyV2(auth, request, SECRET, { now: NOW, crypto: nodeCrypto }), 'RequestTimeTooSkewed', 'time-skewed', 403);
    assert.equal(error.details['RequestTime'], '');
  });
});

describe('canonicalResource', () => {
  // AWS's list plus what botocore's HmacV1Auth signs.
  const SUB_RESOURCES = [
    'accelerate', 'acl', 'analytics', 'cors', 'defaultObjectAcl', 'delete', 'inventory', 'lifecycle', 'location', 'logging',
    'metrics', 'notification', 'object-lock', 'partNumber', 'policy', 'replication', 'requestPayment', 'restore', 'select',
    'select-type', 'storageClass', 'tagging', 'torrent', 'uploadId', 'uploads', 'versionId', 'versioning', 'versions', 'website',
    'response-cache-control', 'response-content-disposition', 'response-content-encoding', 'response-content-language',
    'response-content-type', 'response-expires',
  ];

  it('signs each sub-resource, bare or with its value; nothing else', () => {
    for (const name of SUB_RESOURCES) {
      assert.equal(canonicalResource('/b/k', `${name}=v&other=1`), `/b/k?${name}=v`, name);
      assert.equal(canonicalResource('/b/k', `x=1&${name}`), `/b/k?${name}`, name);
    }
    assert.equal(canonicalResource('/b/k', 'Acl&ACL=1&x-amz-acl=1&'), '/b/k');
  });

  it('decodes names and values ("+" a space), sorts by name only, stably', () => {
    assert.equal(canonicalResource('/b/k', 'version%49d=a+b%2Fc&acl'), '/b/k?acl&versionId=a b/c');
    assert.equal(canonicalResource('/b/k', 'versionId=3&uploads&versionId=1&acl&versionId=2'), '/b/k?acl&uploads&versionId=3&versionId=1&versionId=2');
    assert.equal(canonicalResource('/b/k', 'versionId=1&versionId=3&versionId=2'), '/b/k?versionId=1&versionId=3&versionId=2');
  });

  it('a bucket-only path gains its slash; a key path, a root path or a virtual host does not', () => {
    assert.equal(canonicalResource('/bucket1', ''), '/bucket1/');
    assert.equal(canonicalResource('/bucket1/k', ''), '/bucket1/k');
    assert.equal(canonicalResource('/bucket1/k/', ''), '/bucket1/k/');
    assert.equal(canonicalResource('/', ''), '/');
    assert.equal(canonicalResource('//', ''), '//');
    assert.equal(canonicalResource('/k', 'acl', 'bucket1'), '/bucket1/k?acl');
    assert.equal(canonicalResource('/', '', 'bucket1'), '/bucket1/');
  });
});

describe('signV2', () => {
  it('query: the exact URL, the token and signed headers in its query, the caller headers back without the token', () => {
    const result = presigned({
      method: 'get',
      credentials: { ...credentials, sessionToken: 'tok/1' },
      headers: { 'Content-Type': 'text/plain', 'X-Amz-Meta-A': ' v ', 'Content-MD5': 'md5', 'Cache-Control': 'no' },
      now: NOW + 999,
    }, `${ENDPOINT}/b/a%20b?versionId=1`);
    const expires = String(Math.floor(NOW / 1000) + 300);
    assert.equal(result.stringToSign, `GET\nmd5\ntext/plain\n${expires}\nx-amz-meta-a:v\nx-amz-security-token:tok/1\n/b/a%20b?versionId=1`);
    assert.equal(result.signature, sign(result.stringToSign));
    assert.equal(
      result.url,
      `${ENDPOINT}/b/a%20b?versionId=1&AWSAccessKeyId=${ACCESS_KEY}&Signature=${encodeURIComponent(result.signature)}` +
        `&content-type=text%2Fplain&x-amz-meta-a=%20v%20&content-md5=md5&x-amz-security-token=tok%2F1&Expires=${expires}`,
    );
    assert.deepEqual(result.headers, { 'content-type': 'text/plain', 'x-amz-meta-a': ' v ', 'content-md5': 'md5', 'cache-control': 'no' });
    assert.equal(presigned({}, `${ENDPOINT}/b/k`).url.startsWith(`${ENDPOINT}/b/k?AWSAccessKeyId=`), true);
  });

  it('query: expiresIn is a whole number of seconds from 1 to a week', () => {
    for (const expiresIn of [0, -1, 1.5, WEEK + 1, Number.NaN]) {
      assert.throws(() => presigned({ expiresIn }), (e: unknown) => e instanceof PresignError && /^expiresIn must be a whole number of seconds from 1 to 604800 \(7 days\); got /.test(e.message), String(expiresIn));
    }
    for (const expiresIn of [1, WEEK]) assert.match(presigned({ expiresIn }).url, new RegExp(`Expires=${Math.floor(NOW / 1000) + expiresIn}$`));
  });

  it('header: adds Date unless Date or x-amz-date is given; the Date line is empty with x-amz-date', () => {
    const url = `${ENDPOINT}/b/k`;
    const plain = signV2({ mode: 'header', method: 'GET', url, credentials, crypto: nodeCrypto, now: NOW });
    assert.deepEqual(plain.headers, { date: HTTP_NOW, authorization: `AWS ${ACCESS_KEY}:${plain.signature}` });
    assert.equal(plain.stringToSign, `GET\n\n\n${HTTP_NOW}\n/b/k`);
    assert.equal(plain.url, url);
    const given = signV2({ mode: 'header', method: 'GET', url: `${url}?acl`, credentials, crypto: nodeCrypto, now: NOW, headers: { Date: 'Fri, 01 Jan 2021 00:00:00 GMT' } });
    assert.equal(given.stringToSign, 'GET\n\n\nFri, 01 Jan 2021 00:00:00 GMT\n/b/k?acl');
    assert.equal(given.url, `${url}?acl`);
    const amz = signV2({ mode: 'header', method: 'GET', url, credentials, crypto: nodeCrypto, now: NOW, headers: { 'X-Amz-Date': HTTP_NOW } });
    assert.deepEqual(Object.keys(amz.headers).sort(), ['authorization', 'x-amz-date']);
    assert.equal(amz.stringToSign, `GET\n\n\n\nx-amz-date:${HTTP_NOW}\n/b/k`);
    const both = signV2({ mode: 'header', method: 'GET', url, credentials, crypto: nodeCrypto, now: NOW, headers: { 'x-amz-date': HTTP_NOW, date: 'x' } });
    assert.equal(both.stringToSign, `GET\n\n\n\nx-amz-date:${HTTP_NOW}\n/b/k`);
  });

  it('header: a virtual-hosted URL signs /bucket/key; Content-MD5 and Content-Type trimmed', () => {
    const signed = signV2({
      mode: 'header',
      method: 'PUT',
      url: 'http://bucket1.s3.test/k',
      virtualHostBucket: 'bucket1',
      credentials,
      crypto: nodeCrypto,
      now: NOW,
      headers: { 'content-md5': ' m ', 'content-type': ' t ' },
    });
    assert.equal(signed.stringToSign, `PUT\nm\nt\n${HTTP_NOW}\n/bucket1/k`);
  });
});
