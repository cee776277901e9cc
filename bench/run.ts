/**
 * `npm run bench`: Latchkey against nginx (one worker, Debian's nginx-light)
 * and s3rver (the S3 emulator on npm) on the same machine in the same run.
 * The server under test is pinned to CPU 0, every load generator to CPU 1, so
 * the figures are ratios of servers given one core each. Not a test: it
 * prints figures and exits 0. With `--baseline <ref>`: this build against
 * another commit's instead, server CPU per request (bench/ab.ts; its options there).
 */
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { abBench, abOptions } from './ab.js';
import {
  LOAD_CPU, median, nodeLoad, peakRssMb, rate, resetPeakRss, ROOT, rssMb, run, SECONDS, SERVER_CPU, settle, measure, WARMUP_SECONDS, wrk,
  type Figure, type Proc,
} from './harness.js';
import { CREDENTIALS, KIB4, presigned, putList as writePutList, startLatchkey, tampered, urlList, type Credentials } from './latchkey.js';
import { BARE_LABELS, S3RVER_CREDENTIALS, startBalancer, startBarePut, startNginx, startS3rver, type BareMode } from './references.js';

const LIST_OFFSET = 60_000;
const MIB64 = 64 * 1024 * 1024;
/**
 * Phases compared in rounds taken in turn (HEAD and GET; our PUT and the durable floors), in one order then the
 * reverse: SECONDS split into this many rounds of each. Each round opens its connections anew, so rounds are kept long
 * enough (2.5-3 s) that connection setup stays a small part of a request's cost, as in a single phase.
 */
const LOADER_ROUNDS = 2;
/** The SDK rows' rounds of SECONDS / LOADER_ROUNDS each, per side: the SDK's own cost varies by a third from round to round. */
const SDK_ROUNDS = 6;
const SDK_WARMUP_SECONDS = 3;
/** Stored on our server by the SDK, with the CRC32 it computes (the SDK GetObject row's third side). */
const CHECKED_KEY = 'checked.bin';

/** Rounds of one phase as one figure: counts and CPU summed; latency percentiles are the rounds' median (of two, the higher). */
function combine(rounds: readonly Figure[]): Figure {
  const ops = rounds.reduce((sum, f) => sum + f.ops, 0);
  return {
    ops,
    seconds: rounds.reduce((sum, f) => sum + f.seconds, 0),
    mbps: 0,
    p50: median(rounds.map((f) => f.p50)),
    p99: median(rounds.map((f) => f.p99)),
    cpuMsPerOp: ops > 0 ? rounds.reduce((sum, f) => sum + f.cpuMsPerOp * f.ops, 0) / ops : NaN,
  };
}

interface RowOptions {
  /** Ours over the reference must reach this (MB/s for 64 MiB rows, else ops/s). */
  target?: number;
  /** s3rver's figure for the same phase: ratio printed beside nginx's. */
  s3rver?: Figure | undefined;
  /** Large rows: compare MB/s, print server CPU per MiB. */
  mib?: number;
}

