import { execFile } from 'node:child_process';
import { S3Client } from '@aws-sdk/client-s3';
import { ROOT_CREDENTIALS, type TestServer } from './server.js';

export interface TestCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** The AWS SDK for JavaScript v3 with its current defaults, path-style. */
export function s3Client(server: TestServer, credentials: TestCredentials = ROOT_CREDENTIALS): S3Client {
  return new S3Client({ endpoint: server.endpoint, region: server.region, forcePathStyle: true, credentials, maxAttempts: 1 });
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program to its end; a non-zero exit is a result, failing to start is an error. */
export function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv, input?: string, timeoutMs = 120_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, [...args], { env, maxBuffer: 256 * 1024 * 1024, timeout: timeoutMs, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(new Error(`${file} failed to run: ${error.message}\n${stderr}`));
      else resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** An environment with only these credentials: no profile, config file or instance metadata leaks in. */
export function awsEnv(credentials: TestCredentials = ROOT_CREDENTIALS, region = 'us-east-1'): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_DEFAULT_REGION: region,
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
    PYTHONWARNINGS: 'ignore',
  };
  if (credentials.sessionToken) env['AWS_SESSION_TOKEN'] = credentials.sessionToken;
  return env;
}

/** The aws CLI against the server. */
export function aws(server: TestServer, args: readonly string[], credentials?: TestCredentials): Promise<RunResult> {
  return run('aws', ['--endpoint-url', server.endpoint, ...args], awsEnv(credentials));
}

/**
 * Runs a python3 + boto3 script. The script gets `endpoint`, `access_key`,
 * `secret_key`, `region` and `args` (the JSON given) as globals, and `s3`, a
 * client with boto3's current defaults; it prints its result as JSON.
 */
export async function boto3<T = unknown>(server: TestServer, script: string, args: unknown = null, credentials: TestCredentials = ROOT_CREDENTIALS): Promise<T> {
  const prelude = `
import json, sys, boto3, botocore
from botocore.config import Config
_input = json.load(sys.stdin)
endpoint, access_key, secret_key, session_token, region, args = _input['endpoint'], _input['access_key'], _input['secret_key'], _input['session_token'], _input['region'], _input['args']
session = boto3.session.Session(aws_access_key_id=access_key, aws_secret_access_key=secret_key, aws_session_token=session_token, region_name=region)
s3 = session.client('s3', endpoint_url=endpoint, config=Config(s3={'addressing_style': 'path'}, retries={'max_attempts': 1}))
`;
  const input = JSON.stringify({
    endpoint: server.endpoint,
    access_key: credentials.accessKeyId,
    secret_key: credentials.secretAccessKey,
    session_token: credentials.sessionToken ?? null,
    region: server.region,
    args,
  });
  const result = await run('python3', ['-c', `${prelude}\n${script}`], awsEnv(credentials), input);
  if (result.code !== 0) throw new Error(`python3 exited ${result.code}:\n${result.stderr}`);
  const lines = result.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] ?? 'null') as T;
}
