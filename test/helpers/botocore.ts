import { spawn } from 'node:child_process';

/** One botocore/boto3 client, the way the tests configure it: path-style, s3v4, a fixed endpoint. */
export interface BotoConfig {
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
  /** ISO instant botocore's signer must believe it is; omitted: the real clock. */
  readonly now?: string;
}

/** A client method call: method is the Python name (get_object), params as boto3 takes them; a string Body is sent as UTF-8 bytes. */
export interface BotoCall {
  readonly method: string;
  readonly params: Readonly<Record<string, unknown>>;
  /** Presign only; default 900. */
  readonly expiresIn?: number;
}

// botocore.auth imports get_current_datetime by name, so the pin has to replace
// that binding (patching botocore.compat or datetime would not reach it).
const PYTHON = String.raw`
import datetime, json, sys
import boto3, botocore.auth
from botocore.config import Config

job = json.load(sys.stdin)
cfg = job['config']
if cfg.get('now'):
    pinned = datetime.datetime.strptime(cfg['now'], '%Y-%m-%dT%H:%M:%SZ')
    def fixed_now(remove_tzinfo=True):
        return pinned if remove_tzinfo else pinned.replace(tzinfo=datetime.timezone.utc)
    botocore.auth.get_current_datetime = fixed_now
client = boto3.client(
    's3',
    region_name=cfg['region'],
    endpoint_url=cfg['endpoint'],
    aws_access_key_id=cfg['accessKeyId'],
    aws_secret_access_key=cfg['secretAccessKey'],
    aws_session_token=cfg.get('sessionToken'),
    config=Config(signature_version='s3v4', s3={'addressing_style': 'path'}, retries={'max_attempts': 1}),
)
out = []
for call in job['calls']:
    params = dict(call['params'])
    if isinstance(params.get('Body'), str):
        params['Body'] = params['Body'].encode('utf-8')
    if job['mode'] == 'presign':
        out.append(client.generate_presigned_url(call['method'], Params=params, ExpiresIn=call.get('expiresIn', 900)))
    else:
        getattr(client, call['method'])(**params)
        out.append(None)
json.dump(out, sys.stdout)
`;

function runPython(input: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    // Async on purpose: a test's own HTTP listener must keep answering while boto3 talks to it.
    const child = spawn('python3', ['-c', PYTHON], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`python3 exited ${String(code)}: ${Buffer.concat(err).toString()}`));
      else resolve(JSON.parse(Buffer.concat(out).toString()) as unknown);
    });
    child.stdin.end(JSON.stringify(input));
  });
}

export async function botoPresign(config: BotoConfig, calls: readonly BotoCall[]): Promise<string[]> {
  return (await runPython({ mode: 'presign', config, calls })) as string[];
}

/** Make the calls for real against config.endpoint (a test listener). */
export async function boto3Send(config: BotoConfig, calls: readonly BotoCall[]): Promise<void> {
  await runPython({ mode: 'send', config, calls });
}
