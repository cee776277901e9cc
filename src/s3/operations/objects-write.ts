import { S3Error } from '../../errors.js';
import { objectArn } from '../../iam/index.js';
import { checksumAlgorithmFromHeader, checksumHeaderName, parseChecksumAlgorithm } from '../../checksums.js';
import type { Authenticated } from '../auth.js';
import type { ObjectMetadataInput, ObjectRecord, ObjectTags } from '../../storage/types.js';
import { refuseAclHeaders } from '../acl-headers.js';
import { refuseUnsupportedWriteOptions } from '../write-options.js';
import { checkConditions } from '../conditions.js';
import type { RequestContext } from '../context.js';
import type { S3Deps } from '../deps.js';
import { xmlDate } from '../http-dates.js';
import { metadataFromHeaders } from '../object-headers.js';
import { openRequestBody, readWholeRequestBody, readXmlBody } from '../request-body.js';
import { sendEmpty, sendXml } from '../respond.js';
import { writtenVersionHeader } from './versions.js';
import { operation, type Params } from '../operation.js';
import {
  checkCopySourceAccess, checkCopySourceConditions, copySourceVersionHeader, parseVersionId, permitVersion, requireBucket, type CopySource,
} from '../operation-params.js';
import { permitTags } from './tagging.js';
import { requestedTags } from '../tagging.js';

function checksumHeaders(object: ObjectRecord): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(object.checksums)) {
    const algorithm = parseChecksumAlgorithm(name);
    if (algorithm) headers[checksumHeaderName(algorithm)] = value;
  }
  if (Object.keys(headers).length > 0) headers['x-amz-checksum-type'] = 'FULL_OBJECT';
  return headers;
}

/**
 * If-None-Match: * (create only) and If-Match (replace only that version),
 * checked before the body is read so a refused upload costs nothing.
 */
async function writeConditions(ctx: RequestContext, deps: S3Deps, bucket: string, key: string): Promise<void> {
  const ifNoneMatch = ctx.header('if-none-match');
  const ifMatch = ctx.header('if-match');
  if (ifNoneMatch === undefined && ifMatch === undefined) return;
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== '*') throw new S3Error('NotImplemented', 'If-None-Match on PUT supports only "*".');
  const found = await deps.metadata.getObject(bucket, key);
  if (found.kind === 'found') {
    checkConditions({ ifMatch, ifNoneMatch }, found.object, deps.now(), 'precondition');
  } else if (ifMatch !== undefined) {
    throw new S3Error('NoSuchKey', undefined, { Key: key });
  }
}

export async function putObject(ctx: RequestContext, auth: Authenticated, deps: S3Deps, { bucket, key }: Params<'object', never>): Promise<void> {
  refuseAclHeaders(ctx);
  refuseUnsupportedWriteOptions((name) => ctx.header(name));
  const tags = requestedTags((name) => ctx.header(name));
  const metadata = { ...metadataFromHeaders(ctx), tags };
  // Looked up once: storage takes the record rather than looking the bucket up again.
  const target = await requireBucket(deps, bucket);
  await permitTags(ctx, auth, deps, bucket, key, tags);
  await writeConditions(ctx, deps, bucket, key);
  // A body storage keeps inline is gathered whole: no stream stage or iterator per request.
  const body = readWholeRequestBody(ctx, auth.verified, (size) => deps.storage.storesInline(size)) ?? openRequestBody(ctx, auth.verified);
  const { object, versioned } = await deps.storage.putObject(target, key, body.source, () => ({ ...metadata, checksums: body.checksums() }), {
    expectedLength: body.declaredSize,
  });
  sendEmpty(ctx, 200, { etag: `"${object.etag}"`, ...checksumHeaders(object), ...writtenVersionHeader(object.versionId, versioned) });
}

export async function deleteObject(ctx: RequestContext, auth: Authenticated, deps: S3Deps, params: Params<'object', 'versionId'>): Promise<void> {
  const versionId = await permitVersion(ctx, auth, deps, params, 's3:DeleteObjectVersion');
  const deleted = await deleteOne(deps, params.bucket, params.key, versionId);
  sendEmpty(ctx, 204, {
    ...(deleted.deleteMarker ? { 'x-amz-delete-marker': 'true' } : {}),
    ...(deleted.versionId === undefined ? {} : { 'x-amz-version-id': deleted.versionId }),
  });
}

/**
 * One DELETE, as S3 answers it: a version named is removed for good (a
 * version that does not exist is no error: the delete is idempotent); without
 * one, a versioned bucket gets a delete marker and the others lose the object.
 */
