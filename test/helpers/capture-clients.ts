import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const CAPTURE_CREDENTIALS = { accessKeyId: 'AKIDCHUNKEDTEST', secretAccessKey: 'chunked/test+secret' } as const;
export const CAPTURE_BUCKET = 'bucket';
export const CAPTURE_REGION = 'us-east-1';

export interface Boto3Job {
  readonly op: 'put_object' | 'upload_fileobj';
  readonly key: string;
  readonly file: string;
  /** ChecksumAlgorithm; botocore's default (CRC32) when absent. */
  readonly checksum?: string;
}

const BOTO3_SCRIPT = `
import json, sys, urllib3
import boto3
from botocore.config import Config
urllib3.disable_warnings()
endpoint, creds, bucket, region, jobs = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], sys.argv[4], json.loads(sys.argv[5])
s3 = boto3.client('s3', endpoint_url=endpoint, region_name=region, verify=False,
    aws_access_key_id=creds['accessKeyId'], aws_secret_access_key=creds['secretAccessKey'],
    config=Config(retries={'max_attempts': 1}, s3={'addressing_style': 'path'}))
for job in jobs:
    extra = {'ChecksumAlgorithm': job['checksum']} if job.get('checksum') else {}
    with open(job['file'], 'rb') as f:
        if job['op'] == 'put_object':
            s3.put_object(Bucket=bucket, Key=job['key'], Body=f.read(), **extra)
        else:
            s3.upload_fileobj(f, bucket, job['key'], ExtraArgs=extra)
`;

/** Runs the jobs in one python3 process with boto3's defaults (over https they mean aws-chunked). */
export async function runBoto3(endpoint: string, jobs: readonly Boto3Job[]): Promise<void> {
  await run('python3', ['-c', BOTO3_SCRIPT, endpoint, JSON.stringify(CAPTURE_CREDENTIALS), CAPTURE_BUCKET, CAPTURE_REGION, JSON.stringify(jobs)], {
    env: isolatedAwsEnv(),
    timeout: 60_000,
  });
}

/** `aws <args>` against the endpoint, certificate checks off, no user config read. */
export async function runAwsCli(endpoint: string, args: readonly string[]): Promise<void> {
  await run('aws', ['--no-verify-ssl', '--endpoint-url', endpoint, ...args], { env: isolatedAwsEnv(), timeout: 60_000 });
}

function isolatedAwsEnv(): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
  return {
    ...inherited,
    AWS_ACCESS_KEY_ID: CAPTURE_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CAPTURE_CREDENTIALS.secretAccessKey,
    AWS_DEFAULT_REGION: CAPTURE_REGION,
    AWS_CONFIG_FILE: '/nonexistent/latchkey-aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/latchkey-aws-credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
    PYTHONWARNINGS: 'ignore',
  };
}
