import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { boto } from '../helpers/admin-boto.js';
import { jsClient } from '../helpers/sdk-js.js';
import { ROOT_CREDENTIALS } from '../helpers/server.js';
import { startServer, type TestServer } from '../helpers/server.js';

/*
 * User metadata beyond ASCII: boto3 sends UTF-8 header bytes and signs them as
 * text. S3 stores Unicode (also from RFC 2047 encoded-words) and returns
 * non-ASCII values as "=?UTF-8?B?…?=", which Python's email.header decodes.
 */

let server: TestServer;

before(async () => {
  server = await startServer({ args: ['--no-console'] });
  await boto(server, `s3.create_bucket(Bucket='meta')\nout(True)`);
});
after(async () => {
  await server?.stop();
});

const DECODE = `
from email.header import decode_header
def text(value):
    return ''.join(part.decode(charset or 'ascii') if isinstance(part, bytes) else part for part, charset in decode_header(value))
`;

/** boto3 refuses non-ASCII Metadata itself; conformance suites add the header before signing, as here (urllib3 2 sends it as UTF-8). */
const WITH_HEADERS = `
def put_with_headers(key, headers):
    def add(**kw):
        kw['params']['headers'].update(headers)
    s3.meta.events.register('before-call.s3.PutObject', add)
    try:
        return client_error(s3.put_object, Bucket='meta', Key=key, Body=b'x')
    finally:
        s3.meta.events.unregister('before-call.s3.PutObject', add)
`;

describe('non-ASCII user metadata', () => {
  it('boto3 (UTF-8 bytes), RFC 2047 encoded-words and CopyObject keep the text; GET/HEAD return it RFC 2047 encoded', async () => {
    const r = await boto<Record<string, unknown>>(server, `${DECODE}${WITH_HEADERS}
r = {'put': put_with_headers('a.txt', {'x-amz-meta-name': 'café ☕', 'x-amz-meta-plain': 'ascii only', 'x-amz-meta-word': '=?UTF-8?B?w6k=?=', 'x-amz-meta-cjk': '中文 名'})}
s3.copy_object(Bucket='meta', Key='b.txt', CopySource={'Bucket': 'meta', 'Key': 'a.txt'})
for key in ['a.txt', 'b.txt']:
    head = s3.head_object(Bucket='meta', Key=key)['Metadata']
    r[key] = {'raw': head, 'text': {k: text(v) for k, v in head.items()}}
r['get'] = s3.get_object(Bucket='meta', Key='a.txt')['Metadata']
out(r)
`);
    assert.equal(r['put'], null);
    const a = r['a.txt'] as { raw: Record<string, string>; text: Record<string, string> };
    assert.deepEqual(a.text, { name: 'café ☕', plain: 'ascii only', word: 'é', cjk: '中文 名' });
    assert.equal(a.raw['name'], `=?UTF-8?B?${Buffer.from('café ☕').toString('base64')}?=`);
    assert.equal(a.raw['plain'], 'ascii only');
    assert.deepEqual(r['get'], a.raw);
    assert.deepEqual((r['b.txt'] as { text: Record<string, string> }).text, a.text);
  });

  it('the JS SDK, whose Node client writes text up to U+00FF one byte per character, is verified and stored as the same text', async () => {
    const s3 = jsClient({ endpoint: server.endpoint, region: server.region, ...ROOT_CREDENTIALS });
    await s3.send(new PutObjectCommand({ Bucket: 'meta', Key: 'js.txt', Body: 'x', Metadata: { name: 'naïve façade' } }));
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'meta', Key: 'js.txt' }));
    assert.equal(head.Metadata?.['name'], `=?UTF-8?B?${Buffer.from('naïve façade').toString('base64')}?=`);
  });

  it('the 2 KB limit counts the decoded text: a value over it is MetadataTooLarge and nothing is stored', async () => {
    const r = await boto<Record<string, unknown>>(server, `${WITH_HEADERS}
out({
  'big': put_with_headers('big.txt', {'x-amz-meta-v': 'é' * 1100}),
  'head': client_error(s3.head_object, Bucket='meta', Key='big.txt'),
})
`);
    const big = r['big'] as { code: string; status: number };
    assert.equal(big.code, 'MetadataTooLarge');
    assert.equal(big.status, 400);
    assert.equal((r['head'] as { status: number }).status, 404);
  });
});
