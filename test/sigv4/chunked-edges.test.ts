import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeChecksum } from '../helpers/checksum.js';
import {
  ChunkedDecoder,
  isStreamingPayload,
  parseTrailerNames,
  STREAMING_SIGNED,
  STREAMING_SIGNED_TRAILER,
  STREAMING_UNSIGNED_TRAILER,
  type ChunkedDecoderOptions,
} from '../../src/sigv4/chunked.js';
import { encodeChunked, splitChunks } from '../../src/sigv4/chunked-encode.js';
import { nodeCrypto, type SignableRequest } from '../../src/sigv4/index.js';
import { replaceLast } from '../helpers/capture-bodies.js';
import { assertAuthError, decode, optionsFor, signedUpload, testData } from '../helpers/capture-decode.js';

/*
 * The aws-chunked decoder's edges mutation testing found unpinned
 * (docs/testing.md): limits at their exact value and one past it, the
 * defaults, what a failure leaves behind. In-process; the real clients'
 * bodies are in chunked.test.ts.
 */

const UNSIGNED = STREAMING_UNSIGNED_TRAILER;

function unsigned(length: number | string, trailer?: string, overrides: Partial<ChunkedDecoderOptions> = {}): ChunkedDecoderOptions {
  const request: SignableRequest = {
    method: 'PUT',
    path: '/b/k',
    query: '',
    headers: { 'x-amz-content-sha256': UNSIGNED, 'x-amz-decoded-content-length': String(length), ...(trailer ? { 'x-amz-trailer': trailer } : {}) },
  };
  return optionsFor(request, undefined, overrides);
}

const frame = (chunks: readonly Uint8Array[], trailers?: ReadonlyArray<readonly [string, string]>) =>
  encodeChunked(chunks, { payload: UNSIGNED, crypto: nodeCrypto, ...(trailers ? { trailers } : {}) });

async function crcBody(data: Buffer, chunkSize = 8192): Promise<{ body: Buffer; crc: string }> {
  const crc = await computeChecksum('CRC32', data);
  return { body: frame(splitChunks(data, chunkSize), [['x-amz-checksum-crc32', crc]]), crc };
}

