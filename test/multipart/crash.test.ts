import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, GetObjectCommand, PutObjectCommand,
  UploadPartCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { s3Client } from '../helpers/clients.js';
import { multipartProblems, readMultipartDisk } from '../helpers/multipart-disk.js';
import { startServer, type TestServer } from '../helpers/server.js';

const MiB = 1024 * 1024;
const BUCKET = 'multipart-crash';
const KEY = 'video.bin';
const ROUNDS = 8;

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Uploads `parts` as a multipart upload of KEY and completes it; `onCompleting` fires just before the completion is sent. */
async function multipartPut(client: S3Client, parts: readonly Buffer[], onCompleting: () => void = () => undefined): Promise<void> {
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: KEY }));
  const etags = await Promise.all(parts.map(async (Body, i) => (await client.send(new UploadPartCommand({ Bucket: BUCKET, Key: KEY, UploadId, PartNumber: i + 1, Body }))).ETag!));
  onCompleting();
  await client.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: KEY, UploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) } }));
}

test('completion racing abort: exactly one wins, and nothing is left behind', async () => {
  const server = await startServer();
  const client = s3Client(server);
  try {
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const outcomes = { completed: 0, aborted: 0 };
    for (let round = 0; round < 16; round++) {
      const key = `race-${round}`;
      const body = randomBytes(randomInt(1, 64 * 1024));
      const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
      const { ETag } = await client.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 1, Body: body }));
      const [completed, aborted] = await Promise.allSettled([
        client.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId, MultipartUpload: { Parts: [{ ETag, PartNumber: 1 }] } })),
        (async () => {
          await sleep(randomInt(0, 3));
          return client.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId }));
        })(),
      ]);
      assert.equal([completed, aborted].filter((r) => r.status === 'fulfilled').length, 1, `round ${round}: exactly one outcome`);
      const loser = completed.status === 'rejected' ? completed : aborted.status === 'rejected' ? aborted : undefined;
      assert.equal((loser?.reason as Error | undefined)?.name, 'NoSuchUpload');
      const got = client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      if (completed.status === 'fulfilled') {
        outcomes.completed++;
        assert.equal(sha256(await (await got).Body!.transformToByteArray()), sha256(body));
      } else {
        outcomes.aborted++;
        await assert.rejects(got, { name: 'NoSuchKey' });
      }
    }
    const disk = readMultipartDisk(server.dataDir);
    assert.deepEqual(multipartProblems(disk, { expectNoOrphans: true }), []);
    assert.equal(disk.uploads, 0);
    assert.equal(disk.blobs.size, outcomes.completed);
  } finally {
    client.destroy();
    await server.stop();
  }
});

test(`SIGKILL during part uploads and during completion, ${ROUNDS} rounds: the object is old or whole, never partial; the sweep leaves no orphans`, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-mp-crash-'));
  const versions = new Set<string>();
  let server: TestServer | undefined;
  let current = '';
  const seen = { old: 0, replaced: 0 };
  try {
    server = await startServer({ dataDir });
    let client = s3Client(server);
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const initial = randomBytes(3 * MiB);
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: initial }));
    current = sha256(initial);
    versions.add(current);
    // How long parts take here, so kills land in the middle of them.
    const probeStarted = performance.now();
    const probe = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(MiB)];
    await multipartPut(client, probe);
    const roundMs = performance.now() - probeStarted;
    current = sha256(Buffer.concat(probe));
    versions.add(current);
    client.destroy();

    for (let round = 0; round < ROUNDS; round++) {
      client = s3Client(server);
      const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(randomInt(1, MiB))];
      const next = sha256(Buffer.concat(parts));
      versions.add(next);
      const duringCompletion = round % 2 === 1;
      let kill: Promise<void> | undefined;
      const running = server;
      const put = multipartPut(client, parts, () => {
        if (duringCompletion) kill = sleep(randomInt(0, 4)).then(() => running.kill());
      }).catch(() => undefined);
      if (!duringCompletion) kill = sleep(randomInt(0, Math.max(1, Math.round(roundMs * 0.9)))).then(() => running.kill());
      await put;
      await (kill ?? running.kill());
      client.destroy();

      server = await startServer({ dataDir });
      const disk = readMultipartDisk(dataDir);
      assert.deepEqual(multipartProblems(disk, { expectNoOrphans: true }), [], `round ${round}: after restart`);
      assert.deepEqual(disk.temp, []);
      client = s3Client(server);
      const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: KEY }));
      const body = sha256(await got.Body!.transformToByteArray());
      assert.ok(body === current || body === next, `round ${round}: ${KEY} holds bytes that were never written whole`);
      if (body === next) seen.replaced++;
      else seen.old++;
      current = body;
      client.destroy();
    }
    await server.stop();

    // Uploads cut off by the kills are still open; an expiry of one second sweeps them.
    server = await startServer({ dataDir, args: ['--multipart-expiry', '1s'] });
    // The sweep commits first and unlinks after, so wait for both.
    let disk = readMultipartDisk(dataDir);
    const settled = () => disk.uploads === 0 && multipartProblems(disk, { expectNoOrphans: true }).length === 0;
    for (let waited = 0; !settled() && waited < 10_000; waited += 100) {
      await sleep(100);
      disk = readMultipartDisk(dataDir);
    }
    assert.equal(disk.uploads, 0);
    assert.equal(disk.uploadParts, 0);
    assert.deepEqual(multipartProblems(disk, { expectNoOrphans: true }), []);
    client = s3Client(server);
    const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: KEY }));
    assert.equal(sha256(await got.Body!.transformToByteArray()), current);
    client.destroy();
    // Both outcomes happened at least once over the rounds (kills before and after the commit).
    assert.ok(seen.old > 0, `no round kept the old object: ${JSON.stringify(seen)}`);
  } finally {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
