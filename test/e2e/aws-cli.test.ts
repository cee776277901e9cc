import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { aws, type RunResult } from '../helpers/clients.js';
import { awsWithConfig, cliErrorCode, curl } from '../helpers/e2e-clients.js';
import { objectsIn, snapshotState } from '../helpers/e2e-disk.js';
import { md5Hex, parseS3Error } from '../helpers/e2e-http.js';
import { readTree, writeTree } from '../helpers/local-tree.js';
import { startServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
let work: string;

before(async () => {
  server = await startServer();
  work = mkdtempSync(join(tmpdir(), 'latchkey-cli-'));
});

after(async () => {
  await server.stop();
  rmSync(work, { recursive: true, force: true });
});

function ok(result: RunResult): RunResult {
  assert.equal(result.code, 0, `aws exited ${result.code}:\n${result.stderr}`);
  return result;
}

function failed(result: RunResult, code: string): void {
  assert.notEqual(result.code, 0, `expected ${code}, aws succeeded:\n${result.stdout}`);
  assert.equal(cliErrorCode(result), code, result.stderr);
}

async function api<T = Record<string, unknown>>(args: readonly string[]): Promise<T> {
  const result = ok(await aws(server, ['s3api', ...args, '--output', 'json']));
  return (result.stdout.trim() === '' ? {} : JSON.parse(result.stdout)) as T;
}

/** Writes files (relative path → content) under a fresh directory of the work dir. */
function tree(name: string, files: Readonly<Record<string, string | Buffer>>): string {
  return writeTree(join(work, name), files);
}

const SYNC_TREE = {
  'top.txt': 'top level\n',
  'nested/deeper/leaf.json': '{"leaf":true}\n',
  'nested/with space.txt': 'spaces in the name\n',
  'nested/ünïcödé ☃.txt': 'unicode in the name\n',
  'empty.dat': '',
};

describe('aws s3 (high-level commands)', () => {
  it('mb creates a bucket and ls lists it; mb again is BucketAlreadyOwnedByYou, bad names InvalidBucketName, nothing changes', async () => {
    assert.match(ok(await aws(server, ['s3', 'mb', 's3://cli-main'])).stdout, /make_bucket: cli-main/);
    const before = await snapshotState(server);
    assert.ok(before.buckets.includes('cli-main'));
    const [again, upper, short] = await Promise.all([
      aws(server, ['s3', 'mb', 's3://cli-main']),
      aws(server, ['s3api', 'create-bucket', '--bucket', 'Bad_Name']),
      aws(server, ['s3api', 'create-bucket', '--bucket', 'ab']),
    ]);
    failed(again, 'BucketAlreadyOwnedByYou');
    failed(upper, 'InvalidBucketName');
    failed(short, 'InvalidBucketName');
    assert.deepEqual((await snapshotState(server)), before);
    assert.match(ok(await aws(server, ['s3', 'ls'])).stdout, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d cli-main$/m);
  });

  it('cp uploads and downloads a small file and a 7 MiB file (single PUT) byte for byte', async () => {
    const small = Buffer.from('hello from the aws cli\n');
    const big = randomBytes(7 * 1024 * 1024);
    const src = tree('cp-up', { 'small.txt': small, 'big.bin': big });
    await Promise.all(['small.txt', 'big.bin'].map(async (name) => ok(await aws(server, ['s3', 'cp', join(src, name), `s3://cli-main/files/${name}`, '--only-show-errors']))));
    const down = join(work, 'cp-down');
    await Promise.all(['small.txt', 'big.bin'].map(async (name) => ok(await aws(server, ['s3', 'cp', `s3://cli-main/files/${name}`, join(down, name), '--only-show-errors']))));
    assert.ok(readFileSync(join(down, 'small.txt')).equals(small));
    assert.ok(readFileSync(join(down, 'big.bin')).equals(big));
    const rows = objectsIn(await snapshotState(server), 'cli-main');
    const bigRow = rows.find((o) => o.key === 'files/big.bin');
    assert.equal(bigRow?.size, big.length);
    assert.equal(bigRow?.etag, md5Hex(big), 'a plain MD5 ETag: one PUT, not multipart');
    assert.equal(rows.find((o) => o.key === 'files/small.txt')?.contentType, 'text/plain', 'the CLI guesses the type from the extension');
  });

  it('ls shows prefixes as PRE, objects with sizes, and --recursive every key', async () => {
    const [root, files, recursive] = await Promise.all([
      aws(server, ['s3', 'ls', 's3://cli-main/']),
      aws(server, ['s3', 'ls', 's3://cli-main/files/']),
      aws(server, ['s3', 'ls', '--recursive', 's3://cli-main']),
    ]);
    assert.equal(ok(root).stdout.trim(), 'PRE files/');
    const lines = ok(files).stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).slice(2));
    assert.deepEqual(lines, [['7340032', 'big.bin'], ['23', 'small.txt']]);
    const keys = ok(recursive).stdout.trim().split('\n').map((l) => l.trim().split(/\s+/)[3]);
    assert.deepEqual(keys, ['files/big.bin', 'files/small.txt']);
  });

  it('sync uploads a tree (nested dirs, spaces, unicode), a second sync sends nothing, sync down reproduces it', async () => {
    const src = tree('sync-up', SYNC_TREE);
    ok(await aws(server, ['s3', 'sync', src, 's3://cli-main/tree/', '--only-show-errors']));
    const keys = objectsIn(await snapshotState(server), 'cli-main').map((o) => o.key).filter((k) => k.startsWith('tree/'));
    assert.deepEqual(keys.sort(), Object.keys(SYNC_TREE).map((p) => `tree/${p}`).sort());
    const before = await snapshotState(server);
    assert.equal(ok(await aws(server, ['s3', 'sync', src, 's3://cli-main/tree/'])).stdout.trim(), '', 'nothing to upload');
    assert.deepEqual((await snapshotState(server)), before);
    const down = join(work, 'sync-down');
    ok(await aws(server, ['s3', 'sync', 's3://cli-main/tree/', down, '--only-show-errors']));
    assert.deepEqual(readTree(down), readTree(src));
  });

  it('rm --recursive removes a prefix, rows and blobs; other keys stay', async () => {
    const before = await snapshotState(server);
    const doomed = objectsIn(before, 'cli-main').filter((o) => o.key.startsWith('tree/'));
    assert.equal(doomed.length, Object.keys(SYNC_TREE).length);
    ok(await aws(server, ['s3', 'rm', '--recursive', 's3://cli-main/tree/', '--only-show-errors']));
    const afterRm = await snapshotState(server);
    assert.deepEqual(objectsIn(afterRm, 'cli-main').map((o) => o.key), ['files/big.bin', 'files/small.txt']);
    assert.equal(afterRm.files.length, before.files.length - doomed.length);
    for (const row of doomed) assert.ok(!afterRm.files.some((f) => f.endsWith(row.blobId)), `blob of ${row.key} removed`);
  });

  it('rb refuses a non-empty bucket (BucketNotEmpty); rb --force empties and removes it', async () => {
    ok(await aws(server, ['s3', 'mb', 's3://cli-rb']));
    const src = tree('rb', { 'a.txt': 'a', 'd/b.txt': 'b' });
    ok(await aws(server, ['s3', 'sync', src, 's3://cli-rb/', '--only-show-errors']));
    const before = await snapshotState(server);
    failed(await aws(server, ['s3', 'rb', 's3://cli-rb']), 'BucketNotEmpty');
    assert.deepEqual((await snapshotState(server)), before);
    ok(await aws(server, ['s3', 'rb', '--force', 's3://cli-rb']));
    const afterRb = await snapshotState(server);
    assert.ok(!afterRb.buckets.includes('cli-rb'));
    assert.equal(afterRb.files.length, before.files.length - 2);
    failed(await aws(server, ['s3', 'ls', 's3://cli-rb']), 'NoSuchBucket');
  });
});

