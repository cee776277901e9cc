import { S3Error } from '../errors.js';
import { objectArn } from '../iam/index.js';
import { percentDecode } from '../sigv4/uri-encode.js';
import type { Authenticated } from './auth.js';
import type { ObjectRecord } from '../storage/types.js';
import { isWellFormedVersionId } from '../version-id.js';
import { checkConditions } from './conditions.js';
import type { RequestContext } from './context.js';
import type { S3Deps } from './deps.js';
import { partNumberParam } from './part-range.js';

/*
 * What operations read out of a request's address and query, shared by every
 * operation family so that no operation imports another's file.
 */

/** The bucket must exist; its record otherwise NoSuchBucket. */
export async function requireBucket(deps: S3Deps, name: string) {
  const bucket = await deps.metadata.getBucket(name);
  if (bucket === null) throw new S3Error('NoSuchBucket', undefined, { BucketName: name });
  return bucket;
}

export function uploadIdParam(ctx: RequestContext): string {
  const uploadId = ctx.query.get('uploadId');
  if (uploadId === undefined || uploadId === '') throw new S3Error('InvalidArgument', 'This operation requires an upload id.', { ArgumentName: 'uploadId' });
  return uploadId;
}

/** What S3 calls the version of an object written while its bucket was never versioned (or suspended). */
export const NULL_VERSION = 'null';

/** A version id named by a client: null for "null"; InvalidArgument for anything this server never issues. */
export function parseVersionId(versionId: string, argument = 'versionId'): string | null {
  if (!isWellFormedVersionId(versionId)) {
    throw new S3Error('InvalidArgument', 'Invalid version id specified', { ArgumentName: argument, ArgumentValue: versionId });
  }
  return versionId === NULL_VERSION ? null : versionId;
}

export interface CopySource {
  readonly bucket: string;
  readonly key: string;
  /** `?versionId=` of the source: one version (null: the "null" one); undefined: the current one. */
  readonly versionId?: string | null | undefined;
}

export function parseCopySource(header: string): CopySource {
  const [path = '', query] = header.split('?', 2);
  let versionId: string | null | undefined;
  if (query !== undefined) {
    const named = /^versionId=(.*)$/.exec(query);
    if (named === null) throw new S3Error('InvalidArgument', 'Unsupported copy source parameter.', { ArgumentName: 'x-amz-copy-source', ArgumentValue: header });
    versionId = parseVersionId(percentDecode(named[1] ?? ''), 'x-amz-copy-source');
  }
  const decoded = percentDecode(path).replace(/^\//, '');
  const slash = decoded.indexOf('/');
  if (slash <= 0 || slash === decoded.length - 1) throw new S3Error('InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey', { ArgumentName: 'x-amz-copy-source', ArgumentValue: header });
  return { bucket: decoded.slice(0, slash), key: decoded.slice(slash + 1), ...(versionId === undefined ? {} : { versionId }) };
}

/** Read access to a copy source: s3:GetObject, and s3:GetObjectVersion too when it names a version (as on S3). */
export async function checkCopySourceAccess(ctx: RequestContext, auth: Authenticated, deps: S3Deps, source: CopySource): Promise<void> {
  await deps.authorizer.check(ctx, auth, 's3:GetObject', objectArn(source.bucket, source.key), source.bucket);
  if (source.versionId !== undefined) await deps.authorizer.check(ctx, auth, 's3:GetObjectVersion', objectArn(source.bucket, source.key), source.bucket);
}

/** x-amz-copy-source-version-id: the version copied from, when there is one to name. */
export function copySourceVersionHeader(source: CopySource, object: ObjectRecord): Record<string, string> {
  const id = object.versionId ?? (source.versionId === null ? NULL_VERSION : undefined);
  return id === undefined ? {} : { 'x-amz-copy-source-version-id': id };
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
  readonly copySource: CopySource;
}

export type ParamName = keyof QueryParams;

export const PARAM_PARSERS: { readonly [P in ParamName]: (ctx: RequestContext) => QueryParams[P] } = {
  uploadId: uploadIdParam,
  partNumber: (ctx) => partNumberParam(ctx),
  copySource: (ctx) => parseCopySource(ctx.header('x-amz-copy-source') ?? ''),
};
