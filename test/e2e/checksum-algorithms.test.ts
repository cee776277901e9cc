import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { crc32 } from 'node:zlib';
import { crc32c } from '@aws-crypto/crc32c';
import { Crc64Nvme } from '@aws-sdk/crc64-nvme';
import {
  CompleteMultipartUploadCommand, CreateMultipartUploadCommand, GetObjectCommand, HeadObjectCommand, ListPartsCommand, PutObjectCommand,
  UploadPartCommand, type ChecksumType, type CompletedPart,
} from '@aws-sdk/client-s3';
import { assertBotoError, boto } from '../helpers/admin-boto.js';
import { aws } from '../helpers/clients.js';
import { encodePolicy, postForm, v4AuthConditions, v4PolicyFields } from '../helpers/post-form.js';
import '../helpers/sdk-js.js';
import { ROOT_CREDENTIALS } from '../helpers/server.js';
import { serverWithBucket } from '../helpers/server-with-bucket.js';

const BUCKET = 'checksums';
const MiB = 1024 * 1024;
const ALGORITHMS = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const;
type Algorithm = (typeof ALGORITHMS)[number];

/** The raw digest, from implementations other than the server's own (zlib, @aws-crypto, the SDK's CRC64, node:crypto). */
async function rawDigest(algorithm: Algorithm, bytes: Buffer): Promise<Buffer> {
  const crc = (value: number): Buffer => {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(value >>> 0);
    return out;
  };
  switch (algorithm) {
    case 'CRC32': return crc(crc32(bytes));
    case 'CRC32C': return crc(crc32c(bytes));
    case 'CRC64NVME': {
      const hash = new Crc64Nvme();
      hash.update(bytes);
      return Buffer.from(await hash.digest());
    }
    case 'SHA1': return createHash('sha1').update(bytes).digest();
    case 'SHA256': return createHash('sha256').update(bytes).digest();
  }
}

const digest = async (algorithm: Algorithm, bytes: Buffer): Promise<string> => (await rawDigest(algorithm, bytes)).toString('base64');
const field = (algorithm: Algorithm): `Checksum${Algorithm}` => `Checksum${algorithm}`;
/** A checksum of the right shape that matches nothing sent here. */
const wrong = async (algorithm: Algorithm): Promise<string> => digest(algorithm, Buffer.from('not the body'));

function rejectsWith(code: string, status: number) {
  return (error: Error & { $metadata?: { httpStatusCode?: number } }): boolean => {
    assert.equal(error.name, code);
    assert.equal(error.$metadata?.httpStatusCode, status);
    return true;
  };
}

