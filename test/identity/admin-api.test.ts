import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  adminCall,
  adminFetchUrl,
  adminPresignedUrl,
  adminUnsigned,
  assertAdminError,
  expectStatus,
  policyDocument,
  userWithPolicies,
  type AccessKeyView,
  type AdminCallOptions,
  type AdminResponse,
  type PolicyView,
  type UserView,
} from '../helpers/admin-client.js';
import { startServer, type TestServer } from '../helpers/server.js';

const ADMIN_POLICY = policyDocument({ Effect: 'Allow', Action: 'iam:*', Resource: '*' });
const READ_ONLY = policyDocument({ Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket'], Resource: ['arn:aws:s3:::bkt', 'arn:aws:s3:::bkt/*'] });
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

let server: TestServer;
/** Every answer the API gave, except the key creations (the one place a secret may appear). */
const answers: string[] = [];
const secrets: string[] = [];

/** adminCall that remembers what it saw, for the secrets-never-leak check at the end. */
async function call<T = unknown>(method: string, path: string, options: AdminCallOptions = {}): Promise<AdminResponse<T>> {
  const response = await adminCall<T>(server, method, path, options);
  const secret = (response.body as { secretAccessKey?: unknown } | undefined)?.secretAccessKey;
  if (typeof secret === 'string') secrets.push(secret);
  else answers.push(response.text);
  return response;
}

before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

describe('admin API: users', () => {
  it('creates, reads, lists, disables, enables and deletes a user', async () => {
    const created = expectStatus(await call<{ user: UserView }>('POST', '/users', { body: { name: 'alice' } }), 201);
    assert.deepEqual({ ...created.user, createdAt: 'x' }, { name: 'alice', status: 'active', createdAt: 'x', policies: [] });
    assert.match(created.user.createdAt, ISO);
    assert.ok(Math.abs(Date.parse(created.user.createdAt) - Date.now()) < 60_000);

    assertAdminError(await call('POST', '/users', { body: { name: 'alice' } }), 409, 'EntityAlreadyExists');
    const got = expectStatus(await call<{ user: UserView; accessKeys: AccessKeyView[] }>('GET', '/users/alice'), 200);
    assert.deepEqual(got, { user: created.user, accessKeys: [] });
    const listed = expectStatus(await call<{ users: UserView[] }>('GET', '/users'), 200);
    assert.deepEqual(listed.users.filter((u) => u.name === 'alice'), [created.user]);

    const disabled = expectStatus(await call<{ user: UserView }>('POST', '/users/alice/disable'), 200);
    assert.equal(disabled.user.status, 'disabled');
    assert.equal(expectStatus(await call<{ user: UserView }>('GET', '/users/alice'), 200).user.status, 'disabled');
    assert.equal(expectStatus(await call<{ user: UserView }>('POST', '/users/alice/enable'), 200).user.status, 'active');

    assert.equal(expectStatus(await call('DELETE', '/users/alice'), 204), undefined);
    assertAdminError(await call('GET', '/users/alice'), 404, 'NoSuchEntity');
    assertAdminError(await call('DELETE', '/users/alice'), 404, 'NoSuchEntity');
    assertAdminError(await call('POST', '/users/alice/enable'), 404, 'NoSuchEntity');
    assert.ok(!expectStatus(await call<{ users: UserView[] }>('GET', '/users'), 200).users.some((u) => u.name === 'alice'));
  });

  it('refuses names outside IAM rules, the reserved name root, and bodies that are not JSON', async () => {
    for (const name of ['', 'has space', 'slash/name', 'x'.repeat(65), 'ünïcode', 'root']) {
      assertAdminError(await call('POST', '/users', { body: { name } }), 400, 'InvalidInput');
    }
    assertAdminError(await call('POST', '/users', { body: { name: 42 } }), 400, 'InvalidInput');
    assertAdminError(await call('POST', '/users', { body: '{"name": "bob"' }), 400, 'InvalidInput');
    assertAdminError(await call('POST', '/users'), 400, 'InvalidInput');
    // The longest legal name, with every legal punctuation mark, is accepted.
    const edge = `a+=,.@_-${'z'.repeat(56)}`;
    assert.equal(edge.length, 64);
    expectStatus(await call('POST', '/users', { body: { name: edge } }), 201);
    expectStatus(await call('DELETE', `/users/${encodeURIComponent(edge)}`), 204);
  });

  it('answers NotFound for an unknown endpoint and MethodNotAllowed for a wrong method', async () => {
    assertAdminError(await call('GET', '/nothing-here'), 404, 'NotFound');
    assertAdminError(await call('PATCH', '/users'), 405, 'MethodNotAllowed');
    assertAdminError(await call('POST', '/policies/p'), 405, 'MethodNotAllowed');
  });
});

describe('admin API: access keys', () => {
  it('creates at most two keys per user, lists, disables, enables and deletes them', async () => {
    expectStatus(await call('POST', '/users', { body: { name: 'kim' } }), 201);
    const first = expectStatus(await call<{ accessKey: AccessKeyView; secretAccessKey: string }>('POST', '/users/kim/access-keys'), 201);
    const second = expectStatus(await call<{ accessKey: AccessKeyView; secretAccessKey: string }>('POST', '/users/kim/access-keys'), 201);
    for (const created of [first, second]) {
      assert.equal(created.accessKey.userName, 'kim');
      assert.equal(created.accessKey.status, 'active');
      assert.equal(created.accessKey.lastUsedAt, null);
      assert.match(created.accessKey.accessKeyId, /^[A-Z0-9]{16,128}$/);
      assert.ok(created.secretAccessKey.length >= 40, 'a secret as strong as AWS');
      assert.deepEqual(Object.keys(created.accessKey).sort(), ['accessKeyId', 'createdAt', 'lastUsedAt', 'status', 'userName']);
    }
    assert.notEqual(first.accessKey.accessKeyId, second.accessKey.accessKeyId);
    assert.notEqual(first.secretAccessKey, second.secretAccessKey);

    assertAdminError(await call('POST', '/users/kim/access-keys'), 409, 'LimitExceeded');
    assertAdminError(await call('POST', '/users/nobody/access-keys'), 404, 'NoSuchEntity');

    const listed = expectStatus(await call<{ accessKeys: AccessKeyView[] }>('GET', '/access-keys?user=kim'), 200);
    assert.deepEqual(listed.accessKeys.map((k) => k.accessKeyId).sort(), [first.accessKey.accessKeyId, second.accessKey.accessKeyId].sort());
    assertAdminError(await call('GET', '/access-keys?user=nobody'), 404, 'NoSuchEntity');
    const all = expectStatus(await call<{ accessKeys: AccessKeyView[] }>('GET', '/access-keys'), 200);
    assert.ok(all.accessKeys.some((k) => k.accessKeyId === first.accessKey.accessKeyId));

    const id = first.accessKey.accessKeyId;
    assert.equal(expectStatus(await call<{ accessKey: AccessKeyView }>('POST', `/access-keys/${id}/disable`), 200).accessKey.status, 'inactive');
    assert.equal(expectStatus(await call<{ accessKey: AccessKeyView }>('POST', `/access-keys/${id}/enable`), 200).accessKey.status, 'active');
    expectStatus(await call('DELETE', `/access-keys/${id}`), 204);
    assertAdminError(await call('DELETE', `/access-keys/${id}`), 404, 'NoSuchEntity');
    assertAdminError(await call('POST', `/access-keys/${id}/enable`), 404, 'NoSuchEntity');

    // A freed slot can be used again: that is how keys are rotated.
    expectStatus(await call('POST', '/users/kim/access-keys'), 201);
    assertAdminError(await call('POST', '/users/kim/access-keys'), 409, 'LimitExceeded');
    const got = expectStatus(await call<{ accessKeys: AccessKeyView[] }>('GET', '/users/kim'), 200);
    assert.equal(got.accessKeys.length, 2);

    // Deleting the user takes its keys with it.
    expectStatus(await call('DELETE', '/users/kim'), 204);
    assertAdminError(await call('POST', `/access-keys/${second.accessKey.accessKeyId}/enable`), 404, 'NoSuchEntity');
  });
});

describe('admin API: policies', () => {
  it('creates, replaces, reads, lists, attaches, detaches and deletes a policy', async () => {
    const created = await call<{ policy: PolicyView }>('PUT', '/policies/read-only', { body: READ_ONLY });
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(created.body.policy.document, READ_ONLY);
    assert.deepEqual(created.body.policy.attachedTo, []);
    assert.match(created.body.policy.createdAt, ISO);

    const narrower = policyDocument({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bkt/*' });
    const replaced = await call<{ policy: PolicyView }>('PUT', '/policies/read-only', { body: narrower });
    assert.equal(replaced.status, 200, replaced.text);
    assert.deepEqual(replaced.body.policy.document, narrower);
    assert.equal(replaced.body.policy.createdAt, created.body.policy.createdAt);
    assert.ok(replaced.body.policy.updatedAt >= created.body.policy.updatedAt);

    assert.deepEqual(expectStatus(await call<{ policy: PolicyView }>('GET', '/policies/read-only'), 200).policy, replaced.body.policy);
    const listed = expectStatus(await call<{ policies: PolicyView[] }>('GET', '/policies'), 200);
    assert.deepEqual(listed.policies.find((p) => p.name === 'read-only')?.document, narrower);

    expectStatus(await call('POST', '/users', { body: { name: 'pat' } }), 201);
    const attached = expectStatus(await call<{ user: UserView }>('PUT', '/users/pat/policies/read-only'), 200);
    assert.deepEqual(attached.user.policies, ['read-only']);
    // Attaching twice is not an error.
    assert.deepEqual(expectStatus(await call<{ user: UserView }>('PUT', '/users/pat/policies/read-only'), 200).user.policies, ['read-only']);
    assert.deepEqual(expectStatus(await call<{ policy: PolicyView }>('GET', '/policies/read-only'), 200).policy.attachedTo, ['pat']);
    assertAdminError(await call('PUT', '/users/pat/policies/no-such'), 404, 'NoSuchEntity');
    assertAdminError(await call('PUT', '/users/nobody/policies/read-only'), 404, 'NoSuchEntity');

    assertAdminError(await call('DELETE', '/policies/read-only'), 409, 'DeleteConflict');
    assert.equal(expectStatus(await call<{ policy: PolicyView }>('GET', '/policies/read-only'), 200).policy.name, 'read-only');

    expectStatus(await call('DELETE', '/users/pat/policies/read-only'), 204);
    assertAdminError(await call('DELETE', '/users/pat/policies/read-only'), 404, 'NoSuchEntity');
    assert.deepEqual(expectStatus(await call<{ user: UserView }>('GET', '/users/pat'), 200).user.policies, []);
    expectStatus(await call('DELETE', '/policies/read-only'), 204);
    assertAdminError(await call('GET', '/policies/read-only'), 404, 'NoSuchEntity');
    assertAdminError(await call('DELETE', '/policies/read-only'), 404, 'NoSuchEntity');
    expectStatus(await call('DELETE', '/users/pat'), 204);
  });

  it('refuses invalid documents with InvalidInput and stores nothing', async () => {
    const invalid: unknown[] = [
      '{"Version": "2012-10-17", "Statement": [',
      '',
      '[]',
      { Version: '2012-10-17' },
      { Version: '2012-10-17', Statement: [] },
      { Version: '2012-10-17', Statement: [{ Effect: 'Maybe', Action: 's3:GetObject', Resource: '*' }] },
      { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Resource: '*' }] },
      { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Condition: { NoSuchOperator: { 's3:prefix': 'a' } } }] },
      // An identity policy names no principal.
      { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: '*' }] },
    ];
    for (const document of invalid) {
      assertAdminError(await call('PUT', '/policies/broken', { body: document }), 400, 'InvalidInput');
    }
    assertAdminError(await call('GET', '/policies/broken'), 404, 'NoSuchEntity');
    assertAdminError(await call('PUT', '/policies/bad%20name', { body: READ_ONLY }), 400, 'InvalidInput');
  });
});

describe('admin API: who may call it', () => {
  it('refuses a user without iam rights, lets an iam:* user administer, and honours resource scoping', async () => {
    const reader = await userWithPolicies(server, 'reader', { 'reader-s3': READ_ONLY });
    secrets.push(reader.credentials.secretAccessKey);
    const credentials = reader.credentials;
    assertAdminError(await call('GET', '/users', { credentials }), 403, 'AccessDenied');
    assertAdminError(await call('POST', '/users', { credentials, body: { name: 'mallory' } }), 403, 'AccessDenied');
    assertAdminError(await call('POST', '/users/reader/access-keys', { credentials }), 403, 'AccessDenied');
    assertAdminError(await call('PUT', '/users/reader/policies/reader-s3', { credentials }), 403, 'AccessDenied');
    assertAdminError(await call('PUT', '/policies/escalate', { credentials, body: ADMIN_POLICY }), 403, 'AccessDenied');
    // Refused before anything happened.
    assertAdminError(await call('GET', '/users/mallory'), 404, 'NoSuchEntity');
    assertAdminError(await call('GET', '/policies/escalate'), 404, 'NoSuchEntity');
    assert.equal(expectStatus(await call<{ accessKeys: AccessKeyView[] }>('GET', '/access-keys?user=reader'), 200).accessKeys.length, 1);

    const boss = await userWithPolicies(server, 'boss', { admin: ADMIN_POLICY });
    secrets.push(boss.credentials.secretAccessKey);
    const asBoss = { credentials: boss.credentials };
    expectStatus(await call('POST', '/users', { ...asBoss, body: { name: 'hire' } }), 201);
    expectStatus(await call('PUT', '/policies/hire-policy', { ...asBoss, body: READ_ONLY }), 201);
    expectStatus(await call('PUT', '/users/hire/policies/hire-policy', asBoss), 200);
    expectStatus(await call('POST', '/users/hire/access-keys', asBoss), 201);
    assert.ok(expectStatus(await call<{ users: UserView[] }>('GET', '/users', asBoss), 200).users.some((u) => u.name === 'hire'));
    expectStatus(await call('DELETE', '/users/hire', asBoss), 204);
    expectStatus(await call('DELETE', '/policies/hire-policy', asBoss), 204);

    // Resource scoping: GetUser on one user ARN only.
    const scoped = await userWithPolicies(server, 'scoped', {
      'see-self': policyDocument({ Effect: 'Allow', Action: 'iam:GetUser', Resource: 'arn:aws:iam::latchkey:user/scoped' }),
    });
    secrets.push(scoped.credentials.secretAccessKey);
    const asScoped = { credentials: scoped.credentials };
    assert.equal(expectStatus(await call<{ user: UserView }>('GET', '/users/scoped', asScoped), 200).user.name, 'scoped');
    assertAdminError(await call('GET', '/users/boss', asScoped), 403, 'AccessDenied');
    assertAdminError(await call('GET', '/users', asScoped), 403, 'AccessDenied');
    assertAdminError(await call('POST', '/users/scoped/disable', asScoped), 403, 'AccessDenied');
  });

  it('refuses unsigned requests, pre-signed URLs and bad signatures', async () => {
    const unsigned = await adminUnsigned(server, 'GET', '/users');
    answers.push(unsigned.text);
    assertAdminError(unsigned, 403, 'AccessDenied');
    const unsignedCreate = await adminUnsigned(server, 'POST', '/users', { name: 'anon' });
    assertAdminError(unsignedCreate, 403, 'AccessDenied');

    // A perfectly valid root-signed URL: still refused, the admin API takes header signatures only.
    for (const [method, path] of [['GET', '/users'], ['POST', '/users/anon/access-keys'], ['DELETE', '/users/reader']] as const) {
      const presigned = await adminFetchUrl(adminPresignedUrl(server, method, path), method);
      answers.push(presigned.text);
      assertAdminError(presigned, 403, 'AccessDenied');
    }
    assert.equal(expectStatus(await call<{ user: UserView }>('GET', '/users/reader'), 200).user.name, 'reader');
    assertAdminError(await call('GET', '/users/anon'), 404, 'NoSuchEntity');

    assertAdminError(await call('GET', '/users', { credentials: { accessKeyId: 'LKNOSUCHKEY000000000', secretAccessKey: 'x'.repeat(40) } }), 403, 'InvalidAccessKeyId');
    const root = { accessKeyId: 'LKTESTROOTACCESSKEY1', secretAccessKey: 'wrong-secret-wrong-secret-wrong-secret00' };
    assertAdminError(await call('GET', '/users', { credentials: root }), 403, 'SignatureDoesNotMatch');
  });
});

describe('admin API: secrets stay secret', () => {
  it('shows a secret only in the key creation answer, never in other answers or the logs', async () => {
    // Read everything back once more, so every secret had its chance to leak.
    expectStatus(await call('GET', '/users'), 200);
    expectStatus(await call('GET', '/access-keys'), 200);
    expectStatus(await call('GET', '/policies'), 200);
    for (const name of ['reader', 'boss', 'scoped']) expectStatus(await call('GET', `/users/${name}`), 200);
    assert.ok(secrets.length >= 6, `${secrets.length} secrets seen`);
    assert.ok(answers.length > 50, `${answers.length} answers seen`);
    const logs = server.logs.join('\n');
    assert.ok(logs.includes('Admin:'), 'the log records admin requests (so it was really searched)');
    for (const secret of secrets) {
      for (const text of answers) assert.ok(!text.includes(secret), `a secret appears in ${text.slice(0, 200)}`);
      assert.ok(!logs.includes(secret), 'a secret appears in the server log');
      assert.ok(!logs.includes(encodeURIComponent(secret)), 'an encoded secret appears in the server log');
    }
  });
});