describe('aws s3api', () => {
  before(async () => {
    ok(await aws(server, ['s3', 'mb', 's3://cli-api']));
  });

  it('put-object with --metadata/--content-type/--cache-control/--content-disposition; head-object returns them', async () => {
    const body = tree('api-put', { 'doc.bin': 'document body' });
    const put = await api<{ ETag: string }>([
      'put-object', '--bucket', 'cli-api', '--key', 'docs/doc.bin', '--body', join(body, 'doc.bin'),
      '--metadata', 'Owner=alice,Purpose=e2e', '--content-type', 'application/vnd.test', '--cache-control', 'no-cache', '--content-disposition', 'inline; filename="doc.bin"',
    ]);
    const etag = `"${md5Hex('document body')}"`;
    assert.equal(put.ETag, etag);
    const head = await api(['head-object', '--bucket', 'cli-api', '--key', 'docs/doc.bin']);
    assert.equal(head['ContentType'], 'application/vnd.test');
    assert.equal(head['ContentLength'], 13);
    assert.equal(head['ETag'], etag);
    assert.equal(head['CacheControl'], 'no-cache');
    assert.equal(head['ContentDisposition'], 'inline; filename="doc.bin"');
    assert.deepEqual(head['Metadata'], { owner: 'alice', purpose: 'e2e' });
  });

  it('list-objects-v2 with --prefix/--delimiter, and --max-items/--page-size paging with --starting-token', async () => {
    const src = tree('api-list', { 'logs/2024/a.log': 'a', 'logs/2024/b.log': 'b', 'logs/2025/c.log': 'c', 'logs/top.log': 't', 'root.txt': 'r' });
    ok(await aws(server, ['s3', 'sync', src, 's3://cli-api/list/', '--only-show-errors']));
    type Page = { Contents?: Array<{ Key: string }>; CommonPrefixes?: Array<{ Prefix: string }>; KeyCount?: number; NextToken?: string };
    const keys = (p: Page) => (p.Contents ?? []).map((o) => o.Key);
    // --no-paginate: the CLI's paginator would drop KeyCount from the merged result.
    const grouped = await api<Page>(['list-objects-v2', '--bucket', 'cli-api', '--prefix', 'list/logs/', '--delimiter', '/', '--no-paginate']);
    assert.deepEqual(keys(grouped), ['list/logs/top.log']);
    assert.deepEqual(grouped.CommonPrefixes?.map((p) => p.Prefix), ['list/logs/2024/', 'list/logs/2025/']);
    assert.equal(grouped.KeyCount, 3);
    const all = ['list/logs/2024/a.log', 'list/logs/2024/b.log', 'list/logs/2025/c.log', 'list/logs/top.log', 'list/root.txt'];
    // Page size 2 makes the CLI follow continuation tokens; --max-items stops it part way and hands back a NextToken.
    const first = await api<Page>(['list-objects-v2', '--bucket', 'cli-api', '--prefix', 'list/', '--page-size', '2', '--max-items', '3']);
    assert.deepEqual(keys(first), all.slice(0, 3));
    assert.ok(first.NextToken, 'a token to resume from');
    const rest = await api<Page>(['list-objects-v2', '--bucket', 'cli-api', '--prefix', 'list/', '--page-size', '2', '--max-items', '3', '--starting-token', first.NextToken]);
    assert.deepEqual(keys(rest), all.slice(3));
    assert.equal(rest.NextToken, undefined);
    const onePerPage = await api<Page>(['list-objects-v2', '--bucket', 'cli-api', '--prefix', 'list/', '--page-size', '1']);
    assert.deepEqual(keys(onePerPage), all);
  });

  it('copy-object --metadata-directive REPLACE swaps the metadata and keeps the bytes', async () => {
    const src = tree('api-copy', { 'src.txt': 'copy me' });
    await api(['put-object', '--bucket', 'cli-api', '--key', 'copy/src.txt', '--body', join(src, 'src.txt'), '--metadata', 'stage=one', '--content-type', 'text/plain']);
    const copied = await api<{ CopyObjectResult: { ETag: string } }>([
      'copy-object', '--bucket', 'cli-api', '--key', 'copy/dst.txt', '--copy-source', 'cli-api/copy/src.txt',
      '--metadata-directive', 'REPLACE', '--metadata', 'stage=two', '--content-type', 'text/markdown',
    ]);
    assert.equal(copied.CopyObjectResult.ETag, `"${md5Hex('copy me')}"`);
    const [srcHead, dstHead] = await Promise.all([
      api(['head-object', '--bucket', 'cli-api', '--key', 'copy/src.txt']),
      api(['head-object', '--bucket', 'cli-api', '--key', 'copy/dst.txt']),
    ]);
    assert.deepEqual([srcHead['ContentType'], srcHead['Metadata']], ['text/plain', { stage: 'one' }]);
    assert.deepEqual([dstHead['ContentType'], dstHead['Metadata']], ['text/markdown', { stage: 'two' }]);
    const rows = objectsIn(await snapshotState(server), 'cli-api').filter((o) => o.key.startsWith('copy/'));
    assert.equal(rows.length, 2);
    assert.notEqual(rows[0]?.blobId, rows[1]?.blobId, 'the copy has its own blob');
  });

  it('delete-objects removes the listed keys and reports them', async () => {
    const src = tree('api-del', { 'x1': '1', 'x2': '2', 'x3': '3' });
    ok(await aws(server, ['s3', 'sync', src, 's3://cli-api/del/', '--only-show-errors']));
    const result = await api<{ Deleted: Array<{ Key: string }> }>([
      'delete-objects', '--bucket', 'cli-api', '--delete', JSON.stringify({ Objects: [{ Key: 'del/x1' }, { Key: 'del/x3' }, { Key: 'del/none' }] }),
    ]);
    assert.deepEqual(result.Deleted.map((d) => d.Key).sort(), ['del/none', 'del/x1', 'del/x3']);
    assert.deepEqual(objectsIn(await snapshotState(server), 'cli-api').map((o) => o.key).filter((k) => k.startsWith('del/')), ['del/x2']);
  });

  it('rejected writes (KeyTooLongError, BadDigest, InvalidDigest, NoSuchBucket) leave the disk as it was; missing keys are 404', async () => {
    const body = join(tree('api-bad', { 'b.txt': 'hello' }), 'b.txt');
    const before = await snapshotState(server);
    const [tooLong, badDigest, invalidDigest, noBucket, head, get] = await Promise.all([
      aws(server, ['s3api', 'put-object', '--bucket', 'cli-api', '--key', 'k'.repeat(1025), '--body', body]),
      aws(server, ['s3api', 'put-object', '--bucket', 'cli-api', '--key', 'md5', '--body', body, '--content-md5', Buffer.from(md5Hex('other'), 'hex').toString('base64')]),
      aws(server, ['s3api', 'put-object', '--bucket', 'cli-api', '--key', 'md5', '--body', body, '--content-md5', 'bm90LW1kNQ==']),
      aws(server, ['s3api', 'put-object', '--bucket', 'cli-nowhere', '--key', 'k', '--body', body]),
      aws(server, ['s3api', 'head-object', '--bucket', 'cli-api', '--key', 'missing']),
      aws(server, ['s3api', 'get-object', '--bucket', 'cli-api', '--key', 'missing', join(work, 'missing.out')]),
    ]);
    failed(tooLong, 'KeyTooLongError');
    failed(badDigest, 'BadDigest');
    failed(invalidDigest, 'InvalidDigest');
    failed(noBucket, 'NoSuchBucket');
    failed(head, '404');
    failed(get, 'NoSuchKey');
    assert.deepEqual((await snapshotState(server)), before);
  });
});

