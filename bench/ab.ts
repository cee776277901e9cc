/**
 * `npm run bench -- --baseline <ref>` (or BENCH_BASELINE=<ref>): this build (B)
 * against the build of another commit (A) in the same run. The ref is built
 * in a temporary git worktree (this one's node_modules linked in), removed at
 * the end; a directory instead of a ref is a build already made (a checkout,
 * or a copy of a `dist`). Both servers are started as their own `npm start`
 * starts them, pinned to the server core, each with a data dir of its own
 * holding the same bucket and object. Each small-request row runs in rounds
 * taken in turn (A B, B A, A B, ...), so a change in the shared machine's load
 * falls on both alike, and its ratio is taken round by round: of one stretch
 * of time. The figure to read is the server's CPU per request (utime+stime
 * from /proc): on a shared machine rates follow its load, CPU much less so.
 *
 *   --rounds N         rounds per side and row (BENCH_AB_ROUNDS, 5)
 *   --seconds N        each round this long (BENCH_AB_SECONDS, 3; wrk's rows: whole seconds)
 *   --requests N       each round this many requests instead (every row on the Node loaders), after
 *                      --warmup N (2000) not counted; without it, rounds of a time after 1 s of warm-up
 *   --rows W,W         only the rows whose names contain one of the words (BENCH_AB_ROWS): HEAD, GET, 403, PUT, SDK
 *   --signer root|user root's key (root), or a user's with one identity policy, evaluated on every request
 *   --connections N    connections of the pre-signed rows (64)
 *   --profile DIR      both servers under `node --cpu-prof`, their profiles written to DIR when they stop
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { median, measure, nodeLoad, rate, ROOT, run, SERVER_CPU, LOAD_CPU, settle, WARMUP_SECONDS, wrk, type Figure, type Proc } from './harness.js';
import { benchUser, CREDENTIALS, KIB4, presigned, putList, startLatchkey, tampered, urlList, type Credentials } from './latchkey.js';

/** PUT URLs per side for wrk's rounds of a time: each round starts at a part of the list of its own, so no URL is used twice below this rate. */
const PUTS_PER_SECOND = 8_000;

export interface AbOptions {
  baseline: string;
  rounds: number;
  /** Rounds of a time (whole seconds for wrk's rows), or of a count of requests. */
  amount: { seconds: number } | { requests: number };
  warmup: { seconds: number } | { requests: number };
  rows: string[];
  signer: 'root' | 'user';
  connections: number;
  profile?: string;
}

type Amount = AbOptions['amount'];
type Load = (side: Side, amount: Amount, round: number) => Promise<Omit<Figure, 'cpuMsPerOp'>>;
interface Row {
  name: string;
  /** How the row is driven, in rounds of a time and of a count. */
  timed: string;
  counted: string;
  load: Load;
}
interface Side {
  name: 'A' | 'B';
  server: Proc & { endpoint: string };
  keys: Credentials;
  /** wrk's PUT list (rounds of a time only). */
  putList?: string;
}

