import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  canonicalResource,
  nodeCrypto,
  PresignError,
  signV2,
  v2StringToSign,
  type SignableRequest,
} from '../../src/sigv4/index.js';
import {
  botoCapture,
  botoPresign,
  cliPresign,
  oneCharChanges,
  querySpans,
  requestFromUrl,
  V2_ACCESS_KEY,
  V2_SECRET,
  type ClientCase,
} from '../helpers/sigv2-clients.js';
import { refused, verifierFor } from '../helpers/verify-key.js';

const ENDPOINT = 'http://127.0.0.1:39401';
const EXPIRES_IN = 900;

const credentials = { accessKeyId: V2_ACCESS_KEY, secretAccessKey: V2_SECRET };
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const verify = verifierFor(credentials, NOW);

/** The server time at which boto3 signed: its Expires minus the lifetime asked for. */
function signedNow(url: string, expiresIn: number): number {
  const expires = /[?&]Expires=(\d+)/.exec(url)?.[1];
  assert.ok(expires, `no Expires in ${url}`);
  return (Number(expires) - expiresIn) * 1000;
}

/** Every one-character change to the method, the path, and each query name and value must be refused with the right code. */
async function assertTamperProofUrl(method: string, url: string, now: number): Promise<number> {
  const request = requestFromUrl(method, url);
  let checked = 0;
  for (const { text } of oneCharChanges(method)) {
    await refused(verify({ ...request, method: text }, now), 'SignatureDoesNotMatch', 'signature-mismatch', 403, `method ${text}`);
    checked++;
  }
  for (const { text } of oneCharChanges(request.path)) {
    await refused(verify({ ...request, path: text }, now), 'SignatureDoesNotMatch', 'signature-mismatch', 403, `path ${text}`);
    checked++;
  }
  for (const span of querySpans(request.query)) {
    for (const { text } of oneCharChanges(request.query, span.nameStart, span.valueStart - (span.valueStart > span.nameStart + span.name.length ? 1 : 0))) {
      const authName = ['AWSAccessKeyId', 'Signature', 'Expires'].includes(span.name);
      const [code, defect] = authName ? (['AccessDenied', 'v2-missing-query-parameters'] as const) : (['SignatureDoesNotMatch', 'signature-mismatch'] as const);
      await refused(verify({ ...request, query: text }, now), code, defect, 403, `query name ${text}`);
      checked++;
    }
    for (const { at, text } of oneCharChanges(request.query, span.valueStart, span.end)) {
      const label = `query value ${span.name} ${text}`;
      if (span.name === 'AWSAccessKeyId') await refused(verify({ ...request, query: text }, now), 'InvalidAccessKeyId', 'unknown-access-key', 403, label);
      else if (span.name === 'Expires' && !/^\d$/.test(text[at] ?? '')) {
        await refused(verify({ ...request, query: text }, now), 'AccessDenied', 'v2-invalid-expires', 403, label);
      } else await refused(verify({ ...request, query: text }, now), 'SignatureDoesNotMatch', 'signature-mismatch', 403, label);
      checked++;
    }
  }
  // A header the URL's user adds that joins the string to sign.
  await refused(verify({ ...request, headers: { ...request.headers, 'x-amz-meta-extra': '1' } }, now), 'SignatureDoesNotMatch', 'signature-mismatch', 403);
  return checked + 1;
}

const KEYS = ['plain.txt', 'with space/and more.txt', 'unicodé/日本語 ✓', 'a+b=c&d', '100% sure', 'tilde~x', 'double//slash/', 'mix ü+%~//end'];