describe('ChunkedDecoder options', () => {
  it('the signed forms need the signing context; the unsigned one does not', () => {
    for (const payload of [STREAMING_SIGNED, STREAMING_SIGNED_TRAILER] as const) {
      assert.throws(() => new ChunkedDecoder({ ...unsigned(1), payload }), (e: unknown) => e instanceof TypeError && e.message.startsWith(payload));
    }
    assert.ok(new ChunkedDecoder(unsigned(1)), 'the unsigned form needs no signing context');
  });

  it('x-amz-decoded-content-length: trimmed decimal, up to 16 digits, a safe integer', async () => {
    for (const bad of ['', ' ', '12345678901234567', '9007199254740993', '0x10', '+1', '1.0']) {
      await assertAuthError(() => new ChunkedDecoder(unsigned(bad)), 'MissingContentLength', 411, 'chunk-decoded-length-missing');
    }
    for (const good of ['9007199254740991', '0000000000000001']) assert.ok(new ChunkedDecoder(unsigned(good)), good);
    const { data } = await decode(frame([Buffer.from('hello')]), unsigned(' 5 '));
    assert.equal(data.toString(), 'hello');
  });

  it('a chunk up to the 16 MiB default is read, one byte more is refused at its size line', async () => {
    const max = 16 * 1024 * 1024;
    const atMax = new ChunkedDecoder(unsigned(max));
    assert.deepEqual(atMax.push(Buffer.from(`${max.toString(16)}\r\n`)), []);
    assert.equal(atMax.push(Buffer.alloc(10)).length, 1);
    const error = await assertAuthError(() => new ChunkedDecoder(unsigned(max + 1)).push(Buffer.from(`${(max + 1).toString(16)}\r\n`)), 'IncompleteBody', 400, 'chunk-too-large');
    assert.deepEqual(error.details, { BadChunkSize: (max + 1).toString(16) });
  });

  it('maxChunkSize: exactly it is read, one more is too large', async () => {
    const data = testData(9, 4);
    assert.ok((await decode(frame([data.subarray(0, 8)]), unsigned(8, undefined, { maxChunkSize: 8 }))).data.equals(data.subarray(0, 8)), 'a chunk of exactly maxChunkSize');
    await assertAuthError(() => decode(frame([data]), unsigned(9, undefined, { maxChunkSize: 8 })), 'IncompleteBody', 400, 'chunk-too-large');
  });

  it('a 12-digit size is a number (checked against the declared length), 13 digits are too large', async () => {
    const huge = { maxChunkSize: Number.MAX_SAFE_INTEGER };
    const error = await assertAuthError(() => new ChunkedDecoder(unsigned(5, undefined, huge)).push(Buffer.from('100000000000\r\n')), 'IncompleteBody', 400, 'chunk-decoded-length-mismatch');
    assert.deepEqual(error.details, { NumberBytesExpected: '5', NumberBytesProvided: String(2 ** 44) });
    await assertAuthError(() => new ChunkedDecoder(unsigned(5, undefined, huge)).push(Buffer.from('1000000000000\r\n')), 'IncompleteBody', 400, 'chunk-too-large');
    // Leading zeros do not count: sixteen digits of a small size are that size.
    assert.equal((await decode(Buffer.from('0000000000000005\r\nhello\r\n0000000000000000\r\n\r\n'), unsigned(5))).data.toString(), 'hello');
  });

  it('the minimum chunk size: every chunk but the last at least that big, exactly that big is enough', async () => {
    const data = testData(20, 2);
    const opts = (length: number) => unsigned(length, undefined, { minChunkSize: 4 });
    assert.equal((await decode(frame([data.subarray(0, 4), data.subarray(4, 8), data.subarray(8, 11)]), opts(11))).result.chunks, 3);
    assert.equal((await decode(frame([data.subarray(0, 3)]), opts(3))).result.chunks, 1);
    const error = await assertAuthError(() => decode(frame([data.subarray(0, 4), data.subarray(4, 7), data.subarray(7, 11)]), opts(11)), 'InvalidChunkSizeError', 403, 'chunk-too-small');
    assert.deepEqual(error.details, { Chunk: '3', BadChunkSize: '3' });
    // The default is AWS's 8 KiB, and a single small chunk is fine.
    assert.equal((await decode(frame([data.subarray(0, 5)]), unsigned(5))).data.length, 5);
    await assertAuthError(() => decode(frame([testData(8191), data.subarray(0, 1)]), unsigned(8192)), 'InvalidChunkSizeError', 403, 'chunk-too-small');
  });

  it('the declared length: exactly reached is fine, one byte over is refused at the size line', async () => {
    const data = Buffer.from('hello');
    assert.equal((await decode(frame([data]), unsigned(5))).result.decodedLength, 5);
    const error = await assertAuthError(() => new ChunkedDecoder(unsigned(4)).push(Buffer.from('5\r\n')), 'IncompleteBody', 400, 'chunk-decoded-length-mismatch');
    assert.deepEqual(error.details, { NumberBytesExpected: '4', NumberBytesProvided: '5' });
    const short = await assertAuthError(() => decode(frame([data]), unsigned(6)), 'IncompleteBody', 400, 'chunk-decoded-length-mismatch');
    assert.deepEqual(short.details, { NumberBytesExpected: '6', NumberBytesProvided: '5' });
  });
});

