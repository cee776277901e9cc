import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { aws, type TestCredentials } from '../helpers/clients.js';
import { ROOT_CREDENTIALS, startServer, type TestServer } from '../helpers/server.js';

// The real CLI as a child process against the real server: what a user or a script sees.
const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const readOnly = (bucket: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: 's3:ListBucket', Resource: `arn:aws:s3:::${bucket}` },
      { Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/*` },
    ],
  });
const ADMIN_POLICY = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iam:*', Resource: '*' }] });

describe('latchkey admin CLI end to end', () => {
  let server: TestServer;
  let home: string;

  before(async () => {
    server = await startServer();
    home = mkdtempSync(join(tmpdir(), 'latchkey-cli-e2e-'));
    writeFileSync(join(home, 'read-photos.json'), readOnly('photos'));
    writeFileSync(join(home, 'admin.json'), ADMIN_POLICY);
    writeFileSync(join(home, 'broken.json'), '{"Version": "2012-10-17", "Statement": [');
    writeFileSync(join(home, 'no-statement.json'), '{"Version": "2012-10-17"}');
    const made = await aws(server, ['s3', 'mb', 's3://photos']);
    assert.equal(made.code, 0, made.stderr);
    const put = await aws(server, ['s3api', 'put-object', '--bucket', 'photos', '--key', 'cat.jpg', '--body', join(home, 'admin.json')]);
    assert.equal(put.code, 0, put.stderr);
  });
  after(async () => {
    await server?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  /** Runs `latchkey ARGS` with only the given credentials (root by default) and no profile files. */
  function latchkey(args: readonly string[], options: { credentials?: TestCredentials | null; env?: Record<string, string> } = {}): Promise<Run> {
    const credentials = options.credentials === undefined ? ROOT_CREDENTIALS : options.credentials;
    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'],
      HOME: home,
      LATCHKEY_ENDPOINT: server.endpoint,
      AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-credentials'),
      AWS_CONFIG_FILE: join(home, 'no-config'),
      ...(credentials ? { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey } : {}),
      ...options.env,
    };
    return new Promise((resolve, reject) => {
      execFile(process.execPath, ['--import', 'tsx', CLI, ...args], { env, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') reject(new Error(`latchkey failed to run: ${error.message}`));
        else resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      });
    });
  }

  async function ok<T = unknown>(args: readonly string[], options?: Parameters<typeof latchkey>[1]): Promise<T> {
    const r = await latchkey([...args, '--json'], options);
    assert.equal(r.code, 0, `latchkey ${args.join(' ')}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  }

  async function fails(args: readonly string[], code: string, options?: Parameters<typeof latchkey>[1]): Promise<Run> {
    const r = await latchkey(args, options);
    assert.equal(r.code, 1, `latchkey ${args.join(' ')} should fail: ${r.stdout}${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, `one line: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^latchkey: ${code} \\(HTTP \\d{3}\\)`));
    return r;
  }

  it('walks a user, key and policy through their whole life with --json output', async () => {
    const added = await ok<{ name: string; status: string; policies: string[] }>(['user', 'add', 'alice']);
    assert.equal(added.name, 'alice');
    assert.equal(added.status, 'active');
    assert.deepEqual(added.policies, []);
    assert.ok((await ok<{ name: string }[]>(['user', 'list'])).some((u) => u.name === 'alice'));

    const policy = await ok<{ name: string; document: { Statement: unknown[] } }>(['policy', 'create', 'read-photos', join(home, 'read-photos.json')]);
    assert.equal(policy.name, 'read-photos');
    assert.equal(policy.document.Statement.length, 2);
    assert.ok((await ok<{ name: string }[]>(['policy', 'list'])).some((p) => p.name === 'read-photos'));

    const attached = await ok<{ policies: string[] }>(['policy', 'attach', 'read-photos', '--user', 'alice']);
    assert.deepEqual(attached.policies, ['read-photos']);
    assert.deepEqual((await ok<{ attachedTo: string[] }>(['policy', 'show', 'read-photos'])).attachedTo, ['alice']);

    const key = await ok<Record<string, string>>(['key', 'create', 'alice']);
    assert.deepEqual(Object.keys(key), ['accessKeyId', 'secretAccessKey']);
    const info = await ok<{ name: string; policies: string[]; accessKeys: { accessKeyId: string; status: string }[] }>(['user', 'info', 'alice']);
    assert.deepEqual(info.accessKeys.map((k) => [k.accessKeyId, k.status]), [[key['accessKeyId'], 'active']]);
    assert.deepEqual((await ok<{ accessKeyId: string }[]>(['key', 'list', 'alice'])).map((k) => k.accessKeyId), [key['accessKeyId']]);

    assert.equal((await ok<{ status: string }>(['key', 'disable', key['accessKeyId']!])).status, 'inactive');
    assert.equal((await ok<{ status: string }>(['key', 'enable', key['accessKeyId']!])).status, 'active');
    assert.equal((await ok<{ status: string }>(['user', 'disable', 'alice'])).status, 'disabled');
    assert.equal((await ok<{ status: string }>(['user', 'enable', 'alice'])).status, 'active');

    await ok(['policy', 'detach', 'read-photos', '--user', 'alice']);
    assert.deepEqual((await ok<{ policies: string[] }>(['user', 'info', 'alice'])).policies, []);
    await ok(['policy', 'remove', 'read-photos']);
    await fails(['policy', 'show', 'read-photos'], 'NoSuchEntity');
    await ok(['key', 'remove', key['accessKeyId']!]);
    assert.deepEqual(await ok(['key', 'list', 'alice']), []);
    await ok(['user', 'remove', 'alice']);
    assert.ok(!(await ok<{ name: string }[]>(['user', 'list'])).some((u) => u.name === 'alice'));
  });

  it('prints aligned tables and short confirmations for people', async () => {
    const added = await latchkey(['user', 'add', 'table-user']);
    assert.deepEqual([added.code, added.stdout], [0, 'Created user table-user.\n']);
    const list = await latchkey(['user', 'list']);
    assert.equal(list.code, 0);
    const lines = list.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^NAME +STATUS +POLICIES +CREATED$/);
    const row = lines.find((l) => l.startsWith('table-user '));
    assert.ok(row, list.stdout);
    // Every row's STATUS column starts where the header's does.
    assert.equal(row.indexOf('active'), lines[0]!.indexOf('STATUS'));
    await ok(['user', 'remove', 'table-user']);
  });

  it('a created key works with the aws CLI, within its policy and only while enabled', async () => {
    await ok(['user', 'add', 'reader']);
    const key = await ok<{ accessKeyId: string; secretAccessKey: string }>(['key', 'create', 'reader']);

    const denied = await aws(server, ['s3', 'ls', 's3://photos'], key);
    assert.notEqual(denied.code, 0, 'no policy yet');
    assert.match(denied.stderr, /AccessDenied/);

    await ok(['policy', 'create', 'read-photos-2', join(home, 'read-photos.json')]);
    await ok(['policy', 'attach', 'read-photos-2', '--user', 'reader']);
    const listed = await aws(server, ['s3', 'ls', 's3://photos'], key);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /cat\.jpg/);

    await ok(['key', 'disable', key.accessKeyId]);
    const disabled = await aws(server, ['s3', 'ls', 's3://photos'], key);
    assert.notEqual(disabled.code, 0, 'a disabled key must stop working');
    await ok(['key', 'enable', key.accessKeyId]);
    assert.equal((await aws(server, ['s3', 'ls', 's3://photos'], key)).code, 0);

    await ok(['user', 'disable', 'reader']);
    assert.notEqual((await aws(server, ['s3', 'ls', 's3://photos'], key)).code, 0, 'a disabled user must stop working');
  });

  it('names the server error code and exits 1 on failures', async () => {
    await fails(['user', 'info', 'ghost'], 'NoSuchEntity');
    await fails(['key', 'create', 'ghost'], 'NoSuchEntity');
    await fails(['policy', 'attach', 'nothing', '--user', 'ghost'], 'NoSuchEntity');

    await ok(['user', 'add', 'keyring']);
    await fails(['user', 'add', 'keyring'], 'EntityAlreadyExists');
    await ok(['key', 'create', 'keyring']);
    await ok(['key', 'create', 'keyring']);
    await fails(['key', 'create', 'keyring'], 'LimitExceeded');

    await fails(['policy', 'create', 'broken', join(home, 'broken.json')], 'InvalidInput');
    await fails(['policy', 'create', 'broken', join(home, 'no-statement.json')], 'InvalidInput');
    await fails(['user', 'add', 'bad/name'], 'InvalidInput');

    await ok(['policy', 'create', 'pinned', join(home, 'read-photos.json')]);
    await ok(['policy', 'attach', 'pinned', '--user', 'keyring']);
    await fails(['policy', 'remove', 'pinned'], 'DeleteConflict');
  });

  it('wrong credentials are refused with the signature error codes', async () => {
    await fails(['user', 'list'], 'SignatureDoesNotMatch', { credentials: { accessKeyId: ROOT_CREDENTIALS.accessKeyId, secretAccessKey: 'not-the-secret' } });
    await fails(['user', 'list'], 'InvalidAccessKeyId', { credentials: { accessKeyId: 'LKNOSUCHKEY000000000', secretAccessKey: 'whatever' } });
  });

  it('a user without iam permissions is denied; an admin policy lets a user administer', async () => {
    await ok(['user', 'add', 'operator']);
    const key = await ok<{ accessKeyId: string; secretAccessKey: string }>(['key', 'create', 'operator']);
    await fails(['user', 'list'], 'AccessDenied', { credentials: key });
    await ok(['policy', 'create', 'admin', join(home, 'admin.json')]);
    await ok(['policy', 'attach', 'admin', '--user', 'operator']);
    assert.ok((await ok<{ name: string }[]>(['user', 'list'], { credentials: key })).some((u) => u.name === 'operator'));
  });

  it('--profile and AWS_PROFILE select credentials from a credentials file', async () => {
    await ok(['user', 'add', 'nobody-special']);
    const plain = await ok<{ accessKeyId: string; secretAccessKey: string }>(['key', 'create', 'nobody-special']);
    const file = join(home, 'credentials');
    writeFileSync(
      file,
      `[admin]\naws_access_key_id = ${ROOT_CREDENTIALS.accessKeyId}\naws_secret_access_key = ${ROOT_CREDENTIALS.secretAccessKey}\n\n` +
        `[plain]\naws_access_key_id = ${plain.accessKeyId}\naws_secret_access_key = ${plain.secretAccessKey}\n`,
    );
    const env = { AWS_SHARED_CREDENTIALS_FILE: file };
    assert.ok(Array.isArray(await ok(['user', 'list', '--profile', 'admin'], { credentials: null, env })));
    assert.ok(Array.isArray(await ok(['user', 'list'], { credentials: null, env: { ...env, AWS_PROFILE: 'admin' } })));
    await fails(['user', 'list', '--profile', 'plain'], 'AccessDenied', { credentials: null, env });
    // --profile wins over environment credentials, as in the aws CLI.
    await fails(['user', 'list', '--profile', 'plain'], 'AccessDenied', { env });

    const missing = await latchkey(['user', 'list', '--profile', 'ghost'], { credentials: null, env });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^latchkey: profile 'ghost' not found in .*credentials/);
  });

  it('sets, shows and removes a bucket policy through S3', async () => {
    const doc = {
      Version: '2012-10-17',
      Statement: [{ Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::photos/*' }],
    };
    writeFileSync(join(home, 'bucket-policy.json'), JSON.stringify(doc));
    const set = await latchkey(['bucket', 'policy', 'set', 'photos', join(home, 'bucket-policy.json')]);
    assert.deepEqual([set.code, set.stdout, set.stderr], [0, 'Set the policy of bucket photos.\n', '']);
    const shown = await ok<{ Statement: { Sid: string }[] }>(['bucket', 'policy', 'show', 'photos']);
    assert.equal(shown.Statement[0]?.Sid, 'PublicRead');
    await ok(['bucket', 'policy', 'remove', 'photos']);
    await fails(['bucket', 'policy', 'show', 'photos'], 'NoSuchBucketPolicy');
    await fails(['bucket', 'policy', 'show', 'no-such-bucket'], 'NoSuchBucket');
    await fails(['bucket', 'policy', 'set', 'photos', join(home, 'broken.json')], 'MalformedPolicy');
  });
});