const numberOption = (value: string | undefined, fallback: number, name: string): number => {
  const n = Number(value ?? fallback);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} ${value}: a positive number`);
  return n;
};

/** The A/B options of `npm run bench`'s arguments; undefined without `--baseline <ref>` (or BENCH_BASELINE): the ordinary bench. */
export function abOptions(argv: readonly string[]): AbOptions | undefined {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      baseline: { type: 'string' },
      rounds: { type: 'string' },
      seconds: { type: 'string' },
      requests: { type: 'string' },
      warmup: { type: 'string' },
      rows: { type: 'string' },
      signer: { type: 'string' },
      connections: { type: 'string' },
      profile: { type: 'string' },
    },
  });
  const baseline = values.baseline ?? process.env['BENCH_BASELINE'] ?? '';
  if (baseline === '') {
    const given = Object.keys(values);
    if (given.length > 0) throw new Error(`--${given.join(', --')}: options of the A/B bench, which needs --baseline <ref>`);
    return undefined;
  }
  if (values.signer !== undefined && values.signer !== 'root' && values.signer !== 'user') throw new Error(`--signer ${values.signer}: root or user`);
  const requests = values.requests === undefined ? undefined : Math.round(numberOption(values.requests, 0, 'requests'));
  return {
    baseline,
    rounds: Math.round(numberOption(values.rounds ?? process.env['BENCH_AB_ROUNDS'], 5, 'rounds')),
    amount: requests === undefined ? { seconds: Math.max(1, Math.round(numberOption(values.seconds ?? process.env['BENCH_AB_SECONDS'], 3, 'seconds'))) } : { requests },
    warmup: requests === undefined ? { seconds: WARMUP_SECONDS } : { requests: Math.round(numberOption(values.warmup, 2000, 'warmup')) },
    rows: (values.rows ?? process.env['BENCH_AB_ROWS'] ?? '').split(',').filter((word) => word !== ''),
    signer: values.signer === 'user' ? 'user' : 'root',
    connections: Math.round(numberOption(values.connections, 64, 'connections')),
    ...(values.profile === undefined ? {} : { profile: resolve(values.profile) }),
  };
}

const git = async (...args: string[]): Promise<string> => (await run('git', args, { cwd: ROOT })).stdout.trim();
const loadAverage = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const describe = async (rev: string) => (await git('log', '-1', '--format=%h %s', rev)).slice(0, 90);

/** The baseline's build: a ref built in a worktree of its own, or a directory already built; undone by `remove`. */
async function baselineBuild(baseline: string, work: string): Promise<{ root: string; label: string; remove: () => Promise<void> }> {
  if (existsSync(baseline)) {
    const root = resolve(baseline);
    // A checkout holds its node_modules; a copy of a dist finds its imports in its parent's.
    const modules = join(existsSync(join(root, 'package.json')) ? root : dirname(root), 'node_modules');
    const linked = !existsSync(modules);
    if (linked) symlinkSync(join(ROOT, 'node_modules'), modules);
    return { root, label: `the build in ${root}`, remove: () => Promise.resolve(void (linked && rmSync(modules))) };
  }
  const sha = await git('rev-parse', '--verify', `${baseline}^{commit}`);
  const tree = join(work, 'baseline');
  await git('worktree', 'add', '--detach', tree, sha);
  const label = await describe(sha);
  const remove = () => git('worktree', 'remove', '--force', tree).then(() => undefined, (error: unknown) => console.error(`git worktree remove ${tree}: ${String(error)}`));
  try {
    symlinkSync(join(ROOT, 'node_modules'), join(tree, 'node_modules'));
    console.log(`building A (${label.slice(0, 60)}) in ${tree}`);
    await run('npm', ['run', 'build', '--silent'], { cwd: tree, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    await remove();
    throw error;
  }
  return { root: tree, label, remove };
}

/** The rows, each driven by wrk or a Node loader for a time, or by a Node loader for a count. */
function rows(options: AbOptions, work: string): Row[] {
  const conns = options.connections;
  const loader = (method: 'GET' | 'HEAD' | 'PUT', amount: Amount, target: { urls: string[] } | { urlFile: string }, extra: { status?: number } = {}) =>
    nodeLoad('load-large.js', {
      urls: [], ...target, method, size: method === 'PUT' ? KIB4 : 0, concurrency: conns, ...extra,
      ...('seconds' in amount ? { rounds: 1e9, seconds: amount.seconds } : { rounds: 'urls' in target ? amount.requests : 1 }),
    }).then((figure) => ({ ...figure, mbps: 0 }));
  const get = (side: Side) => presigned(side.server.endpoint, 'GET', 'small.bin', { credentials: side.keys });
  /** A list of `count` PUTs of new keys (put/<round>/<i>; the warm-up's put/w/<i>) for the Node loader. */
  const putUrls = (side: Side, count: number, round: number) => {
    const file = join(work, `put-urls-${side.name}-${round}.txt`);
    const prefix = round < 0 ? 'w' : String(round);
    writeFileSync(file, Array.from({ length: count }, (_, i) => presigned(side.server.endpoint, 'PUT', `put/${prefix}/${i}`, { credentials: side.keys })).join('\n'));
    return file;
  };
  // wrk's PUT list: the warm-up (round -1) takes its first part, round r the (r + 2)th of rounds + 1.
  const listOffset = (round: number, count: number) => String(round < 0 ? 0 : Math.floor(((round + 1) * count) / (options.rounds + 1)));
  const sdk = (op: 'put' | 'get', side: Side, amount: Amount) =>
    nodeLoad('load-sdk.js', { endpoint: side.server.endpoint, ...side.keys, bucket: 'bench', size: KIB4, concurrency: 16, op, ...amount }).then((figure) => ({ ...figure, mbps: 0 }));
  return [
    {
      name: 'pre-signed GET 4 KiB', timed: `wrk, ${conns} conns`, counted: `Node loader, ${conns} conns`,
      load: (side, amount) => ('seconds' in amount ? wrk(get(side), { connections: conns, seconds: amount.seconds }) : loader('GET', amount, { urls: [get(side)] })),
    },
    {
      name: 'pre-signed HEAD', timed: `Node loader, ${conns} conns`, counted: `Node loader, ${conns} conns`,
      load: (side, amount) => loader('HEAD', amount, { urls: [presigned(side.server.endpoint, 'HEAD', 'small.bin', { credentials: side.keys })] }),
    },
    {
      name: '403 tampered link', timed: `wrk, ${conns} conns`, counted: `Node loader, ${conns} conns`,
      load: (side, amount) =>
        'seconds' in amount ? wrk(tampered(get(side)), { connections: conns, seconds: amount.seconds }) : loader('GET', amount, { urls: [tampered(get(side))] }, { status: 403 }),
    },
    {
      name: 'pre-signed PUT 4 KiB, fsync', timed: `wrk, ${conns}`, counted: `Node loader, ${conns}`,
      load: (side, amount, round) => {
        if (!('seconds' in amount)) return loader('PUT', amount, { urlFile: putUrls(side, amount.requests, round) });
        const list = (side.putList ??= putList(side.server.endpoint, join(work, `put-urls-${side.name}.txt`), putCount(options), side.keys));
        return wrk(`${side.server.endpoint}/`, { ...urlList(list), connections: conns, seconds: amount.seconds, scriptArgs: [list, String(KIB4), listOffset(round, putCount(options))] });
      },
    },
    { name: 'SDK PutObject 4 KiB', timed: '16 loops', counted: '16 loops', load: (side, amount) => sdk('put', side, amount) },
    { name: 'SDK GetObject 4 KiB', timed: '16 loops', counted: '16 loops', load: (side, amount) => sdk('get', side, amount) },
  ];
}

/** wrk's PUT list: enough for the warm-up and every round at PUTS_PER_SECOND. */
const putCount = (options: AbOptions): number =>
  'seconds' in options.amount && 'seconds' in options.warmup ? (options.rounds * options.amount.seconds + options.warmup.seconds) * PUTS_PER_SECOND : 0;

const amountText = (amount: Amount): string => ('seconds' in amount ? `${amount.seconds} s` : `${amount.requests} requests`);
/** A side's CPU of every round, lowest first, and their median. */
const cpuSpread = (figures: readonly Figure[]): string => `${[...figures.map((f) => f.cpuMsPerOp)].sort((a, b) => a - b).map((v) => v.toFixed(3)).join(' ')}  (median ${median(figures.map((f) => f.cpuMsPerOp)).toFixed(3)})`;

async function startSide(name: Side['name'], root: string, work: string, options: AbOptions): Promise<Side> {
  const profile = options.profile === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', options.profile, '--cpu-prof-name', `${name}-${Date.now()}.cpuprofile`];
  const server = await startLatchkey(join(work, `data-${name}`), [], root, profile);
  const side: Side = { name, server, keys: CREDENTIALS };
  try {
    if (options.signer === 'user') side.keys = await benchUser(server.endpoint, root);
    const client = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: CREDENTIALS });
    await client.send(new CreateBucketCommand({ Bucket: 'bench' }));
    await client.send(new PutObjectCommand({ Bucket: 'bench', Key: 'small.bin', Body: Buffer.alloc(KIB4, 's') }));
    client.destroy();
  } catch (error) {
    await stop(side);
    throw error;
  }
  return side;
}

/** Stops a server and waits for it to exit (a profile is written on the way out), 15 s at the most. */
async function stop(side: Side): Promise<void> {
  const { child } = side.server;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000).unref())]);
}

export async function abBench(options: AbOptions): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'latchkey-bench-ab-'));
  const changed = (await git('status', '--porcelain', '--', 'src')) === '' ? '' : ' (+ uncommitted changes in src/)';
  const sides: Side[] = [];
  let remove = (): Promise<void> => Promise.resolve();
  try {
    const baseline = await baselineBuild(options.baseline, work);
    remove = baseline.remove;
    const labels = { A: baseline.label, B: `${await describe('HEAD')}${changed}` };
    sides.push(await startSide('A', baseline.root, work, options));
    sides.push(await startSide('B', ROOT, work, options));
    const counted = !('seconds' in options.amount);

    console.log(`\nA/B: A = ${labels.A}\n     B = ${labels.B}`);
    console.log(`${options.rounds} rounds of ${amountText(options.amount)} per side and row, taken in turn (A B, B A, ...) after ${amountText(options.warmup)} of warm-up each; links signed by ${options.signer === 'user' ? 'a user (one identity policy)' : 'root'}; servers on CPU ${SERVER_CPU}, load on CPU ${LOAD_CPU}; CPU = server CPU ms per request`);
    console.log(`load average (1, 5, 15 min) at the start: ${loadAverage()}`);
    const summary: string[] = [];
    for (const row of rows(options, work).filter(({ name }) => options.rows.length === 0 || options.rows.some((word) => name.includes(word)))) {
      const name = `${row.name} (${counted ? row.counted : row.timed})`;
      const figures: Record<Side['name'], Figure[]> = { A: [], B: [] };
      for (const side of sides) await row.load(side, options.warmup, -1);
      for (let round = 0; round < options.rounds; round++) {
        for (const side of round % 2 === 0 ? sides : [...sides].reverse()) {
          await settle(side.server.pid);
          figures[side.name].push(await measure(side.server.pid, () => row.load(side, options.amount, round)));
        }
      }
      console.log(`\n${name}   (load average ${loadAverage()})`);
      console.log(`  ${'round'.padEnd(6)} ${'A/s'.padStart(8)} ${'B/s'.padStart(8)} ${'B/A'.padStart(6)} ${'A CPU'.padStart(7)} ${'B CPU'.padStart(7)} ${'B/A'.padStart(6)}`);
      const ratios = figures.A.map((a, i) => {
        const b = figures.B[i] ?? a;
        const notes = [a.note && `A: ${a.note}`, b.note && `B: ${b.note}`].filter(Boolean).join('; ');
        console.log(`  ${String(i + 1).padEnd(6)} ${rate(a).toFixed(0).padStart(8)} ${rate(b).toFixed(0).padStart(8)} ${(rate(b) / rate(a)).toFixed(2).padStart(6)} ${a.cpuMsPerOp.toFixed(3).padStart(7)} ${b.cpuMsPerOp.toFixed(3).padStart(7)} ${(b.cpuMsPerOp / a.cpuMsPerOp).toFixed(2).padStart(6)}${notes ? `  [${notes}]` : ''}`);
        return { rate: rate(b) / rate(a), cpu: b.cpuMsPerOp / a.cpuMsPerOp };
      });
      for (const side of sides) console.log(`  ${side.name} CPU ms per request, lowest first: ${cpuSpread(figures[side.name])}`);
      // Medians, not sums: one round that a neighbour's burst or a collection slowed does not move them.
      const cpu = (all: readonly Figure[]) => median(all.map((f) => f.cpuMsPerOp));
      const spread = (values: number[]) => `${median(values).toFixed(2)} [${Math.min(...values).toFixed(2)}-${Math.max(...values).toFixed(2)}]`;
      summary.push([
        name.padEnd(46),
        median(figures.A.map(rate)).toFixed(0).padStart(8),
        median(figures.B.map(rate)).toFixed(0).padStart(8),
        spread(ratios.map((r) => r.rate)).padStart(17),
        cpu(figures.A).toFixed(3).padStart(8),
        cpu(figures.B).toFixed(3).padStart(8),
        spread(ratios.map((r) => r.cpu)).padStart(17),
        `  ${loadAverage().split(' ')[0]}`,
      ].join(' '));
    }
    console.log(`\nA = ${labels.A}\nB = ${labels.B}\nrates: medians of the rounds; B/A: median [range] of the rounds' ratios; CPU: median of the rounds' server CPU ms per request`);
    console.log(`${'row'.padEnd(46)} ${'A/s'.padStart(8)} ${'B/s'.padStart(8)} ${'B/A rate'.padStart(17)} ${'A CPU'.padStart(8)} ${'B CPU'.padStart(8)} ${'B/A CPU'.padStart(17)}  load`);
    for (const line of summary) console.log(line);
  } finally {
    for (const side of sides) await stop(side);
    if (options.profile !== undefined && sides.length > 0) console.log(`\nCPU profiles (A-*, B-*): ${options.profile}`);
    await remove();
    rmSync(work, { recursive: true, force: true });
  }
}
