import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SignableRequest } from '../../src/sigv4/index.js';

/** One request as it reached the listener, in the raw forms a server sees. */
export interface CapturedRequest {
  readonly method: string;
  /** req.url: path and query exactly as sent. */
  readonly url: string;
  /** req.headersDistinct: lower-case names, every value in arrival order. */
  readonly headers: Record<string, string[]>;
  readonly body: Buffer;
}

export interface CaptureServer {
  readonly endpoint: string;
  readonly requests: CapturedRequest[];
  close(): Promise<void>;
}

const EMPTY_LIST =
  '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>bkt</Name><Prefix></Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>';

/** A listener on 127.0.0.1 that records every request and answers 200 with whatever body keeps the SDKs content. */
export async function startCapture(): Promise<CaptureServer> {
  const requests: CapturedRequest[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: { ...req.headersDistinct } as Record<string, string[]>, body: Buffer.concat(chunks) });
      if (req.method === 'GET' && /[?&]list-type=2(&|$)/.test(req.url ?? '')) {
        res.writeHead(200, { 'content-type': 'application/xml' }).end(EMPTY_LIST);
      } else {
        res.writeHead(200, { etag: '"5d41402abc4b2a76b9719d911017c592"', 'content-length': '0' }).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** The SignableRequest a server builds from node's IncomingMessage. */
export function toSignable(captured: CapturedRequest): SignableRequest {
  const q = captured.url.indexOf('?');
  return {
    method: captured.method,
    path: q === -1 ? captured.url : captured.url.slice(0, q),
    query: q === -1 ? '' : captured.url.slice(q + 1),
    headers: captured.headers,
  };
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