describe('SigV2 query auth: boto3 generate_presigned_url (default config, custom endpoint, us-east-1)', () => {
  const cases: Array<ClientCase & { method: string }> = [
    ...KEYS.map((Key) => ({ method: 'GET', op: 'get_object', params: { Bucket: 'bucket1', Key } })),
    { method: 'PUT', op: 'put_object', params: { Bucket: 'bucket1', Key: 'up load+.txt', ContentType: 'text/plain; charset=utf-8' } },
    { method: 'HEAD', op: 'head_object', params: { Bucket: 'bucket1', Key: 'héad~ %' } },
    { method: 'DELETE', op: 'delete_object', params: { Bucket: 'bucket1', Key: 'del//ete me' } },
    {
      method: 'GET',
      op: 'get_object',
      params: { Bucket: 'bucket1', Key: 'report.pdf', ResponseContentDisposition: 'attachment; filename="Q1 r+d ü.pdf"', ResponseContentType: 'application/pdf' },
    },
    { method: 'GET', op: 'get_object_acl', params: { Bucket: 'bucket1', Key: 'k' } },
    { method: 'GET', op: 'get_bucket_acl', params: { Bucket: 'bucket1' } },
  ].map((c) => ({ ...c, expiresIn: EXPIRES_IN }));
  let urls: string[] = [];
  before(async () => {
    urls = await botoPresign({ endpoint: ENDPOINT, cases });
  });

  it('produces SigV2 links (so the rest of this suite tests what it claims)', () => {
    assert.equal(urls.length, cases.length);
    for (const url of urls) assert.match(url, /[?&]AWSAccessKeyId=AKIDV2EXAMPLE&Signature=[^&]+/);
    assert.match(urls[KEYS.length] ?? '', /[?&]content-type=text%2Fplain/);
  });

  it('verifies every link and reports the expiry', async () => {
    for (const [i, url] of urls.entries()) {
      const now = signedNow(url, EXPIRES_IN);
      const result = await verify(requestFromUrl(cases[i]?.method ?? '', url), now);
      // The signature names the link (revocation, audit).
      const signature = new URL(url).searchParams.get('Signature');
      assert.deepEqual(result, { version: 2, mode: 'query', accessKeyId: V2_ACCESS_KEY, expiresAt: now + EXPIRES_IN * 1000, signature }, url);
    }
  });

  it('refuses every one-character change to method, path and query', async () => {
    let checked = 0;
    for (const [i, url] of urls.entries()) checked += await assertTamperProofUrl(cases[i]?.method ?? '', url, signedNow(url, EXPIRES_IN));
    assert.ok(checked > 1000, `only ${checked} variants`);
  });

  it('refuses the link under another method (PUT link used for GET, GET link for DELETE)', async () => {
    const put = urls[KEYS.length] ?? '';
    const get = urls[0] ?? '';
    await refused(verify(requestFromUrl('GET', put), signedNow(put, EXPIRES_IN)), 'SignatureDoesNotMatch', 'signature-mismatch', 403);
    await refused(verify(requestFromUrl('DELETE', get), signedNow(get, EXPIRES_IN)), 'SignatureDoesNotMatch', 'signature-mismatch', 403);
  });

  it('takes the signed Content-Type from a header or the query, and refuses a different header', async () => {
    const url = urls[KEYS.length] ?? '';
    const now = signedNow(url, EXPIRES_IN);
    const request = requestFromUrl('PUT', url);
    await verify({ ...request, headers: { ...request.headers, 'content-type': 'text/plain; charset=utf-8' } }, now);
    await refused(verify({ ...request, headers: { ...request.headers, 'content-type': 'text/html' } }, now), 'InvalidRequest', 'conflicting-values', 400);
    const bare = { ...request, query: request.query.replace(/&content-type=[^&]*/, '') };
    await verify({ ...bare, headers: { ...bare.headers, 'content-type': 'text/plain; charset=utf-8' } }, now);
    await refused(verify(bare, now), 'SignatureDoesNotMatch', 'signature-mismatch', 403);
  });

  it('leaves parameters that are not sub-resources unsigned, as S3 does', async () => {
    const url = urls[0] ?? '';
    await verify(requestFromUrl('GET', `${url}&foo=bar`), signedNow(url, EXPIRES_IN));
    await refused(verify(requestFromUrl('GET', `${url}&versionId=3`), signedNow(url, EXPIRES_IN)), 'SignatureDoesNotMatch', 'signature-mismatch', 403);
  });

  it('matches signV2 byte for byte', () => {
    const url = urls[KEYS.length] ?? '';
    const ours = signV2({
      mode: 'query',
      method: 'PUT',
      url: `${ENDPOINT}/bucket1/up%20load%2B.txt`,
      credentials,
      crypto: nodeCrypto,
      now: signedNow(url, EXPIRES_IN),
      expiresIn: EXPIRES_IN,
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
    });
    assert.equal(ours.url, url);
  });
});

