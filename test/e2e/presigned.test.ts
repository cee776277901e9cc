import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { nodeCrypto } from '../../src/sigv4/node-crypto.js';
import { presign } from '../../src/sigv4/sign.js';
import { signV2 } from '../../src/sigv4/sigv2.js';
import type { Credentials } from '../../src/sigv4/types.js';
import { aws, boto3, s3Client } from '../helpers/clients.js';
import { fingerprint, readState } from '../helpers/disk-state.js';
import '../helpers/sdk-js.js';
import { ROOT_CREDENTIALS, startServer, type TestServer } from '../helpers/server.js';

const BUCKET = 'presign-e2e';
const PRIVATE_KEY = 'private.txt';
const PRIVATE_BODY = Buffer.from('only for holders of a valid signature\n');
const MINUTE = 60_000;

let server: TestServer;
let client: S3Client;

interface Sent {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Buffer;
  readonly text: string;
}

async function send(url: string, init: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {}): Promise<Sent> {
  const response = await fetch(url, { method: init.method ?? 'GET', headers: init.headers ?? {}, ...(init.body === undefined ? {} : { body: init.body }) });
  const body = Buffer.from(await response.arrayBuffer());
  return { status: response.status, headers: response.headers, body, text: body.toString('utf8') };
}

function xmlField(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
  return m?.[1]?.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** Our own presigner, with everything a test may want to bend. */
function v4Url(method: string, key: string, options: { now?: number; expiresIn?: number; credentials?: Credentials; region?: string; headers?: Record<string, string>; query?: string } = {}): string {
  return presign({
    method,
    url: `${server.endpoint}/${BUCKET}/${key}${options.query ? `?${options.query}` : ''}`,
    credentials: options.credentials ?? ROOT_CREDENTIALS,
    region: options.region ?? server.region,
    now: options.now ?? Date.now(),
    expiresIn: options.expiresIn ?? 300,
    crypto: nodeCrypto,
    ...(options.headers ? { headers: options.headers } : {}),
  }).url;
}

function v2Url(method: string, key: string, options: { now?: number; expiresIn?: number; credentials?: Credentials } = {}): string {
  return signV2({
    mode: 'query',
    method,
    url: `${server.endpoint}/${BUCKET}/${key}`,
    credentials: options.credentials ?? ROOT_CREDENTIALS,
    now: options.now ?? Date.now(),
    expiresIn: options.expiresIn ?? 300,
    crypto: nodeCrypto,
  }).url;
}

/** Replaces (or with undefined removes) one query parameter, leaving every other byte of the URL as signed. */
function withParam(url: string, name: string, value: string | undefined): string {
  const [base, query = ''] = url.split('?', 2) as [string, string?];
  const parts = query.split('&');
  const index = parts.findIndex((p) => p.split('=', 1)[0] === name);
  assert.ok(index !== -1 || value !== undefined, `${name} is in ${url}`);
  if (value === undefined) parts.splice(index, 1);
  else if (index === -1) parts.push(`${name}=${value}`);
  else parts[index] = `${name}=${value}`;
  return `${base}?${parts.join('&')}`;
}

interface Refusal {
  readonly status: number;
  readonly code: string;
  readonly message?: string | RegExp;
  /** Extra elements of the error body, by name. */
  readonly details?: Readonly<Record<string, string | RegExp>>;
}

/** Sends a request that must be refused, and proves it changed nothing on disk. */
async function assertRefused(url: string, init: Parameters<typeof send>[1], expected: Refusal): Promise<Sent> {
  const before = fingerprint(await readState(server));
  const sent = await send(url, init);
  assert.equal(xmlField(sent.text, 'Code'), expected.code, sent.text);
  assert.equal(sent.status, expected.status);
  const requestId = sent.headers.get('x-amz-request-id');
  assert.match(requestId ?? '', /^[0-9A-F]{16}$/);
  assert.equal(xmlField(sent.text, 'RequestId'), requestId);
  if (expected.message !== undefined) {
    const message = xmlField(sent.text, 'Message') ?? '';
    if (typeof expected.message === 'string') assert.equal(message, expected.message);
    else assert.match(message, expected.message);
  }
  for (const [name, value] of Object.entries(expected.details ?? {})) {
    const found = xmlField(sent.text, name);
    assert.ok(found !== undefined, `<${name}> in ${sent.text}`);
    if (typeof value === 'string') assert.equal(found, value);
    else assert.match(found, value);
  }
  assert.equal(fingerprint(await readState(server)), before, 'a refused request leaves the data dir as it was');
  assert.ok(!sent.text.includes(ROOT_CREDENTIALS.secretAccessKey), 'the secret never appears in an error');
  return sent;
}

async function assertPrivateIntact(): Promise<void> {
  const got = await send(v4Url('GET', PRIVATE_KEY));
  assert.equal(got.status, 200);
  assert.ok(got.body.equals(PRIVATE_BODY));
}

const SIGNATURE_MISMATCH: Refusal = {
  status: 403,
  code: 'SignatureDoesNotMatch',
  message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
  details: { AWSAccessKeyId: ROOT_CREDENTIALS.accessKeyId, StringToSign: /^AWS4-HMAC-SHA256\n/, SignatureProvided: /^[0-9a-f]{64}$/, CanonicalRequest: /\nUNSIGNED-PAYLOAD$/ },
};
const MISSING_V4 = 'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.';
const ISO_SECONDS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const UPLOAD = Buffer.from('this upload must never be stored');

before(async () => {
  server = await startServer();
  client = s3Client(server);
  await send(v4Url('PUT', ''), { method: 'PUT' }).then((r) => assert.equal(r.status, 200, r.text));
  await send(v4Url('PUT', PRIVATE_KEY), { method: 'PUT', body: PRIVATE_BODY }).then((r) => assert.equal(r.status, 200, r.text));
});
after(async () => {
  client?.destroy();
  await server?.stop();
});

describe('pre-signed SigV4 failures', () => {
  test('expired: signed in the past', async () => {
    await assertRefused(v4Url('GET', PRIVATE_KEY, { now: Date.now() - 60 * MINUTE, expiresIn: 60 }), {}, {
      status: 403,
      code: 'AccessDenied',
      message: 'Request has expired',
      details: { 'X-Amz-Expires': '60', Expires: ISO_SECONDS, ServerTime: ISO_SECONDS },
    });
    await assertRefused(v4Url('PUT', 'expired-put', { now: Date.now() - 60 * MINUTE, expiresIn: 60 }), { method: 'PUT', body: UPLOAD }, { status: 403, code: 'AccessDenied', message: 'Request has expired' });
    await assertRefused(v4Url('DELETE', PRIVATE_KEY, { now: Date.now() - 60 * MINUTE, expiresIn: 60 }), { method: 'DELETE' }, { status: 403, code: 'AccessDenied', message: 'Request has expired' });
    await assertPrivateIntact();
  });

  test('expired: a URL that worked stops working after X-Amz-Expires', async () => {
    // Dated a few seconds ahead (within the allowed skew), so the first use cannot miss the link's one
    // second on a loaded machine; then wait until the clock is past its end, whole seconds as X-Amz-Date counts.
    const signedAt = Date.now() + 3000;
    const url = v4Url('GET', PRIVATE_KEY, { now: signedAt, expiresIn: 1 });
    assert.equal((await send(url)).status, 200);
    const end = Math.floor(signedAt / 1000) * 1000 + 1000;
    await sleep(Math.max(0, end - Date.now()) + 50);
    await assertRefused(url, {}, { status: 403, code: 'AccessDenied', message: 'Request has expired', details: { 'X-Amz-Expires': '1' } });
  });

  test('not yet valid: dated 20 minutes ahead (10 minutes ahead is within the allowed skew)', async () => {
    await assertRefused(v4Url('GET', PRIVATE_KEY, { now: Date.now() + 20 * MINUTE }), {}, {
      status: 403,
      code: 'AccessDenied',
      message: 'Request is not yet valid',
      details: { 'X-Amz-Date': /^\d{8}T\d{6}Z$/, Expires: ISO_SECONDS, ServerTime: ISO_SECONDS },
    });
    await assertRefused(v4Url('PUT', 'future-put', { now: Date.now() + 20 * MINUTE }), { method: 'PUT', body: UPLOAD }, { status: 403, code: 'AccessDenied', message: 'Request is not yet valid' });
    assert.equal((await send(v4Url('GET', PRIVATE_KEY, { now: Date.now() + 10 * MINUTE }))).status, 200);
  });

  test('tampered path, method, query parameter', async () => {
    const get = v4Url('GET', PRIVATE_KEY);
    await assertRefused(get.replace(`/${PRIVATE_KEY}?`, '/private.txT?'), {}, SIGNATURE_MISMATCH);
    await assertRefused(get, { method: 'DELETE' }, SIGNATURE_MISMATCH);
    await assertRefused(get, { method: 'PUT', body: UPLOAD }, SIGNATURE_MISMATCH);
    await assertRefused(withParam(get, 'X-Amz-Expires', '301'), {}, SIGNATURE_MISMATCH);
    await assertRefused(withParam(get, 'response-content-type', 'text%2Fhtml'), {}, SIGNATURE_MISMATCH);
    const date = new URL(get).searchParams.get('X-Amz-Date') ?? '';
    const otherSecond = date.slice(0, -3) + String((Number(date.slice(-3, -1)) + 1) % 60).padStart(2, '0') + 'Z';
    await assertRefused(withParam(get, 'X-Amz-Date', otherSecond), {}, SIGNATURE_MISMATCH);

    const put = v4Url('PUT', 'tampered-put');
    await assertRefused(put.replace('/tampered-put?', '/other-put?'), { method: 'PUT', body: UPLOAD }, SIGNATURE_MISMATCH);
    const del = v4Url('DELETE', 'some-other-key');
    await assertRefused(del.replace('/some-other-key?', `/${PRIVATE_KEY}?`), { method: 'DELETE' }, SIGNATURE_MISMATCH);
    await assertPrivateIntact();
  });

  test('tampered signed header: Content-Type of a pre-signed PUT', async () => {
    const put = v4Url('PUT', 'typed-put', { headers: { 'content-type': 'text/plain' } });
    await assertRefused(put, { method: 'PUT', body: UPLOAD, headers: { 'content-type': 'text/html' } }, SIGNATURE_MISMATCH);
    await assertRefused(put, { method: 'PUT', body: UPLOAD, headers: { 'content-type': 'application/octet-stream' } }, SIGNATURE_MISMATCH);
  });

  test('wrong key id (checked before expiry), wrong secret', async () => {
    const stranger = { accessKeyId: 'LKNOSUCHKEY000000000', secretAccessKey: ROOT_CREDENTIALS.secretAccessKey };
    const unknown: Refusal = {
      status: 403,
      code: 'InvalidAccessKeyId',
      message: 'The AWS Access Key Id you provided does not exist in our records.',
      details: { AWSAccessKeyId: stranger.accessKeyId },
    };
    await assertRefused(v4Url('GET', PRIVATE_KEY, { credentials: stranger }), {}, unknown);
    await assertRefused(v4Url('PUT', 'stranger-put', { credentials: stranger }), { method: 'PUT', body: UPLOAD }, unknown);
    await assertRefused(v4Url('GET', PRIVATE_KEY, { credentials: stranger, now: Date.now() - 60 * MINUTE, expiresIn: 60 }), {}, unknown);
    const wrongSecret = { accessKeyId: ROOT_CREDENTIALS.accessKeyId, secretAccessKey: 'not-the-right-secret' };
    await assertRefused(v4Url('GET', PRIVATE_KEY, { credentials: wrongSecret }), {}, SIGNATURE_MISMATCH);
    await assertRefused(v4Url('DELETE', PRIVATE_KEY, { credentials: wrongSecret }), { method: 'DELETE' }, SIGNATURE_MISMATCH);
    await assertPrivateIntact();
  });

  test('X-Amz-Expires out of range or malformed', async () => {
    const url = v4Url('PUT', 'expires-put');
    const cases: Array<[string, string]> = [
      ['604801', 'X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds'],
      ['99999999999', 'X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds'],
      ['-1', 'X-Amz-Expires must be non-negative'],
      ['1e3', 'X-Amz-Expires should be a number'],
      ['abc', 'X-Amz-Expires should be a number'],
    ];
    for (const [value, message] of cases) {
      await assertRefused(withParam(url, 'X-Amz-Expires', value), { method: 'PUT', body: UPLOAD }, { status: 400, code: 'AuthorizationQueryParametersError', message });
    }
  });

  test('each required parameter missing', async () => {
    const url = v4Url('DELETE', PRIVATE_KEY);
    for (const name of ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature']) {
      await assertRefused(withParam(url, name, undefined), { method: 'DELETE' }, { status: 400, code: 'AuthorizationQueryParametersError', message: MISSING_V4 });
    }
    await assertPrivateIntact();
  });

  test('malformed credential, wrong region, malformed date, unsupported algorithm', async () => {
    const url = v4Url('PUT', 'malformed-put');
    const put = { method: 'PUT', body: UPLOAD };
    await assertRefused(withParam(url, 'X-Amz-Credential', 'nonsense'), put, {
      status: 400,
      code: 'AuthorizationQueryParametersError',
      message: 'Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
    });
    await assertRefused(v4Url('PUT', 'region-put', { region: 'eu-west-1' }), put, {
      status: 400,
      code: 'AuthorizationQueryParametersError',
      message: "Error parsing the X-Amz-Credential parameter; the region 'eu-west-1' is wrong; expecting 'us-east-1'",
      details: { Region: 'us-east-1' },
    });
    await assertRefused(withParam(url, 'X-Amz-Date', '2024-01-01T00%3A00%3A00Z'), put, {
      status: 400,
      code: 'AuthorizationQueryParametersError',
      message: 'X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd\'T\'HHmmss\'Z\'"',
    });
    await assertRefused(withParam(url, 'X-Amz-Algorithm', 'AWS4-HMAC-SHA1'), put, {
      status: 400,
      code: 'AuthorizationQueryParametersError',
      message: 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"',
    });
  });

  test('an x-amz-* header that is not signed', async () => {
    await assertRefused(v4Url('PUT', 'unsigned-meta'), { method: 'PUT', body: UPLOAD, headers: { 'x-amz-meta-sneaky': 'yes' } }, {
      status: 403,
      code: 'AccessDenied',
      message: 'There were headers present in the request which were not signed',
      details: { HeadersNotSigned: 'x-amz-meta-sneaky' },
    });
    await assertRefused(v4Url('DELETE', PRIVATE_KEY), { method: 'DELETE', headers: { 'x-amz-bypass-governance-retention': 'true' } }, {
      status: 403,
      code: 'AccessDenied',
      details: { HeadersNotSigned: 'x-amz-bypass-governance-retention' },
    });
  });

  test('header and query auth together; header and query in conflict', async () => {
    const url = v4Url('PUT', 'two-mechanisms');
    const authorization = `AWS4-HMAC-SHA256 Credential=${ROOT_CREDENTIALS.accessKeyId}/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${'0'.repeat(64)}`;
    await assertRefused(url, { method: 'PUT', body: UPLOAD, headers: { authorization } }, {
      status: 400,
      code: 'InvalidArgument',
      message: 'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
    });
    await assertRefused(url, { method: 'PUT', body: UPLOAD, headers: { 'x-amz-date': '20200101T000000Z' } }, {
      status: 400,
      code: 'InvalidRequest',
      message: 'Conflicting values provided in HTTP headers and query parameters',
    });
  });

  test('anonymous requests to a private bucket', async () => {
    const anonymous: Refusal = { status: 403, code: 'AccessDenied', message: 'Access Denied' };
    await assertRefused(`${server.endpoint}/${BUCKET}/${PRIVATE_KEY}`, {}, anonymous);
    await assertRefused(`${server.endpoint}/${BUCKET}/anon-put`, { method: 'PUT', body: UPLOAD }, anonymous);
    await assertRefused(`${server.endpoint}/${BUCKET}/${PRIVATE_KEY}`, { method: 'DELETE' }, anonymous);
    await assertRefused(`${server.endpoint}/${BUCKET}?list-type=2`, {}, anonymous);
    const head = await send(`${server.endpoint}/${BUCKET}/${PRIVATE_KEY}`, { method: 'HEAD' });
    assert.equal(head.status, 403);
    assert.match(head.headers.get('x-amz-request-id') ?? '', /^[0-9A-F]{16}$/);
    await assertPrivateIntact();
  });
});

describe('pre-signed SigV2 failures', () => {
  const missing = 'Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters';

  test('each required parameter missing', async () => {
    const url = v2Url('DELETE', PRIVATE_KEY);
    for (const name of ['AWSAccessKeyId', 'Expires', 'Signature']) {
      await assertRefused(withParam(url, name, undefined), { method: 'DELETE' }, { status: 403, code: 'AccessDenied', message: missing });
    }
    await assertRefused(withParam(v2Url('PUT', 'v2-put'), 'Expires', undefined), { method: 'PUT', body: UPLOAD }, { status: 403, code: 'AccessDenied', message: missing });
    await assertPrivateIntact();
  });

  test('expired', async () => {
    const expired: Refusal = { status: 403, code: 'AccessDenied', message: 'Request has expired', details: { Expires: ISO_SECONDS, ServerTime: ISO_SECONDS } };
    await assertRefused(v2Url('GET', PRIVATE_KEY, { now: Date.now() - 60 * MINUTE, expiresIn: 60 }), {}, expired);
    await assertRefused(v2Url('PUT', 'v2-expired', { now: Date.now() - 60 * MINUTE, expiresIn: 60 }), { method: 'PUT', body: UPLOAD }, expired);
  });

  test('tampered, wrong secret, unknown key', async () => {
    const url = v2Url('GET', PRIVATE_KEY);
    await assertRefused(url.replace(`/${PRIVATE_KEY}?`, '/Private.txt?'), {}, { status: 403, code: 'SignatureDoesNotMatch' });
    await assertRefused(url, { method: 'DELETE' }, { status: 403, code: 'SignatureDoesNotMatch' });
    await assertRefused(withParam(url, 'Expires', String(Math.floor(Date.now() / 1000) + 999)), {}, { status: 403, code: 'SignatureDoesNotMatch' });
    const wrongSecret = { accessKeyId: ROOT_CREDENTIALS.accessKeyId, secretAccessKey: 'wrong' };
    await assertRefused(v2Url('PUT', 'v2-forged', { credentials: wrongSecret }), { method: 'PUT', body: UPLOAD }, { status: 403, code: 'SignatureDoesNotMatch' });
    await assertRefused(v2Url('GET', PRIVATE_KEY, { credentials: { accessKeyId: 'LKNOSUCHKEY000000000', secretAccessKey: 'x' } }), {}, {
      status: 403,
      code: 'InvalidAccessKeyId',
      details: { AWSAccessKeyId: 'LKNOSUCHKEY000000000' },
    });
  });
});

describe('pre-signed URLs that work', () => {
  async function roundTrip(label: string, urls: { put: string; get: string; head: string; del: string }, body: Buffer, putHeaders: Record<string, string> = {}): Promise<void> {
    const put = await send(urls.put, { method: 'PUT', body, headers: putHeaders });
    assert.equal(put.status, 200, `${label} PUT: ${put.text}`);
    assert.equal(put.headers.get('etag'), `"${createHash('md5').update(body).digest('hex')}"`);
    const get = await send(urls.get);
    assert.equal(get.status, 200, `${label} GET: ${get.text}`);
    assert.ok(get.body.equals(body), `${label} GET returns the uploaded bytes`);
    const head = await send(urls.head, { method: 'HEAD' });
    assert.equal(head.status, 200, `${label} HEAD`);
    assert.equal(head.headers.get('content-length'), String(body.length));
    const del = await send(urls.del, { method: 'DELETE' });
    assert.equal(del.status, 204, `${label} DELETE: ${del.text}`);
    assert.equal((await send(urls.head, { method: 'HEAD' })).status, 404, `${label} deleted`);
  }

  test('made by our presign (SigV4) and signV2', async () => {
    const key = 'ours/ü key with spaces+plus';
    await roundTrip('presign', { put: v4Url('PUT', key), get: v4Url('GET', key), head: v4Url('HEAD', key), del: v4Url('DELETE', key) }, randomBytes(50_000));
    await roundTrip('signV2', { put: v2Url('PUT', key), get: v2Url('GET', key), head: v2Url('HEAD', key), del: v2Url('DELETE', key) }, randomBytes(50_000));
  });

  test('made by @aws-sdk/s3-request-presigner', async () => {
    const body = randomBytes(30_000);
    const put = await getSignedUrl(client, new PutObjectCommand({ Bucket: BUCKET, Key: 'sdk/obj' }), { expiresIn: 120 });
    assert.equal((await send(put, { method: 'PUT', body })).status, 200);
    const get = await getSignedUrl(client, new GetObjectCommand({ Bucket: BUCKET, Key: 'sdk/obj' }), { expiresIn: 120 });
    assert.ok((await send(get)).body.equals(body));
  });

  test('made by boto3 (default SigV2 and s3v4)', async () => {
    const script = `
s3v4 = session.client('s3', endpoint_url=endpoint, config=Config(signature_version='s3v4', s3={'addressing_style': 'path'}))
out = {}
for name, c in (('default', s3), ('s3v4', s3v4)):
    out[name] = {op: c.generate_presigned_url(op, Params={'Bucket': args['bucket'], 'Key': args['key']}, ExpiresIn=300)
                 for op in ('put_object', 'get_object', 'head_object', 'delete_object')}
print(json.dumps(out))
`;
    const urls = await boto3<Record<'default' | 's3v4', Record<string, string>>>(server, script, { bucket: BUCKET, key: 'boto/a b+c.txt' });
    assert.match(urls.default['get_object'] ?? '', /[?&]Signature=/, 'botocore presigns with SigV2 by default here');
    assert.match(urls.s3v4['get_object'] ?? '', /[?&]X-Amz-Signature=/);
    for (const [label, set] of Object.entries(urls)) {
      await roundTrip(`boto3 ${label}`, { put: set['put_object']!, get: set['get_object']!, head: set['head_object']!, del: set['delete_object']! }, randomBytes(10_000));
    }
  });

  test('made by `aws s3 presign`', async () => {
    const result = await aws(server, ['s3', 'presign', `s3://${BUCKET}/${PRIVATE_KEY}`, '--expires-in', '300']);
    assert.equal(result.code, 0, result.stderr);
    const got = await send(result.stdout.trim());
    assert.equal(got.status, 200, got.text);
    assert.ok(got.body.equals(PRIVATE_BODY));
  });

  test('Range and conditional headers on a pre-signed GET', async () => {
    const url = v4Url('GET', PRIVATE_KEY);
    const part = await send(url, { headers: { range: 'bytes=5-8' } });
    assert.equal(part.status, 206);
    assert.equal(part.text, PRIVATE_BODY.subarray(5, 9).toString());
    assert.equal(part.headers.get('content-range'), `bytes 5-8/${PRIVATE_BODY.length}`);
    const etag = `"${createHash('md5').update(PRIVATE_BODY).digest('hex')}"`;
    const notModified = await send(url, { headers: { 'if-none-match': etag } });
    assert.equal(notModified.status, 304);
    assert.equal(notModified.body.length, 0);
    assert.equal((await send(url, { headers: { 'if-none-match': '"other"' } })).status, 200);
    await assertRefused(url, { headers: { 'if-match': '"other"' } }, { status: 412, code: 'PreconditionFailed' });
  });

  test('signed Content-Type and x-amz-meta-* on a pre-signed PUT are enforced and stored', async () => {
    const signed = { 'content-type': 'text/csv', 'x-amz-meta-owner': 'alice' };
    const url = v4Url('PUT', 'signed-headers.csv', { headers: signed });
    const body = Buffer.from('a,b\n1,2\n');
    await assertRefused(url, { method: 'PUT', body, headers: { 'content-type': 'text/csv' } }, SIGNATURE_MISMATCH);
    await assertRefused(url, { method: 'PUT', body, headers: { 'content-type': 'text/csv', 'x-amz-meta-owner': 'mallory' } }, SIGNATURE_MISMATCH);
    const put = await send(url, { method: 'PUT', body, headers: signed });
    assert.equal(put.status, 200, put.text);
    const head = await send(v4Url('HEAD', 'signed-headers.csv'), { method: 'HEAD' });
    assert.equal(head.headers.get('content-type'), 'text/csv');
    assert.equal(head.headers.get('x-amz-meta-owner'), 'alice');
    const row = (await readState(server)).rows.find((r) => r.key === 'signed-headers.csv');
    assert.equal(row?.contentType, 'text/csv');
    assert.deepEqual(JSON.parse(row?.userMetadata ?? '{}'), { owner: 'alice' });
  });
});
