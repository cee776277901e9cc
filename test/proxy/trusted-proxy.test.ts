import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { nodeCrypto } from '../../src/sigv4/node-crypto.js';
import { presign, signRequest } from '../../src/sigv4/sign.js';
import { adminCall } from '../helpers/admin-client.js';
import type { TestCredentials } from '../helpers/clients.js';
import { createUserWithPolicy, startConsoleServer, type ConsoleServer } from '../helpers/console.js';
import { parseS3Error } from '../helpers/e2e-http.js';
import { NGINX_MISSING, startNginx, type RunningNginx } from '../helpers/nginx.js';
import { ROOT_CREDENTIALS, type TestServer } from '../helpers/server.js';

/**
 * One client address for the sign-in limiter, aws:SourceIp, X-Latchkey-Source-Ip
 * and the link audit (issue 12, item 4). Clients are told apart by the loopback
 * address they connect from (127.0.0.2, 127.0.0.3): nginx sees that as
 * $remote_addr and appends it to X-Forwarded-For.
 */
interface Answer {
  readonly status: number;
  readonly body: string;
  readonly cookie: string;
}

function send(from: string, url: string, method: string, headers: Readonly<Record<string, string>> = {}, body?: string): Promise<Answer> {
  const { hostname, port, pathname, search } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, method, path: `${pathname}${search}`, localAddress: from, headers: { ...headers, ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), cookie: (res.headers['set-cookie']?.[0] ?? '').split(';')[0] ?? '' }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function signIn(from: string, origin: string, credentials: TestCredentials, headers: Readonly<Record<string, string>> = {}): Promise<Answer> {
  const body = JSON.stringify({ accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey });
  return send(from, `${origin}/api/session`, 'POST', { 'content-type': 'application/json', origin, ...headers }, body);
}

function signedGet(from: string, url: string, credentials: TestCredentials, headers: Readonly<Record<string, string>> = {}): Promise<Answer> {
  const signed = signRequest({ method: 'GET', url, credentials, region: 'us-east-1', now: Date.now(), crypto: nodeCrypto, headers: {}, payloadHash: 'UNSIGNED-PAYLOAD' });
  const { host: _host, ...signedHeaders } = signed.headers;
  return send(from, url, 'GET', { ...signedHeaders, ...headers });
}

function sourceIpLink(endpoint: string, range: string): string {
  const url = `${endpoint}/fenced/doc.txt?X-Latchkey-Source-Ip=${encodeURIComponent(range)}`;
  return presign({ method: 'GET', url, credentials: ROOT_CREDENTIALS, region: 'us-east-1', now: Date.now(), expiresIn: 600 + Math.floor(Math.random() * 1000), crypto: nodeCrypto }).url;
}

