import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalRequest, deriveSigningKey, nodeCrypto, parseAuthorization, presign, signRequest, type SignableRequest } from '../../src/sigv4/index.js';
import { signString, stringToSign } from '../../src/sigv4/string-to-sign.js';
import { assertAuthError } from '../helpers/capture-decode.js';
import { referenceSign } from '../helpers/sdk-reference-signer.js';
import { verifierFor } from '../helpers/verify-key.js';

/*
 * Edges of parse.ts that mutation testing (npm run mutate -- parse) found no
 * other test pinning down: which parameter alone makes a request SigV4 or SigV2,
 * the Authorization header's fields, and the date a header-signed request is
 * taken from.
 */

const NOW = Date.parse('2024-05-06T07:08:09Z');
const AKID = 'AKIDEXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const REGION = 'us-east-1';
const HOST = '127.0.0.1:9000';
const EMPTY_SHA = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const verify = verifierFor({ accessKeyId: AKID, secretAccessKey: SECRET }, NOW);

const bare = (query: string, headers: Record<string, string> = {}): SignableRequest => ({ method: 'GET', path: '/bkt/key.txt', query, headers: { host: HOST, ...headers } });

function headerSigned(url = `http://${HOST}/bkt/key.txt`): SignableRequest {
  const signed = signRequest({ method: 'GET', url, credentials: { accessKeyId: AKID, secretAccessKey: SECRET }, region: REGION, now: NOW, crypto: nodeCrypto, payloadHash: EMPTY_SHA });
  const parsed = new URL(url);
  return { method: 'GET', path: parsed.pathname, query: parsed.search.slice(1), headers: signed.headers };
}

function editAuthorization(request: SignableRequest, edit: (value: string) => string): SignableRequest {
  const headers = { ...request.headers } as Record<string, string>;
  headers['authorization'] = edit(headers['authorization'] ?? '');
  return { ...request, headers };
}

describe('any one of the SigV4 or SigV2 query parameters makes the request signed, not anonymous', () => {
  for (const name of ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature']) {
    it(`${name} alone: AuthorizationQueryParametersError (missing parameters)`, async () => {
      await assertAuthError(() => verify(bare(`${name}=x`)), 'AuthorizationQueryParametersError', 400, 'missing-query-parameters');
    });
  }
  for (const name of ['AWSAccessKeyId', 'Signature']) {
    it(`${name} alone: AccessDenied (SigV2 parameters missing)`, async () => {
      await assertAuthError(() => verify(bare(`${name}=x`)), 'AccessDenied', 403, 'v2-missing-query-parameters');
    });
  }
  it('other X-Amz-* parameters alone leave the request anonymous', async () => {
    assert.deepEqual(await verify(bare('X-Amz-Date=20240506T070809Z&X-Amz-Expires=60&prefix=a')), { version: 0 });
  });
});

describe('an Authorization header with query auth parameters is two mechanisms', () => {
  for (const name of ['AWSAccessKeyId', 'Signature', 'X-Amz-Credential', 'X-Amz-Signature']) {
    it(`a header-signed request whose signed query holds ${name}: InvalidArgument`, async () => {
      await assertAuthError(() => verify(headerSigned(`http://${HOST}/bkt/key.txt?${name}=x`)), 'InvalidArgument', 400, 'multiple-auth-mechanisms');
    });
  }
});

describe('the Authorization header fields', () => {
  it('the untouched request passes (so each refusal below is the edit\'s doing)', async () => {
    assert.equal((await verify(headerSigned())).version, 4);
  });

  it('a field without "=" is malformed, even one that starts with a field name', async () => {
    await assertAuthError(() => verify(editAuthorization(headerSigned(), (a) => a.replace(/Signature=\w+/, 'SignatureX'))), 'AuthorizationHeaderMalformed', 400, 'malformed-authorization-header');
    await assertAuthError(() => verify(editAuthorization(headerSigned(), (a) => a.replace(/Credential=[^,]+/, 'CredentialX'))), 'AuthorizationHeaderMalformed', 400, 'malformed-authorization-header');
  });

  it('three fields of which one is not Signature: malformed, not a signature mismatch', async () => {
    await assertAuthError(() => verify(editAuthorization(headerSigned(), (a) => a.replace(/Signature=/, 'Signatur='))), 'AuthorizationHeaderMalformed', 400, 'malformed-authorization-header');
  });
});

