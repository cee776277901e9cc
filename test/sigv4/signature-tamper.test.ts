import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeChecksum } from '../helpers/checksum.js';
import { STREAMING_SIGNED, STREAMING_SIGNED_TRAILER } from '../../src/sigv4/chunked.js';
import { nodeCrypto, presign, signRequest, signV2, type AuthDefect, type SignableRequest } from '../../src/sigv4/index.js';
import { frames } from '../helpers/capture-bodies.js';
import { assertAuthError, decode, optionsFor, signedUpload, testData } from '../helpers/capture-decode.js';
import { requestFromUrl } from '../helpers/sigv2-clients.js';
import { BASE64, HEX, sameAlphabetChanges } from '../helpers/tamper.js';
import { verifierFor } from '../helpers/verify-key.js';

/*
 * A signature changed at any one position, to another character of its own
 * alphabet, is SignatureDoesNotMatch: the comparison covers every byte (a
 * comparison that skipped the first or last byte, or stopped early, fails here).
 */

const NOW = Date.parse('2024-05-06T07:08:09Z');
const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const REGION = 'us-east-1';
const URL_ = 'http://127.0.0.1:9000/bkt/key.txt?versionId=v1';

const verify = verifierFor(CREDENTIALS, NOW);

async function assertEveryChangeRefused(request: SignableRequest, signature: string, alphabet: string, place: (request: SignableRequest, changed: string) => SignableRequest): Promise<void> {
  await verify(request); // the untouched request passes, so each refusal below is the change's doing
  const changes = sameAlphabetChanges(signature, alphabet);
  assert.ok(changes.length >= signature.length - 1, 'every position changed');
  for (const { at, signature: changed } of changes) {
    const error = await assertAuthError(() => verify(place(request, changed)), 'SignatureDoesNotMatch', 403, 'signature-mismatch');
    assert.equal(error.details['SignatureProvided'], changed, `position ${at}`);
  }
}

const replaceIn = (text: string, from: string, to: string) => {
  assert.ok(text.includes(from));
  return text.replace(from, to);
};

describe('a signature changed at any position to another valid character', () => {
  it('SigV4 Authorization header', async () => {
    const signed = signRequest({ method: 'GET', url: URL_, credentials: CREDENTIALS, region: REGION, now: NOW, crypto: nodeCrypto, payloadHash: 'UNSIGNED-PAYLOAD' });
    const request: SignableRequest = { method: 'GET', path: '/bkt/key.txt', query: 'versionId=v1', headers: signed.headers };
    await assertEveryChangeRefused(request, signed.signature, HEX, (r, changed) => ({
      ...r,
      headers: { ...r.headers, authorization: replaceIn(String(r.headers['authorization']), `Signature=${signed.signature}`, `Signature=${changed}`) },
    }));
  });

  it('SigV4 pre-signed URL (X-Amz-Signature)', async () => {
    const { url, signature } = presign({ method: 'GET', url: URL_, credentials: CREDENTIALS, region: REGION, now: NOW, crypto: nodeCrypto, expiresIn: 3600 });
    await assertEveryChangeRefused(requestFromUrl('GET', url), signature, HEX, (r, changed) => ({
      ...r,
      query: replaceIn(r.query, `X-Amz-Signature=${signature}`, `X-Amz-Signature=${changed}`),
    }));
  });

  it('SigV2 pre-signed URL (Signature)', async () => {
    const { url, signature } = signV2({ mode: 'query', method: 'GET', url: URL_, credentials: CREDENTIALS, now: NOW, crypto: nodeCrypto, expiresIn: 3600 });
    assert.equal(signature.length, 28);
    await assertEveryChangeRefused(requestFromUrl('GET', url), signature, BASE64, (r, changed) => ({
      ...r,
      query: replaceIn(r.query, `Signature=${encodeURIComponent(signature)}`, `Signature=${encodeURIComponent(changed)}`),
    }));
  });

  it('SigV2 Authorization header', async () => {
    const { headers, signature } = signV2({ mode: 'header', method: 'GET', url: URL_, credentials: CREDENTIALS, now: NOW, crypto: nodeCrypto });
    const request: SignableRequest = { method: 'GET', path: '/bkt/key.txt', query: 'versionId=v1', headers: { host: '127.0.0.1:9000', ...headers } };
    await assertEveryChangeRefused(request, signature, BASE64, (r, changed) => ({
      ...r,
      headers: { ...r.headers, authorization: `AWS ${CREDENTIALS.accessKeyId}:${changed}` },
    }));
  });
});

for (const payload of [STREAMING_SIGNED, STREAMING_SIGNED_TRAILER] as const) {
  describe(`${payload}: a chunk${payload === STREAMING_SIGNED_TRAILER ? ' or trailer' : ''} signature changed at any position`, () => {
    it('is SignatureDoesNotMatch', async () => {
      const data = testData(2 * 8192 + 100, 3);
      const trailers = payload === STREAMING_SIGNED_TRAILER ? ([['x-amz-checksum-crc32', await computeChecksum('CRC32', data)]] as const) : undefined;
      const { request, verified, body } = await signedUpload({ payload, data, chunkSize: 8192, ...(trailers ? { trailers } : {}) });
      const options = optionsFor(request, verified);
      assert.ok((await decode(body, options)).data.equals(data));
      const text = body.toString('latin1');
      const signatures: Array<{ start: number; defect: AuthDefect }> = frames(body).map((frame) => ({ start: frame.signature, defect: 'chunk-signature-mismatch' }));
      const trailerAt = text.indexOf('x-amz-trailer-signature:');
      if (trailers) {
        assert.ok(trailerAt > 0);
        signatures.push({ start: trailerAt + 'x-amz-trailer-signature:'.length, defect: 'chunk-trailer-signature-mismatch' });
      }
      assert.equal(signatures.length, trailers ? 5 : 4);
      for (const { start, defect } of signatures) {
        const signature = text.slice(start, start + 64);
        assert.match(signature, /^[0-9a-f]{64}$/);
        for (const { at, signature: changed } of sameAlphabetChanges(signature, HEX)) {
          const tampered = Buffer.from(text.slice(0, start) + changed + text.slice(start + 64), 'latin1');
          await assertAuthError(() => decode(tampered, options), 'SignatureDoesNotMatch', 403, defect).catch((error: unknown) => {
            throw new Error(`signature at ${start}, position ${at}: ${String(error)}`);
          });
        }
      }
    });
  });
}
