import { S3Error } from '../../errors.js';
import { objectArn } from '../../iam/index.js';
import type { VerifiedAuth } from '../../sigv4/verify.js';
import type { RequestContext } from '../context.js';
import type { S3Deps } from '../deps.js';
import { xmlDate } from '../http-dates.js';
import { sendXml } from '../respond.js';
import { commonParams, list, prefixes } from './listing.js';
import { operation } from '../operation.js';
import { bucketName } from '../operation-params.js';

/*
 * Versioning is never enabled here, so every object has exactly one version,
 * which S3 names "null" in a bucket in that state. Tools that work through
 * versions (boto3's bucket.object_versions, `aws s3api list-object-versions`
 * to empty a bucket, rclone --s3-versions) see the same thing they would on
 * such an S3 bucket.
 */
export const NULL_VERSION = 'null';

/** A versionId (query parameter or DeleteObjects entry) other than "null" names no version that exists here. */
export function requireNullVersion(versionId: string | undefined): void {
  if (versionId !== undefined && versionId !== NULL_VERSION) {
    throw new S3Error('InvalidArgument', 'Invalid version id specified', { ArgumentName: 'versionId', ArgumentValue: versionId });
  }
}

/**
 * GET, HEAD or DELETE of `?versionId=`: "null" is the object itself, and as
 * on S3 naming a version needs the version action (s3:GetObjectVersion,
 * s3:DeleteObjectVersion) on top of the plain one the route checked.
 */
export async function checkVersionParam(ctx: RequestContext, auth: VerifiedAuth, deps: S3Deps, action: 's3:GetObjectVersion' | 's3:DeleteObjectVersion'): Promise<void> {
  const versionId = ctx.query.get('versionId');
  if (versionId === undefined) return;
  requireNullVersion(versionId);
  await deps.authorizer.check(ctx, auth, action, objectArn(bucketName(ctx), ctx.key ?? ''), bucketName(ctx));
}

export async function listObjectVersions(ctx: RequestContext, _auth: VerifiedAuth, deps: S3Deps): Promise<void> {
  const params = commonParams(ctx);
  const keyMarker = ctx.query.get('key-marker') || undefined;
  const versionIdMarker = ctx.query.get('version-id-marker');
  if (versionIdMarker !== undefined && versionIdMarker !== '') {
    if (keyMarker === undefined) throw new S3Error('InvalidArgument', 'A version-id marker cannot be specified without a key marker.', { ArgumentName: 'version-id-marker', ArgumentValue: versionIdMarker });
    requireNullVersion(versionIdMarker);
  }
  // The key marker's only version comes before any other version-id marker, so both continue after the key.
  const page = await list(ctx, deps, params, keyMarker);
  const owner = ctx.principal?.name ?? '';
  const nextIsPrefix = page.nextAfter !== undefined && page.commonPrefixes.includes(page.nextAfter);
  sendXml(ctx, 'ListVersionsResult', {
    Name: bucketName(ctx),
    Prefix: params.encode(params.prefix),
    KeyMarker: params.encode(keyMarker ?? ''),
    VersionIdMarker: versionIdMarker ?? '',
    ...(page.isTruncated && page.nextAfter !== undefined
      ? { NextKeyMarker: params.encode(page.nextAfter), ...(nextIsPrefix ? {} : { NextVersionIdMarker: NULL_VERSION }) }
      : {}),
    MaxKeys: params.maxKeys,
    ...(params.delimiter ? { Delimiter: params.encode(params.delimiter) } : {}),
    ...(params.encodingType ? { EncodingType: params.encodingType } : {}),
    IsTruncated: page.isTruncated,
    Version: page.contents.map((o) => ({
      Key: params.encode(o.key),
      VersionId: NULL_VERSION,
      IsLatest: true,
      LastModified: xmlDate(o.lastModified),
      ETag: `"${o.etag}"`,
      Size: o.size,
      Owner: { ID: owner, DisplayName: owner },
      StorageClass: 'STANDARD',
    })),
    CommonPrefixes: prefixes(page, params),
  });
}

/** The operations of this family, declared once: the router, the permission check and the free-space gate read these. */
export const VERSION_OPERATIONS = {
  ListObjectVersions: operation({ method: 'GET', target: 'bucket', query: ['versions'], permissions: [{ action: 's3:ListBucketVersions', resource: 'bucket' }], space: 'frees-or-reads', run: listObjectVersions }),
};