function row(name: string, ours: Figure, reference: Figure | undefined, options: RowOptions = {}): string {
  const ratioTo = (ref: Figure | undefined): number =>
    ref === undefined ? NaN : options.mib !== undefined ? (ref.mbps > 0 ? ours.mbps / ref.mbps : NaN) : rate(ours) / rate(ref);
  const ratio = ratioTo(reference);
  const s3rverRatio = ratioTo(options.s3rver);
  const perMib = (f: Figure): string => (f.cpuMsPerOp / (options.mib ?? 1)).toFixed(2);
  const cells = [
    name.padEnd(38),
    rate(ours).toFixed(0).padStart(8),
    ours.mbps.toFixed(1).padStart(8),
    ours.p50.toFixed(2).padStart(7),
    ours.p99.toFixed(2).padStart(7),
    ours.cpuMsPerOp.toFixed(3).padStart(8),
    reference ? rate(reference).toFixed(0).padStart(8) : '       -',
    reference ? reference.cpuMsPerOp.toFixed(3).padStart(8) : '       -',
    Number.isNaN(ratio) ? '     -' : `${ratio.toFixed(2)}x`.padStart(6),
    options.target === undefined ? '' : `  (target ≥ ${options.target}x${ratio >= options.target ? ' ✓' : ' ✗'})`,
    options.s3rver === undefined ? '' : `  s3rver ${rate(options.s3rver).toFixed(options.mib ? 1 : 0)}/s: ${s3rverRatio.toFixed(2)}x${s3rverRatio > 1 ? ' ✓' : ' ✗'}`,
    options.mib === undefined ? '' : `  CPU ms/MiB ${perMib(ours)} (ref ${reference ? perMib(reference) : '-'}${options.s3rver ? `, s3rver ${perMib(options.s3rver)}` : ''})`,
    ours.note === undefined ? '' : `  [${ours.note}]`,
  ];
  return cells.join(' ');
}

/**
 * The objects every server's rows read, stored the same way on ours and on s3rver: by a pre-signed PUT without a
 * checksum, so a GetObject with the SDK's checksum mode gets no checksum back from either and the SDK does the same
 * work for both (s3rver stores none, whatever the client sends).
 */
