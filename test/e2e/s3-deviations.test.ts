import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { nodeCrypto } from '../../src/sigv4/node-crypto.js';
import { signV2 } from '../../src/sigv4/sigv2.js';
import { createKey, createUser } from '../helpers/admin-client.js';
import { aws, s3Client, type TestCredentials } from '../helpers/clients.js';
import { httpRequest, parseS3Error, signedRequest } from '../helpers/e2e-http.js';
import { ROOT_CREDENTIALS, startServer, type TestServer } from '../helpers/server.js';

/** Smaller deviations from S3 an external conformance run found (issue 12, item 7). */
let server: TestServer;

before(async () => {
  server = await startServer();
  const s3 = s3Client(server);
  await s3.send(new CreateBucketCommand({ Bucket: 'devs' }));
  await s3.send(new CreateBucketCommand({ Bucket: 'lists' }));
  await s3.send(new PutObjectCommand({ Bucket: 'devs', Key: 'plain', Body: 'x' }));
  for (const key of ['plain', 'line\nfeed', 'tab\there', 'dir\n/inner', 'cr\rkey']) await s3.send(new PutObjectCommand({ Bucket: 'lists', Key: key, Body: 'x' }));
});

after(async () => {
  await server.stop();
});

describe('Expect headers other than 100-continue', () => {
  for (const expect of ['200', '', 'something-else']) {
    it(`Expect: ${JSON.stringify(expect)} is ignored`, async () => {
      const get = await signedRequest(server, { method: 'GET', path: '/devs/plain', headers: { expect } });
      assert.equal(get.status, 200);
      assert.equal(get.body.toString(), 'x');
      const put = await signedRequest(server, { method: 'PUT', path: '/devs/expected', headers: { expect }, body: 'put with expect' });
      assert.equal(put.status, 200);
      const back = await signedRequest(server, { method: 'GET', path: '/devs/expected' });
      assert.equal(back.body.toString(), 'put with expect');
    });
  }
});

describe('If-Modified-Since', () => {
  it('a date in the future is ignored (200), a past one after the write is 304', async () => {
    const future = new Date(Date.now() + 365 * 86_400_000).toUTCString();
    const got = await signedRequest(server, { method: 'GET', path: '/devs/plain', headers: { 'if-modified-since': future } });
    assert.equal(got.status, 200);
    assert.equal(got.body.toString(), 'x');
    const head = await signedRequest(server, { method: 'HEAD', path: '/devs/plain', headers: { 'if-modified-since': future } });
    assert.equal(head.status, 200);
    const lastModified = String(got.headers['last-modified']);
    const unchanged = await signedRequest(server, { method: 'GET', path: '/devs/plain', headers: { 'if-modified-since': lastModified } });
    assert.equal(unchanged.status, 304);
  });
});

describe('SigV2 header auth without a usable date', () => {
  function v2Request(dates: Record<string, string>) {
    const signed = signV2({ mode: 'header', method: 'GET', url: `${server.endpoint}/devs/plain`, credentials: ROOT_CREDENTIALS, crypto: nodeCrypto, now: Date.now(), headers: dates });
    return signed.headers;
  }

  for (const [label, dates] of [
    ['a Date before 1970', { date: 'Wed, 31 Dec 1969 23:59:59 GMT' }],
    ['an x-amz-date before 1970', { 'x-amz-date': 'Mon, 01 Jan 1900 00:00:00 GMT' }],
  ] as const) {
    it(`${label} is AccessDenied (403), not RequestTimeTooSkewed`, async () => {
      const response = await httpRequest(`${server.endpoint}/devs/plain`, { method: 'GET', headers: v2Request(dates) });
      assert.equal(response.status, 403);
      assert.equal(parseS3Error(response.body).code, 'AccessDenied');
    });
  }

  it('no Date and no x-amz-date is AccessDenied (403)', async () => {
    const { date: _date, ...headers } = v2Request({});
    const response = await httpRequest(`${server.endpoint}/devs/plain`, { method: 'GET', headers });
    assert.equal(response.status, 403);
    assert.equal(parseS3Error(response.body).code, 'AccessDenied');
  });

  it('a current Date still works', async () => {
    const response = await httpRequest(`${server.endpoint}/devs/plain`, { method: 'GET', headers: v2Request({}) });
    assert.equal(response.status, 200);
  });
});

