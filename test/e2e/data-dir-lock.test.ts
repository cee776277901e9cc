import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { s3Client } from '../helpers/clients.js';
import { listDataFiles } from '../helpers/e2e-disk.js';
import '../helpers/sdk-js.js';
import { ROOT_CREDENTIALS, startServer, type TestServer } from '../helpers/server.js';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const BUCKET = 'locked';
const KiB = 1024;

const md5 = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('hex');

interface Exit {
  readonly code: number | null;
  readonly stderr: string;
  readonly stdout: string;
  readonly ms: number;
}

/** `latchkey server` expected to refuse to start: its exit status, output and time taken (killed after 15 s). */
async function serverThatShouldExit(args: readonly string[]): Promise<Exit> {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'server', ...args], {
    env: { ...process.env, LATCHKEY_ROOT_ACCESS_KEY: ROOT_CREDENTIALS.accessKeyId, LATCHKEY_ROOT_SECRET_KEY: ROOT_CREDENTIALS.secretAccessKey },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(killer);
  return { code, stderr, stdout, ms: Date.now() - started };
}

/**
 * Every path under the dir with its mode, size, inode, mtime and (with
 * `hash`) an MD5 of its bytes: equal strings mean not one byte changed.
 */
function tree(dir: string, hash = true): string {
  if (!existsSync(dir)) return '(absent)';
  return ['.', ...listDataFiles(dir)]
    .map((path) => {
      const full = join(dir, path);
      const st = lstatSync(full);
      const digest = st.isFile() && hash ? md5(readFileSync(full)) : '';
      return `${path} ${st.mode.toString(8)} ${st.size} ${st.ino} ${st.mtimeMs} ${digest}`;
    })
    .join('\n');
}

/** The whole tree, once its listing has not changed for 2 s: an idle server's checkpoints and timers have settled. */
async function settledTree(dir: string): Promise<string> {
  let last = tree(dir, false);
  for (let stable = 0; stable < 8; ) {
    await sleep(250);
    const now = tree(dir, false);
    stable = now === last ? stable + 1 : 0;
    last = now;
  }
  return tree(dir);
}

function assertRefusedForDir(exit: Exit, dataDir: string, what: string): void {
  assert.equal(exit.code, 1, `${what}: exit status 1 (stderr: ${exit.stderr})`);
  // The lock itself is refused at once (test/server/data-dir-lock.test.ts); here the time is mostly tsx compiling on a busy machine.
  assert.ok(exit.ms < 15_000, `${what}: refused, not hanging (took ${exit.ms} ms)`);
  assert.match(exit.stderr, /in use/, what);
  assert.ok(exit.stderr.includes(dataDir), `${what}: the message names the dir: ${exit.stderr}`);
  assert.doesNotMatch(exit.stdout, /"listening"|recovered data dir/, `${what}: never served nor recovered`);
}

async function assertAllReadBack(client: S3Client, acknowledged: ReadonlyMap<string, string>): Promise<void> {
  for (const [key, digest] of acknowledged) {
    const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    assert.equal(md5(await got.Body!.transformToByteArray()), digest, `${key} reads back as acknowledged`);
  }
}

test('a second server on a dir in use under a stream of PUTs is refused without touching it; nothing acknowledged is lost', async () => {
  const a = await startServer({ keepData: true });
  const client = s3Client(a);
  const acknowledged = new Map<string, string>();
  const failures: string[] = [];
  try {
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    let writing = true;
    let sequence = 0;
    const writer = async (): Promise<void> => {
      while (writing) {
        const key = `obj-${sequence++}`;
        const body = randomBytes(randomInt(300 * KiB, 2048 * KiB));
        try {
          await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
          acknowledged.set(key, md5(body));
        } catch (error) {
          failures.push(`${key}: ${String(error)}`);
        }
      }
    };
    const writers = [writer(), writer(), writer()];
    // Four starts while A writes: any recovery by B would delete A's in-flight temp files and fresh blobs.
    for (let i = 0; i < 4; i++) {
      assertRefusedForDir(await serverThatShouldExit(['--address', '127.0.0.1:0', '--data', a.dataDir]), a.dataDir, `start ${i + 1} under load`);
    }
    writing = false;
    await Promise.all(writers);
    assert.deepEqual(failures, [], 'every PUT during the refused starts succeeded');
    assert.ok(acknowledged.size >= 8, `a real stream of PUTs ran (${acknowledged.size})`);
    // Four starts with A idle, where the whole tree can be compared byte for byte.
    for (let i = 0; i < 4; i++) {
      const before = await settledTree(a.dataDir);
      assertRefusedForDir(await serverThatShouldExit(['--address', '127.0.0.1:0', '--data', a.dataDir]), a.dataDir, `start ${i + 5} with A idle`);
      assert.equal(tree(a.dataDir), before, `start ${i + 5} left every file in the dir as it was`);
    }
    await assertAllReadBack(client, acknowledged);
  } finally {
    client.destroy();
    await a.stop();
    rmSync(a.dataDir, { recursive: true, force: true });
  }
});

test('kill -9 releases the lock: the server restarts on its own dir at once, with its objects', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-lock-'));
  let server: TestServer | undefined = await startServer({ dataDir });
  try {
    let client = s3Client(server);
    const body = randomBytes(700 * KiB);
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'kept', Body: body }));
    client.destroy();
    await server.kill();
    server = await startServer({ dataDir });
    client = s3Client(server);
    await assertAllReadBack(client, new Map([['kept', md5(body)]]));
    client.destroy();
  } finally {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

async function occupiedPort(): Promise<{ blocker: Server; port: number }> {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const address = blocker.address();
  assert.ok(address !== null && typeof address === 'object');
  return { blocker, port: address.port };
}

test('a taken port (S3, console or metrics): exit status 1 with a clear message, and the data dir is neither created nor changed', async () => {
  const { blocker, port } = await occupiedPort();
  const parent = mkdtempSync(join(tmpdir(), 'latchkey-port-'));
  const existing = await startServer({ dataDir: join(parent, 'existing') });
  const client = s3Client(existing);
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  client.destroy();
  await existing.stop();
  try {
    const fresh = join(parent, 'fresh');
    const onFresh = await serverThatShouldExit(['--address', `127.0.0.1:${port}`, '--data', fresh]);
    assert.equal(onFresh.code, 1, onFresh.stderr);
    assert.match(onFresh.stderr, new RegExp(`S3 address 127\\.0\\.0\\.1:${port} is already in use`));
    assert.equal(existsSync(fresh), false, 'the data dir was not even created');

    const dir = join(parent, 'existing');
    const before = tree(dir);
    for (const args of [
      ['--address', `127.0.0.1:${port}`],
      ['--address', '127.0.0.1:0', '--console-address', `127.0.0.1:${port}`],
      ['--address', '127.0.0.1:0', '--console-address', '127.0.0.1:0', '--metrics-address', `127.0.0.1:${port}`],
    ]) {
      const exit = await serverThatShouldExit([...args, '--data', dir]);
      assert.equal(exit.code, 1, exit.stderr);
      assert.match(exit.stderr, new RegExp(`(S3|console|metrics) address 127\\.0\\.0\\.1:${port} is already in use`));
      assert.equal(tree(dir), before, `${args.join(' ')}: nothing in the existing dir changed`);
    }
  } finally {
    blocker.close();
    rmSync(parent, { recursive: true, force: true });
  }
});