describe('SigV2 query auth: other clients and styles', () => {
  it('aws s3 presign (CLI v1) links verify and resist tampering', async () => {
    const url = await cliPresign('s3://bucket1/dir/ä file+1.txt', ENDPOINT, 600);
    assert.match(url, /^http:\/\/127\.0\.0\.1:39401\/bucket1\/dir\/%C3%A4%20file%2B1\.txt\?AWSAccessKeyId=/);
    const now = signedNow(url, 600);
    const result = await verify(requestFromUrl('GET', url), now);
    assert.equal(result.version, 2);
    assert.ok((await assertTamperProofUrl('GET', url, now)) > 100);
  });

  it('session-token links: the token is signed and reported', async () => {
    const [url = ''] = await botoPresign({
      endpoint: ENDPOINT,
      sessionToken: 'FQoG/token+with=odd chars',
      cases: [{ op: 'get_object', params: { Bucket: 'bucket1', Key: 'k' }, expiresIn: EXPIRES_IN }],
    });
    const now = signedNow(url, EXPIRES_IN);
    const result = await verify(requestFromUrl('GET', url), now);
    assert.equal(result.version === 2 && result.securityToken, 'FQoG/token+with=odd chars');
    const swapped = url.replace(/x-amz-security-token=[^&]+/, 'x-amz-security-token=other');
    await refused(verify(requestFromUrl('GET', swapped), now), 'SignatureDoesNotMatch', 'signature-mismatch', 403);
  });

  it('virtual-hosted links sign /bucket from the Host', async () => {
    const [url = ''] = await botoPresign({
      endpoint: 'http://s3.latchkey.test:39401',
      addressingStyle: 'virtual',
      cases: [{ op: 'get_object', params: { Bucket: 'bucket1', Key: 'v/key 1' }, expiresIn: EXPIRES_IN }],
    });
    assert.match(url, /^http:\/\/bucket1\.s3\.latchkey\.test:39401\/v\/key%201\?/);
    const now = signedNow(url, EXPIRES_IN);
    await verify(requestFromUrl('GET', url), now, { virtualHostBucket: 'bucket1' });
    await refused(verify(requestFromUrl('GET', url), now), 'SignatureDoesNotMatch', 'signature-mismatch', 403);
    await refused(verify(requestFromUrl('GET', url), now, { virtualHostBucket: 'bucket2' }), 'SignatureDoesNotMatch', 'signature-mismatch', 403);
  });
});

