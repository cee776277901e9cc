import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import {
  CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, DeleteObjectCommand, GetBucketTaggingCommand, GetObjectCommand,
  GetObjectTaggingCommand, ListMultipartUploadsCommand, ListObjectVersionsCommand, PutBucketTaggingCommand, PutBucketVersioningCommand, PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { adminCall, expectStatus, policyDocument, userWithPolicies, type CreatedKey } from '../helpers/admin-client.js';
import { run, s3Client } from '../helpers/clients.js';
import { expectS3Error, link } from '../helpers/links.js';
import { createTestDatabase, postgresSuiteOptions, type TestDatabase } from '../helpers/postgres.js';
import { startServer, type TestServer } from '../helpers/server.js';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const options = await postgresSuiteOptions();

function copy(from: string, to: string) {
  return run(process.execPath, ['--import', 'tsx', CLI, 'metadata', 'copy', '--from', from, '--to', to], { PATH: process.env['PATH'] });
}

async function body(server: TestServer, key: string, credentials?: CreatedKey['credentials']): Promise<Buffer> {
  const got = await s3Client(server, credentials).send(new GetObjectCommand({ Bucket: 'moving', Key: key }));
  return Buffer.from(await got.Body!.transformToByteArray());
}

describe('latchkey metadata copy --from sqlite:DATA_DIR --to postgres://…', options, () => {
  let dataDir: string;
  let database: TestDatabase;
  const objects = new Map<string, Buffer>([['inline.txt', randomBytes(100)], ['file.bin', randomBytes(300_000)]]);
  let alice: CreatedKey;
  let limited: string;
  let revoked: string;
  let server: TestServer | undefined;
  let port: number;
  const kept: string[] = [];

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'latchkey-copy-'));
    database = await createTestDatabase();
    const single = await startServer({ dataDir });
    const s3 = s3Client(single);
    await s3.send(new CreateBucketCommand({ Bucket: 'moving' }));
    for (const [key, bytes] of objects) await s3.send(new PutObjectCommand({ Bucket: 'moving', Key: key, Body: bytes, Tagging: `name=${key}` }));
    await s3.send(new PutBucketTaggingCommand({ Bucket: 'moving', Tagging: { TagSet: [{ Key: 'team', Value: 'moving' }] } }));
    const parts = [randomBytes(5 * 1024 * 1024), randomBytes(1000)];
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'moving', Key: 'multi.bin' }));
    const etags = [];
    for (const [i, part] of parts.entries()) {
      etags.push((await s3.send(new UploadPartCommand({ Bucket: 'moving', Key: 'multi.bin', UploadId, PartNumber: i + 1, Body: part }))).ETag);
    }
    await s3.send(new CompleteMultipartUploadCommand({
      Bucket: 'moving', Key: 'multi.bin', UploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
    }));
    objects.set('multi.bin', Buffer.concat(parts));
    // Versions move too: an older version (bytes in a file), the current one, and a delete marker on another key.
    await s3.send(new CreateBucketCommand({ Bucket: 'history' }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: 'history', VersioningConfiguration: { Status: 'Enabled' } }));
    for (const size of [200_000, 10]) kept.push((await s3.send(new PutObjectCommand({ Bucket: 'history', Key: 'doc', Body: randomBytes(size) }))).VersionId ?? '');
    await s3.send(new PutObjectCommand({ Bucket: 'history', Key: 'gone', Body: 'x' }));
    await s3.send(new DeleteObjectCommand({ Bucket: 'history', Key: 'gone' }));
    // An upload in progress moves too.
    await s3.send(new CreateMultipartUploadCommand({ Bucket: 'moving', Key: 'pending.bin' }));
    alice = await userWithPolicies(single, 'alice', {
      reader: policyDocument({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::moving/*' }),
    });
    limited = link(single, 'moving', 'inline.txt', { params: { 'X-Latchkey-Max-Uses': '2' }, expiresIn: 3600 });
    assert.equal((await fetch(limited)).status, 200);
    revoked = link(single, 'moving', 'file.bin', { expiresIn: 3600 });
    expectStatus(await adminCall(single, 'POST', '/links/revoke', { body: { url: revoked } }), 200);
    port = single.port;
    assert.equal(await single.stop(), 0);
  });

  after(async () => {
    await server?.stop();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('moves everything: a node on PostgreSQL with the same data dir serves every object, key and link as before', async () => {
    const copied = await copy(`sqlite:${dataDir}`, database.url);
    assert.equal(copied.code, 0, copied.stderr);
    const report = JSON.parse(copied.stdout) as { copied: Record<string, number> };
    assert.equal(report.copied['buckets'], 2);
    assert.equal(report.copied['bucket_tags'], 1);
    assert.equal(report.copied['objects'], 4);
    assert.equal(report.copied['object_versions'], 3);
    assert.equal(report.copied['bucket_versioning'], 1);
    assert.equal(report.copied['multipart_uploads'], 1);
    assert.equal(report.copied['users'], 1);
    assert.ok((report.copied['link_audit'] ?? 0) >= 1);

    // The same address: a pre-signed URL names its host.
    server = await startServer({ dataDir, args: ['--address', `127.0.0.1:${port}`, '--metadata', database.url, '--node-id', 'moved', '--no-console'] });
    const moved = server;
    for (const [key, bytes] of objects) assert.deepEqual(await body(moved, key), bytes, key);
    assert.deepEqual(await body(moved, 'inline.txt', alice.credentials), objects.get('inline.txt'), 'a user key moved with its sealed secret');
    assert.equal((await fetch(limited)).status, 200, 'the second of two uses');
    await expectS3Error(await fetch(limited), 403, 'AccessDenied', 'Link use limit reached');
    await expectS3Error(await fetch(revoked), 403, 'AccessDenied', 'Link revoked');
    const log = expectStatus(await adminCall<{ entries: { status: number }[] }>(moved, 'GET', '/links/log'), 200);
    assert.ok(log.entries.length >= 1, 'the audit log moved');
    const history = await s3Client(moved).send(new ListObjectVersionsCommand({ Bucket: 'history' }));
    assert.deepEqual(history.Versions?.filter((v) => v.Key === 'doc').map((v) => v.VersionId), [...kept].reverse());
    assert.deepEqual(history.DeleteMarkers?.map((m) => [m.Key, m.IsLatest]), [['gone', true]]);
    const old = await s3Client(moved).send(new GetObjectCommand({ Bucket: 'history', Key: 'doc', VersionId: kept[0] }));
    assert.equal((await old.Body!.transformToByteArray()).length, 200_000);
    for (const key of ['inline.txt', 'file.bin']) {
      const tags = await s3Client(moved).send(new GetObjectTaggingCommand({ Bucket: 'moving', Key: key }));
      assert.deepEqual(tags.TagSet, [{ Key: 'name', Value: key }], `${key}'s tags moved`);
    }
    const bucketTags = await s3Client(moved).send(new GetBucketTaggingCommand({ Bucket: 'moving' }));
    assert.deepEqual(bucketTags.TagSet, [{ Key: 'team', Value: 'moving' }]);
    const uploads = await s3Client(moved).send(new ListMultipartUploadsCommand({ Bucket: 'moving' }));
    assert.deepEqual(uploads.Uploads?.map((u) => u.Key), ['pending.bin']);
  });

  it('refuses to copy into a database that is not empty', async () => {
    const again = await copy(`sqlite:${dataDir}`, database.url);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /not empty/);
  });

  it('refuses a data dir without a metadata database, and a bad --from or --to', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'latchkey-copy-empty-'));
    try {
      const missing = await copy(`sqlite:${empty}`, database.url);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /no metadata database/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
    assert.equal((await copy(dataDir, database.url)).code, 2);
    assert.equal((await copy(`sqlite:${dataDir}`, 'mysql://x')).code, 2);
  });
});
