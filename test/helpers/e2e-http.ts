import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { nodeCrypto } from '../../src/sigv4/node-crypto.js';
import { signRequest } from '../../src/sigv4/sign.js';
import { ROOT_CREDENTIALS, type TestServer } from './server.js';

export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

export interface RawRequest {
  readonly method: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer | string;
}

/**
 * One request with node:http exactly as given: no signing, no header
 * rewriting, the path sent byte for byte (fetch and URL would collapse '..').
 */
export function httpRequest(url: string, init: RawRequest): Promise<RawResponse> {
  const { origin } = new URL(url);
  const path = url.slice(origin.length) || '/';
  const { hostname, port } = new URL(origin);
  const body = init.body === undefined ? undefined : Buffer.from(init.body);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, method: init.method, path, headers: { ...init.headers, ...(body ? { 'content-length': String(body.length) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export interface S3ErrorBody {
  readonly code: string | undefined;
  readonly message: string | undefined;
  /** Every simple <Name>value</Name> element of the error, by name. */
  readonly fields: Readonly<Record<string, string>>;
}

function unescapeXml(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

/** The fields of an S3 <Error> body (flat, as S3 error bodies are). */
export function parseS3Error(body: Buffer | string): S3ErrorBody {
  const text = body.toString();
  const fields: Record<string, string> = {};
  for (const m of text.matchAll(/<([A-Za-z][\w-]*)>([^<]*)<\/\1>/g)) fields[m[1]!] = unescapeXml(m[2]!);
  return { code: fields['Code'], message: fields['Message'], fields };
}

export interface SignedRequestInput {
  readonly method: string;
  /** Wire path and query, e.g. "/bucket/key?x=1". */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer | string;
  /** Overrides the signed x-amz-content-sha256 (the body's SHA-256 otherwise). */
  readonly payloadHash?: string;
}

/** A SigV4 header-signed request made with our signer and node:http, for cases no SDK will produce. */
export function signedRequest(server: TestServer, input: SignedRequestInput): Promise<RawResponse> {
  const body = input.body === undefined ? Buffer.alloc(0) : Buffer.from(input.body);
  const url = `${server.endpoint}${input.path}`;
  const signed = signRequest({
    method: input.method,
    url,
    credentials: ROOT_CREDENTIALS,
    region: server.region,
    now: Date.now(),
    crypto: nodeCrypto,
    headers: input.headers ?? {},
    payloadHash: input.payloadHash ?? createHash('sha256').update(body).digest('hex'),
  });
  const { host: _host, ...headers } = signed.headers;
  return httpRequest(url, { method: input.method, headers, body });
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function md5Hex(data: Buffer | string): string {
  return createHash('md5').update(data).digest('hex');
}
