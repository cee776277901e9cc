import { formatAmzDate } from './amz-date.js';
import { canonicalRequest, decodeWirePath } from './canonical-request.js';
import { canonicalUri } from './canonical-uri.js';
import { encodeQueryPairs, parseQuery, type QueryPair } from './canonical-query.js';
import type { SigningKeyCache} from './signing-key.js';
import { deriveSigningKey } from './signing-key.js';
import { splitUrl, type UrlParts } from './split-url.js';
import { scopeString, signString, stringToSign } from './string-to-sign.js';
import {
  ALGORITHM,
  MAX_PRESIGN_EXPIRES,
  UNSIGNED_PAYLOAD,
  type CredentialScope,
  type Credentials,
  type CryptoProvider,
} from './types.js';

interface SigningBase {
  readonly method: string;
  /** Absolute URL; its path is percent-decoded, then encoded once, S3-style ('.' and '..' stay literal). */
  readonly url: string | URL;
  readonly credentials: Credentials;
  readonly region: string;
  readonly service?: string;
  /** Epoch milliseconds. */
  readonly now: number;
  readonly crypto: CryptoProvider;
  readonly keyCache?: SigningKeyCache;
  /** Collapse '.', '..' and '//' (never for S3). */
  readonly normalizePath?: boolean;
  /** False where a session token is added after signing (some non-S3 services); S3 signs it. */
  readonly signSessionToken?: boolean;
}

export interface PresignInput extends SigningBase {
  /** Seconds, 1..604800. */
  readonly expiresIn: number;
  /** Headers the user of the URL must send, signed along with host. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Defaults to UNSIGNED-PAYLOAD for S3, the empty-body hash elsewhere. */
  readonly payloadHash?: string;
  /**
   * 'append' puts the auth parameters after the URL's own, as botocore does;
   * 'canonical' sorts every parameter, as the AWS SDK for JavaScript does.
   */
  readonly queryOrder?: 'append' | 'canonical';
}

export interface SignatureTrace {
  readonly canonicalRequest: string;
  readonly stringToSign: string;
  readonly signature: string;
}

export interface PresignResult extends SignatureTrace {
  readonly url: string;
}

export interface SignRequestInput extends SigningBase {
  readonly headers?: Readonly<Record<string, string>>;
  /** Hex SHA-256 of the body, UNSIGNED-PAYLOAD, or a STREAMING-* marker. */
  readonly payloadHash: string;
  /** Send and sign x-amz-content-sha256 (S3 requires it). Default: service is s3. */
  readonly contentSha256Header?: boolean;
}

export interface SignRequestResult extends SignatureTrace {
  /** Every header to send: the caller's, host, x-amz-date, the auth ones. */
  readonly headers: Record<string, string>;
  readonly signingKey: Uint8Array;
  readonly scope: CredentialScope;
  readonly amzDate: string;
}

/** Headers no client signs: proxies and user agents rewrite them. */
const UNSIGNABLE = new Set(['authorization', 'user-agent', 'expect', 'x-amzn-trace-id', 'connection']);

export class PresignError extends Error {}

