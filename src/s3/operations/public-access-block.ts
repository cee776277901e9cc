import { S3Error } from '../../errors.js';
import type { PublicAccessBlock } from '../../storage/identity-store.js';
import type { Authenticated } from '../auth.js';
import type { RequestContext } from '../context.js';
import type { S3Deps } from '../deps.js';
import { readXmlBody } from '../request-body.js';
import { sendEmpty, sendXml } from '../respond.js';
import { operation, type Params } from '../operation.js';
import { requireBucket } from '../operation-params.js';

/*
 * S3 Block Public Access, per bucket. Of its four settings two act here:
 * BlockPublicPolicy refuses a public bucket policy at PutBucketPolicy, and
 * RestrictPublicBuckets stops a public policy granting anonymous access
 * (authorize.ts). The ACL settings are stored and read back: ACLs are
 * disabled (BucketOwnerEnforced), so no public ACL can exist to block.
 */

/** <PublicAccessBlockConfiguration> with any of the four booleans; an absent one is false, as on S3. */
function parseConfiguration(document: Record<string, unknown> | undefined): PublicAccessBlock {
  const root = document?.['PublicAccessBlockConfiguration'];
  if (root === undefined) throw new S3Error('MalformedXML');
  const fields = root !== null && typeof root === 'object' ? (root as Record<string, unknown>) : {};
  const flag = (element: string): boolean => {
    const value = fields[element];
    const text = typeof value === 'string' ? value.trim().toLowerCase() : value;
    if (text !== undefined && text !== 'true' && text !== 'false') throw new S3Error('MalformedXML');
    return text === 'true';
  };
  return {
    blockPublicAcls: flag('BlockPublicAcls'), ignorePublicAcls: flag('IgnorePublicAcls'),
    blockPublicPolicy: flag('BlockPublicPolicy'), restrictPublicBuckets: flag('RestrictPublicBuckets'),
  };
}

export async function putPublicAccessBlock(ctx: RequestContext, auth: Authenticated, deps: S3Deps, params: Params<'bucket', never>): Promise<void> {
  const bucket = await requireBucket(deps, params.bucket);
  const block = parseConfiguration(await readXmlBody(ctx, auth.verified, { optional: false }));
  if (!(await deps.identities.putPublicAccessBlock(bucket.name, block))) throw new S3Error('NoSuchBucket', undefined, { BucketName: bucket.name });
  sendEmpty(ctx, 200);
}

export async function getPublicAccessBlock(ctx: RequestContext, _auth: Authenticated, deps: S3Deps, params: Params<'bucket', never>): Promise<void> {
  const bucket = await requireBucket(deps, params.bucket);
  const block = await deps.identities.getPublicAccessBlock(bucket.name);
  if (block === null) throw new S3Error('NoSuchPublicAccessBlockConfiguration', undefined, { BucketName: bucket.name });
  sendXml(ctx, 'PublicAccessBlockConfiguration', {
    BlockPublicAcls: block.blockPublicAcls, IgnorePublicAcls: block.ignorePublicAcls,
    BlockPublicPolicy: block.blockPublicPolicy, RestrictPublicBuckets: block.restrictPublicBuckets,
  });
}

export async function deletePublicAccessBlock(ctx: RequestContext, _auth: Authenticated, deps: S3Deps, params: Params<'bucket', never>): Promise<void> {
  const bucket = await requireBucket(deps, params.bucket);
  await deps.identities.deletePublicAccessBlock(bucket.name);
  sendEmpty(ctx, 204);
}

/** The operations of this family, declared once: the router, the permission check and the free-space gate read these. */
export const PUBLIC_ACCESS_BLOCK_OPERATIONS = {
  GetPublicAccessBlock: operation({ method: 'GET', target: 'bucket', query: ['publicAccessBlock'], permissions: [{ action: 's3:GetBucketPublicAccessBlock', resource: 'bucket' }], space: 'frees-or-reads', run: getPublicAccessBlock }),
  PutPublicAccessBlock: operation({ method: 'PUT', target: 'bucket', query: ['publicAccessBlock'], permissions: [{ action: 's3:PutBucketPublicAccessBlock', resource: 'bucket' }], space: 'stores', run: putPublicAccessBlock }),
  // As AWS: removing the settings needs the put action.
  DeletePublicAccessBlock: operation({ method: 'DELETE', target: 'bucket', query: ['publicAccessBlock'], permissions: [{ action: 's3:PutBucketPublicAccessBlock', resource: 'bucket' }], space: 'frees-or-reads', run: deletePublicAccessBlock }),
};
