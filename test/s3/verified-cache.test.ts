import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { adminCall, expectStatus, policyDocument, userWithPolicies } from '../helpers/admin-client.js';
import { s3Client } from '../helpers/clients.js';
import { parseS3Error } from '../helpers/e2e-http.js';
import { expectBody, expectS3Error, link, withParam } from '../helpers/links.js';
import { nodeCrypto } from '../../src/sigv4/node-crypto.js';
import { presign } from '../../src/sigv4/sign.js';
import { ROOT_CREDENTIALS, startServer, type TestServer } from '../helpers/server.js';
import { expireSession, getSessionToken } from '../helpers/sessions.js';

/*
 * The real server remembers verified pre-signed requests (src/s3/verified-cache.ts).
 * Each link here is used at least twice before the change under test, so the
 * refusal comes from the remembered path, and is compared with what a link
 * never used before gets.
 */

const BUCKET = 'cached';
const BODY = 'remembered links still obey every rule';
const READ = policyDocument({ Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/*` });

interface Answer {
  readonly status: number;
  readonly code: string | undefined;
  readonly message: string | undefined;
}

/** A GET with headers fetch() will not send as given (Host, a header repeated). */
function rawGet(url: string, headers: Record<string, string | string[]>): Promise<Answer & { body: string }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const error = (res.statusCode ?? 0) >= 400 ? parseS3Error(body) : undefined;
        resolve({ status: res.statusCode ?? 0, code: error?.code, message: error?.message, body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

async function answer(url: string): Promise<Answer> {
  const response = await fetch(url);
  const text = await response.text();
  if (response.status < 400) return { status: response.status, code: undefined, message: undefined };
  const error = parseS3Error(text);
  return { status: response.status, code: error.code, message: error.message };
}

async function usedTwice(url: string): Promise<void> {
  await expectBody(await fetch(url), BODY);
  await expectBody(await fetch(url), BODY);
}

describe('remembered pre-signed requests on the real server', () => {
  let server: TestServer;
  let s3: S3Client;

  before(async () => {
    server = await startServer();
    s3 = s3Client(server);
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'a.txt', Body: BODY }));
  });
  after(async () => {
    s3?.destroy();
    await server?.stop();
  });

  it('a link used, then used again after its expiry: 403 AccessDenied "Request has expired"', async () => {
    // Dated ahead (within the allowed skew) so both uses fall inside its 2 seconds even on a loaded machine.
    const signedAt = Date.now() + 3000;
    const url = link(server, BUCKET, 'a.txt', { now: signedAt, expiresIn: 2 });
    await usedTwice(url);
    // X-Amz-Date is whole seconds: the link ends at most 2 s after signedAt.
    await sleep(Math.max(0, signedAt + 2000 - Date.now()) + 100);
    await expectS3Error(await fetch(url), 403, 'AccessDenied', 'Request has expired');
  });

  it('a link signed with temporary credentials, used, then its session ends: 400 ExpiredToken, as a link never used gets', async () => {
    const session = await getSessionToken(server);
    const url = link(server, BUCKET, 'a.txt', { credentials: session });
    assert.match(url, /X-Amz-Security-Token=/);
    await usedTwice(url);
    expireSession(server, session.accessKeyId);
    const cached = await answer(url);
    assert.deepEqual([cached.status, cached.code], [400, 'ExpiredToken']);
    assert.deepEqual(await answer(link(server, BUCKET, 'a.txt', { credentials: session })), cached);
  });

  it('a link over 4 KB (not remembered) works again and again; one character changed past 4 KB: SignatureDoesNotMatch', async () => {
    const disposition = `attachment; filename="${'long-name-'.repeat(450)}.txt"`;
    const url = link(server, BUCKET, 'a.txt', { params: { 'response-content-disposition': disposition } });
    const { pathname, search } = new URL(url);
    assert.ok(pathname.length + search.length > 4096, 'longer than the cache key limit');
    for (let i = 0; i < 3; i++) {
      const response = await fetch(url);
      assert.equal(response.headers.get('content-disposition'), disposition);
      await expectBody(response, BODY);
    }
    const at = url.lastIndexOf('long-name-') + 1; // beyond 4 KB: a key cut there would not see the change
    assert.ok(at > 4096);
    const changed = `${url.slice(0, at)}X${url.slice(at + 1)}`;
    await expectS3Error(await fetch(changed), 403, 'SignatureDoesNotMatch');
    await expectS3Error(await fetch(changed), 403, 'SignatureDoesNotMatch');
    await expectBody(await fetch(url), BODY);
  });

  it("after the signer's key is disabled or deleted: refused as a link never used is; re-enabled: works again", async () => {
    const alice = await userWithPolicies(server, 'alice', { 'read-cached': READ });
    const url = link(server, BUCKET, 'a.txt', { credentials: alice.credentials });
    await usedTwice(url);
    const keyPath = `/access-keys/${alice.credentials.accessKeyId}`;
    expectStatus(await adminCall(server, 'POST', `${keyPath}/disable`), 200);
    const cached = await answer(url);
    assert.deepEqual([cached.status, cached.code], [403, 'InvalidAccessKeyId']);
    assert.deepEqual(await answer(link(server, BUCKET, 'a.txt', { credentials: alice.credentials })), cached);
    expectStatus(await adminCall(server, 'POST', `${keyPath}/enable`), 200);
    await usedTwice(url);
    expectStatus(await adminCall(server, 'DELETE', keyPath), 204);
    assert.deepEqual(await answer(url), cached);
  });

  it("after the signer's user is disabled: refused as a link never used is", async () => {
    const bob = await userWithPolicies(server, 'bob', { 'read-cached-bob': READ });
    const url = link(server, BUCKET, 'a.txt', { credentials: bob.credentials });
    await usedTwice(url);
    expectStatus(await adminCall(server, 'POST', '/users/bob/disable'), 200);
    const cached = await answer(url);
    assert.deepEqual([cached.status, cached.code], [403, 'InvalidAccessKeyId']);
    assert.deepEqual(await answer(link(server, BUCKET, 'a.txt', { credentials: bob.credentials })), cached);
  });

  it('after the signer loses the permission: AccessDenied', async () => {
    const carol = await userWithPolicies(server, 'carol', { 'read-cached-carol': READ });
    const url = link(server, BUCKET, 'a.txt', { credentials: carol.credentials });
    await usedTwice(url);
    expectStatus(await adminCall(server, 'DELETE', '/users/carol/policies/read-cached-carol'), 204);
    await expectS3Error(await fetch(url), 403, 'AccessDenied');
  });

  it('a used link with one character of its query or path changed: SignatureDoesNotMatch', async () => {
    const url = link(server, BUCKET, 'a.txt', { expiresIn: 900 });
    await usedTwice(url);
    await expectS3Error(await fetch(withParam(url, 'X-Amz-Expires', '901')), 403, 'SignatureDoesNotMatch');
    await expectS3Error(await fetch(url.replace('/a.txt?', '/b.txt?')), 403, 'SignatureDoesNotMatch');
    // The same parameters spelt differently are another request, verified afresh: still a valid signature.
    await expectBody(await fetch(url.replace('%2F', '%2f')), BODY);
  });

  it('a tampered or expired link refused again answers exactly as the first time; the signer losing the key still comes first', async () => {
    const dave = await userWithPolicies(server, 'dave', { 'read-cached-dave': READ });
    const url = link(server, BUCKET, 'a.txt', { credentials: dave.credentials });
    const tampered = url.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
    const expired = link(server, BUCKET, 'a.txt', { credentials: dave.credentials, now: Date.now() - 3_600_000, expiresIn: 60 });
    const withoutRequestId = (body: string) => body.replace(/<RequestId>[^<]*<\/RequestId>/, '');
    const first = await rawGet(tampered, {});
    assert.deepEqual([first.status, first.code], [403, 'SignatureDoesNotMatch']);
    assert.match(first.body, /<CanonicalRequest>/);
    for (let i = 0; i < 2; i++) assert.equal(withoutRequestId((await rawGet(tampered, {})).body), withoutRequestId(first.body), 'the remembered refusal, byte for byte');
    for (let i = 0; i < 3; i++) await expectS3Error(await fetch(expired), 403, 'AccessDenied', 'Request has expired');
    await usedTwice(url);
    expectStatus(await adminCall(server, 'POST', `/access-keys/${dave.credentials.accessKeyId}/disable`), 200);
    for (const refused of [tampered, expired, url]) {
      const refusal = await answer(refused);
      assert.deepEqual([refusal.status, refusal.code], [403, 'InvalidAccessKeyId'], refused);
    }
  });

  it('a used link sent with another Host header: SignatureDoesNotMatch', async () => {
    const url = link(server, BUCKET, 'a.txt');
    await usedTwice(url);
    const host = new URL(url).host;
    assert.equal((await rawGet(url, { host })).body, BODY);
    const other = await rawGet(url, { host: `localhost:${server.port}` });
    assert.deepEqual([other.status, other.code], [403, 'SignatureDoesNotMatch']);
    assert.equal((await rawGet(url, { host })).body, BODY);
  });

  it('a signed header sent twice is signed as its values joined with ","; the same text on one line is another value', async () => {
    const url = presign({
      method: 'GET',
      url: `${server.endpoint}/${BUCKET}/a.txt`,
      credentials: ROOT_CREDENTIALS,
      region: server.region,
      now: Date.now(),
      expiresIn: 600,
      crypto: nodeCrypto,
      headers: { 'x-test': 'a,b' },
    }).url;
    for (let i = 0; i < 2; i++) assert.equal((await rawGet(url, { 'x-test': ['a', 'b'] })).body, BODY);
    assert.equal((await rawGet(url, { 'x-test': 'a,b' })).body, BODY);
    const oneLine = await rawGet(url, { 'x-test': 'a, b' });
    assert.deepEqual([oneLine.status, oneLine.code], [403, 'SignatureDoesNotMatch']);
    const missing = await rawGet(url, {});
    assert.deepEqual([missing.status, missing.code], [403, 'SignatureDoesNotMatch']);
  });
});
