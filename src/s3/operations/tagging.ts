import { S3Error } from '../../errors.js';
import { objectArn } from '../../iam/index.js';
import type { VerifiedAuth } from '../../sigv4/verify.js';
import type { RequestContext } from '../context.js';
import type { S3Deps } from '../deps.js';
import { sendEmpty, sendXmlText } from '../respond.js';
import { readTaggingBody, taggingXml } from '../tagging.js';
import type { ObjectTags } from '../../storage/types.js';
import { bucketName, requireBucket } from './buckets.js';
import { objectKey } from './objects-read.js';
import { requireNullVersion } from './versions.js';

/* Object tags (a field of the object's version) and bucket tag sets. */

export async function getObjectTagging(ctx: RequestContext, _auth: VerifiedAuth, deps: S3Deps): Promise<void> {
  requireNullVersion(ctx.query.get('versionId'));
  const object = await deps.storage.headObject(bucketName(ctx), objectKey(ctx));
  sendXmlText(ctx, taggingXml(object.tags));
}

/**
 * The pipeline leaves this operation's permission check to it (s3-actions.ts):
 * s3:RequestObjectTag conditions are about the tags in its body, so the body
 * is read (and validated) first.
 */
export async function putObjectTagging(ctx: RequestContext, auth: VerifiedAuth, deps: S3Deps): Promise<void> {
  requireNullVersion(ctx.query.get('versionId'));
  const tags = await readTaggingBody(ctx, auth, 'object');
  ctx.requestTags = tags;
  await deps.authorizer.check(ctx, auth, 's3:PutObjectTagging', objectArn(bucketName(ctx), objectKey(ctx)), bucketName(ctx));
  await setObjectTags(ctx, deps, tags);
  sendEmpty(ctx, 200);
}

/**
 * The tags a write (PutObject, CopyObject, CreateMultipartUpload, a POST
 * form) sets, once the caller may set them: as on AWS, tags need
 * s3:PutObjectTagging on the new object as well as s3:PutObject.
 */
export async function permitTags(ctx: RequestContext, auth: VerifiedAuth, deps: S3Deps, bucket: string, key: string, tags: ObjectTags | undefined): Promise<ObjectTags | undefined> {
  if (tags !== undefined) await deps.authorizer.check(ctx, auth, 's3:PutObjectTagging', objectArn(bucket, key), bucket);
  return tags;
}

export async function deleteObjectTagging(ctx: RequestContext, _auth: VerifiedAuth, deps: S3Deps): Promise<void> {
  requireNullVersion(ctx.query.get('versionId'));
  await setObjectTags(ctx, deps, {});
  sendEmpty(ctx, 204);
}

async function setObjectTags(ctx: RequestContext, deps: S3Deps, tags: ObjectTags): Promise<void> {
  const bucket = bucketName(ctx);
  const key = objectKey(ctx);
  const result = await deps.metadata.putObjectTags(bucket, key, tags);
  if (result.kind === 'no-such-bucket') throw new S3Error('NoSuchBucket', undefined, { BucketName: bucket });
  if (result.kind === 'no-such-key') throw new S3Error('NoSuchKey', undefined, { Key: key });
}

export async function getBucketTagging(ctx: RequestContext, _auth: VerifiedAuth, deps: S3Deps): Promise<void> {
  const bucket = await requireBucket(ctx, deps);
  const tags = await deps.metadata.getBucketTags(bucket.name);
  if (tags === null) throw new S3Error('NoSuchTagSet', undefined, { BucketName: bucket.name });
  sendXmlText(ctx, taggingXml(tags));
}

export async function putBucketTagging(ctx: RequestContext, auth: VerifiedAuth, deps: S3Deps): Promise<void> {
  const bucket = await requireBucket(ctx, deps);
  const tags = await readTaggingBody(ctx, auth, 'bucket');
  if (!(await deps.metadata.putBucketTags(bucket.name, tags))) throw new S3Error('NoSuchBucket', undefined, { BucketName: bucket.name });
  sendEmpty(ctx, 204);
}

export async function deleteBucketTagging(ctx: RequestContext, _auth: VerifiedAuth, deps: S3Deps): Promise<void> {
  const bucket = await requireBucket(ctx, deps);
  await deps.metadata.deleteBucketTags(bucket.name);
  sendEmpty(ctx, 204);
}
