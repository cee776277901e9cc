import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { nginxConf, prepareNginxDir } from '../../bench/nginx-config.js';
import { candidatePort } from './ports.js';

/** nginx-light comes from Debian in CI (.ci/run); elsewhere tests that need it are skipped with this reason. */
export const NGINX_MISSING = spawnSync('nginx', ['-v']).error ? 'nginx is not installed (apt-get install nginx-light)' : false;

const START_TIMEOUT_MS = 20_000;
const ATTEMPTS = 5;

export interface RunningNginx {
  readonly url: string;
  readonly port: number;
  /** Rewrites the server block and reloads nginx; resolves once the new configuration answers. */
  reload(serverBlock: string): Promise<void>;
  stop(): Promise<void>;
}

function config(dir: string, port: number, serverBlock: string, httpBlock: string, generation: number): string {
  return nginxConf(dir, `${httpBlock}
  server {
    listen 127.0.0.1:${port};
    # Which configuration answered: a reload is done once the new number comes back.
    add_header X-Test-Nginx-Generation ${generation} always;
${serverBlock}
  }`);
}

/** The generation of the configuration answering on the port, or undefined when nothing answers (yet). */
async function answeringGeneration(port: number): Promise<string | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/`, { redirect: 'manual', signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    return response.headers.get('x-test-nginx-generation') ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * nginx in the foreground with one server block (and `httpBlock` beside it,
 * e.g. an upstream), in a throw-away prefix, on a
 * port of its own. nginx writes its pid file only once it holds its listening
 * socket, so the pid file (with the process still running) is the sign it is
 * up; a bind failure (the port taken meanwhile) makes it exit, and another
 * port is tried. Any other failure to start throws with nginx's error log.
 */
export async function startNginx(serverBlock: string, httpBlock = ''): Promise<RunningNginx> {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-nginx-'));
  chmodSync(dir, 0o755);
  prepareNginxDir(dir);
  const errorLog = () => (existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : '');
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const port = await candidatePort();
    let generation = 1;
    writeFileSync(join(dir, 'nginx.conf'), config(dir, port, serverBlock, httpBlock, generation));
    rmSync(join(dir, 'nginx.pid'), { force: true });
    rmSync(join(dir, 'error.log'), { force: true });
    const child: ChildProcess = spawn('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let exitCode: number | null | undefined;
    const exited = new Promise<void>((resolve) => child.once('exit', (code) => ((exitCode = code), resolve())));
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (exitCode === undefined && !existsSync(join(dir, 'nginx.pid')) && Date.now() < deadline) await sleep(20);
    if (exitCode === undefined && existsSync(join(dir, 'nginx.pid'))) {
      if ((await answeringGeneration(port)) !== String(generation)) {
        child.kill('SIGKILL');
        await exited;
        throw new Error(`nginx started on port ${port}, but another server answers there`);
      }
      const url = `http://127.0.0.1:${port}`;
      return {
        url,
        port,
        async reload(block: string) {
          generation++;
          writeFileSync(join(dir, 'nginx.conf'), config(dir, port, block, httpBlock, generation));
          child.kill('SIGHUP');
          const until = Date.now() + START_TIMEOUT_MS;
          while ((await answeringGeneration(port)) !== String(generation)) {
            if (Date.now() > until || exitCode !== undefined) throw new Error(`nginx did not reload:\n${errorLog()}`);
            await sleep(20);
          }
        },
        async stop() {
          child.kill('SIGQUIT');
          await exited;
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    if (exitCode === undefined) {
      child.kill('SIGKILL');
      await exited;
    }
    const log = `${stderr}${errorLog()}`;
    if (!/Address already in use/.test(log) || attempt === ATTEMPTS) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`nginx did not start (attempt ${attempt}, exit ${String(exitCode)}):\n${log}`);
    }
  }
  throw new Error('unreachable');
}