describe('ChunkedDecoder lines', () => {
  it('a signed size line of the longest legal length (16 hex digits) is read, whole and byte by byte; one digit more is too large', async () => {
    const { request, verified, body } = await signedUpload({ payload: STREAMING_SIGNED, data: Buffer.from('hello') });
    const padded = Buffer.concat([Buffer.from('0'.repeat(15)), body]);
    assert.equal(padded.indexOf('\r\n'), 97);
    for (const feeding of ['whole', 'bytes'] as const) {
      assert.equal((await decode(padded, optionsFor(request, verified), feeding)).data.toString(), 'hello');
    }
    const longer = Buffer.concat([Buffer.from('0'.repeat(16)), body]);
    const error = await assertAuthError(() => decode(longer, optionsFor(request, verified), 'bytes'), 'IncompleteBody', 400, 'chunk-too-large');
    assert.equal(error.details['BadChunkSize'], '00000000000000005;chunk-signatur');
    // A long line that is not a size at all is malformed framing.
    await assertAuthError(() => decode(Buffer.from(`5${'x'.repeat(120)}\r\n`), unsigned(5), 'bytes'), 'IncompleteBody', 400, 'chunk-malformed');
    await assertAuthError(() => decode(Buffer.from(`${'1'.repeat(16)}x${'1'.repeat(120)}\r\n`), unsigned(5), 'bytes'), 'IncompleteBody', 400, 'chunk-malformed');
  });

  it('a bare LF ends no line: malformed framing, or a malformed trailer in the trailer section', async () => {
    for (const body of ['\n', '5\nhello\r\n0\r\n\r\n', '5\r\nhello\r\n0\n\r\n']) {
      await assertAuthError(() => decode(Buffer.from(body), unsigned(5)), 'IncompleteBody', 400, 'chunk-malformed');
    }
    await assertAuthError(() => decode(Buffer.from('5\r\nhello\r\n0\r\n\n'), unsigned(5)), 'MalformedTrailerError', 400, 'chunk-trailer-malformed');
  });

  it('the trailer section: up to maxTrailerBytes (CRLFs and the empty line included), not one byte more', async () => {
    const data = testData(100, 5);
    const { body } = await crcBody(data);
    const section = body.length - (body.indexOf('0\r\n', body.length - 60) + 3);
    assert.equal(section, 'x-amz-checksum-crc32:XXXXXX==\r\n\r\n'.length);
    await decode(body, unsigned(100, 'x-amz-checksum-crc32', { maxTrailerBytes: section }), 'bytes');
    await assertAuthError(() => decode(body, unsigned(100, 'x-amz-checksum-crc32', { maxTrailerBytes: section - 1 })), 'MalformedTrailerError', 400, 'chunk-trailer-malformed');
    // A small trailer cap does not shrink the size lines.
    const signed = await signedUpload({ payload: STREAMING_SIGNED, data });
    assert.equal((await decode(signed.body, optionsFor(signed.request, signed.verified, { maxTrailerBytes: 8 }))).data.length, 100);
  });

  it('the default trailer cap is 4 KiB', async () => {
    const data = testData(10, 6);
    const { body, crc } = await crcBody(data);
    const line = `x-amz-checksum-crc32:${crc}\r\n`;
    // Blanks after the colon are trimmed: pad the value to make the section exactly 4096 bytes, then one more.
    for (const [pad, ok] of [
      [4096 - line.length - 2, true],
      [4097 - line.length - 2, false],
    ] as const) {
      const padded = replaceLast(body, line, `x-amz-checksum-crc32:${' '.repeat(pad)}${crc}\r\n`);
      if (ok) await decode(padded, unsigned(10, 'x-amz-checksum-crc32'));
      else await assertAuthError(() => decode(padded, unsigned(10, 'x-amz-checksum-crc32')), 'MalformedTrailerError', 400, 'chunk-trailer-malformed');
    }
  });

  it('trailer lines: no trailer at all without x-amz-trailer, none after the trailer signature, none without a name', async () => {
    const data = Buffer.from('hello');
    const plain = await signedUpload({ payload: STREAMING_SIGNED, data });
    const withLine = replaceLast(plain.body, '\r\n\r\n', '\r\nx-amz-meta-a:1\r\n\r\n');
    await assertAuthError(() => decode(withLine, optionsFor(plain.request, plain.verified)), 'MalformedTrailerError', 400, 'chunk-trailer-malformed');

    const crc = await computeChecksum('CRC32', data);
    const trailed = await signedUpload({ payload: STREAMING_SIGNED_TRAILER, data, trailers: [['x-amz-checksum-crc32', crc]] });
    assert.deepEqual((await decode(trailed.body, optionsFor(trailed.request, trailed.verified))).result.checksums, { 'x-amz-checksum-crc32': crc });
    const after = replaceLast(trailed.body, '\r\n\r\n', `\r\nx-amz-checksum-crc32:${crc}\r\n\r\n`);
    await assertAuthError(() => decode(after, optionsFor(trailed.request, trailed.verified)), 'MalformedTrailerError', 400, 'chunk-trailer-malformed');
    const badHex = replaceLast(trailed.body, 'x-amz-trailer-signature:', 'x-amz-trailer-signature:X');
    await assertAuthError(() => decode(badHex, optionsFor(trailed.request, trailed.verified)), 'MalformedTrailerError', 400, 'chunk-trailer-malformed');

    for (const line of [`:${crc}`, `x-amz-checksum-crc32${crc}`]) {
      const body = frame([data], [['x', 'y']]);
      await assertAuthError(() => decode(replaceLast(body, 'x:y', line), unsigned(5, 'x-amz-checksum-crc32')), 'MalformedTrailerError', 400, 'chunk-trailer-malformed');
    }
  });

  it('the unsigned form has no trailer signature: a line naming one is a trailer it did not announce', async () => {
    const data = Buffer.from('hello');
    const crc = await computeChecksum('CRC32', data);
    const body = frame([data], [['x-amz-checksum-crc32', crc], ['x-amz-trailer-signature', 'a'.repeat(64)]]);
    await assertAuthError(() => decode(body, unsigned(5, 'x-amz-checksum-crc32')), 'MalformedTrailerError', 400, 'chunk-trailer-malformed');
  });

  it('a chunk signature error carries the key only when the context has one', async () => {
    const { request, verified, body } = await signedUpload({ payload: STREAMING_SIGNED, data: Buffer.from('hello') });
    const tampered = Buffer.from(body);
    tampered[body.indexOf('hello')] = 0x48;
    const { accessKeyId: _key, ...anonymous } = verified;
    const error = await assertAuthError(() => decode(tampered, optionsFor(request, undefined, { payload: STREAMING_SIGNED, signing: anonymous })), 'SignatureDoesNotMatch', 403, 'chunk-signature-mismatch');
    assert.deepEqual(Object.keys(error.details).sort(), ['SignatureProvided', 'StringToSign']);
    assert.equal(error.details['SignatureProvided'], body.toString('latin1', 18, 82));
    const named = await assertAuthError(() => decode(tampered, optionsFor(request, verified)), 'SignatureDoesNotMatch', 403, 'chunk-signature-mismatch');
    assert.equal(named.details['AWSAccessKeyId'], verified.accessKeyId);
  });

  it('a trailer line that breaks the rules is refused at once, before the body ends', async () => {
    const data = testData(30, 9);
    const { body, crc } = await crcBody(data);
    const name = 'x-amz-checksum-crc32';
    const end = body.length - 2;
    for (const [line, trailer] of [
      [`${name}:${crc}`, name],
      [`x-amz-checksum-sha1:${crc}`, name],
    ] as const) {
      const cut = Buffer.concat([body.subarray(0, end), Buffer.from(`${line}\r\n`)]);
      await assertAuthError(() => new ChunkedDecoder(unsigned(30, trailer)).push(cut), 'MalformedTrailerError', 400, 'chunk-trailer-malformed');
    }
    // The signed trailer form: a second trailer signature is no trailer either.
    const small = Buffer.from('hello');
    const signed = await signedUpload({ payload: STREAMING_SIGNED_TRAILER, data: small, trailers: [[name, await computeChecksum('CRC32', small)]] });
    const signatureLine = signed.body.toString('latin1', signed.body.indexOf('x-amz-trailer-signature:'), signed.body.length - 2);
    const twice = replaceLast(signed.body, signatureLine, `${signatureLine}${signatureLine}`);
    await assertAuthError(() => decode(twice, optionsFor(signed.request, signed.verified)), 'MalformedTrailerError', 400, 'chunk-trailer-malformed');
  });
});

