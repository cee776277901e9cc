/**
 * Server CPU per small request (pre-signed HEAD, GET 4 KiB, PUT 4 KiB), A/B:
 * one server per build (this checkout's dist, and with `--baseline DIST` a
 * copy of another build's), each pinned to the server core, driven in turn by
 * the same keep-alive loader; CPU is the server's utime+stime from /proc.
 * Rates on a shared machine follow its load; CPU per request much less so.
 *
 *   node dist/bench/cpu-per-request.js [--baseline /tmp/base/dist] [--requests 20000] [--warmup 2000] [--rounds 3]
 *     [--methods HEAD,GET,PUT] [--connections 32] [--signer user|root] [--profile DIR]
 *
 * `--profile DIR` starts every server with `--cpu-prof` (profiles written to DIR on exit).
 * Prints one line per round and side, then each side's per-method range and median.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { nodeCrypto } from '../src/sigv4/node-crypto.js';
import { presign } from '../src/sigv4/sign.js';
import { median, ROOT, settle, startPinnedServer, type Proc } from './harness.js';

const exec = promisify(execFile);
const ROOT_KEYS = { accessKeyId: 'LKBENCHROOTKEY000001', secretAccessKey: 'bench-secret-key-0000000000000000000000' };
type Keys = typeof ROOT_KEYS;
type Method = 'HEAD' | 'GET' | 'PUT';
const BODY = Buffer.alloc(4096, 'b');
const TICK_MS = 10;

const { values: opts } = parseArgs({
  options: {
    baseline: { type: 'string' },
    requests: { type: 'string', default: '20000' },
    warmup: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '3' },
    methods: { type: 'string', default: 'HEAD,GET,PUT' },
    connections: { type: 'string', default: '32' },
    signer: { type: 'string', default: 'user' },
    profile: { type: 'string' },
  },
});
const REQUESTS = Number(opts.requests);
const WARMUP = Number(opts.warmup);
const ROUNDS = Number(opts.rounds);
const CONNECTIONS = Number(opts.connections);
const METHODS = (opts.methods ?? '').split(',') as Method[];

function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return Number(fields[11]) + Number(fields[12]);
}

interface Side {
  name: string;
  dist: string;
  server: Proc & { endpoint: string };
  keys: Keys;
  dataDir: string;
  cpu: Record<Method, number[]>;
}

async function startSide(name: string, dist: string, work: string): Promise<Side> {
  const dataDir = join(work, `data-${name}`);
  const cli = join(dist, 'src/cli.js');
  const prof = opts.profile === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', resolve(opts.profile), '--cpu-prof-name', `${name}-${Date.now()}.cpuprofile`];
  const server = await startPinnedServer(name, [...prof, cli, 'server', '--address', '127.0.0.1:0', '--data', dataDir], /"msg":"listening","endpoint":"([^"]+)"/, {
    ...process.env,
    LATCHKEY_ROOT_ACCESS_KEY: ROOT_KEYS.accessKeyId,
    LATCHKEY_ROOT_SECRET_KEY: ROOT_KEYS.secretAccessKey,
  });
  const keys = opts.signer === 'root' ? ROOT_KEYS : await benchUser(cli, server.endpoint);
  await send(server.endpoint, 'PUT', 'bench', ROOT_KEYS, undefined);
  await send(server.endpoint, 'PUT', 'bench/small.bin', keys, BODY);
  return { name, dist, server, keys, dataDir, cpu: { HEAD: [], GET: [], PUT: [] } };
}

/** A user whose identity policy grants object reads and writes in the bench bucket: the policy is evaluated per request. */
async function benchUser(cli: string, endpoint: string): Promise<Keys> {
  const env = { ...process.env, AWS_ACCESS_KEY_ID: ROOT_KEYS.accessKeyId, AWS_SECRET_ACCESS_KEY: ROOT_KEYS.secretAccessKey };
  const latchkey = (args: string[], input?: string) => {
    const child = exec(process.execPath, [cli, ...args, '--endpoint-url', endpoint], { env });
    if (input !== undefined) child.child.stdin?.end(input);
    return child;
  };
  await latchkey(['user', 'add', 'bench']);
  const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: ['arn:aws:s3:::bench/*'] }] };
  await latchkey(['policy', 'create', 'bench-rw', '-'], JSON.stringify(policy));
  await latchkey(['policy', 'attach', 'bench-rw', '--user', 'bench']);
  const { stdout } = await latchkey(['key', 'create', 'bench', '--json']);
  const key = JSON.parse(stdout) as { accessKeyId: string; secretAccessKey: string };
  return { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey };
}