describe('checksums, every algorithm (JS SDK)', () => {
  const live = serverWithBucket(BUCKET);

  test('PutObject with each algorithm: returned, stored, and read back by GET and HEAD with checksum mode', async () => {
    for (const algorithm of ALGORITHMS) {
      const body = randomBytes(3000);
      const key = `single-${algorithm}`;
      const expected = await digest(algorithm, body);
      const put = await live.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ChecksumAlgorithm: algorithm }));
      assert.equal(put[field(algorithm)], expected, algorithm);
      const head = await live.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key, ChecksumMode: 'ENABLED' }));
      assert.equal(head[field(algorithm)], expected, algorithm);
      assert.equal(head.ChecksumType, 'FULL_OBJECT', algorithm);
      const get = await live.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, ChecksumMode: 'ENABLED' }));
      assert.equal(get[field(algorithm)], expected, algorithm);
      assert.deepEqual(Buffer.from(await get.Body!.transformToByteArray()), body);
      const plain = await live.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
      assert.equal(plain[field(algorithm)], undefined, 'only with checksum mode');
    }
  });

  test('PutObject with a wrong checksum of each algorithm is 400 BadDigest and stores nothing', async () => {
    for (const algorithm of ALGORITHMS) {
      const key = `bad-${algorithm}`;
      await assert.rejects(
        live.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: randomBytes(100), [field(algorithm)]: await wrong(algorithm) })),
        rejectsWith('BadDigest', 400), algorithm,
      );
      await assert.rejects(live.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })), rejectsWith('NotFound', 404), algorithm);
    }
  });

  test('the SDK\'s defaults: a CRC32 it computes on PutObject and UploadPart, validated and kept', async () => {
    const body = randomBytes(1000);
    const put = await live.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'default', Body: body }));
    assert.equal(put.ChecksumCRC32, await digest('CRC32', body));
    const head = await live.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'default', ChecksumMode: 'ENABLED' }));
    assert.equal(head.ChecksumCRC32, put.ChecksumCRC32);
    const uploadId = (await live.client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'default-mp' }))).UploadId!;
    const part = await live.client.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'default-mp', UploadId: uploadId, PartNumber: 1, Body: body }));
    assert.equal(part.ETag, `"${createHash('md5').update(body).digest('hex')}"`);
    await live.client.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: 'default-mp', UploadId: uploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }));
    const got = await live.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'default-mp' }));
    assert.deepEqual(Buffer.from(await got.Body!.transformToByteArray()), body);
  });

  const COMBINATIONS: ReadonlyArray<readonly [Algorithm, ChecksumType]> = [
    ['CRC32', 'COMPOSITE'], ['CRC32', 'FULL_OBJECT'], ['CRC32C', 'COMPOSITE'], ['CRC32C', 'FULL_OBJECT'],
    ['CRC64NVME', 'FULL_OBJECT'], ['SHA1', 'COMPOSITE'], ['SHA256', 'COMPOSITE'],
  ];

  for (const [algorithm, type] of COMBINATIONS) {
    test(`multipart ${algorithm} ${type}: part checksums, the object's checksum, HEAD/GET with checksum mode and partNumber`, async () => {
      const key = `mp-${algorithm}-${type}`;
      const bodies = [randomBytes(5 * MiB), randomBytes(1234)];
      const created = await live.client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key, ChecksumAlgorithm: algorithm, ChecksumType: type }));
      assert.equal(created.ChecksumAlgorithm, algorithm);
      assert.equal(created.ChecksumType, type);
      const uploadId = created.UploadId!;
      const parts: CompletedPart[] = [];
      for (const [i, body] of bodies.entries()) {
        const part = await live.client.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, PartNumber: i + 1, Body: body, ChecksumAlgorithm: algorithm }));
        assert.equal(part[field(algorithm)], await digest(algorithm, body), `part ${i + 1}`);
        parts.push({ PartNumber: i + 1, ETag: part.ETag!, [field(algorithm)]: part[field(algorithm)] });
      }
      const whole = Buffer.concat(bodies);
      const expected = type === 'FULL_OBJECT'
        ? await digest(algorithm, whole)
        : `${await digest(algorithm, Buffer.concat(await Promise.all(bodies.map((b) => rawDigest(algorithm, b)))))}-${bodies.length}`;

      if (type === 'COMPOSITE') {
        // A listed part checksum that is not the part's: InvalidPart, and the upload is still there.
        const withWrong = [parts[0]!, { ...parts[1]!, [field(algorithm)]: await wrong(algorithm) }];
        await assert.rejects(
          live.client.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, MultipartUpload: { Parts: withWrong } })),
          rejectsWith('InvalidPart', 400),
        );
        const listed = await live.client.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId }));
        assert.equal(listed.Parts?.length, 2);
      }

      const done = await live.client.send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
      assert.equal(done[field(algorithm)], expected);
      assert.equal(done.ChecksumType, type);
      const head = await live.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key, ChecksumMode: 'ENABLED' }));
      assert.equal(head[field(algorithm)], expected);
      assert.equal(head.ChecksumType, type);
      const get = await live.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, ChecksumMode: 'ENABLED' }));
      assert.deepEqual(Buffer.from(await get.Body!.transformToByteArray()), whole);
      // A part read carries that part's own checksum (what a client validates the part's bytes with).
      const second = await live.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, PartNumber: 2, ChecksumMode: 'ENABLED' }));
      assert.equal(second.PartsCount, 2);
      assert.equal(second[field(algorithm)], await digest(algorithm, bodies[1]!));
      assert.deepEqual(Buffer.from(await second.Body!.transformToByteArray()), bodies[1]);
    });
  }

  test('an algorithm with a type it does not allow is refused at CreateMultipartUpload (InvalidRequest)', async () => {
    for (const [algorithm, type] of [['CRC64NVME', 'COMPOSITE'], ['SHA1', 'FULL_OBJECT'], ['SHA256', 'FULL_OBJECT']] as const) {
      await assert.rejects(
        live.client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'refused', ChecksumAlgorithm: algorithm, ChecksumType: type })),
        rejectsWith('InvalidRequest', 400), `${algorithm} ${type}`,
      );
    }
  });

  test('a part with a wrong checksum is BadDigest and is not stored', async () => {
    for (const algorithm of ALGORITHMS) {
      const key = `bad-part-${algorithm}`;
      const uploadId = (await live.client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key, ChecksumAlgorithm: algorithm }))).UploadId!;
      await assert.rejects(
        live.client.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, PartNumber: 1, Body: randomBytes(50), [field(algorithm)]: await wrong(algorithm) })),
        rejectsWith('BadDigest', 400), algorithm,
      );
      const listed = await live.client.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId }));
      assert.equal(listed.Parts?.length ?? 0, 0, algorithm);
    }
  });

  test('POST form uploads: an x-amz-checksum-<algorithm> field is verified and kept; a wrong one is 400 BadDigest', async () => {
    const post = async (key: string, extra: Array<[string, string]>, content: Buffer) => {
      const conditions = [{ bucket: BUCKET }, { key }, ...extra.map(([name, value]) => ({ [name]: value })), ...v4AuthConditions(ROOT_CREDENTIALS)];
      const policy = encodePolicy(new Date(Date.now() + 3_600_000), conditions);
      return postForm(`${live.server.endpoint}/${BUCKET}`, [['key', key], ...extra, ...v4PolicyFields(ROOT_CREDENTIALS, policy)], { content, filename: 'f.bin' });
    };
    for (const algorithm of ALGORITHMS) {
      const content = randomBytes(700);
      const name = `x-amz-checksum-${algorithm.toLowerCase()}`;
      const good = await post(`post-${algorithm}`, [[name, await digest(algorithm, content)]], content);
      assert.equal(good.status, 204, `${algorithm}: ${good.text}`);
      const head = await live.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `post-${algorithm}`, ChecksumMode: 'ENABLED' }));
      assert.equal(head[field(algorithm)], await digest(algorithm, content), algorithm);
      const bad = await post(`post-bad-${algorithm}`, [[name, await wrong(algorithm)]], content);
      assert.equal(bad.status, 400, algorithm);
      assert.match(bad.text, /<Code>BadDigest<\/Code>/, algorithm);
      await assert.rejects(live.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `post-bad-${algorithm}` })), rejectsWith('NotFound', 404));
    }
    const named = randomBytes(10);
    const computed = await post('post-named', [['x-amz-checksum-algorithm', 'CRC32C']], named);
    assert.equal(computed.status, 204, computed.text);
    const head = await live.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'post-named', ChecksumMode: 'ENABLED' }));
    assert.equal(head.ChecksumCRC32C, await digest('CRC32C', named));
  });
});