describe('ChunkedDecoder framing and trailers (the fast twins of chunked.test.ts)', () => {
  it('malformed framing is IncompleteBody, and the failure sticks', async () => {
    const opts = () => unsigned(5, undefined, { minChunkSize: 0 });
    for (const body of ['5\r\nhelloX\r\n0\r\n\r\n', '5\r\nhello\rX0\r\n\r\n', '5\r\nhello\n\r0\r\n\r\n', 'z\r\nhello\r\n0\r\n\r\n', ' 5\r\nhello\r\n0\r\n\r\n', '5\r\nhello\r\n0\r\n\r\nextra', `5;chunk-signature=${'a'.repeat(64)}\r\nhello\r\n0\r\n\r\n`]) {
      const decoder = new ChunkedDecoder(opts());
      const error = await assertAuthError(() => decoder.push(Buffer.from(body)), 'IncompleteBody', 400, 'chunk-malformed');
      assert.throws(() => decoder.push(Buffer.from('0\r\n\r\n')), (e: unknown) => e === error, JSON.stringify(body));
    }
    const signed = await signedUpload({ payload: STREAMING_SIGNED, data: Buffer.from('hello') });
    for (const line of ['5', '5;chunk-signature=abc', `5;chunk-signature=${'A'.repeat(64)}`, `5;chunk-sig=${'a'.repeat(64)}`, `5;chunk-signature=${'a'.repeat(64)}x`]) {
      await assertAuthError(() => decode(Buffer.from(`${line}\r\nhello\r\n`), optionsFor(signed.request, signed.verified)), 'IncompleteBody', 400, 'chunk-malformed');
    }
  });

  it('x-amz-trailer: only checksums, each once, and only for the trailer forms', async () => {
    const signing = (await signedUpload({ payload: STREAMING_SIGNED, data: Buffer.from('x') })).verified;
    for (const [trailer, payload] of [
      ['x-amz-checksum-xxhash64', UNSIGNED],
      ['x-amz-checksum-crc32,X-Amz-Checksum-CRC32', UNSIGNED],
      ['x-amz-checksum-crc32', STREAMING_SIGNED],
    ] as const) {
      await assertAuthError(() => new ChunkedDecoder({ ...unsigned(1, trailer), payload, signing }), 'InvalidRequest', 400, 'chunk-trailer-unsupported');
    }
    assert.ok(new ChunkedDecoder({ ...unsigned(1, 'x-amz-checksum-crc32'), payload: STREAMING_SIGNED_TRAILER, signing }), 'a checksum trailer on the signed trailer form');
  });

  it('trailers: each announced one sent once, named in any case with blanks around the colon', async () => {
    const data = testData(30, 9);
    const { body, crc } = await crcBody(data);
    const name = 'x-amz-checksum-crc32';
    const loose = replaceLast(body, `${name}:${crc}`, `X-Amz-Checksum-CRC32 : ${crc} `);
    assert.deepEqual((await decode(loose, unsigned(30, name))).result.checksums, { [name]: crc });
    for (const [changed, trailer] of [
      [replaceLast(body, `${name}:${crc}\r\n`, ''), name],
      [replaceLast(body, `${name}:${crc}\r\n`, `${name}:${crc}\r\n${name}:${crc}\r\n`), name],
      [body, undefined],
    ] as const) {
      await assertAuthError(() => decode(changed, unsigned(30, trailer)), 'MalformedTrailerError', 400, 'chunk-trailer-malformed');
    }
  });

  it('the signed trailer form needs its trailer signature', async () => {
    const data = Buffer.from('hello');
    const crc = await computeChecksum('CRC32', data);
    const { request, verified, body } = await signedUpload({ payload: STREAMING_SIGNED_TRAILER, data, trailers: [['x-amz-checksum-crc32', crc]] });
    const at = body.indexOf('x-amz-trailer-signature:');
    const unsignedTrailer = Buffer.concat([body.subarray(0, at), Buffer.from('\r\n')]);
    await assertAuthError(() => decode(unsignedTrailer, optionsFor(request, verified)), 'MalformedTrailerError', 400, 'chunk-trailer-malformed');
  });
});

