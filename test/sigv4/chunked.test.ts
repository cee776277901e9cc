import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { PutObjectCommand, S3Client, type ChecksumAlgorithm as SdkChecksumAlgorithm } from '@aws-sdk/client-s3';
import { checksumAlgorithmFromHeader } from '../../src/checksums.js';
import { computeChecksum } from '../helpers/checksum.js';
import {
  ChunkedDecoder,
  STREAMING_SIGNED,
  STREAMING_SIGNED_TRAILER,
  STREAMING_UNSIGNED_TRAILER,
  type ChunkedDecoderOptions,
} from '../../src/sigv4/chunked.js';
import { encodeChunked, splitChunks } from '../../src/sigv4/chunked-encode.js';
import { createChunkedDecodeStream } from '../../src/sigv4/chunked-stream.js';
import { nodeCrypto, type SignableRequest } from '../../src/sigv4/index.js';
import { AWS_DOC_SECRET, AWS_DOC_TIME, awsDocBody, awsDocRequest, flipHex, frames, replaceLast } from '../helpers/capture-bodies.js';
import { CAPTURE_BUCKET, CAPTURE_CREDENTIALS, CAPTURE_REGION, runAwsCli, runBoto3, type Boto3Job } from '../helpers/capture-clients.js';
import { assertAuthError, decode, optionsFor, signedUpload, testData, verifyV4 } from '../helpers/capture-decode.js';
import { findRequest, headerOf, signableOf, startCaptureServer, type CaptureServer } from '../helpers/capture-server.js';

const UNSIGNED = STREAMING_UNSIGNED_TRAILER;

/** Decoder options for a body built without a request (unsigned form). */
function unsignedOptions(length: number, trailer: string | undefined, overrides: Partial<ChunkedDecoderOptions> = {}): ChunkedDecoderOptions {
  const request: SignableRequest = {
    method: 'PUT',
    path: '/b/k',
    query: '',
    headers: { 'x-amz-content-sha256': UNSIGNED, 'x-amz-decoded-content-length': String(length), ...(trailer ? { 'x-amz-trailer': trailer } : {}) },
  };
  return optionsFor(request, undefined, overrides);
}

async function unsignedBody(data: Buffer, chunkSize: number, algorithm = 'CRC32'): Promise<Buffer> {
  const name = `x-amz-checksum-${algorithm.toLowerCase()}`;
  const value = await computeChecksum(checksumAlgorithmFromHeader(name) ?? 'CRC32', data);
  return encodeChunked(splitChunks(data, chunkSize), { payload: UNSIGNED, crypto: nodeCrypto, trailers: [[name, value]] });
}

const SIZES = [5, 70 * 1024 + 3, 1024 * 1024 + 300];

