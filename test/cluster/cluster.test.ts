import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { Agent, request } from 'node:http';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import {
  CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, GetObjectCommand, PutBucketPolicyCommand,
  PutObjectCommand, UploadPartCommand,
} from '@aws-sdk/client-s3';
import postgres from 'postgres';
import { adminCall, createKey, createUser, expectStatus, policyDocument } from '../helpers/admin-client.js';
import { s3Client } from '../helpers/clients.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { expectS3Error, link } from '../helpers/links.js';
import { NGINX_MISSING } from '../helpers/nginx.js';
import { postgresSuiteOptions } from '../helpers/postgres.js';
import { ROOT_CREDENTIALS, startServer, type TestServer } from '../helpers/server.js';

const pgOptions = await postgresSuiteOptions();
const options = NGINX_MISSING ? { skip: NGINX_MISSING } : pgOptions;

const md5 = (bytes: Uint8Array) => createHash('md5').update(bytes).digest('hex');

async function bodyOf(server: TestServer, bucket: string, key: string): Promise<Buffer> {
  const got = await s3Client(server).send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await got.Body!.transformToByteArray());
}

/** Blob files on disk, by id. */
function blobFiles(dataDir: string): Set<string> {
  const dir = join(dataDir, 'blobs');
  const ids = new Set<string>();
  if (!existsSync(dir)) return ids;
  for (const fan of readdirSync(dir)) for (const name of readdirSync(join(dir, fan))) ids.add(name);
  return ids;
}

/** Blob ids the database references (objects, parts of objects and of uploads), and those still waiting out their grace. */
async function referencedBlobs(cluster: TestCluster): Promise<{ live: Set<string>; waiting: Set<string> }> {
  const sql = postgres(cluster.database.url, { max: 1, onnotice: () => undefined });
  try {
    const live = await sql<{ blob_id: string }[]>`
      SELECT blob_id FROM objects WHERE NOT stored_inline UNION SELECT blob_id FROM object_parts UNION SELECT blob_id FROM upload_parts`;
    const waiting = await sql<{ blob_id: string }[]>`SELECT blob_id FROM freed_blobs`;
    return { live: new Set(live.map((r) => r.blob_id)), waiting: new Set(waiting.map((r) => r.blob_id)) };
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** Sockets open at once through nginx in the max-uses test. */
const SOCKETS = 256;

function statusOf(url: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, { agent }, (res) => {
      res.resume().once('end', () => resolve(res.statusCode ?? 0));
    }).once('error', reject).end();
  });
}

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