describe('checksums the aws CLI and boto3 compute themselves', () => {
  const live = serverWithBucket('checksums-cli');
  // CRC32C and CRC64NVME need botocore[crt], which these clients lack here; the JS SDK covers them above.
  const PYTHON_ALGORITHMS = ['CRC32', 'SHA1', 'SHA256'] as const;

  test('aws s3api put-object --checksum-algorithm X, then head-object --checksum-mode ENABLED, for each', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-checksums-'));
    try {
      const body = randomBytes(2048);
      const file = join(dir, 'body.bin');
      writeFileSync(file, body);
      for (const algorithm of PYTHON_ALGORITHMS) {
        const key = `cli-${algorithm}`;
        const put = await aws(live.server, ['s3api', 'put-object', '--bucket', 'checksums-cli', '--key', key, '--body', file, '--checksum-algorithm', algorithm]);
        assert.equal(put.code, 0, put.stderr);
        const head = await aws(live.server, ['s3api', 'head-object', '--bucket', 'checksums-cli', '--key', key, '--checksum-mode', 'ENABLED']);
        assert.equal(head.code, 0, head.stderr);
        const answer = JSON.parse(head.stdout) as Record<string, unknown>;
        assert.equal(answer[field(algorithm)], await digest(algorithm, body), algorithm);
        assert.equal(answer['ChecksumType'], 'FULL_OBJECT', algorithm);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('boto3: each algorithm computed on put_object and kept; a wrong value is BadDigest', async () => {
    const r = await boto<Record<string, unknown>>(live.server, `
r = {}
for algorithm in args:
    put = s3.put_object(Bucket='checksums-cli', Key='boto-' + algorithm, Body=b'boto body', ChecksumAlgorithm=algorithm)
    head = s3.head_object(Bucket='checksums-cli', Key='boto-' + algorithm, ChecksumMode='ENABLED')
    r[algorithm] = [put.get('Checksum' + algorithm), head.get('Checksum' + algorithm)]
good = r['SHA256'][0]
r['bad'] = client_error(s3.put_object, Bucket='checksums-cli', Key='boto-bad', Body=b'other body', ChecksumSHA256=good)
r['bad_head'] = client_error(s3.head_object, Bucket='checksums-cli', Key='boto-bad')
out(r)
`, PYTHON_ALGORITHMS);
    for (const algorithm of PYTHON_ALGORITHMS) {
      const expected = await digest(algorithm, Buffer.from('boto body'));
      assert.deepEqual(r[algorithm], [expected, expected], algorithm);
    }
    assertBotoError(r['bad'], 'BadDigest', 400);
    assertBotoError(r['bad_head'], '404', 404);
  });
});
