import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { presignPost } from '../../src/index.js';
import { linkId } from '../../src/links/link-identity.js';
import { adminCall, expectStatus } from '../helpers/admin-client.js';
import type { TestCredentials } from '../helpers/clients.js';
import { ConsoleClient, createUserWithPolicy, startConsoleServer, type ConsoleServer } from '../helpers/console.js';
import { fingerprint, readDiskState } from '../helpers/disk-state.js';
import { signedRequest } from '../helpers/e2e-http.js';
import { link } from '../helpers/links.js';
import { encodePolicy, multipartBody, rawPost, v2PolicyFields, v4AuthConditions, v4PolicyFields, xmlField, type PostAnswer } from '../helpers/post-form.js';
import { ROOT_CREDENTIALS } from '../helpers/server.js';

/**
 * POST policy uploads pass through the same link controls as query-signed
 * URLs (issue 12, item 5): revocation of the one policy, of everything a key
 * or a bucket had signed before a time, and the audit log.
 */
let s: ConsoleServer;
let poster: TestCredentials;
const HOUR = 3_600_000;

before(async () => {
  s = await startConsoleServer();
  for (const bucket of ['forms', 'forms-other', 'forms-bucket']) expectStatus(await signedBucket(bucket), 200);
  poster = await createUserWithPolicy(s.server, 'poster', {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::*' }],
  });
});

after(async () => {
  await s?.server.stop();
});

async function signedBucket(bucket: string): Promise<{ status: number; body: unknown; text: string }> {
  const answer = await signedRequest(s.server, { method: 'PUT', path: `/${bucket}` });
  return { status: answer.status, body: null, text: answer.body.toString() };
}

interface Form {
  readonly bucket: string;
  readonly fields: Array<[string, string]>;
}

/** A signed form for any key under `prefix`, SigV4 (signed at `signedAt`) or SigV2. */
function form(version: 2 | 4, bucket: string, signer: TestCredentials = ROOT_CREDENTIALS, signedAt = Date.now()): Form {
  const conditions = [{ bucket }, ['starts-with', '$key', ''], ...(version === 4 ? v4AuthConditions(signer, { now: signedAt }) : [])];
  // A distinct expiry per form keeps every policy (and so every link) distinct.
  const policy = encodePolicy(new Date(signedAt + HOUR + Math.floor(Math.random() * 1_000_000)), conditions);
  return { bucket, fields: version === 4 ? v4PolicyFields(signer, policy, { now: signedAt }) : v2PolicyFields(signer, policy) };
}

function fieldsObject(f: Form): Record<string, string> {
  return Object.fromEntries(f.fields);
}

function post(f: Form, key: string, content = `body of ${key}`): Promise<PostAnswer> {
  const { body, contentType } = multipartBody([['key', key], ...f.fields], { content, filename: 'f.txt' });
  return rawPost(`${s.server.endpoint}/${f.bucket}`, body, { 'content-type': contentType });
}

async function assertUploaded(f: Form, key: string): Promise<void> {
  const answer = await post(f, key);
  assert.equal(answer.status, 204, answer.text);
  const got = await signedRequest(s.server, { method: 'GET', path: `/${f.bucket}/${key}` });
  assert.equal(got.body.toString(), `body of ${key}`);
}

async function assertRevoked(f: Form, key: string): Promise<void> {
  const before = fingerprint(readDiskState(s.server.dataDir));
  const answer = await post(f, key);
  assert.equal(answer.status, 403, answer.text);
  assert.equal(xmlField(answer.text, 'Code'), 'AccessDenied');
  assert.equal(xmlField(answer.text, 'Message'), 'Link revoked');
  assert.equal(fingerprint(readDiskState(s.server.dataDir)), before, 'a revoked upload leaves the data dir as it was');
  const got = await signedRequest(s.server, { method: 'HEAD', path: `/${f.bucket}/${key}` });
  assert.equal(got.status, 404);
}

async function revokeBefore(path: string, before: number): Promise<void> {
  expectStatus(await adminCall(s.server, 'POST', path, { body: { before: new Date(before).toISOString() } }), 200);
}

