import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { AuthError, nodeCrypto, verifyRequest, type AuthDefect, type SignableRequest } from '../../src/sigv4/index.js';
import { boto3Send, botoPresign, type BotoCall } from '../helpers/botocore.js';
import { sendRaw, signableOf, startCaptureServer, type CaptureServer, type CapturedRequest } from '../helpers/capture-server.js';
import { jsClient } from '../helpers/sdk-js.js';

/*
 * Requests made by the real SDKs (sent over a socket, or presigned and then
 * sent as-is) verify; then every one-character change to anything they signed
 * is refused, with the check that fires first named.
 */

const REGION = 'us-east-1';
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const KEYS: Record<string, { accessKeyId: string; secretAccessKey: string; sessionToken?: string }> = {
  plain: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET },
  token: { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: SECRET, sessionToken: 'IQoJb3JpZ2lu/tok+en==' },
};
const KEY = 'dir/a b+ü%~.txt';
const PREFIX = 'a b/é';
const BODY = 'hello';

interface Sample {
  readonly label: string;
  readonly captured: CapturedRequest;
}

let server: CaptureServer;
const samples: Sample[] = [];

async function captureFrom(label: string, run: () => Promise<unknown>): Promise<void> {
  const first = server.requests.length;
  await run();
  const got = server.requests.slice(first);
  got.forEach((captured, i) => samples.push({ label: `${label}${got.length > 1 ? ` #${i + 1}` : ''}`, captured }));
}

before(async () => {
  server = await startCaptureServer({ tls: false });
  const endpoint = server.endpoint;
  for (const [credName, cred] of Object.entries(KEYS)) {
    const js = jsClient({ endpoint, region: REGION, ...cred });
    const send = async (what: string, run: () => Promise<unknown>) => captureFrom(`JS SDK sent ${what} (${credName})`, run);
    await send('GetObject', () => js.send(new GetObjectCommand({ Bucket: 'bkt', Key: KEY, ResponseContentDisposition: 'attachment; filename="x y"' })));
    await send('HeadObject', () => js.send(new HeadObjectCommand({ Bucket: 'bkt', Key: KEY })));
    await send('DeleteObject', () => js.send(new DeleteObjectCommand({ Bucket: 'bkt', Key: KEY })));
    await send('ListObjectsV2', () => js.send(new ListObjectsV2Command({ Bucket: 'bkt', Prefix: PREFIX, MaxKeys: 5 })));
    await send('PutObject', () => js.send(new PutObjectCommand({ Bucket: 'bkt', Key: KEY, Body: BODY, ContentType: 'text/plain' })));

    const presigned = async (what: string, url: string, method: string, headers?: Record<string, string>, body?: string) => {
      await captureFrom(`JS presigned ${what} (${credName})`, () => sendRaw(url, method, headers, body));
    };
    const opts = { expiresIn: 3600 };
    await presigned('GetObject', await getSignedUrl(js, new GetObjectCommand({ Bucket: 'bkt', Key: KEY, ResponseContentType: 'text/x; a="b"' }), opts), 'GET');
    await presigned('HeadObject', await getSignedUrl(js, new HeadObjectCommand({ Bucket: 'bkt', Key: KEY }), opts), 'HEAD');
    await presigned('DeleteObject', await getSignedUrl(js, new DeleteObjectCommand({ Bucket: 'bkt', Key: KEY }), opts), 'DELETE');
    await presigned('ListObjectsV2', await getSignedUrl(js, new ListObjectsV2Command({ Bucket: 'bkt', Prefix: PREFIX }), opts), 'GET');
    const putUrl = await getSignedUrl(js, new PutObjectCommand({ Bucket: 'bkt', Key: KEY, Body: BODY, ContentType: 'text/plain' }), { ...opts, signableHeaders: new Set(['content-type']) });
    await presigned('PutObject', putUrl, 'PUT', { 'content-type': 'text/plain' }, BODY);

    const boto = { endpoint, region: REGION, ...cred };
    const calls: BotoCall[] = [
      { method: 'get_object', params: { Bucket: 'bkt', Key: KEY, ResponseContentDisposition: 'attachment; filename="x y"' } },
      { method: 'head_object', params: { Bucket: 'bkt', Key: KEY } },
      { method: 'delete_object', params: { Bucket: 'bkt', Key: KEY } },
      { method: 'list_objects_v2', params: { Bucket: 'bkt', Prefix: PREFIX, MaxKeys: 5 } },
      { method: 'put_object', params: { Bucket: 'bkt', Key: KEY, Body: BODY, ContentType: 'text/plain' } },
    ];
    await captureFrom(`boto3 sent get/head/delete/list/put (${credName})`, () => boto3Send(boto, calls));
    const urls = await botoPresign(boto, calls.map((c) => ({ ...c, params: { ...c.params, Body: undefined }, expiresIn: 3600 })).map(stripUndefined));
    const methods = ['GET', 'HEAD', 'DELETE', 'GET', 'PUT'];
    for (const [i, url] of urls.entries()) {
      const isPut = methods[i] === 'PUT';
      await captureFrom(`botocore presigned ${calls[i]?.method ?? ''} (${credName})`, () =>
        sendRaw(url, methods[i] ?? 'GET', isPut ? { 'content-type': 'text/plain' } : {}, isPut ? BODY : undefined),
      );
    }
  }
});

after(() => server.close());

function stripUndefined(call: BotoCall): BotoCall {
  return { ...call, params: Object.fromEntries(Object.entries(call.params).filter(([, v]) => v !== undefined)) };
}

const lookupSecret = (id: string) => Object.values(KEYS).find((k) => k.accessKeyId === id);

async function verify(request: SignableRequest) {
  return verifyRequest(request, { region: REGION, now: Date.now(), crypto: nodeCrypto, lookupSecret });
}

interface Expectation {
  readonly defect: AuthDefect;
  readonly code: string;
}
const MISMATCH: Expectation = { defect: 'signature-mismatch', code: 'SignatureDoesNotMatch' };

interface Mutation {
  readonly what: string;
  readonly request: SignableRequest;
  readonly expect: Expectation;
}

/** Replace one character with one that is never equivalent to it (not hex, not whitespace, not upper case). */
function flip(text: string, i: number): string {
  return `${text.slice(0, i)}${text[i] === 'q' ? 'r' : 'q'}${text.slice(i + 1)}`;
}

function* positions(text: string): Generator<[number, string]> {
  for (let i = 0; i < text.length; i++) yield [i, flip(text, i)];
}

const AUTH_PARAMS = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature'];
const OPTIONAL_AUTH_PARAMS = ['X-Amz-Security-Token', 'X-Amz-Content-Sha256'];

function credentialExpectation(mode: 'header' | 'query', original: string, mutated: string): Expectation {
  const malformed = mode === 'header' ? 'AuthorizationHeaderMalformed' : 'AuthorizationQueryParametersError';
  const [akid, date, region, service, terminator, ...rest] = mutated.split('/');
  const [oAkid, oDate] = original.split('/');
  if (rest.length > 0 || terminator === undefined || !akid || !/^\d{8}$/.test(date ?? '') || !region || !service) return { defect: 'malformed-credential', code: malformed };
  if (terminator !== 'aws4_request') return { defect: 'wrong-terminator', code: malformed };
  if (region !== REGION) return { defect: 'wrong-region', code: malformed };
  if (service !== 's3') return { defect: 'wrong-service', code: malformed };
  if (date !== oDate) return { defect: 'scope-date-mismatch', code: malformed };
  if (akid !== oAkid) return { defect: 'unknown-access-key', code: 'InvalidAccessKeyId' };
  return MISMATCH;
}

function signedHeadersExpectation(mode: 'header' | 'query', request: SignableRequest, mutated: string): Expectation {
  const names = mutated.split(';');
  if (!names.includes('host')) return { defect: 'host-not-signed', code: mode === 'header' ? 'AuthorizationHeaderMalformed' : 'AuthorizationQueryParametersError' };
  const unsigned = Object.keys(request.headers).some((h) => h.startsWith('x-amz-') && h !== 'x-amz-content-sha256' && !names.includes(h));
  return unsigned ? { defect: 'headers-not-signed', code: 'AccessDenied' } : MISMATCH;
}

function queryValueExpectation(name: string, original: string, mutated: string, request: SignableRequest): Expectation {
  switch (name) {
    case 'X-Amz-Algorithm': return { defect: 'unsupported-algorithm', code: 'AuthorizationQueryParametersError' };
    case 'X-Amz-Credential': return credentialExpectation('query', original, mutated);
    case 'X-Amz-Date': return { defect: 'malformed-date', code: 'AuthorizationQueryParametersError' };
    case 'X-Amz-Expires': return { defect: 'expires-not-a-number', code: 'AuthorizationQueryParametersError' };
    case 'X-Amz-SignedHeaders': return signedHeadersExpectation('query', request, mutated);
    case 'X-Amz-Content-Sha256': return { defect: 'invalid-content-sha256', code: 'InvalidArgument' };
    default: return MISMATCH;
  }
}

function headerValueExpectation(name: string, mode: 'header' | 'query'): Expectation {
  if (mode === 'header' && name === 'x-amz-date') return { defect: 'missing-date', code: 'AccessDenied' };
  if (mode === 'header' && name === 'x-amz-content-sha256') return { defect: 'invalid-content-sha256', code: 'InvalidArgument' };
  return MISMATCH;
}

function decode(text: string): string {
  return decodeURIComponent(text.replace(/\+/g, ' '));
}

function* mutations(request: SignableRequest): Generator<Mutation> {
  const authorization = request.headers['authorization'];
  const mode = authorization === undefined ? 'query' : 'header';
  const signedHeaders = signedHeaderNames(request);

  for (const [i, method] of positions(request.method)) yield { what: `method[${i}]`, request: { ...request, method }, expect: MISMATCH };
  for (const [i, path] of positions(request.path)) yield { what: `path[${i}]`, request: { ...request, path }, expect: MISMATCH };

  const items = request.query === '' ? [] : request.query.split('&');
  const withItems = (next: string[]): SignableRequest => ({ ...request, query: next.join('&') });
  for (const [k, item] of items.entries()) {
    const eq = item.indexOf('=');
    const rawName = eq === -1 ? item : item.slice(0, eq);
    const name = decode(rawName);
    const value = eq === -1 ? '' : decode(item.slice(eq + 1));
    if (name === 'X-Amz-Signature') {
      for (const [i, v] of positions(value)) yield { what: `signature[${i}]`, request: withItems(items.with(k, `${rawName}=${v}`)), expect: MISMATCH };
      continue;
    }
    for (const [i, v] of positions(value)) {
      const expect = queryValueExpectation(name, value, v, request);
      yield { what: `query ${name}[${i}]`, request: withItems(items.with(k, `${rawName}=${encodeURIComponent(v)}`)), expect };
    }
    const required = AUTH_PARAMS.includes(name);
    const missing: Expectation = required ? { defect: 'missing-query-parameters', code: 'AuthorizationQueryParametersError' } : MISMATCH;
    yield { what: `query ${name} renamed`, request: withItems(items.with(k, `${flip(rawName, 0)}${item.slice(rawName.length)}`)), expect: missing };
    yield { what: `query ${name} removed`, request: withItems(items.toSpliced(k, 1)), expect: missing };
    const duplicate: Expectation = required || OPTIONAL_AUTH_PARAMS.includes(name) ? { defect: 'duplicate-query-parameter', code: 'AuthorizationQueryParametersError' } : MISMATCH;
    yield { what: `query ${name} repeated`, request: withItems(items.toSpliced(k, 0, item)), expect: duplicate };
  }
  yield { what: 'query parameter added', request: withItems([...items, 'extra=1']), expect: MISMATCH };

  for (const name of signedHeaders) {
    const values = request.headers[name];
    const value = typeof values === 'string' ? values : values?.[0] ?? '';
    for (const [i, v] of positions(value)) {
      yield { what: `header ${name}[${i}]`, request: { ...request, headers: { ...request.headers, [name]: [v] } }, expect: headerValueExpectation(name, mode) };
    }
  }

  if (typeof authorization !== 'object' || authorization[0] === undefined) return;
  const header = authorization[0];
  const fields = /^AWS4-HMAC-SHA256 Credential=([^,]*), SignedHeaders=([^,]*), Signature=(.*)$/.exec(header);
  assert.ok(fields, header);
  const [, credential = '', signed = '', signature = ''] = fields;
  const withAuth = (value: string): SignableRequest => ({ ...request, headers: { ...request.headers, authorization: [value] } });
  const rebuild = (c: string, s: string, sig: string) => `AWS4-HMAC-SHA256 Credential=${c}, SignedHeaders=${s}, Signature=${sig}`;
  for (const [i, v] of positions(credential)) yield { what: `Credential[${i}]`, request: withAuth(rebuild(v, signed, signature)), expect: credentialExpectation('header', credential, v) };
  for (const [i, v] of positions(signed)) yield { what: `SignedHeaders[${i}]`, request: withAuth(rebuild(credential, v, signature)), expect: signedHeadersExpectation('header', request, v) };
  for (const [i, v] of positions(signature)) yield { what: `Signature[${i}]`, request: withAuth(rebuild(credential, signed, v)), expect: MISMATCH };
  yield { what: 'algorithm', request: withAuth(flip(header, 0)), expect: { defect: 'unsupported-authorization-type', code: 'InvalidArgument' } };
  yield { what: 'field name', request: withAuth(header.replace('Credential=', 'Credentiaq=')), expect: { defect: 'malformed-authorization-header', code: 'AuthorizationHeaderMalformed' } };
}

function signedHeaderNames(request: SignableRequest): string[] {
  const auth = request.headers['authorization'];
  const text = typeof auth === 'object' ? auth[0] : auth;
  if (text !== undefined) return /SignedHeaders=([^,]*)/.exec(text)?.[1]?.split(';') ?? [];
  const m = /(?:^|&)X-Amz-SignedHeaders=([^&]*)/.exec(request.query);
  return m?.[1] === undefined ? [] : decode(m[1]).split(';');
}

describe('requests from real SDKs verify, and any one-character change is refused', () => {
  it('captured every request the SDKs made', () => {
    // Per credential set: 5 sent + 5 presigned from each SDK.
    assert.equal(samples.length, 2 * 4 * 5, samples.map((s) => s.label).join('\n'));
  });

  it('covers both modes, both SDKs, a session token and a signed body hash', () => {
    const req = samples.map((s) => signableOf(s.captured));
    assert.ok(req.some((r) => r.headers['x-amz-security-token'] !== undefined));
    assert.ok(req.some((r) => r.query.includes('X-Amz-Security-Token=')));
    const put = samples.filter((s) => s.captured.method === 'PUT');
    assert.equal(put.length, 8);
    for (const s of put) assert.equal(s.captured.body.toString(), BODY, s.label);
    const hashed = put.filter((s) => s.captured.headers['x-amz-content-sha256']?.[0] === createHash('sha256').update(BODY).digest('hex'));
    assert.equal(hashed.length, 4, 'both SDKs hash the PUT body over plain http');
  });

  it('every request verifies as it arrived', async () => {
    for (const { label, captured } of samples) {
      const verified = await verify(signableOf(captured));
      assert.equal(verified.version, 4, label);
      if (verified.version !== 4) continue;
      assert.equal(verified.mode, captured.headers['authorization'] ? 'header' : 'query', label);
    }
  });

  it('every one-character change fails with the expected code and defect', async () => {
    const seen = new Map<AuthDefect, number>();
    for (const { label, captured } of samples) {
      for (const m of mutations(signableOf(captured))) {
        seen.set(m.expect.defect, (seen.get(m.expect.defect) ?? 0) + 1);
        await assert.rejects(verify(m.request), (e: unknown) => {
          assert.ok(e instanceof AuthError, `${label} / ${m.what}: ${String(e)}`);
          assert.deepEqual({ defect: e.defect, code: e.code }, m.expect, `${label} / ${m.what}`);
          return true;
        });
      }
    }
    const total = [...seen.values()].reduce((a, b) => a + b, 0);
    assert.ok(total > 10000, `only ${total} mutations`);
    // The structural checks each fired somewhere, so the expectations above were exercised, not just the mismatch path.
    assert.deepEqual([...seen.keys()].sort(), [
      'duplicate-query-parameter', 'expires-not-a-number', 'headers-not-signed', 'host-not-signed', 'invalid-content-sha256',
      'malformed-authorization-header', 'malformed-credential', 'malformed-date', 'missing-date', 'missing-query-parameters',
      'signature-mismatch', 'unknown-access-key', 'unsupported-algorithm', 'unsupported-authorization-type', 'wrong-region',
      'wrong-service', 'wrong-terminator',
    ]);
  });
});
