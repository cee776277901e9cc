import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PutObjectCommand, CreateBucketCommand } from '@aws-sdk/client-s3';
import { loadServerConfig } from '../../src/server/config.js';
import { adminCall } from '../helpers/admin-client.js';
import { httpRequest } from '../helpers/e2e-http.js';
import { s3Client, type TestCredentials } from '../helpers/clients.js';
import { buildConsoleUi, ConsoleClient, createUserWithPolicy, startConsoleServer, type ConsoleServer } from '../helpers/console.js';
import { ROOT_CREDENTIALS } from '../helpers/server.js';

const BUCKET = 'console-api';

describe('console configuration', () => {
  test('listens on 127.0.0.1:9001 by default, on an ephemeral port beside an ephemeral S3 port, nowhere with --no-console', () => {
    assert.deepEqual(loadServerConfig([], {}).console, { host: '127.0.0.1', port: 9001 });
    assert.deepEqual(loadServerConfig(['--address', '0.0.0.0:9000'], {}).console, { host: '127.0.0.1', port: 9001 });
    assert.deepEqual(loadServerConfig(['--address', '127.0.0.1:0'], {}).console, { host: '127.0.0.1', port: 0 });
    assert.deepEqual(loadServerConfig([], { LATCHKEY_CONSOLE_ADDRESS: '0.0.0.0:8080' }).console, { host: '0.0.0.0', port: 8080 });
    assert.deepEqual(loadServerConfig(['--console-address', '[::1]:7000'], { LATCHKEY_CONSOLE_ADDRESS: '0.0.0.0:8080' }).console, { host: '::1', port: 7000 });
    assert.equal(loadServerConfig(['--no-console'], {}).console, undefined);
    assert.throws(() => loadServerConfig(['--console-address', 'nope'], {}), /--console-address must be HOST:PORT/);
  });
});

