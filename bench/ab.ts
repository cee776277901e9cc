/**
 * `npm run bench -- --baseline <ref>` (or BENCH_BASELINE=<ref>): this build (B)
 * against the build of another commit (A) in the same run. The ref is built
 * in a temporary git worktree (this one's node_modules linked in), removed at
 * the end. Both servers are started as their own `npm start` starts them,
 * pinned to the server core, each with a data dir of its own holding the same
 * bucket and object. Each small-request row runs in rounds taken in turn
 * (A B, B A, A B, ...), so a change in the shared machine's load falls on both
 * alike, and its ratio is taken round by round: of one stretch of time.
 */
import { symlinkSync, mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { median, measure, nodeLoad, rate, ROOT, run, SERVER_CPU, LOAD_CPU, settle, WARMUP_SECONDS, wrk, type Figure, type Proc } from './harness.js';
import { CREDENTIALS, KIB4, presigned, putList, startLatchkey, tampered, urlList } from './latchkey.js';

/** Rounds of each side per row, and their length (whole seconds: wrk's unit; long enough that connection setup stays small). */
const ROUNDS = Number(process.env['BENCH_AB_ROUNDS'] ?? 5);
const ROUND_SECONDS = Math.max(1, Math.round(Number(process.env['BENCH_AB_SECONDS'] ?? 3)));
/** BENCH_AB_ROWS: only the rows whose names contain one of these comma-separated words (e.g. "403,PUT"). */
const ONLY = (process.env['BENCH_AB_ROWS'] ?? '').split(',').filter((word) => word !== '');
/** PUT URLs per side: each round starts at a part of the list of its own, so no URL is used twice below this rate. */
const PUTS_PER_SECOND = 8_000;

type Load = (endpoint: string, seconds: number, round: number) => Promise<Omit<Figure, 'cpuMsPerOp'>>;
interface Side {
  name: 'A' | 'B';
  server: Proc & { endpoint: string };
}

/** The ref given as `--baseline <ref>`, `--baseline=<ref>` or BENCH_BASELINE; undefined: the ordinary bench. */
export function baselineRef(argv: readonly string[]): string | undefined {
  const at = argv.findIndex((arg) => arg === '--baseline' || arg.startsWith('--baseline='));
  const ref = at < 0 ? process.env['BENCH_BASELINE'] : argv[at]?.includes('=') ? argv[at]?.slice('--baseline='.length) : argv[at + 1];
  return ref === '' ? undefined : ref;
}

const git = async (...args: string[]): Promise<string> => (await run('git', args, { cwd: ROOT })).stdout.trim();
const loadAverage = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

export async function abBench(ref: string): Promise<void> {
  const sha = await git('rev-parse', '--verify', `${ref}^{commit}`);
  const describe = async (rev: string) => (await git('log', '-1', '--format=%h %s', rev)).slice(0, 90);
  const labels = { A: await describe(sha), B: `${await describe('HEAD')}${(await git('status', '--porcelain', '--', 'src')) === '' ? '' : ' (+ uncommitted changes in src/)'}` };
  const work = mkdtempSync(join(tmpdir(), 'latchkey-bench-ab-'));
  const tree = join(work, 'baseline');
  const sides: Side[] = [];
  try {
    await git('worktree', 'add', '--detach', tree, sha);
    symlinkSync(join(ROOT, 'node_modules'), join(tree, 'node_modules'));
    console.log(`building A (${labels.A.slice(0, 60)}) in ${tree}`);
    await run('npm', ['run', 'build', '--silent'], { cwd: tree, maxBuffer: 16 * 1024 * 1024 });

    const lists = new Map<string, string>();
    const count = (ROUNDS * ROUND_SECONDS + WARMUP_SECONDS) * PUTS_PER_SECOND;
    for (const [name, root] of [['A', tree], ['B', ROOT]] as const) {
      const server = await startLatchkey(join(work, `data-${name}`), [], root);
      sides.push({ name, server });
      const client = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: CREDENTIALS });
      await client.send(new CreateBucketCommand({ Bucket: 'bench' }));
      await client.send(new PutObjectCommand({ Bucket: 'bench', Key: 'small.bin', Body: Buffer.alloc(KIB4, 's') }));
      client.destroy();
      lists.set(server.endpoint, putList(server.endpoint, join(work, `put-urls-${name}.txt`), count));
    }
    const listOf = (endpoint: string) => lists.get(endpoint) ?? '';
    // The warm-up (round -1) takes the list's first part, round r the (r + 2)th of ROUNDS + 1.
    const listOffset = (round: number) => String(round < 0 ? 0 : Math.floor(((round + 1) * count) / (ROUNDS + 1)));
    const loader = (method: 'HEAD', endpoint: string, seconds: number) =>
      nodeLoad('load-large.js', { method, urls: [presigned(endpoint, method, 'small.bin')], size: 0, concurrency: 64, rounds: 1e9, seconds });
    const sdk = (op: 'put' | 'get', endpoint: string, seconds: number) =>
      nodeLoad('load-sdk.js', { endpoint, ...CREDENTIALS, bucket: 'bench', size: KIB4, concurrency: 16, seconds, op });
    const rows: ReadonlyArray<readonly [string, Load]> = [
      ['pre-signed GET 4 KiB (wrk, 64 conns)', (endpoint, seconds) => wrk(presigned(endpoint, 'GET', 'small.bin'), { connections: 64, seconds })],
      ['pre-signed HEAD (Node loader, 64 conns)', async (endpoint, seconds) => ({ ...(await loader('HEAD', endpoint, seconds)), mbps: 0 })],
      ['403 tampered link (wrk, 64 conns)', (endpoint, seconds) => wrk(tampered(presigned(endpoint, 'GET', 'small.bin')), { connections: 64, seconds })],
      ['pre-signed PUT 4 KiB, fsync (wrk, 64)', (endpoint, seconds, round) =>
        wrk(`${endpoint}/`, { ...urlList(listOf(endpoint)), seconds, scriptArgs: [listOf(endpoint), String(KIB4), listOffset(round)] })],
      ['SDK PutObject 4 KiB (16 loops)', async (endpoint, seconds) => ({ ...(await sdk('put', endpoint, seconds)), mbps: 0 })],
      ['SDK GetObject 4 KiB (16 loops)', async (endpoint, seconds) => ({ ...(await sdk('get', endpoint, seconds)), mbps: 0 })],
    ];

    console.log(`\nA/B: A = ${labels.A}\n     B = ${labels.B}`);
    console.log(`${ROUNDS} rounds of ${ROUND_SECONDS} s per side and row, taken in turn (A B, B A, ...) after ${WARMUP_SECONDS} s of warm-up each; servers on CPU ${SERVER_CPU}, load on CPU ${LOAD_CPU}; CPU = server CPU ms per request`);
    console.log(`load average (1, 5, 15 min) at the start: ${loadAverage()}`);
    const summary: string[] = [];
    for (const [name, load] of rows.filter(([name]) => ONLY.length === 0 || ONLY.some((word) => name.includes(word)))) {
      const figures: Record<'A' | 'B', Figure[]> = { A: [], B: [] };
      for (const side of sides) await load(side.server.endpoint, WARMUP_SECONDS, -1);
      for (let round = 0; round < ROUNDS; round++) {
        for (const side of round % 2 === 0 ? sides : [...sides].reverse()) {
          await settle(side.server.pid);
          figures[side.name].push(await measure(side.server.pid, () => load(side.server.endpoint, ROUND_SECONDS, round)));
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
      // Medians, not sums: one round that a neighbour's burst or a collection slowed does not move them.
      const cpu = (all: readonly Figure[]) => median(all.map((f) => f.cpuMsPerOp));
      const spread = (values: number[]) => `${median(values).toFixed(2)} [${Math.min(...values).toFixed(2)}-${Math.max(...values).toFixed(2)}]`;
      summary.push([
        name.padEnd(38),
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
    console.log(`${'row'.padEnd(38)} ${'A/s'.padStart(8)} ${'B/s'.padStart(8)} ${'B/A rate'.padStart(17)} ${'A CPU'.padStart(8)} ${'B CPU'.padStart(8)} ${'B/A CPU'.padStart(17)}  load`);
    for (const line of summary) console.log(line);
  } finally {
    for (const side of sides) side.server.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    await git('worktree', 'remove', '--force', tree).catch((error: unknown) => console.error(`git worktree remove ${tree}: ${String(error)}`));
    rmSync(work, { recursive: true, force: true });
  }
}
