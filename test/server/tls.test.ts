import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { awsEnv, run } from '../helpers/clients.js';
import { loggedLines, ROOT_CREDENTIALS, startServer, type TestServer } from '../helpers/server.js';

const CLI = new URL('../../src/cli.ts', import.meta.url).pathname;
let dir: string;
let server: TestServer;
let certFile: string;
let keyFile: string;
/** The certificate clients trust: the first one made (the rotated one is issued by the same CA). */
let caFile: string;

/** A CA, and a server certificate for localhost and 127.0.0.1 it signs (openssl, at test time). */
function makeCa(name: string): void {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', `/CN=${name}`,
    '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.pem`)], { stdio: 'ignore' });
}
function makeServerCert(ca: string, name: string): void {
  execFileSync('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${name}`,
    '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.csr`)], { stdio: 'ignore' });
  writeFileSync(join(dir, `${name}.ext`), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  execFileSync('openssl', ['x509', '-req', '-in', join(dir, `${name}.csr`), '-CA', join(dir, `${ca}.pem`), '-CAkey', join(dir, `${ca}.key`),
    '-CAcreateserial', '-days', '2', '-extfile', join(dir, `${name}.ext`), '-out', join(dir, `${name}.pem`)], { stdio: 'ignore' });
}

/** The SHA-256 fingerprint of the certificate a new connection is served. */
function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.end();
    });
    socket.once('error', reject);
  });
}
function fingerprintOf(file: string): string {
  return execFileSync('openssl', ['x509', '-in', file, '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' }).trim().split('=')[1] ?? '';
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'latchkey-tls-'));
  makeCa('ca');
  makeServerCert('ca', 'first');
  makeServerCert('ca', 'second');
  caFile = join(dir, 'ca.pem');
  certFile = join(dir, 'server.pem');
  keyFile = join(dir, 'server.key');
  copyFileSync(join(dir, 'first.pem'), certFile);
  copyFileSync(join(dir, 'first.key'), keyFile);
  server = await startServer({ args: ['--tls-cert', certFile], env: { LATCHKEY_TLS_KEY: keyFile } });
});
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const curl = (args: readonly string[]) => run('curl', ['-sS', '--cacert', caFile, ...args], process.env);

