/**
 * `npm run bench`: Latchkey against nginx (one worker, Debian's nginx-light)
 * on the same machine in the same run. The server under test is pinned to
 * CPU 0, every load generator to CPU 1, so the figures are ratios of two
 * servers given one core each. Not a test: it prints figures and exits 0.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { nodeCrypto } from '../src/sigv4/node-crypto.js';
import { presign } from '../src/sigv4/sign.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'dist/src/cli.js');
const LUA = join(ROOT, 'bench/lua');
const SERVER_CPU = '0';
const LOAD_CPU = '1';
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 5);
const WARMUP_SECONDS = 1;
const LIST_OFFSET = 60_000;
const CREDENTIALS = { accessKeyId: 'LKBENCHROOTKEY000001', secretAccessKey: 'bench-secret-key-0000000000000000000000' };
const KIB4 = 4096;
const MIB64 = 64 * 1024 * 1024;

interface Figure {
  ops: number;
  seconds: number;
  mbps: number;
  p50: number;
  p99: number;
  cpuMsPerOp: number;
  /** Failed requests (wrk counts them as requests too): printed with the row. */
  note?: string;
}

interface Proc {
  pid: number;
  child: ChildProcess;
}

function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return Number(fields[11]) + Number(fields[12]);
}

/** Starts the peak RSS (VmHWM) over from the current RSS (Linux, writing 5 to clear_refs); false where not allowed. */
function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const TICK_MS = 10; // USER_HZ = 100 on Linux

/**
 * Waits (up to 10 s) until the process has used under 5% of a core for a
 * quarter of a second: background work a phase leaves behind (a WAL
 * checkpoint after thousands of PUTs) is not charged to the next phase.
 */
async function settle(pid: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const before = cpuTicks(pid);
    await new Promise((r) => setTimeout(r, 250));
    if ((cpuTicks(pid) - before) * TICK_MS < 250 * 0.05) return;
  }
}

/** CPU per op of one server process, or of several (nodes behind a balancer) summed. */
async function measure(pids: number | readonly number[], body: () => Promise<Omit<Figure, 'cpuMsPerOp'>>): Promise<Figure> {
  const all = typeof pids === 'number' ? [pids] : pids;
  const ticksNow = () => all.reduce((sum, pid) => sum + cpuTicks(pid), 0);
  const before = ticksNow();
  const figure = await body();
  const ticks = ticksNow() - before;
  return { ...figure, cpuMsPerOp: figure.ops > 0 ? (ticks * TICK_MS) / figure.ops : NaN };
}

function parseDuration(text: string): number {
  const m = /([\d.]+)(us|ms|s|m)/.exec(text);
  if (!m) return NaN;
  const value = Number(m[1]);
  return m[2] === 'us' ? value / 1000 : m[2] === 's' ? value * 1000 : m[2] === 'm' ? value * 60_000 : value;
}

async function wrk(url: string, options: { connections: number; script?: string; scriptArgs?: string[]; seconds?: number }): Promise<Omit<Figure, 'cpuMsPerOp'>> {
  const args = ['-c', LOAD_CPU, 'wrk', '-t1', `-c${options.connections}`, `-d${options.seconds ?? SECONDS}s`, '--latency'];
  if (options.script) args.push('-s', options.script);
  args.push(url);
  if (options.scriptArgs) args.push('--', ...options.scriptArgs);
  const { stdout } = await run('taskset', args, { maxBuffer: 16 * 1024 * 1024 });
  const requests = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? NaN);
  const seconds = parseDuration(/requests in ([\d.]+\w+)/.exec(stdout)?.[1] ?? '') / 1000;
  const bytes = /requests in [\d.]+\w+, ([\d.]+)(\w+) read/.exec(stdout);
  const unit: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };
  const readBytes = bytes ? Number(bytes[1]) * (unit[bytes[2] ?? 'B'] ?? 1) : 0;
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
  const errors = /Socket errors: (.*)/.exec(stdout)?.[1];
  return {
    ops: requests,
    seconds,
    mbps: readBytes / 1024 ** 2 / seconds,
    // Anchored: a "+/- Stdev" column such as "62.50%" also contains "50%".
    p50: parseDuration(/^\s*50%\s+(\S+)/m.exec(stdout)?.[1] ?? ''),
    p99: parseDuration(/^\s*99%\s+(\S+)/m.exec(stdout)?.[1] ?? ''),
    ...(non2xx > 0 || errors ? { note: `non-2xx ${non2xx}${errors ? `, socket errors ${errors}` : ''}` } : {}),
  };
}

