import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunResult } from '../helpers/clients.js';
import { objectsIn, snapshotDisk } from '../helpers/e2e-disk.js';
import { parseS3Error } from '../helpers/e2e-http.js';
import { readTree, writeTree } from '../helpers/local-tree.js';
import { ROOT_CREDENTIALS, startServer, type TestServer } from '../helpers/server.js';
import { RCLONE_MISSING, rclone } from '../helpers/tool-clients.js';

let server: TestServer;
let work: string;

before(async () => {
  server = await startServer();
  work = mkdtempSync(join(tmpdir(), 'latchkey-rclone-'));
});
after(async () => {
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

function ok(result: RunResult): RunResult {
  assert.equal(result.code, 0, `rclone exited ${result.code}:\n${result.stderr}`);
  // rclone logs what it could not do (an operation answered 501, say) and may still exit 0.
  assert.doesNotMatch(result.stderr, /ERROR/, result.stderr);
  return result;
}

/** Writes files (relative path → content) under a fresh directory of the work dir. */
function tree(name: string, files: Readonly<Record<string, string | Buffer>>): string {
  return writeTree(join(work, name), files);
}

// 12 MiB with a 5 MiB cut-off and chunk size: a three-part multipart upload.
const MULTIPART = ['--s3-upload-cutoff', '5M', '--s3-chunk-size', '5M'];

describe('rclone (Debian, S3 backend, provider Other)', { skip: RCLONE_MISSING }, () => {
  it('mkdir, copy a tree (one file multipart), check, copy it back byte for byte', async () => {
    const local = tree('up', {
      'top.txt': 'top level\n',
      'nested/with space.txt': 'spaces in the name\n',
      'nested/ünïcödé ☃.txt': 'unicode in the name\n',
      'empty.dat': '',
      'big.bin': randomBytes(12 * 1024 * 1024),
    });
    ok(await rclone(server, ['mkdir', 'lk:rclone-main']));
    ok(await rclone(server, ['copy', local, 'lk:rclone-main/tree', ...MULTIPART]));
    const stored = objectsIn(snapshotDisk(server.dataDir), 'rclone-main');
    assert.deepEqual(stored.map((o) => o.key).sort(), ['tree/big.bin', 'tree/empty.dat', 'tree/nested/with space.txt', 'tree/nested/ünïcödé ☃.txt', 'tree/top.txt']);
    assert.match(stored.find((o) => o.key === 'tree/big.bin')?.etag ?? '', /^[0-9a-f]{32}-3$/, 'big.bin went up in three parts');
    // check compares sizes and MD5s (rclone keeps a multipart file's MD5 in its metadata).
    assert.match(ok(await rclone(server, ['check', local, 'lk:rclone-main/tree'])).stderr, /0 differences found/);
    const listed = JSON.parse(ok(await rclone(server, ['lsjson', '-R', '--files-only', 'lk:rclone-main/tree'])).stdout) as Array<{ Path: string; Size: number }>;
    assert.deepEqual(Object.fromEntries(listed.map((e) => [e.Path, e.Size])), {
      'big.bin': 12 * 1024 * 1024, 'empty.dat': 0, 'nested/with space.txt': 19, 'nested/ünïcödé ☃.txt': 20, 'top.txt': 10,
    });
    const down = join(work, 'down');
    ok(await rclone(server, ['copy', 'lk:rclone-main/tree', down]));
    assert.deepEqual(readTree(down), readTree(local));
  });

  it('sync uploads a change and deletes what the source lost; cat reads one object; purge removes the bucket cleanly', async () => {
    const local = tree('sync', { 'keep.txt': 'keep\n', 'change.txt': 'before\n', 'drop.txt': 'drop\n' });
    ok(await rclone(server, ['mkdir', 'lk:rclone-sync']));
    ok(await rclone(server, ['sync', local, 'lk:rclone-sync']));
    writeFileSync(join(local, 'change.txt'), 'after, longer\n');
    unlinkSync(join(local, 'drop.txt'));
    ok(await rclone(server, ['sync', local, 'lk:rclone-sync']));
    const rows = objectsIn(snapshotDisk(server.dataDir), 'rclone-sync');
    assert.deepEqual(rows.map((o) => o.key), ['change.txt', 'keep.txt']);
    assert.equal(ok(await rclone(server, ['cat', 'lk:rclone-sync/change.txt'])).stdout, 'after, longer\n');
    // purge reads the bucket's versioning status first: a 501 there was logged as an ERROR.
    ok(await rclone(server, ['purge', 'lk:rclone-sync']));
    const after = snapshotDisk(server.dataDir);
    assert.ok(!after.buckets.includes('rclone-sync'));
    assert.deepEqual(objectsIn(after, 'rclone-sync'), []);
  });

  it('rclone link makes a pre-signed URL that plain HTTP can fetch; tampered, it is SignatureDoesNotMatch', async () => {
    ok(await rclone(server, ['mkdir', 'lk:rclone-link']));
    const local = tree('link', { 'shared.txt': 'shared through a link\n' });
    ok(await rclone(server, ['copyto', join(local, 'shared.txt'), 'lk:rclone-link/shared.txt']));
    const url = ok(await rclone(server, ['link', '--expire', '1h', 'lk:rclone-link/shared.txt'])).stdout.trim();
    assert.match(url, /X-Amz-Signature=[0-9a-f]{64}/);
    const fetched = await fetch(url);
    assert.equal(fetched.status, 200);
    assert.equal(await fetched.text(), 'shared through a link\n');
    const tampered = await fetch(url.replace('shared.txt', 'Shared.txt'));
    assert.equal(tampered.status, 403);
    assert.equal(parseS3Error(await tampered.text()).code, 'SignatureDoesNotMatch');
  });

  it('a wrong secret key: rclone fails with SignatureDoesNotMatch and nothing is written', async () => {
    const local = tree('denied', { 'x.txt': 'should not arrive\n' });
    ok(await rclone(server, ['mkdir', 'lk:rclone-denied']));
    const before = snapshotDisk(server.dataDir);
    const result = await rclone(server, ['copy', local, 'lk:rclone-denied'], { accessKeyId: ROOT_CREDENTIALS.accessKeyId, secretAccessKey: 'not-the-secret' });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /SignatureDoesNotMatch/);
    assert.match(result.stderr, /status code: 403/);
    assert.deepEqual(snapshotDisk(server.dataDir), before);
  });
});
