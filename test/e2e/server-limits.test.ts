import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateBucketCommand, HeadObjectCommand, ListBucketsCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { nodeCrypto } from '../../src/sigv4/node-crypto.js';
import { presign, signRequest } from '../../src/sigv4/sign.js';
import { s3Client } from '../helpers/clients.js';
import '../helpers/sdk-js.js';
import { loggedLines, ROOT_CREDENTIALS, startServer, type TestServer } from '../helpers/server.js';

const BUCKET = 'limits-e2e';
/** Node's headersTimeout (30 s) is enforced by a sweep that runs every 30 s. */
const IDLE_DROP_DEADLINE_MS = 75_000;

let server: TestServer;
let client: S3Client;
let idle: { socket: Socket; closed: Promise<{ afterMs: number; received: string }> };

function xmlField(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
}

function signedHeaders(server: TestServer, method: string, path: string, headers: Record<string, string> = {}): Record<string, string> {
  return signRequest({
    method,
    url: `${server.endpoint}${path}`,
    credentials: ROOT_CREDENTIALS,
    region: server.region,
    now: Date.now(),
    crypto: nodeCrypto,
    payloadHash: 'UNSIGNED-PAYLOAD',
    headers,
  }).headers;
}

function presigned(server: TestServer, method: string, path: string): string {
  return presign({ method, url: `${server.endpoint}${path}`, credentials: ROOT_CREDENTIALS, region: server.region, now: Date.now(), expiresIn: 300, crypto: nodeCrypto }).url;
}

async function readAll(res: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of res) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

/** A raw socket that sends only part of a request line and then nothing. */
function openIdleClient(port: number): typeof idle {
  const socket = connect(port, '127.0.0.1');
  const opened = Date.now();
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  socket.write(`GET /${BUCKET}/so`);
  const closed = new Promise<{ afterMs: number; received: string }>((resolve) => socket.once('close', () => resolve({ afterMs: Date.now() - opened, received })));
  return { socket, closed };
}

before(async () => {
  server = await startServer();
  client = s3Client(server);
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  // Opened first, checked last: the server's idle sweep takes up to a minute.
  idle = openIdleClient(server.port);
});
after(async () => {
  idle?.socket.destroy();
  client?.destroy();
  await server?.stop();
});

test('request headers over 16 KiB: 431', async () => {
  const socket = connect(server.port, '127.0.0.1');
  let answer = '';
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  socket.write(`GET /${BUCKET}/x HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ${'a'.repeat(17 * 1024)}\r\n\r\n`);
  await closed;
  assert.match(answer, /^HTTP\/1\.1 431 /);
  // Just under the cap is served normally.
  const fine = await fetch(presigned(server, 'GET', `/${BUCKET}`).replace('?', '?list-type=2&'), { headers: { 'x-padding': 'a'.repeat(12 * 1024) } });
  assert.notEqual(fine.status, 431);
});

test('an operation we do not implement: 501 NotImplemented XML, not 500', async () => {
  await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'tagged', Body: 'x' }));
  const cases: Array<[string, string]> = [
    ['GET', `/${BUCKET}/tagged?retention`],
    ['PUT', `/${BUCKET}?replication`],
    ['GET', `/${BUCKET}?website`],
    ['PUT', `/${BUCKET}?encryption`],
    ['PUT', `/${BUCKET}?lifecycle`],
    ['POST', `/${BUCKET}/tagged?restore`],
  ];
  for (const [method, path] of cases) {
    const response = await fetch(presigned(server, method, path), { method });
    const text = await response.text();
    assert.equal(xmlField(text, 'Code'), 'NotImplemented', `${method} ${path}: ${text}`);
    assert.equal(response.status, 501);
    assert.match(response.headers.get('content-type') ?? '', /xml/);
    assert.match(response.headers.get('x-amz-request-id') ?? '', /^[0-9A-F]{16}$/);
  }
  // Without a sub-resource, a method the resource has no operation for stays 405.
  const post = await fetch(presigned(server, 'POST', `/${BUCKET}/tagged`), { method: 'POST' });
  assert.equal(xmlField(await post.text(), 'Code'), 'MethodNotAllowed');
  assert.equal(post.status, 405);
});

