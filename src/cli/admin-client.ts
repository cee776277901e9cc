import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ADMIN_PREFIX } from '../admin/admin-prefix.js';
import { nodeCrypto } from '../sigv4/node-crypto.js';
import { xmlElementText } from '../xml-text.js';
import { signRequest } from '../sigv4/sign.js';
import type { ClientConfig } from './client-config.js';
import { ApiError, TransportError } from './errors.js';

const TIMEOUT_MS = 30_000;

export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface SendInput {
  readonly method: string;
  /** Already percent-encoded path. */
  readonly path: string;
  /** Already encoded query string, without '?'. */
  readonly query?: string;
  readonly body?: Buffer;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Sends one request over HTTP(S); injectable so tests can watch what goes on the wire. */
export type Transport = (url: URL, method: string, headers: Record<string, string>, body: Buffer) => Promise<RawResponse>;

/** A SigV4-signing client for the admin API and the few S3 calls the CLI makes. */
export class LatchkeyClient {
  constructor(
    readonly config: ClientConfig,
    private readonly transport: Transport = nodeTransport,
    private readonly now: () => number = Date.now,
  ) {}

  /** Signs and sends; throws ApiError for any status of 300 or more. */
  async send(input: SendInput): Promise<RawResponse> {
    const body = input.body ?? Buffer.alloc(0);
    const url = `${this.config.endpoint}${input.path}${input.query ? `?${input.query}` : ''}`;
    const headers: Record<string, string> = { ...input.headers };
    if (body.length > 0 || input.method === 'PUT' || input.method === 'POST') headers['content-length'] = String(body.length);
    const signed = signRequest({
      method: input.method,
      url,
      credentials: this.config.credentials,
      region: this.config.region,
      service: 's3',
      now: this.now(),
      crypto: nodeCrypto,
      headers,
      payloadHash: nodeCrypto.sha256Hex(body),
    });
    const response = await this.transport(new URL(url), input.method, signed.headers, body);
    if (response.status >= 300) throw errorFrom(response);
    return response;
  }

  /** An admin API call; `path` is relative to /_latchkey/admin/v1. Answers the parsed JSON body (undefined for 204). */
  async admin<T>(method: string, path: string, options: { query?: string; json?: unknown; rawBody?: Buffer } = {}): Promise<{ status: number; body: T }> {
    const body = options.rawBody ?? (options.json === undefined ? undefined : Buffer.from(JSON.stringify(options.json)));
    const response = await this.send({
      method,
      path: `${ADMIN_PREFIX}${path}`,
      ...(options.query ? { query: options.query } : {}),
      ...(body ? { body, headers: { 'content-type': 'application/json' } } : {}),
    });
    if (response.body.length === 0) return { status: response.status, body: undefined as T };
    try {
      return { status: response.status, body: JSON.parse(response.body.toString('utf8')) as T };
    } catch {
      throw new TransportError(`the server answered ${response.status} with a body that is not JSON`);
    }
  }
}

/** The admin API answers JSON errors; S3 (and an auth failure before routing) answers XML. */
export function errorFrom(response: RawResponse): ApiError {
  const text = response.body.toString('utf8');
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (typeof parsed.error?.code === 'string') {
      return new ApiError(response.status, parsed.error.code, typeof parsed.error.message === 'string' ? parsed.error.message : '');
    }
  } catch {
    // not JSON: try XML below
  }
  const code = xmlElementText(text, 'Code');
  if (code !== undefined) return new ApiError(response.status, code, xmlElementText(text, 'Message') ?? '');
  return new ApiError(response.status, `HTTP${response.status}`, `the server answered ${response.status} without an error code`);
}

export const nodeTransport: Transport = (url, method, headers, body) =>
  new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method, headers, timeout: TIMEOUT_MS }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', (error) => reject(new TransportError(`reading the answer from ${url.origin} failed: ${error.message}`)));
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)));
    request.on('error', (error: NodeJS.ErrnoException) => reject(new TransportError(`cannot reach ${url.origin}: ${error.code ?? error.message}`)));
    request.end(body);
  });