function policyFrom(range: string) {
  return {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::fenced/*', Condition: { IpAddress: { 'aws:SourceIp': range } } }],
  };
}

async function seed(server: TestServer): Promise<void> {
  const url = `${server.endpoint}/fenced`;
  const put = (target: string, body: string) => {
    const signed = signRequest({ method: 'PUT', url: target, credentials: ROOT_CREDENTIALS, region: 'us-east-1', now: Date.now(), crypto: nodeCrypto, headers: {}, payloadHash: 'UNSIGNED-PAYLOAD' });
    const { host: _host, ...headers } = signed.headers;
    return send('127.0.0.1', target, 'PUT', headers, body);
  };
  assert.equal((await put(url, '')).status, 200);
  assert.equal((await put(`${url}/doc.txt`, 'inside')).status, 200);
}

async function failFiveTimes(from: string, origin: string, accessKeyId: string, headers: (i: number) => Record<string, string> = () => ({})): Promise<void> {
  for (let i = 0; i < 5; i++) assert.equal((await signIn(from, origin, { accessKeyId, secretAccessKey: `wrong-${i}` }, headers(i))).status, 401);
}

function assertLockedOut(answer: Answer): void {
  assert.equal(answer.status, 429);
  assert.equal((JSON.parse(answer.body) as { error: { code: string } }).error.code, 'TooManyAttempts');
}

describe('client address without --trusted-proxy: X-Forwarded-For is never read', () => {
  let s: ConsoleServer;
  let fenced: TestCredentials;
  before(async () => {
    s = await startConsoleServer();
    await seed(s.server);
    fenced = await createUserWithPolicy(s.server, 'fenced', policyFrom('198.51.100.0/24'));
  });
  after(async () => {
    await s?.server.stop();
  });

  it('sign-in: failures sent with changing spoofed addresses all count against the real one, for that key only', async () => {
    await failFiveTimes('127.0.0.2', s.console, ROOT_CREDENTIALS.accessKeyId, (i) => ({ 'x-forwarded-for': `198.51.100.${i + 1}` }));
    assertLockedOut(await signIn('127.0.0.2', s.console, ROOT_CREDENTIALS, { 'x-forwarded-for': '198.51.100.99' }));
    // The same key from another address, and another key from this one, are admitted.
    assert.equal((await signIn('127.0.0.3', s.console, ROOT_CREDENTIALS)).status, 200);
    assert.equal((await signIn('127.0.0.2', s.console, fenced)).status, 200);
  });

  it('aws:SourceIp and X-Latchkey-Source-Ip see the TCP peer, not a spoofed header', async () => {
    const denied = await signedGet('127.0.0.2', `${s.server.endpoint}/fenced/doc.txt`, fenced, { 'x-forwarded-for': '198.51.100.7' });
    assert.equal(denied.status, 403);
    assert.equal(parseS3Error(denied.body).code, 'AccessDenied');
    const link = await send('127.0.0.2', sourceIpLink(s.server.endpoint, '198.51.100.7/32'), 'GET', { 'x-forwarded-for': '198.51.100.7' });
    assert.equal(link.status, 403);
    assert.equal(parseS3Error(link.body).message, 'Link not valid from this address');
    assert.equal((await send('127.0.0.2', sourceIpLink(s.server.endpoint, '127.0.0.2/32'), 'GET', { 'x-forwarded-for': '198.51.100.7' })).status, 200);
  });
});

describe('client address with --trusted-proxy, through nginx', { skip: NGINX_MISSING }, () => {
  let s: ConsoleServer;
  let s3Proxy: RunningNginx;
  let consoleProxy: RunningNginx;
  let fenced: TestCredentials;
  const block = (upstream: string) => `
    location / {
      proxy_pass ${upstream};
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_http_version 1.1;
    }`;

  before(async () => {
    s = await startConsoleServer({ args: ['--trusted-proxy', '127.0.0.1/32,::1'] });
    await seed(s.server);
    fenced = await createUserWithPolicy(s.server, 'fenced', policyFrom('127.0.0.2/32'));
    s3Proxy = await startNginx(block(s.server.endpoint));
    consoleProxy = await startNginx(block(s.console));
  });
  after(async () => {
    await s3Proxy?.stop();
    await consoleProxy?.stop();
    await s?.server.stop();
  });

  it('sign-in: one client locked out of a key leaves the same key to every other client behind the proxy', async () => {
    const origin = consoleProxy.url;
    await failFiveTimes('127.0.0.3', origin, ROOT_CREDENTIALS.accessKeyId);
    assertLockedOut(await signIn('127.0.0.3', origin, ROOT_CREDENTIALS));
    // Claiming to be someone else does not help: nginx appends the real address, which is read.
    assertLockedOut(await signIn('127.0.0.3', origin, ROOT_CREDENTIALS, { 'x-forwarded-for': '127.0.0.2' }));
    assert.equal((await signIn('127.0.0.2', origin, ROOT_CREDENTIALS)).status, 200);
    assert.equal((await signIn('127.0.0.3', origin, fenced)).status, 200);
  });

  it('aws:SourceIp is the client nginx saw; a spoofed X-Forwarded-For is to the left of it and ignored', async () => {
    const url = `${s3Proxy.url}/fenced/doc.txt`;
    const allowed = await signedGet('127.0.0.2', url, fenced);
    assert.equal(allowed.status, 200);
    assert.equal(allowed.body, 'inside');
    const spoofed = await signedGet('127.0.0.3', url, fenced, { 'x-forwarded-for': '127.0.0.2' });
    assert.equal(spoofed.status, 403);
    assert.equal(parseS3Error(spoofed.body).code, 'AccessDenied');
  });

  it("the console's S3 calls carry the browser's address to aws:SourceIp (loopback is trusted here)", async () => {
    const origin = consoleProxy.url;
    for (const [from, status] of [['127.0.0.2', 200], ['127.0.0.3', 403]] as const) {
      const session = await signIn(from, origin, fenced);
      assert.equal(session.status, 200);
      const got = await send(from, `${origin}/s3/fenced/doc.txt`, 'GET', { cookie: session.cookie });
      assert.equal(got.status, status, `${from}: ${got.body}`);
    }
  });

  it('X-Latchkey-Source-Ip and the audit log see the same client address', async () => {
    const link = sourceIpLink(s3Proxy.url, '127.0.0.2/32');
    assert.equal((await send('127.0.0.2', link, 'GET')).status, 200);
    const refused = await send('127.0.0.3', link, 'GET', { 'x-forwarded-for': '127.0.0.2' });
    assert.equal(refused.status, 403);
    assert.equal(parseS3Error(refused.body).message, 'Link not valid from this address');
    // Straight to the server from an untrusted peer, the header is not read either.
    const direct = await send('127.0.0.3', sourceIpLink(s.server.endpoint, '127.0.0.2/32'), 'GET', { 'x-forwarded-for': '127.0.0.2' });
    assert.equal(direct.status, 403);
    const log = await adminCall<{ entries: Array<{ clientIp: string; status: number }> }>(s.server, 'GET', '/links/log?bucket=fenced&limit=50');
    const seen = log.body.entries.map((e) => `${e.clientIp} ${e.status}`).sort();
    assert.deepEqual(seen, ['127.0.0.2 200', '127.0.0.3 403', '127.0.0.3 403']);
  });
});
