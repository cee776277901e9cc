import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { nodeCrypto } from '../../src/sigv4/node-crypto.js';
import { presign } from '../../src/sigv4/sign.js';
import {
  adminCall,
  attachPolicy,
  createKey,
  createUser,
  expectStatus,
  policyDocument,
  putPolicy,
  userWithPolicies,
  type CreatedKey,
} from '../helpers/admin-client.js';
import { boto } from '../helpers/admin-boto.js';
import type { TestCredentials } from '../helpers/clients.js';
import { parseS3Error } from '../helpers/e2e-http.js';
import { startServer, type TestServer } from '../helpers/server.js';

/*
 * The product's promise: a pre-signed URL carries only its signer's identity,
 * and the signer's rights are read again on every use. Whatever the admin does
 * to the user (policy, key, user) shows on the URL's very next request.
 */

const PHOTOS_READ = policyDocument({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bkt/photos/*' });
const DENY_PHOTOS = policyDocument({ Effect: 'Deny', Action: 's3:*', Resource: 'arn:aws:s3:::bkt/photos/*' });
const PHOTO_BODY = 'JPEG-a';

let server: TestServer;

interface Links {
  /** One URL per signer, by name, for photos/a.jpg. */
  readonly photo: Readonly<Record<string, string>>;
  readonly private: Readonly<Record<string, string>>;
}

/** URLs signed by `credentials`: boto3 s3v4, boto3's default (SigV2 here), and our presign. */
async function signLinks(credentials: TestCredentials): Promise<Links> {
  const urls = await boto<{ v4: string[]; v2: string[] }>(
    server,
    `
keys = ['photos/a.jpg', 'private/b.jpg']
out({'v4': [s3v4.generate_presigned_url('get_object', Params={'Bucket': 'bkt', 'Key': k}, ExpiresIn=3600) for k in keys],
     'v2': [s3.generate_presigned_url('get_object', Params={'Bucket': 'bkt', 'Key': k}, ExpiresIn=3600) for k in keys]})
`,
    null,
    credentials,
  );
  const ours = (key: string) =>
    presign({ method: 'GET', url: `${server.endpoint}/bkt/${key}`, credentials, region: server.region, now: Date.now(), expiresIn: 3600, crypto: nodeCrypto }).url;
  const [v4Photo = '', v4Private = ''] = urls.v4;
  const [v2Photo = '', v2Private = ''] = urls.v2;
  // So the suite tests what it claims: one SigV4 and one SigV2 flavour from boto3.
  assert.match(v4Photo, /X-Amz-Algorithm=AWS4-HMAC-SHA256/);
  assert.match(v2Photo, /AWSAccessKeyId=[^&]+&Signature=/);
  return {
    photo: { 'boto3 s3v4': v4Photo, 'boto3 SigV2': v2Photo, presign: ours('photos/a.jpg') },
    private: { 'boto3 s3v4': v4Private, 'boto3 SigV2': v2Private, presign: ours('private/b.jpg') },
  };
}

/** Uses every URL once and asserts the outcome: 200 with the photo, or the S3 error. */
async function expectLinks(urls: Readonly<Record<string, string>>, expected: 200 | { status: number; code: string }, label: string): Promise<void> {
  for (const [signer, url] of Object.entries(urls)) {
    const response = await fetch(url);
    const text = await response.text();
    if (expected === 200) {
      assert.equal(response.status, 200, `${label} (${signer}): ${text}`);
      assert.equal(text, PHOTO_BODY, `${label} (${signer})`);
    } else {
      assert.equal(response.status, expected.status, `${label} (${signer}): ${text}`);
      assert.equal(parseS3Error(text).code, expected.code, `${label} (${signer}): ${text}`);
    }
  }
}

/**
 * Runs an admin change, then asserts the links' very next use: no waiting, no
 * retry, so a cache that outlived the change would fail here. (Not timed: a
 * loaded CI machine makes any bound on milliseconds a flaky test.)
 */
async function afterChange(change: () => Promise<unknown>, urls: Readonly<Record<string, string>>, expected: Parameters<typeof expectLinks>[1], label: string): Promise<void> {
  await change();
  await expectLinks(urls, expected, label);
}

const denied = { status: 403, code: 'AccessDenied' } as const;
const unknownKey = { status: 403, code: 'InvalidAccessKeyId' } as const;

before(async () => {
  server = await startServer();
  await boto(
    server,
    `
s3.create_bucket(Bucket='bkt')
s3.put_object(Bucket='bkt', Key='photos/a.jpg', Body=b'${PHOTO_BODY}')
s3.put_object(Bucket='bkt', Key='private/b.jpg', Body=b'secret-b')
out(True)
`,
  );
});
after(async () => {
  await server?.stop();
});

describe('pre-signed URLs inherit their signer\'s current permissions', () => {
  let sharer: CreatedKey;
  let links: Links;

  before(async () => {
    sharer = await userWithPolicies(server, 'sharer', { 'photos-read': PHOTOS_READ });
    links = await signLinks(sharer.credentials);
  });

  it('works for what the signer may read and is refused for the rest', async () => {
    await expectLinks(links.photo, 200, 'allowed object');
    await expectLinks(links.private, denied, 'private object');
  });

  it('stops when the policy is detached, and works again when re-attached', async () => {
    await afterChange(() => adminCall(server, 'DELETE', '/users/sharer/policies/photos-read'), links.photo, denied, 'detached');
    await afterChange(() => attachPolicy(server, 'sharer', 'photos-read'), links.photo, 200, 're-attached');
  });

  it('stops when the attached policy is edited to no longer cover the object', async () => {
    const elsewhere = policyDocument({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bkt/other/*' });
    await afterChange(() => putPolicy(server, 'photos-read', elsewhere), links.photo, denied, 'policy narrowed');
    await afterChange(() => putPolicy(server, 'photos-read', PHOTOS_READ), links.photo, 200, 'policy restored');
  });

  it('stops when a Deny policy is attached, despite the Allow', async () => {
    await putPolicy(server, 'deny-photos', DENY_PHOTOS);
    await afterChange(() => attachPolicy(server, 'sharer', 'deny-photos'), links.photo, denied, 'deny attached');
    await afterChange(() => adminCall(server, 'DELETE', '/users/sharer/policies/deny-photos'), links.photo, 200, 'deny detached');
  });

  it('stops when the key is disabled, and works again when it is re-enabled before expiry', async () => {
    const id = sharer.accessKey.accessKeyId;
    await afterChange(() => adminCall(server, 'POST', `/access-keys/${id}/disable`), links.photo, unknownKey, 'key disabled');
    await expectLinks(links.private, unknownKey, 'key disabled, private object');
    await afterChange(() => adminCall(server, 'POST', `/access-keys/${id}/enable`), links.photo, 200, 'key re-enabled');
  });

  it('stops when the user is disabled, and works again when re-enabled', async () => {
    await afterChange(() => adminCall(server, 'POST', '/users/sharer/disable'), links.photo, unknownKey, 'user disabled');
    await afterChange(() => adminCall(server, 'POST', '/users/sharer/enable'), links.photo, 200, 'user re-enabled');
  });

  it('stops when the key is deleted while the user keeps another key', async () => {
    const spare = await createKey(server, 'sharer');
    const spareLinks = await signLinks(spare.credentials);
    await afterChange(() => adminCall(server, 'DELETE', `/access-keys/${sharer.accessKey.accessKeyId}`), links.photo, unknownKey, 'key deleted');
    await expectLinks(spareLinks.photo, 200, 'the other key of the same user');
    sharer = spare;
    links = spareLinks;
  });

  it('stops when the user is deleted, and a recreated user with a new key does not revive old links', async () => {
    await afterChange(async () => expectStatus(await adminCall(server, 'DELETE', '/users/sharer'), 204), links.photo, unknownKey, 'user deleted');
    await createUser(server, 'sharer');
    await attachPolicy(server, 'sharer', 'photos-read');
    const reborn = await createKey(server, 'sharer');
    assert.notEqual(reborn.accessKey.accessKeyId, sharer.accessKey.accessKeyId);
    await expectLinks(links.photo, unknownKey, 'old links after the user was recreated');
    await expectLinks((await signLinks(reborn.credentials)).photo, 200, 'links of the new key');
  });
});
