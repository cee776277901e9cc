import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { S3ErrorCode } from '../../src/errors.js';
import { AuthError, nodeCrypto, signRequest, type AuthDefect, type SignableRequest } from '../../src/sigv4/index.js';
import { referenceSign } from '../helpers/sdk-reference-signer.js';
import { verifierFor } from '../helpers/verify-key.js';

/*
 * Every SigV4 (query and header) row of shared/s3-errors.md, plus the edge
 * cases around it, as one table: what we send, and the code, status, defect,
 * message and extra elements S3 answers with.
 */

const NOW = Date.parse('2024-05-06T07:08:09Z');
const MIN = 60_000;
const AKID = 'AKIDEXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const REGION = 'us-east-1';
const PATH = '/bkt/key%20one.txt';
const HOST = '127.0.0.1:9000';

const amz = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

type Pairs = Array<[string, string]>;
interface QueryOptions {
  readonly at?: number;
  /** Replace (string), drop (null) or add auth parameters. */
  readonly set?: Readonly<Record<string, string | null>>;
  readonly extra?: Pairs;
  /** Sent along, unsigned unless listed in X-Amz-SignedHeaders. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly secret?: string;
}

/** A pre-signed GET, signed validly over exactly the parameter text given. */
function query(options: QueryOptions = {}): SignableRequest {
  const at = options.at ?? NOW;
  const base: Record<string, string> = {
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': `${AKID}/${amz(at).slice(0, 8)}/${REGION}/s3/aws4_request`,
    'X-Amz-Date': amz(at),
    'X-Amz-Expires': '3600',
    'X-Amz-SignedHeaders': 'host',
  };
  const params: Pairs = [['versionId', 'v1']];
  for (const [name, value] of Object.entries({ ...base, ...options.set })) if (value !== null) params.push([name, value]);
  params.push(...(options.extra ?? []));
  const credential = base['X-Amz-Credential'] ?? '';
  return referenceSign({
    method: 'GET',
    path: PATH,
    params,
    headers: { host: HOST, ...options.headers },
    secretAccessKey: options.secret ?? SECRET,
    // Whatever the parameters claim, sign with a well-formed scope so only the check under test can fail.
    scope: credential.split('/').slice(1).join('/'),
    amzDate: amz(at),
  });
}

interface HeaderOptions {
  readonly at?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly payloadHash?: string;
  readonly region?: string;
  readonly accessKeyId?: string;
  /** Edit the headers after signing. */
  readonly edit?: (headers: Record<string, string>) => void;
}

/** A header-signed GET from our own signer (proven against the SDKs elsewhere). */
function header(options: HeaderOptions = {}): SignableRequest {
  const signed = signRequest({
    method: 'GET',
    url: `http://${HOST}${PATH}?versionId=v1`,
    credentials: { accessKeyId: options.accessKeyId ?? AKID, secretAccessKey: SECRET },
    region: options.region ?? REGION,
    now: options.at ?? NOW,
    crypto: nodeCrypto,
    headers: options.headers ?? {},
    payloadHash: options.payloadHash ?? 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  });
  const headers = { ...signed.headers };
  options.edit?.(headers);
  return { method: 'GET', path: PATH, query: 'versionId=v1', headers };
}

function withQuery(request: SignableRequest, edit: (q: string) => string): SignableRequest {
  return { ...request, query: edit(request.query) };
}

const verify = verifierFor({ accessKeyId: AKID, secretAccessKey: SECRET }, NOW);

interface Row {
  readonly name: string;
  readonly request: () => SignableRequest;
  readonly now?: number;
  readonly code: S3ErrorCode;
  readonly status: number;
  readonly defect: AuthDefect;
  readonly message?: string | RegExp;
  /** Elements the error body must carry, with their values. */
  readonly details?: Readonly<Record<string, string>>;
  /** Elements it must carry, whatever their values. */
  readonly has?: readonly string[];
}

const Q400 = { code: 'AuthorizationQueryParametersError', status: 400 } as const;
const H400 = { code: 'AuthorizationHeaderMalformed', status: 400 } as const;
const MISMATCH = { code: 'SignatureDoesNotMatch', status: 403, defect: 'signature-mismatch', has: ['AWSAccessKeyId', 'StringToSign', 'SignatureProvided', 'CanonicalRequest'] } as const;
const MISSING = 'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.';
const MALFORMED_CREDENTIAL = 'Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".';
const flipSignature = (q: string) => q.replace(/(X-Amz-Signature=[0-9a-f]{63})([0-9a-f])/, (_m, head: string, last: string) => `${head}${last === '0' ? '1' : '0'}`);
const flipHeaderSignature = (h: Record<string, string>) => {
  const a = h['authorization'] ?? '';
  h['authorization'] = `${a.slice(0, -1)}${a.endsWith('0') ? '1' : '0'}`;
};
const date = amz(NOW).slice(0, 8);

const QUERY_ROWS: Row[] = [
  {
    name: 'expired', request: () => query({ at: NOW - 3601_000 }), code: 'AccessDenied', status: 403, defect: 'expired', message: 'Request has expired',
    details: { 'X-Amz-Expires': '3600', Expires: iso(NOW - 1000), ServerTime: iso(NOW) },
  },
  {
    name: 'dated 16 minutes in the future', request: () => query({ at: NOW + 16 * MIN }), code: 'AccessDenied', status: 403, defect: 'not-yet-valid',
    message: 'Request is not yet valid', details: { 'X-Amz-Date': amz(NOW + 16 * MIN), Expires: iso(NOW + 16 * MIN + 3600_000), ServerTime: iso(NOW) },
  },
  {
    name: 'tampered signature', request: () => withQuery(query(), flipSignature), ...MISMATCH, details: { AWSAccessKeyId: AKID },
    message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
  },
  { name: 'signed with another secret', request: () => query({ secret: `${SECRET}x` }), ...MISMATCH },
  { name: 'signature not hex', request: () => withQuery(query(), (q) => q.replace(/X-Amz-Signature=\w+/, 'X-Amz-Signature=zz')), ...MISMATCH, details: { SignatureProvided: 'zz' } },
  { name: 'tampered path', request: () => ({ ...query(), path: '/bkt/key%20two.txt' }), ...MISMATCH },
  { name: 'tampered method', request: () => ({ ...query(), method: 'DELETE' }), ...MISMATCH },
  { name: 'expired and tampered: the signature is checked first', request: () => withQuery(query({ at: NOW - 7200_000 }), flipSignature), ...MISMATCH },
  { name: 'not yet valid and tampered: the signature is checked first', request: () => withQuery(query({ at: NOW + 60 * MIN }), flipSignature), ...MISMATCH },
  {
    name: 'unknown access key', request: () => query({ set: { 'X-Amz-Credential': `AKIDNOBODY/${date}/${REGION}/s3/aws4_request` } }),
    code: 'InvalidAccessKeyId', status: 403, defect: 'unknown-access-key', message: 'The AWS Access Key Id you provided does not exist in our records.', details: { AWSAccessKeyId: 'AKIDNOBODY' },
  },
  {
    name: 'expired with an unknown key: the key is checked first', request: () => query({ at: NOW - 7200_000, set: { 'X-Amz-Credential': `AKIDNOBODY/${amz(NOW - 7200_000).slice(0, 8)}/${REGION}/s3/aws4_request` } }),
    code: 'InvalidAccessKeyId', status: 403, defect: 'unknown-access-key', details: { AWSAccessKeyId: 'AKIDNOBODY' },
  },
  ...['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders'].map((p): Row => ({
    name: `${p} missing`, request: () => query({ set: { [p]: null } }), ...Q400, defect: 'missing-query-parameters', message: MISSING,
  })),
  { name: 'X-Amz-Signature missing', request: () => withQuery(query(), (q) => q.replace(/&X-Amz-Signature=\w+/, '')), ...Q400, defect: 'missing-query-parameters', message: MISSING },
  ...['1e3', '0x3c', '+60', ' 60', '60 ', '6 0', '', '60.0', 'sixty', '٦٠'].map((v): Row => ({
    name: `X-Amz-Expires=${JSON.stringify(v)}`, request: () => query({ set: { 'X-Amz-Expires': v } }), ...Q400, defect: 'expires-not-a-number', message: 'X-Amz-Expires should be a number',
  })),
  ...['-1', '-0060'].map((v): Row => ({
    name: `X-Amz-Expires=${v}`, request: () => query({ set: { 'X-Amz-Expires': v } }), ...Q400, defect: 'expires-negative', message: 'X-Amz-Expires must be non-negative',
  })),
  ...['604801', '1234567890123456789012345', '99999999', '0000000604801'].map((v): Row => ({
    name: `X-Amz-Expires=${v}`, request: () => query({ set: { 'X-Amz-Expires': v } }), ...Q400, defect: 'expires-too-large',
    message: 'X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds',
  })),
  ...[
    AKID,
    `${AKID}/${date}/${REGION}/s3`,
    `${AKID}/${date}/${REGION}/s3/aws4_request/extra`,
    `/${date}/${REGION}/s3/aws4_request`,
    `${AKID}/2024056/${REGION}/s3/aws4_request`,
    `${AKID}/2024-05-06/${REGION}/s3/aws4_request`,
    `${AKID}/${date}//s3/aws4_request`,
    `${AKID}/${date}/${REGION}//aws4_request`,
    '',
  ].map((v): Row => ({ name: `X-Amz-Credential=${JSON.stringify(v)}`, request: () => query({ set: { 'X-Amz-Credential': v } }), ...Q400, defect: 'malformed-credential', message: MALFORMED_CREDENTIAL })),
  {
    name: 'wrong region', request: () => query({ set: { 'X-Amz-Credential': `${AKID}/${date}/eu-west-1/s3/aws4_request` } }), ...Q400, defect: 'wrong-region',
    message: "Error parsing the X-Amz-Credential parameter; the region 'eu-west-1' is wrong; expecting 'us-east-1'", details: { Region: REGION },
  },
  { name: 'wrong service', request: () => query({ set: { 'X-Amz-Credential': `${AKID}/${date}/${REGION}/sts/aws4_request` } }), ...Q400, defect: 'wrong-service', message: /incorrect service "sts"/ },
  { name: 'wrong terminator', request: () => query({ set: { 'X-Amz-Credential': `${AKID}/${date}/${REGION}/s3/aws4_requesx` } }), ...Q400, defect: 'wrong-terminator', message: /incorrect terminal "aws4_requesx"/ },
  { name: 'scope date is not X-Amz-Date\'s', request: () => query({ set: { 'X-Amz-Credential': `${AKID}/20240505/${REGION}/s3/aws4_request` } }), ...Q400, defect: 'scope-date-mismatch', message: /Date is not the same as X-Amz-Date/ },
  ...['20240506T070809', '2024-05-06T07:08:09Z', '20240231T000000Z', '20240506T250000Z', '20240506t070809z', '20240506T070809.000Z', ''].map((v): Row => ({
    name: `X-Amz-Date=${JSON.stringify(v)}`, request: () => query({ set: { 'X-Amz-Date': v } }), ...Q400, defect: 'malformed-date',
    message: 'X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd\'T\'HHmmss\'Z\'"',
  })),
  ...['AWS4-HMAC-SHA1', 'AWS4-ECDSA-P256-SHA256', 'aws4-hmac-sha256', 'AWS4-HMAC-SHA256 ', ''].map((v): Row => ({
    name: `X-Amz-Algorithm=${JSON.stringify(v)}`, request: () => query({ set: { 'X-Amz-Algorithm': v } }), ...Q400, defect: 'unsupported-algorithm', message: 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"',
  })),
  ...['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature', 'X-Amz-Security-Token', 'X-Amz-Content-Sha256'].map((p): Row => ({
    name: `${p} given twice`,
    request: () => withQuery(query({ extra: p === 'X-Amz-Security-Token' || p === 'X-Amz-Content-Sha256' ? [[p, 'UNSIGNED-PAYLOAD']] : [] }), (q) => `${q}&${q.split('&').find((item) => item.startsWith(`${p}=`)) ?? ''}`),
    ...Q400, defect: 'duplicate-query-parameter',
  })),
  { name: 'host not signed', request: () => query({ set: { 'X-Amz-SignedHeaders': 'x-amz-date' } }), ...Q400, defect: 'host-not-signed' },
  ...[['x-amz-meta-foo'], ['x-amz-checksum-sha256'], ['x-amz-meta-foo', 'x-amz-checksum-sha256', 'x-amz-content-sha256']].map((names): Row => ({
    name: `unsigned ${names.join(' + ')} header`, request: () => query({ headers: Object.fromEntries(names.map((n) => [n, 'UNSIGNED-PAYLOAD'])) }),
    code: 'AccessDenied', status: 403, defect: 'headers-not-signed', message: 'There were headers present in the request which were not signed',
    details: { HeadersNotSigned: names.filter((n) => n !== 'x-amz-content-sha256').sort().join(', ') },
  })),
  {
    name: 'Authorization header and X-Amz-Algorithm at once', request: () => ({ ...query(), headers: { host: HOST, authorization: header().headers['authorization'] ?? '' } }),
    code: 'InvalidArgument', status: 400, defect: 'multiple-auth-mechanisms', details: { ArgumentName: 'Authorization' },
    message: 'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
  },
  { name: 'SigV4 and SigV2 query parameters at once', request: () => query({ extra: [['Signature', 'abc'], ['AWSAccessKeyId', AKID]] }), code: 'InvalidArgument', status: 400, defect: 'multiple-auth-mechanisms' },
  { name: 'x-amz-date header conflicts with X-Amz-Date', request: () => query({ headers: { 'x-amz-date': amz(NOW + 1000) } }), code: 'InvalidRequest', status: 400, defect: 'conflicting-values', message: 'Conflicting values provided in HTTP headers and query parameters' },
  { name: 'x-amz-security-token header conflicts', request: () => query({ extra: [['X-Amz-Security-Token', 'a']], headers: { 'x-amz-security-token': 'b' } }), code: 'InvalidRequest', status: 400, defect: 'conflicting-values' },
  { name: 'x-amz-content-sha256 header conflicts', request: () => query({ extra: [['X-Amz-Content-Sha256', 'UNSIGNED-PAYLOAD']], headers: { 'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' } }), code: 'InvalidRequest', status: 400, defect: 'conflicting-values' },
  { name: 'X-Amz-Content-Sha256 not a hash', request: () => query({ extra: [['X-Amz-Content-Sha256', 'UNSIGNED']] }), code: 'InvalidArgument', status: 400, defect: 'invalid-content-sha256' },
];

const HEADER_ROWS: Row[] = [
  ...[16, -16, 24 * 60].map((minutes): Row => ({
    name: `clock ${minutes > 0 ? 'ahead' : 'behind'} by ${Math.abs(minutes)} minutes`, request: () => header({ at: NOW + minutes * MIN }),
    code: 'RequestTimeTooSkewed', status: 403, defect: 'time-skewed', message: 'The difference between the request time and the current time is too large.',
    details: { RequestTime: amz(NOW + minutes * MIN), ServerTime: iso(NOW), MaxAllowedSkewMilliseconds: '900000' },
  })),
  { name: 'skewed and tampered: the signature is checked first', request: () => header({ at: NOW - 20 * MIN, edit: flipHeaderSignature }), ...MISMATCH },
  { name: 'tampered signature', request: () => header({ edit: flipHeaderSignature }), ...MISMATCH },
  { name: 'tampered signed header', request: () => header({ headers: { range: 'bytes=0-9' }, edit: (h) => (h['range'] = 'bytes=0-99') }), ...MISMATCH },
  { name: 'x-amz-content-sha256 missing', request: () => header({ edit: (h) => delete h['x-amz-content-sha256'] }), code: 'InvalidRequest', status: 400, defect: 'missing-content-sha256', message: 'Missing required header for this request: x-amz-content-sha256' },
  ...['abc', 'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85', 'UNSIGNED-PAYLOADX', 'unsigned-payload', ''].map((v): Row => ({
    name: `x-amz-content-sha256=${JSON.stringify(v)}`, request: () => header({ payloadHash: v }), code: 'InvalidArgument', status: 400, defect: 'invalid-content-sha256', details: { ArgumentName: 'x-amz-content-sha256' },
  })),
  { name: 'no date at all', request: () => header({ edit: (h) => delete h['x-amz-date'] }), code: 'AccessDenied', status: 403, defect: 'missing-date', message: 'AWS authentication requires a valid Date or x-amz-date header' },
  { name: 'x-amz-date malformed', request: () => header({ edit: (h) => (h['x-amz-date'] = '2024-05-06T07:08:09Z') }), code: 'AccessDenied', status: 403, defect: 'missing-date' },
  { name: 'scope date is not x-amz-date\'s', request: () => header({ edit: (h) => (h['x-amz-date'] = '20240507T070809Z') }), ...H400, defect: 'scope-date-mismatch' },
  { name: 'wrong region', request: () => header({ region: 'eu-west-1' }), ...H400, defect: 'wrong-region', message: "The authorization header is malformed; the region 'eu-west-1' is wrong; expecting 'us-east-1'", details: { Region: REGION } },
  { name: 'wrong service', request: () => header({ edit: (h) => (h['authorization'] = (h['authorization'] ?? '').replace('/s3/', '/sts/')) }), ...H400, defect: 'wrong-service', message: /^The authorization header is malformed; incorrect service "sts"/ },
  { name: 'wrong terminator', request: () => header({ edit: (h) => (h['authorization'] = (h['authorization'] ?? '').replace('/aws4_request', '/aws4_reqest')) }), ...H400, defect: 'wrong-terminator' },
  { name: 'unknown access key', request: () => header({ accessKeyId: 'AKIDNOBODY' }), code: 'InvalidAccessKeyId', status: 403, defect: 'unknown-access-key', details: { AWSAccessKeyId: 'AKIDNOBODY' } },
  ...[
    (a: string) => a.replace(/, Signature=\w+/, ''),
    (a: string) => a.replace('SignedHeaders=', 'Signedheaders='),
    (a: string) => `${a}, Signature=00`,
    (a: string) => `${a}, Extra=1`,
    (a: string) => a.replace(/Credential=[^,]*,/, 'Credential,'),
    () => 'AWS4-HMAC-SHA256 ',
  ].map((edit, i): Row => ({
    name: `Authorization malformed (${i + 1})`, request: () => header({ edit: (h) => (h['authorization'] = edit(h['authorization'] ?? '')) }), ...H400, defect: 'malformed-authorization-header',
    message: 'The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature.',
  })),
  { name: 'malformed credential', request: () => header({ edit: (h) => (h['authorization'] = (h['authorization'] ?? '').replace(`/${REGION}/`, '/')) }), ...H400, defect: 'malformed-credential', message: /^The authorization header is malformed; the Credential is mal-formed/ },
  { name: 'Authorization of another type', request: () => header({ edit: (h) => (h['authorization'] = 'Bearer abc') }), code: 'InvalidArgument', status: 400, defect: 'unsupported-authorization-type', message: 'Unsupported Authorization Type', details: { ArgumentName: 'Authorization', ArgumentValue: 'Bearer' } },
  { name: 'host not signed', request: () => header({ edit: (h) => (h['authorization'] = (h['authorization'] ?? '').replace('host;', '')) }), ...H400, defect: 'host-not-signed' },
  { name: 'unsigned x-amz-meta-* header', request: () => header({ edit: (h) => (h['x-amz-meta-a'] = '1') }), code: 'AccessDenied', status: 403, defect: 'headers-not-signed', details: { HeadersNotSigned: 'x-amz-meta-a' } },
];

async function expectRow(row: Row): Promise<void> {
  await assert.rejects(verify(row.request(), row.now), (e: unknown) => {
    assert.ok(e instanceof AuthError, String(e));
    assert.deepEqual({ code: e.code, status: e.status, defect: e.defect }, { code: row.code, status: row.status, defect: row.defect });
    if (typeof row.message === 'string') assert.equal(e.message, row.message);
    else if (row.message) assert.match(e.message, row.message);
    for (const [name, value] of Object.entries(row.details ?? {})) assert.equal(e.details[name], value, name);
    for (const name of row.has ?? []) assert.ok((e.details[name] ?? '') !== '', `${name} present`);
    // The body is sent to whoever asked: it may show what we signed, never with what.
    const body = JSON.stringify({ message: e.message, details: e.details });
    assert.ok(!body.includes(SECRET) && !body.includes('EXAMPLEKEY'), 'no secret in the error');
    return true;
  });
}

describe('pre-signed (query) SigV4 failures', () => {
  for (const row of QUERY_ROWS) it(row.name, () => expectRow(row));
});

describe('header-signed SigV4 failures', () => {
  for (const row of HEADER_ROWS) it(row.name, () => expectRow(row));
});

describe('what is accepted', () => {
  const ok = async (request: SignableRequest, now = NOW) => {
    const result = await verify(request, now);
    assert.equal(result.version, 4);
    return result;
  };
  it('the untouched requests', async () => {
    await ok(query());
    await ok(header());
  });
  it('X-Amz-Expires=604800 (a week)', async () => {
    await ok(query({ set: { 'X-Amz-Expires': '604800' } }));
  });
  it('X-Amz-Expires=0060 counts as 60 seconds', async () => {
    await ok(query({ at: NOW - 60_000, set: { 'X-Amz-Expires': '0060' } }));
    await expectRow({ name: '', request: () => query({ at: NOW - 61_000, set: { 'X-Amz-Expires': '0060' } }), code: 'AccessDenied', status: 403, defect: 'expired' });
  });
  it('X-Amz-Expires=0 is valid for the second it was signed in', async () => {
    await ok(query({ set: { 'X-Amz-Expires': '0' } }));
    await expectRow({ name: '', request: () => query({ at: NOW - 1000, set: { 'X-Amz-Expires': '0' } }), code: 'AccessDenied', status: 403, defect: 'expired' });
  });
  it('a URL signed two days ago for a week', async () => {
    const result = await ok(query({ at: NOW - 2 * 24 * 60 * MIN, set: { 'X-Amz-Expires': '604800' } }));
    assert.equal(result.version === 4 && result.expiresAt, NOW + 5 * 24 * 60 * MIN);
  });
  it('a URL dated 14 minutes in the future', async () => {
    await ok(query({ at: NOW + 14 * MIN }));
  });
  it('a header-signed request 14 minutes either side of the server clock', async () => {
    await ok(header({ at: NOW + 14 * MIN }));
    await ok(header({ at: NOW - 14 * MIN }));
  });
  it('an unsigned x-amz-content-sha256 header on a pre-signed URL', async () => {
    await ok(query({ headers: { 'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' } }));
  });
  it('the same x-amz-content-sha256 in the query and the header', async () => {
    await ok(query({ extra: [['X-Amz-Content-Sha256', 'UNSIGNED-PAYLOAD']], headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }));
  });
  it('x-amz-* headers that are signed, on a pre-signed URL', async () => {
    await ok(query({ set: { 'X-Amz-SignedHeaders': 'host;x-amz-checksum-sha256;x-amz-meta-foo' }, headers: { 'x-amz-meta-foo': 'bar', 'x-amz-checksum-sha256': 'abc=' } }));
  });
});