describe('bodies sent by real clients', () => {
  let tls: CaptureServer;
  let plain: CaptureServer;
  let dir = '';
  const files = new Map<number, string>();
  const cases: Array<{ client: string; path: string; size: number; trailer: string }> = [];

  before(async () => {
    [tls, plain] = await Promise.all([startCaptureServer({ tls: true }), startCaptureServer({ tls: false })]);
    dir = await mkdtemp(join(tmpdir(), 'latchkey-chunked-'));
    for (const size of SIZES) {
      const file = join(dir, `body-${size}`);
      await writeFile(file, testData(size, size));
      files.set(size, file);
    }
    const expect = (client: string, key: string, size: number, algorithm = 'crc32') =>
      cases.push({ client, path: `/${CAPTURE_BUCKET}/${key}`, size, trailer: `x-amz-checksum-${algorithm}` });

    // botocore sends aws-chunked only over TLS (plain http gets a plain body and a checksum header).
    const jobs: Boto3Job[] = [];
    for (const size of SIZES) {
      for (const op of ['put_object', 'upload_fileobj'] as const) {
        jobs.push({ op, key: `boto3-${op}-${size}`, file: files.get(size) ?? '' });
        expect(`boto3 ${op}`, `boto3-${op}-${size}`, size);
      }
    }
    for (const checksum of ['SHA1', 'SHA256']) {
      jobs.push({ op: 'put_object', key: `boto3-${checksum}`, file: files.get(SIZES[1] ?? 0) ?? '', checksum });
      expect(`boto3 put_object ${checksum}`, `boto3-${checksum}`, SIZES[1] ?? 0, checksum.toLowerCase());
    }
    const cli: Array<Promise<void>> = [];
    for (const size of SIZES) {
      const file = files.get(size) ?? '';
      cli.push(runAwsCli(tls.endpoint, ['s3', 'cp', file, `s3://${CAPTURE_BUCKET}/cli-cp-${size}`]));
      expect('aws s3 cp', `cli-cp-${size}`, size);
      cli.push(runAwsCli(tls.endpoint, ['s3api', 'put-object', '--bucket', CAPTURE_BUCKET, '--key', `cli-api-${size}`, '--body', file]));
      expect('aws s3api put-object', `cli-api-${size}`, size);
    }
    // The JS SDK frames any stream body as aws-chunked, over plain http too.
    const sdk = new S3Client({ endpoint: plain.endpoint, region: CAPTURE_REGION, forcePathStyle: true, credentials: CAPTURE_CREDENTIALS, maxAttempts: 1 });
    const sdkPut = async (key: string, size: number, algorithm?: SdkChecksumAlgorithm) => {
      const data = testData(size, size);
      await sdk.send(
        new PutObjectCommand({
          Bucket: CAPTURE_BUCKET,
          Key: key,
          Body: Readable.from(splitChunks(data, 64 * 1024)),
          ContentLength: size,
          ...(algorithm ? { ChecksumAlgorithm: algorithm } : {}),
        }),
      );
      expect(`JS SDK ${algorithm ?? 'default'}`, key, size, (algorithm ?? 'CRC32').toLowerCase());
    };
    const js: Array<Promise<void>> = SIZES.map((size) => sdkPut(`sdk-${size}`, size));
    for (const algorithm of ['CRC32C', 'SHA256', 'CRC64NVME', 'SHA1'] as const) {
      for (const size of SIZES.slice(1)) js.push(sdkPut(`sdk-${algorithm}-${size}`, size, algorithm));
    }
    await Promise.all([runBoto3(tls.endpoint, jobs), ...cli, ...js]);
    sdk.destroy();
  });

  after(async () => {
    await Promise.all([tls.close(), plain.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('captured every upload', () => {
    assert.equal(tls.requests.length + plain.requests.length, cases.length);
    assert.ok(cases.length >= 25);
  });

  for (const size of SIZES) {
    it(`every client's ${size}-byte upload verifies and decodes to the original bytes`, async () => {
      const original = testData(size, size);
      const mine = cases.filter((c) => c.size === size);
      assert.ok(mine.length >= 5);
      for (const c of mine) {
        const request = findRequest([...tls.requests, ...plain.requests], c.path);
        assert.equal(headerOf(request, 'x-amz-content-sha256'), UNSIGNED, `${c.client} sent aws-chunked`);
        assert.equal(headerOf(request, 'x-amz-trailer'), c.trailer, `${c.client} trailer`);
        assert.match(headerOf(request, 'content-encoding') ?? '', /aws-chunked/);
        const signable = signableOf(request);
        await verifyV4(signable);
        const options = optionsFor(signable);
        const { data, result } = await decode(request.body, options);
        assert.ok(data.equals(original), `${c.client}: decoded bytes`);
        const algorithm = checksumAlgorithmFromHeader(c.trailer);
        assert.ok(algorithm);
        assert.deepEqual(result.checksums, { [c.trailer]: await computeChecksum(algorithm, original) }, c.client);
        assert.equal(result.decodedLength, size);

        // Any way of cutting the body decodes the same.
        const feeding = size < 100_000 ? 'bytes' : Array.from({ length: 300 }, (_, i) => Math.floor(((i + 1) * request.body.length) / 301));
        const again = await decode(request.body, options, feeding);
        assert.ok(again.data.equals(original), `${c.client}: decoded in pieces`);
        assert.deepEqual(again.result, result);

        // One flipped data byte fails the trailing checksum.
        const at = request.body.indexOf('\r\n') + 2 + Math.floor(size / 2);
        const corrupt = Buffer.from(request.body);
        corrupt[at] = (corrupt[at] ?? 0) ^ 0x40;
        const error = await assertAuthError(() => decode(corrupt, options), 'BadDigest', 400, 'chunk-checksum-mismatch');
        assert.equal(error.message, `The ${algorithm} you specified did not match the calculated checksum.`);
      }
    });
  }
});

describe('the AWS documentation examples', () => {
  for (const trailer of [false, true]) {
    it(`${trailer ? 'with' : 'without'} a trailer: seed, chunk and trailer signatures all verify, byte by byte too`, async () => {
      const request = awsDocRequest(trailer);
      const verified = await verifyV4(request, AWS_DOC_TIME, AWS_DOC_SECRET);
      const body = awsDocBody(trailer);
      if (!trailer) assert.equal(body.length, 66824, 'the documented Content-Length');
      for (const feeding of ['whole', 'bytes'] as const) {
        const { data, result } = await decode(body, optionsFor(request, verified), feeding);
        assert.ok(data.equals(Buffer.alloc(66560, 'a')));
        assert.deepEqual(result, { decodedLength: 66560, chunks: 2, checksums: trailer ? { 'x-amz-checksum-crc32c': 'sOO8/Q==' } : {} });
      }
      // Our encoder reproduces the documented bytes from the verified seed.
      const encoded = encodeChunked([Buffer.alloc(65536, 'a'), Buffer.alloc(1024, 'a')], {
        payload: trailer ? STREAMING_SIGNED_TRAILER : STREAMING_SIGNED,
        crypto: nodeCrypto,
        signing: verified,
        ...(trailer ? { trailers: [['x-amz-checksum-crc32c', 'sOO8/Q=='] as const] } : {}),
      });
      assert.ok(encoded.equals(body));
    });
  }
});

for (const payload of [STREAMING_SIGNED, STREAMING_SIGNED_TRAILER] as const) {
  describe(`${payload}: corruption`, () => {
    const data = testData(200_000, 7);
    const trailers = payload === STREAMING_SIGNED_TRAILER ? ([['x-amz-checksum-crc32', 'placeholder']] as Array<[string, string]>) : undefined;
    const upload = async (overrides: Parameters<typeof signedUpload>[0] = { payload, data }) => {
      if (trailers && trailers[0]) trailers[0][1] = await computeChecksum('CRC32', data);
      return signedUpload({ ...(trailers ? { trailers } : {}), ...overrides });
    };

    it('decodes intact, whole and byte by byte', async () => {
      const { request, verified, body } = await upload();
      for (const feeding of ['whole', 'bytes'] as const) {
        const { data: out, result } = await decode(body, optionsFor(request, verified), feeding);
        assert.ok(out.equals(data));
        assert.equal(result.chunks, 4);
      }
    });

    it('any chunk signature, the final one included, fails with SignatureDoesNotMatch before later data is handed out', async () => {
      const { request, verified, body } = await upload();
      const all = frames(body);
      assert.equal(all.length, 5);
      for (const [index, frame] of all.entries()) {
        const decoder = new ChunkedDecoder(optionsFor(request, verified));
        const tampered = flipHex(body, frame.signature + 10);
        const handed: number[] = [];
        await assertAuthError(
          () => {
            for (let i = 0; i < tampered.length; i += 1000) handed.push(...decoder.push(tampered.subarray(i, i + 1000)).map((s) => s.length));
          },
          'SignatureDoesNotMatch',
          403,
          'chunk-signature-mismatch',
        );
        const total = handed.reduce((a, b) => a + b, 0);
        const upToBadChunk = all.slice(0, index + 1).reduce((sum, f) => sum + f.size, 0);
        assert.ok(total <= upToBadChunk, `chunk ${index}: nothing past the bad chunk handed out (${total} > ${upToBadChunk})`);
        // The failure sticks.
        await assertAuthError(() => decoder.push(Buffer.from('x')), 'SignatureDoesNotMatch', 403, 'chunk-signature-mismatch');
        await assertAuthError(() => decoder.end(), 'SignatureDoesNotMatch', 403, 'chunk-signature-mismatch');
      }
    });

    it('one byte of data fails its chunk signature', async () => {
      const { request, verified, body } = await upload();
      for (const frame of frames(body).slice(0, -1)) {
        const tampered = Buffer.from(body);
        const at = frame.data + Math.floor(frame.size / 3);
        tampered[at] = (tampered[at] ?? 0) ^ 1;
        const error = await assertAuthError(() => decode(tampered, optionsFor(request, verified)), 'SignatureDoesNotMatch', 403, 'chunk-signature-mismatch');
        assert.match(error.details['StringToSign'] ?? '', /^AWS4-HMAC-SHA256-PAYLOAD\n/);
        assert.equal(error.details['AWSAccessKeyId'], CAPTURE_CREDENTIALS.accessKeyId);
      }
    });

    it('a missing final chunk or a cut body is IncompleteBody', async () => {
      const { request, verified, body } = await upload();
      const last = frames(body).at(-1)?.line ?? 0;
      for (const cut of [last, last + 5, body.length - 1, 100, frames(body)[2]?.data ?? 0]) {
        await assertAuthError(() => decode(body.subarray(0, cut), optionsFor(request, verified)), 'IncompleteBody', 400, 'chunk-incomplete-body');
      }
      const unsignedFinal = replaceLast(body, body.toString('latin1', last, body.indexOf('\r\n', last)), '0');
      await assertAuthError(() => decode(unsignedFinal, optionsFor(request, verified)), 'IncompleteBody', 400, 'chunk-malformed');
    });

    it('x-amz-decoded-content-length that the data does not add up to is IncompleteBody', async () => {
      for (const declared of [data.length + 1, data.length - 1, 0]) {
        const { request, verified, body } = await upload({ payload, data, headers: { 'x-amz-decoded-content-length': String(declared) } });
        const error = await assertAuthError(() => decode(body, optionsFor(request, verified)), 'IncompleteBody', 400, 'chunk-decoded-length-mismatch');
        assert.equal(error.details['NumberBytesExpected'], String(declared));
      }
      // Too short a declaration is refused at the size line that overshoots it, before its data.
      const short = await upload({ payload, data, headers: { 'x-amz-decoded-content-length': String(data.length - 1) } });
      const lastData = frames(short.body).at(-2)?.data ?? 0;
      const decoder = new ChunkedDecoder(optionsFor(short.request, short.verified));
      await assertAuthError(() => decoder.push(short.body.subarray(0, lastData)), 'IncompleteBody', 400, 'chunk-decoded-length-mismatch');
      // Changing the signed header after signing breaks the request signature instead.
      const { request } = await upload();
      const headers = { ...request.headers, 'x-amz-decoded-content-length': String(data.length + 1) };
      await assertAuthError(() => verifyV4({ ...request, headers }), 'SignatureDoesNotMatch', 403, 'signature-mismatch');
      for (const bad of [undefined, 'abc', '-1', '1e3', '99999999999999999']) {
        const { request: r, verified } = await upload();
        await assertAuthError(() => new ChunkedDecoder(optionsFor(r, verified, { decodedContentLength: bad })), 'MissingContentLength', 411, 'chunk-decoded-length-missing');
      }
    });

    if (payload === STREAMING_SIGNED_TRAILER) {
      it('the trailing checksum and the trailer signature are both checked', async () => {
        const { request, verified, body } = await upload();
        const value = trailers?.[0]?.[1] ?? '';
        // Tampered after signing: the trailer signature catches it.
        const tampered = replaceLast(body, value, 'AAAAAA==');
        await assertAuthError(() => decode(tampered, optionsFor(request, verified)), 'SignatureDoesNotMatch', 403, 'chunk-trailer-signature-mismatch');
        // Signed as sent but wrong for the data: BadDigest.
        const wrong = await signedUpload({ payload, data, trailers: [['x-amz-checksum-crc32', 'AAAAAA==']] });
        const error = await assertAuthError(() => decode(wrong.body, optionsFor(wrong.request, wrong.verified)), 'BadDigest', 400, 'chunk-checksum-mismatch');
        assert.equal(error.message, 'The CRC32 you specified did not match the calculated checksum.');
        // The trailer signature itself.
        const at = body.indexOf('x-amz-trailer-signature:') + 'x-amz-trailer-signature:'.length + 5;
        await assertAuthError(() => decode(flipHex(body, at), optionsFor(request, verified)), 'SignatureDoesNotMatch', 403, 'chunk-trailer-signature-mismatch');
        const unsignedTrailer = replaceLast(body, body.toString('latin1', body.indexOf('x-amz-trailer-signature:'), body.length - 2), '');
        await assertAuthError(() => decode(unsignedTrailer, optionsFor(request, verified)), 'MalformedTrailerError', 400, 'chunk-trailer-malformed');
      });
    }
  });
}

describe('framing', () => {
  const data = testData(20_000, 3);

  it('a declared size of FFFFFFFF is refused at its size line, before any payload', async () => {
    for (const [line, options] of [
      ['FFFFFFFF\r\n', unsignedOptions(5, undefined)],
      ['ffffffff;chunk-signature=' + '0'.repeat(64) + '\r\n', { ...unsignedOptions(5, undefined), payload: STREAMING_SIGNED, signing: (await signedUpload({ payload: STREAMING_SIGNED, data })).verified }],
      ['1'.repeat(200) + '\r\n', unsignedOptions(5, undefined)],
    ] as const) {
      const body = Buffer.concat([Buffer.from(line), Buffer.alloc(100, 'x')]);
      const decoder = new ChunkedDecoder(options);
      let failedAt = -1;
      for (let i = 0; i < body.length && failedAt < 0; i++) {
        try {
          assert.deepEqual(decoder.push(body.subarray(i, i + 1)), []);
        } catch {
          failedAt = i;
        }
      }
      assert.ok(failedAt >= 0 && failedAt < Math.min(line.length, 100), `refused at byte ${failedAt} of a ${line.length}-byte size line`);
      await assertAuthError(() => decoder.end(), 'IncompleteBody', 400, 'chunk-too-large');
    }
  });

  it('malformed framing is IncompleteBody', async () => {
    const opts = unsignedOptions(5, undefined, { minChunkSize: 0 });
    for (const body of ['5\r\nhelloX\r\n0\r\n\r\n', '5\r\nhelloXY0\r\n\r\n', '5\r\nhello\n\r0\r\n\r\n', '5\nhello\r\n0\r\n\r\n', 'z\r\nhello\r\n0\r\n\r\n', '\r\n', ' 5\r\nhello\r\n0\r\n\r\n', '5;chunk-signature=' + 'a'.repeat(64) + '\r\nhello\r\n0\r\n\r\n', '5\r\nhello\r\n0\r\n\r\nextra', '5\r\nhello\r\r\n0\r\n\r\n']) {
      await assertAuthError(() => decode(Buffer.from(body), opts), 'IncompleteBody', 400, 'chunk-malformed');
    }
    const signed = await signedUpload({ payload: STREAMING_SIGNED, data: Buffer.from('hello') });
    for (const body of ['5\r\nhello\r\n0\r\n\r\n', '5;chunk-signature=abc\r\nhello\r\n', '5;chunk-signature=' + 'A'.repeat(64) + '\r\nhello\r\n', '5;chunk-sig=' + 'a'.repeat(64) + '\r\nhello\r\n']) {
      await assertAuthError(() => decode(Buffer.from(body), optionsFor(signed.request, signed.verified)), 'IncompleteBody', 400, 'chunk-malformed');
    }
  });

  it('trailers must be the ones x-amz-trailer announced, each once, well-formed and small', async () => {
    const good = await unsignedBody(data, 8192);
    const crc = good.toString('latin1', good.lastIndexOf('x-amz-checksum-crc32:'), good.length - 4);
    const cases: Array<[Buffer, string | undefined]> = [
      [good, undefined], // sent but not announced
      [replaceLast(good, `${crc}\r\n`, ''), 'x-amz-checksum-crc32'], // announced but not sent
      [replaceLast(good, `${crc}\r\n`, `${crc}\r\n${crc}\r\n`), 'x-amz-checksum-crc32'],
      [replaceLast(good, crc, crc.replace(':', '=')), 'x-amz-checksum-crc32'],
      [replaceLast(good, crc, crc.replace('x-amz-checksum-crc32', 'x-amz-checksum-sha1')), 'x-amz-checksum-crc32'],
      [replaceLast(good, `${crc}\r\n`, `${crc}\r\nx-amz-meta-a:${'b'.repeat(5000)}\r\n`), 'x-amz-checksum-crc32'],
      [replaceLast(good, `${crc}\r\n`, `${crc}\nx`), 'x-amz-checksum-crc32'],
    ];
    for (const [body, trailer] of cases) {
      await assertAuthError(() => decode(body, unsignedOptions(data.length, trailer)), 'MalformedTrailerError', 400, 'chunk-trailer-malformed');
    }
    // Blanks around the colon and upper-case names are tolerated, as AWS does.
    const loose = replaceLast(good, crc, crc.replace('x-amz-checksum-crc32:', 'X-Amz-Checksum-CRC32 : '));
    assert.ok((await decode(loose, unsignedOptions(data.length, 'x-amz-checksum-crc32'))).data.equals(data));
  });

  it('an x-amz-trailer we cannot verify is refused before the body', async () => {
    for (const [trailer, payload] of [
      ['x-amz-checksum-xxhash64', UNSIGNED],
      ['x-amz-meta-foo', UNSIGNED],
      ['x-amz-checksum-crc32,x-amz-checksum-crc32', UNSIGNED],
      ['x-amz-checksum-crc32', STREAMING_SIGNED],
    ] as const) {
      const signing = (await signedUpload({ payload: STREAMING_SIGNED, data })).verified;
      await assertAuthError(() => new ChunkedDecoder({ ...unsignedOptions(1, trailer), payload, signing }), 'InvalidRequest', 400, 'chunk-trailer-unsupported');
    }
  });

  it('only the last chunk may be under 8 KiB', async () => {
    const body = encodeChunked([data.subarray(0, 100), data.subarray(100, 200), data.subarray(200, 300)], { payload: UNSIGNED, crypto: nodeCrypto });
    const error = await assertAuthError(() => decode(body, unsignedOptions(300, undefined)), 'InvalidChunkSizeError', 403, 'chunk-too-small');
    assert.deepEqual(error.details, { Chunk: '2', BadChunkSize: '100' });
    assert.equal((await decode(body, unsignedOptions(300, undefined, { minChunkSize: 0 }))).data.length, 300);
    const lastSmall = encodeChunked([data.subarray(0, 8192), data.subarray(8192, 8200)], { payload: UNSIGNED, crypto: nodeCrypto });
    assert.equal((await decode(lastSmall, unsignedOptions(8200, undefined))).result.chunks, 2);
  });

  it('every split point decodes identically, for all three forms', async () => {
    const small = data.subarray(0, 700);
    const bodies: Array<[Buffer, ChunkedDecoderOptions]> = [[await unsignedBody(small, 256, 'SHA256'), unsignedOptions(small.length, 'x-amz-checksum-sha256', { minChunkSize: 0 })]];
    for (const payload of [STREAMING_SIGNED, STREAMING_SIGNED_TRAILER] as const) {
      const trailers = payload === STREAMING_SIGNED_TRAILER ? [['x-amz-checksum-crc32c', await computeChecksum('CRC32C', small)] as const] : undefined;
      const u = await signedUpload({ payload, data: small, chunkSize: 256, ...(trailers ? { trailers } : {}) });
      bodies.push([u.body, optionsFor(u.request, u.verified, { minChunkSize: 0 })]);
    }
    for (const [body, options] of bodies) {
      const whole = await decode(body, options);
      assert.ok(whole.data.equals(small));
      for (let cut = 0; cut <= body.length; cut++) {
        const split = await decode(body, options, [cut]);
        assert.ok(split.data.equals(small), `${options.payload} cut at ${cut}`);
        assert.deepEqual(split.result, whole.result);
      }
      for (let a = 0; a < body.length; a += 37) {
        const split = await decode(body, options, [a, Math.min(body.length, a + 1), Math.min(body.length, a + 90)]);
        assert.ok(split.data.equals(small));
      }
    }
  });
});

describe('createChunkedDecodeStream', () => {
  const data = testData(150_000, 9);
  const collect = () => {
    const parts: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        parts.push(chunk);
        callback();
      },
    });
    return { sink, data: () => Buffer.concat(parts) };
  };

  it('pipes a body through and exposes the verified checksums', async () => {
    const body = await unsignedBody(data, 64 * 1024, 'CRC64NVME');
    const stream = createChunkedDecodeStream(unsignedOptions(data.length, 'x-amz-checksum-crc64nvme'));
    const { sink, data: out } = collect();
    await pipeline(Readable.from(splitChunks(body, 999)), stream, sink);
    assert.ok(out().equals(data));
    assert.deepEqual(stream.result?.checksums, { 'x-amz-checksum-crc64nvme': await computeChecksum('CRC64NVME', data) });
  });

  it('fails the pipeline with the AuthError', async () => {
    const body = await unsignedBody(data, 64 * 1024);
    const tampered = replaceLast(body, body.toString('latin1', body.lastIndexOf(':') + 1, body.length - 4), 'AAAAAA==');
    const stream = createChunkedDecodeStream(unsignedOptions(data.length, 'x-amz-checksum-crc32'));
    await assertAuthError(() => pipeline(Readable.from([tampered]), stream, collect().sink), 'BadDigest', 400, 'chunk-checksum-mismatch');
    assert.equal(stream.result, undefined);
    const truncated = createChunkedDecodeStream(unsignedOptions(data.length, 'x-amz-checksum-crc32'));
    await assertAuthError(() => pipeline(Readable.from([body.subarray(0, 5000)]), truncated, collect().sink), 'IncompleteBody', 400, 'chunk-incomplete-body');
  });
});
