import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32c } from '@aws-crypto/crc32c';
import { BOTO_HELPERS } from './boto-helpers.js';
import { awsEnv, boto3, type RunResult } from './clients.js';
import type { TestServer } from './server.js';

/** BOTO_HELPERS and the modules e2e scripts use without importing them. */
const PY_HELPERS = `
import base64, hashlib, io, os, tempfile, time
${BOTO_HELPERS}`;

/** boto3 (current defaults) with the e2e helpers; the script ends with `out(result)`. */
export function py<T = unknown>(server: TestServer, script: string, args: unknown = null): Promise<T> {
  return boto3<T>(server, `${PY_HELPERS}\n${script}`, args);
}

/** What botocore's ClientError carried. */
export interface PyClientError {
  readonly code: string;
  readonly status: number;
  readonly message: string;
  readonly headers: Record<string, string>;
}

/** `actual` is one client_error() result of a script: asserts botocore's error code and HTTP status. */
export function assertClientError(actual: unknown, code: string, status: number): asserts actual is PyClientError {
  assert.ok(actual !== null && typeof actual === 'object', `expected ${code}, the call succeeded`);
  const error = actual as PyClientError;
  assert.equal(error.code, code, error.message);
  assert.equal(error.status, status);
}

/** CRC32C as the x-amz-checksum-crc32c header carries it, from an implementation independent of ours. */
export function crc32cBase64(text: string): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(crc32c(Buffer.from(text)) >>> 0);
  return b.toString('base64');
}

function run(args: readonly string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile('aws', [...args], { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 120_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(new Error(`aws failed to run: ${error.message}\n${stderr}`));
      else resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
}

/** The aws CLI with a config file (e.g. `s3 =\n  signature_version = s3v4`), otherwise as clients.aws. */
export async function awsWithConfig(server: TestServer, config: string, args: readonly string[]): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-awscfg-'));
  try {
    const file = join(dir, 'config');
    writeFileSync(file, `[default]\n${config}\n`);
    return await run(['--endpoint-url', server.endpoint, ...args], { ...awsEnv(), AWS_CONFIG_FILE: file });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface CurlResult {
  readonly status: number;
  readonly body: string;
}

/** curl as a user would paste a link into it: no signing, no redirects, the URL as given. */
export function curl(url: string, extra: readonly string[] = []): Promise<CurlResult> {
  return new Promise((resolve, reject) => {
    execFile('curl', ['-sS', '--globoff', '-o', '-', '-w', '\n%{http_code}', ...extra, url], { encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`curl failed: ${error.message}\n${stderr}`));
      const cut = stdout.lastIndexOf('\n');
      resolve({ status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) });
    });
  });
}

/** The S3 error code the CLI printed ("An error occurred (Code) when calling ..."). */
export function cliErrorCode(result: RunResult): string | undefined {
  return /An error occurred \(([^)]+)\)/.exec(result.stderr)?.[1];
}
