import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { SERVER_OPTIONS } from '../../src/server/config.js';
import { run } from '../helpers/clients.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'src/cli.ts');
const latchkey = (args: readonly string[], env: NodeJS.ProcessEnv = process.env) => run(process.execPath, ['--import', 'tsx', CLI, ...args], env, undefined, 60_000);
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** An environment with no root credentials, as a first-time user has. */
function userEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['LATCHKEY_ROOT_ACCESS_KEY'];
  delete env['LATCHKEY_ROOT_SECRET_KEY'];
  delete env['AWS_ACCESS_KEY_ID'];
  delete env['AWS_SECRET_ACCESS_KEY'];
  return env;
}

/** Runs the server under a pseudo-terminal (script(1)) until its output matches `until`; then stops it. */
async function serverInTerminal(dataDir: string, until: RegExp): Promise<string> {
  const command = `exec ${process.execPath} --import tsx ${CLI} server --address 127.0.0.1:0 --data ${dataDir} --no-console`;
  const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: ROOT, env: userEnv(), stdio: ['pipe', 'pipe', 'ignore'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let output = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${until} in:\n${output}`)), 30_000);
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString().replace(/\r/g, '');
        if (until.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  return output;
}

describe('the latchkey command', () => {
  it('--version and -V print the package version', async () => {
    for (const flag of ['--version', '-V']) {
      const result = await latchkey([flag]);
      assert.equal(result.code, 0);
      assert.equal(result.stdout, `latchkey ${VERSION}\n`);
    }
  });

  it('server --help lists every server flag with its environment variable and default, and exits 0 without starting', async () => {
    const result = await latchkey(['server', '--help']);
    assert.equal(result.code, 0, result.stderr);
    for (const flag of Object.keys(SERVER_OPTIONS)) assert.match(result.stdout, new RegExp(`^  --${flag}\\b`, 'm'), flag);
    assert.match(result.stdout, /--multipart-expiry T\n.*\n\s+env LATCHKEY_MULTIPART_EXPIRY; default 7d/);
    assert.match(result.stdout, /--address HOST:PORT\n.*\n\s+env LATCHKEY_ADDRESS; default 127\.0\.0\.1:9000/);
    assert.match(result.stdout, /LATCHKEY_METRICS_TOKEN/);
  });

  it('in a terminal, the first start prints a command that runs as pasted, and every start names the credentials file', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-tty-'));
    dirs.push(dataDir);
    const first = await serverInTerminal(dataDir, /try it: .*\n/);
    const credentialsFile = join(dataDir, 'root-credentials.json');
    assert.match(first, new RegExp(`info  root credentials accessKeyId=LK\\w+ file=${credentialsFile}\\n`));
    const command = /try it: (.*)\n/.exec(first)?.[1] ?? '';
    assert.doesNotMatch(command, /example=|^"/);
    // Pasted into a shell as is, against a server on that data dir: the bucket is made.
    const running = spawn(process.execPath, ['--import', 'tsx', CLI, 'server', '--address', /--endpoint-url http:\/\/([^ ]+)/.exec(command)?.[1] ?? '', '--data', dataDir, '--no-console'], { cwd: ROOT, env: userEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve) => running.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('"listening"') && resolve()));
      const pasted = await run('sh', ['-c', command], { PATH: process.env['PATH'], HOME: dataDir, AWS_DEFAULT_REGION: 'us-east-1' });
      assert.equal(pasted.code, 0, pasted.stderr);
      assert.match(pasted.stdout, /make_bucket: my-bucket/);
    } finally {
      running.kill('SIGTERM');
      await new Promise((resolve) => running.once('exit', resolve));
    }
    const second = await serverInTerminal(dataDir, /root credentials .*\n/);
    assert.match(second, new RegExp(`root credentials accessKeyId=LK\\w+ file=${credentialsFile}\\n`));
    assert.doesNotMatch(second, /try it|secretAccessKey/);
  });

  it('examples/app-server prints the port it really listens on (PORT=0)', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'examples/app-server/server.ts')], { cwd: ROOT, env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const line = await new Promise<string>((resolve) => child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString())));
      const port = Number(/^app on http:\/\/127\.0\.0\.1:(\d+)\n$/.exec(line)?.[1]);
      assert.ok(port > 0, line);
      const login = await fetch(`http://127.0.0.1:${port}/login`, { method: 'POST', body: 'user=alice&password=wrong', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      assert.equal(login.status, 401);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
