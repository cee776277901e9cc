import { parseCidr, parseIp } from '../iam/ip-address.js';
import { nodeCrypto } from '../sigv4/node-crypto.js';
import { presign } from '../sigv4/sign.js';
import { MAX_PRESIGN_EXPIRES, type Credentials, type CryptoProvider } from '../sigv4/types.js';
import { uriEncode } from '../sigv4/uri-encode.js';
import { USER_METADATA_PREFIX } from '../user-metadata.js';
import { isWellFormedVersionId } from '../version-id.js';

export type PresignMethod = 'GET' | 'PUT' | 'HEAD' | 'DELETE';

/** Query parameters Latchkey signs into a link and enforces on use. */
export const MAX_USES_PARAM = 'X-Latchkey-Max-Uses';
export const SOURCE_IP_PARAM = 'X-Latchkey-Source-Ip';
/** The largest use count the server accepts in a link. */
export const MAX_USES_LIMIT = 1_000_000;

/** The response-* overrides S3 honours on a signed GET or HEAD, by option name. */
const RESPONSE_OVERRIDES = {
  responseContentType: 'response-content-type',
  responseContentDisposition: 'response-content-disposition',
  responseContentLanguage: 'response-content-language',
  responseContentEncoding: 'response-content-encoding',
  responseCacheControl: 'response-cache-control',
  responseExpires: 'response-expires',
} as const;

type ResponseOverrides = { readonly [K in keyof typeof RESPONSE_OVERRIDES]?: string | undefined };

export interface PresignUrlInput extends ResponseOverrides {
  /** Origin of the server, e.g. http://127.0.0.1:9000 (path-style addressing). */
  readonly endpoint: string;
  readonly bucket: string;
  readonly key: string;
  /** Default GET. */
  readonly method?: PresignMethod | undefined;
  /** Seconds the link works, 1..604800 (7 days). */
  readonly expiresIn: number;
  readonly credentials: Credentials;
  /** Default us-east-1. */
  readonly region?: string | undefined;
  /** PUT only: the Content-Type the upload must carry (signed, so it cannot be changed). */
  readonly contentType?: string | undefined;
  /** PUT only: stored with the object and replayed on download. */
  readonly contentDisposition?: string | undefined;
  /** PUT only: x-amz-meta-* (names without the prefix). */
  readonly metadata?: Readonly<Record<string, string>> | undefined;
  /** PUT only: base64 SHA-256 the uploaded bytes must have. */
  readonly checksumSha256?: string | undefined;
  /** The link works this many times at most (enforced by Latchkey, not S3). */
  readonly maxUses?: number | undefined;
  /** Only clients from this address or CIDR block may use the link (enforced by Latchkey, not S3). */
  readonly sourceIp?: string | undefined;
  /**
   * GET, HEAD or DELETE: this version of the object (as ListObjectVersions
   * names it), which the link keeps reaching when newer versions are written.
   * The signer needs s3:GetObjectVersion (or s3:DeleteObjectVersion) too.
   */
  readonly versionId?: string | undefined;
  /** The signing time; default now. */
  readonly now?: Date | number | undefined;
  readonly crypto?: CryptoProvider | undefined;
}

export interface PresignedUrl {
  readonly url: string;
  readonly method: PresignMethod;
  /** Headers the user of the link must send exactly as given (they are signed); empty for most links. */
  readonly headers: Readonly<Record<string, string>>;
  readonly expiresAt: Date;
}

/** The input was wrong (bad expiry, an option that does not fit the method): nothing was signed. */
export class PresignInputError extends TypeError {
  override readonly name = 'PresignInputError';
}

const METHODS: readonly PresignMethod[] = ['GET', 'PUT', 'HEAD', 'DELETE'];
const BASE64_SHA256 = /^[A-Za-z0-9+/]{43}=$/;
const METADATA_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * A pre-signed SigV4 link for one object and one method, computed locally:
 * the server is not contacted. Anything the link's user must send (the
 * Content-Type of an upload, its metadata) is signed and listed in `headers`.
 */
export function presignUrl(input: PresignUrlInput): PresignedUrl {
  const method = input.method ?? 'GET';
  if (!METHODS.includes(method)) throw new PresignInputError(`method must be one of ${METHODS.join(', ')}; got ${String(method)}`);
  checkExpiresIn(input.expiresIn);
  const now = signingTime(input.now);
  const headers = uploadHeaders(input, method);
  const query = [...overrideParams(input, method), ...versionParams(input, method), ...latchkeyParams(input)];
  const url = `${objectUrl(input.endpoint, input.bucket, input.key)}${query.length === 0 ? '' : `?${query.join('&')}`}`;
  const signed = presign({
    method,
    url,
    credentials: input.credentials,
    region: input.region ?? 'us-east-1',
    now,
    crypto: input.crypto ?? nodeCrypto,
    expiresIn: input.expiresIn,
    headers,
  });
  return { url: signed.url, method, headers, expiresAt: new Date(now - (now % 1000) + input.expiresIn * 1000) };
}

