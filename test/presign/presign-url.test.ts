import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { MAX_USES_PARAM, presignUrl, PresignInputError, SOURCE_IP_PARAM, type PresignUrlInput } from '../../src/index.js';
import { fingerprint, readDiskState } from '../helpers/disk-state.js';
import { xmlField } from '../helpers/post-form.js';
import '../helpers/sdk-js.js';
import { ROOT_CREDENTIALS } from '../helpers/server.js';
import { serverWithBucket } from '../helpers/server-with-bucket.js';

const BUCKET = 'presign-url-lib';

const live = serverWithBucket(BUCKET);

function link(input: Partial<PresignUrlInput> & { key: string }) {
  return presignUrl({ endpoint: live.server.endpoint, bucket: BUCKET, expiresIn: 300, credentials: ROOT_CREDENTIALS, ...input });
}

async function send(url: string, method: string, headers: Record<string, string> = {}, body?: string | Buffer) {
  const response = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

async function refused(url: string, method: string, headers: Record<string, string>, body: string | undefined, status: number, code: string) {
  const before = fingerprint(readDiskState(live.server.dataDir));
  const answer = await send(url, method, headers, body);
  assert.equal(xmlField(answer.text, 'Code'), code, answer.text);
  assert.equal(answer.status, status);
  assert.equal(fingerprint(readDiskState(live.server.dataDir)), before);
}

describe('presignUrl against the real server', () => {
  test('PUT with content type, disposition, metadata and checksum: the headers returned are what must be sent', async () => {
    const body = 'signed upload with headers\n';
    const checksum = createHash('sha256').update(body).digest('base64');
    const put = link({
      key: 'dir/with space+plus.txt',
      method: 'PUT',
      contentType: 'text/plain; charset=utf-8',
      contentDisposition: 'attachment; filename="report.txt"',
      metadata: { Owner: 'alice', project: 'x' },
      checksumSha256: checksum,
    });
    assert.equal(put.method, 'PUT');
    assert.deepEqual(put.headers, {
      'content-type': 'text/plain; charset=utf-8',
      'content-disposition': 'attachment; filename="report.txt"',
      'x-amz-checksum-sha256': checksum,
      'x-amz-meta-owner': 'alice',
      'x-amz-meta-project': 'x',
    });
    const signedHeaders = new URL(put.url).searchParams.get('X-Amz-SignedHeaders');
    assert.equal(signedHeaders, 'content-disposition;content-type;host;x-amz-checksum-sha256;x-amz-meta-owner;x-amz-meta-project');

    // Each signed header is enforced: left out, or changed, the link refuses.
    await refused(put.url, 'PUT', {}, body, 403, 'SignatureDoesNotMatch');
    await refused(put.url, 'PUT', { ...put.headers, 'content-type': 'text/html' }, body, 403, 'SignatureDoesNotMatch');
    await refused(put.url, 'PUT', { ...put.headers, 'x-amz-meta-owner': 'mallory' }, body, 403, 'SignatureDoesNotMatch');
    // The checksum is enforced on the bytes.
    await refused(put.url, 'PUT', put.headers, 'different bytes', 400, 'BadDigest');

    const ok = await send(put.url, 'PUT', put.headers, body);
    assert.equal(ok.status, 200, ok.text);
    const head = await live.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'dir/with space+plus.txt' }));
    assert.equal(head.ContentType, 'text/plain; charset=utf-8');
    assert.equal(head.ContentDisposition, 'attachment; filename="report.txt"');
    assert.deepEqual(head.Metadata, { owner: 'alice', project: 'x' });

    const get = await send(link({ key: 'dir/with space+plus.txt' }).url, 'GET');
    assert.equal(get.status, 200);
    assert.equal(get.text, body);
  });

  test('GET with response overrides, HEAD, DELETE', async () => {
    assert.equal((await send(link({ key: 'plain.txt', method: 'PUT' }).url, 'PUT', {}, 'plain body')).status, 200);
    const get = link({ key: 'plain.txt', responseContentDisposition: 'attachment; filename="x.txt"', responseContentType: 'application/x-custom', responseCacheControl: 'no-store' });
    const got = await send(get.url, 'GET');
    assert.equal(got.status, 200);
    assert.equal(got.text, 'plain body');
    assert.equal(got.headers.get('content-disposition'), 'attachment; filename="x.txt"');
    assert.equal(got.headers.get('content-type'), 'application/x-custom');
    assert.equal(got.headers.get('cache-control'), 'no-store');
    // The overrides are signed: changing one breaks the link.
    await refused(get.url.replace('no-store', 'public'), 'GET', {}, undefined, 403, 'SignatureDoesNotMatch');

    const head = await send(link({ key: 'plain.txt', method: 'HEAD' }).url, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String('plain body'.length));
    // A link is for one method only.
    await refused(link({ key: 'plain.txt', method: 'GET' }).url, 'DELETE', {}, undefined, 403, 'SignatureDoesNotMatch');

    const deleted = await send(link({ key: 'plain.txt', method: 'DELETE' }).url, 'DELETE');
    assert.equal(deleted.status, 204);
    assert.equal((await send(link({ key: 'plain.txt' }).url, 'GET')).status, 404);
  });

  test('expiresAt is the signing time plus expiresIn; the link dies then', async () => {
    const now = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
    const signed = link({ key: 'x.txt', expiresIn: 3600, now: new Date(now) });
    assert.equal(signed.expiresAt.toISOString(), '2024-01-02T04:04:05.000Z');
    const params = new URL(signed.url).searchParams;
    assert.equal(params.get('X-Amz-Date'), '20240102T030405Z');
    assert.equal(params.get('X-Amz-Expires'), '3600');
    const expired = await send(signed.url, 'GET');
    assert.equal(xmlField(expired.text, 'Code'), 'AccessDenied');
    assert.equal(xmlField(expired.text, 'Message'), 'Request has expired');
  });

  test('maxUses and sourceIp ride in the signed query: changing them breaks the signature', async () => {
    assert.equal((await send(link({ key: 'limited.txt', method: 'PUT' }).url, 'PUT', {}, 'limited')).status, 200);
    const signed = link({ key: 'limited.txt', maxUses: 3, sourceIp: '127.0.0.0/8' });
    const params = new URL(signed.url).searchParams;
    assert.equal(params.get(MAX_USES_PARAM), '3');
    assert.equal(params.get(SOURCE_IP_PARAM), '127.0.0.0/8');
    assert.ok(signed.url.indexOf(MAX_USES_PARAM) < signed.url.indexOf('X-Amz-Signature'));
    await refused(signed.url.replace(`${MAX_USES_PARAM}=3`, `${MAX_USES_PARAM}=300`), 'GET', {}, undefined, 403, 'SignatureDoesNotMatch');
    await refused(signed.url.replace('127.0.0.0%2F8', '0.0.0.0%2F0'), 'GET', {}, undefined, 403, 'SignatureDoesNotMatch');
    const ok = await send(signed.url, 'GET');
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.text, 'limited');
  });

  test('temporary credentials sign the session token into the link', () => {
    const signed = presignUrl({
      endpoint: live.server.endpoint,
      bucket: BUCKET,
      key: 'k',
      expiresIn: 60,
      credentials: { ...ROOT_CREDENTIALS, sessionToken: 'token/with+chars' },
    });
    assert.equal(new URL(signed.url).searchParams.get('X-Amz-Security-Token'), 'token/with+chars');
  });
});