describe('TLS on the S3 port and the console (--tls-cert, --tls-key)', () => {
  it('prints https:// endpoints for S3 and the console', async () => {
    assert.match(server.endpoint, /^https:\/\/127\.0\.0\.1:\d+$/);
    const [consoleLine] = await loggedLines(server, (l) => l.includes('"msg":"console"'));
    assert.match(consoleLine ?? '', /"console":"https:\/\/127\.0\.0\.1:\d+"/);
  });

  it('the aws CLI (--ca-bundle) creates a bucket, copies an object up and down, and its presigned link works in curl', async () => {
    const aws = (args: readonly string[]) => run('aws', ['--endpoint-url', server.endpoint, '--ca-bundle', caFile, ...args], awsEnv());
    const mb = await aws(['s3', 'mb', 's3://secure']);
    assert.equal(mb.code, 0, mb.stderr);
    const local = join(dir, 'upload.txt');
    writeFileSync(local, 'over https\n');
    assert.equal((await aws(['s3', 'cp', local, 's3://secure/cli.txt'])).code, 0);
    const down = await aws(['s3', 'cp', 's3://secure/cli.txt', '-']);
    assert.equal(down.stdout, 'over https\n');
    const presigned = await aws(['s3', 'presign', 's3://secure/cli.txt', '--expires-in', '300']);
    assert.match(presigned.stdout, /^https:\/\/127\.0\.0\.1:/);
    const fetched = await curl(['-f', presigned.stdout.trim()]);
    assert.equal(fetched.code, 0, fetched.stderr);
    assert.equal(fetched.stdout, 'over https\n');
  });

  it('boto3 (verify=CA) puts and gets, and its SigV4 presigned link verifies over HTTPS', async () => {
    const script = `
import boto3, json, sys, urllib.request, ssl
from botocore.config import Config
s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1', verify=sys.argv[2], config=Config(signature_version='s3v4', s3={'addressing_style': 'path'}))
s3.put_object(Bucket='secure', Key='boto.txt', Body=b'from boto3')
body = s3.get_object(Bucket='secure', Key='boto.txt')['Body'].read().decode()
url = s3.generate_presigned_url('get_object', Params={'Bucket': 'secure', 'Key': 'boto.txt'}, ExpiresIn=300)
linked = urllib.request.urlopen(url, context=ssl.create_default_context(cafile=sys.argv[2])).read().decode()
print(json.dumps({'body': body, 'url': url, 'linked': linked}))
`;
    const result = await run('python3', ['-c', script, server.endpoint, caFile], awsEnv());
    assert.equal(result.code, 0, result.stderr);
    const out = JSON.parse(result.stdout) as { body: string; url: string; linked: string };
    assert.equal(out.body, 'from boto3');
    assert.match(out.url, /^https:/);
    assert.equal(out.linked, 'from boto3');
  });

  it('the JS SDK (an https agent trusting the CA) puts and gets, and getSignedUrl makes a link curl can fetch', async () => {
    const client = new S3Client({
      endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: ROOT_CREDENTIALS, maxAttempts: 1,
      requestHandler: { httpsAgent: new Agent({ ca: readFileSync(caFile) }) },
    });
    try {
      await client.send(new PutObjectCommand({ Bucket: 'secure', Key: 'sdk.txt', Body: 'from the sdk' }));
      const got = await client.send(new GetObjectCommand({ Bucket: 'secure', Key: 'sdk.txt' }));
      assert.equal(await got.Body?.transformToString(), 'from the sdk');
      const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: 'secure', Key: 'sdk.txt' }), { expiresIn: 300 });
      const fetched = await curl(['-f', url]);
      assert.equal(fetched.stdout, 'from the sdk');
    } finally {
      client.destroy();
    }
  });

  it('latchkey presign makes https links that verify; a tampered one is refused', async () => {
    const env = { ...awsEnv(), NODE_EXTRA_CA_CERTS: caFile };
    const presigned = await run(process.execPath, ['--import', 'tsx', CLI, 'presign', 's3://secure/sdk.txt', '--endpoint-url', server.endpoint, '--expires-in', '15m'], env);
    assert.equal(presigned.code, 0, presigned.stderr);
    const url = presigned.stdout.trim();
    assert.match(url, /^https:\/\/127\.0\.0\.1:\d+\/secure\/sdk\.txt\?/);
    assert.equal((await curl(['-f', url])).stdout, 'from the sdk');
    const tampered = await curl(['-w', '%{http_code}', '-o', '/dev/null', url.replace('sdk.txt', 'cli.txt')]);
    assert.equal(tampered.stdout, '403');
  });

  it('the console serves HTTPS and reaches S3 over it: sign in, list buckets, share a link that works', async () => {
    const [consoleLine] = await loggedLines(server, (l) => l.includes('"msg":"console"'));
    const origin = /"console":"([^"]+)"/.exec(consoleLine ?? '')?.[1] ?? '';
    const jar = join(dir, 'cookies.txt');
    const call = (method: string, path: string, body?: unknown, csrf = '') =>
      curl(['-b', jar, '-c', jar, '-X', method, '-H', `origin: ${origin}`, '-H', `x-latchkey-csrf: ${csrf}`, '-H', 'content-type: application/json',
        ...(body === undefined ? [] : ['--data', JSON.stringify(body)]), `${origin}${path}`]);
    const signIn = await call('POST', '/api/session', { accessKeyId: ROOT_CREDENTIALS.accessKeyId, secretAccessKey: ROOT_CREDENTIALS.secretAccessKey });
    assert.equal(signIn.code, 0, signIn.stderr);
    const session = JSON.parse((await call('GET', '/api/session')).stdout) as { csrfToken: string };
    const list = await call('GET', '/s3/');
    assert.match(list.stdout, /<Name>secure<\/Name>/);
    const shared = JSON.parse((await call('POST', '/api/share', { bucket: 'secure', key: 'boto.txt', expiresIn: 600 }, session.csrfToken)).stdout) as { url: string };
    assert.match(shared.url, /^https:\/\/127\.0\.0\.1:/);
    assert.equal((await curl(['-f', shared.url])).stdout, 'from boto3');
  });

  it('plain HTTP to the TLS port gets 400 "Client sent an HTTP request to an HTTPS server." and the server keeps serving', async () => {
    const plain = await run('curl', ['-sS', '-i', server.endpoint.replace('https:', 'http:') + '/_latchkey/health/live'], process.env);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /^HTTP\/1\.0 400 Bad Request\r\n/);
    assert.match(plain.stdout, /Client sent an HTTP request to an HTTPS server\.\n$/);
    assert.equal((await curl(['-f', `${server.endpoint}/_latchkey/health/live`])).code, 0);
  });

  it('SIGHUP rotates the certificate for new connections; a broken pair is refused with a log line and the old one kept', async () => {
    const port = Number(new URL(server.endpoint).port);
    assert.equal(await servedFingerprint(port), fingerprintOf(join(dir, 'first.pem')));
    copyFileSync(join(dir, 'second.pem'), certFile);
    copyFileSync(join(dir, 'second.key'), keyFile);
    server.process.kill('SIGHUP');
    assert.equal((await loggedLines(server, (l) => l.includes('TLS certificate reloaded'))).length, 1);
    assert.equal(await servedFingerprint(port), fingerprintOf(join(dir, 'second.pem')));
    assert.equal((await curl(['-f', `${server.endpoint}/_latchkey/health/ready`])).code, 0);

    // The first certificate with the second key: not a pair.
    copyFileSync(join(dir, 'first.pem'), certFile);
    server.process.kill('SIGHUP');
    const [refused] = await loggedLines(server, (l) => l.includes('TLS certificate not reloaded'));
    assert.match(refused ?? '', /"level":"error"/);
    assert.equal(await servedFingerprint(port), fingerprintOf(join(dir, 'second.pem')));
    assert.equal((await curl(['-f', `${server.endpoint}/_latchkey/health/live`])).code, 0);
  });

  it('refuses to start with a key that does not match the certificate', async () => {
    const result = await run(process.execPath, ['--import', 'tsx', CLI, 'server', '--address', '127.0.0.1:0', '--data', join(dir, 'never'),
      '--tls-cert', join(dir, 'first.pem'), '--tls-key', join(dir, 'second.key')], process.env, undefined, 30_000);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /key values mismatch|KEY_VALUES_MISMATCH/i);
  });
});
