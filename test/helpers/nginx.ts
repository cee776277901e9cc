import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** nginx-light comes from Debian in CI (.ci/run); elsewhere tests that need it are skipped with this reason. */
export const NGINX_MISSING = spawnSync('nginx', ['-v']).error ? 'nginx is not installed (apt-get install nginx-light)' : false;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface RunningNginx {
  readonly url: string;
  stop(): Promise<void>;
}

/** nginx in the foreground with one server block (and `httpBlock` beside it, e.g. an upstream), in a throw-away prefix. */
export async function startNginx(port: number, serverBlock: string, httpBlock = ''): Promise<RunningNginx> {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-nginx-'));
  chmodSync(dir, 0o755);
  for (const sub of ['body', 'proxy']) {
    mkdirSync(join(dir, sub));
    chmodSync(join(dir, sub), 0o777);
  }
  writeFileSync(
    join(dir, 'nginx.conf'),
    `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
${httpBlock}
  server {
    listen 127.0.0.1:${port};
${serverBlock}
  }
}
`,
  );
  const child: ChildProcess = spawn('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let i = 0; i < 50; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/`).then(
      () => true,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGQUIT');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