async function nodeLoad(script: string, args: unknown): Promise<{ ops: number; seconds: number; bytes?: number; p50: number; p99: number }> {
  const { stdout } = await run('taskset', ['-c', LOAD_CPU, process.execPath, join(ROOT, 'dist/bench', script), JSON.stringify(args)], { maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { ops: number; seconds: number; bytes?: number; p50: number; p99: number };
}

/**
 * A Node server pinned to the server core, once it printed the line `ready`
 * matches (group 1: its endpoint). taskset execs node in place: the pid is
 * the server's. Its stdout is drained afterwards: request logs would make the
 * benchmark measure the pipe.
 */
async function startPinnedServer(name: string, args: string[], ready: RegExp, env?: NodeJS.ProcessEnv): Promise<Proc & { endpoint: string }> {
  const child = spawn('taskset', ['-c', SERVER_CPU, process.execPath, ...args], { env: env ?? process.env, stdio: ['ignore', 'pipe', 'inherit'] });
  return serverReady(name, child, ready);
}

async function serverReady(name: string, child: ChildProcess, ready: RegExp): Promise<Proc & { endpoint: string }> {
  const endpoint = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const m = ready.exec(buffered);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`${name} exited ${code}`)));
  });
  child.stdout?.resume();
  return { pid: child.pid ?? 0, child, endpoint };
}

const LISTENING = /"msg":"listening","endpoint":"([^"]+)"/;
const LATCHKEY_ENV = { ...process.env, LATCHKEY_ROOT_ACCESS_KEY: CREDENTIALS.accessKeyId, LATCHKEY_ROOT_SECRET_KEY: CREDENTIALS.secretAccessKey };

function startLatchkey(dataDir: string, args: readonly string[] = []): Promise<Proc & { endpoint: string }> {
  return startPinnedServer('latchkey', [CLI, 'server', '--address', '127.0.0.1:0', '--data', dataDir, ...args], LISTENING, LATCHKEY_ENV);
}

type BareMode = 'md5' | 'sigv4' | 'durable';
const BARE_LABELS: Record<BareMode, string> = {
  md5: '  Node floor: http + MD5',
  sigv4: '  Node floor: + SigV4 check',
  durable: '  Node floor: + SQLite row, fsync',
};

/** bench/bare-put.ts in one of its modes. */
function startBarePut(mode: BareMode, dataDir: string): Promise<Proc & { endpoint: string }> {
  return startPinnedServer('bare-put', [join(ROOT, 'dist/bench/bare-put.js'), mode, CREDENTIALS.secretAccessKey, dataDir], /listening (\S+)/);
}

async function startNginx(dir: string, port: number): Promise<Proc> {
  mkdirSync(join(dir, 'www/dav'), { recursive: true });
  chmodSync(join(dir, 'www/dav'), 0o777);
  return spawnNginx(dir, SERVER_CPU, `
  sendfile on;
  server {
    listen 127.0.0.1:${port};
    root ${dir}/www;
    location /dav/ { dav_methods PUT; create_full_put_path on; }
  }`);
}

/** nginx as the load balancer of several nodes (round robin, bodies streamed both ways), on the load's core. */
function startBalancer(dir: string, port: number, upstreams: readonly string[]): Promise<Proc> {
  return spawnNginx(dir, LOAD_CPU, `
  upstream latchkey { ${upstreams.map((u) => `server ${u};`).join(' ')} keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    proxy_request_buffering off;
    proxy_buffering off;
    location / {
      proxy_pass http://latchkey;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
    }
  }`);
}

