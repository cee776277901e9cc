import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkReadiness } from '../../src/server/health.js';
import { run } from '../helpers/clients.js';
import { startServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
const NOBODY = 65534;

before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

async function probe(path: string, method = 'GET'): Promise<{ status: number; body: string; headers: Headers }> {
  const response = await fetch(`${server.endpoint}/_latchkey/health/${path}`, { method });
  return { status: response.status, body: await response.text(), headers: response.headers };
}

describe('health checks on the S3 port', () => {
  it('live and ready answer 200 without credentials, GET and HEAD', async () => {
    for (const path of ['live', 'ready']) {
      const get = await probe(path);
      assert.equal(get.status, 200, path);
      assert.deepEqual(JSON.parse(get.body), { status: 'ok' });
      assert.equal(get.headers.get('content-type'), 'application/json');
      const head = await probe(path, 'HEAD');
      assert.equal(head.status, 200, path);
      assert.equal(head.body, '');
      assert.equal(head.headers.get('content-length'), get.headers.get('content-length'));
    }
  });

  it('curl -f succeeds on both, as a Kubernetes or load balancer probe would run it', async () => {
    for (const path of ['live', 'ready']) {
      const result = await run('curl', ['-fsS', '-I', `${server.endpoint}/_latchkey/health/${path}`], process.env);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^HTTP\/1\.1 200/);
    }
  });

  it('other paths under health are 404 and other methods 405, revealing nothing', async () => {
    const unknown = await probe('version');
    assert.equal(unknown.status, 404);
    const post = await probe('ready', 'POST');
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
  });

  it('ready is 503 naming the data dir while it is not writable, and 200 again once it is', async () => {
    // Root may write anywhere: the server runs as an ordinary user here so that a read-only directory is one.
    const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-health-'));
    const uid = process.getuid?.() === 0 ? NOBODY : undefined;
    if (uid !== undefined) chownSync(dataDir, uid, uid);
    const own = await startServer({ dataDir, ...(uid === undefined ? {} : { uid }) });
    const get = async (method = 'GET') => fetch(`${own.endpoint}/_latchkey/health/ready`, { method });
    try {
      assert.equal((await get()).status, 200);
      chmodSync(dataDir, 0o500);
      const down = await get();
      assert.equal(down.status, 503);
      assert.deepEqual(await down.json(), { status: 'unavailable', problems: ['data dir not writable'] });
      assert.equal((await get('HEAD')).status, 503);
      assert.equal((await fetch(`${own.endpoint}/_latchkey/health/live`)).status, 200);
      chmodSync(dataDir, 0o700);
      assert.equal((await get()).status, 200);
    } finally {
      chmodSync(dataDir, 0o700);
      await own.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('ready is 503 while the metadata store cannot answer (another process holds its locks), live stays 200', async () => {
    // Holds every lock byte of the database's shared-memory index (offset 120, 8 bytes): no connection can begin a read.
    const locker = spawn('python3', ['-c', `
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 8, 120)
print('locked', flush=True)
sys.stdin.read()
`, join(server.dataDir, 'metadata.sqlite3-shm')], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const [line] = (await once(locker.stdout, 'data')) as [Buffer];
      assert.equal(line.toString().trim(), 'locked');
      const down = await probe('ready');
      assert.equal(down.status, 503);
      assert.deepEqual(JSON.parse(down.body), { status: 'unavailable', problems: ['metadata store unavailable'] });
    } finally {
      locker.stdin.end();
      await once(locker, 'exit');
    }
    assert.equal((await probe('ready')).status, 200);
    assert.equal((await probe('live')).status, 200);
  });

  it('readiness refuses a data dir with less free space than the minimum', async () => {
    const base = { probeMetadata: () => Promise.resolve(), dataDir: server.dataDir, freeBytes: () => Promise.resolve(1000) };
    assert.deepEqual(await checkReadiness({ ...base, minFreeBytes: 1000 }), { ready: true, problems: [] });
    assert.deepEqual(await checkReadiness({ ...base, minFreeBytes: 1001 }), {
      ready: false,
      problems: ['data dir has 1000 bytes free, below the minimum of 1001'],
    });
    const stalled = await checkReadiness({ ...base, minFreeBytes: 0, probeMetadata: () => new Promise(() => undefined), timeoutMs: 50 });
    assert.deepEqual(stalled.problems, ['metadata store did not answer within 50 ms']);
  });
});