async function seed(endpoint: string, credentials: Credentials): Promise<void> {
  for (const [key, body] of [['small.bin', Buffer.alloc(KIB4, 's')], ['large.bin', Buffer.alloc(MIB64, 'l')]] as const) {
    const response = await fetch(presigned(endpoint, 'PUT', key, { credentials }), { method: 'PUT', body });
    if (!response.ok) throw new Error(`${endpoint}: PUT ${key}: ${response.status}`);
  }
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'latchkey-bench-'));
  // nginx workers drop to an unprivileged user, who must be able to read the served tree.
  chmodSync(work, 0o755);
  const nginxPort = 20000 + Math.floor(Math.random() * 20000);
  const latchkey = await startLatchkey(join(work, 'data'));
  const nginx = await startNginx(join(work, 'nginx'), nginxPort);
  const s3rver = await startS3rver(join(work, 's3rver'));
  const nginxUrl = `http://127.0.0.1:${nginxPort}`;
  const results: string[] = [];
  const notes: string[] = [];
  try {
    const client = new S3Client({ endpoint: latchkey.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: CREDENTIALS });
    await client.send(new CreateBucketCommand({ Bucket: 'bench' }));
    await seed(latchkey.endpoint, CREDENTIALS);
    // Stored by the SDK, with the CRC32 it sends: a GetObject of it has the SDK check the CRC32 we return.
    await client.send(new PutObjectCommand({ Bucket: 'bench', Key: CHECKED_KEY, Body: Buffer.alloc(KIB4, 's') }));
    writeFileSync(join(work, 'nginx/www/small.bin'), Buffer.alloc(KIB4, 's'));
    writeFileSync(join(work, 'nginx/www/large.bin'), Buffer.alloc(MIB64, 'l'));
    client.destroy();
    await seed(s3rver.endpoint, S3RVER_CREDENTIALS);
    const s3rverUrl = (method: string, key: string) => presigned(s3rver.endpoint, method, key, { credentials: S3RVER_CREDENTIALS });

    const getSmall = presigned(latchkey.endpoint, 'GET', 'small.bin');
    // A server runs warm: each wrk phase first loads it for WARMUP_SECONDS (JIT compilation), not counted.
    // A URL list's measured requests start at LIST_OFFSET, past every URL the warm-up could have used.
    const warmThenMeasure = async (pid: number, url: string, opts: Parameters<typeof wrk>[1], onWarm?: () => void) => {
      await wrk(url, { ...opts, seconds: WARMUP_SECONDS, ...(opts.scriptArgs ? { scriptArgs: [...opts.scriptArgs, '0'] } : {}) });
      await settle(pid);
      onWarm?.();
      return measure(pid, () => wrk(url, { ...opts, ...(opts.scriptArgs ? { scriptArgs: [...opts.scriptArgs, String(LIST_OFFSET)] } : {}) }));
    };
    const ng = (url: string, opts: Parameters<typeof wrk>[1]) => warmThenMeasure(nginx.pid, url, opts);
    const lk = (url: string, opts: Parameters<typeof wrk>[1]) => warmThenMeasure(latchkey.pid, url, opts);
    const s3r = (url: string, opts: Parameters<typeof wrk>[1]) => warmThenMeasure(s3rver.pid, url, opts);

    const nginxGet = await ng(`${nginxUrl}/small.bin`, { connections: 64 });
    const ourGet = await lk(getSmall, { connections: 64 });
    const s3rverGet = await s3r(s3rverUrl('GET', 'small.bin'), { connections: 64 });
    results.push(row('pre-signed GET 4 KiB (64 conns)', ourGet, nginxGet, { target: 0.12, s3rver: s3rverGet }));

    // HEAD against GET with one load generator (wrk cannot drive HEAD): the ratio is ours, HEAD over GET. The two
    // alternate in rounds, so a change in the shared machine's load falls on both alike rather than on whichever ran later.
    const loaderRounds = async (pid: number, urls: Readonly<Record<'GET' | 'HEAD', string>>, methods: ReadonlyArray<'GET' | 'HEAD'>) => {
      const load = (method: 'GET' | 'HEAD', seconds: number) => ({ method, urls: [urls[method]], size: 0, concurrency: 64, rounds: 1e9, seconds });
      for (const method of methods) await nodeLoad('load-large.js', load(method, WARMUP_SECONDS));
      const rounds: Record<'GET' | 'HEAD', Figure[]> = { GET: [], HEAD: [] };
      for (let round = 0; round < LOADER_ROUNDS; round++) {
        for (const method of round % 2 === 0 ? methods : [...methods].reverse()) {
          await settle(pid);
          rounds[method].push(await measure(pid, async () => ({ ...(await nodeLoad('load-large.js', load(method, SECONDS / LOADER_ROUNDS))), mbps: 0 })));
        }
      }
      return { GET: combine(rounds.GET), HEAD: combine(rounds.HEAD) };
    };
    const ours = await loaderRounds(latchkey.pid, { GET: getSmall, HEAD: presigned(latchkey.endpoint, 'HEAD', 'small.bin') }, ['GET', 'HEAD']);
    const s3rverHead = (await loaderRounds(s3rver.pid, { GET: '', HEAD: s3rverUrl('HEAD', 'small.bin') }, ['HEAD'])).HEAD;
    const [loaderGet, head] = [ours.GET, ours.HEAD];
    results.push(row('  GET 4 KiB, Node loader (64 conns)', loaderGet, undefined));
    results.push(`${row('pre-signed HEAD (64 conns)', head, loaderGet, { target: 1, s3rver: s3rverHead })}   ← ratio vs our GET, same loader, rounds alternated`);

    const ourTampered = await lk(tampered(getSmall), { connections: 64 });
    results.push(`${row('403 tampered link (64 conns)', ourTampered, ourGet, { target: 1 })}   ← ratio vs our served GET`);
    const expired = presigned(latchkey.endpoint, 'GET', 'small.bin', { expiresIn: 60, now: Date.now() - 3600_000 });
    const ourExpired = await lk(expired, { connections: 64 });
    results.push(`${row('403 expired link (64 conns)', ourExpired, ourGet)}   ← ratio vs our served GET`);

    /** A Node floor of bench/bare-put.ts in its own data dir (`prepare` fills it), measured by `use`, then stopped. */
    const onFloor = async <T>(mode: BareMode, use: (floor: Proc & { endpoint: string }) => Promise<T>, prepare?: (dir: string) => void): Promise<T> => {
      const dir = join(work, `bare-${mode}`);
      mkdirSync(dir, { recursive: true });
      prepare?.(dir);
      const floor = await startBarePut(mode, CREDENTIALS.secretAccessKey, dir);
      try {
        return await use(floor);
      } finally {
        floor.child.kill('SIGTERM');
      }
    };
    // Enough for the warm-up and every measured round at ~10 000 PUT/s without reusing a URL.
    const count = 120_000;
    const putList = (endpoint: string, file: string, credentials = CREDENTIALS) => writePutList(endpoint, file, count, credentials);
    const davList = join(work, 'dav-urls.txt');
    writeFileSync(davList, Array.from({ length: count }, (_, i) => `PUT /dav/k${i}`).join('\n'));
    const nginxPut = await ng(`${nginxUrl}/`, urlList(davList));
    // Our PUT, the durable Node floor and the floor with Latchkey's own stages added (bench/bare-put.ts) take turns in
    // rounds (each on URLs of its own not used before), so the shared machine's changing load falls on all alike:
    // the ratio the target names is of one stretch of time.
    const staged = ['durable', 'store', 'logged'] as const;
    const floors = new Map<(typeof staged)[number], Proc & { endpoint: string }>();
    let ourPut: Figure;
    const stagedFloors = new Map<(typeof staged)[number], Figure>();
    try {
      for (const mode of staged) {
        const dir = join(work, `bare-${mode}`);
        mkdirSync(dir);
        floors.set(mode, await startBarePut(mode, CREDENTIALS.secretAccessKey, dir));
      }
      const sides = [
        { name: 'ours' as const, pid: latchkey.pid, endpoint: latchkey.endpoint },
        ...staged.map((mode) => ({ name: mode, pid: floors.get(mode)?.pid ?? 0, endpoint: floors.get(mode)?.endpoint ?? '' })),
      ].map((side) => ({ ...side, list: putList(side.endpoint, join(work, `put-urls-${side.name}.txt`)), rounds: [] as Figure[] }));
      for (const side of sides) await wrk(`${side.endpoint}/`, { ...urlList(side.list), seconds: WARMUP_SECONDS, scriptArgs: [side.list, String(KIB4), '0'] });
      for (let round = 0; round < LOADER_ROUNDS; round++) {
        for (const side of round % 2 === 0 ? sides : [...sides].reverse()) {
          await settle(side.pid);
          const offset = String(LIST_OFFSET + round * Math.floor((count - LIST_OFFSET) / LOADER_ROUNDS));
          // wrk takes whole seconds.
          const seconds = Math.ceil(SECONDS / LOADER_ROUNDS);
          side.rounds.push(await measure(side.pid, () => wrk(`${side.endpoint}/`, { ...urlList(side.list), seconds, scriptArgs: [side.list, String(KIB4), offset] })));
        }
      }
      for (const side of sides) if (side.name !== 'ours') stagedFloors.set(side.name, combine(side.rounds));
      ourPut = combine(sides[0]?.rounds ?? []);
    } finally {
      for (const floor of floors.values()) floor.child.kill('SIGTERM');
    }
    const s3rverPut = await s3r(`${s3rver.endpoint}/`, urlList(putList(s3rver.endpoint, join(work, 's3rver-put-urls.txt'), S3RVER_CREDENTIALS)));
    results.push(row('pre-signed PUT 4 KiB, fsync (64 conns)', ourPut, nginxPut, { s3rver: s3rverPut }));
    // nginx and s3rver do not fsync; the disk's own ceiling for durable 4 KiB writes puts those ratios in context.
    const ceiling = await fsyncCeiling(work, 64, KIB4);
    results.push(`${'  disk: fsync\'d 4 KiB files, 64 at once'.padEnd(38)} ${rate(ceiling).toFixed(0).padStart(8)}   (nginx WebDAV / ceiling = ${(rate(nginxPut) / rate(ceiling)).toFixed(1)}; our PUT / ceiling = ${(rate(ourPut) / rate(ceiling)).toFixed(2)})`);

    // Node's own floor on this core: no log, no policy, no links; with and without checking the signature, then storing a row.
    for (const mode of ['md5', 'sigv4'] as const) {
      const figure = await onFloor(mode, (bare) => warmThenMeasure(bare.pid, `${bare.endpoint}/`, urlList(putList(bare.endpoint, join(work, `bare-${mode}-urls.txt`)))));
      results.push(`${row(BARE_LABELS[mode], figure, nginxPut)}   (our PUT / this = ${(rate(ourPut) / rate(figure)).toFixed(2)})`);
    }
    const sqliteFloor = stagedFloors.get('durable');
    for (const mode of staged) {
      const figure = stagedFloors.get(mode);
      if (figure === undefined) continue;
      const ofFloor = rate(ourPut) / rate(figure);
      const target = mode === 'durable' ? `, target ≥ 0.8${ofFloor >= 0.8 ? ' ✓' : ' ✗'}` : '';
      results.push(`${row(BARE_LABELS[mode], figure, nginxPut)}   (our PUT / this = ${ofFloor.toFixed(2)}${target}; CPU/op ours / this = ${(ourPut.cpuMsPerOp / figure.cpuMsPerOp).toFixed(2)}; rounds taken in turn with our PUT)`);
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
        results.push(`${row('PostgreSQL node: GET 4 KiB (64 conns)', pgGet, ourGet, { target: 0.5 })}${note}`);
        // PostgreSQL's own CPU per PUT (when its processes are visible here) goes in the notes.
        const withPostgresCpu = async (pid: number, url: string, opts: Parameters<typeof wrk>[1]) => {
          let before = NaN;
          const figure = await warmThenMeasure(pid, url, opts, () => (before = postgresCpuMs()));
          return { figure, postgresMsPerOp: (postgresCpuMs() - before) / figure.ops };
        };
        const pgPutPhase = await withPostgresCpu(pg.pid, `${pg.endpoint}/`, urlList(putList(pg.endpoint, join(work, 'pg-put-urls.txt'))));
        const pgPut = pgPutPhase.figure;
        results.push(`${row('PostgreSQL node: PUT 4 KiB (64 conns)', pgPut, ourPut, { target: 0.5 })}${note}`);
        // The same floor as the SQLite one above with the row in PostgreSQL: what any node on this database and machine can reach.
        const pgFloor = await startBarePut('durable-pg', CREDENTIALS.secretAccessKey, pgUrl);
        try {
          const floor = await withPostgresCpu(pgFloor.pid, `${pgFloor.endpoint}/`, urlList(putList(pgFloor.endpoint, join(work, 'bare-pg-urls.txt'))));
          const figure = floor.figure;
          results.push(`${row(BARE_LABELS['durable-pg'], figure, sqliteFloor)}   ← ratio vs the SQLite-row floor above, PostgreSQL sharing the two cores (our PG PUT / this = ${(rate(pgPut) / rate(figure)).toFixed(2)})`);
          if (!Number.isNaN(floor.postgresMsPerOp)) {
            notes.push(`PostgreSQL's own CPU per 4 KiB PUT (not pinned, sharing both cores): ${pgPutPhase.postgresMsPerOp.toFixed(3)} ms for the PostgreSQL node (node ${pgPut.cpuMsPerOp.toFixed(3)}), ${floor.postgresMsPerOp.toFixed(3)} ms for the floor (node ${figure.cpuMsPerOp.toFixed(3)})`);
          }
        } finally {
          pgFloor.child.kill('SIGTERM');
          await new Promise((r) => setTimeout(r, 1000));
        }

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
        const lbPut = await both(`${lb}/`, urlList(putList(lb, join(work, 'lb-put-urls.txt'))));
        results.push(`${row('2 PG nodes behind nginx: PUT 4 KiB', lbPut, pgPut)}${twoNote}`);
      } finally {
        balancer?.child.kill('SIGQUIT');
        second?.child.kill('SIGTERM');
        pg.child.kill('SIGTERM');
      }
    }

    // The SDK's loops need far more CPU per request than either server (they saturate the load core): the rate is the
    // SDK's, and moves with its own CPU per request from round to round (printed). Ours and s3rver's take turns in
    // rounds, so the load core's share falls on both alike, and their server CPU per request is printed too. GetObject
    // also reads, in the same rounds, an object the SDK stored with a CRC32: it then checks the CRC32 we return (its
    // checksum mode), which s3rver never returns.
    const sdkRounds = async (op: 'put' | 'get') => {
      const side = (pid: number, endpoint: string, credentials: Credentials, key: string) => ({ pid, endpoint, credentials, key, rounds: [] as Figure[], loader: [] as number[] });
      const sides = [
        side(latchkey.pid, latchkey.endpoint, CREDENTIALS, 'small.bin'),
        side(s3rver.pid, s3rver.endpoint, S3RVER_CREDENTIALS, 'small.bin'),
        ...(op === 'get' ? [side(latchkey.pid, latchkey.endpoint, CREDENTIALS, CHECKED_KEY)] : []),
      ];
      const sdk = (on: (typeof sides)[number], seconds: number) =>
        nodeLoad('load-sdk.js', { endpoint: on.endpoint, ...on.credentials, bucket: 'bench', key: on.key, size: KIB4, concurrency: 16, seconds, op });
      // s3rver's code takes seconds of load to be compiled: every side is warmed up past that.
      for (const on of sides) await sdk(on, SDK_WARMUP_SECONDS);
      for (let round = 0; round < SDK_ROUNDS; round++) {
        for (const on of round % 2 === 0 ? sides : [...sides].reverse()) {
          await settle(on.pid);
          on.rounds.push(
            await measure(on.pid, async () => {
              const figure = await sdk(on, SECONDS / LOADER_ROUNDS);
              on.loader.push(figure.loaderCpuMsPerOp ?? NaN);
              return { ...figure, mbps: 0 };
            }),
          );
        }
      }
      const [ours, theirs, checked] = sides.map((on) => ({ figure: combine(on.rounds), loader: median(on.loader).toFixed(2) }));
      if (ours === undefined || theirs === undefined) throw new Error('SDK rounds: a side is missing');
      return {
        ours: ours.figure,
        theirs: theirs.figure,
        note: `rounds alternated with s3rver; server CPU/op ours / s3rver's = ${(ours.figure.cpuMsPerOp / theirs.figure.cpuMsPerOp).toFixed(2)}; the SDK's own CPU/op ${ours.loader} / ${theirs.loader} ms`,
        checked: checked && { figure: checked.figure, note: `the SDK's own CPU/op ${checked.loader} ms (${ours.loader} without a checksum to check)` },
      };
    };
    const sdkPut = await sdkRounds('put');
    results.push(`${row('SDK PutObject 4 KiB (16 loops)', sdkPut.ours, nginxPut, { s3rver: sdkPut.theirs })}   ← ${sdkPut.note}`);
    const sdkGet = await sdkRounds('get');
    results.push(`${row('SDK GetObject 4 KiB (16 loops)', sdkGet.ours, nginxGet, { s3rver: sdkGet.theirs })}   ← ${sdkGet.note}`);
    if (sdkGet.checked) results.push(`${row('  stored with a CRC32, SDK checks it', sdkGet.checked.figure, nginxGet)}   ← ${sdkGet.checked.note}`);

    const large = async (pid: number, method: 'GET' | 'PUT', urls: string[], extra: { chunked?: boolean } = {}) => {
      await settle(pid);
      return measure(pid, async () => {
        const r = await nodeLoad('load-large.js', { method, urls, size: MIB64, concurrency: 4, rounds: 1e9, seconds: SECONDS, ...extra });
        return { ...r, mbps: (r.bytes ?? 0) / 1024 ** 2 / r.seconds };
      });
    };
    const keys = (make: (key: string) => string) => Array.from({ length: 12 }, (_, i) => make(`large${i}`));
    const nginxLargeGet = await large(nginx.pid, 'GET', [`${nginxUrl}/large.bin`]);
    const ourLargeGet = await large(latchkey.pid, 'GET', [presigned(latchkey.endpoint, 'GET', 'large.bin')]);
    const s3rverLargeGet = await large(s3rver.pid, 'GET', [s3rverUrl('GET', 'large.bin')]);
    results.push(row('pre-signed GET 64 MiB (4 clients)', ourLargeGet, nginxLargeGet, { target: 0.8, s3rver: s3rverLargeGet, mib: 64 }));
    const getFloor = await onFloor('large-get', (floor) => large(floor.pid, 'GET', [presigned(floor.endpoint, 'GET', 'large.bin')]), (dir) =>
      writeFileSync(join(dir, 'large.bin'), Buffer.alloc(MIB64, 'l')),
    );
    results.push(`${row(BARE_LABELS['large-get'], getFloor, nginxLargeGet, { mib: 64 })}   (our GET / this = ${(ourLargeGet.mbps / getFloor.mbps).toFixed(2)})`);

    const nginxLargePut = await large(nginx.pid, 'PUT', keys((key) => `${nginxUrl}/dav/${key}`));
    const ourLargePut = await large(latchkey.pid, 'PUT', keys((key) => presigned(latchkey.endpoint, 'PUT', key)));
    const s3rverLargePut = await large(s3rver.pid, 'PUT', keys((key) => s3rverUrl('PUT', key)));
    results.push(row('pre-signed PUT 64 MiB (4 clients)', ourLargePut, nginxLargePut, { target: 0.5, s3rver: s3rverLargePut, mib: 64 }));
    const ourChunkedPut = await large(latchkey.pid, 'PUT', keys((key) => presigned(latchkey.endpoint, 'PUT', key, { chunked: MIB64 })), { chunked: true });
    results.push(`${row('  aws-chunked, CRC32 trailer', ourChunkedPut, nginxLargePut, { target: 0.4, mib: 64 })}   ← vs nginx's plain PUT; s3rver cannot decode aws-chunked`);
    // The same PUTs against what Node itself allows for them on this core (bench/bare-put.ts `large` modes).
    for (const [mode, chunked] of [['large', false], ['large-crc32', true]] as const) {
      const figure = await onFloor(mode, (floor) =>
        large(floor.pid, 'PUT', keys((key) => presigned(floor.endpoint, 'PUT', key, chunked ? { chunked: MIB64 } : {})), chunked ? { chunked: true } : {}),
      );
      const ours = chunked ? ourChunkedPut : ourLargePut;
      results.push(`${row(BARE_LABELS[mode], figure, nginxLargePut, { mib: 64 })}   (our ${chunked ? 'aws-chunked ' : ''}PUT / this = ${(ours.mbps / figure.mbps).toFixed(2)})`);
    }
    const largeCeiling = await fsyncCeiling(work, 4, MIB64);
    results.push(`${'  disk: fsync\'d 64 MiB files, 4 at once'.padEnd(38)} ${rate(largeCeiling).toFixed(1).padStart(8)} ${(rate(largeCeiling) * 64).toFixed(1).padStart(8)}   (nginx and s3rver do not fsync; our PUT / this = ${(ourLargePut.mbps / (rate(largeCeiling) * 64)).toFixed(2)})`);

    // 8 clients each uploading 64 MiB at once: how far memory grows over idle (backpressure keeps bodies on the socket, not in memory).
    await settle(latchkey.pid);
    const peakBefore = peakRssMb(latchkey.pid);
    const reset = resetPeakRss(latchkey.pid);
    const idle = rssMb(latchkey.pid);
    let sampled = idle;
    const sampler = setInterval(() => (sampled = Math.max(sampled, rssMb(latchkey.pid))), 10);
    const burst = await nodeLoad('load-large.js', { method: 'PUT', urls: Array.from({ length: 16 }, (_, i) => presigned(latchkey.endpoint, 'PUT', `burst${i}`)), size: MIB64, concurrency: 8, rounds: 1 });
    clearInterval(sampler);
    const burstPeak = Math.max(sampled, reset ? peakRssMb(latchkey.pid) : 0);
    const growth = burstPeak - idle;
    const runPeak = Math.max(peakBefore, burstPeak, peakRssMb(latchkey.pid));
    notes.push(`RSS with 8 clients each uploading 64 MiB at once (${burst.ops} uploads, ${((burst.bytes ?? 0) / 1024 ** 2 / burst.seconds).toFixed(0)} MB/s): idle ${idle.toFixed(0)} MB, peak ${burstPeak.toFixed(0)} MB, growth ${growth.toFixed(0)} MB (target < 64 MB)${growth < 64 ? ' ✓' : ' ✗'}`);
    notes.push(`Peak RSS over the whole bench: ${runPeak.toFixed(0)} MB (target < 200 MB)${runPeak < 200 ? ' ✓' : ' ✗'}`);

    console.log(`\nLatchkey vs nginx and s3rver, ${SECONDS}s per phase (wrk phases after ${WARMUP_SECONDS}s of warm-up); server on CPU ${SERVER_CPU}, load on CPU ${LOAD_CPU}; latency in ms; CPU = server CPU ms per op; ref = nginx unless marked; 64 MiB ratios are of MB/s`);
    console.log(`${'phase'.padEnd(38)} ${'ops/s'.padStart(8)} ${'MB/s'.padStart(8)} ${'p50'.padStart(7)} ${'p99'.padStart(7)} ${'CPU/op'.padStart(8)} ${'ref/s'.padStart(8)} ${'refCPU'.padStart(8)}  ratio`);
    for (const line of results) console.log(line);
    console.log('');
    for (const line of notes) console.log(line);
  } finally {
    latchkey.child.kill('SIGTERM');
    s3rver.child.kill('SIGTERM');
    nginx.child.kill('SIGQUIT');
    await new Promise((r) => setTimeout(r, 500));
    rmSync(work, { recursive: true, force: true });
  }
}

/** CPU ms used so far by the PostgreSQL server's processes visible here (NaN when none are: a server elsewhere). */
function postgresCpuMs(): number {
  let ticks = 0;
  let seen = false;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (!stat.includes(' (postgres) ')) continue;
      const fields = stat.split(') ')[1]?.split(' ') ?? [];
      ticks += Number(fields[11]) + Number(fields[12]);
      seen = true;
    } catch {
      // exited meanwhile
    }
  }
  return seen ? ticks * 10 : NaN;
}

/** bench/fsync-ceiling.ts on the server core: the disk's limit for durable writes of `size` bytes, `concurrency` at once. */
async function fsyncCeiling(work: string, concurrency: number, size: number): Promise<{ ops: number; seconds: number }> {
  const { stdout } = await run('taskset', ['-c', SERVER_CPU, process.execPath, join(ROOT, 'dist/bench/fsync-ceiling.js'), JSON.stringify({ concurrency, size, seconds: SECONDS, dir: work })], {
    env: { ...process.env, UV_THREADPOOL_SIZE: String(Math.max(4, concurrency)) },
  });
  return JSON.parse(stdout) as { ops: number; seconds: number };
}

const ab = abOptions(process.argv.slice(2));
await (ab === undefined ? main() : abBench(ab));