/** One nginx worker pinned to `cpu`, with this http block; resolves to the worker's pid. */
async function spawnNginx(dir: string, cpu: string, http: string): Promise<Proc> {
  mkdirSync(join(dir, 'body'), { recursive: true });
  chmodSync(join(dir, 'body'), 0o777);
  writeFileSync(
    join(dir, 'nginx.conf'),
    `worker_processes 1;
daemon off;
master_process on;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  client_max_body_size 0;
${http}
}
`,
  );
  const child = spawn('taskset', ['-c', cpu, 'nginx', '-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: 'inherit' });
  await new Promise((r) => setTimeout(r, 500));
  const { stdout } = await run('pgrep', ['-P', String(child.pid)]);
  const worker = Number(stdout.trim().split('\n')[0]);
  return { pid: worker, child };
}

function presigned(endpoint: string, method: string, key: string, expiresIn = 3600, now = Date.now()): string {
  return presign({ method, url: `${endpoint}/bench/${key}`, credentials: CREDENTIALS, region: 'us-east-1', now, expiresIn, crypto: nodeCrypto }).url;
}

function row(name: string, ours: Figure, reference: Figure | undefined, target?: number): string {
  const ratio = reference ? ours.ops / ours.seconds / (reference.ops / reference.seconds) : NaN;
  const mbRatio = reference && reference.mbps > 0 ? ours.mbps / reference.mbps : NaN;
  const cells = [
    name.padEnd(34),
    (ours.ops / ours.seconds).toFixed(0).padStart(8),
    ours.mbps.toFixed(1).padStart(8),
    ours.p50.toFixed(2).padStart(7),
    ours.p99.toFixed(2).padStart(7),
    ours.cpuMsPerOp.toFixed(3).padStart(8),
    reference ? (reference.ops / reference.seconds).toFixed(0).padStart(8) : '       -',
    reference ? reference.cpuMsPerOp.toFixed(3).padStart(8) : '       -',
    Number.isNaN(ratio) ? '     -' : `${ratio.toFixed(2)}x`.padStart(6),
    Number.isNaN(mbRatio) ? '' : ` MB/s ${mbRatio.toFixed(2)}x`,
    target === undefined ? '' : `  (target ≥ ${target}x${(name.includes('64 MiB') ? mbRatio : ratio) >= target ? ' ✓' : ' ✗'})`,
    ours.note === undefined ? '' : `  [${ours.note}]`,
  ];
  return cells.join(' ');
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'latchkey-bench-'));
  // nginx workers drop to an unprivileged user, who must be able to read the served tree.
  chmodSync(work, 0o755);
  const nginxPort = 20000 + Math.floor(Math.random() * 20000);
  const latchkey = await startLatchkey(join(work, 'data'));
  const nginx = await startNginx(join(work, 'nginx'), nginxPort);
  const nginxUrl = `http://127.0.0.1:${nginxPort}`;
  const results: string[] = [];
  try {
    const client = new S3Client({ endpoint: latchkey.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: CREDENTIALS });
    await client.send(new CreateBucketCommand({ Bucket: 'bench' }));
    await client.send(new PutObjectCommand({ Bucket: 'bench', Key: 'small.bin', Body: Buffer.alloc(KIB4, 's') }));
    await client.send(new PutObjectCommand({ Bucket: 'bench', Key: 'large.bin', Body: Buffer.alloc(MIB64, 'l') }));
    writeFileSync(join(work, 'nginx/www/small.bin'), Buffer.alloc(KIB4, 's'));
    writeFileSync(join(work, 'nginx/www/large.bin'), Buffer.alloc(MIB64, 'l'));
    client.destroy();

    const getSmall = presigned(latchkey.endpoint, 'GET', 'small.bin');
    // A server runs warm: each wrk phase first loads it for WARMUP_SECONDS (JIT compilation), not counted.
    // A URL list's measured requests start at LIST_OFFSET, past every URL the warm-up could have used.
    const warmThenMeasure = async (pid: number, url: string, opts: Parameters<typeof wrk>[1]) => {
      await wrk(url, { ...opts, seconds: WARMUP_SECONDS, ...(opts.scriptArgs ? { scriptArgs: [...opts.scriptArgs, '0'] } : {}) });
      await settle(pid);
      return measure(pid, () => wrk(url, { ...opts, ...(opts.scriptArgs ? { scriptArgs: [...opts.scriptArgs, String(LIST_OFFSET)] } : {}) }));
    };
    const ng = (url: string, opts: Parameters<typeof wrk>[1]) => warmThenMeasure(nginx.pid, url, opts);
    const lk = (url: string, opts: Parameters<typeof wrk>[1]) => warmThenMeasure(latchkey.pid, url, opts);

    const nginxGet = await ng(`${nginxUrl}/small.bin`, { connections: 64 });
    const ourGet = await lk(getSmall, { connections: 64 });
    results.push(row('pre-signed GET 4 KiB (64 conns)', ourGet, nginxGet, 0.12));

    const head = await measure(latchkey.pid, async () => ({
      ...(await nodeLoad('load-large.js', { method: 'HEAD', urls: [presigned(latchkey.endpoint, 'HEAD', 'small.bin')], size: 0, concurrency: 64, rounds: 1e9, seconds: SECONDS })),
      mbps: 0,
    }));
    results.push(row('pre-signed HEAD (64 conns)', head, undefined));

    const tampered = `${getSmall.slice(0, -1)}${getSmall.endsWith('0') ? '1' : '0'}`;
    const ourTampered = await lk(tampered, { connections: 64 });
    results.push(`${row('403 tampered link (64 conns)', ourTampered, ourGet)}   ← ratio vs our served GET (target ≥ 1x)`);
    const expired = presigned(latchkey.endpoint, 'GET', 'small.bin', 60, Date.now() - 3600_000);
    const ourExpired = await lk(expired, { connections: 64 });
    results.push(`${row('403 expired link (64 conns)', ourExpired, ourGet)}   ← ratio vs our served GET`);

    const count = 200_000;
    const putList = (endpoint: string, file: string) => {
      writeFileSync(file, Array.from({ length: count }, (_, i) => `PUT ${presigned(endpoint, 'PUT', `put/${i}`).replace(endpoint, '')}`).join('\n'));
      return file;
    };
    const ourPutList = putList(latchkey.endpoint, join(work, 'put-urls.txt'));
    const davList = join(work, 'dav-urls.txt');
    writeFileSync(davList, Array.from({ length: count }, (_, i) => `PUT /dav/k${i}`).join('\n'));
    const nginxPut = await ng(`${nginxUrl}/`, { connections: 64, script: join(LUA, 'url-list.lua'), scriptArgs: [davList, String(KIB4)] });
    const ourPut = await lk(`${latchkey.endpoint}/`, { connections: 64, script: join(LUA, 'url-list.lua'), scriptArgs: [ourPutList, String(KIB4)] });
    results.push(row('pre-signed PUT 4 KiB, fsync (64 conns)', ourPut, nginxPut, 0.5));
    // nginx does not fsync; the disk's own ceiling for durable 4 KiB writes puts that ratio in context.
    const ceiling = JSON.parse(
      (await run('taskset', ['-c', SERVER_CPU, process.execPath, join(ROOT, 'dist/bench/fsync-ceiling.js'), JSON.stringify({ concurrency: 64, seconds: SECONDS, dir: work })], { env: { ...process.env, UV_THREADPOOL_SIZE: '64' } })).stdout,
    ) as { ops: number; seconds: number };
    const ceilingRate = ceiling.ops / ceiling.seconds;
    results.push(`${'  disk: fsync\'d 4 KiB files, 64 at once'.padEnd(34)} ${ceilingRate.toFixed(0).padStart(8)}   (nginx WebDAV / ceiling = ${(nginxPut.ops / nginxPut.seconds / ceilingRate).toFixed(1)}; our PUT / ceiling = ${(ourPut.ops / ourPut.seconds / ceilingRate).toFixed(2)})`);

    // Node's own floor on this core: no log, no policy, no links; with and without checking the signature, then storing a row.
    for (const mode of ['md5', 'sigv4', 'durable'] as const) {
      const bareDir = join(work, `bare-${mode}`);
      mkdirSync(bareDir);
      const bare = await startBarePut(mode, bareDir);
      try {
        const list = putList(bare.endpoint, join(work, `bare-${mode}-urls.txt`));
        const figure = await warmThenMeasure(bare.pid, `${bare.endpoint}/`, { connections: 64, script: join(LUA, 'url-list.lua'), scriptArgs: [list, String(KIB4)] });
        const label = BARE_LABELS[mode];
        results.push(`${row(label, figure, nginxPut)}   (our PUT / this = ${(ourPut.ops / ourPut.seconds / (figure.ops / figure.seconds)).toFixed(2)})`);
      } finally {
        bare.child.kill('SIGTERM');
      }
    }

    // A node on PostgreSQL (an empty database named by LATCHKEY_BENCH_POSTGRES_URL), against the SQLite node;
    // then two such nodes on that database and one data dir behind nginx, against the one PostgreSQL node.
    const pgUrl = process.env['LATCHKEY_BENCH_POSTGRES_URL'];
    if (pgUrl === undefined || pgUrl === '') {
      results.push('PostgreSQL rows skipped: set LATCHKEY_BENCH_POSTGRES_URL to an empty database (e.g. postgres://latchkey:latchkey@127.0.0.1:5432/latchkey_bench)');
    } else {
      const pgData = join(work, 'data-pg');
      const pgArgs = (node: string) => ['--metadata', pgUrl, '--node-id', node, '--no-console'];
      const pg = await startLatchkey(pgData, pgArgs('bench'));
      let second: Proc | undefined;
      let balancer: Proc | undefined;
      try {
        const pgClient = new S3Client({ endpoint: pg.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: CREDENTIALS });
        await pgClient.send(new CreateBucketCommand({ Bucket: 'bench' }));
        await pgClient.send(new PutObjectCommand({ Bucket: 'bench', Key: 'small.bin', Body: Buffer.alloc(KIB4, 's') }));
        pgClient.destroy();
        const note = '   ← ratio vs the SQLite node; PostgreSQL shares the two cores (not pinned)';
        const pgGet = await warmThenMeasure(pg.pid, presigned(pg.endpoint, 'GET', 'small.bin'), { connections: 64 });
        results.push(`${row('PostgreSQL node: GET 4 KiB (64 conns)', pgGet, ourGet, 0.5)}${note}`);
        const pgPutList = putList(pg.endpoint, join(work, 'pg-put-urls.txt'));
        const pgPut = await warmThenMeasure(pg.pid, `${pg.endpoint}/`, { connections: 64, script: join(LUA, 'url-list.lua'), scriptArgs: [pgPutList, String(KIB4)] });
        results.push(`${row('PostgreSQL node: PUT 4 KiB (64 conns)', pgPut, ourPut, 0.5)}${note}`);

        // The second node reads the master key the first wrote to the shared data dir. Both nodes sit on the
        // server core, nginx on the load's: the figures show what the balancer hop and a second node cost, not scale-out.
        const node2 = await startLatchkey(pgData, pgArgs('bench2'));
        second = node2;
        const balancerPort = 20000 + Math.floor(Math.random() * 20000);
        balancer = await startBalancer(join(work, 'balancer'), balancerPort, [pg.endpoint, node2.endpoint].map((e) => new URL(e).host));
        const lb = `http://127.0.0.1:${balancerPort}`;
        const nodes = [pg.pid, node2.pid];
        const both = async (url: string, opts: Parameters<typeof wrk>[1]) => {
          await wrk(url, { ...opts, seconds: WARMUP_SECONDS, ...(opts.scriptArgs ? { scriptArgs: [...opts.scriptArgs, '0'] } : {}) });
          for (const pid of nodes) await settle(pid);
          return measure(nodes, () => wrk(url, { ...opts, ...(opts.scriptArgs ? { scriptArgs: [...opts.scriptArgs, String(LIST_OFFSET)] } : {}) }));
        };
        const twoNote = '   ← ratio vs the one PostgreSQL node; both nodes on the server core, nginx with the load';
        const lbGet = await both(presigned(lb, 'GET', 'small.bin'), { connections: 64 });
        results.push(`${row('2 PG nodes behind nginx: GET 4 KiB', lbGet, pgGet)}${twoNote}`);
        const lbPutList = putList(lb, join(work, 'lb-put-urls.txt'));
        const lbPut = await both(`${lb}/`, { connections: 64, script: join(LUA, 'url-list.lua'), scriptArgs: [lbPutList, String(KIB4)] });
        results.push(`${row('2 PG nodes behind nginx: PUT 4 KiB', lbPut, pgPut)}${twoNote}`);
      } finally {
        balancer?.child.kill('SIGQUIT');
        second?.child.kill('SIGTERM');
        pg.child.kill('SIGTERM');
      }
    }

    const sdkCommon = { endpoint: latchkey.endpoint, ...CREDENTIALS, bucket: 'bench', size: KIB4, concurrency: 16, seconds: SECONDS };
    const sdkPut = await measure(latchkey.pid, async () => ({ ...(await nodeLoad('load-sdk.js', { ...sdkCommon, op: 'put' })), mbps: 0 }));
    results.push(row('SDK PutObject 4 KiB (16 loops)', sdkPut, nginxPut));
    const sdkGet = await measure(latchkey.pid, async () => ({ ...(await nodeLoad('load-sdk.js', { ...sdkCommon, op: 'get' })), mbps: 0 }));
    results.push(row('SDK GetObject 4 KiB (16 loops)', sdkGet, nginxGet));

    const largeGet = async (pid: number, url: string) => {
      await settle(pid);
      return measure(pid, async () => {
        const r = await nodeLoad('load-large.js', { method: 'GET', urls: [url], size: MIB64, concurrency: 4, rounds: 1e9, seconds: SECONDS });
        return { ...r, mbps: (r.bytes ?? 0) / 1024 ** 2 / r.seconds };
      });
    };
    const nginxLargeGet = await largeGet(nginx.pid, `${nginxUrl}/large.bin`);
    const runPeakBeforeLarge = peakRssMb(latchkey.pid);
    const peakReset = resetPeakRss(latchkey.pid);
    const ourLargeGet = await largeGet(latchkey.pid, presigned(latchkey.endpoint, 'GET', 'large.bin'));
    results.push(row('GET 64 MiB (4 clients)', ourLargeGet, nginxLargeGet, 0.7));

    const largePut = async (pid: number, urls: string[]) => {
      await settle(pid);
      return measure(pid, async () => {
        const r = await nodeLoad('load-large.js', { method: 'PUT', urls, size: MIB64, concurrency: 4, rounds: 1e9, seconds: SECONDS });
        return { ...r, mbps: (r.bytes ?? 0) / 1024 ** 2 / r.seconds };
      });
    };
    const nginxLargePut = await largePut(nginx.pid, Array.from({ length: 12 }, (_, i) => `${nginxUrl}/dav/large${i}`));
    const ourLargePut = await largePut(latchkey.pid, Array.from({ length: 12 }, (_, i) => presigned(latchkey.endpoint, 'PUT', `large${i}`)));
    results.push(row('PUT 64 MiB (4 clients)', ourLargePut, nginxLargePut));

    const rss = peakRssMb(latchkey.pid);
    const runPeak = Math.max(rss, runPeakBeforeLarge);
    console.log(`\nLatchkey vs nginx ${SECONDS}s per phase (wrk phases after ${WARMUP_SECONDS}s of warm-up); server on CPU ${SERVER_CPU}, load on CPU ${LOAD_CPU}; latency in ms; CPU = server CPU ms per op; ref = nginx unless marked`);
    console.log(`${'phase'.padEnd(34)} ${'ops/s'.padStart(8)} ${'MB/s'.padStart(8)} ${'p50'.padStart(7)} ${'p99'.padStart(7)} ${'CPU/op'.padStart(8)} ${'ref/s'.padStart(8)} ${'refCPU'.padStart(8)}  ratio`);
    for (const line of results) console.log(line);
    if (peakReset) {
      console.log(`\nLatchkey peak RSS while 4 clients move 64 MiB objects: ${rss.toFixed(0)} MB (target < 200 MB)${rss < 200 ? ' ✓' : ' ✗'}; over the whole run: ${runPeak.toFixed(0)} MB`);
    } else {
      console.log(`\nLatchkey peak RSS over the whole run (the peak could not be reset before the 64 MiB phases): ${runPeak.toFixed(0)} MB (target < 200 MB while 4 clients move 64 MiB objects)${runPeak < 200 ? ' ✓' : ' ✗'}`);
    }
  } finally {
    latchkey.child.kill('SIGTERM');
    nginx.child.kill('SIGQUIT');
    await new Promise((r) => setTimeout(r, 500));
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
