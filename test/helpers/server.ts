import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { createTestDatabase } from './postgres.js';

export const ROOT_CREDENTIALS = { accessKeyId: 'LKTESTROOTACCESSKEY1', secretAccessKey: 'test-root-secret/with+chars=0123456789ab' } as const;
const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

export interface TestServer {
  readonly endpoint: string;
  readonly port: number;
  readonly dataDir: string;
  readonly region: string;
  /** The server's --metadata URL when it runs on PostgreSQL; undefined on SQLite (the file in the data dir). */
  readonly metadataUrl?: string | undefined;
  readonly logs: string[];
  readonly process: ChildProcess;
  /** SIGTERM and wait for exit. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
}

export interface StartOptions {
  /** Reuse a data dir (restart after a crash); a fresh temp dir otherwise. */
  readonly dataDir?: string;
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Keep the data dir after stop (the caller removes it). */
  readonly keepData?: boolean;
  /** Run the server as this user (and its group), e.g. to see what root's permissions would hide. */
  readonly uid?: number;
}

/**
 * LATCHKEY_TEST_SERVER_METADATA=postgres runs every test server on a fresh
 * PostgreSQL database of its own (on LATCHKEY_TEST_POSTGRES_URL) instead of
 * SQLite: the end-to-end suites then check the PostgreSQL backend with real clients.
 */
async function metadataArgs(options: StartOptions): Promise<{ args: string[]; drop: () => Promise<void> }> {
  const none = { args: [], drop: () => Promise.resolve() };
  if (process.env['LATCHKEY_TEST_SERVER_METADATA'] !== 'postgres' || options.args?.includes('--metadata')) return none;
  const database = await createTestDatabase();
  return { args: ['--metadata', database.url, '--node-id', 'test'], drop: () => database.drop() };
}

function metadataUrlOf(args: readonly string[]): string | undefined {
  const url = args[args.indexOf('--metadata') + 1];
  return args.includes('--metadata') && url !== undefined && url.startsWith('postgres') ? url : undefined;
}

/** Spawns the real server on 127.0.0.1 with an ephemeral port, as a user would run it. */
export async function startServer(options: StartOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'latchkey-test-'));
  const metadata = await metadataArgs(options);
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'server', '--address', '127.0.0.1:0', '--data', dataDir, ...metadata.args, ...(options.args ?? [])], {
    env: {
      ...process.env,
      LATCHKEY_ROOT_ACCESS_KEY: ROOT_CREDENTIALS.accessKeyId,
      LATCHKEY_ROOT_SECRET_KEY: ROOT_CREDENTIALS.secretAccessKey,
      // The default 1 GiB reserve would make every write 507 on a machine with less free: tests keep the gate on, smaller.
      LATCHKEY_MIN_FREE: '16MiB',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.uid }),
  });
  const logs: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${logs.join('')}`)), 20_000);
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      logs.push(line);
      const m = /"endpoint":"(https?:\/\/[^"]+)"/.exec(line);
      if (m && line.includes('"listening"')) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${logs.join('\n')}`));
    });
  });
  const cleanup = async () => {
    if (!options.keepData && options.dataDir === undefined) {
      rmSync(dataDir, { recursive: true, force: true });
      await metadata.drop();
    }
  };
  return {
    endpoint,
    port: Number(new URL(endpoint).port),
    dataDir,
    region: 'us-east-1',
    metadataUrl: metadataUrlOf([...metadata.args, ...(options.args ?? [])]),
    logs,
    process: child,
    async stop() {
      child.kill('SIGTERM');
      const code = await exited;
      await cleanup();
      return code;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * The server's log lines that `match`, once at least `atLeast` of them are
 * there (or 5 s have passed): a request's line is written after its response
 * (batched per event-loop turn, then piped), so a test that has just read the
 * answer may be ahead of it.
 */
export async function loggedLines(server: TestServer, match: (line: string) => boolean, atLeast = 1): Promise<string[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const lines = server.logs.filter(match);
    if (lines.length >= atLeast || Date.now() > deadline) return lines;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
