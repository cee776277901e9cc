import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { fingerprint, readDiskState } from '../helpers/disk-state.js';
import { encodePolicy, multipartBody, rawPost, v4AuthConditions, v4PolicyFields, xmlField } from '../helpers/post-form.js';
import '../helpers/sdk-js.js';
import { ROOT_CREDENTIALS } from '../helpers/server.js';
import { serverWithBucket } from '../helpers/server-with-bucket.js';

/*
 * Malformed form bodies through the server (form.ts's refusals that happen
 * before any signature is read): the S3 error, nothing stored, and the server
 * still there for the next request; and a redirect URL no header can carry as
 * sent. test/presign/form-edges.test.ts and post-response-edges.test.ts pin
 * each of them in-process.
 */

const BUCKET = 'form-server';
const HOUR = 3_600_000;

const env = serverWithBucket(BUCKET);

type Fields = Array<[string, string]>;

function signedFields(key: string): Fields {
  const now = Date.now();
  const conditions = [{ bucket: BUCKET }, { key }, ['starts-with', '$x-amz-meta-note', ''], ['starts-with', '$success_action_redirect', '']];
  const policy = encodePolicy(new Date(now + HOUR), [...conditions, ...v4AuthConditions(ROOT_CREDENTIALS, { now })]);
  return [['key', key], ['x-amz-meta-note', 'n'], ...v4PolicyFields(ROOT_CREDENTIALS, policy, { now })];
}

/** A signed form for `key` with `extra` (raw multipart parts, or fields) spliced in before the file. */
function send(key: string, extra: { raw?: string; fields?: Fields }) {
  const { body, contentType } = multipartBody([...signedFields(key), ...(extra.fields ?? [])], { content: 'form body\n', filename: 'f.txt' });
  const boundary = contentType.slice(contentType.indexOf('boundary=') + 'boundary='.length);
  const fileStart = body.lastIndexOf(`--${boundary}\r\nContent-Disposition: form-data; name="file"`);
  const spliced = Buffer.concat([body.subarray(0, fileStart), Buffer.from((extra.raw ?? '').replaceAll('BOUNDARY', boundary)), body.subarray(fileStart)]);
  return rawPost(`${env.server.endpoint}/${BUCKET}`, spliced, { 'content-type': contentType });
}

async function assertMissing(key: string): Promise<void> {
  await assert.rejects(env.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })), (error: Error) => error.name === 'NotFound');
}

describe('POST form bodies the reader refuses, through the server', () => {
  test('the untouched form is stored (so each refusal below is the change\'s doing)', async () => {
    const answer = await send('ok.txt', {});
    assert.equal(answer.status, 204, answer.text);
    const head = await env.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'ok.txt' }));
    assert.deepEqual([head.ContentLength, head.Metadata], ['form body\n'.length, { note: 'n' }]);
  });

  test('a part without a field name: 400 MalformedPOSTRequest, and the server answers the next request', async () => {
    const before = fingerprint(readDiskState(env.server.dataDir));
    const answer = await send('nameless.txt', { raw: '--BOUNDARY\r\nContent-Disposition: form-data\r\n\r\nno name\r\n' });
    assert.deepEqual([answer.status, xmlField(answer.text, 'Code')], [400, 'MalformedPOSTRequest'], answer.text);
    assert.equal(fingerprint(readDiskState(env.server.dataDir)), before, 'a refused upload leaves the data dir as it was');
    await assertMissing('nameless.txt');
    assert.equal(env.server.process.exitCode, null, 'the server is still running');
    assert.equal((await send('after-nameless.txt', {})).status, 204);
  });

  test('more than 1000 fields before the file: 400 MaxPostPreDataLengthExceededError, not a form stored without the last ones', async () => {
    const before = fingerprint(readDiskState(env.server.dataDir));
    const padding = Array.from({ length: 1_000 }, (_, i): [string, string] => [`x-ignore-${i}`, '']);
    const answer = await send('many.txt', { fields: padding });
    assert.deepEqual([answer.status, xmlField(answer.text, 'Code')], [400, 'MaxPostPreDataLengthExceededError'], answer.text);
    assert.equal(fingerprint(readDiskState(env.server.dataDir)), before, 'a refused upload leaves the data dir as it was');
    await assertMissing('many.txt');
  });

  test('a success_action_redirect with a line break and non-Latin-1 letters: 303 to it percent-encoded (it was a 500 once the object was stored)', async () => {
    const answer = await send('redirect.txt', { fields: [['success_action_redirect', 'https://app.example.com/fertig\u2192?n=1\r\n']] });
    assert.equal(answer.status, 303, answer.text);
    const location = String(answer.headers['location']);
    assert.ok(location.startsWith('https://app.example.com/fertig%E2%86%92?n=1&bucket=form-server&key=redirect.txt&etag=%22'), location);
    const head = await env.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'redirect.txt' }));
    assert.equal(location, `https://app.example.com/fertig%E2%86%92?n=1&bucket=form-server&key=redirect.txt&etag=${encodeURIComponent(head.ETag ?? '')}`);
  });
});
