import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { presignUrl, PresignInputError } from '../../src/presign/url.js';
import { adminCall, expectStatus, policyDocument, userWithPolicies } from '../helpers/admin-client.js';
import { awsEnv, run } from '../helpers/clients.js';
import { parseS3Error } from '../helpers/e2e-http.js';
import { fingerprint, readDiskState } from '../helpers/disk-state.js';
import { ROOT_CREDENTIALS } from '../helpers/server.js';
import { serverWithBucket } from '../helpers/server-with-bucket.js';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const BUCKET = 'version-links';
const versions: string[] = [];

const live = serverWithBucket(BUCKET, {
  seed: async (client) => {
    await client.send(new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Enabled' } }));
    for (const body of ['first version', 'second version']) {
      versions.push((await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'doc.txt', Body: body }))).VersionId ?? '');
    }
  },
});

async function cliLink(args: readonly string[]): Promise<string> {
  const result = await run(process.execPath, ['--import', 'tsx', CLI, 'presign', ...args, '--endpoint-url', live.server.endpoint], { ...awsEnv(), PATH: process.env['PATH'] });
  assert.equal(result.code, 0, result.stderr);
  return result.stdout.trim();
}

async function expectError(response: Response, status: number, code: string): Promise<void> {
  assert.equal(response.status, status);
  assert.equal(parseS3Error(await response.text()).code, code);
}

describe('pre-signed links to one version', () => {
  it('latchkey presign --version-id reaches that version, and still does after newer versions are written', async () => {
    const url = await cliLink([`s3://${BUCKET}/doc.txt`, '--version-id', versions[0] ?? '']);
    assert.match(url, new RegExp(`[?&]versionId=${versions[0]}&`));
    const first = await fetch(url);
    assert.equal(await first.text(), 'first version');
    assert.equal(first.headers.get('x-amz-version-id'), versions[0]);
    await live.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'doc.txt', Body: 'third version' }));
    assert.equal(await (await fetch(url)).text(), 'first version');
    const current = await cliLink([`s3://${BUCKET}/doc.txt`]);
    assert.equal(await (await fetch(current)).text(), 'third version');
  });

  it('the TypeScript API signs versionId into GET, HEAD and DELETE links and refuses it on PUT or malformed', async () => {
    const base = { endpoint: live.server.endpoint, bucket: BUCKET, key: 'doc.txt', expiresIn: 600, credentials: ROOT_CREDENTIALS, region: live.server.region };
    const head = await fetch(presignUrl({ ...base, method: 'HEAD', versionId: versions[1] }).url, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String('second version'.length));
    // Tampering with the signed version id breaks the signature.
    const tampered = presignUrl({ ...base, versionId: versions[1] }).url.replace(versions[1] ?? '', versions[0] ?? '');
    await expectError(await fetch(tampered), 403, 'SignatureDoesNotMatch');
    assert.throws(() => presignUrl({ ...base, method: 'PUT', versionId: versions[0] }), PresignInputError);
    assert.throws(() => presignUrl({ ...base, versionId: 'not a version' }), PresignInputError);
    const unknown = presignUrl({ ...base, versionId: 'Z'.repeat(24) }).url;
    await expectError(await fetch(unknown), 404, 'NoSuchVersion');
  });

  it('max-uses, revocation and the audit log work for a version link as for any other', async () => {
    const limited = await cliLink([`s3://${BUCKET}/doc.txt`, '--version-id', versions[1] ?? '', '--max-uses', '2', '--expires-in', '700']);
    assert.equal(await (await fetch(limited)).text(), 'second version');
    assert.equal((await fetch(limited)).status, 200);
    await expectError(await fetch(limited), 403, 'AccessDenied');
    const revoked = await cliLink([`s3://${BUCKET}/doc.txt`, '--version-id', versions[0] ?? '', '--expires-in', '701']);
    assert.equal((await fetch(revoked)).status, 200);
    expectStatus(await adminCall(live.server, 'POST', '/links/revoke', { body: { url: revoked } }), 200);
    await expectError(await fetch(revoked), 403, 'AccessDenied');
    let statuses: number[] = [];
    for (let i = 0; i < 50 && statuses.length < 5; i++) {
      const log = expectStatus(await adminCall<{ entries: Array<{ key: string; status: number }> }>(live.server, 'GET', `/links/log?bucket=${BUCKET}`), 200);
      statuses = log.entries.filter((e) => e.key === 'doc.txt').map((e) => e.status);
      if (statuses.length < 5) await sleep(100);
    }
    assert.ok(statuses.filter((s) => s === 403).length >= 2, `audited: ${statuses.join(',')}`);
  });

  it('a version link is only as strong as its signer: s3:GetObject alone cannot read a version; a DELETE link removes just that version', async () => {
    const reader = await userWithPolicies(live.server, 'plain-reader', {
      read: policyDocument({ Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/*` }),
    });
    const base = { endpoint: live.server.endpoint, bucket: BUCKET, key: 'doc.txt', expiresIn: 600, region: live.server.region };
    const before = fingerprint(readDiskState(live.server.dataDir));
    await expectError(await fetch(presignUrl({ ...base, credentials: reader.credentials, versionId: versions[0] }).url), 403, 'AccessDenied');
    await expectError(await fetch(presignUrl({ ...base, credentials: reader.credentials, method: 'DELETE', versionId: versions[0] }).url, { method: 'DELETE' }), 403, 'AccessDenied');
    assert.equal(fingerprint(readDiskState(live.server.dataDir)), before);
    const remove = await fetch(presignUrl({ ...base, credentials: ROOT_CREDENTIALS, method: 'DELETE', versionId: versions[0] }).url, { method: 'DELETE' });
    assert.equal(remove.status, 204);
    assert.equal(remove.headers.get('x-amz-version-id'), versions[0]);
    await expectError(await fetch(presignUrl({ ...base, credentials: ROOT_CREDENTIALS, versionId: versions[0] }).url), 404, 'NoSuchVersion');
    assert.equal(await (await fetch(presignUrl({ ...base, credentials: ROOT_CREDENTIALS, versionId: versions[1] }).url)).text(), 'second version');
  });
});
