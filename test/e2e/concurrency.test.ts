import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { nodeCrypto } from '../../src/sigv4/node-crypto.js';
import { presign } from '../../src/sigv4/sign.js';
import { integrityProblems, readDiskState } from '../helpers/disk-state.js';
import '../helpers/sdk-js.js';
import { ROOT_CREDENTIALS } from '../helpers/server.js';
import { serverWithBucket } from '../helpers/server-with-bucket.js';

const BUCKET = 'concurrency-e2e';
const WRITERS = 32;
const ROUNDS = 3;
const READERS = 4;
const BODY_SIZE = 256 * 1024;

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const md5 = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('hex');

const live = serverWithBucket(BUCKET);

test(`${WRITERS} writers to one key, ${READERS} readers in a loop: every GET is exactly one written body`, async (t) => {
  const key = 'contended';
  const initial = randomBytes(BODY_SIZE);
  const known = new Set([sha256(initial)]);
  await live.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: initial }));

  let writing = true;
  let reads = 0;
  const distinct = new Set<string>();
  const reader = async (): Promise<void> => {
    while (writing) {
      const got = await live.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      const body = await got.Body!.transformToByteArray();
      const hash = sha256(body);
      assert.ok(known.has(hash), `a GET returned ${body.length} bytes that no writer sent whole`);
      // The headers belong to the same version as the bytes.
      assert.equal(got.ETag, `"${md5(body)}"`);
      assert.equal(got.ContentLength, body.length);
      distinct.add(hash);
      reads++;
    }
  };
  const readers = Array.from({ length: READERS }, reader);

  try {
    for (let round = 0; round < ROUNDS; round++) {
      const bodies = Array.from({ length: WRITERS }, () => randomBytes(BODY_SIZE));
      for (const body of bodies) known.add(sha256(body));
      const results = await Promise.all(bodies.map((body) => live.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }))));
      results.forEach((r, i) => assert.equal(r.ETag, `"${md5(bodies[i]!)}"`));
      const final = await live.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      const finalHash = sha256(await final.Body!.transformToByteArray());
      assert.ok(bodies.some((b) => sha256(b) === finalHash), `round ${round}: the key holds one of this round's bodies`);
    }
  } finally {
    writing = false;
    await Promise.all(readers);
  }
  t.diagnostic(`${reads} reads saw ${distinct.size} distinct versions`);
  assert.ok(reads >= READERS, 'the readers really read');
  assert.ok(distinct.size > 1, 'the readers saw the key change under them');
  // Every replaced version's blob is gone, the one left is whole.
  assert.deepEqual(integrityProblems(readDiskState(live.server.dataDir), { expectCleanTemp: true, expectNoOrphans: true }), []);
});

/** A GET read a piece at a time, so the server is still streaming the file when the test acts. */
function slowGet(key: string): { firstBytes: Promise<void>; done: Promise<{ status: number; body: Buffer }> } {
  const url = new URL(
    presign({ method: 'GET', url: `${live.server.endpoint}/${BUCKET}/${key}`, credentials: ROOT_CREDENTIALS, region: live.server.region, now: Date.now(), expiresIn: 300, crypto: nodeCrypto }).url,
  );
  let gotFirst: () => void = () => undefined;
  const firstBytes = new Promise<void>((resolve) => (gotFirst = resolve));
  const done = new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, agent: false }, (res) => {
      const parts: Buffer[] = [];
      void (async () => {
        for await (const chunk of res) {
          parts.push(chunk as Buffer);
          if (parts.length === 1) gotFirst();
          await sleep(2);
        }
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts) });
      })().catch(reject);
    });
    req.on('error', reject);
    req.end();
  });
  return { firstBytes, done };
}

test('a DELETE or a replace during a slow GET lets the GET finish with the old bytes', async () => {
  for (const action of ['delete', 'replace'] as const) {
    const key = `slow-${action}`;
    const old = randomBytes(24 * 1024 * 1024);
    await live.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: old }));
    const get = slowGet(key);
    await get.firstBytes;
    if (action === 'delete') {
      assert.equal((await live.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }))).$metadata.httpStatusCode, 204);
      await assert.rejects(live.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })), (e: { $metadata?: { httpStatusCode?: number } }) => e.$metadata?.httpStatusCode === 404);
    } else {
      const replacement = randomBytes(1000);
      await live.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: replacement }));
      assert.equal((await live.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).ContentLength, 1000);
    }
    const { status, body } = await get.done;
    assert.equal(status, 200);
    assert.equal(body.length, old.length, `${action}: the slow GET got every byte`);
    assert.ok(body.equals(old), `${action}: the slow GET got the old bytes`);
  }
  assert.deepEqual(integrityProblems(readDiskState(live.server.dataDir), { expectCleanTemp: true, expectNoOrphans: true }), []);
});