describe('SigV2 header auth: requests botocore (signature_version=s3) really sends', () => {
  const cases: ClientCase[] = [
    {
      op: 'put_object',
      params: { Bucket: 'bucket1', Key: 'dir/obj ü+.txt', Body: 'hi', ContentType: 'text/plain', ContentMD5: 'ksTLkx5Ua/2ewDF/oNBfoA==', Metadata: { colour: ' blue  green ', n: '1' } },
    },
    { op: 'get_object', params: { Bucket: 'bucket1', Key: 'dir/obj ü+.txt' } },
    { op: 'get_object_acl', params: { Bucket: 'bucket1', Key: 'k' } },
    { op: 'get_bucket_acl', params: { Bucket: 'bucket1' } },
    { op: 'get_bucket_versioning', params: { Bucket: 'bucket1' } },
    { op: 'create_multipart_upload', params: { Bucket: 'bucket1', Key: 'big' } },
    { op: 'upload_part', params: { Bucket: 'bucket1', Key: 'big', PartNumber: 1, UploadId: 'x', Body: 'part' } },
    { op: 'upload_part', params: { Bucket: 'bucket1', Key: 'big', PartNumber: 2, UploadId: 'id with/odd+chars', Body: '' } },
    { op: 'put_object_acl', params: { Bucket: 'bucket1', Key: 'k', ACL: 'public-read' } },
    { op: 'delete_object', params: { Bucket: 'bucket1', Key: 'k', VersionId: 'v1' } },
  ];
  let sent: SignableRequest[] = [];
  let withToken: SignableRequest[] = [];
  let withAmzDate: SignableRequest[] = [];
  before(async () => {
    sent = await botoCapture({ signatureVersion: 's3', cases });
    withToken = await botoCapture({ signatureVersion: 's3', sessionToken: 'SESSION/TOKEN==', cases: cases.slice(0, 1) });
    withAmzDate = await botoCapture({ signatureVersion: 's3', cases: [{ ...cases[1], amzDate: new Date().toUTCString() } as ClientCase] });
  });

  it('captures one SigV2-signed request per call with the expected sub-resources', () => {
    assert.equal(sent.length, cases.length);
    for (const request of sent) assert.match(String(request.headers['authorization']), /^AWS AKIDV2EXAMPLE:[A-Za-z0-9+/]{27}=$/);
    assert.deepEqual(
      sent.map((r) => r.query),
      ['', '', 'acl', 'acl', 'versioning', 'uploads', 'partNumber=1&uploadId=x', 'partNumber=2&uploadId=id%20with%2Fodd%2Bchars', 'acl', 'versionId=v1'],
    );
    assert.equal(sent[0]?.headers['content-md5'], 'ksTLkx5Ua/2ewDF/oNBfoA==');
    // Node's parser drops the outer whitespace; the inner run is signed as is.
    assert.equal(sent[0]?.headers['x-amz-meta-colour'], 'blue  green');
    assert.equal(sent[3]?.path, '/bucket1');
  });

  it('verifies each request', async () => {
    for (const request of sent) {
      const result = await verify(request, Date.now());
      assert.equal(result.version === 2 && result.mode, 'header');
    }
  });

  it('refuses a one-character change to the method, path, query, any signed header or the signature', async () => {
    const now = Date.now();
    let checked = 0;
    for (const request of sent) {
      const mismatch = (changed: SignableRequest, label: string) => {
        checked++;
        return refused(verify(changed, now), 'SignatureDoesNotMatch', 'signature-mismatch', 403, label);
      };
      for (const { text } of oneCharChanges(request.method)) await mismatch({ ...request, method: text }, `method ${text}`);
      for (const { text } of oneCharChanges(request.path)) await mismatch({ ...request, path: text }, `path ${text}`);
      for (const { text } of oneCharChanges(request.query)) await mismatch({ ...request, query: text }, `query ${text}`);
      for (const [name, value] of Object.entries(request.headers)) {
        if (!/^(content-md5|content-type|date|x-amz-.*)$/.test(name) || typeof value !== 'string') continue;
        for (const { text } of oneCharChanges(value)) {
          const changed = { ...request, headers: { ...request.headers, [name]: text } };
          if (name === 'date' && Number.isNaN(Date.parse(text))) {
            checked++;
            await refused(verify(changed, now), 'AccessDenied', 'missing-date', 403, text);
          } else await mismatch(changed, `${name}: ${text}`);
        }
        const { [name]: _dropped, ...rest } = request.headers;
        if (name !== 'date') await mismatch({ ...request, headers: rest }, `without ${name}`);
      }
      const authorization = String(request.headers['authorization']);
      const colon = authorization.indexOf(':');
      for (const { text } of oneCharChanges(authorization, colon + 1)) await mismatch({ ...request, headers: { ...request.headers, authorization: text } }, text);
      for (const { text } of oneCharChanges(authorization, 4, colon)) {
        checked++;
        await refused(verify({ ...request, headers: { ...request.headers, authorization: text } }, now), 'InvalidAccessKeyId', 'unknown-access-key', 403);
      }
      await mismatch({ ...request, headers: { ...request.headers, 'x-amz-meta-added': 'x' } }, 'added x-amz header');
      // Headers V2 does not sign may change freely: proof the refusals above are about the signed parts.
      await verify({ ...request, headers: { ...request.headers, 'user-agent': 'other', 'content-length': '99' } }, now);
    }
    assert.ok(checked > 1000, `only ${checked} variants`);
  });

  it('signs and reports the session token', async () => {
    const [request] = withToken;
    assert.ok(request);
    assert.equal(request.headers['x-amz-security-token'], 'SESSION/TOKEN==');
    const result = await verify(request, Date.now());
    assert.equal(result.version === 2 && result.securityToken, 'SESSION/TOKEN==');
    await refused(
      verify({ ...request, headers: { ...request.headers, 'x-amz-security-token': 'SESSION/TOKEN=!' } }, Date.now()),
      'SignatureDoesNotMatch',
      'signature-mismatch',
      403,
    );
  });

  it('accepts botocore signing the Date header even when x-amz-date is present', async () => {
    const [request] = withAmzDate;
    assert.ok(request?.headers['x-amz-date'] !== undefined && request.headers['date'] !== undefined);
    await verify(request, Date.now());
    await refused(verify({ ...request, headers: { ...request.headers, date: 'Mon, 01 Jan 2024 00:00:00 GMT' } }, Date.now()), 'SignatureDoesNotMatch', 'signature-mismatch', 403);
  });

  it('signV2 reproduces botocore\'s Authorization header', () => {
    const request = sent[0];
    assert.ok(request);
    const signed = Object.fromEntries(
      Object.entries(request.headers).filter(([name]) => /^(content-md5|content-type|date|x-amz-.*)$/.test(name)),
    ) as Record<string, string>;
    const ours = signV2({
      mode: 'header',
      method: 'PUT',
      url: `http://127.0.0.1${request.path}`,
      credentials,
      crypto: nodeCrypto,
      now: Date.now(),
      headers: signed,
    });
    assert.equal(ours.headers['authorization'], request.headers['authorization']);
  });
});