for (const version of [4, 2] as const) {
  describe(`POST policy (SigV${version}) revocation`, () => {
    it('one policy, revoked by its form fields, is refused; another is not', async () => {
      const revoked = form(version, 'forms');
      const kept = form(version, 'forms');
      await assertUploaded(revoked, `v${version}/one-before.txt`);
      const answer = expectStatus(await adminCall<{ link: { id: string; revoked: boolean } }>(s.server, 'POST', '/links/revoke', { body: { form: fieldsObject(revoked) } }), 200);
      const signature = version === 4 ? fieldsObject(revoked)['x-amz-signature'] : fieldsObject(revoked)['signature'];
      assert.equal(answer.link.id, linkId(version, signature ?? ''));
      await assertRevoked(revoked, `v${version}/one-after.txt`);
      await assertUploaded(kept, `v${version}/other-policy.txt`);
      const shown = expectStatus(await adminCall<{ link: { revoked: boolean; revokedBy: string } }>(s.server, 'POST', '/links/show', { body: { form: fieldsObject(revoked) } }), 200);
      assert.deepEqual([shown.link.revoked, shown.link.revokedBy], [true, 'link']);
    });

    it("everything a key signed before T is refused; another key's policy is not", async () => {
      const T = Date.now();
      const old = form(version, 'forms', poster, T - 30_000);
      const root = form(version, 'forms', ROOT_CREDENTIALS, T - 30_000);
      await revokeBefore(`/access-keys/${poster.accessKeyId}/revoke-links`, T);
      await assertRevoked(old, `v${version}/signer-old.txt`);
      await assertUploaded(root, `v${version}/signer-root.txt`);
      if (version === 4) {
        // Signed after T: not covered. (A SigV2 policy does not say when it was signed, so it is taken as early as it could be.)
        await assertUploaded(form(4, 'forms', poster, T + 2_000), 'v4/signer-new.txt');
      }
    });
  });
}

describe('latchkey link revoke with a POST policy', () => {
  it("takes presignPost's {url, fields} as JSON and revokes that policy", async () => {
    const post = presignPost({ endpoint: s.server.endpoint, bucket: 'forms', keyPrefix: 'cli/', expiresIn: 600, credentials: ROOT_CREDENTIALS, region: 'us-east-1' });
    const f: Form = { bucket: 'forms', fields: Object.entries(post.fields).filter(([name]) => name !== 'key') };
    await assertUploaded(f, 'cli/before.txt');
    const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
    const env = {
      PATH: process.env['PATH'], HOME: s.server.dataDir, LATCHKEY_ENDPOINT: s.server.endpoint,
      AWS_ACCESS_KEY_ID: ROOT_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: ROOT_CREDENTIALS.secretAccessKey,
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_CONFIG_FILE: '/nonexistent',
    };
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--import', 'tsx', cli, 'link', 'revoke', JSON.stringify(post)], { env, encoding: 'utf8' }, (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    assert.match(out, /^Revoked link /);
    await assertRevoked(f, 'cli/after.txt');
  });
});

describe('POST policy bucket-wide revocation', () => {
  it('every policy for the bucket signed before T is refused (SigV4 and SigV2); other buckets are not', async () => {
    const T = Date.now();
    const v4 = form(4, 'forms-bucket', ROOT_CREDENTIALS, T - 30_000);
    const v2 = form(2, 'forms-bucket');
    await assertUploaded(form(4, 'forms-bucket', ROOT_CREDENTIALS, T - 30_000), 'before-revocation.txt');
    await revokeBefore('/buckets/forms-bucket/revoke-links', T);
    await assertRevoked(v4, 'v4-bucket.txt');
    await assertRevoked(v2, 'v2-bucket.txt');
    await assertUploaded(form(4, 'forms-other', ROOT_CREDENTIALS, T - 30_000), 'v4-other-bucket.txt');
    await assertUploaded(form(2, 'forms-other'), 'v2-other-bucket.txt');
    await assertUploaded(form(4, 'forms-bucket', ROOT_CREDENTIALS, T + 2_000), 'v4-after.txt');
  });
});

describe('POST policy and X-Latchkey-* controls', () => {
  it('controls in the URL a form is posted to are refused (400 InvalidArgument): the policy does not sign them', async () => {
    const f = form(4, 'forms');
    const before = fingerprint(readDiskState(s.server.dataDir));
    const { body, contentType } = multipartBody([['key', 'controlled.txt'], ...f.fields], { content: 'x', filename: 'f.txt' });
    const answer = await rawPost(`${s.server.endpoint}/forms?X-Latchkey-Max-Uses=1`, body, { 'content-type': contentType });
    assert.equal(answer.status, 400, answer.text);
    assert.equal(xmlField(answer.text, 'Code'), 'InvalidArgument');
    assert.equal(fingerprint(readDiskState(s.server.dataDir)), before);
    await assertUploaded(f, 'uncontrolled.txt');
  });
});

describe('POST policy lifetime', () => {
  it('a policy living longer than 7 days from its signing is refused (400 InvalidPolicyDocument), as a longer link is', async () => {
    const now = Date.now();
    const conditions = [{ bucket: 'forms' }, ['starts-with', '$key', ''], ...v4AuthConditions(ROOT_CREDENTIALS, { now })];
    const policy = encodePolicy(new Date(now + 8 * 24 * HOUR), conditions);
    const before = fingerprint(readDiskState(s.server.dataDir));
    for (const fields of [v4PolicyFields(ROOT_CREDENTIALS, policy, { now }), v2PolicyFields(ROOT_CREDENTIALS, encodePolicy(new Date(now + 8 * 24 * HOUR), [{ bucket: 'forms' }, ['starts-with', '$key', '']]))]) {
      const answer = await post({ bucket: 'forms', fields }, 'long-lived.txt');
      assert.equal(answer.status, 400, answer.text);
      assert.equal(xmlField(answer.text, 'Code'), 'InvalidPolicyDocument');
    }
    assert.equal(fingerprint(readDiskState(s.server.dataDir)), before);
  });
});

