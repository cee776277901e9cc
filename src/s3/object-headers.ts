import { S3Error } from '../errors.js';
import { checksumHeaderName, parseChecksumAlgorithm } from '../checksums.js';
import type { ObjectMetadataInput, ObjectRecord, SystemMetadata } from '../storage/types.js';
import type { Principal } from '../identity/identities.js';
import type { RequestContext } from './context.js';
import { httpDate } from './http-dates.js';
import { decodeEncodedWords, encodeForHeader, headerText } from './header-text.js';
import { tagCountHeader } from './tagging.js';
import { USER_METADATA_PREFIX } from '../user-metadata.js';

/** S3 caps user-defined metadata at 2 KB (names and values, UTF-8). */
const MAX_USER_METADATA_BYTES = 2048;
export const DEFAULT_CONTENT_TYPE = 'binary/octet-stream';

/**
 * The user metadata among `names` (x-amz-meta-*, lower case), keyed without the
 * prefix; `valueOf` is asked only for those. Over S3's cap is MetadataTooLarge.
 * A PUT's headers and a POST form's fields both come through here.
 */
export function userMetadataOf(names: Iterable<string>, valueOf: (name: string) => string): Record<string, string> {
  const userMetadata: Record<string, string> = {};
  let bytes = 0;
  for (const name of names) {
    if (!name.startsWith(USER_METADATA_PREFIX)) continue;
    const short = name.slice(USER_METADATA_PREFIX.length);
    const value = valueOf(name);
    userMetadata[short] = value;
    bytes += Buffer.byteLength(short) + Buffer.byteLength(value);
  }
  if (bytes > MAX_USER_METADATA_BYTES) throw new S3Error('MetadataTooLarge', undefined, { Size: String(bytes), MaxSizeAllowed: String(MAX_USER_METADATA_BYTES) });
  return userMetadata;
}

/** System and user metadata from a PUT's headers. */
export function metadataFromHeaders(ctx: RequestContext): ObjectMetadataInput {
  // req.headers has the same names as ctx.headers, without building an array per header.
  // Values are stored as Unicode text, whether they came as UTF-8 bytes or as RFC 2047 encoded-words.
  const userMetadata = userMetadataOf(Object.keys(ctx.req.headers), (name) => decodeEncodedWords(headerText(ctx.header(name) ?? '')));
  return { ...systemMetadataFromHeaders(ctx), userMetadata };
}

function systemMetadataFromHeaders(ctx: RequestContext): SystemMetadata {
  // aws-chunked is how the body travelled, not how the object is encoded.
  const encoding = ctx
    .header('content-encoding')
    ?.split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '' && e.toLowerCase() !== 'aws-chunked')
    .join(', ');
  return {
    contentType: ctx.header('content-type') ?? DEFAULT_CONTENT_TYPE,
    cacheControl: ctx.header('cache-control'),
    contentDisposition: ctx.header('content-disposition'),
    contentEncoding: encoding === '' ? undefined : encoding,
    contentLanguage: ctx.header('content-language'),
    expires: ctx.header('expires'),
  };
}

/** response-* query overrides S3 honours on GET and HEAD of signed requests. */
const OVERRIDES = [
  ['response-content-type', 'content-type'],
  ['response-content-language', 'content-language'],
  ['response-expires', 'expires'],
  ['response-cache-control', 'cache-control'],
  ['response-content-disposition', 'content-disposition'],
  ['response-content-encoding', 'content-encoding'],
] as const;

/** A response-* query override: the header it sets and its value. */
export type ResponseOverride = readonly [header: string, value: string];

const NO_OVERRIDES: readonly ResponseOverride[] = [];

/** The response-* overrides a GET or HEAD names, in S3's order of headers. */
export function responseOverridesParam(ctx: RequestContext): readonly ResponseOverride[] {
  let overrides: ResponseOverride[] | undefined;
  for (const [param, header] of OVERRIDES) {
    const value = ctx.query.get(param);
    if (value !== undefined) (overrides ??= []).push([header, value]);
  }
  return overrides ?? NO_OVERRIDES;
}

/** What a GET or HEAD asked for beyond the object: the version it named (null: "null"), response-* overrides. */
export interface ObjectHeadersRequest {
  readonly versionId: string | null | undefined;
  readonly responseOverrides: readonly ResponseOverride[];
}

/** The headers GET and HEAD return for an object. */
/** `signer`: who signed the request (response-* overrides are refused to anonymous requests). */
export function objectHeaders(ctx: RequestContext, object: ObjectRecord, signer: Principal | undefined, request: ObjectHeadersRequest): Record<string, string> {
  const headers: Record<string, string> = {
    'last-modified': httpDate(object.lastModified),
    etag: `"${object.etag}"`,
    'accept-ranges': 'bytes',
    'content-type': object.contentType ?? DEFAULT_CONTENT_TYPE,
    ...tagCountHeader(object.tags),
  };
  const optional: Array<[string, string | undefined]> = [
    ['cache-control', object.cacheControl],
    ['content-disposition', object.contentDisposition],
    ['content-encoding', object.contentEncoding],
    ['content-language', object.contentLanguage],
    ['expires', object.expires],
  ];
  for (const [name, value] of optional) if (value !== undefined) headers[name] = value;
  // The null version has no id of its own: "null" when the request named it.
  const versionId = object.versionId ?? (request.versionId === null ? 'null' : undefined);
  if (versionId !== undefined) headers['x-amz-version-id'] = versionId;
  for (const [name, value] of Object.entries(object.userMetadata)) headers[`${USER_METADATA_PREFIX}${name}`] = encodeForHeader(value);
  if (ctx.header('x-amz-checksum-mode')?.toUpperCase() === 'ENABLED') {
    for (const [algorithm, value] of Object.entries(object.checksums)) {
      const parsed = parseChecksumAlgorithm(algorithm);
      if (parsed) headers[checksumHeaderName(parsed)] = value;
    }
    // A multipart upload's composite checksum reads "<base64>-<parts>".
    if (Object.keys(object.checksums).length > 0) headers['x-amz-checksum-type'] = Object.values(object.checksums).some((v) => /-\d+$/.test(v)) ? 'COMPOSITE' : 'FULL_OBJECT';
  }
  if (request.responseOverrides.length > 0 && signer === undefined) {
    throw new S3Error('InvalidRequest', 'Request specific response headers cannot be used for anonymous GET requests.');
  }
  for (const [header, value] of request.responseOverrides) headers[header] = value;
  return headers;
}