describe('ListObjects with and without encoding-type=url', () => {
  /** Element texts as an XML 1.0 reader sees them: references decoded, a literal CR read as a line feed. */
  function texts(xml: string, name: string): string[] {
    const raw = [...xml.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, 'g'))].map((m) => m[1]!);
    return raw.map((text) =>
      text
        .replace(/\r\n?/g, '\n')
        .replace(/&#(x?)([0-9A-Fa-f]+);/g, (_m, hex: string, digits: string) => String.fromCodePoint(parseInt(digits, hex ? 16 : 10)))
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&quot;/g, '"')
        .replace(/&apos;/g, "'")
        .replace(/&amp;/g, '&'),
    );
  }

  for (const v2 of [false, true]) {
    const list = v2 ? '?list-type=2&' : '?';
    it(`${v2 ? 'V2' : 'V1'}: url encoding turns control characters into %XX, keys and prefixes alike`, async () => {
      const encoded = (await signedRequest(server, { method: 'GET', path: `/lists${list}encoding-type=url&delimiter=%2F` })).body.toString();
      assert.deepEqual(texts(encoded, 'Key').sort(), ['cr%0Dkey', 'line%0Afeed', 'plain', 'tab%09here'].sort());
      assert.deepEqual(texts(encoded, 'Prefix').filter((p) => p !== ''), ['dir%0A/']);
      assert.match(encoded, /<EncodingType>url<\/EncodingType>/);
      const withPrefix = (await signedRequest(server, { method: 'GET', path: `/lists${list}encoding-type=url&prefix=line%0A` })).body.toString();
      assert.deepEqual(texts(withPrefix, 'Prefix'), ['line%0A']);
      assert.deepEqual(texts(withPrefix, 'Key'), ['line%0Afeed']);
    });

    it(`${v2 ? 'V2' : 'V1'}: without it, keys come back raw (a CR as a reference, so it survives XML parsing)`, async () => {
      const raw = (await signedRequest(server, { method: 'GET', path: `/lists${list}delimiter=%2F` })).body.toString();
      assert.deepEqual(texts(raw, 'Key').sort(), ['cr\rkey', 'line\nfeed', 'plain', 'tab\there'].sort());
      assert.deepEqual(texts(raw, 'Prefix').filter((p) => p !== ''), ['dir\n/']);
      assert.doesNotMatch(raw, /EncodingType/);
    });
  }
});

describe('aws sts get-caller-identity', () => {
  async function callerIdentity(credentials: TestCredentials): Promise<{ Account: string; Arn: string; UserId: string }> {
    const result = await aws(server, ['sts', 'get-caller-identity', '--output', 'json'], credentials);
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as { Account: string; Arn: string; UserId: string };
  }

  it('answers for root, a user, and session credentials of each', async () => {
    assert.deepEqual(await callerIdentity(ROOT_CREDENTIALS), { Account: 'latchkey', Arn: 'arn:aws:iam::latchkey:root', UserId: 'latchkey' });
    await createUser(server, 'caller');
    const key = await createKey(server, 'caller');
    assert.deepEqual(await callerIdentity(key.credentials), { Account: 'latchkey', Arn: 'arn:aws:iam::latchkey:user/caller', UserId: 'caller' });

    for (const [who, credentials, arn, userId] of [
      ['root', ROOT_CREDENTIALS, 'arn:aws:iam::latchkey:root', 'latchkey'],
      ['user', key.credentials, 'arn:aws:iam::latchkey:user/caller', 'caller'],
    ] as const) {
      const session = await aws(server, ['sts', 'get-session-token', '--duration-seconds', '900', '--output', 'json'], credentials);
      assert.equal(session.code, 0, session.stderr);
      const c = (JSON.parse(session.stdout) as { Credentials: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string } }).Credentials;
      const identity = await callerIdentity({ accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken });
      assert.deepEqual(identity, { Account: 'latchkey', Arn: arn, UserId: `${userId}:${c.AccessKeyId}` }, who);
    }
  });

  it('unsigned or badly signed calls are refused', async () => {
    const result = await aws(server, ['sts', 'get-caller-identity'], { accessKeyId: ROOT_CREDENTIALS.accessKeyId, secretAccessKey: 'wrong' });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /SignatureDoesNotMatch/);
  });
});