test('a PUT declaring more than 5 GiB: 400 EntityTooLarge before any body byte (no 100 Continue)', async () => {
  const size = 5 * 1024 ** 3 + 1;
  const path = `/${BUCKET}/too-large`;
  const headers = { ...signedHeaders(server, 'PUT', path), 'content-length': String(size), expect: '100-continue' };
  let continued = false;
  const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, method: 'PUT', path, headers, agent: false });
    req.on('continue', () => (continued = true));
    req.on('response', (res) => void readAll(res).then((text) => resolve({ status: res.statusCode ?? 0, body: text }), reject));
    req.on('error', reject);
    req.flushHeaders();
  });
  assert.equal(continued, false, 'the server never invited the body');
  assert.equal(xmlField(body, 'Code'), 'EntityTooLarge', body);
  assert.equal(status, 400);
  assert.equal(xmlField(body, 'ProposedSize'), String(size));
  await assert.rejects(client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'too-large' })));
});

test('a PUT without Content-Length (plain chunked transfer): 411 MissingContentLength', async () => {
  const path = `/${BUCKET}/no-length`;
  const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, method: 'PUT', path, headers: signedHeaders(server, 'PUT', path), agent: false });
    req.on('response', (res) => void readAll(res).then((text) => resolve({ status: res.statusCode ?? 0, body: text }), reject));
    req.on('error', reject);
    req.write('some ');
    req.write('bytes');
    req.end();
  });
  assert.equal(xmlField(body, 'Code'), 'MissingContentLength', body);
  assert.equal(status, 411);
  await assert.rejects(client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'no-length' })));
});

test('an idle client does not block others, and is eventually dropped', async () => {
  assert.equal(idle.socket.destroyed, false, 'still connected while the other tests ran');
  // Served while the idle client still holds its socket (had it blocked them, they would end only once it was dropped).
  await Promise.all(Array.from({ length: 8 }, () => client.send(new ListBucketsCommand({}))));
  assert.equal(idle.socket.destroyed, false, 'requests are served while the idle client holds its socket');
  const { afterMs, received } = await Promise.race([
    idle.closed,
    sleep(IDLE_DROP_DEADLINE_MS).then(() => assert.fail(`the idle client was not dropped within ${IDLE_DROP_DEADLINE_MS} ms`)),
  ]);
  assert.ok(afterMs >= 25_000, `dropped after ${afterMs} ms, not at once`);
  assert.ok(received === '' || /^HTTP\/1\.1 408 /.test(received), `an idle client gets nothing or 408, got ${JSON.stringify(received)}`);
});

test('SIGTERM lets an in-flight slow download finish, then the process exits 0', async () => {
  const own = await startServer();
  const ownClient = s3Client(own);
  try {
    await ownClient.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const body = randomBytes(16 * 1024 * 1024);
    await ownClient.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'big', Body: body }));
    const url = new URL(presigned(own, 'GET', `/${BUCKET}/big`));

    let firstChunk: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (firstChunk = resolve));
    const download = new Promise<Buffer>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: own.port, path: `${url.pathname}${url.search}`, agent: false }, (res) => {
        assert.equal(res.statusCode, 200);
        const parts: Buffer[] = [];
        void (async () => {
          for await (const chunk of res) {
            parts.push(chunk as Buffer);
            if (parts.length === 1) firstChunk();
            await sleep(3);
          }
          resolve(Buffer.concat(parts));
        })().catch(reject);
      });
      req.on('error', reject);
      req.end();
    });

    await started;
    const exited = own.stop();
    // The listener is closed in the same turn as the "shutting down" line is queued: once the line is out, it is closed.
    assert.equal((await loggedLines(own, (line) => line.includes('"shutting down"'))).length, 1);
    await assert.rejects(fetch(`${own.endpoint}/`), 'no new connections once shutdown began');
    const received = await download;
    assert.equal(received.length, body.length, 'the download finished');
    assert.ok(received.equals(body));
    assert.equal(await exited, 0);
  } finally {
    ownClient.destroy();
    if (own.process.exitCode === null) await own.kill();
  }
});