async function deleteOne(deps: S3Deps, bucket: string, key: string, versionId: string | null | undefined): Promise<{ deleteMarker: boolean; versionId: string | undefined }> {
  if (versionId !== undefined) {
    const removed = await deps.storage.deleteObjectVersion(bucket, key, versionId);
    return { deleteMarker: removed?.deleteMarker ?? false, versionId: versionId ?? 'null' };
  }
  const { marker } = await deps.storage.deleteObject(bucket, key);
  return { deleteMarker: marker !== undefined, versionId: marker };
}

const MAX_DELETE_KEYS = 1000;

export async function deleteObjects(ctx: RequestContext, auth: Authenticated, deps: S3Deps, { bucket }: Params<'bucket', never>): Promise<void> {
  requireIntegrityHeader(ctx);
  await requireBucket(deps, bucket);
  const xml = await readXmlBody(ctx, auth.verified, { optional: false });
  const root = xml?.['Delete'];
  if (root === null || typeof root !== 'object') throw new S3Error('MalformedXML');
  const request = root as Record<string, unknown>;
  const entries = request['Object'] === undefined ? [] : Array.isArray(request['Object']) ? (request['Object'] as unknown[]) : [request['Object']];
  if (entries.length === 0 || entries.length > MAX_DELETE_KEYS) throw new S3Error('MalformedXML');
  const quietValue = request['Quiet'];
  const quiet = typeof quietValue === 'string' && quietValue.trim().toLowerCase() === 'true';
  const deleted: Array<{ Key: string; VersionId?: string; DeleteMarker?: boolean; DeleteMarkerVersionId?: string }> = [];
  const errors: Array<{ Key: string; VersionId?: string; Code: string; Message: string }> = [];
  for (const entry of entries) {
    const fields = entry !== null && typeof entry === 'object' ? (entry as Record<string, unknown>) : {};
    const key = fields['Key'];
    const versionId = fields['VersionId'];
    if (typeof key !== 'string' || (versionId !== undefined && typeof versionId !== 'string')) throw new S3Error('MalformedXML');
    const named = versionId === undefined ? { Key: key } : { Key: key, VersionId: versionId };
    // Naming a version needs the version action, as on S3.
    const action = versionId === undefined ? 's3:DeleteObject' : 's3:DeleteObjectVersion';
    if (!(await deps.authorizer.allows(ctx, auth, action, objectArn(bucket, key), bucket))) {
      errors.push({ ...named, Code: 'AccessDenied', Message: 'Access Denied' });
      continue;
    }
    try {
      const outcome = await deleteOne(deps, bucket, key, versionId === undefined ? undefined : parseVersionId(versionId));
      if (!outcome.deleteMarker) deleted.push(named);
      else if (versionId !== undefined) deleted.push({ ...named, DeleteMarker: true, DeleteMarkerVersionId: versionId });
      else deleted.push({ ...named, DeleteMarker: true, ...(outcome.versionId === undefined ? {} : { DeleteMarkerVersionId: outcome.versionId }) });
    } catch (e) {
      if (!(e instanceof S3Error)) throw e;
      errors.push({ ...named, Code: e.code, Message: e.message });
    }
  }
  sendXml(ctx, 'DeleteResult', { Deleted: quiet ? [] : deleted, Error: errors });
}

/** As S3: a multi-delete's body must come with a digest (Content-MD5, or an x-amz-checksum-* header or trailer) to be checked against. */
function requireIntegrityHeader(ctx: RequestContext): void {
  if (ctx.hasHeader('content-md5')) return;
  if (Object.keys(ctx.req.headers).some((name) => checksumAlgorithmFromHeader(name) !== undefined)) return;
  if ((ctx.header('x-amz-trailer') ?? '').split(',').some((name) => checksumAlgorithmFromHeader(name) !== undefined)) return;
  throw new S3Error('InvalidRequest', 'Missing required header for this request: Content-MD5');
}

