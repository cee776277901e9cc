import { S3Error } from '../../errors.js';
import type { ListObjectsPage } from '../../storage/types.js';
import { uriEncode } from '../../sigv4/uri-encode.js';
import type { Authenticated } from '../auth.js';
import type { RequestContext } from '../context.js';
import type { S3Deps } from '../deps.js';
import { xmlDate } from '../http-dates.js';
import { sendXml } from '../respond.js';
import { decodeToken, encodeToken } from '../continuation-token.js';
import { operation, type Params } from '../operation.js';

const MAX_KEYS = 1000;

export interface CommonParams {
  readonly prefix: string;
  readonly delimiter: string;
  readonly maxKeys: number;
  readonly encode: (text: string) => string;
  readonly encodingType: 'url' | undefined;
}

export function commonParams(ctx: RequestContext): CommonParams {
  const encodingType = ctx.query.get('encoding-type');
  if (encodingType !== undefined && encodingType !== 'url') throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request', { ArgumentName: 'encoding-type', ArgumentValue: encodingType });
  const maxKeysText = ctx.query.get('max-keys');
  let maxKeys = MAX_KEYS;
  if (maxKeysText !== undefined) {
    if (!/^\d{1,10}$/.test(maxKeysText)) throw new S3Error('InvalidArgument', 'Provided max-keys not an integer or within integer range', { ArgumentName: 'max-keys', ArgumentValue: maxKeysText });
    maxKeys = Math.min(Number(maxKeysText), MAX_KEYS);
  }
  // S3's url encoding of listing values keeps '/' readable.
  const encode = encodingType === 'url' ? (text: string) => uriEncode(text, true) : (text: string) => text;
  return { prefix: ctx.query.get('prefix') ?? '', delimiter: ctx.query.get('delimiter') ?? '', maxKeys, encode, encodingType };
}

export async function list(deps: S3Deps, bucket: string, params: CommonParams, after: string | undefined): Promise<ListObjectsPage> {
  const result = await deps.metadata.listObjects({
    bucket,
    prefix: params.prefix,
    delimiter: params.delimiter,
    after,
    maxKeys: params.maxKeys,
  });
  if (result.kind === 'no-such-bucket') throw new S3Error('NoSuchBucket', undefined, { BucketName: bucket });
  return result;
}

function contents(page: ListObjectsPage, params: CommonParams, withOwner: string | undefined) {
  return page.contents.map((o) => ({
    Key: params.encode(o.key),
    LastModified: xmlDate(o.lastModified),
    ETag: `"${o.etag}"`,
    ...(o.checksumAlgorithms.length > 0 ? { ChecksumAlgorithm: [...o.checksumAlgorithms], ChecksumType: 'FULL_OBJECT' } : {}),
    Size: o.size,
    ...(withOwner === undefined ? {} : { Owner: { ID: withOwner, DisplayName: withOwner } }),
    StorageClass: 'STANDARD',
  }));
}

export function prefixes(page: { readonly commonPrefixes: readonly string[] }, params: CommonParams) {
  return page.commonPrefixes.map((p) => ({ Prefix: params.encode(p) }));
}

export async function listObjectsV2(ctx: RequestContext, auth: Authenticated, deps: S3Deps, { bucket }: Params<'bucket', never>): Promise<void> {
  const params = commonParams(ctx);
  // An empty token is what a client sends before it has one (S3 treats it as none).
  const token = ctx.query.get('continuation-token') || undefined;
  const startAfter = ctx.query.get('start-after');
  let after = startAfter;
  if (token !== undefined) {
    after = decodeToken(token);
    // A token always wins over start-after, and never goes backwards.
    if (startAfter !== undefined && Buffer.compare(Buffer.from(startAfter), Buffer.from(after)) > 0) after = startAfter;
  }
  const page = await list(deps, bucket, params, after);
  sendXml(ctx, 'ListBucketResult', {
    Name: bucket,
    Prefix: params.encode(params.prefix),
    ...(params.delimiter ? { Delimiter: params.encode(params.delimiter) } : {}),
    MaxKeys: params.maxKeys,
    ...(params.encodingType ? { EncodingType: params.encodingType } : {}),
    KeyCount: page.contents.length + page.commonPrefixes.length,
    IsTruncated: page.isTruncated,
    ...(token === undefined ? {} : { ContinuationToken: token }),
    ...(page.isTruncated && page.nextAfter !== undefined ? { NextContinuationToken: encodeToken(page.nextAfter) } : {}),
    ...(startAfter === undefined ? {} : { StartAfter: params.encode(startAfter) }),
    Contents: contents(page, params, ctx.query.get('fetch-owner') === 'true' ? (auth.principal?.name ?? '') : undefined),
    CommonPrefixes: prefixes(page, params),
  });
}

export async function listObjectsV1(ctx: RequestContext, auth: Authenticated, deps: S3Deps, { bucket }: Params<'bucket', never>): Promise<void> {
  const params = commonParams(ctx);
  const marker = ctx.query.get('marker');
  const page = await list(deps, bucket, params, marker || undefined);
  sendXml(ctx, 'ListBucketResult', {
    Name: bucket,
    Prefix: params.encode(params.prefix),
    Marker: params.encode(marker ?? ''),
    // S3 gives NextMarker only with a delimiter; without one, clients continue from the last key.
    ...(page.isTruncated && params.delimiter && page.nextAfter !== undefined ? { NextMarker: params.encode(page.nextAfter) } : {}),
    MaxKeys: params.maxKeys,
    ...(params.delimiter ? { Delimiter: params.encode(params.delimiter) } : {}),
    ...(params.encodingType ? { EncodingType: params.encodingType } : {}),
    IsTruncated: page.isTruncated,
    Contents: contents(page, params, auth.principal?.name ?? ''),
    CommonPrefixes: prefixes(page, params),
  });
}

/** The operations of this family, declared once: the router, the permission check and the free-space gate read these. */
export const LISTING_OPERATIONS = {
  ListObjectsV2: operation({ method: 'GET', target: 'bucket', query: ['list-type', '2'], permissions: [{ action: 's3:ListBucket', resource: 'bucket' }], space: 'frees-or-reads', run: listObjectsV2 }),
  ListObjects: operation({ method: 'GET', target: 'bucket', permissions: [{ action: 's3:ListBucket', resource: 'bucket' }], space: 'frees-or-reads', run: listObjectsV1 }),
};
