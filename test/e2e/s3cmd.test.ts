import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunResult } from '../helpers/clients.js';
import { objectsIn, snapshotDisk } from '../helpers/e2e-disk.js';
import { parseS3Error } from '../helpers/e2e-http.js';
import { writeTree } from '../helpers/local-tree.js';
import { ROOT_CREDENTIALS, startServer, type TestServer } from '../helpers/server.js';
import { S3CMD_MISSING, s3cmd } from '../helpers/tool-clients.js';

let server: TestServer;
let work: string;

before(async () => {
  server = await startServer();
  work = mkdtempSync(join(tmpdir(), 'latchkey-s3cmd-test-'));
});
after(async () => {
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

function ok(result: RunResult): RunResult {
  assert.equal(result.code, 0, `s3cmd exited ${result.code}:\n${result.stderr}`);
  // s3cmd reports what it could not read (a 501, say) on stderr and may still exit 0.
  assert.doesNotMatch(result.stderr, /ERROR|WARNING/, result.stderr);
  return result;
}

function file(path: string, content: string | Buffer): string {
  return join(writeTree(work, { [path]: content }), path);
}

describe('s3cmd (Debian, SigV4)', { skip: S3CMD_MISSING }, () => {
  it('mb, put (one file multipart), ls, get back byte for byte, info with the owner-only ACL and no errors', async () => {
    const small = file('up/small.txt', 'small body\n');
    const bigBytes = randomBytes(12 * 1024 * 1024);
    const big = file('up/big.bin', bigBytes);
    assert.match(ok(await s3cmd(server, ['mb', 's3://s3cmd-main'])).stdout, /Bucket 's3:\/\/s3cmd-main\/' created/);
    ok(await s3cmd(server, ['put', small, 's3://s3cmd-main/small.txt']));
    // 5 MiB chunks: three parts, as the ETag below shows.
    ok(await s3cmd(server, ['put', '--multipart-chunk-size-mb=5', big, 's3://s3cmd-main/dir/big.bin']));
    const rows = objectsIn(snapshotDisk(server.dataDir), 's3cmd-main');
    assert.deepEqual(rows.map((o) => o.key), ['dir/big.bin', 'small.txt']);
    assert.match(rows[0]?.etag ?? '', /^[0-9a-f]{32}-3$/);

    const listed = ok(await s3cmd(server, ['ls', '--recursive', 's3://s3cmd-main'])).stdout;
    assert.match(listed, /\s12582912\s+s3:\/\/s3cmd-main\/dir\/big\.bin$/m);
    assert.match(listed, /\s11\s+s3:\/\/s3cmd-main\/small\.txt$/m);
    const down = join(work, 'down.bin');
    ok(await s3cmd(server, ['get', 's3://s3cmd-main/dir/big.bin', down]));
    assert.ok(readFileSync(down).equals(bigBytes));

    // info reads location, payer, lifecycle, policy, CORS and ACL: each answered, none an error.
    const bucketInfo = ok(await s3cmd(server, ['info', 's3://s3cmd-main'])).stdout;
    assert.match(bucketInfo, /Location:\s+us-east-1/);
    assert.match(bucketInfo, /Payer:\s+BucketOwner/);
    assert.match(bucketInfo, /ACL:\s+root: FULL_CONTROL/);
    const objectInfo = ok(await s3cmd(server, ['info', 's3://s3cmd-main/small.txt'])).stdout;
    assert.match(objectInfo, /File size: 11/);
    assert.match(objectInfo, /ACL:\s+root: FULL_CONTROL/);
  });

  it('sync, cp and mv within the bucket, du, then del --recursive and rb', async () => {
    file('tree/a.txt', 'a\n');
    file('tree/sub/b.txt', 'bb\n');
    ok(await s3cmd(server, ['mb', 's3://s3cmd-sync']));
    ok(await s3cmd(server, ['sync', `${join(work, 'tree')}/`, 's3://s3cmd-sync/tree/']));
    ok(await s3cmd(server, ['cp', 's3://s3cmd-sync/tree/a.txt', 's3://s3cmd-sync/copy.txt']));
    ok(await s3cmd(server, ['mv', 's3://s3cmd-sync/copy.txt', 's3://s3cmd-sync/moved.txt']));
    assert.deepEqual(objectsIn(snapshotDisk(server.dataDir), 's3cmd-sync').map((o) => o.key), ['moved.txt', 'tree/a.txt', 'tree/sub/b.txt']);
    assert.match(ok(await s3cmd(server, ['du', 's3://s3cmd-sync'])).stdout, /^\s*7\s+3 objects s3:\/\/s3cmd-sync\/$/m);
    ok(await s3cmd(server, ['del', '--recursive', '--force', 's3://s3cmd-sync']));
    ok(await s3cmd(server, ['rb', 's3://s3cmd-sync']));
    assert.ok(!snapshotDisk(server.dataDir).buckets.includes('s3cmd-sync'));
  });

  it('setacl/put --acl-public are refused (ACLs are disabled), --acl-private is accepted; modify replaces a header in place', async () => {
    ok(await s3cmd(server, ['mb', 's3://s3cmd-acl']));
    ok(await s3cmd(server, ['put', file('acl.txt', 'acl\n'), 's3://s3cmd-acl/acl.txt']));
    const before = snapshotDisk(server.dataDir);
    for (const args of [['setacl', '--acl-public', 's3://s3cmd-acl/acl.txt'], ['put', '--acl-public', file('pub.txt', 'pub\n'), 's3://s3cmd-acl/pub.txt']]) {
      const refused = await s3cmd(server, args);
      assert.notEqual(refused.code, 0, args.join(' '));
      assert.match(refused.stderr, /400 \(AccessControlListNotSupported\)/, args.join(' '));
    }
    assert.deepEqual(snapshotDisk(server.dataDir), before);
    ok(await s3cmd(server, ['setacl', '--acl-private', 's3://s3cmd-acl/acl.txt']));

    ok(await s3cmd(server, ['modify', '--add-header=Cache-Control:max-age=60', 's3://s3cmd-acl/acl.txt']));
    const head = await fetch(ok(await s3cmd(server, ['signurl', 's3://s3cmd-acl/acl.txt', '+600'])).stdout.trim());
    assert.equal(head.headers.get('cache-control'), 'max-age=60');
    assert.equal(await head.text(), 'acl\n');
  });

  it('signurl makes a SigV2 link plain HTTP can fetch; tampered it is SignatureDoesNotMatch, past its time "Request has expired"', async () => {
    ok(await s3cmd(server, ['mb', 's3://s3cmd-link']));
    ok(await s3cmd(server, ['put', file('link.txt', 'linked\n'), 's3://s3cmd-link/link.txt']));
    const url = ok(await s3cmd(server, ['signurl', 's3://s3cmd-link/link.txt', '+600'])).stdout.trim();
    assert.match(url, /AWSAccessKeyId=.*&Expires=\d+&Signature=/);
    const fetched = await fetch(url);
    assert.equal(fetched.status, 200);
    assert.equal(await fetched.text(), 'linked\n');

    const tampered = await fetch(url.replace(/Expires=(\d+)/, (_, n: string) => `Expires=${Number(n) + 1}`));
    assert.equal(tampered.status, 403);
    assert.equal(parseS3Error(await tampered.text()).code, 'SignatureDoesNotMatch');
    // An absolute expiry in the past (epoch second 1000).
    const expired = await fetch(ok(await s3cmd(server, ['signurl', 's3://s3cmd-link/link.txt', '1000'])).stdout.trim());
    assert.equal(expired.status, 403);
    const error = parseS3Error(await expired.text());
    assert.equal(error.code, 'AccessDenied');
    assert.equal(error.message, 'Request has expired');
  });

  it('a wrong secret key: put fails with SignatureDoesNotMatch and nothing is written', async () => {
    ok(await s3cmd(server, ['mb', 's3://s3cmd-denied']));
    const before = snapshotDisk(server.dataDir);
    const result = await s3cmd(server, ['put', file('denied.txt', 'no\n'), 's3://s3cmd-denied/denied.txt'], {
      accessKeyId: ROOT_CREDENTIALS.accessKeyId,
      secretAccessKey: 'not-the-secret',
    });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /403 \(SignatureDoesNotMatch\)/);
    assert.deepEqual(snapshotDisk(server.dataDir), before);
  });
});
