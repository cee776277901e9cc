import assert from 'node:assert/strict';
import { STREAMING_SIGNED, STREAMING_SIGNED_TRAILER } from '../../src/sigv4/chunked.js';
import type { SignableRequest } from '../../src/sigv4/index.js';

/** AWS's published aws-chunked examples, and byte surgery on encoded bodies. */

export const AWS_DOC_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
export const AWS_DOC_TIME = Date.parse('2013-05-24T00:00:00Z');

/** The PUT of AWS's "Transferring Payload in Multiple Chunks" examples (with and without a trailer). */
export function awsDocRequest(trailer: boolean): SignableRequest {
  const signed = trailer
    ? 'content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer'
    : 'content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class';
  const seed = trailer ? '106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e' : '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9';
  return {
    method: 'PUT',
    path: '/examplebucket/chunkObject.txt',
    query: '',
    headers: {
      host: 's3.amazonaws.com',
      'x-amz-date': '20130524T000000Z',
      'x-amz-storage-class': 'REDUCED_REDUNDANCY',
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': '66560',
      'x-amz-content-sha256': trailer ? STREAMING_SIGNED_TRAILER : STREAMING_SIGNED,
      ...(trailer ? { 'x-amz-trailer': 'x-amz-checksum-crc32c' } : { 'content-length': '66824' }),
      authorization: `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=${signed},Signature=${seed}`,
    },
  };
}

/** Its body: 64 KiB + 1 KiB of 'a', with the documented chunk (and trailer) signatures. */
export function awsDocBody(trailer: boolean): Buffer {
  const sigs = trailer
    ? ['b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2', '1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7', '2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992']
    : ['ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648', '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497', 'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9'];
  const end = trailer ? 'x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n' : '\r\n';
  return Buffer.concat([
    Buffer.from(`10000;chunk-signature=${sigs[0]}\r\n`),
    Buffer.alloc(65536, 'a'),
    Buffer.from(`\r\n400;chunk-signature=${sigs[1]}\r\n`),
    Buffer.alloc(1024, 'a'),
    Buffer.from(`\r\n0;chunk-signature=${sigs[2]}\r\n${end}`),
  ]);
}

/** Offsets of each size line's signature and data in an encoded body. */
export function frames(body: Buffer): Array<{ line: number; signature: number; data: number; size: number }> {
  const out = [];
  let pos = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', pos);
    const line = body.toString('latin1', pos, eol);
    const size = parseInt(line, 16);
    const semi = line.indexOf('=');
    out.push({ line: pos, signature: semi === -1 ? -1 : pos + semi + 1, data: eol + 2, size });
    if (size === 0) return out;
    pos = eol + 2 + size + 2;
  }
}

export function flipHex(body: Buffer, at: number): Buffer {
  const copy = Buffer.from(body);
  copy[at] = copy[at] === 0x30 ? 0x31 : 0x30;
  return copy;
}

export function replaceLast(body: Buffer, search: string, replacement: string): Buffer {
  const at = body.lastIndexOf(search);
  assert.ok(at >= 0, `body contains ${search}`);
  return Buffer.concat([body.subarray(0, at), Buffer.from(replacement), body.subarray(at + search.length)]);
}
