/**
 * Latchkey as the bench drives it: the root credentials (and a user's),
 * pre-signed URLs and lists of them for wrk, and a server started as a
 * build's own `npm start` starts it (the entry point has moved over time, and
 * the A/B mode starts older commits' builds too).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { STREAMING_UNSIGNED_TRAILER } from '../src/sigv4/chunked.js';
import { nodeCrypto } from '../src/sigv4/node-crypto.js';
import { presign } from '../src/sigv4/sign.js';
import { ROOT, run, startPinnedServer, type Proc } from './harness.js';

export const CREDENTIALS = { accessKeyId: 'LKBENCHROOTKEY000001', secretAccessKey: 'bench-secret-key-0000000000000000000000' };
export type Credentials = typeof CREDENTIALS;
export const KIB4 = 4096;
const LUA = join(ROOT, 'bench/lua');

/**
 * The node arguments of the build in `root`'s `npm start` ("node <entry> server"), its script paths made absolute:
 * `dist/src/latchkey.cjs` now, which sizes libuv's thread pool before anything loads; `dist/src/cli.js` earlier.
 * A `root` with no package.json is a copy of a build's `dist`: its entry is the first of those two it holds.
 */
function startArgs(root: string): string[] {
  if (!existsSync(join(root, 'package.json'))) {
    const entry = ['src/latchkey.cjs', 'src/cli.js'].map((path) => join(root, path)).find((path) => existsSync(path));
    if (entry === undefined) throw new Error(`${root}: neither a checkout (package.json) nor a build's dist (src/latchkey.cjs or src/cli.js)`);
    return [entry, 'server'];
  }
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts?: { start?: string } };
  const [node, ...args] = (pkg.scripts?.start ?? '').trim().split(/\s+/);
  if (node !== 'node' || !args.some((arg) => /\.[cm]?js$/.test(arg))) throw new Error(`${root}/package.json: "start" is not "node <entry> ...": ${pkg.scripts?.start}`);
  return args.map((arg) => (/\.[cm]?js$/.test(arg) ? join(root, arg) : arg));
}

/** The build's `latchkey` command: its start arguments up to the entry script. */
const cliArgs = (root: string): string[] => {
  const args = startArgs(root);
  return args.slice(0, args.findIndex((arg) => /\.[cm]?js$/.test(arg)) + 1);
};

/**
 * A Latchkey server of the build in `root` (this one by default) on the server core, with the bench's root credentials;
 * `nodeArgs` go to node before the entry script (`--cpu-prof ...`).
 */
export function startLatchkey(dataDir: string, args: readonly string[] = [], root = ROOT, nodeArgs: readonly string[] = []): Promise<Proc & { endpoint: string }> {
  return startPinnedServer('latchkey', [...nodeArgs, ...startArgs(root), '--address', '127.0.0.1:0', '--data', dataDir, ...args], /"msg":"listening","endpoint":"([^"]+)"/, {
    ...process.env,
    LATCHKEY_ROOT_ACCESS_KEY: CREDENTIALS.accessKeyId,
    LATCHKEY_ROOT_SECRET_KEY: CREDENTIALS.secretAccessKey,
  });
}

/**
 * A user "bench" whose one identity policy grants object reads and writes in the bench bucket, made with the build's
 * own CLI against its server; its new key. Requests signed with it read the key, the user and its policies and evaluate
 * them, as links in real use do (root's skip policy evaluation).
 */
export async function benchUser(endpoint: string, root = ROOT): Promise<Credentials> {
  const env = { ...process.env, AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey };
  const latchkey = (args: string[], input?: string) => {
    const child = run(process.execPath, [...cliArgs(root), ...args, '--endpoint-url', endpoint], { env });
    if (input !== undefined) child.child.stdin?.end(input);
    return child;
  };
  await latchkey(['user', 'add', 'bench']);
  const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: ['arn:aws:s3:::bench/*'] }] };
  await latchkey(['policy', 'create', 'bench-rw', '-'], JSON.stringify(policy));
  await latchkey(['policy', 'attach', 'bench-rw', '--user', 'bench']);
  const key = JSON.parse((await latchkey(['key', 'create', 'bench', '--json'])).stdout) as Credentials;
  return { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey };
}

export interface PresignOptions {
  credentials?: Credentials;
  expiresIn?: number;
  now?: number;
  /** An aws-chunked body of this decoded size with a CRC32 trailer: the URL signs X-Amz-Content-Sha256 and the headers that say so. */
  chunked?: number;
}

export function presigned(endpoint: string, method: string, key: string, options: PresignOptions = {}): string {
  const chunked = options.chunked;
  const url = `${endpoint}/bench/${key}${chunked === undefined ? '' : `?X-Amz-Content-Sha256=${STREAMING_UNSIGNED_TRAILER}`}`;
  return presign({
    method, url, credentials: options.credentials ?? CREDENTIALS, region: 'us-east-1', now: options.now ?? Date.now(), expiresIn: options.expiresIn ?? 3600, crypto: nodeCrypto,
    ...(chunked === undefined
      ? {}
      : { payloadHash: STREAMING_UNSIGNED_TRAILER, headers: { 'x-amz-decoded-content-length': String(chunked), 'x-amz-trailer': 'x-amz-checksum-crc32' } }),
  }).url;
}

/** A file of `count` pre-signed PUTs to keys of their own (put/0, put/1, ...) for bench/lua/url-list.lua. */
export function putList(endpoint: string, file: string, count: number, credentials = CREDENTIALS): string {
  writeFileSync(file, Array.from({ length: count }, (_, i) => `PUT ${presigned(endpoint, 'PUT', `put/${i}`, { credentials }).replace(endpoint, '')}`).join('\n'));
  return file;
}

/** wrk's options for a URL list of 4 KiB PUTs, 64 connections. */
export const urlList = (file: string) => ({ connections: 64, script: join(LUA, 'url-list.lua'), scriptArgs: [file, String(KIB4)] });

/** A 403 for a bad signature: the URL's last signature digit changed. */
export const tampered = (url: string): string => `${url.slice(0, -1)}${url.endsWith('0') ? '1' : '0'}`;
