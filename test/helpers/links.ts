import assert from 'node:assert/strict';
import { nodeCrypto } from '../../src/sigv4/node-crypto.js';
import { presign } from '../../src/sigv4/sign.js';
import { signV2 } from '../../src/sigv4/sigv2.js';
import type { TestCredentials } from './clients.js';
import { parseS3Error } from './e2e-http.js';
import { ROOT_CREDENTIALS, type TestServer } from './server.js';

export interface LinkOptions {
  readonly method?: string;
  /** Extra query parameters signed into the link (X-Latchkey-* controls). */
  readonly params?: Readonly<Record<string, string>>;
  readonly credentials?: TestCredentials;
  readonly expiresIn?: number;
  /** The signing time (epoch ms). */
  readonly now?: number;
}

/**
 * Two links for the same request signed in the same second are one link (same
 * signature, same counter): each call gets its own expiry so tests never share one by accident.
 */
let distinct = 0;
const freshExpiry = () => 600 + (distinct++ % 10_000);

function withParams(base: string, params: Readonly<Record<string, string>> | undefined): string {
  const query = new URLSearchParams(params ?? {}).toString().replace(/\+/g, '%20');
  return query === '' ? base : `${base}?${query}`;
}

/** A SigV4 pre-signed URL for bucket/key, with Latchkey's extra parameters signed in. */
export function link(server: TestServer, bucket: string, key: string, options: LinkOptions = {}): string {
  return presign({
    method: options.method ?? 'GET',
    url: withParams(`${server.endpoint}/${bucket}/${key}`, options.params),
    credentials: options.credentials ?? ROOT_CREDENTIALS,
    region: server.region,
    now: options.now ?? Date.now(),
    expiresIn: options.expiresIn ?? freshExpiry(),
    crypto: nodeCrypto,
  }).url;
}

/** A SigV2 pre-signed URL (what boto3 and `aws s3 presign` produce by default). */
export function linkV2(server: TestServer, bucket: string, key: string, options: LinkOptions = {}): string {
  return signV2({
    mode: 'query',
    method: options.method ?? 'GET',
    url: withParams(`${server.endpoint}/${bucket}/${key}`, options.params),
    credentials: options.credentials ?? ROOT_CREDENTIALS,
    now: options.now ?? Date.now(),
    expiresIn: options.expiresIn ?? freshExpiry(),
    crypto: nodeCrypto,
  }).url;
}

/** Replaces one query parameter's value in a URL, keeping everything else byte for byte. */
export function withParam(url: string, name: string, value: string): string {
  const pattern = new RegExp(`([?&]${name}=)[^&]*`);
  assert.match(url, pattern, `${name} is not in ${url}`);
  return url.replace(pattern, `$1${encodeURIComponent(value)}`);
}

/** Asserts an S3 XML error: status, code and (when given) message. */
export async function expectS3Error(response: Response, status: number, code: string, message?: string): Promise<void> {
  const text = await response.text();
  const error = parseS3Error(text);
  assert.equal(response.status, status, text);
  assert.equal(error.code, code, text);
  if (message !== undefined) assert.equal(error.message, message, text);
}

export async function expectBody(response: Response, body: string): Promise<void> {
  const text = await response.text();
  assert.equal(response.status, 200, text);
  assert.equal(text, body);
}
