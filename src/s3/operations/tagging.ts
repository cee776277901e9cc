import { S3Error } from '../../errors.js';
import { objectArn } from '../../iam/index.js';
import type { Authenticated } from '../auth.js';
import type { RequestContext } from '../context.js';
import type { S3Deps } from '../deps.js';
import { sendEmpty, sendXmlText } from '../respond.js';
import { readTaggingBody, taggingXml } from '../tagging.js';
import type { ObjectTags } from '../../storage/types.js';
import { operation, type Params } from '../operation.js';
import { NULL_VERSION, requireBucket } from '../operation-params.js';

/* Object tags (a field of the object's version) and bucket tag sets. */

/**
 * Tags are read and written on the current version only: a `versionId` is
 * accepted when it can only mean that one (the "null" version of a bucket
 * never versioned); any other names an older version, which is not tagged here.
 */
async function requireCurrentVersion(deps: S3Deps, { bucket, versionId }: Params<'object', 'versionId'>): Promise<void> {
  if (versionId === undefined) return;
  if (versionId === null && (await deps.metadata.getVersioning(bucket)) === null) return;
  throw new S3Error('NotImplemented', `Tags of one object version (${versionId ?? NULL_VERSION}) are not supported; tag the current version without versionId.`);
}

export async function getObjectTagging(ctx: RequestContext, _auth: Authenticated, deps: S3Deps, params: Params<'object', 'versionId'>): Promise<void> {
  await requireCurrentVersion(deps, params);
  const object = await deps.storage.headObject(params.bucket, params.key);
  sendXmlText(ctx, taggingXml(object.tags));
}

/**
 * The pipeline leaves this operation's permission check to it (its declaration says `authorises: 'after-body'`):
 * s3:RequestObjectTag conditions are about the tags in its body, so the body
 * is read (and validated) first.
 */
export async function putObjectTagging(ctx: RequestContext, auth: Authenticated, deps: S3Deps, params: Params<'object', 'versionId'>): Promise<void> {
  await requireCurrentVersion(deps, params);
  const tags = await readTaggingBody(ctx, auth.verified, 'object');
  await deps.authorizer.check(ctx, auth, 's3:PutObjectTagging', objectArn(params.bucket, params.key), params.bucket, tags);
  await setObjectTags(deps, params, tags);
  sendEmpty(ctx, 200);
}

/**
 * The tags a write (PutObject, CopyObject, CreateMultipartUpload, a POST
 * form) sets, once the caller may set them: as on AWS, tags need
 * s3:PutObjectTagging on the new object as well as s3:PutObject.
 */
export async function permitTags(ctx: RequestContext, auth: Authenticated, deps: S3Deps, bucket: string, key: string, tags: ObjectTags | undefined): Promise<ObjectTags | undefined> {
  if (tags !== undefined) await deps.authorizer.check(ctx, auth, 's3:PutObjectTagging', objectArn(bucket, key), bucket, tags);
  return tags;
}

export async function deleteObjectTagging(ctx: RequestContext, _auth: Authenticated, deps: S3Deps, params: Params<'object', 'versionId'>): Promise<void> {
  await requireCurrentVersion(deps, params);
  await setObjectTags(deps, params, {});
  sendEmpty(ctx, 204);
}

async function setObjectTags(deps: S3Deps, { bucket, key }: Params<'object', never>, tags: ObjectTags): Promise<void> {
  const result = await deps.metadata.putObjectTags(bucket, key, tags);
  if (result.kind === 'no-such-bucket') throw new S3Error('NoSuchBucket', undefined, { BucketName: bucket });
  if (result.kind === 'no-such-key') throw new S3Error('NoSuchKey', undefined, { Key: key });
}

export async function getBucketTagging(ctx: RequestContext, _auth: Authenticated, deps: S3Deps, params: Params<'bucket', never>): Promise<void> {
  const bucket = await requireBucket(deps, params.bucket);
  const tags = await deps.metadata.getBucketTags(bucket.name);
  if (tags === null) throw new S3Error('NoSuchTagSet', undefined, { BucketName: bucket.name });
  sendXmlText(ctx, taggingXml(tags));
}

export async function putBucketTagging(ctx: RequestContext, auth: Authenticated, deps: S3Deps, params: Params<'bucket', never>): Promise<void> {
  const bucket = await requireBucket(deps, params.bucket);
  const tags = await readTaggingBody(ctx, auth.verified, 'bucket');
  if (!(await deps.metadata.putBucketTags(bucket.name, tags))) throw new S3Error('NoSuchBucket', undefined, { BucketName: bucket.name });
  sendEmpty(ctx, 204);
}

export async function deleteBucketTagging(ctx: RequestContext, _auth: Authenticated, deps: S3Deps, params: Params<'bucket', never>): Promise<void> {
  const bucket = await requireBucket(deps, params.bucket);
  await deps.metadata.deleteBucketTags(bucket.name);
  sendEmpty(ctx, 204);
}

/** The operations of this family, declared once: the router, the permission check and the free-space gate read these. */
export const TAGGING_OPERATIONS = {
  GetObjectTagging: operation({ method: 'GET', target: 'object', query: ['tagging'], params: ['versionId'], permissions: [{ action: 's3:GetObjectTagging', resource: 'object' }], space: 'frees-or-reads', run: getObjectTagging }),
  // Checked by the operation once its body is read: s3:RequestObjectTag conditions are about the tags in it.
  PutObjectTagging: operation({ method: 'PUT', target: 'object', query: ['tagging'], params: ['versionId'], permissions: [{ action: 's3:PutObjectTagging', resource: 'object' }], authorises: 'after-body', space: 'stores', run: putObjectTagging }),
  DeleteObjectTagging: operation({ method: 'DELETE', target: 'object', query: ['tagging'], params: ['versionId'], permissions: [{ action: 's3:DeleteObjectTagging', resource: 'object' }], space: 'frees-or-reads', run: deleteObjectTagging }),
  GetBucketTagging: operation({ method: 'GET', target: 'bucket', query: ['tagging'], permissions: [{ action: 's3:GetBucketTagging', resource: 'bucket' }], space: 'frees-or-reads', run: getBucketTagging }),
  PutBucketTagging: operation({ method: 'PUT', target: 'bucket', query: ['tagging'], permissions: [{ action: 's3:PutBucketTagging', resource: 'bucket' }], space: 'stores', run: putBucketTagging }),
  // As AWS: removing the tag set needs the put action.
  DeleteBucketTagging: operation({ method: 'DELETE', target: 'bucket', query: ['tagging'], permissions: [{ action: 's3:PutBucketTagging', resource: 'bucket' }], space: 'frees-or-reads', run: deleteBucketTagging }),
};
