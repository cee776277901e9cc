import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BALANCER_SERVER, balancerUpstream } from '../../bench/nginx-config.js';
import { startNginx, type RunningNginx } from './nginx.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';
import { loggedLines, startServer, type TestServer } from './server.js';

export interface TestCluster {
  readonly nodes: TestServer[];
  /** nginx in front of every node, round robin: what clients of a cluster talk to. */
  readonly balancer: TestServer;
  readonly dataDir: string;
  readonly database: TestDatabase;
  /** The master key every node was given (LATCHKEY_MASTER_KEY). */
  readonly masterKey: string;
  /** Starts node `i` again (after a kill) on the same data dir and database. */
  restart(i: number): Promise<TestServer>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  readonly nodes?: number;
  readonly args?: readonly string[];
  /** A database URL to use instead of a fresh database on LATCHKEY_TEST_POSTGRES_URL. */
  readonly database?: TestDatabase;
  /** Each node serves its console too (on an ephemeral port; see consoleOf). */
  readonly console?: boolean;
}

/** A node's console origin, e.g. http://127.0.0.1:41234 (the node was started with its console). */
export async function consoleOf(node: TestServer): Promise<string> {
  const [line] = await loggedLines(node, (l) => l.includes('"msg":"console"'));
  const origin = /"console":"(http:\/\/[^"]+)"/.exec(line ?? '')?.[1];
  if (origin === undefined) throw new Error(`no console address in the log:\n${node.logs.join('\n')}`);
  return origin;
}

/**
 * Several real `latchkey server` processes on loopback ports sharing one
 * PostgreSQL database and one data dir, behind the real nginx. The master
 * key comes from the environment, identical on every node, as in production.
 */
export async function startCluster(options: ClusterOptions = {}): Promise<TestCluster> {
  const database = options.database ?? (await createTestDatabase());
  const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-cluster-'));
  const masterKey = randomBytes(32).toString('hex');
  const start = (i: number) =>
    startServer({
      dataDir,
      args: ['--metadata', database.url, '--node-id', `node${i}`, ...(options.console ? [] : ['--no-console']), ...(options.args ?? [])],
      env: { LATCHKEY_MASTER_KEY: masterKey },
    });
  const nodes: TestServer[] = [];
  // The first node creates the schema; the others then start together (their migration check races on the advisory lock).
  nodes.push(await start(0));
  nodes.push(...(await Promise.all(Array.from({ length: (options.nodes ?? 3) - 1 }, (_, i) => start(i + 1)))));
  const nginx: RunningNginx = await startNginx(BALANCER_SERVER, balancerUpstream(nodes.map((n) => `127.0.0.1:${n.port}`), 16));
  const balancer: TestServer = { ...nodes[0]!, endpoint: nginx.url, port: nginx.port };
  return {
    nodes,
    balancer,
    dataDir,
    database,
    masterKey,
    async restart(i) {
      nodes[i] = await start(i);
      return nodes[i];
    },
    async stop() {
      await nginx.stop();
      await Promise.all(nodes.map((n) => (n.process.exitCode === null && n.process.signalCode === null ? n.stop() : Promise.resolve(null))));
      if (options.database === undefined) await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