describe('POST policy audit', () => {
  interface Entry {
    readonly link: string;
    readonly method: string;
    readonly key: string;
    readonly status: number;
    readonly bytes: number;
    readonly clientIp: string;
  }

  async function entries(bucket: string): Promise<Entry[]> {
    return expectStatus(await adminCall<{ entries: Entry[] }>(s.server, 'GET', `/links/log?bucket=${bucket}`), 200).entries;
  }

  it('records POST uploads with the bytes received and the outcome, refused ones too', async () => {
    expectStatus(await signedBucket('forms-audit'), 200);
    const f = form(4, 'forms-audit');
    const content = 'x'.repeat(5000);
    const { body, contentType } = multipartBody([['key', 'audited.bin'], ...f.fields], { content, filename: 'a.bin' });
    const ok = await rawPost(`${s.server.endpoint}/forms-audit`, body, { 'content-type': contentType });
    assert.equal(ok.status, 204);
    expectStatus(await adminCall(s.server, 'POST', '/links/revoke', { body: { form: fieldsObject(f) } }), 200);
    const refused = await rawPost(`${s.server.endpoint}/forms-audit`, body, { 'content-type': contentType });
    assert.equal(refused.status, 403);
    const id = linkId(4, fieldsObject(f)['x-amz-signature'] ?? '');
    const rows = (await entries('forms-audit')).map((e) => ({ link: e.link, method: e.method, key: e.key, status: e.status, bytes: e.bytes, clientIp: e.clientIp }));
    assert.equal(rows.length, 2);
    assert.deepEqual(rows[0], { link: id, method: 'POST', key: 'audited.bin', status: 204, bytes: body.length, clientIp: '127.0.0.1' });
    assert.equal(rows[1]?.status, 403);
    assert.equal(rows[1]?.method, 'POST');
  });

  it('a pre-signed PUT records the bytes it received, a GET the bytes it sent', async () => {
    const content = 'y'.repeat(3000);
    const put = await fetch(link(s.server, 'forms-audit', 'put.bin', { method: 'PUT' }), { method: 'PUT', body: content });
    assert.equal(put.status, 200);
    const got = await fetch(link(s.server, 'forms-audit', 'put.bin'));
    assert.equal((await got.text()).length, 3000);
    const rows = (await entries('forms-audit')).filter((e) => e.key === 'put.bin').map((e) => `${e.method} ${e.status} ${e.bytes}`);
    assert.deepEqual(rows, ['PUT 200 3000', 'GET 200 3000']);
  });
});

describe("the console's upload-to-prefix links", () => {
  it('are audited, and once revoked on the Links page, refused', async () => {
    const c = new ConsoleClient(s.console);
    await c.signIn(ROOT_CREDENTIALS);
    const issued = await c.call('POST', '/api/upload-links', { bucket: 'forms', key: 'drop/', prefix: true, expiresIn: 600 });
    assert.equal(issued.status, 201, JSON.stringify(issued.json));
    const { id, url, fields } = issued.json as { id: string; url: string; fields: Record<string, string> };
    const upload = (name: string) => {
      const { body, contentType } = multipartBody(Object.entries(fields), { content: `dropped ${name}`, filename: name });
      return rawPost(url, body, { 'content-type': contentType });
    };
    assert.equal((await upload('first.txt')).status, 201);
    const listed = await c.call('GET', '/api/links');
    const mine = (listed.json['links'] as Array<{ id: string; usage: { uses: number; lastFrom: string } }>).find((l) => l.id === id);
    assert.deepEqual(mine?.usage && { uses: mine.usage.uses, lastFrom: mine.usage.lastFrom }, { uses: 1, lastFrom: '127.0.0.1' });

    const revoked = await c.call('POST', `/api/links/${id}/revoke`);
    assert.equal(revoked.status, 200);
    assert.equal((revoked.json['link'] as { status: string }).status, 'revoked');
    const before = fingerprint(readDiskState(s.server.dataDir));
    const refused = await upload('second.txt');
    assert.equal(refused.status, 403);
    assert.equal(xmlField(refused.text, 'Code'), 'AccessDenied');
    assert.equal(xmlField(refused.text, 'Message'), 'Link revoked');
    assert.equal(fingerprint(readDiskState(s.server.dataDir)), before);
    assert.equal((await signedRequest(s.server, { method: 'HEAD', path: '/forms/drop/second.txt' })).status, 404);
  });
});
