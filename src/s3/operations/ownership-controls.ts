import { S3Error } from '../../errors.js';
import type { Authenticated } from '../auth.js';
import type { RequestContext } from '../context.js';
import type { S3Deps } from '../deps.js';
import { OBJECT_OWNERSHIP, requireOwnerEnforced } from '../object-ownership.js';
import { readXmlBody } from '../request-body.js';
import { sendEmpty, sendXmlText } from '../respond.js';
import { asList, S3_NAMESPACE, XML_DECLARATION } from '../xml.js';
import { operation, type Params } from '../operation.js';
import { requireBucket } from '../operation-params.js';

/* Object ownership is fixed at BucketOwnerEnforced (object-ownership.ts): read back, and set only to itself. */

export async function getBucketOwnershipControls(ctx: RequestContext, _auth: Authenticated, deps: S3Deps, params: Params<'bucket', never>): Promise<void> {
  await requireBucket(deps, params.bucket);
  sendXmlText(ctx, `${XML_DECLARATION}<OwnershipControls xmlns="${S3_NAMESPACE}"><Rule><ObjectOwnership>${OBJECT_OWNERSHIP}</ObjectOwnership></Rule></OwnershipControls>`);
}

export async function putBucketOwnershipControls(ctx: RequestContext, auth: Authenticated, deps: S3Deps, params: Params<'bucket', never>): Promise<void> {
  await requireBucket(deps, params.bucket);
  const document = await readXmlBody(ctx, auth.verified, { optional: false });
  const controls = document?.['OwnershipControls'];
  const rules = controls !== null && typeof controls === 'object' ? asList((controls as Record<string, unknown>)['Rule']) : [];
  if (rules.length !== 1) throw new S3Error('MalformedXML');
  const ownership = (rules[0] ?? {}) as Record<string, unknown>;
  const value = ownership['ObjectOwnership'];
  if (typeof value !== 'string') throw new S3Error('MalformedXML');
  requireOwnerEnforced(value);
  sendEmpty(ctx, 200);
}

/** Without ownership controls S3 falls back to ACL-based ownership, which Latchkey cannot offer. */
export async function deleteBucketOwnershipControls(ctx: RequestContext, _auth: Authenticated, deps: S3Deps, params: Params<'bucket', never>): Promise<void> {
  await requireBucket(deps, params.bucket);
  throw new S3Error('NotImplemented', `Buckets are always ${OBJECT_OWNERSHIP}: ownership controls cannot be removed.`);
}

/** The operations of this family, declared once: the router, the permission check and the free-space gate read these. */
export const OWNERSHIP_CONTROL_OPERATIONS = {
  GetBucketOwnershipControls: operation({ method: 'GET', target: 'bucket', query: ['ownershipControls'], permissions: [{ action: 's3:GetBucketOwnershipControls', resource: 'bucket' }], space: 'frees-or-reads', run: getBucketOwnershipControls }),
  PutBucketOwnershipControls: operation({ method: 'PUT', target: 'bucket', query: ['ownershipControls'], permissions: [{ action: 's3:PutBucketOwnershipControls', resource: 'bucket' }], space: 'stores', run: putBucketOwnershipControls }),
  // As AWS: removing the controls needs the put action.
  DeleteBucketOwnershipControls: operation({ method: 'DELETE', target: 'bucket', query: ['ownershipControls'], permissions: [{ action: 's3:PutBucketOwnershipControls', resource: 'bucket' }], space: 'frees-or-reads', run: deleteBucketOwnershipControls }),
};
