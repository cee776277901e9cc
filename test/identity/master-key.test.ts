import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeCrypto } from '../../src/sigv4/node-crypto.js';
import { signRequest } from '../../src/sigv4/sign.js';
import { policyDocument, userWithPolicies, type CreatedKey } from '../helpers/admin-client.js';
import type { TestCredentials } from '../helpers/clients.js';
import { signedRequest } from '../helpers/e2e-http.js';
import { ROOT_CREDENTIALS, startServer, type TestServer } from '../helpers/server.js';
import { getSessionToken } from '../helpers/sessions.js';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const KEY_A = randomBytes(32).toString('hex');
const KEY_B = randomBytes(32).toString('hex');
const ALL_S3 = policyDocument({ Effect: 'Allow', Action: 's3:*', Resource: '*' });

const dirs: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-master-key-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** path → size, mode and SHA-256 of every file under dir: equal maps mean byte-identical trees. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      const rel = relative(dir, path);
      if (entry.isDirectory()) {
        out.set(`${rel}/`, 'dir');
        walk(path);
      } else {
        const stat = statSync(path);
        out.set(rel, `${stat.size} ${(stat.mode & 0o777).toString(8)} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`);
      }
    }
  };
  walk(dir);
  return out;
}

/** Every file under dir, read whole: where a leaked secret would be found. */
function everyFile(dir: string): Array<{ path: string; bytes: Buffer }> {
  const files: Array<{ path: string; bytes: Buffer }> = [];
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.push({ path, bytes: readFileSync(path) });
    }
  };
  walk(dir);
  return files;
}

interface Exit {
  readonly code: number | null;
  readonly output: string;
}