export async function copyObject(ctx: RequestContext, auth: Authenticated, deps: S3Deps, { bucket, key, copySource: source }: Params<'object', 'copySource'>): Promise<void> {
  refuseAclHeaders(ctx);
  refuseUnsupportedWriteOptions((name) => ctx.header(name));
  const directive = (ctx.header('x-amz-metadata-directive') ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') {
    throw new S3Error('InvalidArgument', 'Unknown metadata directive.', { ArgumentName: 'x-amz-metadata-directive', ArgumentValue: directive });
  }
  const taggingDirective = (ctx.header('x-amz-tagging-directive') ?? 'COPY').toUpperCase();
  if (taggingDirective !== 'COPY' && taggingDirective !== 'REPLACE') {
    throw new S3Error('InvalidArgument', 'Unknown tagging directive.', { ArgumentName: 'x-amz-tagging-directive', ArgumentValue: taggingDirective });
  }
  // With COPY the source's tags go along and x-amz-tagging is ignored, as on S3; with REPLACE it is the new set (none when absent).
  const replacedTags = taggingDirective === 'REPLACE' ? (requestedTags((name) => ctx.header(name)) ?? {}) : undefined;
  if (source.bucket === bucket && source.key === key && directive === 'COPY' && source.versionId === undefined) {
    throw new S3Error(
      'InvalidRequest',
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  const target = await requireBucket(deps, bucket);
  await checkCopySourceAccess(ctx, auth, deps, source);
  const replacement = directive === 'REPLACE' ? metadataFromHeaders(ctx) : undefined;
  const found = await deps.storage.getObject(source.bucket, source.key, {
    versionId: source.versionId,
    range: (found) => {
      checkCopySourceConditions(ctx, found, deps.now());
      return undefined;
    },
  });
  const sourceObject = found.object;
  const body = found.body.stream();
  const metadata: ObjectMetadataInput = replacement ?? {
    contentType: sourceObject.contentType,
    cacheControl: sourceObject.cacheControl,
    contentDisposition: sourceObject.contentDisposition,
    contentEncoding: sourceObject.contentEncoding,
    contentLanguage: sourceObject.contentLanguage,
    expires: sourceObject.expires,
    userMetadata: sourceObject.userMetadata,
  };
  let object: ObjectRecord;
  let versioned: boolean;
  try {
    const tags = await copiedTags(ctx, auth, deps, { bucket, key }, source, replacedTags ?? sourceObject.tags, replacedTags === undefined);
    ({ object, versioned } = await deps.storage.putObject(target, key, body, { ...metadata, checksums: sourceObject.checksums, tags }, { expectedLength: sourceObject.size }));
  } catch (e) {
    body.destroy();
    throw e;
  }
  for (const [name, value] of Object.entries({ ...copySourceVersionHeader(source, sourceObject), ...writtenVersionHeader(object.versionId, versioned) })) {
    ctx.res.setHeader(name, value);
  }
  sendXml(ctx, 'CopyObjectResult', { LastModified: xmlDate(object.lastModified), ETag: `"${object.etag}"` });
}

/**
 * A copy's tags: the source's (reading them needs s3:GetObjectTagging on the
 * source) or the request's; a copy that gets tags needs s3:PutObjectTagging
 * on the new object.
 */
async function copiedTags(ctx: RequestContext, auth: Authenticated, deps: S3Deps, target: CopySource, source: CopySource, tags: ObjectTags, fromSource: boolean): Promise<ObjectTags> {
  if (Object.keys(tags).length === 0) return tags;
  if (fromSource) {
    await deps.authorizer.check(ctx, auth, 's3:GetObjectTagging', objectArn(source.bucket, source.key), source.bucket);
    // s3:PutObject was checked before the source's tags were known: s3:RequestObjectTag conditions are about these.
    await deps.authorizer.check(ctx, auth, 's3:PutObject', objectArn(target.bucket, target.key), target.bucket, tags);
  }
  await permitTags(ctx, auth, deps, target.bucket, target.key, tags);
  return tags;
}

/** The operations of this family, declared once: the router, the permission check and the free-space gate read these. */
export const OBJECT_WRITE_OPERATIONS = {
  // Checked by the operation once per key in the request body, each against that key's ARN.
  DeleteObjects: operation({ method: 'POST', target: 'bucket', query: ['delete'], permissions: [{ action: 's3:DeleteObject', resource: 'object' }], authorises: 'per-key', space: 'frees-or-reads', run: deleteObjects }),
  CopyObject: operation({ method: 'PUT', target: 'object', header: 'x-amz-copy-source', params: ['copySource'], permissions: [{ action: 's3:PutObject', resource: 'object' }, { action: 's3:GetObject', resource: 'source-object' }], space: 'stores', run: copyObject }),
  PutObject: operation({ method: 'PUT', target: 'object', permissions: [{ action: 's3:PutObject', resource: 'object' }], space: 'stores', run: putObject }),
  DeleteObject: operation({ method: 'DELETE', target: 'object', params: ['versionId'], permissions: [{ action: 's3:DeleteObject', resource: 'object' }], space: 'frees-or-reads', run: deleteObject }),
};
