import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeCrypto } from '../../src/sigv4/node-crypto.js';
import { presign } from '../../src/sigv4/sign.js';
import { boto3 } from '../helpers/clients.js';
import { httpRequest, parseS3Error, signedRequest, type RawResponse } from '../helpers/e2e-http.js';
import { ROOT_CREDENTIALS, startServer, type TestServer } from '../helpers/server.js';

const VARY = 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method';
const NOT_ALLOWED =
  "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.";

const CONFIG = `<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <CORSRule>
    <ID>uploads</ID>
    <AllowedOrigin>https://*.example.com</AllowedOrigin>
    <AllowedMethod>PUT</AllowedMethod>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedHeader>content-type</AllowedHeader>
    <AllowedHeader>x-amz-*</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
    <ExposeHeader>x-amz-request-id</ExposeHeader>
    <MaxAgeSeconds>600</MaxAgeSeconds>
  </CORSRule>
  <CORSRule>
    <AllowedOrigin>*</AllowedOrigin>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedMethod>HEAD</AllowedMethod>
  </CORSRule>
</CORSConfiguration>`;

function header(res: RawResponse, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function assertError(res: RawResponse, status: number, code: string): ReturnType<typeof parseS3Error> {
  const error = parseS3Error(res.body);
  assert.equal(error.code, code, res.body.toString());
  assert.equal(res.status, status);
  return error;
}

function assertNoCorsHeaders(res: RawResponse): void {
  for (const name of Object.keys(res.headers)) assert.ok(!name.startsWith('access-control-'), `unexpected ${name}`);
}

describe('bucket CORS against the real server', () => {
  let server: TestServer;
  const url = (path: string) => `${server.endpoint}${path}`;
  const preflight = (path: string, headers: Record<string, string>) => httpRequest(url(path), { method: 'OPTIONS', headers });
  const presigned = (method: string, path: string, expiresIn = 300, now = Date.now()) =>
    presign({ method, url: url(path), credentials: ROOT_CREDENTIALS, region: server.region, now, crypto: nodeCrypto, expiresIn }).url;

  before(async () => {
    server = await startServer();
    for (const bucket of ['cors', 'plain']) assert.equal((await signedRequest(server, { method: 'PUT', path: `/${bucket}` })).status, 200);
    const put = await signedRequest(server, { method: 'PUT', path: '/cors?cors', body: CONFIG, headers: { 'content-type': 'application/xml' } });
    assert.equal(put.status, 200, put.body.toString());
    assert.equal((await signedRequest(server, { method: 'PUT', path: '/cors/hello.txt', body: 'hello' })).status, 200);
  });
  after(async () => {
    await server.stop();
  });

  test('GetBucketCors returns the rules as stored, in order', async () => {
    const res = await signedRequest(server, { method: 'GET', path: '/cors?cors' });
    assert.equal(res.status, 200);
    assert.equal(header(res, 'content-type'), 'application/xml');
    const xml = res.body.toString();
    assert.match(xml, /^<\?xml[^>]*>\n<CORSConfiguration xmlns="http:\/\/s3\.amazonaws\.com\/doc\/2006-03-01\/">/);
    assert.match(
      xml,
      /<CORSRule><ID>uploads<\/ID><AllowedHeader>content-type<\/AllowedHeader><AllowedHeader>x-amz-\*<\/AllowedHeader><AllowedMethod>PUT<\/AllowedMethod><AllowedMethod>GET<\/AllowedMethod><AllowedOrigin>https:\/\/\*\.example\.com<\/AllowedOrigin><ExposeHeader>ETag<\/ExposeHeader><ExposeHeader>x-amz-request-id<\/ExposeHeader><MaxAgeSeconds>600<\/MaxAgeSeconds><\/CORSRule><CORSRule><AllowedMethod>GET<\/AllowedMethod><AllowedMethod>HEAD<\/AllowedMethod><AllowedOrigin>\*<\/AllowedOrigin><\/CORSRule><\/CORSConfiguration>$/,
    );
  });

  test('boto3 reads the configuration and replaces it; the bucket without one answers NoSuchCORSConfiguration', async () => {
    const result = await boto3<{ rules: unknown; error: string; status: number; after: unknown }>(
      server,
      `
got = s3.get_bucket_cors(Bucket='cors')['CORSRules']
try:
    s3.get_bucket_cors(Bucket='plain')
    err, status = None, None
except botocore.exceptions.ClientError as e:
    err, status = e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode']
s3.put_bucket_cors(Bucket='plain', CORSConfiguration={'CORSRules': [{'AllowedOrigins': ['http://a.test'], 'AllowedMethods': ['DELETE'], 'MaxAgeSeconds': 5}]})
after_put = s3.get_bucket_cors(Bucket='plain')['CORSRules']
s3.delete_bucket_cors(Bucket='plain')
print(json.dumps({'rules': got, 'error': err, 'status': status, 'after': after_put}))
`,
    );
    assert.deepEqual(result.rules, [
      {
        ID: 'uploads',
        AllowedHeaders: ['content-type', 'x-amz-*'],
        AllowedMethods: ['PUT', 'GET'],
        AllowedOrigins: ['https://*.example.com'],
        ExposeHeaders: ['ETag', 'x-amz-request-id'],
        MaxAgeSeconds: 600,
      },
      { AllowedMethods: ['GET', 'HEAD'], AllowedOrigins: ['*'] },
    ]);
    assert.equal(result.error, 'NoSuchCORSConfiguration');
    assert.equal(result.status, 404);
    assert.deepEqual(result.after, [{ AllowedMethods: ['DELETE'], AllowedOrigins: ['http://a.test'], MaxAgeSeconds: 5 }]);
  });

  test('PutBucketCors validates as S3 does and keeps the previous configuration on failure', async () => {
    const bad = (body: string) => signedRequest(server, { method: 'PUT', path: '/cors?cors', body });
    assertError(await bad('<CORSConfiguration/>'), 400, 'MalformedXML');
    assertError(await bad('<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>'), 400, 'MalformedXML');
    assertError(await bad('not xml at all <'), 400, 'MalformedXML');
    const method = assertError(
      await bad('<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod></CORSRule></CORSConfiguration>'),
      400,
      'InvalidRequest',
    );
    assert.equal(method.message, 'Found unsupported HTTP method in CORS config. Unsupported method is PATCH');
    assertError(await bad(''), 400, 'MissingRequestBodyError');
    assertError(await signedRequest(server, { method: 'PUT', path: '/nope?cors', body: CONFIG }), 404, 'NoSuchBucket');
    const still = await signedRequest(server, { method: 'GET', path: '/cors?cors' });
    assert.match(still.body.toString(), /<ID>uploads<\/ID>/);
  });

  test('an allowed preflight is answered without credentials, echoing origin and requested headers', async () => {
    const res = await preflight('/cors/some/new-key.bin', {
      origin: 'https://app.example.com',
      'access-control-request-method': 'PUT',
      'access-control-request-headers': 'Content-Type, X-Amz-Meta-Owner',
    });
    assert.equal(res.status, 200, res.body.toString());
    assert.equal(header(res, 'access-control-allow-origin'), 'https://app.example.com');
    assert.equal(header(res, 'access-control-allow-methods'), 'PUT, GET');
    assert.equal(header(res, 'access-control-allow-headers'), 'content-type, x-amz-meta-owner');
    assert.equal(header(res, 'access-control-expose-headers'), 'ETag, x-amz-request-id');
    assert.equal(header(res, 'access-control-max-age'), '600');
    assert.equal(header(res, 'access-control-allow-credentials'), 'true');
    assert.equal(header(res, 'vary'), VARY);
    assert.equal(res.body.length, 0);
  });

  test('the * rule answers any origin with *, and never with credentials', async () => {
    const res = await preflight('/cors/hello.txt', { origin: 'http://localhost:3000', 'access-control-request-method': 'GET' });
    assert.equal(res.status, 200);
    assert.equal(header(res, 'access-control-allow-origin'), '*');
    assert.equal(header(res, 'access-control-allow-credentials'), undefined);
    assert.equal(header(res, 'access-control-allow-headers'), undefined);
    assert.equal(header(res, 'access-control-max-age'), undefined);
  });

  test('a preflight no rule allows is 403 AccessForbidden with S3 wording, and carries no CORS headers', async () => {
    const cases: Record<string, string>[] = [
      // origin outside the wildcard (the suffix must match, not just contain)
      { origin: 'https://app.example.com.evil.net', 'access-control-request-method': 'PUT' },
      // method only the * rule has... which does not allow PUT
      { origin: 'http://localhost:3000', 'access-control-request-method': 'PUT' },
      // a header outside AllowedHeader
      { origin: 'https://app.example.com', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type, authorization' },
      // DELETE is in no rule
      { origin: 'https://app.example.com', 'access-control-request-method': 'DELETE' },
    ];
    for (const headers of cases) {
      const res = await preflight('/cors/key', headers);
      const error = assertError(res, 403, 'AccessForbidden');
      assert.equal(error.message, NOT_ALLOWED);
      assert.equal(error.fields['Method'], headers['access-control-request-method']);
      assert.equal(error.fields['ResourceType'], 'OBJECT');
      assertNoCorsHeaders(res);
    }
  });

  test('preflights against a bucket without CORS, a missing bucket, or without the required headers', async () => {
    const none = await preflight('/plain', { origin: 'https://app.example.com', 'access-control-request-method': 'GET' });
    const error = assertError(none, 403, 'AccessForbidden');
    assert.equal(error.message, 'CORSResponse: CORS is not enabled for this bucket.');
    assert.equal(error.fields['ResourceType'], 'BUCKET');
    assertError(await preflight('/no-such-bucket/k', { origin: 'https://a.example.com', 'access-control-request-method': 'GET' }), 404, 'NoSuchBucket');
    const noOrigin = assertError(await preflight('/cors/k', { 'access-control-request-method': 'GET' }), 400, 'BadRequest');
    assert.equal(noOrigin.message, 'Insufficient information. Origin request header needed.');
    const noMethod = assertError(await preflight('/cors/k', { origin: 'https://a.example.com' }), 400, 'BadRequest');
    assert.equal(noMethod.message, 'Insufficient information. Access-Control-Request-Method request header needed.');
  });

  test('actual requests from an allowed origin carry the CORS headers; others get none and still work', async () => {
    const allowed = await httpRequest(presigned('GET', '/cors/hello.txt'), { method: 'GET', headers: { origin: 'https://www.example.com' } });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.body.toString(), 'hello');
    assert.equal(header(allowed, 'access-control-allow-origin'), 'https://www.example.com');
    assert.equal(header(allowed, 'access-control-expose-headers'), 'ETag, x-amz-request-id');
    assert.equal(header(allowed, 'access-control-allow-credentials'), 'true');
    assert.equal(header(allowed, 'vary'), VARY);

    const star = await httpRequest(presigned('GET', '/cors/hello.txt'), { method: 'GET', headers: { origin: 'https://elsewhere.net' } });
    assert.equal(star.status, 200);
    assert.equal(header(star, 'access-control-allow-origin'), '*');

    // DELETE matches no rule: the request is served, but the browser gets no permission to read it.
    const del = await httpRequest(presigned('DELETE', '/cors/absent'), { method: 'DELETE', headers: { origin: 'https://www.example.com' } });
    assert.equal(del.status, 204);
    assertNoCorsHeaders(del);

    const noOrigin = await httpRequest(presigned('GET', '/cors/hello.txt'), { method: 'GET' });
    assert.equal(noOrigin.status, 200);
    assertNoCorsHeaders(noOrigin);
    assert.equal(header(noOrigin, 'vary'), undefined);

    const plain = await httpRequest(url('/plain'), { method: 'GET', headers: { origin: 'https://www.example.com' } });
    assertError(plain, 403, 'AccessDenied');
    assertNoCorsHeaders(plain);
  });

  test('error responses keep the CORS headers, so a page can read why it failed', async () => {
    const expired = presigned('GET', '/cors/hello.txt', 1, Date.now() - 60_000);
    const res = await httpRequest(expired, { method: 'GET', headers: { origin: 'https://www.example.com' } });
    const error = assertError(res, 403, 'AccessDenied');
    assert.equal(error.message, 'Request has expired');
    assert.equal(header(res, 'access-control-allow-origin'), 'https://www.example.com');
    assert.equal(header(res, 'access-control-expose-headers'), 'ETag, x-amz-request-id');
    assert.equal(header(res, 'vary'), VARY);

    const missing = await httpRequest(presigned('GET', '/cors/absent'), { method: 'GET', headers: { origin: 'https://x.example.com' } });
    assertError(missing, 404, 'NoSuchKey');
    assert.equal(header(missing, 'access-control-allow-origin'), 'https://x.example.com');

    // HEAD has no body, but its status must still be readable.
    const head = await httpRequest(presigned('HEAD', '/cors/absent'), { method: 'HEAD', headers: { origin: 'https://x.example.com' } });
    assert.equal(head.status, 404);
    assert.equal(header(head, 'access-control-allow-origin'), '*');
  });

  test('anonymous callers need the AWS action names: s3:GetBucketCORS is grantable, s3:PutBucketCORS is not granted', async () => {
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetBucketCORS', Resource: 'arn:aws:s3:::cors' }],
    });
    assert.equal((await signedRequest(server, { method: 'PUT', path: '/cors?policy', body: policy })).status, 204);
    try {
      const read = await httpRequest(url('/cors?cors'), { method: 'GET' });
      assert.equal(read.status, 200, read.body.toString());
      assert.match(read.body.toString(), /<ID>uploads<\/ID>/);
      assertError(await httpRequest(url('/cors?cors'), { method: 'PUT', body: CONFIG }), 403, 'AccessDenied');
      assertError(await httpRequest(url('/cors?cors'), { method: 'DELETE' }), 403, 'AccessDenied');
    } finally {
      assert.equal((await signedRequest(server, { method: 'DELETE', path: '/cors?policy' })).status, 204);
    }
  });

  test('DeleteBucketCors removes the rules: then NoSuchCORSConfiguration and preflights are refused', async () => {
    assert.equal((await signedRequest(server, { method: 'PUT', path: '/plain?cors', body: CONFIG })).status, 200);
    const before = await preflight('/plain/k', { origin: 'https://a.example.com', 'access-control-request-method': 'PUT' });
    assert.equal(before.status, 200);
    assert.equal((await signedRequest(server, { method: 'DELETE', path: '/plain?cors' })).status, 204);
    assert.equal((await signedRequest(server, { method: 'DELETE', path: '/plain?cors' })).status, 204, 'deleting again is not an error');
    assertError(await signedRequest(server, { method: 'GET', path: '/plain?cors' }), 404, 'NoSuchCORSConfiguration');
    const afterDelete = await preflight('/plain/k', { origin: 'https://a.example.com', 'access-control-request-method': 'PUT' });
    assert.equal(parseS3Error(afterDelete.body).message, 'CORSResponse: CORS is not enabled for this bucket.');
    assertNoCorsHeaders(await httpRequest(presigned('GET', '/plain'), { method: 'GET', headers: { origin: 'https://a.example.com' } }));
  });

  test('a deleted and recreated bucket does not inherit the old CORS rules', async () => {
    assert.equal((await signedRequest(server, { method: 'PUT', path: '/gone' })).status, 200);
    assert.equal((await signedRequest(server, { method: 'PUT', path: '/gone?cors', body: CONFIG })).status, 200);
    assert.equal((await signedRequest(server, { method: 'DELETE', path: '/gone' })).status, 204);
    assert.equal((await signedRequest(server, { method: 'PUT', path: '/gone' })).status, 200);
    assertError(await signedRequest(server, { method: 'GET', path: '/gone?cors' }), 404, 'NoSuchCORSConfiguration');
  });
});
