import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { awsEnv, type RunResult } from '../helpers/clients.js';
import { md5Hex, sha256Hex, signedRequest } from '../helpers/e2e-http.js';
import { startServer, type TestServer } from '../helpers/server.js';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const MiB = 1024 * 1024;
const BUCKET = 'multipart-cli';
let server: TestServer;
let work: string;

before(async () => {
  server = await startServer();
  assert.equal((await signedRequest(server, { method: 'PUT', path: `/${BUCKET}` })).status, 200);
  work = mkdtempSync(join(tmpdir(), 'latchkey-multipart-cli-'));
});
after(async () => {
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(file, [...args], { env, encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * MiB }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(new Error(`${file} failed to run: ${error.message}`));
      else resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
}

const presign = (args: readonly string[]) => run(process.execPath, ['--import', 'tsx', CLI, 'presign', ...args, '--endpoint-url', server.endpoint], awsEnv());
const creates = () => server.logs.filter((l) => l.includes('"operation":"CreateMultipartUpload"')).length;

/** curl PUTs one part to its pre-signed URL, with no credentials, and answers the ETag header. */
async function curlPut(url: string, part: Buffer, name: string): Promise<string> {
  const file = join(work, name);
  writeFileSync(file, part);
  const result = await run('curl', ['-sS', '-f', '--max-time', '60', '-T', file, '-D', '-', '-o', '/dev/null', url], { PATH: process.env['PATH'] });
  assert.equal(result.code, 0, result.stderr);
  const etag = /^etag: *(.+?)\r?$/im.exec(result.stdout)?.[1];
  assert.ok(etag, result.stdout);
  return etag;
}

async function download(key: string): Promise<{ body: Buffer; etag: string; contentType: string }> {
  const got = await signedRequest(server, { method: 'GET', path: `/${BUCKET}/${key}` });
  assert.equal(got.status, 200, got.body.toString());
  return { body: got.body, etag: String(got.headers['etag']), contentType: String(got.headers['content-type']) };
}

const multipartEtag = (parts: readonly Buffer[]) =>
  `"${createHash('md5').update(Buffer.concat(parts.map((p) => Buffer.from(md5Hex(p), 'hex')))).digest('hex')}-${parts.length}"`;

interface StartJson {
  readonly uploadId: string;
  readonly bucket: string;
  readonly key: string;
  readonly parts: readonly { partNumber: number; url: string }[];
  readonly expiresAt: string;
}

describe('latchkey presign --multipart / --complete', () => {
  test('--json: 3 × 5 MiB parts PUT by curl to the printed links, then --complete; the object is byte-identical', async () => {
    const started = await presign(['--multipart', '--parts', '3', '--content-type', 'application/x-tar', '--json', `s3://${BUCKET}/backups/day 1.tar`]);
    assert.equal(started.code, 0, started.stderr);
    const output = JSON.parse(started.stdout) as StartJson;
    assert.deepEqual(Object.keys(output), ['uploadId', 'bucket', 'key', 'parts', 'expiresAt']);
    assert.deepEqual({ bucket: output.bucket, key: output.key }, { bucket: BUCKET, key: 'backups/day 1.tar' });
    assert.deepEqual(output.parts.map((p) => p.partNumber), [1, 2, 3]);
    for (const { partNumber, url } of output.parts) {
      const parsed = new URL(url);
      assert.equal(`${parsed.origin}${parsed.pathname}`, `${server.endpoint}/${BUCKET}/backups/day%201.tar`);
      assert.equal(parsed.searchParams.get('partNumber'), String(partNumber));
      assert.equal(parsed.searchParams.get('uploadId'), output.uploadId);
      assert.equal(parsed.searchParams.get('X-Amz-Expires'), '3600');
    }
    assert.ok(Math.abs(Date.parse(output.expiresAt) - (Date.now() + 3600_000)) < 60_000, output.expiresAt);

    const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(5 * MiB)];
    const etags = await Promise.all(output.parts.map(({ url }, i) => curlPut(url, parts[i] ?? Buffer.alloc(0), `json-part-${i + 1}`)));
    assert.deepEqual(etags, parts.map((p) => `"${md5Hex(p)}"`));

    const completed = await presign(['--complete', output.uploadId, '--etags', etags.join(','), '--json', `s3://${BUCKET}/backups/day 1.tar`]);
    assert.equal(completed.code, 0, completed.stderr);
    const result = JSON.parse(completed.stdout) as { bucket: string; key: string; etag: string; location: string };
    assert.deepEqual({ ...result, location: undefined }, { bucket: BUCKET, key: 'backups/day 1.tar', etag: multipartEtag(parts), location: undefined });
    assert.match(result.location, /\/backups\/day%201\.tar$/);

    const stored = await download('backups/day%201.tar');
    assert.equal(stored.body.length, 15 * MiB);
    assert.equal(sha256Hex(stored.body), sha256Hex(Buffer.concat(parts)));
    assert.equal(stored.etag, multipartEtag(parts));
    assert.equal(stored.contentType, 'application/x-tar', '--content-type is stored with the object');
  });

  test('text output: the upload ID, one link per part, and a completion command that runs as printed', async () => {
    const key = "reports/it's q3.bin";
    const started = await presign(['--multipart', '--parts', '2', '--expires-in', '15m', `s3://${BUCKET}/${key}`]);
    assert.equal(started.code, 0, started.stderr);
    const lines = started.stdout.trimEnd().split('\n');
    const uploadId = /^Upload ID: (\S+)$/.exec(lines[0] ?? '')?.[1];
    assert.ok(uploadId, started.stdout);
    const urls = [1, 2].map((n) => {
      const url = new RegExp(`^Part ${n}: (http\\S+)$`).exec(lines[n] ?? '')?.[1];
      assert.ok(url, `no link for part ${n}:\n${started.stdout}`);
      assert.equal(new URL(url).searchParams.get('X-Amz-Expires'), '900');
      return url;
    });
    const hint = lines.at(-1)?.trim() ?? '';
    assert.match(hint, /^latchkey presign --complete \S+ --etags ETAG1,ETAG2 .*--endpoint-url /);

    const parts = [randomBytes(5 * MiB + 17), randomBytes(1000)];
    const etags = await Promise.all(urls.map((url, i) => curlPut(url, parts[i] ?? Buffer.alloc(0), `text-part-${i + 1}`)));
    // Run the hint through a shell, as a user pasting it would: it must quote the key's space and apostrophe.
    writeFileSync(join(work, 'latchkey'), `#!/bin/sh\nexec "${process.execPath}" --import tsx "${CLI}" "$@"\n`);
    chmodSync(join(work, 'latchkey'), 0o755);
    const command = hint.replace('ETAG1,ETAG2', `'${etags.join(',')}'`);
    const completed = await run('sh', ['-c', command], { ...awsEnv(), PATH: `${work}:${process.env['PATH'] ?? ''}` });
    assert.equal(completed.code, 0, `${command}\n${completed.stderr}`);
    assert.equal(completed.stdout, `Completed s3://${BUCKET}/${key} from 2 parts: ETag ${multipartEtag(parts)}\n`);

    const stored = await download('reports/it%27s%20q3.bin');
    assert.ok(stored.body.equals(Buffer.concat(parts)), 'stored bytes differ');
  });

  test('usage errors exit 2 before anything is sent: parts 0 or 10001, missing or conflicting options', async () => {
    const before = creates();
    const uri = `s3://${BUCKET}/never`;
    const cases: readonly (readonly string[])[] = [
      ['--multipart', '--parts', '0', uri],
      ['--multipart', '--parts', '10001', uri],
      ['--multipart', '--parts', 'three', uri],
      ['--multipart', '--parts', '2.5', uri],
      ['--multipart', uri],
      ['--parts', '3', uri],
      ['--multipart', '--parts', '3', '--method', 'GET', uri],
      ['--multipart', '--parts', '3', '--max-uses', '1', uri],
      ['--multipart', '--parts', '3', '--expires-in', '8d', uri],
      ['--multipart', '--parts', '3', `s3://${BUCKET}`],
      ['--complete', 'some-upload', uri],
      ['--complete', 'some-upload', '--etags', 'a,,b', uri],
      ['--complete', 'some-upload', '--etags', 'a', '--expires-in', '1h', uri],
      ['--etags', 'a,b', uri],
      ['--multipart', '--parts', '3', '--complete', 'some-upload', '--etags', 'a', uri],
    ];
    for (const args of cases) {
      const result = await presign(args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.equal(result.stdout, '', args.join(' '));
      assert.match(result.stderr, /^latchkey: .+\n$/, args.join(' '));
    }
    assert.match((await presign(['--multipart', '--parts', '0', uri])).stderr, /--parts must be a whole number from 1 to 10000, as in S3; got '0'/);
    assert.equal(creates(), before, 'a usage error started an upload');
  });

  test('--parts 10000 is the largest upload: 10000 distinct links', async () => {
    const started = await presign(['--multipart', '--parts', '10000', '--json', `s3://${BUCKET}/huge.bin`]);
    assert.equal(started.code, 0, started.stderr);
    const output = JSON.parse(started.stdout) as StartJson;
    assert.equal(output.parts.length, 10000);
    assert.equal(output.parts.at(-1)?.partNumber, 10000);
    assert.equal(new Set(output.parts.map((p) => p.url)).size, 10000);
    const aborted = await signedRequest(server, { method: 'DELETE', path: `/${BUCKET}/huge.bin?uploadId=${output.uploadId}` });
    assert.equal(aborted.status, 204);
  });

  test('refusals exit 1 naming the S3 code: NoSuchUpload, InvalidPart, NoSuchBucket', async () => {
    const unknown = await presign(['--complete', 'no-such-upload-id', '--etags', `"${'0'.repeat(32)}"`, `s3://${BUCKET}/x.bin`]);
    assert.equal(unknown.code, 1, unknown.stderr);
    assert.equal(unknown.stdout, '');
    assert.match(unknown.stderr, /^latchkey: NoSuchUpload \(HTTP 404\): The specified upload does not exist/);

    const started = await presign(['--multipart', '--parts', '1', '--json', `s3://${BUCKET}/wrong-etag.bin`]);
    assert.equal(started.code, 0, started.stderr);
    const { uploadId, parts } = JSON.parse(started.stdout) as StartJson;
    const etag = await curlPut(parts[0]?.url ?? '', Buffer.from('one small part'), 'wrong-etag-part');
    const wrong = await presign(['--complete', uploadId, '--etags', md5Hex('something else'), `s3://${BUCKET}/wrong-etag.bin`]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /^latchkey: InvalidPart \(HTTP 400\)/);
    // The upload survives a refused completion and the right ETag finishes it.
    const right = await presign(['--complete', uploadId, '--etags', etag, `s3://${BUCKET}/wrong-etag.bin`]);
    assert.equal(right.code, 0, right.stderr);
    assert.equal((await download('wrong-etag.bin')).body.toString(), 'one small part');

    const noBucket = await presign(['--multipart', '--parts', '2', 's3://no-such-bucket/x.bin']);
    assert.equal(noBucket.code, 1);
    assert.match(noBucket.stderr, /^latchkey: NoSuchBucket \(HTTP 404\)/);
  });
});
