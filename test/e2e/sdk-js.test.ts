import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import type { LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { s3Client } from '../helpers/clients.js';
import '../helpers/sdk-js.js';
import { ROOT_CREDENTIALS, startServer, type TestServer } from '../helpers/server.js';

const BUCKET = 'sdk-e2e';
const md5 = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('hex');

/** The headers the SDK really put on the wire, caught just before sending. */
function recordWireHeaders(client: S3Client): Array<Record<string, string>> {
  const seen: Array<Record<string, string>> = [];
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = (args as { request?: { headers?: Record<string, string> } }).request;
      if (request?.headers) seen.push({ ...request.headers });
      return next(args);
    },
    { step: 'deserialize', name: 'recordWireHeaders' },
  );
  return seen;
}

async function sdkError(promise: Promise<unknown>): Promise<S3ServiceException> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof S3ServiceException, `expected an S3 error, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the call to fail');
}

describe('AWS SDK for JavaScript v3 against the real server', () => {
  let server: TestServer;
  let client: S3Client;
  let wire: Array<Record<string, string>>;

  before(async () => {
    server = await startServer();
    client = s3Client(server);
    wire = recordWireHeaders(client);
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  });
  after(async () => {
    client?.destroy();
    await server?.stop();
  });

  test('PutObject from a string, a Buffer and a stream, read back byte for byte', async () => {
    const bodies: Array<[string, Buffer]> = [
      ['text.txt', Buffer.from('hello, latchkey ✓\n')],
      ['buffer.bin', randomBytes(300_000)],
    ];
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'text.txt', Body: 'hello, latchkey ✓\n', ContentType: 'text/plain' }));
    const sent = wire.at(-1)!;
    assert.ok(sent['x-amz-checksum-crc32'], 'the SDK sends a CRC32 of a known body by default');
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'buffer.bin', Body: bodies[1]![1] }));

    // A stream is sent aws-chunked with the CRC32 in a trailer; chunks of 64 KiB
    // respect S3's 8 KiB minimum for every chunk but the last.
    const streamed = randomBytes(5 * 65536 + 123);
    const pieces = Array.from({ length: Math.ceil(streamed.length / 65536) }, (_, i) => streamed.subarray(i * 65536, (i + 1) * 65536));
    const put = await client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'stream.bin', Body: Readable.from(pieces), ContentLength: streamed.length }),
    );
    const chunked = wire.at(-1)!;
    assert.equal(chunked['content-encoding'], 'aws-chunked');
    assert.equal(chunked['x-amz-content-sha256'], 'STREAMING-UNSIGNED-PAYLOAD-TRAILER');
    assert.equal(chunked['x-amz-trailer'], 'x-amz-checksum-crc32');
    assert.equal(put.ETag, `"${md5(streamed)}"`);
    assert.ok(put.ChecksumCRC32, 'the trailer checksum is echoed');
    bodies.push(['stream.bin', streamed]);

    for (const [key, body] of bodies) {
      const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      const bytes = Buffer.from(await got.Body!.transformToByteArray());
      assert.ok(bytes.equals(body), `${key} round-trips`);
      assert.equal(got.ETag, `"${md5(body)}"`);
      assert.equal(got.ContentLength, body.length);
    }
    const text = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'text.txt' }));
    assert.equal(text.ContentType, 'text/plain');
  });

  test('a wrong CRC32 is refused with BadDigest and stores nothing', async () => {
    const error = await sdkError(client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'bad-crc', Body: 'abc', ChecksumCRC32: 'AAAAAA==' })));
    assert.equal(error.name, 'BadDigest');
    assert.equal(error.$metadata.httpStatusCode, 400);
    const missing = await sdkError(client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'bad-crc' })));
    assert.equal(missing.$metadata.httpStatusCode, 404);
  });

  test('GetObject with Range, HeadObject with metadata', async () => {
    const body = Buffer.from('0123456789abcdefghij');
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'range.txt', Body: body, Metadata: { owner: 'ada' }, ContentType: 'text/x-test' }));
    const part = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'range.txt', Range: 'bytes=5-9' }));
    assert.equal(part.$metadata.httpStatusCode, 206);
    assert.equal(part.ContentRange, 'bytes 5-9/20');
    assert.equal(await part.Body!.transformToString(), '56789');
    const suffix = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'range.txt', Range: 'bytes=-3' }));
    assert.equal(await suffix.Body!.transformToString(), 'hij');
    const bad = await sdkError(client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'range.txt', Range: 'bytes=50-60' })));
    assert.equal(bad.name, 'InvalidRange');
    assert.equal(bad.$metadata.httpStatusCode, 416);

    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'range.txt' }));
    assert.equal(head.ContentLength, 20);
    assert.equal(head.ContentType, 'text/x-test');
    assert.deepEqual(head.Metadata, { owner: 'ada' });
    assert.equal(head.ETag, `"${md5(body)}"`);
    const missing = await sdkError(client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'no-such-key' })));
    assert.equal(missing.$metadata.httpStatusCode, 404);
    const noKey = await sdkError(client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'no-such-key' })));
    assert.equal(noKey.name, 'NoSuchKey');
  });

  test('ListObjectsV2 pages through every key in order', async () => {
    const bucket = 'sdk-e2e-list';
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    const keys = ['a/1', 'a/2', 'a/3', 'b', 'c/x/y', 'c/z', 'd ü', 'e+f'];
    for (const key of keys) await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));

    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 3, ContinuationToken: token }));
      pages++;
      seen.push(...(page.Contents ?? []).map((o) => o.Key!));
      assert.ok((page.Contents ?? []).length <= 3);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
      assert.equal(page.IsTruncated, token !== undefined);
    } while (token !== undefined);
    assert.deepEqual(seen, keys);
    assert.equal(pages, 3);

    const grouped = await client.send(new ListObjectsV2Command({ Bucket: bucket, Delimiter: '/' }));
    assert.deepEqual((grouped.Contents ?? []).map((o) => o.Key), ['b', 'd ü', 'e+f']);
    assert.deepEqual((grouped.CommonPrefixes ?? []).map((p) => p.Prefix), ['a/', 'c/']);
    const prefixed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'c/', StartAfter: 'c/x/y' }));
    assert.deepEqual((prefixed.Contents ?? []).map((o) => o.Key), ['c/z']);
    assert.equal(prefixed.KeyCount, 1);
  });

  test('CopyObject, DeleteObject and DeleteObjects', async () => {
    const body = randomBytes(70_000);
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'copy/src', Body: body, Metadata: { kept: 'yes' } }));
    const copied = await client.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'copy/dst', CopySource: `${BUCKET}/copy/src` }));
    assert.equal(copied.CopyObjectResult?.ETag, `"${md5(body)}"`);
    const dst = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'copy/dst' }));
    assert.ok(Buffer.from(await dst.Body!.transformToByteArray()).equals(body));
    assert.deepEqual(dst.Metadata, { kept: 'yes' });

    const selfCopy = await sdkError(client.send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'copy/src', CopySource: `${BUCKET}/copy/src` })));
    assert.equal(selfCopy.name, 'InvalidRequest');

    const deleted = await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'copy/src' }));
    assert.equal(deleted.$metadata.httpStatusCode, 204);
    const again = await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'copy/src' }));
    assert.equal(again.$metadata.httpStatusCode, 204, 'deleting a missing key succeeds');
    assert.equal((await sdkError(client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'copy/src' })))).$metadata.httpStatusCode, 404);

    for (const key of ['batch/1', 'batch/2', 'batch/3']) await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: key }));
    const batch = await client.send(
      new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: 'batch/1' }, { Key: 'batch/3' }, { Key: 'batch/never' }] } }),
    );
    assert.deepEqual((batch.Deleted ?? []).map((d) => d.Key).sort(), ['batch/1', 'batch/3', 'batch/never']);
    assert.deepEqual(batch.Errors ?? [], []);
    const left = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'batch/' }));
    assert.deepEqual((left.Contents ?? []).map((o) => o.Key), ['batch/2']);
  });

  test('ListBuckets, GetBucketLocation, HeadBucket', async () => {
    const list = await client.send(new ListBucketsCommand({}));
    const names = (list.Buckets ?? []).map((b) => b.Name);
    assert.ok(names.includes(BUCKET), `ListBuckets shows ${BUCKET}: ${names.join(', ')}`);
    assert.deepEqual(names, [...names].sort());
    const location = await client.send(new GetBucketLocationCommand({ Bucket: BUCKET }));
    // us-east-1 is reported as an empty LocationConstraint, as AWS does.
    assert.ok(location.LocationConstraint === undefined || (location.LocationConstraint as string) === '', String(location.LocationConstraint));
    const head = await client.send(new HeadBucketCommand({ Bucket: BUCKET }));
    assert.equal(head.$metadata.httpStatusCode, 200);
    const missing = await sdkError(client.send(new HeadBucketCommand({ Bucket: 'no-such-bucket-here' })));
    assert.equal(missing.$metadata.httpStatusCode, 404);
    assert.equal(missing.name, 'NotFound');
    const noBucket = await sdkError(client.send(new PutObjectCommand({ Bucket: 'no-such-bucket-here', Key: 'k', Body: 'x' })));
    assert.equal(noBucket.name, 'NoSuchBucket');
  });

  test('wrong secret key: SignatureDoesNotMatch; unknown key: InvalidAccessKeyId', async () => {
    const wrongSecret = s3Client(server, { accessKeyId: ROOT_CREDENTIALS.accessKeyId, secretAccessKey: 'not-the-secret' });
    const unknownKey = s3Client(server, { accessKeyId: 'LKNOSUCHKEY000000000', secretAccessKey: ROOT_CREDENTIALS.secretAccessKey });
    try {
      const mismatch = await sdkError(wrongSecret.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'forged', Body: 'x' })));
      assert.equal(mismatch.name, 'SignatureDoesNotMatch');
      assert.equal(mismatch.$metadata.httpStatusCode, 403);
      const unknown = await sdkError(unknownKey.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'text.txt' })));
      assert.equal(unknown.name, 'InvalidAccessKeyId');
      assert.equal(unknown.$metadata.httpStatusCode, 403);
    } finally {
      wrongSecret.destroy();
      unknownKey.destroy();
    }
    assert.equal((await sdkError(client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'forged' })))).$metadata.httpStatusCode, 404);
  });

  test('s3-request-presigner URLs work with fetch for GET, HEAD, PUT and DELETE', async () => {
    const key = 'presigned/ü space+plus.bin';
    const body = randomBytes(40_000);
    const putUrl = await getSignedUrl(client, new PutObjectCommand({ Bucket: BUCKET, Key: key }), { expiresIn: 300 });
    const putQuery = new URL(putUrl).searchParams;
    // The presigner hoists a checksum of an EMPTY body and the algorithm into the
    // query, unsigned: they say nothing about the body actually uploaded.
    assert.equal(putQuery.get('x-amz-checksum-crc32'), 'AAAAAA==');
    assert.equal(putQuery.get('x-amz-sdk-checksum-algorithm'), 'CRC32');
    assert.ok(!(putQuery.get('X-Amz-SignedHeaders') ?? '').includes('checksum'));
    const put = await fetch(putUrl, { method: 'PUT', body });
    assert.equal(put.status, 200, await put.clone().text());
    assert.equal(put.headers.get('etag'), `"${md5(body)}"`);

    const getUrl = await getSignedUrl(client, new GetObjectCommand({ Bucket: BUCKET, Key: key }), { expiresIn: 300 });
    const get = await fetch(getUrl);
    assert.equal(get.status, 200);
    assert.ok(Buffer.from(await get.arrayBuffer()).equals(body));

    const headUrl = await getSignedUrl(client, new HeadObjectCommand({ Bucket: BUCKET, Key: key }), { expiresIn: 300 });
    const head = await fetch(headUrl, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(body.length));
    assert.equal((await fetch(getUrl, { method: 'HEAD' })).status, 403, 'a GET URL does not sign HEAD');

    const deleteUrl = await getSignedUrl(client, new DeleteObjectCommand({ Bucket: BUCKET, Key: key }), { expiresIn: 300 });
    assert.equal((await fetch(deleteUrl, { method: 'DELETE' })).status, 204);
    assert.equal((await fetch(headUrl, { method: 'HEAD' })).status, 404);
  });
});

/** Resolves every name to 127.0.0.1: `*.s3.localhost` is not resolved by this machine's resolver. */
const loopbackLookup: LookupFunction = (_hostname, options, callback) => {
  if ((options as { all?: boolean }).all) (callback as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
};

describe('virtual-hosted style (--domain s3.localhost)', () => {
  let server: TestServer;
  let client: S3Client;
  let agent: Agent;

  before(async () => {
    server = await startServer({ args: ['--domain', 's3.localhost'] });
    agent = new Agent({ keepAlive: true, lookup: loopbackLookup });
    client = new S3Client({
      endpoint: `http://s3.localhost:${server.port}`,
      region: server.region,
      forcePathStyle: false,
      credentials: ROOT_CREDENTIALS,
      maxAttempts: 1,
      requestHandler: { httpAgent: agent },
    });
  });
  after(async () => {
    client?.destroy();
    agent?.destroy();
    await server?.stop();
  });

  test('the bucket travels in the Host; objects, listing and presigned URLs work', async () => {
    const seen = recordWireHeaders(client);
    await client.send(new CreateBucketCommand({ Bucket: 'vhost-bucket' }));
    assert.equal(seen.at(-1)?.['host'], `vhost-bucket.s3.localhost:${server.port}`);
    const body = randomBytes(20_000);
    await client.send(new PutObjectCommand({ Bucket: 'vhost-bucket', Key: 'dir/obj.bin', Body: body }));
    const got = await client.send(new GetObjectCommand({ Bucket: 'vhost-bucket', Key: 'dir/obj.bin' }));
    assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(body));
    const list = await client.send(new ListObjectsV2Command({ Bucket: 'vhost-bucket' }));
    assert.deepEqual((list.Contents ?? []).map((o) => o.Key), ['dir/obj.bin']);
    assert.equal((await client.send(new HeadBucketCommand({ Bucket: 'vhost-bucket' }))).$metadata.httpStatusCode, 200);

    // The same object by path style on the same server: the two addressings agree.
    const pathClient = s3Client(server);
    try {
      const viaPath = await pathClient.send(new HeadObjectCommand({ Bucket: 'vhost-bucket', Key: 'dir/obj.bin' }));
      assert.equal(viaPath.ETag, `"${md5(body)}"`);
    } finally {
      pathClient.destroy();
    }

    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: 'vhost-bucket', Key: 'dir/obj.bin' }), { expiresIn: 60 });
    assert.equal(new URL(url).host, `vhost-bucket.s3.localhost:${server.port}`);
    const fetched = await new Promise<Buffer>((resolve, reject) => {
      const target = new URL(url);
      // node:http rather than fetch: fetch cannot take this resolver without undici's own Agent.
      const req = httpRequest({ agent, host: target.hostname, port: target.port, path: `${target.pathname}${target.search}` });
      req.on('error', reject);
      req.on('response', (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(parts)) : reject(new Error(`status ${res.statusCode}`))));
      });
      req.end();
    });
    assert.ok(fetched.equals(body));
  });
});
