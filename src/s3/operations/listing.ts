import { S3Error } from '../../errors.js';
import type { ListObjectsPage } from '../../storage/types.js';
import type { Authenticated } from '../auth.js';
import type { RequestContext } from '../context.js';
import type { S3Deps } from '../deps.js';
import { xmlDate } from '../http-dates.js';
import { sendXml } from '../respond.js';
import { encodeToken } from '../continuation-token.js';
import { prefixes, type ListingEncoding } from '../listing-params.js';
import { operation, type Params } from '../operation.js';

async function list(deps: S3Deps, { bucket, prefix, delimiter, maxKeys }: Params<'bucket', 'maxKeys' | 'prefix' | 'delimiter'>, after: string | undefined): Promise<ListObjectsPage> {
  const result = await deps.metadata.listObjects({ bucket, prefix, delimiter, after, maxKeys });
  if (result.kind === 'no-such-bucket') throw new S3Error('NoSuchBucket', undefined, { BucketName: bucket });
  return result;
}

function contents(page: ListObjectsPage, { encode }: ListingEncoding, withOwner: string | undefined) {
  return page.contents.map((o) => ({
    Key: encode(o.key),
    LastModified: xmlDate(o.lastModified),
    ETag: `"${o.etag}"`,
    ...(o.checksumAlgorithms.length > 0 ? { ChecksumAlgorithm: [...o.checksumAlgorithms], ChecksumType: 'FULL_OBJECT' } : {}),
    Size: o.size,
    ...(withOwner === undefined ? {} : { Owner: { ID: withOwner, DisplayName: withOwner } }),
    StorageClass: 'STANDARD',
  }));
}

type ListObjectsV2Params = Params<'bucket', 'encoding' | 'maxKeys' | 'prefix' | 'delimiter' | 'continuationToken' | 'startAfter' | 'fetchOwner'>;

export async function listObjectsV2(ctx: RequestContext, auth: Authenticated, deps: S3Deps, params: ListObjectsV2Params): Promise<void> {
  const { bucket, encoding, continuationToken, startAfter } = params;
  let after = startAfter;
  if (continuationToken !== undefined) {
    after = continuationToken.after;
    // A token always wins over start-after, and never goes backwards.
    if (startAfter !== undefined && Buffer.compare(Buffer.from(startAfter), Buffer.from(after)) > 0) after = startAfter;
  }
  const page = await list(deps, params, after);
  sendXml(ctx, 'ListBucketResult', {
    Name: bucket,
    Prefix: encoding.encode(params.prefix),
    ...(params.delimiter ? { Delimiter: encoding.encode(params.delimiter) } : {}),
    MaxKeys: params.maxKeys,
    ...(encoding.type ? { EncodingType: encoding.type } : {}),
    KeyCount: page.contents.length + page.commonPrefixes.length,
    IsTruncated: page.isTruncated,
    ...(continuationToken === undefined ? {} : { ContinuationToken: continuationToken.token }),
    ...(page.isTruncated && page.nextAfter !== undefined ? { NextContinuationToken: encodeToken(page.nextAfter) } : {}),
    ...(startAfter === undefined ? {} : { StartAfter: encoding.encode(startAfter) }),
    Contents: contents(page, encoding, params.fetchOwner ? (auth.principal?.name ?? '') : undefined),
    CommonPrefixes: prefixes(page, encoding),
  });
}

export async function listObjectsV1(ctx: RequestContext, auth: Authenticated, deps: S3Deps, params: Params<'bucket', 'encoding' | 'maxKeys' | 'prefix' | 'delimiter' | 'marker'>): Promise<void> {
  const { bucket, encoding, marker } = params;
  const page = await list(deps, params, marker || undefined);
  sendXml(ctx, 'ListBucketResult', {
    Name: bucket,
    Prefix: encoding.encode(params.prefix),
    Marker: encoding.encode(marker),
    // S3 gives NextMarker only with a delimiter; without one, clients continue from the last key.
    ...(page.isTruncated && params.delimiter && page.nextAfter !== undefined ? { NextMarker: encoding.encode(page.nextAfter) } : {}),
    MaxKeys: params.maxKeys,
    ...(params.delimiter ? { Delimiter: encoding.encode(params.delimiter) } : {}),
    ...(encoding.type ? { EncodingType: encoding.type } : {}),
    IsTruncated: page.isTruncated,
    Contents: contents(page, encoding, auth.principal?.name ?? ''),
    CommonPrefixes: prefixes(page, encoding),
  });
}

/** The operations of this family, declared once: the router, the permission check and the free-space gate read these. */
export const LISTING_OPERATIONS = {
  ListObjectsV2: operation({
    method: 'GET', target: 'bucket', query: ['list-type', '2'],
    params: ['encoding', 'maxKeys', 'prefix', 'delimiter', 'continuationToken', 'startAfter', 'fetchOwner'],
    permissions: [{ action: 's3:ListBucket', resource: 'bucket' }], space: 'frees-or-reads', run: listObjectsV2,
  }),
  ListObjects: operation({ method: 'GET', target: 'bucket', params: ['encoding', 'maxKeys', 'prefix', 'delimiter', 'marker'], permissions: [{ action: 's3:ListBucket', resource: 'bucket' }], space: 'frees-or-reads', run: listObjectsV1 }),
};
