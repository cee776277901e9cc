import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, type RunResult, type TestCredentials } from './clients.js';
import { ROOT_CREDENTIALS, type TestServer } from './server.js';

/** Both come from Debian in CI (.ci/run); elsewhere their tests are skipped with these reasons. */
export const RCLONE_MISSING = spawnSync('rclone', ['version']).error ? 'rclone is not installed (apt-get install rclone)' : false;
export const S3CMD_MISSING = spawnSync('s3cmd', ['--version']).error ? 's3cmd is not installed (apt-get install s3cmd)' : false;

/** Only what the tools need: no CA bundle or proxy of the machine's environment leaks in (rclone refuses AWS_CA_BUNDLE over plain HTTP). */
function toolEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'], HOME: process.env['HOME'], ...extra };
}

/** rclone (Debian's) with one S3 remote named `lk:` pointing at the server, configured from the environment alone. */
export function rclone(server: TestServer, args: readonly string[], credentials: TestCredentials = ROOT_CREDENTIALS): Promise<RunResult> {
  return run('rclone', ['--retries', '1', '--low-level-retries', '1', ...args], toolEnv({
    RCLONE_CONFIG: '/dev/null',
    RCLONE_CONFIG_LK_TYPE: 's3',
    RCLONE_CONFIG_LK_PROVIDER: 'Other',
    RCLONE_CONFIG_LK_ACCESS_KEY_ID: credentials.accessKeyId,
    RCLONE_CONFIG_LK_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    RCLONE_CONFIG_LK_ENDPOINT: server.endpoint,
    RCLONE_CONFIG_LK_REGION: server.region,
    RCLONE_CONFIG_LK_FORCE_PATH_STYLE: 'true',
  }));
}

/** s3cmd (Debian's) with a config file naming the server (path-style, SigV4 for requests). */
export async function s3cmd(server: TestServer, args: readonly string[], credentials: TestCredentials = ROOT_CREDENTIALS): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-s3cmd-'));
  try {
    const host = new URL(server.endpoint).host;
    const config = join(dir, 's3cfg');
    writeFileSync(config, [
      '[default]',
      `access_key = ${credentials.accessKeyId}`,
      `secret_key = ${credentials.secretAccessKey}`,
      `host_base = ${host}`,
      `host_bucket = ${host}`,
      'use_https = False',
      'signature_v2 = False',
      `bucket_location = ${server.region}`,
      '',
    ].join('\n'));
    return await run('s3cmd', ['-c', config, ...args], toolEnv());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
