import { formatIsoSeconds, parseAmzDate, parseHttpDate } from './amz-date.js';
import { encodeQueryPairs, type QueryPair } from './canonical-query.js';
import { decodeWirePath } from './canonical-request.js';
import { canonicalUri } from './canonical-uri.js';
import { authErrors } from './errors.js';
import { PresignError } from './sign.js';
import { splitUrl } from './split-url.js';
import { MAX_PRESIGN_EXPIRES, MAX_SKEW_MS, type Credentials, type CryptoProvider, type SignableRequest } from './types.js';
import { percentDecode } from './uri-encode.js';

/**
 * Legacy AWS Signature Version 2 (HMAC-SHA1), still what boto3's
 * generate_presigned_url and `aws s3 presign` (CLI v1) produce for a custom
 * endpoint in us-east-1.
 */
export interface V2Auth {
  readonly version: 2;
  readonly mode: 'header' | 'query';
  readonly accessKeyId: string;
  /** Base64 HMAC-SHA1 as provided. */
  readonly signature: string;
  /** Query auth: the Expires parameter, epoch seconds. */
  readonly expiresAt?: number;
  /** Query auth: Expires exactly as sent, which is what was signed. */
  readonly expiresText?: string;
  /** Header auth: x-amz-date, else Date, as sent. */
  readonly requestTime?: string;
  /** Header auth: requestTime as epoch ms. */
  readonly signedAt?: number;
  readonly securityToken?: string;
  readonly query: readonly QueryPair[];
}

export interface VerifiedV2 {
  readonly version: 2;
  readonly mode: 'header' | 'query';
  readonly accessKeyId: string;
  /** Query auth: when the URL stops working (epoch ms, like VerifiedV4). */
  readonly expiresAt?: number;
  /** Header auth: the request time (epoch ms). */
  readonly signedAt?: number;
  readonly securityToken?: string;
  /** Query auth (and POST policies): the base64 signature as sent, which names the link. */
  readonly signature?: string;
}

export interface VerifyV2Options {
  /** Epoch milliseconds. */
  readonly now: number;
  readonly crypto: CryptoProvider;
  /** The bucket named by a virtual-hosted Host: V2 signs '/bucket/key' whatever the addressing style. */
  readonly virtualHostBucket?: string;
}

/**
 * Sub-resources that belong to the canonicalized resource: AWS's documented
 * list plus the newer ones botocore's HmacV1Auth also signs.
 */
const SUB_RESOURCES = new Set([
  'accelerate', 'acl', 'analytics', 'cors', 'defaultObjectAcl', 'delete', 'inventory', 'lifecycle', 'location', 'logging',
  'metrics', 'notification', 'object-lock', 'partNumber', 'policy', 'replication', 'requestPayment', 'restore', 'select',
  'select-type', 'storageClass', 'tagging', 'torrent', 'uploadId', 'uploads', 'versionId', 'versioning', 'versions', 'website',
  'response-cache-control', 'response-content-disposition', 'response-content-encoding', 'response-content-language',
  'response-content-type', 'response-expires',
]);

const BUCKET_ONLY = /^\/[^/]+$/;
const EXPIRES_DIGITS = /^\d{1,12}$/;
/** Base64 of a 20-byte HMAC-SHA1: 27 characters and one `=`. */
export const SHA1_BASE64 = /^[A-Za-z0-9+/]{27}=$/;

export function parseV2Header(request: SignableRequest, authorization: string, query: readonly QueryPair[]): V2Auth {
  const credential = authorization.slice('AWS '.length);
  const colon = credential.indexOf(':');
  const accessKeyId = colon === -1 ? '' : credential.slice(0, colon);
  const signature = colon === -1 ? '' : credential.slice(colon + 1);
  if (accessKeyId === '' || signature === '' || /\s/.test(credential)) throw authErrors.v2MalformedAuthorizationHeader();

  const requestTime = joined(request.headers['x-amz-date']) ?? joined(request.headers['date']);
  const signedAt = requestTime === undefined ? undefined : (parseAmzDate(requestTime) ?? parseHttpDate(requestTime));
  // As S3: a date before the epoch is no date at all (AccessDenied), not a skewed clock.
  if (requestTime === undefined || signedAt === undefined || signedAt < 0) throw authErrors.missingDate();
  const securityToken = joined(request.headers['x-amz-security-token']);
  return {
    version: 2,
    mode: 'header',
    accessKeyId,
    signature,
    requestTime,
    signedAt,
    ...(securityToken === undefined ? {} : { securityToken }),
    query,
  };
}

