import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { runClientCommand } from '../../src/cli/dispatch.js';
import { nodeCrypto } from '../../src/sigv4/node-crypto.js';
import { verifyRequest } from '../../src/sigv4/verify.js';

// A stand-in server that verifies every SigV4 signature exactly as Latchkey does and answers
// canned admin-API bodies, so argument handling, output and exit codes are tested without it.
const KEY = { accessKeyId: 'STUBKEY', secretAccessKey: 'stub/secret+1' };

interface Seen {
  method: string;
  url: string;
  body: string;
  contentSha256: string | undefined;
  verified: string;
}

type Reply = { status: number; json?: unknown; text?: string; contentType?: string };

describe('latchkey client commands against a signature-checking stub', () => {
  let server: Server;
  let endpoint: string;
  const seen: Seen[] = [];
  const replies = new Map<string, Reply>();

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void (async () => {
          const body = Buffer.concat(chunks);
          const [path = '', query = ''] = (req.url ?? '').split('?');
          let verified = 'ok';
          try {
            await verifyRequest(
              { method: req.method ?? '', path, query, headers: req.headers },
              { now: Date.now(), crypto: nodeCrypto, region: 'us-east-1', lookupSecret: (id) => (id === KEY.accessKeyId ? KEY : undefined) },
            );
          } catch (e) {
            verified = (e as { code?: string }).code ?? String(e);
          }
          const contentSha256 = req.headers['x-amz-content-sha256'] as string | undefined;
          seen.push({ method: req.method ?? '', url: req.url ?? '', body: body.toString(), contentSha256, verified });
          const reply: Reply =
            verified !== 'ok'
              ? { status: 403, json: { error: { code: verified, message: 'signature check failed' } } }
              : contentSha256 !== createHash('sha256').update(body).digest('hex')
                ? { status: 400, json: { error: { code: 'XAmzContentSHA256Mismatch', message: 'body hash' } } }
                : (replies.get(`${req.method} ${req.url}`) ?? { status: 404, json: { error: { code: 'NotFound', message: `no stub for ${req.method} ${req.url}` } } });
          res.writeHead(reply.status, { 'content-type': reply.contentType ?? 'application/json' });
          res.end(reply.text ?? (reply.json === undefined ? '' : JSON.stringify(reply.json)));
        })();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function cli(args: string[], env: Record<string, string> = {}, stdin = '') {
    let stdout = '';
    let stderr = '';
    const [group = '', ...rest] = args;
    const code = await runClientCommand(group, rest, {
      stdout: { write: (t: string) => (stdout += t) },
      stderr: { write: (t: string) => (stderr += t) },
      env: { HOME: '/nonexistent', AWS_ACCESS_KEY_ID: KEY.accessKeyId, AWS_SECRET_ACCESS_KEY: KEY.secretAccessKey, LATCHKEY_ENDPOINT: endpoint, ...env },
      stdin: Readable.from([Buffer.from(stdin)]),
    });
    return { code, stdout, stderr };
  }

  const user = (name: string, policies: string[] = []) => ({ name, status: 'active', createdAt: '2025-03-01T10:00:00.123Z', policies });
  const key = (id: string, userName: string) => ({ accessKeyId: id, userName, status: 'active', createdAt: '2025-03-01T10:00:00.000Z', lastUsedAt: null });

  it('user add sends a signed JSON body and confirms; --json prints the user', async () => {
    replies.set('POST /_latchkey/admin/v1/users', { status: 201, json: { user: user('alice') } });
    const human = await cli(['user', 'add', 'alice']);
    assert.deepEqual(human, { code: 0, stdout: 'Created user alice.\n', stderr: '' });
    const last = seen.at(-1)!;
    assert.equal(last.verified, 'ok');
    assert.deepEqual(JSON.parse(last.body), { name: 'alice' });
    const json = await cli(['user', 'add', 'alice', '--json']);
    assert.deepEqual(JSON.parse(json.stdout), user('alice'));
  });

  it('user list prints an aligned table', async () => {
    replies.set('GET /_latchkey/admin/v1/users', { status: 200, json: { users: [user('alice', ['readers', 'writers']), user('bob')] } });
    const r = await cli(['user', 'list']);
    assert.equal(r.code, 0);
    assert.equal(
      r.stdout,
      'NAME   STATUS  POLICIES         CREATED\n' + //
        'alice  active  readers,writers  2025-03-01T10:00:00Z\n' +
        'bob    active  -                2025-03-01T10:00:00Z\n',
    );
    assert.equal(seen.at(-1)!.verified, 'ok');
  });

  it('key create --json prints exactly accessKeyId and secretAccessKey; without --json both appear', async () => {
    replies.set('POST /_latchkey/admin/v1/users/a%2Bb%40c/access-keys', { status: 201, json: { accessKey: key('LKNEW', 'a+b@c'), secretAccessKey: 's3cr3t/+=' } });
    const json = await cli(['key', 'create', 'a+b@c', '--json']);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), { accessKeyId: 'LKNEW', secretAccessKey: 's3cr3t/+=' });
    assert.deepEqual(Object.keys(JSON.parse(json.stdout) as object), ['accessKeyId', 'secretAccessKey']);
    assert.equal(seen.at(-1)!.verified, 'ok', 'a name needing percent-encoding is signed as sent');
    const human = await cli(['key', 'create', 'a+b@c']);
    assert.match(human.stdout, /^AccessKeyId\s+LKNEW\nSecretAccessKey\s+s3cr3t\/\+=\n$/);
    assert.match(human.stderr, /cannot be shown again/);
  });

  it('key list USER passes the user as a query parameter', async () => {
    replies.set('GET /_latchkey/admin/v1/access-keys?user=alice', { status: 200, json: { accessKeys: [key('LK1', 'alice')] } });
    const r = await cli(['key', 'list', 'alice']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ACCESS KEY ID {2}USER {3}STATUS {2}CREATED {15}LAST USED\nLK1 {12}alice {2}active {2}2025-03-01T10:00:00Z {2}-\n$/);
  });

  it('policy create sends the file as written (or stdin) and tells created from replaced', async () => {
    const doc = '{"Version":"2012-10-17","Statement":[]}';
    const policy = { name: 'p', document: JSON.parse(doc) as unknown, attachedTo: ['alice'], createdAt: 'x', updatedAt: 'y' };
    replies.set('PUT /_latchkey/admin/v1/policies/p', { status: 201, json: { policy } });
    const created = await cli(['policy', 'create', 'p', '-'], {}, doc);
    assert.deepEqual(created, { code: 0, stdout: 'Created policy p.\n', stderr: '' });
    assert.equal(seen.at(-1)!.body, doc);
    replies.set('PUT /_latchkey/admin/v1/policies/p', { status: 200, json: { policy } });
    assert.match((await cli(['policy', 'create', 'p', '-'], {}, doc)).stdout, /^Replaced policy p \(attached to 1 user/);
  });

  it('policy attach requires --user and signs a PUT with no body', async () => {
    replies.set('PUT /_latchkey/admin/v1/users/alice/policies/p', { status: 200, json: { user: user('alice', ['p']) } });
    const r = await cli(['policy', 'attach', 'p', '--user', 'alice']);
    assert.deepEqual(r, { code: 0, stdout: 'Attached policy p to user alice.\n', stderr: '' });
    assert.equal(seen.at(-1)!.contentSha256, createHash('sha256').update('').digest('hex'));
  });

  it('bucket policy commands use S3 ?policy and relay S3 XML errors', async () => {
    replies.set('PUT /photos?policy', { status: 204 });
    assert.equal((await cli(['bucket', 'policy', 'set', 'photos', '-'], {}, '{"Version":"2012-10-17"}')).code, 0);
    assert.equal(seen.at(-1)!.verified, 'ok');
    replies.set('GET /photos?policy', { status: 200, text: '{"Version":"2012-10-17","Statement":[]}' });
    assert.equal((await cli(['bucket', 'policy', 'show', 'photos'])).stdout, '{\n  "Version": "2012-10-17",\n  "Statement": []\n}\n');
    replies.set('DELETE /photos?policy', {
      status: 404,
      contentType: 'application/xml',
      text: '<?xml version="1.0"?><Error><Code>NoSuchBucketPolicy</Code><Message>The bucket policy does not exist</Message></Error>',
    });
    const r = await cli(['bucket', 'policy', 'remove', 'photos']);
    assert.deepEqual(r, { code: 1, stdout: '', stderr: 'latchkey: NoSuchBucketPolicy (HTTP 404): The bucket policy does not exist\n' });
  });

  it('a server error exits 1 with one line naming the code', async () => {
    replies.set('GET /_latchkey/admin/v1/users/ghost', { status: 404, json: { error: { code: 'NoSuchEntity', message: 'The user with name ghost cannot be found.' } } });
    const r = await cli(['user', 'info', 'ghost']);
    assert.deepEqual(r, { code: 1, stdout: '', stderr: 'latchkey: NoSuchEntity (HTTP 404): The user with name ghost cannot be found.\n' });
  });

  it('a wrong secret is caught by the verifier and reported with its code', async () => {
    const r = await cli(['user', 'list'], { AWS_SECRET_ACCESS_KEY: 'wrong' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^latchkey: SignatureDoesNotMatch \(HTTP 403\)/);
  });

  it('usage errors exit 2 with one line and send nothing', async () => {
    const before = seen.length;
    const cases: [string[], RegExp][] = [
      [['user', 'add'], /^latchkey: missing NAME; usage: latchkey user add NAME\n$/],
      [['user', 'list', 'extra'], /^latchkey: unexpected argument 'extra'; usage: latchkey user list\n$/],
      [['user', 'frobnicate'], /^latchkey: user: unknown command 'frobnicate'/],
      [['user'], /^latchkey: user: missing command/],
      [['key', 'list', '--nope'], /^latchkey: Unknown option '--nope'; usage/],
      [['policy', 'attach', 'p'], /^latchkey: missing --user; usage: latchkey policy attach NAME --user USER\n$/],
      [['bucket', 'policy'], /^latchkey: bucket: unknown command 'policy'/],
      [['policy', 'create', 'p', '/nonexistent/policy.json'], /^latchkey: cannot read \/nonexistent\/policy\.json: ENOENT\n$/],
      [['user', 'list', '--endpoint-url', 'http://h/path'], /^latchkey: endpoint must be an origin/],
      [['user', 'list', '--profile', 'ghost'], /^latchkey: profile 'ghost' not found/],
    ];
    for (const [args, expected] of cases) {
      const r = await cli(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, expected, args.join(' '));
      assert.equal(r.stderr.trimEnd().split('\n').length, 1, 'one line');
      assert.equal(r.stdout, '');
    }
    assert.equal(seen.length, before);
  });

  it('--help prints the group or command usage and exits 0 without credentials', async () => {
    const group = await cli(['key', '--help'], { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' });
    assert.equal(group.code, 0);
    assert.match(group.stdout, /latchkey key create USER/);
    const sub = await cli(['policy', 'attach', '--help'], { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' });
    assert.equal(sub.code, 0);
    assert.match(sub.stdout, /^latchkey policy attach NAME --user USER/);
  });

  it('an unreachable server exits 1 naming the address', async () => {
    const r = await cli(['user', 'list', '--endpoint-url', 'http://127.0.0.1:1']);
    assert.deepEqual(r, { code: 1, stdout: '', stderr: 'latchkey: cannot reach http://127.0.0.1:1: ECONNREFUSED\n' });
  });
});