export function presign(input: PresignInput): PresignResult {
  if (!Number.isInteger(input.expiresIn) || input.expiresIn < 1 || input.expiresIn > MAX_PRESIGN_EXPIRES) {
    throw new PresignError(`expiresIn must be a whole number of seconds from 1 to ${MAX_PRESIGN_EXPIRES} (7 days); got ${input.expiresIn}`);
  }
  const service = input.service ?? 's3';
  const url = splitUrl(input.url);
  const amzDate = formatAmzDate(input.now);
  const scope: CredentialScope = { date: amzDate.slice(0, 8), region: input.region, service };
  const headers = lowerCaseHeaders(input.headers ?? {}, url);
  const signedHeaders = Object.keys(headers).sort();
  const token = input.credentials.sessionToken;
  const signToken = token !== undefined && (input.signSessionToken ?? true);

  const own = parseQuery(url.query);
  const auth: QueryPair[] = [
    ['X-Amz-Algorithm', ALGORITHM],
    ['X-Amz-Credential', `${input.credentials.accessKeyId}/${scopeString(scope)}`],
    ['X-Amz-Date', amzDate],
    ['X-Amz-Expires', String(input.expiresIn)],
    ['X-Amz-SignedHeaders', signedHeaders.join(';')],
  ];
  if (signToken) auth.push(['X-Amz-Security-Token', token]);
  const decodedPath = decodeWirePath(url.path);
  const trace = computeSignature(input, scope, amzDate, {
    method: input.method,
    decodedPath,
    query: [...own, ...auth],
    signedHeaders,
    header: (name) => headers[name],
    payloadHash: input.payloadHash ?? (service === 's3' ? UNSIGNED_PAYLOAD : emptyHash(input.crypto)),
    normalizePath: input.normalizePath ?? false,
  });
  if (token !== undefined && !signToken) auth.push(['X-Amz-Security-Token', token]);

  const all: QueryPair[] = [...own, ...auth, ['X-Amz-Signature', trace.signature]];
  // The JS SDK sorts by the unencoded name only (stable, so repeats keep their order):
  // sorting whole "name=value" items would put "a-b=" before "a=".
  const items = encodeQueryPairs(input.queryOrder === 'canonical' ? all.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : all);
  const path = canonicalUri(decodedPath, { normalize: input.normalizePath ?? false });
  return { ...trace, url: `${url.origin}${path}?${items.join('&')}` };
}

/** Sign a request for the Authorization header. */
export function signRequest(input: SignRequestInput): SignRequestResult {
  const service = input.service ?? 's3';
  const url = splitUrl(input.url);
  const amzDate = formatAmzDate(input.now);
  const scope: CredentialScope = { date: amzDate.slice(0, 8), region: input.region, service };
  const extra: Record<string, string> = { 'x-amz-date': amzDate };
  if (input.contentSha256Header ?? service === 's3') extra['x-amz-content-sha256'] = input.payloadHash;
  const token = input.credentials.sessionToken;
  const signToken = token !== undefined && (input.signSessionToken ?? true);
  if (signToken) extra['x-amz-security-token'] = token;
  const headers = { ...lowerCaseHeaders(input.headers ?? {}, url), ...extra };
  const signedHeaders = Object.keys(headers)
    .filter((name) => !UNSIGNABLE.has(name))
    .sort();
  const trace = computeSignature(input, scope, amzDate, {
    method: input.method,
    decodedPath: decodeWirePath(url.path),
    query: parseQuery(url.query),
    signedHeaders,
    header: (name) => headers[name],
    payloadHash: input.payloadHash,
    normalizePath: input.normalizePath ?? false,
  });
  if (token !== undefined && !signToken) headers['x-amz-security-token'] = token;
  headers['authorization'] =
    `${ALGORITHM} Credential=${input.credentials.accessKeyId}/${scopeString(scope)}, SignedHeaders=${signedHeaders.join(';')}, Signature=${trace.signature}`;
  const signingKey = signingKeyFor(input, scope);
  return { ...trace, headers, signingKey, scope, amzDate };
}

function computeSignature(
  input: SigningBase,
  scope: CredentialScope,
  amzDate: string,
  request: Parameters<typeof canonicalRequest>[0],
): SignatureTrace {
  const canonical = canonicalRequest(request);
  const toSign = stringToSign(input.crypto, amzDate, scope, canonical);
  return { canonicalRequest: canonical, stringToSign: toSign, signature: signString(input.crypto, signingKeyFor(input, scope), toSign) };
}

function signingKeyFor(input: SigningBase, scope: CredentialScope): Uint8Array {
  const { secretAccessKey, sessionToken } = input.credentials;
  return input.keyCache ? input.keyCache.get(secretAccessKey, scope, sessionToken) : deriveSigningKey(input.crypto, secretAccessKey, scope);
}

function lowerCaseHeaders(headers: Readonly<Record<string, string>>, url: UrlParts): Record<string, string> {
  const out: Record<string, string> = { host: url.host };
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}

function emptyHash(crypto: CryptoProvider): string {
  return crypto.sha256Hex('');
}