function presigned(endpoint: string, method: string, path: string, keys: Keys): string {
  return presign({ method, url: `${endpoint}/${path}`, credentials: keys, region: 'us-east-1', now: Date.now(), expiresIn: 3600, crypto: nodeCrypto }).url;
}

function send(endpoint: string, method: string, path: string, keys: Keys, body: Buffer | undefined, agent?: Agent): Promise<void> {
  return once(presigned(endpoint, method, path, keys), method, body, agent);
}

function once(url: string, method: string, body: Buffer | undefined, agent?: Agent): Promise<void> {
  return new Promise((done, fail) => {
    const req = request(url, { method, agent: agent ?? false, headers: body ? { 'content-length': String(body.length) } : {} }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode !== undefined && res.statusCode < 300 ? done() : fail(new Error(`${method} ${url}: ${res.statusCode}`))));
    });
    req.on('error', fail);
    req.end(body);
  });
}

/** Sends REQUESTS requests over CONNECTIONS keep-alive connections; returns the server's CPU ms per request. */
async function load(side: Side, method: Method, round: number, count = REQUESTS): Promise<{ cpu: number; rate: number }> {
  const urls =
    method === 'PUT'
      ? Array.from({ length: count }, (_, i) => presigned(side.server.endpoint, 'PUT', `bench/put/${round}/${i}`, side.keys))
      : [presigned(side.server.endpoint, method, 'bench/small.bin', side.keys)];
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  // The connections are opened (and the server's code warmed) before the count starts.
  await Promise.all(Array.from({ length: CONNECTIONS }, () => once(presigned(side.server.endpoint, 'HEAD', 'bench/small.bin', side.keys), 'HEAD', undefined, agent)));
  await settle(side.server.pid);
  let next = 0;
  const before = cpuTicks(side.server.pid);
  const started = performance.now();
  const worker = async () => {
    while (next < count) {
      const i = next++;
      await once(urls[i % urls.length] ?? '', method, method === 'PUT' ? BODY : undefined, agent);
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  const seconds = (performance.now() - started) / 1000;
  const ticks = cpuTicks(side.server.pid) - before;
  agent.destroy();
  return { cpu: (ticks * TICK_MS) / count, rate: count / seconds };
}

const fmt = (values: number[]) => `${[...values].sort((a, b) => a - b).map((v) => v.toFixed(3)).join(' ')}  (median ${median(values).toFixed(3)})`;

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'latchkey-cpu-'));
  const sides: Side[] = [];
  try {
    sides.push(await startSide('B', join(ROOT, 'dist'), work));
    if (opts.baseline !== undefined) sides.unshift(await startSide('A', resolve(opts.baseline), work));
    // A JIT warm-up of every path on every side, not counted.
    for (const side of sides) for (const method of METHODS) await load(side, method, -1, WARMUP);
    for (let round = 0; round < ROUNDS; round++) {
      for (const method of METHODS) {
        for (const side of round % 2 === 0 ? sides : [...sides].reverse()) {
          const { cpu, rate } = await load(side, method, round);
          side.cpu[method].push(cpu);
          process.stdout.write(`round ${round} ${side.name} ${method.padEnd(4)} ${cpu.toFixed(3)} ms CPU/req  ${rate.toFixed(0)}/s\n`);
        }
      }
    }
    for (const method of METHODS) for (const side of sides) process.stdout.write(`${side.name} ${method.padEnd(4)} ${fmt(side.cpu[method])}\n`);
  } finally {
    for (const side of sides) {
      side.server.child.kill('SIGINT');
      await new Promise((r) => side.server.child.once('exit', r));
    }
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
