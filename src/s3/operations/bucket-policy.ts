import { S3Error } from '../../errors.js';
import { isPublic, MAX_POLICY_BYTES, parsePolicy } from '../../iam/index.js';
import type { Authenticated } from '../auth.js';
import type { RequestContext } from '../context.js';
import type { S3Deps } from '../deps.js';
import { openRequestBody } from '../request-body.js';
import { sendEmpty, sendText, sendXml } from '../respond.js';
import { operation, type Params } from '../operation.js';
import { requireBucket } from '../operation-params.js';
import { publicPolicyRestricted } from '../public-access.js';

export async function putBucketPolicy(ctx: RequestContext, auth: Authenticated, deps: S3Deps, params: Params<'bucket', never>): Promise<void> {
  const bucket = await requireBucket(deps, params.bucket);
  const body = openRequestBody(ctx, auth.verified, MAX_POLICY_BYTES + 1024);
  const parts: Buffer[] = [];
  for await (const chunk of body.stream) parts.push(chunk as Buffer);
  const text = Buffer.concat(parts).toString('utf8');
  if (text.trim() === '') throw new S3Error('MalformedPolicy', 'Policies must be valid JSON and the first byte must be \'{\'');
  const policy = parsePolicy(text, { kind: 'bucket', bucket: bucket.name }); // throws MalformedPolicy with AWS's reason
  if (isPublic(policy) && (await deps.identities.getPublicAccessBlock(bucket.name))?.blockPublicPolicy === true) {
    throw new S3Error('AccessDenied', 'Access Denied: public policies are blocked by the BlockPublicPolicy block public access setting.');
  }
  if (!(await deps.identities.putBucketPolicy(bucket.name, text))) throw new S3Error('NoSuchBucket', undefined, { BucketName: bucket.name });
  sendEmpty(ctx, 204);
}

async function storedPolicy(deps: S3Deps, name: string): Promise<string> {
  const bucket = await requireBucket(deps, name);
  const text = await deps.identities.getBucketPolicy(bucket.name);
  if (text === null) throw new S3Error('NoSuchBucketPolicy', undefined, { BucketName: bucket.name });
  return text;
}

export async function getBucketPolicy(ctx: RequestContext, _auth: Authenticated, deps: S3Deps, params: Params<'bucket', never>): Promise<void> {
  sendText(ctx, 200, 'application/json', await storedPolicy(deps, params.bucket));
}

export async function deleteBucketPolicy(ctx: RequestContext, _auth: Authenticated, deps: S3Deps, params: Params<'bucket', never>): Promise<void> {
  const bucket = await requireBucket(deps, params.bucket);
  await deps.identities.deleteBucketPolicy(bucket.name);
  sendEmpty(ctx, 204);
}

/** Public: the policy grants everyone (iam/public-policy.ts) and RestrictPublicBuckets does not hold it back, as access is decided. */
export async function getBucketPolicyStatus(ctx: RequestContext, _auth: Authenticated, deps: S3Deps, params: Params<'bucket', never>): Promise<void> {
  const policy = parsePolicy(await storedPolicy(deps, params.bucket), { kind: 'bucket' });
  sendXml(ctx, 'PolicyStatus', { IsPublic: isPublic(policy) && !(await publicPolicyRestricted(deps.identities, params.bucket, policy)) });
}

/** The operations of this family, declared once: the router, the permission check and the free-space gate read these. */
export const BUCKET_POLICY_OPERATIONS = {
  GetBucketPolicyStatus: operation({ method: 'GET', target: 'bucket', query: ['policyStatus'], permissions: [{ action: 's3:GetBucketPolicyStatus', resource: 'bucket' }], space: 'frees-or-reads', run: getBucketPolicyStatus }),
  GetBucketPolicy: operation({ method: 'GET', target: 'bucket', query: ['policy'], permissions: [{ action: 's3:GetBucketPolicy', resource: 'bucket' }], space: 'frees-or-reads', run: getBucketPolicy }),
  PutBucketPolicy: operation({ method: 'PUT', target: 'bucket', query: ['policy'], permissions: [{ action: 's3:PutBucketPolicy', resource: 'bucket' }], space: 'stores', run: putBucketPolicy }),
  DeleteBucketPolicy: operation({ method: 'DELETE', target: 'bucket', query: ['policy'], permissions: [{ action: 's3:DeleteBucketPolicy', resource: 'bucket' }], space: 'frees-or-reads', run: deleteBucketPolicy }),
};
