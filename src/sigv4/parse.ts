import { parseAmzDate, parseHttpDate, formatAmzDate } from './amz-date.js';
import { canonicalHeaderValue } from './canonical-headers.js';
import { parseQuery, type QueryPair } from './canonical-query.js';
import { authErrors, type AuthMode } from './errors.js';
import { parseV2Header, parseV2Query, type V2Auth } from './sigv2.js';
import { ALGORITHM, MAX_PRESIGN_EXPIRES, UNSIGNED_PAYLOAD, type CredentialScope, type SignableRequest } from './types.js';

export interface AnonymousAuth {
  readonly version: 0;
  readonly query: readonly QueryPair[];
}

export interface V4Auth {
  readonly version: 4;
  readonly mode: AuthMode;
  readonly accessKeyId: string;
  readonly scope: CredentialScope;
  /** The request time exactly as signed (ISO basic). */
  readonly amzDate: string;
  readonly signedAt: number;
  readonly signedHeaders: readonly string[];
  /** As provided; compared in constant time at verification. */
  readonly signature: string;
  /** Query auth only: X-Amz-Expires in seconds. */
  readonly expiresSeconds?: number;
  readonly securityToken?: string;
  /** x-amz-content-sha256 (header auth), X-Amz-Content-Sha256 or UNSIGNED-PAYLOAD (query auth); undefined where the service does not send one. */
  readonly payloadHash?: string;
  readonly query: readonly QueryPair[];
}

export type ParsedAuth = AnonymousAuth | V4Auth | V2Auth;

export interface ParseOptions {
  /** The region this endpoint serves; a credential scoped to another is refused. */
  readonly region: string;
  readonly service?: string;
  /** S3 demands x-amz-content-sha256 on header-signed requests; other services hash the body. */
  readonly requireContentSha256?: boolean;
}

const V4_QUERY_PARAMS = new Set([
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
  'X-Amz-Security-Token',
  'X-Amz-Content-Sha256',
]);

const PAYLOAD_MARKERS = new Set([
  UNSIGNED_PAYLOAD,
  'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
  'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
]);
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Headers S3 accepts without a signature: the payload hash is checked against the body anyway. */
const UNSIGNED_AMZ_HEADERS_ALLOWED = new Set(['x-amz-content-sha256']);

/** Find which mechanism a request uses and parse it, checking structure only (no key, no crypto). */
export function parseAuthorization(request: SignableRequest, options: ParseOptions): ParsedAuth {
  const query = request.queryPairs ?? parseQuery(request.query);
  const authorization = single(request.headers['authorization']);
  const hasV4Query = query.some(([name]) => name === 'X-Amz-Algorithm' || name === 'X-Amz-Signature' || name === 'X-Amz-Credential');
  const hasV2Query = query.some(([name]) => name === 'AWSAccessKeyId' || name === 'Signature');
  if (authorization !== undefined && (hasV4Query || hasV2Query)) throw authErrors.multipleMechanisms();
  if (hasV4Query && hasV2Query) throw authErrors.multipleMechanisms();

  if (authorization !== undefined) {
    if (authorization.startsWith(`${ALGORITHM} `)) return parseV4Header(request, authorization, query, options);
    if (authorization.startsWith('AWS ')) return parseV2Header(request, authorization, query);
    throw authErrors.unsupportedAuthorizationType(authorization.split(' ', 1)[0] ?? '');
  }
  if (hasV4Query) return parseV4Query(request, query, options);
  if (hasV2Query) return parseV2Query(query);
  return { version: 0, query };
}

function parseV4Header(request: SignableRequest, authorization: string, query: readonly QueryPair[], options: ParseOptions): V4Auth {
  const fields = new Map<string, string>();
  for (const part of authorization.slice(ALGORITHM.length + 1).split(',')) {
    const item = part.trim();
    const eq = item.indexOf('=');
    if (eq <= 0) throw authErrors.malformedAuthorizationHeader();
    const name = item.slice(0, eq);
    if (fields.has(name)) throw authErrors.malformedAuthorizationHeader();
    fields.set(name, item.slice(eq + 1));
  }
  const credential = fields.get('Credential');
  const signedHeadersText = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (fields.size !== 3 || credential === undefined || signedHeadersText === undefined || signature === undefined) {
    throw authErrors.malformedAuthorizationHeader();
  }
  const { accessKeyId, scope } = parseCredential(credential, 'header', options);
  const signedHeaders = parseSignedHeaders(signedHeadersText, 'header');

  const amzDateHeader = single(request.headers['x-amz-date']);
  const dateHeader = single(request.headers['date']);
  let signedAt: number | undefined;
  let amzDate: string;
  if (amzDateHeader !== undefined) {
    signedAt = parseAmzDate(amzDateHeader);
    amzDate = amzDateHeader;
  } else {
    signedAt = dateHeader === undefined ? undefined : parseHttpDate(dateHeader);
    amzDate = signedAt === undefined ? '' : formatAmzDate(signedAt);
  }
  if (signedAt === undefined) throw authErrors.missingDate();
  if (amzDate.slice(0, 8) !== scope.date) throw authErrors.scopeDateMismatch('header');

  const payloadHash = single(request.headers['x-amz-content-sha256']);
  if (payloadHash === undefined) {
    if (options.requireContentSha256 ?? true) throw authErrors.missingContentSha256();
  } else if (!PAYLOAD_MARKERS.has(payloadHash) && !SHA256_HEX.test(payloadHash)) {
    throw authErrors.invalidContentSha256();
  }
  requireAmzHeadersSigned(request, signedHeaders);

  // The token as signed (trimmed, inner spaces collapsed), not as sent: the one we report is the one the signature covers.
  const tokenHeader = request.headers['x-amz-security-token'];
  const securityToken = tokenHeader === undefined ? undefined : canonicalHeaderValue(tokenHeader);
  return {
    version: 4,
    mode: 'header',
    accessKeyId,
    scope,
    amzDate,
    signedAt,
    signedHeaders,
    signature,
    ...(securityToken === undefined ? {} : { securityToken }),
    ...(payloadHash === undefined ? {} : { payloadHash }),
    query,
  };
}

