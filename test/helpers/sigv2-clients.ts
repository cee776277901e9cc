import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import type { SignableRequest } from '../../src/sigv4/index.js';
import { splitUrl } from '../../src/sigv4/split-url.js';

const run = promisify(execFile);

export const V2_ACCESS_KEY = 'AKIDV2EXAMPLE';
export const V2_SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';

/** No user config, no instance metadata: botocore sees only what the test gives it. */
const CLIENT_ENV = {
  PATH: process.env['PATH'] ?? '/usr/bin:/bin',
  HOME: process.env['HOME'] ?? '/tmp',
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  AWS_EC2_METADATA_DISABLED: 'true',
};

export interface ClientCase {
  readonly op: string;
  readonly params: Record<string, unknown>;
  readonly expiresIn?: number;
  /** Header signing: add an x-amz-date header before botocore signs. */
  readonly amzDate?: string;
}

export interface ClientConfig {
  readonly endpoint: string;
  readonly sessionToken?: string;
  readonly addressingStyle?: 'path' | 'virtual';
  /** Omit for botocore's default (SigV2 query auth for a custom endpoint in us-east-1). */
  readonly signatureVersion?: 's3';
  readonly cases: readonly ClientCase[];
}

const PRESIGN_SCRIPT = String.raw`
import json, sys, boto3
from botocore.config import Config
cfg = json.loads(sys.argv[1])
kw = {'s3': {'addressing_style': cfg.get('addressingStyle', 'auto')}, 'retries': {'total_max_attempts': 1}}
if cfg.get('signatureVersion'): kw['signature_version'] = cfg['signatureVersion']
s = boto3.session.Session(aws_access_key_id=cfg['accessKey'], aws_secret_access_key=cfg['secretKey'],
                          aws_session_token=cfg.get('sessionToken'), region_name='us-east-1')
c = s.client('s3', endpoint_url=cfg['endpoint'], config=Config(**kw))
if cfg['mode'] == 'presign':
    print(json.dumps([c.generate_presigned_url(k['op'], Params=k['params'], ExpiresIn=k['expiresIn']) for k in cfg['cases']]))
else:
    for k in cfg['cases']:
        def add_date(request, _d=k.get('amzDate'), **_):
            if _d: request.headers['x-amz-date'] = _d
        c.meta.events.register('before-sign.s3', add_date)
        try:
            getattr(c, k['op'])(**k['params'])
        except Exception as e:  # empty 200 bodies do not parse for every operation; the request was sent
            print(type(e).__name__, file=sys.stderr)
        c.meta.events.unregister('before-sign.s3', add_date)
    print('[]')
`;

async function runBoto(mode: 'presign' | 'call', config: ClientConfig): Promise<string[]> {
  const input = JSON.stringify({ ...config, mode, accessKey: V2_ACCESS_KEY, secretKey: V2_SECRET });
  const { stdout } = await run('python3', ['-c', PRESIGN_SCRIPT, input], { env: CLIENT_ENV, timeout: 60_000 });
  return JSON.parse(stdout) as string[];
}

/** boto3's generate_presigned_url for each case, in order. */
export function botoPresign(config: ClientConfig): Promise<string[]> {
  return runBoto('presign', config);
}

/** `aws s3 presign` (CLI v1). */
export async function cliPresign(s3Uri: string, endpoint: string, expiresIn: number): Promise<string> {
  const env = { ...CLIENT_ENV, AWS_ACCESS_KEY_ID: V2_ACCESS_KEY, AWS_SECRET_ACCESS_KEY: V2_SECRET, AWS_DEFAULT_REGION: 'us-east-1' };
  const { stdout } = await run('aws', ['s3', 'presign', s3Uri, '--endpoint-url', endpoint, '--expires-in', String(expiresIn)], {
    env,
    timeout: 60_000,
  });
  return stdout.trim();
}

/** The requests botocore really sends for each case, caught by a listener on 127.0.0.1 that answers 200 with no body. */
export async function botoCapture(config: Omit<ClientConfig, 'endpoint'>): Promise<SignableRequest[]> {
  const captured: SignableRequest[] = [];
  const server = createServer((req, res) => {
    captured.push(toSignable(req));
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-length': '0' }).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    await runBoto('call', { ...config, endpoint: `http://127.0.0.1:${port}` });
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  return captured;
}

function toSignable(req: IncomingMessage): SignableRequest {
  const headers: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = (req.rawHeaders[i] ?? '').toLowerCase();
    const value = req.rawHeaders[i + 1] ?? '';
    const prior = headers[name];
    headers[name] = prior === undefined ? value : [...(typeof prior === 'string' ? [prior] : prior), value];
  }
  const target = req.url ?? '/';
  const q = target.indexOf('?');
  return { method: req.method ?? 'GET', path: q === -1 ? target : target.slice(0, q), query: q === -1 ? '' : target.slice(q + 1), headers };
}

/** A pre-signed URL as the server sees it: method, wire path and query, Host only. */
export function requestFromUrl(method: string, url: string): SignableRequest {
  const parts = splitUrl(url);
  return { method, path: parts.path, query: parts.query, headers: { host: parts.host } };
}

const CYCLE = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Each one-character change of text[from, to): letters and digits step to the next in CYCLE, anything else becomes 'x'. */
export function oneCharChanges(text: string, from = 0, to = text.length): Array<{ at: number; text: string }> {
  const out: Array<{ at: number; text: string }> = [];
  for (let i = from; i < to; i++) {
    const c = text[i] ?? '';
    const k = CYCLE.indexOf(c);
    const next = k === -1 ? 'x' : (CYCLE[(k + 1) % CYCLE.length] ?? 'x');
    out.push({ at: i, text: text.slice(0, i) + next + text.slice(i + 1) });
  }
  return out;
}

/** Where each name and each value of a raw query sits, for targeted changes. */
export function querySpans(query: string): Array<{ name: string; nameStart: number; valueStart: number; end: number }> {
  const spans: Array<{ name: string; nameStart: number; valueStart: number; end: number }> = [];
  let start = 0;
  for (const part of query.split('&')) {
    const eq = part.indexOf('=');
    const nameEnd = eq === -1 ? start + part.length : start + eq;
    spans.push({ name: part.slice(0, nameEnd - start), nameStart: start, valueStart: eq === -1 ? nameEnd : nameEnd + 1, end: start + part.length });
    start += part.length + 1;
  }
  return spans;
}
