/**
 * What Node itself allows for a 4 KiB PUT on one core, as a reference for
 * the pre-signed PUT phase: node:http taking the body and answering with its
 * MD5 as ETag (`md5`), and the same after verifying the pre-signed URL with
 * Latchkey's SigV4 library (`sigv4`). Nothing is stored, nothing is logged.
 * Prints `listening <url>` once ready.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseQuery } from '../src/sigv4/canonical-query.js';
import { nodeCrypto } from '../src/sigv4/node-crypto.js';
import { parseAuthorization } from '../src/sigv4/parse.js';
import { SigningKeyCache } from '../src/sigv4/signing-key.js';
import { verifyParsed } from '../src/sigv4/verify.js';

const [mode, secret] = [process.argv[2], process.argv[3] ?? ''];
const keyCache = new SigningKeyCache(nodeCrypto);

function verified(method: string, url: string, headers: Record<string, string | string[] | undefined>): boolean {
  const q = url.indexOf('?');
  const query = q === -1 ? '' : url.slice(q + 1);
  const request = { method, path: q === -1 ? url : url.slice(0, q), query, queryPairs: parseQuery(query), headers };
  const options = { region: 'us-east-1', service: 's3', crypto: nodeCrypto, keyCache, now: Date.now() };
  try {
    const parsed = parseAuthorization(request, options);
    if (parsed.version === 0) return false;
    verifyParsed(parsed, request, secret, options);
    return true;
  } catch {
    return false;
  }
}

const server = createServer((req, res) => {
  if (mode === 'sigv4' && !verified(req.method ?? 'GET', req.url ?? '/', req.headers)) {
    res.writeHead(403, { 'content-length': '0' });
    res.end();
    req.resume();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const etag = createHash('md5').update(Buffer.concat(chunks)).digest('hex');
    res.writeHead(200, { etag: `"${etag}"`, 'content-length': '0' });
    res.end();
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
