import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { nodeCrypto } from '../../src/sigv4/node-crypto.js';
import { presign } from '../../src/sigv4/sign.js';
import { httpRequest, md5Hex, parseS3Error, signedRequest } from '../helpers/e2e-http.js';
import { ROOT_CREDENTIALS } from '../helpers/server.js';
import { serverWithBucket } from '../helpers/server-with-bucket.js';

// Bodies of at most 64 KiB are gathered whole from the request (request-body.ts readWholeRequestBody):
// every refusal the streamed path gives must still store nothing.

const BUCKET = 'small-puts';
const fixture = serverWithBucket(BUCKET);

function presignedPut(key: string, headers: Record<string, string> = {}): string {
  const { server } = fixture;
  return presign({
    method: 'PUT', url: `${server.endpoint}/${BUCKET}/${key}`, credentials: ROOT_CREDENTIALS, region: server.region,
    now: Date.now(), expiresIn: 300, crypto: nodeCrypto, headers,
  }).url;
}

async function assertAbsent(key: string): Promise<void> {
  const res = await signedRequest(fixture.server, { method: 'GET', path: `/${BUCKET}/${key}` });
  assert.equal(res.status, 404);
  assert.equal(parseS3Error(res.body).code, 'NoSuchKey');
}

/** Sends the head of a PUT promising `declared` bytes, then `sent` bytes, then closes the connection. */
function sendShortBody(url: string, declared: number, sent: Buffer): Promise<void> {
  const { hostname, port, pathname, search } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(`PUT ${pathname}${search} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Length: ${declared}\r\n\r\n`);
      socket.write(sent);
      setTimeout(() => socket.destroy(), 100);
    });
    socket.on('close', () => resolve());
    socket.on('error', reject);
    socket.resume();
  });
}

describe('PUT of a small body (read whole)', () => {
  it('stores 4 KiB through a pre-signed URL: ETag is the MD5, GET returns the bytes', async () => {
    const body = randomBytes(4096);
    const put = await httpRequest(presignedPut('ok'), { method: 'PUT', body });
    assert.equal(put.status, 200);
    assert.equal(put.headers['etag'], `"${md5Hex(body)}"`);
    const get = await signedRequest(fixture.server, { method: 'GET', path: `/${BUCKET}/ok` });
    assert.equal(get.status, 200);
    assert.deepEqual(get.body, body);
  });

  it('stores an empty body', async () => {
    const put = await httpRequest(presignedPut('empty'), { method: 'PUT', body: Buffer.alloc(0) });
    assert.equal(put.status, 200);
    assert.equal(put.headers['etag'], `"${md5Hex('')}"`);
    const get = await signedRequest(fixture.server, { method: 'GET', path: `/${BUCKET}/empty` });
    assert.equal(get.status, 200);
    assert.equal(get.body.length, 0);
  });

  it('stores nothing when the client leaves before sending the length it declared', async () => {
    await sendShortBody(presignedPut('short'), 4096, randomBytes(1000));
    await assertAbsent('short');
    // The server is still serving, and the key can be written afterwards.
    const put = await httpRequest(presignedPut('short'), { method: 'PUT', body: randomBytes(10) });
    assert.equal(put.status, 200);
  });

  it('refuses a wrong Content-MD5 with BadDigest and stores nothing', async () => {
    const body = randomBytes(4096);
    const wrongMd5 = createHash('md5').update('something else').digest('base64');
    const res = await httpRequest(presignedPut('bad-md5', { 'content-md5': wrongMd5 }), { method: 'PUT', headers: { 'content-md5': wrongMd5 }, body });
    assert.equal(res.status, 400);
    assert.equal(parseS3Error(res.body).code, 'BadDigest');
    await assertAbsent('bad-md5');
  });

  it('refuses a malformed Content-MD5 with InvalidDigest before reading', async () => {
    const res = await httpRequest(presignedPut('invalid-md5', { 'content-md5': 'short' }), { method: 'PUT', headers: { 'content-md5': 'short' }, body: 'abc' });
    assert.equal(res.status, 400);
    assert.equal(parseS3Error(res.body).code, 'InvalidDigest');
    await assertAbsent('invalid-md5');
  });

  it('refuses a wrong x-amz-checksum-sha256 with BadDigest and keeps a right one', async () => {
    const body = randomBytes(2048);
    const wrong = createHash('sha256').update('other').digest('base64');
    const bad = await signedRequest(fixture.server, { method: 'PUT', path: `/${BUCKET}/bad-sum`, headers: { 'x-amz-checksum-sha256': wrong }, body });
    assert.equal(bad.status, 400);
    assert.equal(parseS3Error(bad.body).code, 'BadDigest');
    await assertAbsent('bad-sum');
    const right = createHash('sha256').update(body).digest('base64');
    const good = await signedRequest(fixture.server, { method: 'PUT', path: `/${BUCKET}/good-sum`, headers: { 'x-amz-checksum-sha256': right }, body });
    assert.equal(good.status, 200);
    assert.equal(good.headers['x-amz-checksum-sha256'], right);
  });

  it('refuses a body whose SHA-256 is not the signed x-amz-content-sha256 and stores nothing', async () => {
    const res = await signedRequest(fixture.server, {
      method: 'PUT', path: `/${BUCKET}/bad-sha`, body: 'the body', payloadHash: createHash('sha256').update('another body').digest('hex'),
    });
    assert.equal(res.status, 400);
    assert.equal(parseS3Error(res.body).code, 'XAmzContentSHA256Mismatch');
    await assertAbsent('bad-sha');
  });

  it('streams a body over 64 KiB, with the same checks', async () => {
    const body = randomBytes(64 * 1024 + 1);
    const wrongMd5 = createHash('md5').update('x').digest('base64');
    const bad = await httpRequest(presignedPut('large', { 'content-md5': wrongMd5 }), { method: 'PUT', headers: { 'content-md5': wrongMd5 }, body });
    assert.equal(parseS3Error(bad.body).code, 'BadDigest');
    await assertAbsent('large');
    const put = await httpRequest(presignedPut('large'), { method: 'PUT', body });
    assert.equal(put.status, 200);
    const get = await signedRequest(fixture.server, { method: 'GET', path: `/${BUCKET}/large` });
    assert.deepEqual(get.body, body);
  });
});
