import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * nginx configuration written once for the bench (bench/references.ts) and the
 * tests (test/helpers/nginx.ts, test/helpers/cluster.ts): a one-worker nginx
 * in the foreground in a throw-away prefix, and the load balancer in front of
 * several Latchkey nodes (docs/cluster.md): round robin, bodies streamed both
 * ways, kept-alive connections to the nodes.
 */

/** The temp dirs nginx.conf names, writable by a worker that runs as another user. */
export function prepareNginxDir(dir: string): void {
  for (const sub of ['body', 'proxy']) {
    mkdirSync(join(dir, sub), { recursive: true });
    chmodSync(join(dir, sub), 0o777);
  }
}

/** nginx.conf for one worker in the foreground, everything it writes under `dir`, around this http block's content. */
export function nginxConf(dir: string, http: string): string {
  return `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
${http}
}
`;
}

/**
 * The http-level upstream named `latchkey`. A node is never marked down (a
 * refused request is the node's answer to give), and nginx drops an idle
 * connection before a node does (its keep-alive is 5 s): reusing one the node
 * just closed would be a 502.
 */
export function balancerUpstream(nodes: readonly string[], keepalive: number): string {
  return `upstream latchkey { ${nodes.map((node) => `server ${node} max_fails=0;`).join(' ')} keepalive ${keepalive}; keepalive_timeout 2s; }`;
}

/**
 * The server-level directives: no size limit and no buffering (a body streams
 * to the node as it arrives, an answer to the client as the node sends it), the
 * client's Host passed on (it is signed), and a failed request never retried on
 * another node (a PUT is not nginx's to repeat).
 */
export const BALANCER_SERVER = `    client_max_body_size 0;
    proxy_request_buffering off;
    proxy_buffering off;
    location / {
      proxy_pass http://latchkey;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_next_upstream off;
    }`;