describe('query auth, only what the parameters say', () => {
  it('a pre-signed URL passes with X-Amz-* parameters in the order the SDK writes them', async () => {
    const { url } = presign({ method: 'GET', url: `http://${HOST}/bkt/key.txt`, credentials: { accessKeyId: AKID, secretAccessKey: SECRET }, region: REGION, now: NOW, expiresIn: 60, crypto: nodeCrypto });
    const parsed = new URL(url);
    assert.equal((await verify(bare(parsed.search.slice(1)))).version, 4);
  });
});

function headerWith(edit: (headers: Record<string, string | string[]>) => void, options: { payloadHash?: string; token?: string } = {}): SignableRequest {
  const signed = signRequest({
    method: 'GET',
    url: `http://${HOST}/bkt/key.txt`,
    credentials: { accessKeyId: AKID, secretAccessKey: SECRET, ...(options.token === undefined ? {} : { sessionToken: options.token }) },
    region: REGION,
    now: NOW,
    crypto: nodeCrypto,
    payloadHash: options.payloadHash ?? EMPTY_SHA,
  });
  const headers: Record<string, string | string[]> = { ...signed.headers };
  edit(headers);
  return { method: 'GET', path: '/bkt/key.txt', query: '', headers };
}

describe('x-amz-content-sha256 on a header-signed request', () => {
  for (const marker of ['UNSIGNED-PAYLOAD', 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER']) {
    it(`${marker} is a payload marker, reported as signed`, async () => {
      const verified = await verify(headerWith(() => undefined, { payloadHash: marker }));
      assert.ok(verified.version === 4);
      assert.equal(verified.payloadHash, marker);
    });
  }
  it('64 lower-case hex digits and nothing around them', async () => {
    const verified = await verify(headerWith(() => undefined));
    assert.ok(verified.version === 4);
    assert.equal(verified.payloadHash, EMPTY_SHA);
    for (const value of [`${EMPTY_SHA}0`, `0${EMPTY_SHA}`]) {
      await assertAuthError(() => verify(headerWith(() => undefined, { payloadHash: value })), 'InvalidArgument', 400, 'invalid-content-sha256');
    }
  });
});

describe('header values that arrive as arrays (a header sent more than once)', () => {
  it('a date sent once as a one-element list is that date', async () => {
    assert.equal((await verify(headerWith((h) => (h['x-amz-date'] = [String(h['x-amz-date'])])))).version, 4);
  });
  it('an empty list is no date at all', async () => {
    await assertAuthError(() => verify(headerWith((h) => (h['x-amz-date'] = []))), 'AccessDenied', 403, 'missing-date');
  });
  it('two x-amz-content-sha256 values are read joined, which is no hash', async () => {
    await assertAuthError(() => verify(headerWith((h) => (h['x-amz-content-sha256'] = [EMPTY_SHA, EMPTY_SHA]))), 'InvalidArgument', 400, 'invalid-content-sha256');
  });
  it('an Authorization header given as a list is read joined', async () => {
    assert.equal((await verify(headerWith((h) => (h['authorization'] = [String(h['authorization'])])))).version, 4);
  });
});

describe('the session token of a header-signed request is reported as signed (trimmed, inner blanks collapsed)', () => {
  it('a token signed with two inner blanks is reported with one', async () => {
    const verified = await verify(headerWith(() => undefined, { token: 'tok  en' }));
    assert.ok(verified.version === 4);
    assert.equal(verified.securityToken, 'tok en');
  });
});

/** A pre-signed GET with its parameters replaced, signed validly over what is sent. */
function presigned(set: Record<string, string>, at = NOW): SignableRequest {
  const { url } = presign({ method: 'GET', url: `http://${HOST}/bkt/key.txt`, credentials: { accessKeyId: AKID, secretAccessKey: SECRET }, region: REGION, now: at, expiresIn: 60, crypto: nodeCrypto });
  const params = new URL(url).searchParams;
  for (const [name, value] of Object.entries(set)) params.set(name, value);
  return bare(params.toString());
}

describe('X-Amz-Expires, exactly as S3 reads it', () => {
  for (const value of ['1-1', '-1x', '60-']) {
    it(`${value}: not a number`, async () => {
      await assertAuthError(() => verify(presigned({ 'X-Amz-Expires': value })), 'AuthorizationQueryParametersError', 400, 'expires-not-a-number');
    });
  }
  it('leading zeros beyond seven digits are still only zeros: 000000060 is 60 seconds', async () => {
    const amz = '20240506T070809Z';
    const request = referenceSign({
      method: 'GET',
      path: '/bkt/key.txt',
      params: [
        ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
        ['X-Amz-Credential', `${AKID}/20240506/${REGION}/s3/aws4_request`],
        ['X-Amz-Date', amz],
        ['X-Amz-Expires', '000000060'],
        ['X-Amz-SignedHeaders', 'host'],
      ],
      headers: { host: HOST },
      secretAccessKey: SECRET,
    });
    const verified = await verify(request);
    assert.ok(verified.version === 4);
    assert.equal(verified.expiresAt, NOW + 60_000);
  });
});

describe('X-Amz-Credential date and SignedHeaders', () => {
  for (const date of ['120240506', '202405061']) {
    it(`scope date ${date}: malformed credential`, async () => {
      await assertAuthError(() => verify(presigned({ 'X-Amz-Credential': `${AKID}/${date}/${REGION}/s3/aws4_request` })), 'AuthorizationQueryParametersError', 400, 'malformed-credential');
    });
  }
  for (const names of ['host;', ';host', 'Host', 'host;x-amz-Date', 'host;x amz']) {
    it(`SignedHeaders=${JSON.stringify(names)}: refused in the query and in the header`, async () => {
      await assertAuthError(() => verify(presigned({ 'X-Amz-SignedHeaders': names })), 'AuthorizationQueryParametersError', 400, 'missing-query-parameters');
      await assertAuthError(() => verify(editAuthorization(headerSigned(), (a) => a.replace(/SignedHeaders=[^,]*/, `SignedHeaders=${names}`))), 'AuthorizationHeaderMalformed', 400, 'malformed-authorization-header');
    });
  }
});

/** A header-signed GET dated by its Date header alone (no x-amz-date), as SigV4 allows. */
function dateHeaderSigned(date: string, at = NOW): SignableRequest {
  const amzDate = new Date(at).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const scope = { date: amzDate.slice(0, 8), region: REGION, service: 's3' };
  const headers: Record<string, string> = { host: HOST, date, 'x-amz-content-sha256': EMPTY_SHA };
  const signedHeaders = ['date', 'host', 'x-amz-content-sha256'];
  const canonical = canonicalRequest({ method: 'GET', decodedPath: '/bkt/key.txt', query: [], signedHeaders, header: (name) => headers[name], payloadHash: EMPTY_SHA });
  const signature = signString(nodeCrypto, deriveSigningKey(nodeCrypto, SECRET, scope), stringToSign(nodeCrypto, amzDate, scope, canonical));
  headers['authorization'] = `AWS4-HMAC-SHA256 Credential=${AKID}/${scope.date}/${REGION}/s3/aws4_request, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`;
  return { method: 'GET', path: '/bkt/key.txt', query: '', headers };
}

describe('a header-signed request dated by its Date header', () => {
  it('is verified with the Date header as its request time', async () => {
    const verified = await verify(dateHeaderSigned(new Date(NOW).toUTCString()));
    assert.ok(verified.version === 4);
    assert.equal(verified.signedAt, NOW);
  });
  it('an unreadable Date header is no date', async () => {
    await assertAuthError(() => verify(dateHeaderSigned('yesterday')), 'AccessDenied', 403, 'missing-date');
  });
  it('a Date on another day than the scope: AuthorizationHeaderMalformed', async () => {
    await assertAuthError(() => verify(dateHeaderSigned(new Date(NOW + 86_400_000).toUTCString())), 'AuthorizationHeaderMalformed', 400, 'scope-date-mismatch');
  });
});

describe('query auth for a service other than S3', () => {
  it('has no payload hash unless X-Amz-Content-Sha256 gives one (S3 defaults to UNSIGNED-PAYLOAD)', () => {
    const { url } = presign({ method: 'GET', url: `http://${HOST}/`, credentials: { accessKeyId: AKID, secretAccessKey: SECRET }, region: REGION, service: 'sts', now: NOW, expiresIn: 60, crypto: nodeCrypto });
    const sts = parseAuthorization(bare(new URL(url).search.slice(1)), { region: REGION, service: 'sts' });
    assert.ok(sts.version === 4);
    assert.equal('payloadHash' in sts, false);
    const s3 = parseAuthorization(presigned({}), { region: REGION });
    assert.ok(s3.version === 4);
    assert.equal(s3.payloadHash, 'UNSIGNED-PAYLOAD');
  });
});

describe('parameters other than the auth ones', () => {
  it('may repeat (a=1&a=2 is signed as both)', async () => {
    const { url } = presign({ method: 'GET', url: `http://${HOST}/bkt/key.txt?a=1&a=2`, credentials: { accessKeyId: AKID, secretAccessKey: SECRET }, region: REGION, now: NOW, expiresIn: 60, crypto: nodeCrypto });
    assert.equal((await verify(bare(new URL(url).search.slice(1)))).version, 4);
  });
});

describe('what parsing reports, before verification', () => {
  const withoutHash = () => headerWith((h) => delete h['x-amz-content-sha256']);

  it('no x-amz-content-sha256 on a header-signed request: InvalidRequest for S3, nothing reported where the service does not require it', async () => {
    await assertAuthError(() => parseAuthorization(withoutHash(), { region: REGION }), 'InvalidRequest', 400, 'missing-content-sha256');
    await assertAuthError(() => parseAuthorization(withoutHash(), { region: REGION, requireContentSha256: true }), 'InvalidRequest', 400, 'missing-content-sha256');
    const parsed = parseAuthorization(withoutHash(), { region: REGION, requireContentSha256: false });
    assert.ok(parsed.version === 4);
    assert.equal('payloadHash' in parsed, false);
  });

  it('a session token only when one was sent, header or query', () => {
    const header = parseAuthorization(headerWith(() => undefined), { region: REGION });
    assert.ok(header.version === 4);
    assert.equal('securityToken' in header, false);
    const query = parseAuthorization(presigned({}), { region: REGION });
    assert.ok(query.version === 4);
    assert.equal('securityToken' in query, false);
    const withToken = parseAuthorization(presigned({ 'X-Amz-Security-Token': 'tok' }), { region: REGION });
    assert.ok(withToken.version === 4);
    assert.equal(withToken.securityToken, 'tok');
  });

  it('an Authorization header with no values is no Authorization header: anonymous', () => {
    assert.equal(parseAuthorization(bare('', { authorization: [] as unknown as string }), { region: REGION }).version, 0);
  });

  it('an Authorization header sent in two parts is read as the parts joined with ","', async () => {
    const request = headerWith((h) => {
      const [head = '', signature = ''] = String(h['authorization']).split(', Signature=');
      h['authorization'] = [head, ` Signature=${signature}`];
    });
    assert.equal((await verify(request)).version, 4);
  });
});
