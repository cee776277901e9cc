import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { nodeCrypto, presign, type Credentials } from '../../src/sigv4/index.js';
import { botoPresign, type BotoCall } from '../helpers/botocore.js';
import { jsClient, keyPath } from '../helpers/sdk-js.js';

/*
 * Our presign must produce the very bytes the two reference presigners do, given
 * the same inputs: the JS SDK sorts every parameter (queryOrder 'canonical') and
 * adds its own, botocore appends the auth parameters after the request's own
 * (queryOrder 'append'). Any difference in encoding, canonicalisation or
 * ordering shows up as a different URL.
 */

const ENDPOINT = 'http://127.0.0.1:9000';
const BUCKET = 'bkt';
const NOW = '2024-05-06T07:08:09Z';
const AMZ_DATE = '20240506T070809Z';
const EXPIRES = 900;
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';

const CREDENTIALS: Record<string, Credentials> = {
  'long-term key': { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET },
  'session token': { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: SECRET, sessionToken: 'IQoJb3JpZ2luX2Vj/tok+en==&x=y%20z' },
};

// Both SDKs pass every one of these through unchanged (no NFC folding, no '..' or '//' collapsing): the parity assertions prove it.
const KEYS = [
  'plain.txt',
  'with space.txt',
  'caf\u00e9 nfc.txt',
  'cafe\u0301 nfd.txt',
  'a+b.txt',
  '100%.txt',
  '%2F literal',
  '~tilde~',
  '//double//slash',
  'a/../b',
  './x/.',
  "!*'()",
  'dir/ü ö+%~!$&=,;:@.txt',
  'emoji \u{1F600}',
];

type Operation = 'GetObject' | 'PutObject' | 'HeadObject' | 'DeleteObject';

interface Case {
  readonly op: Operation;
  readonly key: string;
  readonly credentials: string;
  readonly region: string;
  /** Query overrides in the order the caller gives them (botocore keeps that order). */
  readonly overrides?: ReadonlyArray<readonly [param: string, sdkName: string, value: string]>;
  readonly contentType?: string;
  readonly jsSignContentType?: boolean;
}

const METHOD: Record<Operation, string> = { GetObject: 'GET', PutObject: 'PUT', HeadObject: 'HEAD', DeleteObject: 'DELETE' };

const DISPOSITION = [['response-content-disposition', 'ResponseContentDisposition', 'attachment; filename="a b ü.txt"'] as const];
const OVERRIDES = [
  ['response-content-type', 'ResponseContentType', 'text/plain; charset="utf-8"'] as const,
  ['response-content-disposition', 'ResponseContentDisposition', "inline; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf"] as const,
  ['response-cache-control', 'ResponseCacheControl', 'no-cache, max-age=0'] as const,
  ['versionId', 'VersionId', 'v+1/2 3'] as const,
];

function cases(): Case[] {
  const out: Case[] = [];
  for (const credentials of Object.keys(CREDENTIALS)) {
    for (const key of KEYS) {
      out.push({ op: 'GetObject', key, credentials, region: 'us-east-1' });
      out.push({ op: 'GetObject', key, credentials, region: 'us-east-1', overrides: DISPOSITION });
      out.push({ op: 'PutObject', key, credentials, region: 'us-east-1', contentType: 'text/plain; charset=utf-8' });
      out.push({ op: 'HeadObject', key, credentials, region: 'us-east-1' });
      out.push({ op: 'DeleteObject', key, credentials, region: 'us-east-1' });
    }
    out.push({ op: 'GetObject', key: 'k', credentials, region: 'eu-central-1', overrides: OVERRIDES });
    out.push({ op: 'PutObject', key: 'k', credentials, region: 'ap-southeast-2' });
    out.push({ op: 'PutObject', key: 'a b', credentials, region: 'us-east-1', contentType: 'image/png', jsSignContentType: true });
    out.push({ op: 'DeleteObject', key: 'k', credentials, region: 'us-east-1', overrides: [['versionId', 'VersionId', 'v 1']] });
  }
  return out;
}

function label(c: Case): string {
  const extra = [c.overrides ? 'overrides' : '', c.contentType ? `content-type${c.jsSignContentType ? ' signed' : ''}` : '', c.region];
  return `${c.op} ${JSON.stringify(c.key)} (${c.credentials}; ${extra.filter(Boolean).join(', ')})`;
}