describe('SigV2 refusals', () => {
  const presigned = (expiresIn = 300, url = `${ENDPOINT}/bucket1/key`) =>
    signV2({ mode: 'query', method: 'GET', url, credentials, crypto: nodeCrypto, now: NOW, expiresIn }).url;

  it('accepts up to the second of expiry, then answers AccessDenied with Expires and ServerTime', async () => {
    const url = presigned(300);
    await verify(requestFromUrl('GET', url), NOW + 300_000);
    const error = await refused(verify(requestFromUrl('GET', url), NOW + 300_001), 'AccessDenied', 'expired', 403);
    assert.equal(error.message, 'Request has expired');
    assert.deepEqual(error.details, { Expires: '2026-01-15T12:05:00Z', ServerTime: '2026-01-15T12:05:00Z' });
  });

  it('checks the signature before expiry', async () => {
    const url = presigned(300).replace('/key?', '/kez?');
    await refused(verify(requestFromUrl('GET', url), NOW + 3_600_000), 'SignatureDoesNotMatch', 'signature-mismatch', 403);
  });

  it('refuses Expires more than 7 days ahead, accepts exactly 7 days', async () => {
    const week = 604_800;
    await verify(requestFromUrl('GET', presigned(week)), NOW);
    // Signed at NOW for a week, checked a second "earlier": one second too far ahead.
    await refused(verify(requestFromUrl('GET', presigned(week)), NOW - 1000), 'AccessDenied', 'v2-expires-too-far', 403);
    assert.throws(() => presigned(week + 1), PresignError);
  });

  it('refuses links missing any of AWSAccessKeyId, Signature, Expires', async () => {
    const url = presigned();
    for (const name of ['AWSAccessKeyId', 'Signature', 'Expires']) {
      const stripped = url.replace(new RegExp(`[?&]${name}=[^&]*`), (m) => (m.startsWith('?') ? '?' : ''));
      const error = await refused(verify(requestFromUrl('GET', stripped), NOW), 'AccessDenied', 'v2-missing-query-parameters', 403, name);
      assert.equal(error.message, 'Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters');
    }
    await refused(verify(requestFromUrl('GET', url.replace(/Signature=[^&]*/, 'Signature=')), NOW), 'AccessDenied', 'v2-missing-query-parameters', 403);
  });

  it('refuses a non-numeric or repeated Expires', async () => {
    const url = presigned();
    const error = await refused(verify(requestFromUrl('GET', url.replace(/Expires=\d+/, 'Expires=1e9')), NOW), 'AccessDenied', 'v2-invalid-expires', 403);
    assert.equal(error.message, 'Invalid date (should be seconds since epoch): 1e9');
    await refused(verify(requestFromUrl('GET', `${url}&Expires=1`), NOW), 'AuthorizationQueryParametersError', 'duplicate-query-parameter', 400);
  });

  it('refuses a V2 link that also carries an Authorization header', async () => {
    const request = requestFromUrl('GET', presigned());
    await refused(verify({ ...request, headers: { ...request.headers, authorization: 'AWS a:b' } }, NOW), 'InvalidArgument', 'multiple-auth-mechanisms', 400);
  });

  it('SignatureDoesNotMatch carries StringToSign and SignatureProvided, never the secret', async () => {
    const url = presigned().replace('/key?', '/other?');
    const error = await refused(verify(requestFromUrl('GET', url), NOW), 'SignatureDoesNotMatch', 'signature-mismatch', 403);
    const expires = Math.floor(NOW / 1000) + 300;
    assert.equal(error.details['StringToSign'], `GET\n\n\n${expires}\n/bucket1/other`);
    assert.equal(error.details['SignatureProvided'], decodeURIComponent(/Signature=([^&]+)/.exec(url)?.[1] ?? ''));
    assert.ok(!JSON.stringify(error.details).includes(V2_SECRET));
    assert.ok(!error.message.includes(V2_SECRET));
  });

  it('reads an unencoded "+" in Signature back (query decoding made it a space); refuses non-canonical base64', async () => {
    let url = presigned();
    for (let n = 1; !/Signature=[^&]*%2B/.test(url); n++) url = presigned(300, `${ENDPOINT}/bucket1/key${n}`);
    await verify(requestFromUrl('GET', url.replace(/%2B/g, '+')), NOW);
    const raw = decodeURIComponent(/Signature=([^&]+)/.exec(url)?.[1] ?? '');
    // The last character before '=' carries 2 padding bits: flipping them decodes to the same bytes.
    const last = raw[26] ?? 'A';
    const sibling = String.fromCharCode(last.charCodeAt(0) ^ 1);
    const padded = url.replace(/Signature=[^&]+/, `Signature=${encodeURIComponent(raw.slice(0, 26) + sibling + '=')}`);
    await refused(verify(requestFromUrl('GET', padded), NOW), 'SignatureDoesNotMatch', 'signature-mismatch', 403);
    for (const bad of ['', 'abc', `${raw}=`, raw.slice(0, 27), `${raw.slice(0, 26)}!=`]) {
      const changed = url.replace(/Signature=[^&]+/, `Signature=${encodeURIComponent(bad)}`);
      const [code, defect] = bad === '' ? (['AccessDenied', 'v2-missing-query-parameters'] as const) : (['SignatureDoesNotMatch', 'signature-mismatch'] as const);
      await refused(verify(requestFromUrl('GET', changed), NOW), code, defect, 403, bad);
    }
  });

  it('refuses malformed Authorization headers', async () => {
    for (const value of ['AWS ', 'AWS AKID', 'AWS :c2ln', `AWS ${V2_ACCESS_KEY}:`, `AWS ${V2_ACCESS_KEY} :abc`, `AWS  ${V2_ACCESS_KEY}:abc`]) {
      const request = { method: 'GET', path: '/b/k', query: '', headers: { authorization: value, date: new Date(NOW).toUTCString() } };
      const error = await refused(verify(request, NOW), 'InvalidArgument', 'v2-malformed-authorization-header', 400, JSON.stringify(value));
      assert.equal(error.details['ArgumentName'], 'Authorization');
    }
  });

  const headerSigned = (headers: Record<string, string> = {}, url = `${ENDPOINT}/bucket1/key?uploads`) => {
    const signed = signV2({ mode: 'header', method: 'POST', url, credentials, crypto: nodeCrypto, now: NOW, headers });
    const [, path = '', query = ''] = /^[^/]*\/\/[^/]*([^?]*)\??(.*)$/.exec(signed.url) ?? [];
    return { method: 'POST', path, query, headers: signed.headers } satisfies SignableRequest;
  };

  it('header auth: accepts within 15 minutes of the Date, answers RequestTimeTooSkewed past it', async () => {
    const request = headerSigned();
    const result = await verify(request, NOW + 900_000);
    assert.deepEqual(result, { version: 2, mode: 'header', accessKeyId: V2_ACCESS_KEY, signedAt: NOW });
    await verify(request, NOW - 900_000);
    for (const now of [NOW + 900_001, NOW - 900_001]) {
      const error = await refused(verify(request, now), 'RequestTimeTooSkewed', 'time-skewed', 403);
      assert.equal(error.details['RequestTime'], 'Thu, 15 Jan 2026 12:00:00 GMT');
      assert.equal(error.details['MaxAllowedSkewMilliseconds'], '900000');
    }
  });

  it('header auth: a skewed request with a bad signature is a signature error first', async () => {
    const request = headerSigned();
    await refused(verify({ ...request, path: '/bucket1/kez' }, NOW + 3_600_000), 'SignatureDoesNotMatch', 'signature-mismatch', 403);
  });

  it('header auth: needs a usable Date or x-amz-date', async () => {
    const request = headerSigned();
    const { date: _date, ...noDate } = request.headers;
    await refused(verify({ ...request, headers: noDate }, NOW), 'AccessDenied', 'missing-date', 403);
    await refused(verify({ ...request, headers: { ...request.headers, date: 'yesterday' } }, NOW), 'AccessDenied', 'missing-date', 403);
    // Before the epoch is no date either (S3: AccessDenied), not a skewed clock.
    await refused(verify({ ...request, headers: { ...request.headers, date: 'Wed, 31 Dec 1969 23:59:59 GMT' } }, NOW), 'AccessDenied', 'missing-date', 403);
    await refused(verify({ ...request, headers: { ...request.headers, 'x-amz-date': ['Mon, 01 Jan 1900 00:00:00 GMT'] } }, NOW), 'AccessDenied', 'missing-date', 403);
  });

  it('header auth with x-amz-date: AWS leaves the Date line empty, and x-amz-date sets the clock', async () => {
    const amzDate = new Date(NOW).toUTCString();
    const request = headerSigned({ 'X-Amz-Date': amzDate, 'Content-Type': 'application/xml' });
    const withDate = { ...request, headers: { ...request.headers, date: 'Fri, 01 Jan 2021 00:00:00 GMT' } };
    const result = await verify(withDate, NOW);
    assert.equal(result.version === 2 && result.signedAt, NOW);
    await refused(verify({ ...withDate, headers: { ...withDate.headers, 'x-amz-date': 'Thu, 15 Jan 2026 12:00:01 GMT' } }, NOW), 'SignatureDoesNotMatch', 'signature-mismatch', 403);
    await refused(verify(request, NOW + 900_001), 'RequestTimeTooSkewed', 'time-skewed', 403);
  });

  it('header auth: repeated x-amz headers join with commas, values trimmed, names case-folded', async () => {
    const url = `${ENDPOINT}/bucket1/key`;
    const signed = signV2({ mode: 'header', method: 'PUT', url, credentials, crypto: nodeCrypto, now: NOW, headers: { 'x-amz-meta-tags': 'a,b' } });
    const base = { method: 'PUT', path: '/bucket1/key', query: '' };
    const { 'x-amz-meta-tags': _tags, ...others } = signed.headers;
    await verify({ ...base, headers: { ...others, 'X-Amz-Meta-Tags': [' a ', 'b  '] } }, NOW);
    await refused(verify({ ...base, headers: { ...others, 'x-amz-meta-tags': ['b', 'a'] } }, NOW), 'SignatureDoesNotMatch', 'signature-mismatch', 403);
    assert.equal(signed.stringToSign, `PUT\n\n\n${new Date(NOW).toUTCString()}\nx-amz-meta-tags:a,b\n/bucket1/key`);
  });
});

