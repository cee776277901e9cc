import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AbortMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, DeleteBucketCommand, DeleteObjectCommand, DeleteObjectsCommand,
  GetObjectCommand, PutObjectCommand, UploadPartCommand, type S3Client, type S3ServiceException,
} from '@aws-sdk/client-s3';
import { freeBytes } from '../../src/server/disk-space.js';
import { parseS3Error } from '../helpers/e2e-http.js';
import { s3Client } from '../helpers/clients.js';
import { snapshotDisk } from '../helpers/e2e-disk.js';
import { link } from '../helpers/links.js';
import '../helpers/sdk-js.js';
import { ROOT_CREDENTIALS, startServer, type TestServer } from '../helpers/server.js';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const BUCKET = 'full';
const MiB = 1024 * 1024;
const MIN_FREE = 8 * MiB;
const ARGS = ['--min-free', '8MiB', '--no-console'];

const md5 = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('hex');

/** A tmpfs of `size` for one test (the tests run as root); unmount() also removes the mount point. */
function mountTmpfs(size: string): { readonly dir: string; unmount(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  return {
    dir,
    unmount() {
      execFileSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function expect507(attempt: Promise<unknown>, what: string): Promise<void> {
  await assert.rejects(attempt, (error: S3ServiceException) => {
    assert.equal(error.$metadata.httpStatusCode, 507, what);
    assert.equal(error.name, 'InsufficientStorage', what);
    assert.equal(error.message, 'There is not enough free space on the server to store this object', what);
    return true;
  });
}

async function readsBack(client: S3Client, acknowledged: ReadonlyMap<string, string>): Promise<void> {
  for (const [key, digest] of acknowledged) {
    const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    assert.equal(md5(await got.Body!.transformToByteArray()), digest, `${key} reads back intact`);
  }
}

/** A browser-style form upload announcing `length` bytes with Expect: 100-continue: what the server answers, and whether it asked for the body. */
function formUpload(server: TestServer, length: number): Promise<{ status: number; code: string | undefined; continued: boolean }> {
  const { hostname, port } = new URL(server.endpoint);
  return new Promise((resolve, reject) => {
    let continued = false;
    const req = request({
      host: hostname, port, method: 'POST', path: `/${BUCKET}`,
      headers: { 'content-type': 'multipart/form-data; boundary=x', 'content-length': String(length), expect: '100-continue' },
    });
    req.once('continue', () => (continued = true));
    req.once('response', (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, code: parseS3Error(body).code, continued }));
    });
    req.once('error', reject);
    req.flushHeaders();
  });
}

function linkLog(server: TestServer): Promise<Array<{ method: string; key: string | null; status: number }>> {
  const env = {
    PATH: process.env['PATH'], HOME: server.dataDir, LATCHKEY_ENDPOINT: server.endpoint,
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent', AWS_CONFIG_FILE: '/nonexistent',
    AWS_ACCESS_KEY_ID: ROOT_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: ROOT_CREDENTIALS.secretAccessKey,
  };
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', CLI, 'link', 'log', '--json'], { env, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`latchkey link log: ${stderr}`));
      else resolve(JSON.parse(stdout) as Array<{ method: string; key: string | null; status: number }>);
    });
  });
}