/** The real `latchkey` command against one node, as root, with --json. */
function latchkeyJson<T>(node: TestServer, args: readonly string[]): Promise<T> {
  const env = { PATH: process.env['PATH'], HOME: node.dataDir, LATCHKEY_ENDPOINT: node.endpoint, AWS_ACCESS_KEY_ID: ROOT_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: ROOT_CREDENTIALS.secretAccessKey };
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', CLI, ...args, '--json'], { env, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`latchkey ${args.join(' ')}: ${stderr}`));
      else resolve(JSON.parse(stdout) as T);
    });
  });
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('Three nodes on one PostgreSQL and one data dir, behind nginx', options, () => {
  let cluster: TestCluster;
  let n: TestServer[];
  before(async () => {
    cluster = await startCluster({ nodes: 3, args: ['--blob-grace', '3s'] });
    n = cluster.nodes;
    await s3Client(n[0]!).send(new CreateBucketCommand({ Bucket: 'shared' }));
  });
  after(async () => {
    await cluster?.stop();
  });

  it('refuses to start a second node with a node id already running', async () => {
    await assert.rejects(
      startServer({ dataDir: cluster.dataDir, args: ['--metadata', cluster.database.url, '--node-id', 'node1', '--no-console'], env: { LATCHKEY_MASTER_KEY: cluster.masterKey } }),
      /node id node1 is in use/,
    );
  });

  it('serves a PUT acknowledged by one node from the others on the next request: inline, file-backed and multipart', async () => {
    const small = randomBytes(1000);
    const large = randomBytes(1024 * 1024 + 7);
    await s3Client(n[0]!).send(new PutObjectCommand({ Bucket: 'shared', Key: 'small', Body: small }));
    assert.equal(md5(await bodyOf(n[1]!, 'shared', 'small')), md5(small));
    await s3Client(n[1]!).send(new PutObjectCommand({ Bucket: 'shared', Key: 'large', Body: large }));
    assert.equal(md5(await bodyOf(n[2]!, 'shared', 'large')), md5(large));
    // Replaced through another node: the next read anywhere is the new version.
    const next = randomBytes(2000);
    await s3Client(n[2]!).send(new PutObjectCommand({ Bucket: 'shared', Key: 'small', Body: next }));
    assert.equal(md5(await bodyOf(n[0]!, 'shared', 'small')), md5(next));

    // Parts sent to two nodes, completed on the third.
    const { UploadId } = await s3Client(n[0]!).send(new CreateMultipartUploadCommand({ Bucket: 'shared', Key: 'multi' }));
    const p1 = randomBytes(5 * 1024 * 1024);
    const p2 = randomBytes(123_456);
    const e1 = await s3Client(n[0]!).send(new UploadPartCommand({ Bucket: 'shared', Key: 'multi', UploadId, PartNumber: 1, Body: p1 }));
    const e2 = await s3Client(n[1]!).send(new UploadPartCommand({ Bucket: 'shared', Key: 'multi', UploadId, PartNumber: 2, Body: p2 }));
    await s3Client(n[2]!).send(new CompleteMultipartUploadCommand({
      Bucket: 'shared', Key: 'multi', UploadId,
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: e1.ETag }, { PartNumber: 2, ETag: e2.ETag }] },
    }));
    assert.equal(md5(await bodyOf(n[1]!, 'shared', 'multi')), md5(Buffer.concat([p1, p2])));
  });

  it('enforces a key created, disabled or removed, a user disabled, a bucket policy set, on every node at once', async () => {
    await createUser(n[0]!, 'carol');
    const key = await createKey(n[0]!, 'carol');
    // Created on node 0, refused for lack of permission (not as unknown) on node 1 at once.
    await expectS3Error(await fetch(link(n[1]!, 'shared', 'small', { credentials: key.credentials })), 403, 'AccessDenied');
    await s3Client(n[1]!).send(new PutBucketPolicyCommand({
      Bucket: 'shared',
      Policy: JSON.stringify(policyDocument({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::latchkey:user/carol' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::shared/*' })),
    }));
    const url = link(n[2]!, 'shared', 'large', { credentials: key.credentials });
    assert.equal((await fetch(url)).status, 200, 'bucket policy set on node 1 holds on node 2');
    expectStatus(await adminCall(n[0]!, 'POST', '/users/carol/disable'), 200);
    await expectS3Error(await fetch(url), 403, 'InvalidAccessKeyId');
    expectStatus(await adminCall(n[1]!, 'POST', '/users/carol/enable'), 200);
    assert.equal((await fetch(url)).status, 200);
    expectStatus(await adminCall(n[1]!, 'POST', `/access-keys/${key.credentials.accessKeyId}/disable`), 200);
    await expectS3Error(await fetch(url), 403, 'InvalidAccessKeyId');
    expectStatus(await adminCall(n[2]!, 'POST', `/access-keys/${key.credentials.accessKeyId}/enable`), 200);
    assert.equal((await fetch(url)).status, 200);
    expectStatus(await adminCall(n[0]!, 'DELETE', `/access-keys/${key.credentials.accessKeyId}`), 204);
    await expectS3Error(await fetch(url), 403, 'InvalidAccessKeyId');
  });

  it('a link revoked through one node is refused by the others on the next request', async () => {
    const url = link(cluster.balancer, 'shared', 'small');
    // Round robin: three requests reach all three nodes.
    for (let i = 0; i < 3; i++) assert.equal((await fetch(url)).status, 200);
    expectStatus(await adminCall(n[0]!, 'POST', '/links/revoke', { body: { url } }), 200);
    for (let i = 0; i < 3; i++) await expectS3Error(await fetch(url), 403, 'AccessDenied', 'Link revoked');
  });

  it('a max-uses link hit by 4K concurrent requests over three nodes succeeds exactly K times; link show says K; every attempt is audited', async () => {
    const K = 1000;
    const url = link(cluster.balancer, 'shared', 'small', { params: { 'X-Latchkey-Max-Uses': String(K) } });
    // Every request is made before any answer is counted; the agent sends them 256 at a time through nginx to the three nodes.
    const agent = new Agent({ keepAlive: true, maxSockets: SOCKETS });
    const statuses = await Promise.all(Array.from({ length: 4 * K }, () => statusOf(url, agent))).finally(() => agent.destroy());
    const counts = new Map<number, number>();
    for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
    const tally = JSON.stringify([...counts]);
    assert.equal(statuses.filter((s) => s === 200).length, K, tally);
    assert.equal(statuses.filter((s) => s !== 200 && s !== 403).length, 0, tally);

    const shown = await latchkeyJson<{ id: string; uses: number; maxUses: number }>(n[2]!, ['link', 'show', url]);
    assert.deepEqual([shown.uses, shown.maxUses], [K, K]);
    // Each node writes its audit records in batches (about once a second): wait until all three are in.
    let entries: { status: number }[] = [];
    await until('every attempt in the audit log', async () => {
      const log = expectStatus(await adminCall<{ entries: { status: number }[] }>(n[1]!, 'GET', `/links/log?link=${shown.id}&limit=10000`), 200);
      entries = log.entries;
      return entries.length >= 4 * K;
    });
    assert.equal(entries.length, 4 * K);
    assert.equal(entries.filter((e) => e.status === 200).length, K);
    assert.equal(entries.filter((e) => e.status === 403).length, 3 * K);
  });

  it('a large GET streaming from one node completes with the old bytes while another node replaces the object; the freed blob waits out the grace', async () => {
    const old = randomBytes(16 * 1024 * 1024);
    await s3Client(n[0]!).send(new PutObjectCommand({ Bucket: 'shared', Key: 'video', Body: old }));
    const oldBlobs = blobFiles(cluster.dataDir);
    const chunks: Buffer[] = [];
    const done = new Promise<void>((resolve, reject) => {
      request(link(n[0]!, 'shared', 'video'), (res) => {
        assert.equal(res.statusCode, 200);
        res.once('data', (first: Buffer) => {
          chunks.push(first);
          res.pause();
          // Replace through another node while this stream is paused, then read on.
          void s3Client(n[1]!).send(new PutObjectCommand({ Bucket: 'shared', Key: 'video', Body: randomBytes(1024 * 1024) })).then(() => {
            res.on('data', (c: Buffer) => chunks.push(c));
            res.once('end', resolve);
            res.resume();
          }, reject);
        });
        res.once('error', reject);
      }).on('error', reject).end();
    });
    await done;
    assert.equal(md5(Buffer.concat(chunks)), md5(old));
    const { live, waiting } = await referencedBlobs(cluster);
    const freed = [...oldBlobs].filter((id) => waiting.has(id));
    assert.equal(freed.length, 1, 'the old version is recorded as freed, not unlinked');
    assert.ok(existsSync(join(cluster.dataDir, 'blobs', freed[0]!.slice(0, 2), freed[0]!)));
    assert.ok(!live.has(freed[0]!));
    await until('the freed blob to be unlinked after the grace period', () => Promise.resolve(!blobFiles(cluster.dataDir).has(freed[0]!)));
  });

  it('kill -9 of a node in the middle of 8 MiB PUTs: others serve the old object or none, never a partial one; no orphans after its restart', async () => {
    const old = randomBytes(8 * 1024 * 1024);
    await s3Client(n[0]!).send(new PutObjectCommand({ Bucket: 'shared', Key: 'crash', Body: old }));
    const victim = n[2]!;
    const tmp = join(cluster.dataDir, 'tmp', 'node2');
    const put = (key: string) => new Promise<void>((resolve) => {
      const req = request(link(victim, 'shared', key, { method: 'PUT' }), { method: 'PUT', headers: { 'content-length': String(8 * 1024 * 1024) } });
      req.on('error', () => resolve());
      req.on('close', () => resolve());
      req.write(randomBytes(4 * 1024 * 1024));
    });
    const puts = [put('crash'), put('crash-new')];
    await until('both uploads to be half written on the node', () => Promise.resolve(readdirSync(tmp).length === 2));
    await victim.kill();
    await Promise.all(puts);
    assert.equal(md5(await bodyOf(n[1]!, 'shared', 'crash')), md5(old));
    await expectS3Error(await fetch(link(n[0]!, 'shared', 'crash-new')), 404, 'NoSuchKey');
    assert.equal(readdirSync(tmp).length, 2, 'the killed node left its temp files');
    await cluster.restart(2);
    n = cluster.nodes;
    assert.deepEqual(readdirSync(tmp), [], 'cleaned by their owner at its start');
    await until('every blob file to be referenced (orphans and freed blobs swept after the grace)', async () => {
      const { live } = await referencedBlobs(cluster);
      const files = blobFiles(cluster.dataDir);
      return [...files].every((id) => live.has(id));
    });
    const { live } = await referencedBlobs(cluster);
    const files = blobFiles(cluster.dataDir);
    for (const id of live) assert.ok(files.has(id), `row's blob ${id} is present`);
    assert.equal(md5(await bodyOf(n[2]!, 'shared', 'crash')), md5(old), 'the restarted node serves');
  });
});