export function parseV2Query(query: readonly QueryPair[]): V2Auth {
  const params = new Map<string, string>();
  for (const [name, value] of query) {
    if (name !== 'AWSAccessKeyId' && name !== 'Signature' && name !== 'Expires') continue;
    if (params.has(name)) throw authErrors.duplicateQueryParameter(name);
    params.set(name, value);
  }
  const accessKeyId = params.get('AWSAccessKeyId');
  const signature = params.get('Signature');
  const expiresText = params.get('Expires');
  if (!accessKeyId || !signature || !expiresText) throw authErrors.v2MissingQueryParameters();
  if (!EXPIRES_DIGITS.test(expiresText)) throw authErrors.v2InvalidExpires(expiresText);
  const securityToken = query.find(([name]) => name.toLowerCase() === 'x-amz-security-token')?.[1];
  return {
    version: 2,
    mode: 'query',
    accessKeyId,
    signature,
    expiresAt: Number(expiresText),
    expiresText,
    ...(securityToken === undefined ? {} : { securityToken }),
    query,
  };
}

/** Signature first, then time: a forged URL never learns whether it would have expired. */
export function verifyV2(auth: V2Auth, request: SignableRequest, secret: string, options: VerifyV2Options): VerifiedV2 {
  const amzHeaders = collectAmzHeaders(request, auth.mode === 'query' ? auth.query : []);
  const standard = (name: 'content-md5' | 'content-type'): string => {
    const header = joinTrimmed(request.headers[name]);
    if (auth.mode === 'header') return header ?? '';
    // botocore moves Content-Type/Content-MD5 into a pre-signed URL's query.
    const hoisted = auth.query.find(([param]) => param.toLowerCase() === name)?.[1].trim();
    if (header !== undefined && hoisted !== undefined && header !== hoisted) throw authErrors.conflictingValues();
    return header ?? hoisted ?? '';
  };
  const base = {
    method: request.method,
    contentMd5: standard('content-md5'),
    contentType: standard('content-type'),
    amzHeaders,
  };
  // AWS leaves the Date line empty when x-amz-date is present; botocore signs the Date header it sends anyway.
  const dateLines =
    auth.mode === 'query'
      ? [auth.expiresText ?? '']
      : amzHeaders.has('x-amz-date')
        ? ['', ...optional(joinTrimmed(request.headers['date']))]
        : [joinTrimmed(request.headers['date']) ?? ''];
  const resources = [canonicalResource(request.path, request.query, options.virtualHostBucket)];
  // '/bucket' as sent is the same resource as AWS's canonical '/bucket/'; some signers sign it literally.
  if (options.virtualHostBucket === undefined && BUCKET_ONLY.test(request.path)) resources.push(literalResource(request.path, request.query));
  const candidates = resources.flatMap((resource) => dateLines.map((date) => v2StringToSign({ ...base, date, resource })));
  const provided = decodeSignature(auth.signature);
  const matched =
    provided !== undefined &&
    candidates.some((toSign) => options.crypto.timingSafeEqual(provided, options.crypto.hmacSha1(secret, toSign)));
  if (!matched) {
    throw authErrors.signatureMismatch({
      accessKeyId: auth.accessKeyId,
      stringToSign: candidates[0] ?? '',
      signatureProvided: auth.signature,
    });
  }

  const securityToken = amzHeaders.get('x-amz-security-token')?.join(',');
  const token = securityToken === undefined ? {} : { securityToken };
  if (auth.mode === 'query') {
    const expiresAt = (auth.expiresAt ?? 0) * 1000;
    if (options.now > expiresAt) {
      throw authErrors.expired({ Expires: formatIsoSeconds(expiresAt), ServerTime: formatIsoSeconds(options.now) });
    }
    if (expiresAt - options.now > MAX_PRESIGN_EXPIRES * 1000) throw authErrors.v2ExpiresTooFar();
    return { version: 2, mode: 'query', accessKeyId: auth.accessKeyId, expiresAt, signature: auth.signature, ...token };
  }
  const signedAt = auth.signedAt ?? Number.NaN;
  if (!(Math.abs(options.now - signedAt) <= MAX_SKEW_MS)) {
    throw authErrors.timeSkewed(auth.requestTime ?? '', formatIsoSeconds(options.now));
  }
  return { version: 2, mode: 'header', accessKeyId: auth.accessKeyId, signedAt, ...token };
}

