import { S3Error } from '../errors.js';
import { objectArn } from '../iam/index.js';
import { percentDecode } from '../sigv4/uri-encode.js';
import type { Authenticated } from './auth.js';
import type { ObjectRecord } from '../storage/types.js';
import { isWellFormedVersionId } from '../version-id.js';
import { checkConditions } from './conditions.js';
import type { RequestContext } from './context.js';
import type { S3Deps } from './deps.js';
import {
  continuationTokenParam, encodingParam, maxBucketsParam, maxKeysParam, maxPartsParam, maxUploadsParam, partNumberMarkerParam, uploadIdMarkerParam,
  type ContinuationToken, type ListingEncoding,
} from './listing-params.js';
import { responseOverridesParam, type ResponseOverride } from './object-headers.js';
import { partNumberParam, requestedPartParam, type RequestedPart } from './part-range.js';

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

/**
 * The `?versionId=` of a GET, HEAD or DELETE, once the caller may name one: as
 * on S3, naming a version needs the version action (s3:GetObjectVersion,
 * s3:DeleteObjectVersion) on top of the plain one the route checked.
 */
export async function permitVersion(ctx: RequestContext, auth: Authenticated, deps: S3Deps, { bucket, key, versionId }: { readonly bucket: string; readonly key: string; readonly versionId: string | null | undefined }, action: 's3:GetObjectVersion' | 's3:DeleteObjectVersion'): Promise<string | null | undefined> {
  if (versionId !== undefined) await deps.authorizer.check(ctx, auth, action, objectArn(bucket, key), bucket);
  return versionId;
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

/** `?versionId=` of GET, HEAD, DELETE, GetObjectAttributes and the object tagging calls: undefined without one, null for "null". */
function versionIdParam(ctx: RequestContext): string | null | undefined {
  const raw = ctx.query.get('versionId');
  return raw === undefined ? undefined : parseVersionId(raw);
}

/** ListObjectVersions' version-id marker (undefined when empty): only after a key marker, and a version id this server issues. */
function versionIdMarkerParam(ctx: RequestContext): string | undefined {
  const versionIdMarker = ctx.query.get('version-id-marker') || undefined;
  if (versionIdMarker !== undefined) {
    if (!ctx.query.get('key-marker')) throw new S3Error('InvalidArgument', 'A version-id marker cannot be specified without a key marker.', { ArgumentName: 'version-id-marker', ArgumentValue: versionIdMarker });
    parseVersionId(versionIdMarker, 'version-id-marker');
  }
  return versionIdMarker;
}

const OBJECT_ATTRIBUTES = new Set(['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize']);

/** GetObjectAttributes' x-amz-object-attributes: at least one, each one S3 knows. */
function objectAttributesParam(ctx: RequestContext): ReadonlySet<string> {
  const names = (ctx.header('x-amz-object-attributes') ?? '').split(',').map((name) => name.trim()).filter((name) => name !== '');
  if (names.length === 0) {
    throw new S3Error('InvalidRequest', 'The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty');
  }
  if (names.some((name) => !OBJECT_ATTRIBUTES.has(name))) throw new S3Error('InvalidArgument', 'Invalid attribute name specified.', { ArgumentName: 'x-amz-object-attributes' });
  return new Set(names);
}

/** Parameters an operation may declare beyond its address, each parsed (and refused) once, before it runs. */
export interface QueryParams {
  readonly uploadId: string;
  readonly partNumber: number;
  readonly copySource: CopySource;
  /** `?versionId=`: undefined without one, null for the "null" version. */
  readonly versionId: string | null | undefined;
  /** `?partNumber=` of GET and HEAD, refused (when invalid) where the part is selected. */
  readonly part: RequestedPart | undefined;
  /** response-* overrides of GET and HEAD. */
  readonly responseOverrides: readonly ResponseOverride[];
  /** x-amz-object-attributes of GetObjectAttributes. */
  readonly objectAttributes: ReadonlySet<string>;
  readonly encoding: ListingEncoding;
  /** `max-keys`, at most 1000 (the default). */
  readonly maxKeys: number;
  /** `prefix` of a listing of objects or uploads ('' when absent). */
  readonly prefix: string;
  /** `delimiter` ('' when absent). */
  readonly delimiter: string;
  readonly continuationToken: ContinuationToken | undefined;
  readonly startAfter: string | undefined;
  /** `fetch-owner=true`. */
  readonly fetchOwner: boolean;
  /** ListObjects' `marker` ('' when absent). */
  readonly marker: string;
  /** `key-marker` ('' when absent). */
  readonly keyMarker: string;
  readonly versionIdMarker: string | undefined;
  /** `upload-id-marker` ('' when absent, or when there is no key marker). */
  readonly uploadIdMarker: string;
  readonly maxUploads: number;
  readonly maxParts: number;
  readonly partNumberMarker: number;
  readonly maxBuckets: number;
  /** ListBuckets' `prefix`: undefined when absent, which its answer tells apart from ''. */
  readonly bucketPrefix: string | undefined;
  readonly bucketRegion: string | undefined;
}

export type ParamName = keyof QueryParams;

export const PARAM_PARSERS: { readonly [P in ParamName]: (ctx: RequestContext) => QueryParams[P] } = {
  uploadId: uploadIdParam,
  partNumber: (ctx) => partNumberParam(ctx.query.get('partNumber')),
  copySource: (ctx) => parseCopySource(ctx.header('x-amz-copy-source') ?? ''),
  versionId: versionIdParam,
  part: requestedPartParam,
  responseOverrides: responseOverridesParam,
  objectAttributes: objectAttributesParam,
  encoding: encodingParam,
  maxKeys: maxKeysParam,
  prefix: (ctx) => ctx.query.get('prefix') ?? '',
  delimiter: (ctx) => ctx.query.get('delimiter') ?? '',
  continuationToken: continuationTokenParam,
  startAfter: (ctx) => ctx.query.get('start-after'),
  fetchOwner: (ctx) => ctx.query.get('fetch-owner') === 'true',
  marker: (ctx) => ctx.query.get('marker') ?? '',
  keyMarker: (ctx) => ctx.query.get('key-marker') ?? '',
  versionIdMarker: versionIdMarkerParam,
  uploadIdMarker: uploadIdMarkerParam,
  maxUploads: maxUploadsParam,
  maxParts: maxPartsParam,
  partNumberMarker: partNumberMarkerParam,
  maxBuckets: maxBucketsParam,
  bucketPrefix: (ctx) => ctx.query.get('prefix'),
  bucketRegion: (ctx) => ctx.query.get('bucket-region'),
};
