import { S3Error } from '../errors.js';
import { percentDecode } from '../sigv4/uri-encode.js';
import type { ObjectRecord } from '../storage/types.js';
import { checkConditions } from './conditions.js';
import type { RequestContext } from './context.js';
import type { S3Deps } from './deps.js';
import { partNumberParam } from './part-range.js';

/*
 * What operations read out of a request's address and query, shared by every
 * operation family so that no operation imports another's file.
 */

export function bucketName(ctx: RequestContext): string {
  if (ctx.bucket === undefined) throw new S3Error('InvalidRequest', 'A bucket name is required.');
  return ctx.bucket;
}

export function objectKey(ctx: RequestContext): string {
  if (ctx.key === undefined) throw new S3Error('InvalidRequest', 'An object key is required.');
  return ctx.key;
}

/** The bucket must exist; its record otherwise NoSuchBucket. */
export async function requireBucket(ctx: RequestContext, deps: S3Deps) {
  const name = bucketName(ctx);
  const bucket = await deps.metadata.getBucket(name);
  if (bucket === null) throw new S3Error('NoSuchBucket', undefined, { BucketName: name });
  return bucket;
}

export function uploadIdParam(ctx: RequestContext): string {
  const uploadId = ctx.query.get('uploadId');
  if (uploadId === undefined || uploadId === '') throw new S3Error('InvalidArgument', 'This operation requires an upload id.', { ArgumentName: 'uploadId' });
  return uploadId;
}

export interface CopySource {
  readonly bucket: string;
  readonly key: string;
}

export function parseCopySource(header: string): CopySource {
  const [path = '', query] = header.split('?', 2);
  if (query !== undefined && !/^versionId=null$/.test(query)) throw new S3Error('NotImplemented', 'Versioned copy sources are not supported.');
  const decoded = percentDecode(path).replace(/^\//, '');
  const slash = decoded.indexOf('/');
  if (slash <= 0 || slash === decoded.length - 1) throw new S3Error('InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey', { ArgumentName: 'x-amz-copy-source', ArgumentValue: header });
  return { bucket: decoded.slice(0, slash), key: decoded.slice(slash + 1) };
}

/** x-amz-copy-source-if-* against the source object: any failure is 412 PreconditionFailed, never 304. */
export function checkCopySourceConditions(ctx: RequestContext, source: ObjectRecord, now: number): void {
  checkConditions(
    {
      ifMatch: ctx.header('x-amz-copy-source-if-match'),
      ifNoneMatch: ctx.header('x-amz-copy-source-if-none-match'),
      ifModifiedSince: ctx.header('x-amz-copy-source-if-modified-since'),
      ifUnmodifiedSince: ctx.header('x-amz-copy-source-if-unmodified-since'),
    },
    source,
    now,
    'precondition',
  );
}

/** Parameters an operation may declare beyond its address, each parsed (and refused) once, before it runs. */
export interface QueryParams {
  readonly uploadId: string;
  readonly partNumber: number;
  readonly versionId: string | undefined;
  readonly copySource: CopySource;
}

export type ParamName = keyof QueryParams;

export const PARAM_PARSERS: { readonly [P in ParamName]: (ctx: RequestContext) => QueryParams[P] } = {
  uploadId: uploadIdParam,
  partNumber: (ctx) => partNumberParam(ctx),
  versionId: (ctx) => ctx.query.get('versionId'),
  copySource: (ctx) => parseCopySource(ctx.header('x-amz-copy-source') ?? ''),
};
