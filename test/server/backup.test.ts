import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, DeleteObjectCommand, GetObjectCommand,
  ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand, UploadPartCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { policyDocument, userWithPolicies } from '../helpers/admin-client.js';
import { run, s3Client, type RunResult, type TestCredentials } from '../helpers/clients.js';
import { link } from '../helpers/links.js';
import { startServer, type TestServer } from '../helpers/server.js';

const CLI = new URL('../../src/cli.ts', import.meta.url).pathname;
const latchkey = (args: readonly string[]): Promise<RunResult> => run(process.execPath, ['--import', 'tsx', CLI, ...args], process.env, undefined, 120_000);
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

let root: string;
let original: TestServer;
let client: S3Client;
let reader: TestCredentials;
/** Objects acknowledged before the backup started: key → sha256. */
const acknowledged = new Map<string, string>();
const links: Array<{ url: string; digest: string }> = [];
let uploadInProgress = '';
let opsDuringBackup = 0;
let backup: RunResult;

/** A churned object's body names its key and version, so a restored one can be checked whole without knowing which version it is. */
const churnBody = (key: string, version: number) => Buffer.from(`${key}#${version}#`.repeat(200 + (version % 5) * 2000));
function churnBodyIsWhole(key: string, body: string): boolean {
  const m = new RegExp(`^${key}#(\\d+)#`).exec(body);
  return m !== null && body === churnBody(key, Number(m[1])).toString();
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'latchkey-backup-'));
  const dataDir = join(root, 'data');
  original = await startServer({ dataDir });
  client = s3Client(original);
  await client.send(new CreateBucketCommand({ Bucket: 'vault' }));
  // Small objects live inline in the database, larger ones in blob files, a multipart object in several.
  const sizes = [0, 1, 1000, 60_000, 70_000, 200_000, 1_500_000];
  for (let i = 0; i < 21; i++) {
    const body = randomBytes(sizes[i % sizes.length] ?? 1);
    await client.send(new PutObjectCommand({ Bucket: 'vault', Key: `seed/${i}.bin`, Body: body }));
    acknowledged.set(`seed/${i}.bin`, sha(body));
  }
  const parts = [randomBytes(5 * 1024 * 1024), randomBytes(300_000)];
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: 'vault', Key: 'seed/multipart.bin' }));
  const etags = [];
  for (const [i, part] of parts.entries()) etags.push((await client.send(new UploadPartCommand({ Bucket: 'vault', Key: 'seed/multipart.bin', UploadId, PartNumber: i + 1, Body: part }))).ETag);
  await client.send(new CompleteMultipartUploadCommand({ Bucket: 'vault', Key: 'seed/multipart.bin', UploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) } }));
  acknowledged.set('seed/multipart.bin', sha(Buffer.concat(parts)));
  const pending = await client.send(new CreateMultipartUploadCommand({ Bucket: 'vault', Key: 'seed/pending.bin' }));
  uploadInProgress = pending.UploadId ?? '';
  await client.send(new UploadPartCommand({ Bucket: 'vault', Key: 'seed/pending.bin', UploadId: uploadInProgress, PartNumber: 1, Body: randomBytes(100_000) }));
  reader = (await userWithPolicies(original, 'reader', { read: policyDocument({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::vault/*' }) })).credentials;
  links.push({ url: link(original, 'vault', 'seed/5.bin'), digest: acknowledged.get('seed/5.bin') ?? '' });
  links.push({ url: link(original, 'vault', 'seed/2.bin', { credentials: reader }), digest: acknowledged.get('seed/2.bin') ?? '' });

  // A steady stream of PUTs (new keys and overwrites) and DELETEs for as long as the backup runs.
  let backupRunning = true;
  let version = 0;
  const load = (async () => {
    for (let i = 0; backupRunning && i < 20_000; i++) {
      const key = `churn/${i % 40}`;
      if (i % 3 === 2) await client.send(new DeleteObjectCommand({ Bucket: 'vault', Key: key }));
      else await client.send(new PutObjectCommand({ Bucket: 'vault', Key: key, Body: churnBody(key, version++) }));
      opsDuringBackup++;
    }
  })();
  await new Promise((resolve) => setTimeout(resolve, 300));
  opsDuringBackup = 0;
  backup = await latchkey(['backup', '--data', dataDir, '--to', join(root, 'backup')]);
  backupRunning = false;
  await load;
  client.destroy();
  await original.stop();
});
after(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('latchkey backup and restore', () => {
  it('backs up a running store under a stream of PUTs and DELETEs', () => {
    assert.equal(backup.code, 0, backup.stderr);
    assert.match(backup.stdout, /^backed up .* to .*backup: \d+ objects, \d+ blob files \(\d+ bytes\)\n$/);
    assert.ok(opsDuringBackup > 0, 'writes went on while the backup ran');
    assert.ok(readdirSync(join(root, 'backup')).includes('latchkey-backup.json'));
    // No staging links are left in the data dir.
    assert.deepEqual(readdirSync(join(root, 'data')).filter((n) => n.startsWith('backup-staging-')), []);
  });

  it('restores into an empty dir; a server there has every acknowledged object byte for byte, the user, the upload in progress, and old links work', async () => {
    const restoredDir = join(root, 'restored');
    const restore = await latchkey(['restore', '--from', join(root, 'backup'), '--data', restoredDir]);
    assert.equal(restore.code, 0, restore.stderr);
    // Same port, so links signed for the original host verify here.
    const restored = await startServer({ dataDir: restoredDir, args: ['--address', `127.0.0.1:${original.port}`] });
    const restoredClient = s3Client(restored);
    try {
      for (const [key, digest] of acknowledged) {
        const got = await restoredClient.send(new GetObjectCommand({ Bucket: 'vault', Key: key }));
        assert.equal(sha((await got.Body?.transformToByteArray()) ?? new Uint8Array()), digest, key);
      }
      for (const { url, digest } of links) {
        const response = await fetch(url);
        assert.equal(response.status, 200, url);
        assert.equal(sha(new Uint8Array(await response.arrayBuffer())), digest);
      }
      const readerClient = s3Client(restored, reader);
      const got = await readerClient.send(new GetObjectCommand({ Bucket: 'vault', Key: 'seed/3.bin' }));
      assert.equal(sha((await got.Body?.transformToByteArray()) ?? new Uint8Array()), acknowledged.get('seed/3.bin'));
      readerClient.destroy();
      const uploads = await restoredClient.send(new ListMultipartUploadsCommand({ Bucket: 'vault' }));
      assert.deepEqual(uploads.Uploads?.map((u) => u.UploadId), [uploadInProgress]);
      // Nothing torn: every churned object the backup holds reads back whole.
      const listed = await restoredClient.send(new ListObjectsV2Command({ Bucket: 'vault', Prefix: 'churn/' }));
      for (const { Key } of listed.Contents ?? []) {
        const body = await (await restoredClient.send(new GetObjectCommand({ Bucket: 'vault', Key }))).Body?.transformToString();
        assert.ok(churnBodyIsWhole(Key ?? '', body ?? ''), `${Key} is whole`);
      }
    } finally {
      restoredClient.destroy();
      await restored.stop();
    }
  });

  it('refuses a target that is not empty, and a backup dir that is not empty, changing neither', async () => {
    const busy = join(root, 'busy');
    mkdirSync(busy);
    writeFileSync(join(busy, 'keep.txt'), 'mine');
    const restore = await latchkey(['restore', '--from', join(root, 'backup'), '--data', busy]);
    assert.equal(restore.code, 1);
    assert.match(restore.stderr, /the target data dir .*busy is not empty/);
    const again = await latchkey(['backup', '--data', join(root, 'restored'), '--to', busy]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /the backup directory .*busy is not empty/);
    assert.deepEqual(readdirSync(busy), ['keep.txt']);
  });

  it('refuses to restore from a directory that is not a finished backup', async () => {
    const result = await latchkey(['restore', '--from', join(root, 'data'), '--data', join(root, 'never')]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /is not a finished Latchkey backup/);
  });

  it('says to use PostgreSQL tools for a store on PostgreSQL, and shows its usage', async () => {
    const result = await latchkey(['backup', '--metadata', 'postgres://latchkey@127.0.0.1/latchkey', '--to', join(root, 'pg')]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /PostgreSQL's own tools \(pg_dump/);
    const missing = await latchkey(['backup', '--data', join(root, 'data')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /missing --to BACKUP_DIR; usage: latchkey backup --data DIR --to BACKUP_DIR/);
  });
});
