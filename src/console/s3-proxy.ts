import { request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { nodeCrypto } from '../sigv4/node-crypto.js';
import { signRequest } from '../sigv4/sign.js';
import type { SigningKeyCache } from '../sigv4/signing-key.js';
import { UNSIGNED_PAYLOAD, type Credentials } from '../sigv4/types.js';
import { USER_METADATA_PREFIX } from '../user-metadata.js';
import { ConsoleError } from './http.js';

/** Where the console reaches the S3 API: the server's own listener, over loopback. */
export interface S3Target {
  /** e.g. http://127.0.0.1:9000 */
  readonly endpoint: string;
  readonly region: string;
  readonly keyCache?: SigningKeyCache;
}

/** Headers a browser may pass through to S3; everything else (cookies, x-amz-* it made up) stays behind. */
const FORWARDED_REQUEST_HEADERS = [
  'content-type', 'content-length', 'content-md5', 'content-disposition', 'content-encoding', 'content-language', 'cache-control', 'expires',
  'range', 'if-match', 'if-none-match', 'if-modified-since', 'if-unmodified-since',
  // The page's digest of a body S3 insists on checking (DeleteObjects); the server verifies it against the bytes.
  'x-amz-checksum-sha256',
  // Restoring an older version copies it over the current one; the copy source is authorized as the session.
  'x-amz-copy-source',
];
/** Response headers that would let S3's answer act on the console's origin. */
const DROPPED_RESPONSE_HEADERS = new Set(['set-cookie', 'connection', 'keep-alive', 'transfer-encoding']);

export interface SignedS3Request {
  readonly method: string;
  /** Wire path (already percent-encoded), e.g. /bucket/a%20b */
  readonly path: string;
  /** Raw query without '?'. */
  readonly query: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Headers for one S3 request signed with the session's credentials (body unsigned: it streams through). */
export function signedHeaders(target: S3Target, credentials: Credentials, req: SignedS3Request): Record<string, string> {
  const url = `${target.endpoint}${req.path}${req.query === '' ? '' : `?${req.query}`}`;
  return signRequest({
    method: req.method,
    url,
    credentials,
    region: target.region,
    now: Date.now(),
    crypto: nodeCrypto,
    ...(target.keyCache ? { keyCache: target.keyCache } : {}),
    headers: req.headers,
    payloadHash: UNSIGNED_PAYLOAD,
  }).headers;
}

/**
 * The browser's S3 call, re-signed with the session's temporary credentials and
 * sent to the S3 listener, so it meets exactly the authorization a client with
 * those credentials would. The answer streams back unchanged except for headers
 * that could make it act as a page of the console: every proxied answer is
 * sandboxed, and objects are always downloaded, never rendered.
 */
export function proxyToS3(
  target: S3Target,
  credentials: Credentials,
  req: IncomingMessage,
  res: ServerResponse,
  call: { readonly path: string; readonly query: string; readonly clientIp: string },
): Promise<void> {
  const { path: s3Path, query } = call;
  // The browser's address, for an S3 listener that trusts loopback as a proxy (--trusted-proxy); ignored otherwise.
  const forwarded: Record<string, string> = { 'x-forwarded-for': call.clientIp };
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = req.headers[name];
    if (typeof value === 'string') forwarded[name] = value;
  }
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith(USER_METADATA_PREFIX) && typeof value === 'string') forwarded[name] = value;
  }
  const method = (req.method ?? 'GET').toUpperCase();
  const headers = signedHeaders(target, credentials, { method, path: s3Path, query, headers: forwarded });
  return new Promise<void>((resolve, reject) => {
    const upstream = requestS3(
      target,
      { method, path: `${s3Path}${query === '' ? '' : `?${query}`}`, headers },
      (answer) => {
        const out: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(answer.headers)) {
          if (value !== undefined && !DROPPED_RESPONSE_HEADERS.has(name) && !name.startsWith('access-control-')) out[name] = value;
        }
        out['content-security-policy'] = "sandbox; default-src 'none'";
        out['x-content-type-options'] = 'nosniff';
        out['cache-control'] = 'no-store';
        const isObjectRead = method === 'GET' && isObjectPath(s3Path) && (answer.statusCode ?? 500) < 300 && !/(^|&)(uploadId|acl|tagging)=/.test(query);
        if (isObjectRead && !String(out['content-disposition'] ?? '').toLowerCase().startsWith('attachment')) {
          out['content-disposition'] = `attachment; filename*=UTF-8''${encodeURIComponent(lastSegment(s3Path))}`;
        }
        res.writeHead(answer.statusCode ?? 502, out);
        answer.pipe(res);
        answer.once('end', resolve);
        answer.once('error', () => {
          res.destroy();
          resolve();
        });
      },
    );
    // Answered by the console's one failure path: a JSON 502 before the status line, a cut connection after it.
    upstream.once('error', () => reject(s3Unreachable()));
    // A browser that leaves mid-upload must not leave a half-sent body hanging upstream.
    res.once('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    if (method === 'GET' || method === 'HEAD' || method === 'DELETE') upstream.end();
    else req.pipe(upstream);
  });
}

/** One signed call from the console server itself (e.g. "may this user read the object they want to share?"). */
export async function s3Call(target: S3Target, credentials: Credentials, call: SignedS3Request): Promise<{ status: number; headers: Headers; body: string }> {
  const headers = signedHeaders(target, credentials, call);
  const answer = await new Promise<IncomingMessage>((resolve, reject) => {
    requestS3(target, { method: call.method, path: `${call.path}${call.query === '' ? '' : `?${call.query}`}`, headers }, resolve).once('error', () => reject(s3Unreachable())).end();
  });
  const chunks: Buffer[] = [];
  for await (const chunk of answer) chunks.push(chunk as Buffer);
  const answerHeaders = new Headers();
  for (const [name, value] of Object.entries(answer.headers)) if (typeof value === 'string') answerHeaders.set(name, value);
  return { status: answer.statusCode ?? 502, headers: answerHeaders, body: chunks.length === 0 ? '' : Buffer.concat(chunks).toString('utf8') };
}

/** The server's own S3 listener did not answer (stopped, or not yet listening): a bad gateway, as a proxy says. */
function s3Unreachable(): ConsoleError {
  return new ConsoleError(502, 'S3Unreachable', 'The S3 listener could not be reached.');
}

/**
 * A request to the server's own S3 listener over loopback. Over HTTPS the
 * certificate is not checked: it names the public host, not 127.0.0.1, and
 * nothing else can answer on the port this process listens on.
 */
function requestS3(target: S3Target, options: RequestOptions, onAnswer: (answer: IncomingMessage) => void): ClientRequest {
  const url = new URL(target.endpoint);
  const base = { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port, ...options };
  return url.protocol === 'https:' ? httpsRequest({ ...base, rejectUnauthorized: false }, onAnswer) : httpRequest(base, onAnswer);
}

function isObjectPath(path: string): boolean {
  return /^\/[^/]+\/./.test(path);
}

function lastSegment(path: string): string {
  const segment = path.split('/').pop() ?? '';
  try {
    return decodeURIComponent(segment) || 'download';
  } catch {
    return segment || 'download';
  }
}