/** Runs `latchkey server` expecting it to refuse to start; a server that starts listening fails the test. */
function startExpectingExit(dataDir: string, env: Record<string, string>, args: readonly string[] = []): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'server', '--address', '127.0.0.1:0', '--data', dataDir, ...args], {
      env: {
        ...process.env,
        LATCHKEY_ROOT_ACCESS_KEY: ROOT_CREDENTIALS.accessKeyId,
        LATCHKEY_ROOT_SECRET_KEY: ROOT_CREDENTIALS.secretAccessKey,
        LATCHKEY_MASTER_KEY: '',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server neither started nor exited:\n${output}`));
    }, 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('"listening"')) {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new Error(`the server started when it should have refused:\n${output}`));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

function assertRefused(exit: Exit, label: string): void {
  assert.notEqual(exit.code, 0, `${label}: exit code`);
  assert.notEqual(exit.code, null, `${label}: exited by itself`);
  const lines = exit.output.split('\n').filter((line) => line.trim() !== '');
  assert.equal(lines.length, 1, `${label}: one line, got:\n${exit.output}`);
  assert.match(lines[0] ?? '', /^latchkey: .*master key/i, label);
  assert.doesNotMatch(lines[0] ?? '', /\bat .*\.ts:\d+/, `${label}: no stack trace`);
}

async function getObject(server: TestServer, credentials: TestCredentials): Promise<{ status: number; body: string }> {
  const response = await signedRequestAs(server, credentials, 'GET', '/vault/doc.txt');
  return { status: response.status, body: await response.text() };
}

function signedRequestAs(server: TestServer, credentials: TestCredentials, method: string, path: string, body = ''): Promise<Response> {
  const url = `${server.endpoint}${path}`;
  const signed = signRequest({ method, url, credentials, region: server.region, now: Date.now(), crypto: nodeCrypto, payloadHash: createHash('sha256').update(body).digest('hex') });
  const { host: _host, ...headers } = signed.headers;
  return fetch(url, { method, headers, ...(body === '' ? {} : { body }) });
}

/** STS GetSessionToken with our signer: the session's secret must not reach the disk either. */
async function sessionSecrets(server: TestServer, credentials: TestCredentials): Promise<string[]> {
  const session = await getSessionToken(server, credentials);
  const secrets = [session.secretAccessKey, session.sessionToken];
  assert.ok(secrets.every((s) => s.length >= 40), JSON.stringify(session));
  return secrets;
}

describe('the master key', () => {
  it('seals secrets: a wrong or missing key is refused without touching the data dir, the right one works', async () => {
    const dataDir = freshDir();
    let server = await startServer({ dataDir, env: { LATCHKEY_MASTER_KEY: KEY_A } });
    let user: CreatedKey;
    try {
      user = await userWithPolicies(server, 'keeper', { 'all-s3': ALL_S3 });
      assert.equal((await signedRequestAs(server, user.credentials, 'PUT', '/vault')).status, 200);
      assert.equal((await signedRequestAs(server, user.credentials, 'PUT', '/vault/doc.txt', 'sealed and delivered')).status, 200);
      assert.deepEqual(await getObject(server, user.credentials), { status: 200, body: 'sealed and delivered' });
    } finally {
      assert.equal(await server.stop(), 0);
    }

    const before = snapshot(dataDir);
    assert.ok([...before.keys()].some((path) => path.startsWith('metadata.sqlite3')));
    assert.ok(!before.has('master.key'), 'a key from the environment is never written to the data dir');

    assertRefused(await startExpectingExit(dataDir, { LATCHKEY_MASTER_KEY: KEY_B }), 'key B');
    assert.deepEqual(snapshot(dataDir), before, 'key B changed the data dir');
    assertRefused(await startExpectingExit(dataDir, {}), 'no key at all');
    assert.deepEqual(snapshot(dataDir), before, 'starting without a key changed the data dir');
    assert.ok(!snapshot(dataDir).has('master.key'), 'no key was generated for a sealed data dir');
    const fileB = join(freshDir(), 'b.key');
    writeFileSync(fileB, `${KEY_B}\n`, { mode: 0o600 });
    assertRefused(await startExpectingExit(dataDir, {}, ['--master-key-file', fileB]), 'key B from a file');
    assert.deepEqual(snapshot(dataDir), before, '--master-key-file B changed the data dir');

    server = await startServer({ dataDir, env: { LATCHKEY_MASTER_KEY: KEY_A } });
    try {
      assert.deepEqual(await getObject(server, user.credentials), { status: 200, body: 'sealed and delivered' }, 'the key still signs after restarts');
    } finally {
      assert.equal(await server.stop(), 0);
    }
    // The same key from a file (base64 this time) is the same key.
    const fileA = join(freshDir(), 'a.key');
    writeFileSync(fileA, `${Buffer.from(KEY_A, 'hex').toString('base64')}\n`, { mode: 0o600 });
    server = await startServer({ dataDir, args: ['--master-key-file', fileA], env: { LATCHKEY_MASTER_KEY: '' } });
    try {
      assert.deepEqual(await getObject(server, user.credentials), { status: 200, body: 'sealed and delivered' });
    } finally {
      await server.stop();
    }
  });

  it('is generated as master.key with mode 0600 when none is configured, and is needed from then on', async () => {
    const dataDir = freshDir();
    let server = await startServer({ dataDir, env: { LATCHKEY_MASTER_KEY: '' } });
    let user: CreatedKey;
    try {
      const keyFile = join(dataDir, 'master.key');
      assert.equal(statSync(keyFile).mode & 0o777, 0o600);
      assert.match(readFileSync(keyFile, 'utf8'), /^[0-9a-f]{64}\n$/);
      assert.ok(server.logs.some((line) => /master key generated/.test(line)), 'the operator is told to back it up');
      user = await userWithPolicies(server, 'keeper', { 'all-s3': ALL_S3 });
      assert.equal((await signedRequestAs(server, user.credentials, 'PUT', '/vault')).status, 200);
      assert.equal((await signedRequestAs(server, user.credentials, 'PUT', '/vault/doc.txt', 'generated')).status, 200);
    } finally {
      assert.equal(await server.stop(), 0);
    }
    const generated = readFileSync(join(dataDir, 'master.key'));

    server = await startServer({ dataDir, env: { LATCHKEY_MASTER_KEY: '' } });
    try {
      assert.deepEqual(await getObject(server, user.credentials), { status: 200, body: 'generated' }, 'the generated key is read back');
    } finally {
      assert.equal(await server.stop(), 0);
    }
    assert.deepEqual(readFileSync(join(dataDir, 'master.key')), generated, 'the generated key is never replaced');

    unlinkSync(join(dataDir, 'master.key'));
    const before = snapshot(dataDir);
    assertRefused(await startExpectingExit(dataDir, {}), 'master.key removed');
    assert.deepEqual(snapshot(dataDir), before, 'a refused start changed the data dir');
  });

  it('never lets a plain secret reach the data dir', async () => {
    const dataDir = freshDir();
    const server = await startServer({ dataDir, env: { LATCHKEY_MASTER_KEY: KEY_A } });
    const secrets: string[] = [];
    try {
      const user = await userWithPolicies(server, 'quiet', { 'all-s3': ALL_S3 });
      secrets.push(user.credentials.secretAccessKey, ...(await sessionSecrets(server, user.credentials)));
      // Use the key, so last-used bookkeeping and request paths run too.
      assert.equal((await signedRequest(server, { method: 'PUT', path: '/quiet' })).status, 200);
      assert.equal((await signedRequestAs(server, user.credentials, 'PUT', '/quiet/x.txt', 'x')).status, 200);
      // While running (the WAL may hold what the main file does not yet) and after shutdown.
      assertNoSecret(dataDir, secrets, 'while running');
    } finally {
      assert.equal(await server.stop(), 0);
    }
    assertNoSecret(dataDir, secrets, 'after shutdown');
  });
});

function assertNoSecret(dataDir: string, secrets: readonly string[], label: string): void {
  const files = everyFile(dataDir);
  assert.ok(files.some((f) => f.path.endsWith('metadata.sqlite3')), `${label}: the database was searched`);
  const needles = secrets.flatMap((secret) => [Buffer.from(secret, 'utf8'), Buffer.from(secret, 'base64'), Buffer.from(secret, 'utf16le')]);
  for (const { path, bytes } of files) {
    for (const needle of needles) assert.equal(bytes.indexOf(needle), -1, `${label}: a secret's bytes are in ${path}`);
  }
}
