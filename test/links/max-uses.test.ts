import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { nodeCrypto } from '../../src/sigv4/node-crypto.js';
import { presign } from '../../src/sigv4/sign.js';
import { signedRequest } from '../helpers/e2e-http.js';
import { expectBody, expectS3Error, link, linkV2, withParam } from '../helpers/links.js';
import { ROOT_CREDENTIALS } from '../helpers/server.js';
import { serverWithBucket } from '../helpers/server-with-bucket.js';

describe('X-Latchkey-Max-Uses', () => {
  const live = serverWithBucket('limited', {
    seed: async (client) => {
      await client.send(new PutObjectCommand({ Bucket: 'limited', Key: 'doc.txt', Body: 'hello' }));
    },
  });

  it('serves a two-use link twice, then answers 403 AccessDenied "Link use limit reached"', async () => {
    const url = link(live.server, 'limited', 'doc.txt', { params: { 'X-Latchkey-Max-Uses': '2' } });
    await expectBody(await fetch(url), 'hello');
    await expectBody(await fetch(url), 'hello');
    await expectS3Error(await fetch(url), 403, 'AccessDenied', 'Link use limit reached');
    await expectS3Error(await fetch(url), 403, 'AccessDenied', 'Link use limit reached');
  });

  it('lets exactly one of 20 concurrent first uses of a one-use link through', async () => {
    const url = link(live.server, 'limited', 'doc.txt', { params: { 'X-Latchkey-Max-Uses': '1' } });
    const responses = await Promise.all(Array.from({ length: 20 }, () => fetch(url)));
    const bodies = await Promise.all(responses.map(async (r) => ({ status: r.status, text: await r.text() })));
    const served = bodies.filter((b) => b.status === 200);
    assert.equal(served.length, 1, JSON.stringify(bodies.map((b) => b.status)));
    assert.equal(served[0]?.text, 'hello');
    for (const refused of bodies.filter((b) => b.status !== 200)) {
      assert.equal(refused.status, 403);
      assert.match(refused.text, /<Code>AccessDenied<\/Code><Message>Link use limit reached<\/Message>/);
    }
  });

  it('gives the use back when the request fails before the body (404), and counts a 304', async () => {
    const missing = link(live.server, 'limited', 'later.txt', { params: { 'X-Latchkey-Max-Uses': '1' } });
    await expectS3Error(await fetch(missing), 404, 'NoSuchKey');
    await expectS3Error(await fetch(missing), 404, 'NoSuchKey');
    await live.client.send(new PutObjectCommand({ Bucket: 'limited', Key: 'later.txt', Body: 'now here' }));
    await expectBody(await fetch(missing), 'now here');
    await expectS3Error(await fetch(missing), 403, 'AccessDenied', 'Link use limit reached');

    const twice = link(live.server, 'limited', 'doc.txt', { params: { 'X-Latchkey-Max-Uses': '2' } });
    const first = await fetch(twice);
    const etag = first.headers.get('etag') ?? '';
    await expectBody(first, 'hello');
    const notModified = await fetch(twice, { headers: { 'if-none-match': etag } });
    assert.equal(notModified.status, 304);
    await expectS3Error(await fetch(twice), 403, 'AccessDenied', 'Link use limit reached');
  });

  it('limits a pre-signed PUT as well', async () => {
    const url = link(live.server, 'limited', 'upload.txt', { method: 'PUT', params: { 'X-Latchkey-Max-Uses': '1' } });
    assert.equal((await fetch(url, { method: 'PUT', body: 'one' })).status, 200);
    await expectS3Error(await fetch(url, { method: 'PUT', body: 'two' }), 403, 'AccessDenied', 'Link use limit reached');
    await expectBody(await fetch(link(live.server, 'limited', 'upload.txt')), 'one');
  });

  it('treats a changed or removed limit as a forged link: 403 SignatureDoesNotMatch', async () => {
    const url = link(live.server, 'limited', 'doc.txt', { params: { 'X-Latchkey-Max-Uses': '1' } });
    await expectS3Error(await fetch(withParam(url, 'X-Latchkey-Max-Uses', '1000')), 403, 'SignatureDoesNotMatch');
    await expectS3Error(await fetch(url.replace(/X-Latchkey-Max-Uses=1&?/, '')), 403, 'SignatureDoesNotMatch');
    // The forgeries used nothing up.
    await expectBody(await fetch(url), 'hello');
  });

  it('refuses malformed, unknown and repeated controls with 400 InvalidArgument', async () => {
    for (const value of ['0', '-1', '1000001', 'two', '1.5', '']) {
      const url = link(live.server, 'limited', 'doc.txt', { params: { 'X-Latchkey-Max-Uses': value } });
      await expectS3Error(await fetch(url), 400, 'InvalidArgument');
    }
    await expectS3Error(await fetch(link(live.server, 'limited', 'doc.txt', { params: { 'X-Latchkey-Max-Use': '1' } })), 400, 'InvalidArgument');
    await expectS3Error(await fetch(link(live.server, 'limited', 'doc.txt', { params: { 'x-latchkey-max-uses': '1' } })), 400, 'InvalidArgument');
    const repeated = presign({
      method: 'GET', url: `${live.server.endpoint}/limited/doc.txt?X-Latchkey-Max-Uses=1&X-Latchkey-Max-Uses=5`, credentials: ROOT_CREDENTIALS,
      region: live.server.region, now: Date.now(), expiresIn: 60, crypto: nodeCrypto,
    }).url;
    await expectS3Error(await fetch(repeated), 400, 'InvalidArgument');
    // Added after signing: the signature fails first, so a forged parameter never reaches the control checks.
    await expectS3Error(await fetch(link(live.server, 'limited', 'doc.txt').replace('?', '?X-Latchkey-Max-Uses=zero&')), 403, 'SignatureDoesNotMatch');
  });

  it('refuses controls on a SigV2 link, whose signature would not cover them', async () => {
    const url = linkV2(live.server, 'limited', 'doc.txt', { params: { 'X-Latchkey-Max-Uses': '1' } });
    await expectS3Error(await fetch(url), 400, 'InvalidArgument');
    await expectBody(await fetch(linkV2(live.server, 'limited', 'doc.txt')), 'hello');
  });

  it('ignores X-Latchkey-* on header-signed requests', async () => {
    for (let i = 0; i < 2; i++) {
      const response = await signedRequest(live.server, { method: 'GET', path: '/limited/doc.txt?X-Latchkey-Max-Uses=1' });
      assert.equal(response.status, 200, response.body.toString());
      assert.equal(response.body.toString(), 'hello');
    }
  });
});