describe('ChunkedDecoder ending', () => {
  it('end() is answered once: the same promise each time', async () => {
    const decoder = new ChunkedDecoder(unsigned(5));
    decoder.push(frame([Buffer.from('hello')]));
    const first = decoder.end();
    assert.equal(decoder.end(), first);
    assert.deepEqual(await first, { decodedLength: 5, chunks: 1, checksums: {} });
  });

  it('an incomplete body stays failed: bytes pushed after end() are refused with the same error', async () => {
    const body = frame([Buffer.from('hello')]);
    const decoder = new ChunkedDecoder(unsigned(5));
    decoder.push(body.subarray(0, 6));
    const error = await assertAuthError(() => decoder.end(), 'IncompleteBody', 400, 'chunk-incomplete-body');
    assert.throws(() => decoder.push(body.subarray(6)), (e: unknown) => e === error);
  });

  it('a bad checksum stays failed too, and names its algorithm', async () => {
    const data = testData(50, 8);
    for (const [name, algorithm] of [['x-amz-checksum-sha256', 'SHA256'], ['x-amz-checksum-crc64nvme', 'CRC64NVME']] as const) {
      const decoder = new ChunkedDecoder(unsigned(50, name));
      decoder.push(frame([data], [[name, await computeChecksum('CRC32', data)]]));
      const error = await assertAuthError(() => decoder.end(), 'BadDigest', 400, 'chunk-checksum-mismatch');
      assert.equal(error.message, `The ${algorithm} you specified did not match the calculated checksum.`);
      assert.throws(() => decoder.push(Buffer.from('x')), (e: unknown) => e === error);
    }
  });
});