export function checkExpiresIn(expiresIn: number): void {
  if (!Number.isInteger(expiresIn) || expiresIn < 1) {
    throw new PresignInputError(`expiresIn must be a whole number of seconds of at least 1; got ${expiresIn}`);
  }
  if (expiresIn > MAX_PRESIGN_EXPIRES) {
    throw new PresignInputError(`expiresIn must be at most ${MAX_PRESIGN_EXPIRES} seconds (7 days), the longest S3 allows; got ${expiresIn}`);
  }
}

export function signingTime(now: Date | number | undefined): number {
  const ms = now === undefined ? Date.now() : typeof now === 'number' ? now : now.getTime();
  if (!Number.isFinite(ms)) throw new PresignInputError('now must be a valid time');
  return ms;
}

/** http(s)://host[:port]/bucket/key with the key encoded once, '/' kept. */
export function objectUrl(endpoint: string, bucket: string, key: string): string {
  if (key === '') throw new PresignInputError('key must not be empty');
  return `${bucketUrl(endpoint, bucket)}/${uriEncode(key, true)}`;
}

export function bucketUrl(endpoint: string, bucket: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new PresignInputError(`endpoint must be a URL such as http://127.0.0.1:9000; got ${endpoint}`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    throw new PresignInputError(`endpoint must be an http(s) origin such as http://127.0.0.1:9000 (no path or query); got ${endpoint}`);
  }
  if (bucket === '' || bucket.includes('/')) throw new PresignInputError(`bucket must be a bucket name; got '${bucket}'`);
  return `${url.origin}/${uriEncode(bucket)}`;
}

function uploadHeaders(input: PresignUrlInput, method: PresignMethod): Record<string, string> {
  const headers: Record<string, string> = {};
  if (input.contentType !== undefined) headers['content-type'] = input.contentType;
  if (input.contentDisposition !== undefined) headers['content-disposition'] = input.contentDisposition;
  if (input.checksumSha256 !== undefined) {
    if (!BASE64_SHA256.test(input.checksumSha256)) throw new PresignInputError(`checksumSha256 must be the base64 of 32 bytes; got ${input.checksumSha256}`);
    headers['x-amz-checksum-sha256'] = input.checksumSha256;
  }
  for (const [name, value] of Object.entries(input.metadata ?? {})) {
    if (!METADATA_NAME.test(name)) throw new PresignInputError(`metadata name '${name}' is not a valid header name`);
    headers[`${USER_METADATA_PREFIX}${name.toLowerCase()}`] = value;
  }
  if (method !== 'PUT' && Object.keys(headers).length > 0) {
    throw new PresignInputError(`contentType, contentDisposition, metadata and checksumSha256 describe an upload: use them with method PUT, not ${method}`);
  }
  return headers;
}

function overrideParams(input: PresignUrlInput, method: PresignMethod): string[] {
  const params: string[] = [];
  for (const [option, param] of Object.entries(RESPONSE_OVERRIDES) as Array<[keyof ResponseOverrides, string]>) {
    const value = input[option];
    if (value === undefined) continue;
    if (method !== 'GET' && method !== 'HEAD') throw new PresignInputError(`${option} changes a download's response: use it with GET or HEAD, not ${method}`);
    params.push(`${param}=${uriEncode(value)}`);
  }
  return params;
}

function versionParams(input: PresignUrlInput, method: PresignMethod): string[] {
  if (input.versionId === undefined) return [];
  if (method === 'PUT') throw new PresignInputError('versionId names an existing version: use it with GET, HEAD or DELETE, not PUT');
  if (!isWellFormedVersionId(input.versionId)) throw new PresignInputError(`versionId must be a version id as ListObjectVersions gives it, or "null"; got ${input.versionId}`);
  return [`versionId=${uriEncode(input.versionId)}`];
}

function latchkeyParams(input: PresignUrlInput): string[] {
  const params: string[] = [];
  if (input.maxUses !== undefined) {
    if (!Number.isSafeInteger(input.maxUses) || input.maxUses < 1 || input.maxUses > MAX_USES_LIMIT) {
      throw new PresignInputError(`maxUses must be a whole number from 1 to ${MAX_USES_LIMIT}; got ${input.maxUses}`);
    }
    params.push(`${MAX_USES_PARAM}=${input.maxUses}`);
  }
  if (input.sourceIp !== undefined) {
    const text = input.sourceIp.trim();
    if (parseIp(text) === undefined && parseCidr(text) === undefined) {
      throw new PresignInputError(`sourceIp must be an IP address or CIDR block such as 203.0.113.0/24; got ${input.sourceIp}`);
    }
    params.push(`${SOURCE_IP_PARAM}=${uriEncode(text)}`);
  }
  return params;
}
