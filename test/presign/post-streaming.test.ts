import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { CreateBucketCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { presignPost } from '../../src/index.js';
import { s3Client } from '../helpers/clients.js';
import { multipartBody, xmlField } from '../helpers/post-form.js';
import '../helpers/sdk-js.js';
import { ROOT_CREDENTIALS, startServer, type TestServer } from '../helpers/server.js';

const BUCKET = 'post-streaming';
const MIB = 1024 * 1024;
const FILE_SIZE = 64 * MIB;
const CHUNK = 256 * 1024;

let server: TestServer;
let client: S3Client;

before(async () => {
  // A small young generation makes the server free consumed chunks promptly, so peak RSS reflects
  // what it actually holds rather than garbage V8 has not yet got round to collecting.
  server = await startServer({ env: { NODE_OPTIONS: '--max-semi-space-size=1' } });
  client = s3Client(server);
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
after(async () => {
  client?.destroy();
  await server?.stop();
});

/** The server process's peak resident memory so far, in bytes (Linux). */
function peakRss(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m, 'VmHWM in /proc/PID/status');
  return Number(m[1]) * 1024;
}

/** Posts the form with the file generated chunk by chunk: the test never holds the whole body either. */
function streamUpload(fields: Record<string, string>, size: number): Promise<{ status: number; text: string; sha256: string }> {
  const { body: head, contentType } = multipartBody(Object.entries(fields), { content: '', filename: 'big.bin' });
  const boundary = contentType.split('boundary=')[1] ?? '';
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  // multipartBody wrote the (empty) file part followed by "\r\n--boundary--\r\n": cut that tail, stream the bytes, re-add it.
  const prefix = head.subarray(0, head.length - tail.length);
  const hash = createHash('sha256');
  return new Promise((resolve, reject) => {
    const req = request(`${server.endpoint}/${BUCKET}`, {
      method: 'POST',
      headers: { 'content-type': contentType, 'content-length': String(prefix.length + size + tail.length) },
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString(), sha256: hash.digest('hex') }));
    });
    req.on('error', reject);
    req.write(prefix);
    let sent = 0;
    const pump = () => {
      while (sent < size) {
        const chunk = randomBytes(Math.min(CHUNK, size - sent));
        sent += chunk.length;
        hash.update(chunk);
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end(tail);
    };
    pump();
  });
}

test('a 64 MiB form upload streams to disk: the server never holds the file in memory', async () => {
  const post = presignPost({
    endpoint: server.endpoint,
    bucket: BUCKET,
    keyPrefix: 'big/',
    expiresIn: 600,
    credentials: ROOT_CREDENTIALS,
    contentLengthRange: [1, 128 * MIB],
    successActionStatus: 201,
  });
  // Warm up every code path first, so the measurement sees the upload and not module loading.
  const warm = await streamUpload(post.fields, 64 * 1024);
  assert.equal(warm.status, 201, warm.text);
  const pid = server.process.pid ?? 0;
  const before = peakRss(pid);

  const sent = await streamUpload(post.fields, FILE_SIZE);
  assert.equal(sent.status, 201, sent.text);
  assert.equal(xmlField(sent.text, 'Key'), 'big/big.bin');
  const growth = peakRss(pid) - before;
  // Streaming measures 10-16 MiB here, not growing with the file (the same as a plain PUT: chunks V8 has not collected yet); holding the file would be 64+.
  assert.ok(growth < FILE_SIZE / 2, `peak RSS grew by ${(growth / MIB).toFixed(1)} MiB for a ${FILE_SIZE / MIB} MiB upload`);

  const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'big/big.bin', ChecksumMode: 'ENABLED' }));
  assert.equal(head.ContentLength, FILE_SIZE);
  const stored = createHash('sha256');
  const got = await fetch(
    (await import('../../src/index.js')).presignUrl({ endpoint: server.endpoint, bucket: BUCKET, key: 'big/big.bin', expiresIn: 60, credentials: ROOT_CREDENTIALS }).url,
  );
  for await (const chunk of got.body ?? []) stored.update(chunk as Uint8Array);
  assert.equal(stored.digest('hex'), sent.sha256, 'the stored bytes are the uploaded bytes');
});