describe('aws s3 presign + curl', () => {
  const S3V4 = 's3 =\n  signature_version = s3v4';

  it('default (SigV2) and SigV4 links: GET works, a tampered link is 403 SignatureDoesNotMatch, a 1-second link used after 2 s is 403 "Request has expired"', async () => {
    const key = 's3://cli-main/files/small.txt';
    const presigned = async (config: string | undefined, expires: number) => {
      const args = ['s3', 'presign', key, '--expires-in', String(expires)];
      return ok(config === undefined ? await aws(server, args) : await awsWithConfig(server, config, args)).stdout.trim();
    };
    const [v2, v4, v2Short, v4Short] = await Promise.all([presigned(undefined, 300), presigned(S3V4, 300), presigned(undefined, 1), presigned(S3V4, 1)]);
    const signedAt = Date.now();
    assert.match(v2, /[?&]Signature=/);
    assert.match(v4, /[?&]X-Amz-Signature=/);

    for (const url of [v2, v4]) {
      assert.deepEqual(await curl(url), { status: 200, body: 'hello from the aws cli\n' });
      const tampered = [
        url.replace('/files/small.txt', '/files/big.bin'),
        url.replace(/(Signature=)(.)/, (_m, name: string, c: string) => `${name}${c === '0' ? '1' : '0'}`),
        url.replace(/(X-Amz-Expires=|Expires=)(\d+)/, (_m, name: string, n: string) => `${name}${Number(n) + 1}`),
      ];
      for (const bad of tampered) {
        assert.notEqual(bad, url);
        const res = await curl(bad);
        assert.equal(res.status, 403, bad);
        assert.equal(parseS3Error(res.body).code, 'SignatureDoesNotMatch', bad);
      }
    }
    await sleep(Math.max(0, signedAt + 2000 - Date.now()));
    for (const url of [v2Short, v4Short]) {
      const res = await curl(url);
      assert.equal(res.status, 403, url);
      const error = parseS3Error(res.body);
      assert.equal(error.code, 'AccessDenied');
      assert.equal(error.message, 'Request has expired');
      assert.ok(error.fields['Expires'] && error.fields['ServerTime'], res.body);
    }
  });
});
