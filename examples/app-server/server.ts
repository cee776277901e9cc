/**
 * An app server that hands out Latchkey links: the browser never sees a
 * credential, only links that work for one object, one method, a few minutes.
 *
 *   AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=… LATCHKEY_ENDPOINT=http://127.0.0.1:9000 \
 *     node --import tsx examples/app-server/server.ts
 *   curl -c jar -d 'user=alice&password=wonderland' http://127.0.0.1:8080/login
 *   curl -b jar -L http://127.0.0.1:8080/files/notes.txt          # a fresh GET link per request
 *   curl -b jar http://127.0.0.1:8080/upload?name=notes.txt       # {"url", "method", "headers"} for a PUT
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { presignUrl } from '../../src/index.js'; // in your app: from 'latchkey'

const endpoint = process.env['LATCHKEY_ENDPOINT'] ?? 'http://127.0.0.1:9000';
const bucket = process.env['BUCKET'] ?? 'app-files';
const credentials = { accessKeyId: process.env['AWS_ACCESS_KEY_ID'] ?? '', secretAccessKey: process.env['AWS_SECRET_ACCESS_KEY'] ?? '' };
// The example's one user; a real app checks its own user store.
const USERS: Readonly<Record<string, string>> = { alice: 'wonderland' };
const sessions = new Map<string, string>();

function sessionUser(cookie: string | undefined): string | undefined {
  const id = /(?:^|;\s*)session=([0-9a-f]{32})/.exec(cookie ?? '')?.[1];
  return id === undefined ? undefined : sessions.get(id);
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://app.local');
  if (req.method === 'POST' && url.pathname === '/login') {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      const user = form.get('user') ?? '';
      const expected = Buffer.from(USERS[user] ?? randomBytes(16).toString('hex'));
      const given = Buffer.from(form.get('password') ?? '');
      if (USERS[user] === undefined || given.length !== expected.length || !timingSafeEqual(given, expected)) return void res.writeHead(401).end('no\n');
      const id = randomBytes(16).toString('hex');
      sessions.set(id, user);
      res.writeHead(204, { 'set-cookie': `session=${id}; HttpOnly; SameSite=Lax; Path=/` }).end();
    });
    return;
  }
  const user = sessionUser(req.headers.cookie);
  if (user === undefined) return void res.writeHead(401).end('log in first\n');
  const name = url.pathname.startsWith('/files/') ? decodeURIComponent(url.pathname.slice('/files/'.length)) : url.searchParams.get('name');
  if (!name || name.includes('/')) return void res.writeHead(400).end('which file?\n');
  // Each user only ever gets links inside their own prefix.
  const key = `users/${user}/${name}`;
  if (req.method === 'GET' && url.pathname.startsWith('/files/')) {
    const link = presignUrl({ endpoint, bucket, key, expiresIn: 300, credentials });
    return void res.writeHead(302, { location: link.url }).end();
  }
  if (req.method === 'GET' && url.pathname === '/upload') {
    const link = presignUrl({ endpoint, bucket, key, method: 'PUT', expiresIn: 600, credentials, contentType: url.searchParams.get('type') ?? 'application/octet-stream' });
    return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...link, expiresAt: link.expiresAt.toISOString() }));
  }
  res.writeHead(404).end();
});

server.listen(Number(process.env['PORT'] ?? 8080), '127.0.0.1', () => {
  // PORT=0 picks a free port: say which one it is.
  const { port } = server.address() as AddressInfo;
  console.log(`app on http://127.0.0.1:${port}`);
});