describe('helpers', () => {
  it('isStreamingPayload knows exactly the three STREAMING-* values', () => {
    for (const value of [STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER]) assert.equal(isStreamingPayload(value), true, value);
    for (const value of [undefined, '', 'UNSIGNED-PAYLOAD', 'STREAMING-UNSIGNED-PAYLOAD', STREAMING_SIGNED.toLowerCase()]) assert.equal(isStreamingPayload(value), false, String(value));
  });

  it('parseTrailerNames: comma-separated, trimmed, lower-cased, empty names dropped', () => {
    assert.deepEqual(parseTrailerNames(undefined), []);
    assert.deepEqual(parseTrailerNames(''), []);
    assert.deepEqual(parseTrailerNames(' X-Amz-Checksum-CRC32 ,, x-amz-checksum-sha1,'), ['x-amz-checksum-crc32', 'x-amz-checksum-sha1']);
  });
});

describe('ChunkedDecoder, the last survivors of its mutation run', () => {
  it('no x-amz-decoded-content-length at all is MissingContentLength', async () => {
    await assertAuthError(() => new ChunkedDecoder({ ...unsigned(5), decodedContentLength: undefined }), 'MissingContentLength', 411, 'chunk-decoded-length-missing');
  });

  it('a chunk cut across pushes after its size line: only the bytes that came are data', async () => {
    const body = frame([Buffer.from('hello')]);
    for (const cuts of [[6], [4, 6], [3, 8, 9]]) {
      assert.equal((await decode(body, unsigned(5), cuts)).data.toString(), 'hello', String(cuts));
    }
  });

  it('a size line too long is too large when it came in one push as well as byte by byte', async () => {
    const { request, verified, body } = await signedUpload({ payload: STREAMING_SIGNED, data: Buffer.from('hello') });
    const longer = Buffer.concat([Buffer.from('0'.repeat(16)), body]);
    const error = await assertAuthError(() => decode(longer, optionsFor(request, verified)), 'IncompleteBody', 400, 'chunk-too-large');
    assert.equal(error.details['BadChunkSize'], '00000000000000005;chunk-signatur');
    // Its start split over two pushes is read whole.
    const split = await assertAuthError(() => decode(longer, optionsFor(request, verified), [10]), 'IncompleteBody', 400, 'chunk-too-large');
    assert.equal(split.details['BadChunkSize'], '00000000000000005;chunk-signatur');
    // A later chunk's size line, its bytes so far one past the longest legal line, no LF yet.
    const later = Buffer.from(`1\r\nx\r\n${'1'.repeat(17)}${'x'.repeat(83)}`);
    const late = await assertAuthError(() => new ChunkedDecoder(unsigned(5)).push(later), 'IncompleteBody', 400, 'chunk-too-large');
    assert.equal(late.details['BadChunkSize'], `${'1'.repeat(17)}${'x'.repeat(15)}`);
  });

  it('a signed size line with anything before its size is malformed, even when its signature is right', async () => {
    const { request, verified, body } = await signedUpload({ payload: STREAMING_SIGNED, data: Buffer.from('hello') });
    for (const prefix of ['x', ' ', ';']) {
      await assertAuthError(() => decode(Buffer.concat([Buffer.from(prefix), body]), optionsFor(request, verified)), 'IncompleteBody', 400, 'chunk-malformed');
    }
  });

  it('a trailer signature with a hex digit more, or one before it, is a malformed trailer, not a signature mismatch', async () => {
    const data = Buffer.from('hello');
    const trailed = await signedUpload({ payload: STREAMING_SIGNED_TRAILER, data, trailers: [['x-amz-checksum-crc32', await computeChecksum('CRC32', data)]] });
    for (const [from, to] of [['\r\n\r\n', '0\r\n\r\n'], ['x-amz-trailer-signature:', 'x-amz-trailer-signature:0']] as const) {
      await assertAuthError(() => decode(replaceLast(trailed.body, from, to), optionsFor(trailed.request, trailed.verified)), 'MalformedTrailerError', 400, 'chunk-trailer-malformed');
    }
  });

  it('the signed form without trailers takes no trailer signature either', async () => {
    const plain = await signedUpload({ payload: STREAMING_SIGNED, data: Buffer.from('hello') });
    const withSignature = replaceLast(plain.body, '\r\n\r\n', `\r\nx-amz-trailer-signature:${'a'.repeat(64)}\r\n\r\n`);
    await assertAuthError(() => decode(withSignature, optionsFor(plain.request, plain.verified)), 'MalformedTrailerError', 400, 'chunk-trailer-malformed');
  });

  it('two announced trailers: both read, in either order; one of them twice is refused', async () => {
    const data = testData(40, 11);
    const crc = await computeChecksum('CRC32', data);
    const sha = await computeChecksum('SHA256', data);
    const announced = 'x-amz-checksum-crc32,x-amz-checksum-sha256';
    for (const trailers of [[['x-amz-checksum-crc32', crc], ['x-amz-checksum-sha256', sha]], [['x-amz-checksum-sha256', sha], ['x-amz-checksum-crc32', crc]]] as const) {
      assert.deepEqual((await decode(frame([data], trailers), unsigned(40, announced))).result.checksums, { 'x-amz-checksum-crc32': crc, 'x-amz-checksum-sha256': sha });
    }
    const twice = frame([data], [['x-amz-checksum-crc32', crc], ['x-amz-checksum-crc32', crc]]);
    await assertAuthError(() => decode(twice, unsigned(40, announced)), 'MalformedTrailerError', 400, 'chunk-trailer-malformed');
  });

  it('a line ending in LF without CR is malformed even when what comes before the LF, less one byte, would be a line', async () => {
    await assertAuthError(() => decode(Buffer.from('5x\nhello\r\n0\r\n\r\n'), unsigned(5)), 'IncompleteBody', 400, 'chunk-malformed');
    const { body, crc } = await crcBody(Buffer.from('hello'));
    const name = 'x-amz-checksum-crc32';
    await assertAuthError(() => decode(replaceLast(body, `${name}:${crc}\r\n`, `${name}:${crc}x\n`), unsigned(5, name)), 'MalformedTrailerError', 400, 'chunk-trailer-malformed');
  });

  it('a trailer line without a colon is malformed, even when it starts with an announced name', async () => {
    const { body, crc } = await crcBody(Buffer.from('hello'));
    const name = 'x-amz-checksum-crc32';
    await assertAuthError(() => decode(replaceLast(body, `${name}:${crc}`, `${name}x`), unsigned(5, name)), 'MalformedTrailerError', 400, 'chunk-trailer-malformed');
  });

  it('a failure while pushing is what end() answers too, even once the body looked complete', async () => {
    const decoder = new ChunkedDecoder(unsigned(5));
    decoder.push(frame([Buffer.from('hello')]));
    const error = await assertAuthError(() => decoder.push(Buffer.from('x')), 'IncompleteBody', 400, 'chunk-malformed');
    await assert.rejects(decoder.end(), (e: unknown) => e === error);
  });
});