describe('canonicalResource', () => {
  it('keeps the wire path, sorts sub-resources by name with decoded values, drops the rest', () => {
    assert.equal(canonicalResource('/b/a%20b', 'uploadId=x%20y%2Fz&partNumber=1&foo=bar&AWSAccessKeyId=k'), '/b/a%20b?partNumber=1&uploadId=x y/z');
    assert.equal(canonicalResource('/', 'acl', 'bucket1'), '/bucket1/?acl');
    assert.equal(canonicalResource('/k', 'response-content-type=text%2Fplain&acl&versionId=', 'b'), '/b/k?acl&response-content-type=text/plain&versionId=');
    assert.equal(canonicalResource('/b/k', ''), '/b/k');
    assert.equal(canonicalResource('/bucket1', 'acl'), '/bucket1/?acl', 'a bucket-only path signs with the trailing slash');
    assert.equal(canonicalResource('/bucket1/', ''), '/bucket1/');
  });

  it('a bucket-only path also verifies when signed literally, without the slash', async () => {
    const now = Date.UTC(2026, 0, 15);
    const date = new Date(now).toUTCString();
    const toSign = v2StringToSign({ method: 'GET', contentMd5: '', contentType: '', date, amzHeaders: new Map(), resource: '/bucket1?acl' });
    const signature = Buffer.from(nodeCrypto.hmacSha1(V2_SECRET, toSign)).toString('base64');
    const request = { method: 'GET', path: '/bucket1', query: 'acl', headers: { date, authorization: `AWS ${V2_ACCESS_KEY}:${signature}` } };
    await verify(request, now);
    await refused(verify({ ...request, path: '/bucket2' }, now), 'SignatureDoesNotMatch', 'signature-mismatch', 403);
    const error = await refused(verify({ ...request, query: 'cors' }, now), 'SignatureDoesNotMatch', 'signature-mismatch', 403);
    assert.equal(error.details['StringToSign'], `GET\n\n\n${date}\n/bucket1/?cors`);
  });
});