function sdkParams(c: Case): Record<string, string> {
  const params: Record<string, string> = { Bucket: BUCKET, Key: c.key };
  for (const [, name, value] of c.overrides ?? []) params[name] = value;
  if (c.contentType !== undefined) params['ContentType'] = c.contentType;
  return params;
}

function ourUrl(c: Case, ownQuery: ReadonlyArray<readonly [string, string]>): string {
  const query = ownQuery.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&');
  return `${ENDPOINT}${keyPath(BUCKET, c.key)}${query === '' ? '' : `?${query}`}`;
}

function ourPresign(c: Case, url: string, headers: Record<string, string>, queryOrder: 'append' | 'canonical'): string {
  const credentials = CREDENTIALS[c.credentials];
  assert.ok(credentials);
  return presign({ method: METHOD[c.op], url, credentials, region: c.region, now: Date.parse(NOW), crypto: nodeCrypto, expiresIn: EXPIRES, headers, queryOrder }).url;
}

/** What the JS SDK adds on its own: x-id on most operations, checksum parameters (CRC32 of the empty body on PutObject). */
function jsExtras(op: Operation): Array<[string, string]> {
  const extras: Array<[string, string]> = [['X-Amz-Content-Sha256', 'UNSIGNED-PAYLOAD']];
  if (op === 'GetObject') extras.push(['x-amz-checksum-mode', 'ENABLED'], ['x-id', 'GetObject']);
  if (op === 'PutObject') extras.push(['x-amz-checksum-crc32', 'AAAAAA=='], ['x-amz-sdk-checksum-algorithm', 'CRC32'], ['x-id', 'PutObject']);
  if (op === 'DeleteObject') extras.push(['x-id', 'DeleteObject']);
  return extras;
}

function jsCommand(c: Case) {
  const params = sdkParams(c);
  const input = { Bucket: BUCKET, Key: c.key, ...params };
  switch (c.op) {
    case 'GetObject': return new GetObjectCommand(input);
    case 'PutObject': return new PutObjectCommand(input);
    case 'HeadObject': return new HeadObjectCommand(input);
    case 'DeleteObject': return new DeleteObjectCommand(input);
  }
}

const ALL = cases();
const clients = new Map<string, S3Client>();
function clientFor(c: Case): S3Client {
  const id = `${c.credentials}|${c.region}`;
  let client = clients.get(id);
  if (!client) {
    const cred = CREDENTIALS[c.credentials];
    assert.ok(cred);
    client = jsClient({ endpoint: ENDPOINT, region: c.region, ...cred });
    clients.set(id, client);
  }
  return client;
}