export interface V2StringToSignInput {
  /** As sent: HTTP methods are case-sensitive, so 'get' must not pass for 'GET'. */
  readonly method: string;
  readonly contentMd5: string;
  readonly contentType: string;
  /** Date header, Expires for query auth, or '' when x-amz-date stands in. */
  readonly date: string;
  /** Lower-case x-amz-* names to their trimmed values in arrival order. */
  readonly amzHeaders: ReadonlyMap<string, readonly string[]>;
  readonly resource: string;
}

export function v2StringToSign(input: V2StringToSignInput): string {
  const amz = [...input.amzHeaders.keys()].sort().map((name) => `${name}:${(input.amzHeaders.get(name) ?? []).join(',')}\n`);
  return `${input.method}\n${input.contentMd5}\n${input.contentType}\n${input.date}\n${amz.join('')}${input.resource}`;
}

/**
 * '/bucket/key' exactly as sent (still encoded), then the signed
 * sub-resources sorted by name with decoded values; '?acl' stays bare.
 * A path-style bucket-only path gains the trailing slash AWS and botocore sign.
 */
export function canonicalResource(wirePath: string, rawQuery: string, virtualHostBucket?: string): string {
  if (virtualHostBucket !== undefined) return literalResource(`/${virtualHostBucket}${wirePath}`, rawQuery);
  return literalResource(BUCKET_ONLY.test(wirePath) ? `${wirePath}/` : wirePath, rawQuery);
}

function literalResource(path: string, rawQuery: string): string {
  const items: Array<{ name: string; text: string }> = [];
  for (const part of rawQuery.split('&')) {
    const eq = part.indexOf('=');
    const name = percentDecode(eq === -1 ? part : part.slice(0, eq), true);
    if (!SUB_RESOURCES.has(name)) continue;
    items.push({ name, text: eq === -1 ? name : `${name}=${percentDecode(part.slice(eq + 1), true)}` });
  }
  // Stable sort by name only, as botocore's itemgetter(0) does.
  items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return items.length === 0 ? path : `${path}?${items.map((item) => item.text).join('&')}`;
}

/** x-amz-* headers (and, for query auth, x-amz-* parameters) by lower-case name. */
function collectAmzHeaders(request: SignableRequest, query: readonly QueryPair[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [name, value] of Object.entries(request.headers)) {
    const lower = name.toLowerCase();
    if (!lower.startsWith('x-amz-') || value === undefined) continue;
    const values = typeof value === 'string' ? [value] : [...value];
    out.set(lower, [...(out.get(lower) ?? []), ...values.map((v) => v.trim())]);
  }
  const hoisted = new Map<string, string[]>();
  for (const [name, value] of query) {
    const lower = name.toLowerCase();
    if (lower.startsWith('x-amz-')) hoisted.set(lower, [...(hoisted.get(lower) ?? []), value.trim()]);
  }
  for (const [name, values] of hoisted) {
    const sent = out.get(name);
    if (sent !== undefined && sent.join(',') !== values.join(',')) throw authErrors.conflictingValues();
    out.set(name, values);
  }
  return out;
}

/**
 * Strict base64 of exactly 20 bytes. A space can only be an unencoded '+'
 * that query decoding turned into a space, so it is read back as '+'.
 * Re-encoding rejects variants that differ only in the padding bits.
 */