describe('console API', () => {
  let s: ConsoleServer;
  let reader: TestCredentials;

  before(async () => {
    buildConsoleUi();
    s = await startConsoleServer({ args: ['--public-url', 'http://files.example.test:8443'] });
    const client = s3Client(s.server);
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'public/a.txt', Body: 'public text' }));
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'private/b.txt', Body: 'private text' }));
    reader = await createUserWithPolicy(s.server, 'reader', {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 's3:ListBucket', Resource: `arn:aws:s3:::${BUCKET}` },
        { Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${BUCKET}/public/*` },
      ],
    });
  });
  after(async () => {
    await s?.server.stop();
  });

  test('serves the pages with a strict content security policy and nothing from elsewhere', async () => {
    const res = await fetch(`${s.console}/`);
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'/);
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    const html = await res.text();
    assert.doesNotMatch(html, /https?:\/\//, 'the page names no other origin');
    assert.equal((await fetch(`${s.console}/js/main.js`)).status, 200);
    assert.equal((await fetch(`${s.console}/js/../../package.json`)).status, 404);
  });

  test('a wrong secret or an unknown key gets one readable message; the cookie is HttpOnly and SameSite=Strict', async () => {
    const c = new ConsoleClient(s.console);
    const wrong = await c.call('POST', '/api/session', { accessKeyId: ROOT_CREDENTIALS.accessKeyId, secretAccessKey: 'not-the-secret' });
    assert.equal(wrong.status, 401);
    assert.deepEqual(wrong.json['error'], { code: 'InvalidCredentials', message: 'The access key ID or secret access key is not correct, or the key is not active.' });
    const unknown = await c.call('POST', '/api/session', { accessKeyId: 'LKNOSUCHKEY000000000', secretAccessKey: 'x' });
    assert.equal(unknown.status, 401);
    assert.equal((unknown.json['error'] as { code: string }).code, 'InvalidCredentials');

    const res = await fetch(`${s.console}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ROOT_CREDENTIALS),
    });
    assert.equal(res.status, 200);
    const cookie = res.headers.get('set-cookie') ?? '';
    assert.match(cookie, /; HttpOnly/);
    assert.match(cookie, /; SameSite=Strict/);
    assert.match(cookie, /Max-Age=43200/);
    // The cookie names a temporary session (LKTS…), never the long-term key's secret.
    assert.match(cookie, /^latchkey_console=LKTS/);
    assert.ok(!cookie.includes(ROOT_CREDENTIALS.secretAccessKey) && !cookie.includes(encodeURIComponent(ROOT_CREDENTIALS.secretAccessKey)));
  });

  test('state changes need the CSRF token and a same-origin Origin; sign-in from another origin is refused', async () => {
    const c = new ConsoleClient(s.console);
    await c.signIn(ROOT_CREDENTIALS);
    const noToken = await c.call('PUT', '/s3/csrf-bucket', undefined, { 'x-latchkey-csrf': '' });
    assert.equal(noToken.status, 403);
    assert.equal((noToken.json['error'] as { code: string }).code, 'InvalidCsrfToken');
    const otherOrigin = await c.call('PUT', '/s3/csrf-bucket', undefined, { origin: 'http://evil.example' });
    assert.equal(otherOrigin.status, 403);
    const foreignSignIn = await new ConsoleClient(s.console).call('POST', '/api/session', ROOT_CREDENTIALS, { origin: 'http://evil.example' });
    assert.equal(foreignSignIn.status, 403);
    assert.equal((foreignSignIn.json['error'] as { code: string }).code, 'InvalidOrigin');
    const ok = await c.call('PUT', '/s3/csrf-bucket');
    assert.equal(ok.status, 200);
    const list = await c.call('GET', '/s3/');
    assert.match(String(list.json['text']), /<Name>csrf-bucket<\/Name>/);
  });

  test('links are signed with the long-term key, capped at 12 hours, use --public-url, and outlive the console session', async () => {
    const c = new ConsoleClient(s.console);
    await c.signIn(reader);
    const tooLong = await c.call('POST', '/api/share', { bucket: BUCKET, key: 'public/a.txt', expiresIn: 13 * 3600 });
    assert.equal(tooLong.status, 400);
    assert.deepEqual(tooLong.json['error'], { code: 'InvalidExpiry', message: 'Console links last at most 12 hours; you asked for 13 hours. Choose 12 hours or less.' });
    const shared = await c.call('POST', '/api/share', { bucket: BUCKET, key: 'public/a.txt', expiresIn: 12 * 3600, downloadName: 'report.txt' });
    assert.equal(shared.status, 201, JSON.stringify(shared.json));
    const url = new URL(String(shared.json['url']));
    assert.equal(url.origin, 'http://files.example.test:8443');
    assert.equal(url.searchParams.get('X-Amz-Expires'), '43200');
    assert.ok(url.searchParams.get('X-Amz-Credential')?.startsWith(`${reader.accessKeyId}/`), 'signed with the user own long-term key');
    assert.equal(url.searchParams.get('X-Amz-Security-Token'), null);
    assert.equal(url.searchParams.get('response-content-disposition'), `attachment; filename="report.txt"; filename*=UTF-8''report.txt`);
    const expiresAt = Date.parse(String(shared.json['expiresAt']));
    assert.ok(Math.abs(expiresAt - (Date.now() + 12 * 3600_000)) < 10_000);

    assert.equal((await c.call('DELETE', '/api/session')).status, 200);
    // The same link against the real listener (the public URL names a proxy that is not here): it still works.
    const direct = `${s.server.endpoint}${url.pathname}${url.search}`;
    // (node:http: fetch will not send the Host a link was signed for.)
    const res = await httpRequest(direct, { method: 'GET', headers: { host: url.host } });
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), 'public text');
    assert.match(String(res.headers['content-disposition']), /report\.txt/);
  });

  test('a user cannot share what they cannot read, nor write through the proxy what their policy does not allow', async () => {
    const c = new ConsoleClient(s.console);
    await c.signIn(reader);
    const refused = await c.call('POST', '/api/share', { bucket: BUCKET, key: 'private/b.txt', expiresIn: 3600 });
    assert.equal(refused.status, 403);
    assert.deepEqual(refused.json['error'], { code: 'AccessDenied', message: `You cannot share ${BUCKET}/private/b.txt: you are not allowed to read it.` });
    const missing = await c.call('POST', '/api/share', { bucket: BUCKET, key: 'public/none.txt', expiresIn: 3600 });
    assert.equal(missing.status, 404);
    const put = await c.call('PUT', `/s3/${BUCKET}/public/new.txt`, undefined, { 'content-type': 'text/plain' });
    assert.equal(put.status, 403);
    assert.match(String(put.json['text']), /<Code>AccessDenied<\/Code>/);
    const read = await c.call('GET', `/s3/${BUCKET}/public/a.txt`);
    assert.equal(read.status, 200);
    assert.match(read.headers.get('content-disposition') ?? '', /^attachment/);
    assert.match(read.headers.get('content-security-policy') ?? '', /sandbox/);
    const readPrivate = await c.call('GET', `/s3/${BUCKET}/private/b.txt`);
    assert.equal(readPrivate.status, 403);
  });

  test('upload links: a pre-signed PUT with its content type, a POST form under a prefix with a size limit', async () => {
    const c = new ConsoleClient(s.console);
    await c.signIn(ROOT_CREDENTIALS);
    const sizeOnPut = await c.call('POST', '/api/upload-links', { bucket: BUCKET, key: 'in/x.txt', prefix: false, expiresIn: 600, maxSize: 10 });
    assert.equal(sizeOnPut.status, 400);
    const put = await c.call('POST', '/api/upload-links', { bucket: BUCKET, key: 'in/x.txt', prefix: false, expiresIn: 600, contentType: 'text/plain' });
    assert.equal(put.status, 201, JSON.stringify(put.json));
    assert.deepEqual(put.json['headers'], { 'content-type': 'text/plain' });
    const link = new URL(String(put.json['url']));
    const direct = `${s.server.endpoint}${link.pathname}${link.search}`;
    const wrongType = await httpRequest(direct, { method: 'PUT', body: 'x', headers: { host: link.host, 'content-type': 'text/html' } });
    assert.equal(wrongType.status, 403);
    const uploaded = await httpRequest(direct, { method: 'PUT', body: 'uploaded by link', headers: { host: link.host, 'content-type': 'text/plain' } });
    assert.equal(uploaded.status, 200);

    const form = await c.call('POST', '/api/upload-links', { bucket: BUCKET, key: 'drop/', prefix: true, expiresIn: 600, maxSize: 16 });
    assert.equal(form.status, 201, JSON.stringify(form.json));
    const fields = form.json['fields'] as Record<string, string>;
    assert.equal(fields['key'], 'drop/${filename}');
    const post = async (content: string) => {
      const data = new FormData();
      for (const [k, v] of Object.entries(fields)) data.append(k, v);
      data.append('file', new Blob([content]), 'note.txt');
      const formUrl = new URL(String(form.json['url']));
      // A POST policy's signature does not cover the Host, so the form can go straight to the listener.
      return fetch(`${s.server.endpoint}${formUrl.pathname}`, { method: 'POST', body: data });
    };
    assert.equal((await post('x'.repeat(17))).status, 400, 'over the size limit');
    assert.equal((await post('small')).status, 201);
    const links = await c.call('GET', '/api/links');
    const kinds = (links.json['links'] as { kind: string }[]).map((l) => l.kind);
    assert.ok(kinds.includes('upload-object') && kinds.includes('upload-prefix'));
  });

  test('a console session dies with its user and at sign-out', async () => {
    const user = await createUserWithPolicy(s.server, 'leaver', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*' }] });
    const c = new ConsoleClient(s.console);
    await c.signIn(user);
    assert.equal((await c.call('GET', '/s3/')).status, 200);
    assert.equal((await adminCall(s.server, 'POST', '/users/leaver/disable')).status, 200);
    const after = await c.call('GET', '/api/session');
    assert.equal(after.status, 401);
    assert.equal((after.json['error'] as { code: string }).code, 'SignInRequired');

    const root = new ConsoleClient(s.console);
    await root.signIn(ROOT_CREDENTIALS);
    const kept = root.cookie;
    await root.call('DELETE', '/api/session');
    const replay = await fetch(`${s.console}/api/session`, { headers: { cookie: kept } });
    assert.equal(replay.status, 401, 'the deleted session cannot be replayed with the old cookie');
  });
});

describe('console sign-in rate limit', () => {
  let s: ConsoleServer;
  before(async () => {
    s = await startConsoleServer();
  });
  after(async () => {
    await s?.server.stop();
  });

  test('five failures with one key from one address make that key wait there, even with the right secret next', async () => {
    const c = new ConsoleClient(s.console);
    for (let i = 0; i < 5; i += 1) {
      assert.equal((await c.call('POST', '/api/session', { accessKeyId: ROOT_CREDENTIALS.accessKeyId, secretAccessKey: `guess-${i}` })).status, 401);
    }
    const blocked = await c.call('POST', '/api/session', ROOT_CREDENTIALS);
    assert.equal(blocked.status, 429);
    assert.equal((blocked.json['error'] as { code: string }).code, 'TooManyAttempts');
    assert.match((blocked.json['error'] as { message: string }).message, /Too many failed sign-ins with this access key from your address\. Try again in 15 minutes\./);
    assert.ok(Number(blocked.headers.get('retry-after')) > 800);
  });
});