describe('presign matches @aws-sdk/s3-request-presigner byte for byte', () => {
  for (const c of ALL) {
    it(label(c), async () => {
      const signableHeaders = c.jsSignContentType ? new Set(['content-type']) : undefined;
      const expected = await getSignedUrl(clientFor(c), jsCommand(c), { expiresIn: EXPIRES, signingDate: new Date(NOW), ...(signableHeaders ? { signableHeaders } : {}) });
      assert.match(expected, new RegExp(`X-Amz-Date=${AMZ_DATE}&`), 'the SDK took the pinned signing date');
      const own: Array<[string, string]> = (c.overrides ?? []).map(([param, , value]) => [param, value]);
      // The SDK's presigner never signs Content-Type unless told to (prepareRequest adds it to unsignableHeaders).
      const headers: Record<string, string> = c.jsSignContentType && c.contentType !== undefined ? { 'content-type': c.contentType } : {};
      assert.equal(ourPresign(c, ourUrl(c, [...own, ...jsExtras(c.op)]), headers, 'canonical'), expected);
    });
  }

  it('sorts by parameter name, so a name that prefixes another comes first (a before a-b)', async () => {
    const c: Case = { op: 'GetObject', key: 'k', credentials: 'long-term key', region: 'us-east-1' };
    const command = new GetObjectCommand({ Bucket: BUCKET, Key: 'k' });
    command.middlewareStack.add(
      (next) => (args) => {
        const request = args.request as { query: Record<string, string> };
        Object.assign(request.query, { 'a-b': '2', a: '1', 'A~': '3', 'b.c': '' });
        return next(args);
      },
      { step: 'build', name: 'extraQuery' },
    );
    const expected = await getSignedUrl(clientFor(c), command, { expiresIn: EXPIRES, signingDate: new Date(NOW) });
    assert.match(expected, /&a=1&a-b=2&b\.c=&/);
    const own: Array<[string, string]> = [['a-b', '2'], ['a', '1'], ['A~', '3'], ['b.c', '']];
    assert.equal(ourPresign(c, ourUrl(c, [...own, ...jsExtras(c.op)]), {}, 'canonical'), expected);
  });

  it('signs a PUT body length the way the SDK does when it knows the body', async () => {
    const c: Case = { op: 'PutObject', key: 'k', credentials: 'session token', region: 'us-east-1' };
    const client = clientFor(c);
    const expected = await getSignedUrl(client, new PutObjectCommand({ Bucket: BUCKET, Key: 'k', Body: 'hello' }), { expiresIn: EXPIRES, signingDate: new Date(NOW) });
    // CRC32("hello") = 0x3610a686.
    const own: Array<[string, string]> = [['X-Amz-Content-Sha256', 'UNSIGNED-PAYLOAD'], ['x-amz-checksum-crc32', 'NhCmhg=='], ['x-amz-sdk-checksum-algorithm', 'CRC32'], ['x-id', 'PutObject']];
    assert.equal(ourPresign(c, ourUrl(c, own), { 'content-length': '5' }, 'canonical'), expected);
  });

  it('hoists x-amz-meta-* into the query but keeps server-side encryption a signed header', async () => {
    const c: Case = { op: 'PutObject', key: 'k', credentials: 'long-term key', region: 'us-east-1' };
    const command = new PutObjectCommand({ Bucket: BUCKET, Key: 'k', Metadata: { Foo: 'Bar  Baz' }, ServerSideEncryption: 'AES256' });
    const expected = await getSignedUrl(clientFor(c), command, { expiresIn: EXPIRES, signingDate: new Date(NOW) });
    assert.match(expected, /X-Amz-SignedHeaders=host%3Bx-amz-server-side-encryption&/);
    const own: Array<[string, string]> = [...jsExtras('PutObject'), ['x-amz-meta-foo', 'Bar  Baz']];
    assert.equal(ourPresign(c, ourUrl(c, own), { 'x-amz-server-side-encryption': 'AES256' }, 'canonical'), expected);
  });
});

describe('presign matches botocore generate_presigned_url (s3v4, path style) byte for byte', () => {
  const expected = new Map<Case, string>();
  before(async () => {
    for (const credentials of Object.keys(CREDENTIALS)) {
      for (const region of new Set(ALL.map((c) => c.region))) {
        const group = ALL.filter((c) => c.credentials === credentials && c.region === region);
        const cred = CREDENTIALS[credentials];
        assert.ok(cred);
        const calls: BotoCall[] = group.map((c) => ({ method: snake(c.op), params: sdkParams(c), expiresIn: EXPIRES }));
        const urls = await botoPresign({ endpoint: ENDPOINT, region, now: NOW, ...cred }, calls);
        group.forEach((c, i) => expected.set(c, urls[i] ?? ''));
      }
    }
  });

  it('botocore took the pinned clock', () => {
    assert.equal(expected.size, ALL.length);
    for (const url of expected.values()) assert.match(url, new RegExp(`X-Amz-Date=${AMZ_DATE}&`));
  });

  for (const c of ALL) {
    it(label(c), () => {
      const own: Array<[string, string]> = (c.overrides ?? []).map(([param, , value]) => [param, value]);
      // botocore signs Content-Type whenever the caller sets it.
      const headers: Record<string, string> = c.contentType === undefined ? {} : { 'content-type': c.contentType };
      assert.equal(ourPresign(c, ourUrl(c, own), headers, 'append'), expected.get(c));
    });
  }

  it('signs x-amz-meta-* and server-side encryption as headers', async () => {
    const cred = CREDENTIALS['session token'];
    assert.ok(cred);
    const params = { Bucket: BUCKET, Key: 'k', Metadata: { Foo: 'Bar  Baz' }, ServerSideEncryption: 'AES256' };
    const [url] = await botoPresign({ endpoint: ENDPOINT, region: 'us-east-1', now: NOW, ...cred }, [{ method: 'put_object', params }]);
    const c: Case = { op: 'PutObject', key: 'k', credentials: 'session token', region: 'us-east-1' };
    const headers = { 'x-amz-meta-foo': 'Bar  Baz', 'x-amz-server-side-encryption': 'AES256' };
    assert.equal(ourPresign(c, ourUrl(c, []), headers, 'append'), url);
  });
});

function snake(op: Operation): string {
  return op.replace(/[A-Z]/g, (ch, i: number) => `${i === 0 ? '' : '_'}${ch.toLowerCase()}`);
}
