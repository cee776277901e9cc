import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { request, type ClientRequest } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateMultipartUploadCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { nodeCrypto } from '../../src/sigv4/node-crypto.js';
import { signRequest } from '../../src/sigv4/sign.js';
import { md5Hex } from '../helpers/e2e-http.js';
import { loggedLines, ROOT_CREDENTIALS } from '../helpers/server.js';
import { serverWithBucket } from '../helpers/server-with-bucket.js';

const BUCKET = 'slow-bodies';
const KiB = 1024;
const WINDOW_MS = 2000;

const s = serverWithBucket(BUCKET, { start: { args: ['--body-timeout', '2s'] } });

interface Upload {
  readonly req: ClientRequest;
  /** Resolves with the status, or with 'cut' when the server closed the connection before answering. */
  readonly outcome: Promise<number | 'cut'>;
}

/** A header-signed request (UNSIGNED-PAYLOAD) whose body the test writes itself, as slowly as it likes. */
function openUpload(method: string, path: string, contentLength: number, headers: Record<string, string> = {}): Upload {
  const url = `${s.server.endpoint}${path}`;
  const signed = signRequest({
    method, url, credentials: ROOT_CREDENTIALS, region: s.server.region, now: Date.now(), crypto: nodeCrypto, headers, payloadHash: 'UNSIGNED-PAYLOAD',
  });
  const { host: _host, ...signedHeaders } = signed.headers;
  const { hostname, port } = new URL(url);
  const req = request({ host: hostname, port, method, path, headers: { ...signedHeaders, 'content-length': String(contentLength) } });
  const outcome = new Promise<number | 'cut'>((resolve) => {
    req.once('response', (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('error', () => resolve('cut'));
  });
  return { req, outcome };
}

/** Writes one byte a second until the server ends it; how many bytes it took. */
async function trickle(upload: Upload): Promise<number> {
  let sent = 0;
  let done = false;
  void upload.outcome.then(() => (done = true));
  // A minute is far beyond the 2 s window: only the server can end this loop early.
  while (!done && sent < 60) {
    upload.req.write(Buffer.from('x'));
    sent++;
    await sleep(1000);
  }
  return sent;
}

async function tempFilesGone(): Promise<string[]> {
  const tmp = join(s.server.dataDir, 'tmp');
  for (let i = 0; i < 100 && readdirSync(tmp).length > 0; i++) await sleep(50);
  return readdirSync(tmp);
}

async function readBack(key: string): Promise<string> {
  const got = await s.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return md5Hex(Buffer.from(await got.Body!.transformToByteArray()));
}

test('a PUT announcing 1 GiB that sends 64 KiB and then a byte a second is cut within about two windows; the old object stays', async () => {
  const previous = randomBytes(200 * KiB);
  await s.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'video.mp4', Body: previous }));
  const upload = openUpload('PUT', `/${BUCKET}/video.mp4`, 1024 ** 3);
  upload.req.write(randomBytes(64 * KiB));
  await sleep(200);
  assert.equal(readdirSync(join(s.server.dataDir, 'tmp')).length, 1, 'the upload is being written to a temp file');
  const bytesTrickled = await trickle(upload);
  assert.equal(await upload.outcome, 'cut', 'the server closed the connection');
  // One check per quarter window: the first window after the fast start holds the 64 KiB, the next one only trickle.
  assert.ok(bytesTrickled <= (3 * WINDOW_MS) / 1000 + 1, `cut after ${bytesTrickled} trickled bytes (1 a second, 2 s windows)`);
  assert.deepEqual(await tempFilesGone(), [], 'the temp file is removed');
  assert.equal(await readBack('video.mp4'), md5Hex(previous), 'the previous object is untouched');
  const lines = await loggedLines(s.server, (line) => line.includes('request body too slow') && line.includes('video.mp4'));
  assert.equal(lines.length, 1, 'one log line says why');
  assert.match(lines[0]!, /--body-timeout/);
});

test('UploadPart, a POST upload and an XML body are cut the same way', async () => {
  const created = await s.client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'parts' }));
  const cases: Array<[string, Upload]> = [
    ['UploadPart', openUpload('PUT', `/${BUCKET}/parts?partNumber=1&uploadId=${encodeURIComponent(created.UploadId!)}`, 10 * 1024 ** 2)],
    // Content-MD5 as DeleteObjects requires (of a body never sent whole: the cut comes first).
    ['DeleteObjects', openUpload('POST', `/${BUCKET}?delete`, 4 * KiB, { 'content-type': 'application/xml', 'content-md5': randomBytes(16).toString('base64') })],
  ];
  // A browser's form upload: no signature in the headers (the policy is in the form), the body starts with the fields.
  const { hostname, port } = new URL(s.server.endpoint);
  const post = request({ host: hostname, port, method: 'POST', path: `/${BUCKET}`, headers: { 'content-type': 'multipart/form-data; boundary=b0undary', 'content-length': String(1024 ** 2) } });
  cases.push([
    'POST upload',
    {
      req: post,
      outcome: new Promise((resolve) => {
        post.once('response', (res) => resolve(res.statusCode ?? 0));
        post.once('error', () => resolve('cut'));
      }),
    },
  ]);
  post.write('--b0undary\r\nContent-Disposition: form-data; name="key"\r\n\r\nposted\r\n');
  const trickled = await Promise.all(cases.map(([, upload]) => trickle(upload)));
  for (const [i, [name, upload]] of cases.entries()) {
    assert.equal(await upload.outcome, 'cut', `${name}: connection closed`);
    assert.ok(trickled[i]! <= (3 * WINDOW_MS) / 1000 + 1, `${name}: cut after ${trickled[i]} trickled bytes`);
  }
  assert.deepEqual(await tempFilesGone(), []);
  const lines = await loggedLines(s.server, (line) => line.includes('request body too slow'), 4);
  assert.ok(lines.length >= 4, 'each cut is logged');
});

test('a slow but steady client (64 KiB/s for three windows) is not cut', async () => {
  const body = randomBytes(384 * KiB);
  const upload = openUpload('PUT', `/${BUCKET}/steady`, body.length);
  for (let offset = 0; offset < body.length; offset += 8 * KiB) {
    upload.req.write(body.subarray(offset, offset + 8 * KiB));
    await sleep(125);
  }
  upload.req.end();
  assert.equal(await upload.outcome, 200);
  assert.equal(await readBack('steady'), md5Hex(body));
});
