import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { presignUrl } from '../../src/index.js';
import { ConfigError, loadServerConfig } from '../../src/server/config.js';
import { nodeCrypto } from '../../src/sigv4/node-crypto.js';
import { signV2 } from '../../src/sigv4/sigv2.js';
import { fingerprint, readDiskState } from '../helpers/disk-state.js';
import { encodePolicy, postForm, v2PolicyFields, v4AuthConditions, v4PolicyFields, xmlField } from '../helpers/post-form.js';
import { ROOT_CREDENTIALS, startServer, type TestServer } from '../helpers/server.js';

const BUCKET = 'sigv2-toggle';
const DISABLED = 'SigV2 authentication is disabled on this server; use AWS4-HMAC-SHA256';

function v2(server: TestServer, method: string, path: string, mode: 'query' | 'header'): { url: string; headers: Record<string, string> } {
  const url = `${server.endpoint}${path}`;
  const signed =
    mode === 'query'
      ? signV2({ mode, method, url, credentials: ROOT_CREDENTIALS, crypto: nodeCrypto, now: Date.now(), expiresIn: 300 })
      : signV2({ mode, method, url, credentials: ROOT_CREDENTIALS, crypto: nodeCrypto, now: Date.now() });
  return { url: signed.url, headers: signed.headers };
}

async function send(url: string, method: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) });
  return { status: response.status, text: await response.text() };
}

function v2Form(key: string): Array<[string, string]> {
  const policy = encodePolicy(new Date(Date.now() + 600_000), [{ bucket: BUCKET }, ['starts-with', '$key', '']]);
  return [['key', key], ...v2PolicyFields(ROOT_CREDENTIALS, policy)];
}

function v4Form(key: string): Array<[string, string]> {
  const policy = encodePolicy(new Date(Date.now() + 600_000), [{ bucket: BUCKET }, ['starts-with', '$key', ''], ...v4AuthConditions(ROOT_CREDENTIALS)]);
  return [['key', key], ...v4PolicyFields(ROOT_CREDENTIALS, policy)];
}

test('--sigv2 and LATCHKEY_SIGV2: on by default, flags win, nonsense refused', () => {
  assert.equal(loadServerConfig([], {}).sigv2, true);
  assert.equal(loadServerConfig([], { LATCHKEY_SIGV2: 'off' }).sigv2, false);
  assert.equal(loadServerConfig(['--sigv2', 'on'], { LATCHKEY_SIGV2: 'off' }).sigv2, true);
  assert.equal(loadServerConfig(['--sigv2', 'off'], {}).sigv2, false);
  assert.throws(() => loadServerConfig(['--sigv2', 'maybe'], {}), ConfigError);
});

describe('with SigV2 switched off', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ args: ['--sigv2', 'off'] });
    const created = await send(presignUrl({ endpoint: server.endpoint, bucket: BUCKET, key: 'seed.txt', method: 'PUT', expiresIn: 60, credentials: ROOT_CREDENTIALS }).url, 'PUT', {}, 'seed');
    assert.equal(created.status, 404, 'the bucket does not exist yet');
  });
  after(async () => {
    await server?.stop();
  });

  test('V4 still works; V2 query links, V2 header auth and V2 POST policies get 400 InvalidRequest and change nothing', async () => {
    // Create the bucket and an object with V4.
    const { signRequest } = await import('../../src/sigv4/sign.js');
    const mb = signRequest({ method: 'PUT', url: `${server.endpoint}/${BUCKET}`, credentials: ROOT_CREDENTIALS, region: 'us-east-1', now: Date.now(), crypto: nodeCrypto, payloadHash: 'UNSIGNED-PAYLOAD' });
    const { host: _host, ...mbHeaders } = mb.headers;
    assert.equal((await send(`${server.endpoint}/${BUCKET}`, 'PUT', mbHeaders)).status, 200);
    const put = await send(presignUrl({ endpoint: server.endpoint, bucket: BUCKET, key: 'v4.txt', method: 'PUT', expiresIn: 60, credentials: ROOT_CREDENTIALS }).url, 'PUT', {}, 'by v4');
    assert.equal(put.status, 200, put.text);

    const before = fingerprint(readDiskState(server.dataDir));
    for (const [label, request] of [
      ['V2 query GET', () => send(v2(server, 'GET', `/${BUCKET}/v4.txt`, 'query').url, 'GET')],
      ['V2 query PUT', () => send(v2(server, 'PUT', `/${BUCKET}/v2.txt`, 'query').url, 'PUT', {}, 'by v2')],
      ['V2 header GET', () => {
        const signed = v2(server, 'GET', `/${BUCKET}/v4.txt`, 'header');
        return send(signed.url, 'GET', signed.headers);
      }],
      ['V2 POST policy', () => postForm(`${server.endpoint}/${BUCKET}`, v2Form('v2-form.txt'), { content: 'by v2 form', filename: 'f.txt' })],
    ] as const) {
      const answer = await request();
      assert.equal(xmlField(answer.text, 'Code'), 'InvalidRequest', `${label}: ${answer.text}`);
      assert.equal(answer.status, 400, label);
      assert.equal(xmlField(answer.text, 'Message'), DISABLED, label);
    }
    assert.equal(fingerprint(readDiskState(server.dataDir)), before, 'nothing signed with V2 changed the data dir');

    const get = await send(presignUrl({ endpoint: server.endpoint, bucket: BUCKET, key: 'v4.txt', expiresIn: 60, credentials: ROOT_CREDENTIALS }).url, 'GET');
    assert.equal(get.status, 200);
    assert.equal(get.text, 'by v4');
    const form = await postForm(`${server.endpoint}/${BUCKET}`, v4Form('v4-form.txt'), { content: 'by v4 form', filename: 'f.txt' });
    assert.equal(form.status, 204, form.text);
  });
});

describe('with SigV2 on (the default)', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server?.stop();
  });

  test('the same V2 query link is accepted (it gets past authentication to the missing bucket)', async () => {
    const answer = await send(v2(server, 'GET', `/${BUCKET}/v4.txt`, 'query').url, 'GET');
    assert.equal(xmlField(answer.text, 'Code'), 'NoSuchBucket', answer.text);
  });
});