test('on a full 64 MiB tmpfs: 507 before anything is stored, deletes always work and free space at once, link audit survives a restart', async () => {
  const mount = mountTmpfs('64m');
  const dataDir = join(mount.dir, 'data');
  let server: TestServer | undefined;
  let client: S3Client | undefined;
  try {
    server = await startServer({ dataDir, args: ARGS });
    client = s3Client(server);
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await client.send(new CreateBucketCommand({ Bucket: 'empty-one' }));
    const upload = await client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'pending-multipart' }));
    await client.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'pending-multipart', UploadId: upload.UploadId, PartNumber: 1, Body: randomBytes(5 * MiB) }));

    // Fill it: 3 MiB objects until the reserve would be touched.
    const acknowledged = new Map<string, string>();
    let refused: unknown;
    for (let i = 0; i < 40 && refused === undefined; i++) {
      const body = randomBytes(3 * MiB);
      try {
        await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `fill-${i}`, Body: body }));
        acknowledged.set(`fill-${i}`, md5(body));
      } catch (error) {
        refused = error;
      }
    }
    assert.ok(refused !== undefined, 'the disk filled up');
    assert.equal((refused as S3ServiceException).$metadata.httpStatusCode, 507, (refused as Error).message);
    assert.ok(acknowledged.size >= 10, `most of the disk was used first (${acknowledged.size} objects)`);
    assert.ok((await freeBytes(mount.dir)) >= MIN_FREE - 3 * MiB, 'the reserve is (nearly) intact: the refusal came before the body');

    // Refused writes, of every kind, leave nothing behind.
    const before = snapshotDisk(dataDir);
    await expect507(client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'too-much', Body: randomBytes(4 * MiB) })), 'PutObject');
    await expect507(client.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'pending-multipart', UploadId: upload.UploadId, PartNumber: 2, Body: randomBytes(6 * MiB) })), 'UploadPart');
    assert.deepEqual(await formUpload(server, 4 * MiB), { status: 507, code: 'InsufficientStorage', continued: false }, 'POST upload, refused before its form is read');
    assert.deepEqual(snapshotDisk(dataDir), before, 'no row, blob or temp file from the refused writes');
    assert.deepEqual(readdirSync(join(dataDir, 'tmp')), []);

    // Pre-signed GETs while full are audited.
    const audited = [...acknowledged.keys()].slice(0, 3);
    for (const key of audited) assert.equal((await fetch(link(server, BUCKET, key))).status, 200);

    // Every kind of delete works while full.
    const [first, second, third] = [...acknowledged.keys()];
    await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: first! }));
    await client.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: second! }, { Key: third! }] } }));
    await client.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: 'pending-multipart', UploadId: upload.UploadId }));
    await client.send(new DeleteBucketCommand({ Bucket: 'empty-one' }));
    for (const key of [first, second, third]) acknowledged.delete(key!);

    // ...and the space is usable at once.
    const body = randomBytes(6 * MiB);
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'after-delete', Body: body }));
    acknowledged.set('after-delete', md5(body));
    for (let i = 0; ; i++) {
      const more = randomBytes(3 * MiB);
      try {
        await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `refill-${i}`, Body: more }));
        acknowledged.set(`refill-${i}`, md5(more));
      } catch (error) {
        assert.equal((error as S3ServiceException).$metadata.httpStatusCode, 507, 'full again');
        break;
      }
    }

    // A restart on the full disk starts, then serves reads and deletes; the audited GETs are there.
    client.destroy();
    assert.equal(await server.stop(), 0);
    server = await startServer({ dataDir, args: ARGS });
    client = s3Client(server);
    const logged = await linkLog(server);
    for (const key of audited) assert.ok(logged.some((e) => e.method === 'GET' && e.key === key && e.status === 200), `GET ${key} is in link log`);
    await readsBack(client, acknowledged);
    await expect507(client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'still-full', Body: randomBytes(4 * MiB) })), 'after restart');
    await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'after-delete' }));
    acknowledged.delete('after-delete');
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'after-restart', Body: body }));
    acknowledged.set('after-restart', md5(body));
    await readsBack(client, acknowledged);
  } finally {
    client?.destroy();
    await server?.stop();
    mount.unmount();
  }
});

test('a write that meets the end of the disk (reserve off, or another process filled it) answers 507 and leaves nothing behind', async () => {
  const mount = mountTmpfs('32m');
  const dataDir = join(mount.dir, 'data');
  let server: TestServer | undefined;
  let client: S3Client | undefined;
  try {
    server = await startServer({ dataDir, args: ['--min-free', '0', '--no-console'] });
    client = s3Client(server);
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const acknowledged = new Map<string, string>();
    for (let i = 0; ; i++) {
      assert.ok(i < 20, 'the disk filled up');
      const before = snapshotDisk(dataDir);
      const body = randomBytes(3 * MiB);
      try {
        await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `fill-${i}`, Body: body }));
        acknowledged.set(`fill-${i}`, md5(body));
      } catch (error) {
        assert.equal((error as S3ServiceException).$metadata.httpStatusCode, 507, (error as Error).message);
        assert.equal((error as S3ServiceException).name, 'InsufficientStorage');
        assert.deepEqual(snapshotDisk(dataDir), before, 'the write that ran out of space left no row, blob or temp file');
        break;
      }
    }
    await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'fill-0' }));
    acknowledged.delete('fill-0');
    const body = randomBytes(2 * MiB);
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'after-delete', Body: body }));
    acknowledged.set('after-delete', md5(body));
    await readsBack(client, acknowledged);
  } finally {
    client?.destroy();
    await server?.stop();
    mount.unmount();
  }
});
