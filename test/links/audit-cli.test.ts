import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { policyDocument, userWithPolicies, type CreatedKey } from '../helpers/admin-client.js';
import { s3Client } from '../helpers/clients.js';
import { expectBody, expectS3Error, link } from '../helpers/links.js';
import { ROOT_CREDENTIALS, startServer, type TestServer } from '../helpers/server.js';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const ROOT = ROOT_CREDENTIALS.accessKeyId;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

interface Entry {
  readonly time: string;
  readonly link: string;
  readonly accessKeyId: string;
  readonly user: string;
  readonly method: string;
  readonly bucket: string | null;
  readonly key: string | null;
  readonly status: number;
  readonly bytes: number;
  readonly clientIp: string;
  readonly userAgent: string | null;
}

interface Shown {
  readonly id: string;
  readonly signer: string | null;
  readonly accessKeyId: string;
  readonly bucket: string | null;
  readonly key: string | null;
  readonly expired: boolean;
  readonly maxUses: number | null;
  readonly sourceIp: string | null;
  readonly uses: number;
  readonly lastUsedAt: string | null;
  readonly revoked: boolean;
  readonly revokedBy: string | null;
  readonly expiresAt: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('link audit log, show and revocation through the CLI', () => {
  let server: TestServer;
  let s3: S3Client;
  let home: string;
  let alice: CreatedKey;
  const urls: Record<string, string> = {};
  let between = '';

  function latchkey(args: readonly string[]): Promise<Run> {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'],
      HOME: home,
      LATCHKEY_ENDPOINT: server.endpoint,
      AWS_SHARED_CREDENTIALS_FILE: join(home, 'none'),
      AWS_CONFIG_FILE: join(home, 'none'),
      AWS_ACCESS_KEY_ID: ROOT_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: ROOT_CREDENTIALS.secretAccessKey,
    };
    return new Promise((resolve, reject) => {
      execFile(process.execPath, ['--import', 'tsx', CLI, ...args], { env, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') reject(new Error(`latchkey failed to run: ${error.message}`));
        else resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      });
    });
  }

  async function json<T>(args: readonly string[]): Promise<T> {
    const r = await latchkey([...args, '--json']);
    assert.equal(r.code, 0, `latchkey ${args.join(' ')}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  }

  const logged = async (...filters: string[]) => (await json<Entry[]>(['link', 'log', ...filters])).map((e) => `${e.method} ${e.bucket}/${e.key} ${e.status}`);

  before(async () => {
    server = await startServer();
    home = mkdtempSync(join(tmpdir(), 'latchkey-links-cli-'));
    s3 = s3Client(server);
    for (const bucket of ['photos', 'docs']) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: 'photos', Key: 'a.txt', Body: 'photo a' }));
    await s3.send(new PutObjectCommand({ Bucket: 'photos', Key: 'b.txt', Body: 'photo bb' }));
    alice = await userWithPolicies(server, 'alice', {
      rw: policyDocument({ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::*/*' }),
    });

    // What is done through links: four requests, one of them failing.
    urls['rootA'] = link(server, 'photos', 'a.txt');
    urls['aliceB'] = link(server, 'photos', 'b.txt', { credentials: alice.credentials, params: { 'X-Latchkey-Max-Uses': '3', 'X-Latchkey-Source-Ip': '127.0.0.0/8' } });
    urls['alicePut'] = link(server, 'docs', 'a.txt', { method: 'PUT', credentials: alice.credentials });
    urls['missing'] = link(server, 'photos', 'missing.txt');
    await expectBody(await fetch(urls['rootA'], { headers: { 'user-agent': 'audit-test/1.0' } }), 'photo a');
    await expectBody(await fetch(urls['aliceB']), 'photo bb');
    // The cut-off comes from the log itself, not a sleep: one millisecond after the
    // latest record so far, and the next request only once the clock is past it.
    const first = await json<Entry[]>(['link', 'log']);
    assert.equal(first.length, 2);
    const cutoff = Math.max(...first.map((e) => Date.parse(e.time))) + 1;
    between = new Date(cutoff).toISOString();
    while (Date.now() <= cutoff) await sleep(1);
    assert.equal((await fetch(urls['alicePut'], { method: 'PUT', body: 'new doc' })).status, 200);
    await expectS3Error(await fetch(urls['missing']), 404, 'NoSuchKey');
    // ...and header-signed requests, which the link log must not show.
    await s3.send(new GetObjectCommand({ Bucket: 'photos', Key: 'a.txt' })).then((r) => r.Body?.transformToString());
    await s3.send(new PutObjectCommand({ Bucket: 'docs', Key: 'header.txt', Body: 'x' }));
    await s3Client(server, alice.credentials).send(new GetObjectCommand({ Bucket: 'photos', Key: 'b.txt' })).then((r) => r.Body?.transformToString());
  });
  after(async () => {
    s3?.destroy();
    await server?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('records exactly the requests made through links, with who, what, status, bytes, address and agent', async () => {
    const entries = await json<Entry[]>(['link', 'log']);
    assert.deepEqual(
      entries.map((e) => [e.method, e.bucket, e.key, e.status, e.bytes, e.user, e.accessKeyId]),
      [
        ['GET', 'photos', 'a.txt', 200, 7, 'root', ROOT],
        ['GET', 'photos', 'b.txt', 200, 8, 'alice', alice.credentials.accessKeyId],
        // An upload records the bytes it received.
        ['PUT', 'docs', 'a.txt', 200, 7, 'alice', alice.credentials.accessKeyId],
        ['GET', 'photos', 'missing.txt', 404, entries[3]?.bytes ?? -1, 'root', ROOT],
      ],
    );
    assert.ok((entries[3]?.bytes ?? 0) > 0, 'the error body was sent');
    for (const e of entries) {
      assert.equal(e.clientIp, '127.0.0.1');
      assert.match(e.link, /^[0-9a-f]{64}$/);
      assert.ok(Math.abs(Date.parse(e.time) - Date.now()) < 60_000);
    }
    assert.equal(entries[0]?.userAgent, 'audit-test/1.0');
    assert.equal(new Set(entries.map((e) => e.link)).size, 4, 'one signature hash per link');
  });

  it('filters by bucket, key, signer (key id or user) and time', async () => {
    assert.deepEqual(await logged('--bucket', 'photos'), ['GET photos/a.txt 200', 'GET photos/b.txt 200', 'GET photos/missing.txt 404']);
    assert.deepEqual(await logged('--key', 'a.txt'), ['GET photos/a.txt 200', 'PUT docs/a.txt 200']);
    assert.deepEqual(await logged('--bucket', 'docs', '--key', 'a.txt'), ['PUT docs/a.txt 200']);
    assert.deepEqual(await logged('--signer', 'alice'), ['GET photos/b.txt 200', 'PUT docs/a.txt 200']);
    assert.deepEqual(await logged('--signer', alice.credentials.accessKeyId), ['GET photos/b.txt 200', 'PUT docs/a.txt 200']);
    assert.deepEqual(await logged('--signer', ROOT), ['GET photos/a.txt 200', 'GET photos/missing.txt 404']);
    assert.deepEqual(await logged('--since', between), ['PUT docs/a.txt 200', 'GET photos/missing.txt 404']);
    assert.deepEqual(await logged('--since', '1h', '--bucket', 'photos', '--signer', 'alice'), ['GET photos/b.txt 200']);
    assert.deepEqual(await logged('--bucket', 'nothing-here'), []);
  });

  it('prints a table for people', async () => {
    const r = await latchkey(['link', 'log', '--bucket', 'photos']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^TIME\s+METHOD\s+BUCKET\s+KEY\s+STATUS\s+BYTES\s+CLIENT\s+SIGNER\s+LINK$/);
    assert.equal(lines.length, 4);
    assert.match(lines[2] ?? '', new RegExp(`GET\\s+photos\\s+b\\.txt\\s+200\\s+8\\s+127\\.0\\.0\\.1\\s+alice \\(${alice.credentials.accessKeyId}\\)\\s+[0-9a-f]{12}$`));
    const empty = await latchkey(['link', 'log', '--bucket', 'nothing-here']);
    assert.equal(empty.stdout, 'No requests through links.\n');
    const bad = await latchkey(['link', 'log', '--since', 'last week']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--since must be/);
  });

  it('shows a link: signer, expiry, controls, uses, last use, revocation', async () => {
    const shown = await json<Shown>(['link', 'show', urls['aliceB'] ?? '']);
    assert.equal(shown.signer, 'alice');
    assert.equal(shown.accessKeyId, alice.credentials.accessKeyId);
    assert.deepEqual([shown.bucket, shown.key, shown.maxUses, shown.sourceIp, shown.uses], ['photos', 'b.txt', 3, '127.0.0.0/8', 1]);
    assert.equal(shown.revoked, false);
    assert.equal(shown.expired, false);
    assert.ok(shown.lastUsedAt !== null && Math.abs(Date.parse(shown.lastUsedAt) - Date.now()) < 60_000);
    const unused = await json<Shown>(['link', 'show', link(server, 'photos', 'a.txt')]);
    assert.deepEqual([unused.signer, unused.uses, unused.lastUsedAt, unused.maxUses, unused.sourceIp], ['root', 0, null, null, null]);

    const r = await latchkey(['link', 'show', urls['rootA'] ?? '']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Signer +root \\(${ROOT}\\)$`, 'm'));
    assert.match(r.stdout, /^Bucket +photos$/m);
    assert.match(r.stdout, /^Key +a\.txt$/m);
    assert.match(r.stdout, /^Expires +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/m);
    assert.match(r.stdout, /^Max uses +unlimited$/m);
    assert.match(r.stdout, /^Source IP +any$/m);
    assert.match(r.stdout, /^Uses +1$/m);
    assert.match(r.stdout, /^Last use +\d{4}-/m);
    assert.match(r.stdout, /^Revoked +no$/m);
    const garbage = await latchkey(['link', 'show', 'https://example.com/not/signed']);
    assert.equal(garbage.code, 1);
    assert.match(garbage.stderr, /InvalidInput/);
  });

  it('revokes one link: link revoke URL', async () => {
    const r = await latchkey(['link', 'revoke', urls['rootA'] ?? '']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Revoked link [0-9a-f]{12} \\(signed by ${ROOT}, expires .*\\)\\.$`, 'm'));
    await expectS3Error(await fetch(urls['rootA'] ?? ''), 403, 'AccessDenied', 'Link revoked');
    const shown = await json<Shown>(['link', 'show', urls['rootA'] ?? '']);
    assert.deepEqual([shown.revoked, shown.revokedBy], [true, 'link']);
    const text = await latchkey(['link', 'show', urls['rootA'] ?? '']);
    assert.match(text.stdout, /^Revoked +yes \(this link\)$/m);
    // The refused use is audited too.
    const last = (await json<Entry[]>(['link', 'log', '--key', 'a.txt', '--bucket', 'photos'])).at(-1);
    assert.deepEqual([last?.status, last?.user], [403, 'root']);
  });

  it('revokes by key and by bucket: key revoke-links, bucket revoke-links', async () => {
    const usage = await latchkey(['key', 'revoke-links', alice.credentials.accessKeyId]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /missing --before/);
    const badTime = await latchkey(['key', 'revoke-links', alice.credentials.accessKeyId, '--before', 'soon']);
    assert.equal(badTime.code, 2);
    const unknown = await latchkey(['key', 'revoke-links', 'LKUNKNOWNKEY00000000', '--before', 'now']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /NoSuchEntity/);

    const byKey = await json<{ accessKeyId: string; before: string; expiresAt: string }>(['key', 'revoke-links', alice.credentials.accessKeyId, '--before', 'now']);
    assert.equal(byKey.accessKeyId, alice.credentials.accessKeyId);
    await expectS3Error(await fetch(urls['aliceB'] ?? ''), 403, 'AccessDenied', 'Link revoked');
    assert.equal((await json<Shown>(['link', 'show', urls['aliceB'] ?? ''])).revokedBy, 'signer');

    const docs = link(server, 'docs', 'a.txt', { now: Date.now() - 5000 });
    await expectBody(await fetch(docs), 'new doc');
    const byBucket = await latchkey(['bucket', 'revoke-links', 'docs', '--before', new Date().toISOString()]);
    assert.equal(byBucket.code, 0, byBucket.stderr);
    assert.match(byBucket.stdout, /^Revoked every link to bucket docs signed before \d{4}-.*Z\.$/m);
    await expectS3Error(await fetch(docs), 403, 'AccessDenied', 'Link revoked');
    assert.equal((await json<Shown>(['link', 'show', docs])).revokedBy, 'bucket');
    const missingBucket = await latchkey(['bucket', 'revoke-links', 'no-such-bucket', '--before', 'now']);
    assert.equal(missingBucket.code, 1);
  });
});