function parseV4Query(request: SignableRequest, query: readonly QueryPair[], options: ParseOptions): V4Auth {
  const params = new Map<string, string>();
  for (const [name, value] of query) {
    if (!V4_QUERY_PARAMS.has(name)) continue;
    if (params.has(name)) throw authErrors.duplicateQueryParameter(name);
    params.set(name, value);
  }
  const algorithm = params.get('X-Amz-Algorithm');
  const credential = params.get('X-Amz-Credential');
  const amzDate = params.get('X-Amz-Date');
  const expires = params.get('X-Amz-Expires');
  const signedHeadersText = params.get('X-Amz-SignedHeaders');
  const signature = params.get('X-Amz-Signature');
  if (algorithm === undefined || credential === undefined || amzDate === undefined || expires === undefined || signedHeadersText === undefined || signature === undefined) {
    throw authErrors.missingQueryParameters();
  }
  if (algorithm !== ALGORITHM) throw authErrors.unsupportedAlgorithm();
  const expiresSeconds = parseExpires(expires);
  const signedAt = parseAmzDate(amzDate);
  if (signedAt === undefined) throw authErrors.malformedDate();
  const { accessKeyId, scope } = parseCredential(credential, 'query', options);
  if (amzDate.slice(0, 8) !== scope.date) throw authErrors.scopeDateMismatch('query');
  const signedHeaders = parseSignedHeaders(signedHeadersText, 'query');

  const securityToken = params.get('X-Amz-Security-Token');
  const payloadHash = params.get('X-Amz-Content-Sha256') ?? ((options.service ?? 's3') === 's3' ? UNSIGNED_PAYLOAD : undefined);
  if (payloadHash !== undefined && !PAYLOAD_MARKERS.has(payloadHash) && !SHA256_HEX.test(payloadHash)) throw authErrors.invalidContentSha256();
  rejectConflicts(request, [
    ['x-amz-date', amzDate],
    ['x-amz-security-token', securityToken],
    ['x-amz-content-sha256', params.get('X-Amz-Content-Sha256')],
  ]);
  requireAmzHeadersSigned(request, signedHeaders);

  return {
    version: 4,
    mode: 'query',
    accessKeyId,
    scope,
    amzDate,
    signedAt,
    signedHeaders,
    signature,
    expiresSeconds,
    ...(securityToken === undefined ? {} : { securityToken }),
    ...(payloadHash === undefined ? {} : { payloadHash }),
    query,
  };
}

/** Strict digits only: "1e3", "0x3c", "+60", " 60" are all refused, as is anything past a week. */
function parseExpires(text: string): number {
  if (/^-\d+$/.test(text)) throw authErrors.expiresNegative();
  if (!/^\d+$/.test(text)) throw authErrors.expiresNotANumber();
  const digits = text.replace(/^0+(?=\d)/, '');
  if (digits.length > 7) throw authErrors.expiresTooLarge();
  const seconds = Number(digits);
  if (seconds > MAX_PRESIGN_EXPIRES) throw authErrors.expiresTooLarge();
  return seconds;
}

function parseCredential(text: string, mode: AuthMode, options: ParseOptions): { accessKeyId: string; scope: CredentialScope } {
  const parts = text.split('/');
  if (parts.length !== 5) throw authErrors.malformedCredential(mode);
  const [accessKeyId, date, region, service, terminator] = parts as [string, string, string, string, string];
  if (accessKeyId === '' || !/^\d{8}$/.test(date) || region === '' || service === '') throw authErrors.malformedCredential(mode);
  if (terminator !== 'aws4_request') throw authErrors.wrongTerminator(mode, terminator);
  if (region !== options.region) throw authErrors.wrongRegion(mode, region, options.region);
  const expectedService = options.service ?? 's3';
  if (service !== expectedService) throw authErrors.wrongService(mode, service, expectedService);
  return { accessKeyId, scope: { date, region, service } };
}

function parseSignedHeaders(text: string, mode: AuthMode): string[] {
  const names = text.split(';');
  if (names.some((n) => n === '' || n !== n.toLowerCase() || /\s/.test(n))) {
    throw mode === 'header' ? authErrors.malformedAuthorizationHeader() : authErrors.missingQueryParameters();
  }
  if (!names.includes('host')) throw authErrors.hostNotSigned(mode);
  return names;
}

function requireAmzHeadersSigned(request: SignableRequest, signedHeaders: readonly string[]): void {
  const unsigned = Object.keys(request.headers)
    .filter((name) => name.startsWith('x-amz-') && !UNSIGNED_AMZ_HEADERS_ALLOWED.has(name) && !signedHeaders.includes(name))
    .sort();
  if (unsigned.length > 0) throw authErrors.headersNotSigned(unsigned);
}

function rejectConflicts(request: SignableRequest, pairs: ReadonlyArray<readonly [string, string | undefined]>): void {
  for (const [header, queryValue] of pairs) {
    const headerValue = single(request.headers[header]);
    if (headerValue !== undefined && queryValue !== undefined && headerValue !== queryValue) throw authErrors.conflictingValues();
  }
}

export function single(value: string | readonly string[] | undefined): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  return value.length === 0 ? undefined : value.join(',');
}
