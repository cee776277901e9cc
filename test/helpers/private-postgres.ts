import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { candidatePort } from './ports.js';

const BIN = '/usr/lib/postgresql/15/bin';

export interface PrivatePostgres {
  readonly url: string;
  start(): void;
  stop(): void;
  /** Stops it and removes its files. */
  destroy(): void;
}

/** Runs a PostgreSQL tool; as the postgres user when we are root (PostgreSQL refuses to run as root). */
function pgTool(tool: string, args: readonly string[]): void {
  const asRoot = process.getuid?.() === 0;
  const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(BIN, tool), ...args]] : [join(BIN, tool), [...args]];
  execFileSync(file, argv, { stdio: 'pipe', timeout: 60_000 });
}

/**
 * A PostgreSQL server of a test's own (initdb + pg_ctl on a temp dir and a
 * free port), for tests that stop and start the database: the shared one
 * serves other tests and agents.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-pg-'));
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  const port = await candidatePort();
  pgTool('initdb', ['-D', data, '-U', 'latchkey', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const pg: PrivatePostgres = {
    url: `postgres://latchkey@127.0.0.1:${port}/postgres`,
    start: () => pgTool('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, 'start']),
    stop: () => pgTool('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']),
    destroy() {
      try {
        pg.stop();
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  pg.start();
  return pg;
}