describe('presignUrl refuses bad input with a clear error', () => {
  const base = { endpoint: 'http://127.0.0.1:9000', bucket: 'b', key: 'k', credentials: ROOT_CREDENTIALS };
  const cases: Array<[string, Partial<PresignUrlInput>, RegExp]> = [
    ['longer than 7 days', { expiresIn: 604801 }, /at most 604800 seconds \(7 days\).*604801/],
    ['zero seconds', { expiresIn: 0 }, /at least 1/],
    ['fractional seconds', { expiresIn: 1.5 }, /whole number/],
    ['metadata on a GET', { expiresIn: 60, metadata: { a: 'b' } }, /use them with method PUT, not GET/],
    ['content type on a DELETE', { expiresIn: 60, method: 'DELETE', contentType: 'text/plain' }, /not DELETE/],
    ['response override on a PUT', { expiresIn: 60, method: 'PUT', responseContentDisposition: 'inline' }, /use it with GET or HEAD, not PUT/],
    ['a bad checksum', { expiresIn: 60, method: 'PUT', checksumSha256: 'abc' }, /base64 of 32 bytes/],
    ['maxUses 0', { expiresIn: 60, maxUses: 0 }, /maxUses/],
    ['a bad source IP', { expiresIn: 60, sourceIp: '10.0.0.300' }, /sourceIp/],
    ['an endpoint with a path', { expiresIn: 60, endpoint: 'http://127.0.0.1:9000/s3' }, /origin/],
    ['an unknown method', { expiresIn: 60, method: 'POST' as 'GET' }, /method must be one of/],
    ['an empty key', { expiresIn: 60, key: '' }, /key must not be empty/],
  ];
  for (const [label, input, message] of cases) {
    test(label, () => {
      assert.throws(() => presignUrl({ ...base, expiresIn: 60, ...input }), (error: unknown) => error instanceof PresignInputError && message.test(error.message));
    });
  }
  test('exactly 7 days is allowed', () => {
    const signed = presignUrl({ ...base, expiresIn: 604800, now: 0 });
    assert.equal(signed.expiresAt.getTime(), 604800_000);
  });
});
