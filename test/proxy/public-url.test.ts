import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { nodeCrypto } from '../../src/sigv4/node-crypto.js';
import { presign } from '../../src/sigv4/sign.js';
import { aws } from '../helpers/clients.js';
import { NGINX_MISSING, startNginx, type RunningNginx } from '../helpers/nginx.js';
import { ROOT_CREDENTIALS, startServer, type TestServer } from '../helpers/server.js';

/**
 * Latchkey behind nginx. Signatures cover the Host the client used, so the
 * proxy must pass it through unchanged (proxy_set_header Host $http_host);
 * nginx's default (the upstream's address) breaks every signed request.
 */
describe('behind a reverse proxy', { skip: NGINX_MISSING }, () => {
  let server: TestServer;
  let good: RunningNginx;
  let bad: RunningNginx;
  const proxyBlock = (upstream: string, hostLine: string) => `
    client_max_body_size 0;
    proxy_request_buffering off;
    proxy_buffering off;
    proxy_http_version 1.1;
    location / {
      proxy_pass ${upstream};
      ${hostLine}
    }`;

  before(async () => {
    // The server's public URL is the proxy's: nginx takes its port first (with nothing behind it yet),
    // the server starts with that URL, then nginx is pointed at the server's own port.
    good = await startNginx('location / { return 503; }');
    server = await startServer({ args: ['--public-url', good.url] });
    const upstream = `http://127.0.0.1:${server.port}`;
    await good.reload(proxyBlock(upstream, 'proxy_set_header Host $http_host;'));
    bad = await startNginx(proxyBlock(upstream, ''));
  });
  after(async () => {
    await good?.stop();
    await bad?.stop();
    await server?.stop();
  });

  it('prints the public URL in its start-up line', () => {
    assert.ok(server.logs.some((line) => line.includes('"listening"') && line.includes(`"publicUrl":"${good.url}"`)));
  });

  it('serves the aws CLI and pre-signed links through a proxy that keeps the Host', async () => {
    const proxied = { ...server, endpoint: good.url };
    assert.equal((await aws(proxied, ['s3', 'mb', 's3://proxied'])).code, 0);
    const put = await fetch(
      presign({ method: 'PUT', url: `${good.url}/proxied/hello.txt`, credentials: ROOT_CREDENTIALS, region: 'us-east-1', now: Date.now(), expiresIn: 300, crypto: nodeCrypto }).url,
      { method: 'PUT', body: 'through the proxy' },
    );
    assert.equal(put.status, 200);
    const link = presign({ method: 'GET', url: `${good.url}/proxied/hello.txt`, credentials: ROOT_CREDENTIALS, region: 'us-east-1', now: Date.now(), expiresIn: 300, crypto: nodeCrypto }).url;
    const got = await fetch(link);
    assert.equal(got.status, 200);
    assert.equal(await got.text(), 'through the proxy');
    const ranged = await fetch(link, { headers: { range: 'bytes=8-10' } });
    assert.equal(ranged.status, 206);
    assert.equal(await ranged.text(), 'the');
  });

  it('refuses the same link through a proxy that rewrites the Host: SignatureDoesNotMatch', async () => {
    const link = presign({ method: 'GET', url: `${bad.url}/proxied/hello.txt`, credentials: ROOT_CREDENTIALS, region: 'us-east-1', now: Date.now(), expiresIn: 300, crypto: nodeCrypto }).url;
    const res = await fetch(link);
    assert.equal(res.status, 403);
    assert.match(await res.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
  });
});
