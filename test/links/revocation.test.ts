import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { adminCall, assertAdminError, expectStatus, policyDocument, userWithPolicies, type CreatedKey } from '../helpers/admin-client.js';
import { s3Client } from '../helpers/clients.js';
import { expectBody, expectS3Error, link, linkV2 } from '../helpers/links.js';
import { ROOT_CREDENTIALS, startServer, type TestServer } from '../helpers/server.js';

const WEEK = 7 * 86_400_000;
const READ_ALL = policyDocument({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::*/*' });

interface LinkBody {
  readonly link: { readonly id: string; readonly accessKeyId: string; readonly bucket: string | null; readonly key: string | null; readonly expiresAt: string; readonly revoked: boolean };
}
interface RevocationBody {
  readonly revocation: { readonly before: string; readonly expiresAt: string; readonly accessKeyId?: string; readonly bucket?: string };
}

describe('link revocation', () => {
  let server: TestServer;
  let s3: S3Client;
  let alice: CreatedKey;
  let carol: CreatedKey;

  before(async () => {
    server = await startServer();
    s3 = s3Client(server);
    for (const bucket of ['photos', 'other', 'sealed']) {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'a.txt', Body: `${bucket} a` }));
    }
    alice = await userWithPolicies(server, 'alice', { 'read-all': READ_ALL });
    carol = await userWithPolicies(server, 'carol', {});
  });
  after(async () => {
    s3?.destroy();
    await server?.stop();
  });

  it('revokes one SigV4 link by its URL until it expires; other links to the object live', async () => {
    const url = link(server, 'photos', 'a.txt', { expiresIn: 900 });
    const twin = link(server, 'photos', 'a.txt', { expiresIn: 901 });
    await expectBody(await fetch(url), 'photos a');
    const body = expectStatus(await adminCall<LinkBody>(server, 'POST', '/links/revoke', { body: { url } }), 200);
    assert.equal(body.link.revoked, true);
    assert.equal(body.link.accessKeyId, ROOT_CREDENTIALS.accessKeyId);
    assert.deepEqual([body.link.bucket, body.link.key], ['photos', 'a.txt']);
    assert.ok(Math.abs(Date.parse(body.link.expiresAt) - (Date.now() + 900_000)) < 5000, body.link.expiresAt);
    assert.match(body.link.id, /^[0-9a-f]{64}$/);
    await expectS3Error(await fetch(url), 403, 'AccessDenied', 'Link revoked');
    await expectBody(await fetch(twin), 'photos a');
    // Revoking again is harmless.
    expectStatus(await adminCall(server, 'POST', '/links/revoke', { body: { url } }), 200);
    await expectS3Error(await fetch(url), 403, 'AccessDenied', 'Link revoked');
  });

  it('revokes a SigV2 link by its URL', async () => {
    const url = linkV2(server, 'photos', 'a.txt', { credentials: alice.credentials });
    const twin = linkV2(server, 'photos', 'a.txt', { credentials: alice.credentials });
    await expectBody(await fetch(url), 'photos a');
    expectStatus(await adminCall(server, 'POST', '/links/revoke', { body: { url } }), 200);
    await expectS3Error(await fetch(url), 403, 'AccessDenied', 'Link revoked');
    await expectBody(await fetch(twin), 'photos a');
  });

  it("revokes every link a key signed before TIME; the key's later links and other keys' links live", async () => {
    const old = link(server, 'photos', 'a.txt', { credentials: alice.credentials, now: Date.now() - 60_000 });
    const oldV2 = linkV2(server, 'other', 'a.txt', { credentials: alice.credentials });
    const roots = link(server, 'photos', 'a.txt', { now: Date.now() - 60_000 });
    await expectBody(await fetch(old), 'photos a');
    const body = expectStatus(
      await adminCall<RevocationBody>(server, 'POST', `/access-keys/${alice.credentials.accessKeyId}/revoke-links`, { body: { before: 'now' } }),
      200,
    );
    const before = Date.parse(body.revocation.before);
    assert.ok(Math.abs(before - Date.now()) < 5000);
    // max(TIME, now) + 7 days: 'now' was read a moment before the record was made, so allow the clock's tick.
    const expiresAt = Date.parse(body.revocation.expiresAt);
    assert.ok(expiresAt >= before + WEEK && expiresAt - (before + WEEK) < 1000, 'no link signed before TIME outlives TIME + 7 days');
    assert.equal(body.revocation.accessKeyId, alice.credentials.accessKeyId);
    // X-Amz-Date has whole seconds: a link signed in the revocation's own second counts as before it.
    const later = link(server, 'photos', 'a.txt', { credentials: alice.credentials, now: before + 2000 });
    await expectS3Error(await fetch(old), 403, 'AccessDenied', 'Link revoked');
    // SigV2 links do not say when they were signed: any that could have been signed before TIME is revoked.
    await expectS3Error(await fetch(oldV2), 403, 'AccessDenied', 'Link revoked');
    await expectBody(await fetch(later), 'photos a');
    await expectBody(await fetch(roots), 'photos a');
  });

  it('lets a SigV2 link live when it expires more than 7 days after TIME', async () => {
    const keyLinks = `/access-keys/${ROOT_CREDENTIALS.accessKeyId}/revoke-links`;
    const longAgo = new Date(Date.now() - WEEK - 3_600_000).toISOString();
    expectStatus(await adminCall(server, 'POST', keyLinks, { body: { before: longAgo } }), 200);
    await expectBody(await fetch(linkV2(server, 'other', 'a.txt')), 'other a');
    await expectBody(await fetch(link(server, 'other', 'a.txt')), 'other a');
  });

  it('revokes every link to a bucket signed before TIME, whoever signed it', async () => {
    const t = Date.now();
    const byRoot = link(server, 'sealed', 'a.txt', { now: t - 30_000 });
    const byAlice = link(server, 'sealed', 'a.txt', { credentials: alice.credentials, now: t - 30_000 });
    const elsewhere = link(server, 'other', 'a.txt', { now: t - 30_000 });
    const cutoff = new Date(t - 10_000).toISOString();
    const body = expectStatus(await adminCall<RevocationBody>(server, 'POST', '/buckets/sealed/revoke-links', { body: { before: cutoff } }), 200);
    assert.equal(body.revocation.bucket, 'sealed');
    assert.equal(body.revocation.before, cutoff);
    assert.ok(Math.abs(Date.parse(body.revocation.expiresAt) - (Date.now() + WEEK)) < 5000, 'a past TIME: the record lives a week from now');
    await expectS3Error(await fetch(byRoot), 403, 'AccessDenied', 'Link revoked');
    await expectS3Error(await fetch(byAlice), 403, 'AccessDenied', 'Link revoked');
    await expectBody(await fetch(elsewhere), 'other a');
    await expectBody(await fetch(link(server, 'sealed', 'a.txt', { now: t })), 'sealed a');
    // A future TIME covers links signed until then, so its record lives a week past it.
    const future = new Date(t + 3_600_000).toISOString();
    const ahead = expectStatus(await adminCall<RevocationBody>(server, 'POST', '/buckets/other/revoke-links', { body: { before: future } }), 200);
    assert.equal(Date.parse(ahead.revocation.expiresAt), Date.parse(future) + WEEK);
    await expectS3Error(await fetch(link(server, 'other', 'a.txt')), 403, 'AccessDenied', 'Link revoked');
  });

  it('never touches header-signed requests', async () => {
    const response = await s3Client(server).send(new PutObjectCommand({ Bucket: 'sealed', Key: 'b.txt', Body: 'b' }));
    assert.equal(response.$metadata.httpStatusCode, 200);
  });

  it('answers 400 InvalidInput and 404 NoSuchEntity for bad requests', async () => {
    assertAdminError(await adminCall(server, 'POST', '/links/revoke', { body: {} }), 400, 'InvalidInput');
    assertAdminError(await adminCall(server, 'POST', '/links/revoke', { body: { url: 'http://x/b/k' } }), 400, 'InvalidInput');
    assertAdminError(await adminCall(server, 'POST', '/links/revoke', { body: { url: 42 } }), 400, 'InvalidInput');
    const keyLinks = `/access-keys/${alice.credentials.accessKeyId}/revoke-links`;
    for (const before of [undefined, '', 'yesterday', '2025-06-01T12:00:00', 17]) {
      assertAdminError(await adminCall(server, 'POST', keyLinks, { body: { before } }), 400, 'InvalidInput');
    }
    assertAdminError(await adminCall(server, 'POST', '/access-keys/LKNOSUCHKEY0000000000/revoke-links', { body: { before: 'now' } }), 404, 'NoSuchEntity');
    assertAdminError(await adminCall(server, 'POST', '/buckets/no-such-bucket/revoke-links', { body: { before: 'now' } }), 404, 'NoSuchEntity');
    assertAdminError(await adminCall(server, 'GET', '/links/revoke'), 405, 'MethodNotAllowed');
  });

  it('needs latchkey:RevokeLinks; a bucket revocation can be granted per bucket', async () => {
    const url = link(server, 'photos', 'a.txt');
    const as = { credentials: carol.credentials };
    assertAdminError(await adminCall(server, 'POST', '/links/revoke', { ...as, body: { url } }), 403, 'AccessDenied');
    assertAdminError(await adminCall(server, 'POST', '/buckets/photos/revoke-links', { ...as, body: { before: 'now' } }), 403, 'AccessDenied');
    assertAdminError(await adminCall(server, 'GET', '/links/log', as), 403, 'AccessDenied');
    expectStatus(
      await adminCall(server, 'PUT', '/policies/revoke-photos', {
        body: policyDocument({ Effect: 'Allow', Action: 'latchkey:RevokeLinks', Resource: 'arn:aws:s3:::photos' }),
      }),
      201,
    );
    expectStatus(await adminCall(server, 'PUT', '/users/carol/policies/revoke-photos'), 200);
    assertAdminError(await adminCall(server, 'POST', '/buckets/other/revoke-links', { ...as, body: { before: 'now' } }), 403, 'AccessDenied');
    assertAdminError(await adminCall(server, 'POST', '/links/revoke', { ...as, body: { url } }), 403, 'AccessDenied');
    expectStatus(await adminCall(server, 'POST', '/buckets/photos/revoke-links', { ...as, body: { before: 'now' } }), 200);
    await expectS3Error(await fetch(url), 403, 'AccessDenied', 'Link revoked');
  });
});