function decodeSignature(signature: string): Uint8Array | undefined {
  const text = signature.replace(/ /g, '+');
  if (!SHA1_BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.length === 20 && bytes.toString('base64') === text ? bytes : undefined;
}

function joined(value: string | readonly string[] | undefined): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  return value.length === 0 ? undefined : value.join(',');
}

function joinTrimmed(value: string | readonly string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  const values = typeof value === 'string' ? [value] : value;
  return values.length === 0 ? undefined : values.map((v) => v.trim()).join(',');
}

function optional(value: string | undefined): string[] {
  return value === undefined ? [] : [value];
}

interface SignV2Base {
  readonly method: string;
  /** Absolute URL; its path is percent-decoded, then encoded once, S3-style. Its query is kept as written. */
  readonly url: string | URL;
  readonly credentials: Credentials;
  readonly crypto: CryptoProvider;
  /** Epoch milliseconds. */
  readonly now: number;
  /** Content-Type, Content-MD5 and x-amz-* are signed; others are passed through. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Set when the URL is virtual-hosted (bucket in the Host). */
  readonly virtualHostBucket?: string;
}

export type SignV2Input =
  | (SignV2Base & { readonly mode: 'query'; /** Seconds, 1..604800. */ readonly expiresIn: number })
  | (SignV2Base & { readonly mode: 'header' });

export interface SignV2Result {
  readonly url: string;
  /** Header auth: every header to send (the caller's, Date, Authorization, the token). Query auth: the caller's. */
  readonly headers: Record<string, string>;
  readonly stringToSign: string;
  readonly signature: string;
}

/** Pre-sign a URL (mode 'query', as boto3 does) or sign a request's headers (mode 'header'). */
export function signV2(input: SignV2Input): SignV2Result {
  const url = splitUrl(input.url);
  const path = canonicalUri(decodeWirePath(url.path));
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.headers ?? {})) headers[name.toLowerCase()] = value;
  const token = input.credentials.sessionToken;
  if (token !== undefined) headers['x-amz-security-token'] = token;

  let date: string;
  if (input.mode === 'query') {
    if (!Number.isInteger(input.expiresIn) || input.expiresIn < 1 || input.expiresIn > MAX_PRESIGN_EXPIRES) {
      throw new PresignError(`expiresIn must be a whole number of seconds from 1 to ${MAX_PRESIGN_EXPIRES} (7 days); got ${input.expiresIn}`);
    }
    date = String(Math.floor(input.now / 1000) + input.expiresIn);
  } else {
    if (headers['date'] === undefined && headers['x-amz-date'] === undefined) headers['date'] = new Date(input.now).toUTCString();
    date = headers['x-amz-date'] === undefined ? (headers['date'] ?? '') : '';
  }
  const amzHeaders = new Map<string, string[]>();
  for (const [name, value] of Object.entries(headers)) if (name.startsWith('x-amz-')) amzHeaders.set(name, [value.trim()]);
  const stringToSign = v2StringToSign({
    method: input.method.toUpperCase(),
    contentMd5: headers['content-md5']?.trim() ?? '',
    contentType: headers['content-type']?.trim() ?? '',
    date,
    amzHeaders,
    resource: canonicalResource(path, url.query, input.virtualHostBucket),
  });
  const signature = Buffer.from(input.crypto.hmacSha1(input.credentials.secretAccessKey, stringToSign)).toString('base64');
  const base = `${url.origin}${path}`;

  if (input.mode === 'header') {
    headers['authorization'] = `AWS ${input.credentials.accessKeyId}:${signature}`;
    return { url: url.query === '' ? base : `${base}?${url.query}`, headers, stringToSign, signature };
  }
  // Like botocore: the signed headers ride in the query, so the bare URL is enough.
  const hoisted = Object.entries(headers).filter(([name]) => name.startsWith('x-amz-') || name === 'content-type' || name === 'content-md5');
  const auth = encodeQueryPairs([['AWSAccessKeyId', input.credentials.accessKeyId], ['Signature', signature], ...hoisted, ['Expires', date]]);
  const query = [...(url.query === '' ? [] : [url.query]), ...auth].join('&');
  const { ['x-amz-security-token']: _token, ...callers } = headers;
  return { url: `${base}?${query}`, headers: callers, stringToSign, signature };
}
