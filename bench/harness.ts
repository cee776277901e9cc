/**
 * What every bench phase shares: processes pinned to the server core, load
 * generators on the other one, and the figures read from /proc and wrk.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const run = promisify(execFile);
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SERVER_CPU = '0';
export const LOAD_CPU = '1';
export const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 5);
export const WARMUP_SECONDS = 1;

export interface Figure {
  ops: number;
  seconds: number;
  mbps: number;
  p50: number;
  p99: number;
  cpuMsPerOp: number;
  /** Failed requests (wrk counts them as requests too): printed with the row. */
  note?: string;
}

export const rate = (f: Pick<Figure, 'ops' | 'seconds'>): number => f.ops / f.seconds;

/** The middle value (of an even count, the higher of the two middle ones). */
export const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

export interface Proc {
  pid: number;
  child: ChildProcess;
}

function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return Number(fields[11]) + Number(fields[12]);
}

/** Starts the peak RSS (VmHWM) over from the current RSS (Linux, writing 5 to clear_refs); false where not allowed. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

export function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** The resident set now (VmRSS), in MB. */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const TICK_MS = 10; // USER_HZ = 100 on Linux

/**
 * Waits (up to 10 s) until the process has used under 5% of a core for a
 * quarter of a second: background work a phase leaves behind (a WAL
 * checkpoint after thousands of PUTs) is not charged to the next phase.
 */
export async function settle(pid: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const before = cpuTicks(pid);
    await new Promise((r) => setTimeout(r, 250));
    if ((cpuTicks(pid) - before) * TICK_MS < 250 * 0.05) return;
  }
}

/** CPU per op of one server process, or of several (nodes behind a balancer) summed. */
export async function measure(pids: number | readonly number[], body: () => Promise<Omit<Figure, 'cpuMsPerOp'>>): Promise<Figure> {
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

export async function wrk(url: string, options: { connections: number; script?: string; scriptArgs?: string[]; seconds?: number }): Promise<Omit<Figure, 'cpuMsPerOp'>> {
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

/** What a Node loader prints: load-sdk.js also its own CPU per request, from the first to the last. */
export interface LoaderFigure {
  ops: number;
  seconds: number;
  bytes?: number;
  p50: number;
  p99: number;
  loaderCpuMsPerOp?: number;
}

export async function nodeLoad(script: string, args: unknown): Promise<LoaderFigure> {
  const { stdout } = await run('taskset', ['-c', LOAD_CPU, process.execPath, join(ROOT, 'dist/bench', script), JSON.stringify(args)], { maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as LoaderFigure;
}


/**
 * A Node server pinned to the server core, once it printed the line `ready`
 * matches (group 1: its endpoint). taskset execs node in place: the pid is
 * the server's. Its stdout is drained afterwards: request logs would make the
 * benchmark measure the pipe.
 */
export async function startPinnedServer(name: string, args: string[], ready: RegExp, env?: NodeJS.ProcessEnv): Promise<Proc & { endpoint: string }> {
  const child = spawn('taskset', ['-c', SERVER_CPU, process.execPath, ...args], { env: env ?? process.env, stdio: ['ignore', 'pipe', 'inherit'] });
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
