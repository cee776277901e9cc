/**
 * The servers Latchkey is measured against, each pinned to the server core:
 * nginx (one worker, WebDAV PUT), s3rver (the S3 emulator on npm) and
 * bench/bare-put.ts (what Node itself allows for a PUT, small or large).
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOAD_CPU, ROOT, run, SERVER_CPU, startPinnedServer, type Proc } from './harness.js';
import { BALANCER_SERVER, balancerUpstream, nginxConf, prepareNginxDir } from './nginx-config.js';

export type BareMode = 'md5' | 'sigv4' | 'durable' | 'store' | 'logged' | 'durable-pg' | 'large' | 'large-crc32' | 'large-get';
export const BARE_LABELS: Record<BareMode, string> = {
  md5: '  Node floor: http + MD5',
  sigv4: '  Node floor: + SigV4 check',
  durable: '  Node floor: + SQLite row, fsync',
  store: "    + Latchkey's metadata store row",
  logged: '    + request log line, link audit row',
  'durable-pg': '  Node floor: + PostgreSQL row',
  large: '  Node floor: SigV4, MD5, file, fsync',
  'large-crc32': '  Node floor: + CRC32 of the body',
  'large-get': '  Node floor: SigV4, file streamed',
};

/** bench/bare-put.ts in one of its modes (`durable-pg`: `dataDir` is the PostgreSQL URL). */
export function startBarePut(mode: BareMode, secret: string, dataDir: string): Promise<Proc & { endpoint: string }> {
  return startPinnedServer('bare-put', [join(ROOT, 'dist/bench/bare-put.js'), mode, secret, dataDir], /listening (\S+)/);
}

export async function startNginx(dir: string, port: number): Promise<Proc> {
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
export function startBalancer(dir: string, port: number, upstreams: readonly string[]): Promise<Proc> {
  return spawnNginx(dir, LOAD_CPU, `
  ${balancerUpstream(upstreams, 64)}
  server {
    listen 127.0.0.1:${port};
${BALANCER_SERVER}
  }`);
}

/** One nginx worker pinned to `cpu`, with this http block; resolves to the worker's pid. */
async function spawnNginx(dir: string, cpu: string, http: string): Promise<Proc> {
  prepareNginxDir(dir);
  writeFileSync(join(dir, 'nginx.conf'), nginxConf(dir, `  client_max_body_size 0;\n${http}`));
  const child = spawn('taskset', ['-c', cpu, 'nginx', '-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: 'inherit' });
  await new Promise((r) => setTimeout(r, 500));
  const { stdout } = await run('pgrep', ['-P', String(child.pid)]);
  const worker = Number(stdout.trim().split('\n')[0]);
  return { pid: worker, child };
}

/** s3rver's own fixed credentials. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** s3rver with the bucket `bench`, its data in dir. */
export function startS3rver(dir: string): Promise<Proc & { endpoint: string }> {
  mkdirSync(dir, { recursive: true });
  return startPinnedServer('s3rver', [join(ROOT, 'dist/bench/s3rver-server.js'), dir], /listening (\S+)/);
}
