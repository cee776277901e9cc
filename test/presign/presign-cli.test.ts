import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { awsEnv, type RunResult } from '../helpers/clients.js';
import '../helpers/sdk-js.js';
import { ROOT_CREDENTIALS } from '../helpers/server.js';
import { serverWithBucket } from '../helpers/server-with-bucket.js';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const BUCKET = 'presign-cli';
let home: string;

const live = serverWithBucket(BUCKET, {
  seed: async (client) => {
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'docs/read me.txt', Body: 'hello from the cli test\n' }));
  },
});
before(() => {
  home = mkdtempSync(join(tmpdir(), 'latchkey-presign-home-'));
});
after(() => {
  rmSync(home, { recursive: true, force: true });
});

function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv, input?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, [...args], { env, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(new Error(`${file} failed to run: ${error.message}`));
      else resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

function latchkey(args: readonly string[], env: NodeJS.ProcessEnv = awsEnv()): Promise<RunResult> {
  return run(process.execPath, ['--import', 'tsx', CLI, 'presign', ...args], env);
}

function presign(args: readonly string[], env?: NodeJS.ProcessEnv): Promise<RunResult> {
  return latchkey([...args, '--endpoint-url', live.server.endpoint], env);
}

/**
 * Recomputes the SigV4 query signature in Python from nothing but the URL's
 * own parameters, the headers the client will send and the secret, following
 * AWS's documented steps with botocore's own canonicalisation helpers where
 * they exist, and says whether it matches X-Amz-Signature.
 */
const VERIFY_PY = String.raw`
import hashlib, hmac, json, sys
from urllib.parse import urlsplit, parse_qsl, quote
job = json.load(sys.stdin)
url = urlsplit(job['url'])
params = parse_qsl(url.query, keep_blank_values=True)
given = dict(params)
signature = given['X-Amz-Signature']
enc = lambda s: quote(s, safe='-_.~')
query = '&'.join(sorted(f'{enc(k)}={enc(v)}' for k, v in params if k != 'X-Amz-Signature'))
headers = {k.lower(): v for k, v in job['headers'].items()}
headers['host'] = url.netloc
signed = given['X-Amz-SignedHeaders'].split(';')
canonical_headers = ''.join(f'{h}:{" ".join(headers[h].split())}\n' for h in signed)
canonical = '\n'.join([job['method'], url.path, query, canonical_headers, ';'.join(signed), 'UNSIGNED-PAYLOAD'])
akid, date, region, service, term = given['X-Amz-Credential'].split('/')
scope = '/'.join([date, region, service, term])
to_sign = '\n'.join(['AWS4-HMAC-SHA256', given['X-Amz-Date'], scope, hashlib.sha256(canonical.encode()).hexdigest()])
def sign(key, msg): return hmac.new(key, msg.encode(), hashlib.sha256).digest()
key = sign(sign(sign(sign(('AWS4' + job['secret']).encode(), date), region), service), term)
computed = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
# botocore's own canonical query encoding must agree with the hand-written one.
from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
auth = SigV4QueryAuth(Credentials(akid, job['secret']), service, region, expires=int(given['X-Amz-Expires']))
unsigned_url = job['url'].split('?')[0] + '?' + '&'.join(p for p in url.query.split('&') if not p.startswith('X-Amz-Signature='))
botocore_query = auth.canonical_query_string(AWSRequest(method=job['method'], url=unsigned_url))
print(json.dumps({'match': hmac.compare_digest(computed, signature), 'region': region, 'akid': akid,
                  'botocoreQueryAgrees': botocore_query == query}))
`;

async function verifyWithPython(method: string, url: string, headers: Record<string, string> = {}): Promise<{ match: boolean; region: string; akid: string; botocoreQueryAgrees: boolean }> {
  const result = await run('python3', ['-c', VERIFY_PY], { PATH: process.env['PATH'], PYTHONWARNINGS: 'ignore' }, JSON.stringify({ method, url, headers, secret: ROOT_CREDENTIALS.secretAccessKey }));
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as { match: boolean; region: string; akid: string; botocoreQueryAgrees: boolean };
}

function curl(args: readonly string[]): Promise<RunResult> {
  return run('curl', ['-sS', '--max-time', '30', ...args], { PATH: process.env['PATH'] });
}

interface JsonOutput {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly expiresAt: string;
}

describe('latchkey presign', () => {
  test('prints a GET link that botocore-style verification accepts and curl can use', async () => {
    const result = await presign(['s3://presign-cli/docs/read me.txt']);
    assert.equal(result.code, 0, result.stderr);
    const url = result.stdout.trim();
    assert.equal(result.stdout, `${url}\n`, 'exactly one line: the link');
    assert.ok(url.startsWith(`${live.server.endpoint}/${BUCKET}/docs/read%20me.txt?`), url);
    const params = new URL(url).searchParams;
    assert.equal(params.get('X-Amz-Expires'), '3600');
    assert.equal(params.get('X-Amz-SignedHeaders'), 'host');
    const verified = await verifyWithPython('GET', url);
    assert.deepEqual(verified, { match: true, region: 'us-east-1', akid: ROOT_CREDENTIALS.accessKeyId, botocoreQueryAgrees: true });
    const fetched = await curl(['-f', url]);
    assert.equal(fetched.code, 0, fetched.stderr);
    assert.equal(fetched.stdout, 'hello from the cli test\n');
  });

  test('the Python check fails on a tampered link (it is a real check)', async () => {
    const result = await presign(['s3://presign-cli/docs/read me.txt']);
    const url = result.stdout.trim().replace('read%20me', 'read%20you');
    assert.equal((await verifyWithPython('GET', url)).match, false);
  });

  test('--method PUT with --content-type and --meta: --json lists the headers; curl uploads with them', async () => {
    const result = await presign([
      's3://presign-cli/up/new.csv',
      '--method', 'PUT',
      '--expires-in', '15m',
      '--content-type', 'text/csv',
      '--meta', 'owner=alice',
      '--meta', 'note=a=b',
      '--json',
    ]);
    assert.equal(result.code, 0, result.stderr);
    const output = JSON.parse(result.stdout) as JsonOutput;
    assert.deepEqual(Object.keys(output).sort(), ['expiresAt', 'headers', 'method', 'url']);
    assert.equal(output.method, 'PUT');
    assert.deepEqual(output.headers, { 'content-type': 'text/csv', 'x-amz-meta-owner': 'alice', 'x-amz-meta-note': 'a=b' });
    const params = new URL(output.url).searchParams;
    assert.equal(params.get('X-Amz-Expires'), '900');
    const expiresAt = Date.parse(output.expiresAt);
    assert.match(output.expiresAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    assert.ok(Math.abs(expiresAt - (Date.now() + 900_000)) < 60_000, output.expiresAt);
    const amzDate = params.get('X-Amz-Date') ?? '';
    const signedAt = Date.UTC(+amzDate.slice(0, 4), +amzDate.slice(4, 6) - 1, +amzDate.slice(6, 8), +amzDate.slice(9, 11), +amzDate.slice(11, 13), +amzDate.slice(13, 15));
    assert.equal(expiresAt, signedAt + 900_000, 'expiresAt is X-Amz-Date plus X-Amz-Expires');
    assert.equal((await verifyWithPython('PUT', output.url, output.headers)).match, true);

    const headerArgs = Object.entries(output.headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]);
    const missing = await curl(['-o', '/dev/null', '-w', '%{http_code}', '-X', 'PUT', '--data-binary', 'a,b\n', output.url]);
    assert.equal(missing.stdout, '403', 'without the signed headers the link refuses');
    const uploaded = await curl(['-f', '-X', 'PUT', ...headerArgs, '--data-binary', 'a,b\n1,2\n', output.url]);
    assert.equal(uploaded.code, 0, uploaded.stderr);
    const head = await live.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'up/new.csv' }));
    assert.equal(head.ContentType, 'text/csv');
    assert.deepEqual(head.Metadata, { owner: 'alice', note: 'a=b' });
    assert.equal(head.ContentLength, 8);
  });

  test('without --json, the headers to send are noted on stderr and stdout stays the bare link', async () => {
    const result = await presign(['s3://presign-cli/up/x.txt', '--method', 'put', '--content-type', 'text/plain']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim().split('\n').length, 1);
    assert.match(result.stderr, /content-type: text\/plain/);
  });

  test('durations: seconds, m, h and exactly 7 days; 8 days exits 2 with a clear message', async () => {
    for (const [text, seconds] of [['900', '900'], ['12h', '43200'], ['7d', '604800'], ['604800', '604800']] as const) {
      const result = await presign(['s3://presign-cli/k', '--expires-in', text]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(new URL(result.stdout.trim()).searchParams.get('X-Amz-Expires'), seconds, text);
    }
    for (const text of ['8d', '604801', '169h']) {
      const result = await presign(['s3://presign-cli/k', '--expires-in', text]);
      assert.equal(result.code, 2, text);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, /longer than 7 days \(604800 seconds\)/);
    }
    const nonsense = await presign(['s3://presign-cli/k', '--expires-in', 'soon']);
    assert.equal(nonsense.code, 2);
  });

  test('--max-uses, --source-ip and response overrides become signed parameters', async () => {
    const result = await presign(['s3://presign-cli/docs/read me.txt', '--max-uses', '2', '--source-ip', '127.0.0.1/32', '--response-content-disposition', 'attachment; filename="r.txt"', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const { url } = JSON.parse(result.stdout) as JsonOutput;
    const params = new URL(url).searchParams;
    assert.equal(params.get('X-Latchkey-Max-Uses'), '2');
    assert.equal(params.get('X-Latchkey-Source-Ip'), '127.0.0.1/32');
    assert.equal(params.get('response-content-disposition'), 'attachment; filename="r.txt"');
    assert.equal((await verifyWithPython('GET', url)).match, true);
    const fetched = await curl(['-f', '-D', '-', '-o', '/dev/null', url]);
    assert.equal(fetched.code, 0, fetched.stderr);
    assert.match(fetched.stdout, /content-disposition: attachment; filename="r.txt"/i);
  });

  test('credentials, region and profile are resolved as for the aws CLI', async () => {
    const credentials = join(home, 'credentials');
    writeFileSync(credentials, `[other]\naws_access_key_id = AKIDPROFILEONLY00001\naws_secret_access_key = profile-secret\n`);
    // No key in the environment: only the profile can supply one.
    const { AWS_ACCESS_KEY_ID: _id, AWS_SECRET_ACCESS_KEY: _secret, ...rest } = awsEnv();
    const env = { ...rest, AWS_SHARED_CREDENTIALS_FILE: credentials };
    const result = await presign(['s3://presign-cli/k', '--profile', 'other', '--region', 'eu-west-1'], env);
    assert.equal(result.code, 0, result.stderr);
    const credential = new URL(result.stdout.trim()).searchParams.get('X-Amz-Credential') ?? '';
    assert.match(credential, /^AKIDPROFILEONLY00001\/\d{8}\/eu-west-1\/s3\/aws4_request$/);
    const missing = await presign(['s3://presign-cli/k', '--profile', 'nobody'], env);
    assert.equal(missing.code, 2);
  });

  test('usage errors exit 2: bad URI, bad method, upload options on a GET, unknown flag; --help exits 0', async () => {
    for (const args of [['presign-cli/k'], ['s3://presign-cli'], ['s3://presign-cli/k', '--method', 'POST'], ['s3://presign-cli/k', '--meta', 'a=b'], ['s3://presign-cli/k', '--bogus'], []]) {
      const result = await presign(args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /^latchkey: /);
    }
    const help = await latchkey(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /latchkey presign s3:\/\/BUCKET\/KEY/);
  });
});
