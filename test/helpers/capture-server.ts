import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SignableRequest } from '../../src/sigv4/index.js';
import { CAPTURE_TLS_CERT, CAPTURE_TLS_KEY } from './capture-tls.js';

/** One request exactly as it reached the listener: headers and the raw body bytes. */
export interface CapturedRequest {
  readonly method: string;
  readonly url: string;
  /** Lower-case names, each value list in arrival order (what the verifier takes). */
  readonly headers: Record<string, string[]>;
  readonly body: Buffer;
}

export interface CaptureServer {
  /** e.g. https://127.0.0.1:41234 */
  readonly endpoint: string;
  readonly requests: CapturedRequest[];
  close(): Promise<void>;
}

const EMPTY_LIST =
  '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>bkt</Name><Prefix></Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>';

/**
 * A listener on 127.0.0.1 (ephemeral port) that records every request and
 * answers 200 with an ETag, enough for PutObject and upload_fileobj to succeed;
 * a ListObjectsV2 gets an empty listing so the SDKs can parse it.
 * tls: true serves https with a self-signed certificate (clients must skip verification).
 */
export async function startCaptureServer(options: { tls: boolean }): Promise<CaptureServer> {
  const requests: CapturedRequest[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headersDistinct as Record<string, string[]>, body: Buffer.concat(parts) });
      if (req.method === 'GET' && /[?&]list-type=2(&|$)/.test(req.url ?? '')) {
        res.writeHead(200, { 'Content-Type': 'application/xml' }).end(EMPTY_LIST);
      } else {
        res.writeHead(200, { ETag: '"d41d8cd98f00b204e9800998ecf8427e"', 'Content-Length': '0' }).end();
      }
    });
  };
  const server = options.tls ? createHttpsServer({ cert: CAPTURE_TLS_CERT, key: CAPTURE_TLS_KEY }, handler) : createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** The captured request as the SigV4 verifier sees it: what a server builds from node's IncomingMessage. */
export function signableOf(request: CapturedRequest): SignableRequest {
  const q = request.url.indexOf('?');
  return {
    method: request.method,
    path: q === -1 ? request.url : request.url.slice(0, q),
    query: q === -1 ? '' : request.url.slice(q + 1),
    headers: request.headers,
  };
}

export function headerOf(request: CapturedRequest, name: string): string | undefined {
  return request.headers[name]?.join(',');
}

export function findRequest(requests: readonly CapturedRequest[], path: string): CapturedRequest {
  const found = requests.find((r) => r.url.split('?')[0] === path);
  if (!found) throw new Error(`no request captured for ${path} (have ${requests.map((r) => r.url).join(', ')})`);
  return found;
}

/**
 * Send a URL's path and query untouched (fetch and WHATWG URL would fold
 * '/../' and re-encode), as a user agent holding a presigned URL does.
 */
export function sendRaw(url: string, method: string, headers: Record<string, string> = {}, body?: string): Promise<number> {
  const m = /^http:\/\/([^/:]+):(\d+)(.*)$/.exec(url);
  if (!m) throw new TypeError(`not a loopback http URL: ${url}`);
  const [, host = '', port = '', path = '/'] = m;
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host, port: Number(port), method, path, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}
