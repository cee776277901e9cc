import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  EMPTY_SHA256,
  nodeCrypto,
  parseAuthorization,
  presign,
  signRequest,
  verifyParsed,
  type SignableRequest,
} from '../../src/sigv4/index.js';
import { loadVectors, parseRawRequest, type Vector } from '../helpers/vectors.js';

const vectors = loadVectors();

function common(v: Vector) {
  const c = v.context;
  const singleHeaders: Record<string, string> = {};
  for (const [name, values] of Object.entries(v.request.headers)) singleHeaders[name] = values.join(',');
  return {
    method: v.request.method,
    url: `http://${singleHeaders['host']}${v.request.target}`,
    credentials: { accessKeyId: c.credentials.access_key_id, secretAccessKey: c.credentials.secret_access_key, sessionToken: c.credentials.token },
    region: c.region,
    service: c.service,
    now: Date.parse(c.timestamp),
    crypto: nodeCrypto,
    normalizePath: c.normalize,
    signSessionToken: !c.omit_session_token,
    payloadHash: c.sign_body ? createHash('sha256').update(v.request.body).digest('hex') : EMPTY_SHA256,
    singleHeaders,
  };
}

/** Node gives repeated headers as arrays (headersDistinct); so does the verifier's input. */
function signable(text: string): SignableRequest {
  const raw = parseRawRequest(text);
  return { method: raw.method, path: raw.path, query: raw.query, headers: raw.headers };
}

it('loads all 38 cases of the suite', () => assert.equal(vectors.length, 38));

for (const v of vectors) {
  describe(v.name, () => {
    it('header mode: canonical request, string to sign, signature', () => {
      const { singleHeaders, ...input } = common(v);
      // Repeated headers are signed in arrival order, joined by commas.
      const result = signRequest({ ...input, headers: singleHeaders, contentSha256Header: v.context.sign_body });
      assert.equal(result.canonicalRequest, v.read('header-canonical-request.txt'), 'canonical request');
      assert.equal(result.stringToSign, v.read('header-string-to-sign.txt'), 'string to sign');
      assert.equal(result.signature, v.read('header-signature.txt'), 'signature');
    });

    it('query mode: canonical request, string to sign, signature', () => {
      const { singleHeaders, ...input } = common(v);
      const { host: _host, ...headers } = singleHeaders;
      const result = presign({ ...input, headers, expiresIn: v.context.expiration_in_seconds });
      assert.equal(result.canonicalRequest, v.read('query-canonical-request.txt'), 'canonical request');
      assert.equal(result.stringToSign, v.read('query-string-to-sign.txt'), 'string to sign');
      assert.equal(result.signature, v.read('query-signature.txt'), 'signature');
    });

    // A token added after signing is an unsigned x-amz-* header, which S3 refuses (HeadersNotSigned).
    if (v.context.omit_session_token) return;

    for (const mode of ['header', 'query'] as const) {
      it(`${mode} mode: the signed request verifies, and fails with one character changed`, () => {
        const { payloadHash, now, credentials, region, service, normalizePath } = common(v);
        const request = signable(v.read(`${mode}-signed-request.txt`));
        const options = { now, crypto: nodeCrypto, normalizePath, payloadHash };
        const parsed = parseAuthorization(request, { region, service, requireContentSha256: false });
        assert.notEqual(parsed.version, 0);
        if (parsed.version === 0) return;
        const verified = verifyParsed(parsed, request, credentials.secretAccessKey, options);
        assert.equal(verified.accessKeyId, 'AKIDEXAMPLE');
        assert.throws(
          () => verifyParsed(parsed, { ...request, method: request.method === 'GET' ? 'PUT' : 'GET' }, credentials.secretAccessKey, options),
          (e: unknown) => (e as { code?: string }).code === 'SignatureDoesNotMatch',
        );
        assert.throws(
          () => verifyParsed(parsed, request, `${credentials.secretAccessKey}x`, options),
          (e: unknown) => (e as { code?: string }).code === 'SignatureDoesNotMatch',
        );
      });
    }
  });
}
