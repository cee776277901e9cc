import { S3Error } from '../../errors.js';
import type { Authenticated } from '../auth.js';
import { refuseAclHeaders } from '../acl-headers.js';
import type { RequestContext } from '../context.js';
import type { S3Deps } from '../deps.js';
import { readXmlBody } from '../request-body.js';
import { sendEmpty, sendXmlText } from '../respond.js';
import { asList, escapeXml, S3_NAMESPACE, XML_DECLARATION } from '../xml.js';
import { operation, type Params } from '../operation.js';
import { requireBucket } from '../operation-params.js';

/*
 * Bucket settings Latchkey has no way to change, read back as S3 reports them
 * for a bucket in the same state: ACLs disabled ("bucket owner enforced", the
 * default for new S3 buckets since 2023, so access is the owner's and the
 * policies'), versioning never enabled, no lifecycle rules, the owner pays.
 * Tools read these before they act (rclone's purge asks for the versioning
 * status; s3cmd's info and cp ask for ACLs, lifecycle and payer) and report
 * a 501 as an error.
 */

export async function getBucketLifecycleConfiguration(ctx: RequestContext, _auth: Authenticated, deps: S3Deps, params: Params<'bucket', never>): Promise<void> {
  const bucket = await requireBucket(deps, params.bucket);
  throw new S3Error('NoSuchLifecycleConfiguration', undefined, { BucketName: bucket.name });
}

export async function getBucketRequestPayment(ctx: RequestContext, _auth: Authenticated, deps: S3Deps, params: Params<'bucket', never>): Promise<void> {
  await requireBucket(deps, params.bucket);
  sendXmlText(ctx, `${XML_DECLARATION}<RequestPaymentConfiguration xmlns="${S3_NAMESPACE}"><Payer>BucketOwner</Payer></RequestPaymentConfiguration>`);
}

export async function getBucketAcl(ctx: RequestContext, _auth: Authenticated, deps: S3Deps, params: Params<'bucket', never>): Promise<void> {
  const bucket = await requireBucket(deps, params.bucket);
  sendXmlText(ctx, ownerOnlyAcl(bucket.owner));
}

export async function getObjectAcl(ctx: RequestContext, _auth: Authenticated, deps: S3Deps, params: Params<'object', never>): Promise<void> {
  const bucket = await requireBucket(deps, params.bucket);
  await deps.storage.headObject(params.bucket, params.key);
  // With ACLs disabled the bucket owner owns every object, whoever wrote it.
  sendXmlText(ctx, ownerOnlyAcl(bucket.owner));
}

/** PUT ?acl on a bucket: accepted only when it grants the owner alone, which changes nothing (acl-headers.ts). */
export async function putBucketAcl(ctx: RequestContext, auth: Authenticated, deps: S3Deps, params: Params<'bucket', never>): Promise<void> {
  const bucket = await requireBucket(deps, params.bucket);
  await requireOwnerOnly(ctx, auth, bucket.owner);
  sendEmpty(ctx, 200);
}

export async function putObjectAcl(ctx: RequestContext, auth: Authenticated, deps: S3Deps, params: Params<'object', never>): Promise<void> {
  const bucket = await requireBucket(deps, params.bucket);
  await deps.storage.headObject(params.bucket, params.key);
  await requireOwnerOnly(ctx, auth, bucket.owner);
  sendEmpty(ctx, 200);
}

/** A canned ACL header, or an AccessControlPolicy document whose every grant is the owner's FULL_CONTROL. */
async function requireOwnerOnly(ctx: RequestContext, auth: Authenticated, owner: string): Promise<void> {
  refuseAclHeaders(ctx);
  const document = await readXmlBody(ctx, auth.verified, { optional: true });
  const canned = ctx.header('x-amz-acl');
  if (document === undefined) {
    // refuseAclHeaders let through only an owner-only canned ACL, or none.
    if (canned === undefined) throw new S3Error('MissingSecurityHeader', undefined, { MissingHeaderName: 'x-amz-acl' });
    return;
  }
  if (canned !== undefined) throw new S3Error('UnexpectedContent', 'This request does not support content');
  const policy = document['AccessControlPolicy'];
  const list = policy !== null && typeof policy === 'object' ? (policy as Record<string, unknown>)['AccessControlList'] : undefined;
  if (list === undefined || list === null || typeof list !== 'object') throw new S3Error('MalformedACLError');
  const grants = asList((list as Record<string, unknown>)['Grant']);
  const ownerOnly = grants.every((grant) => {
    const { Grantee: grantee, Permission: permission } = (grant ?? {}) as Record<string, unknown>;
    const id = grantee !== null && typeof grantee === 'object' ? (grantee as Record<string, unknown>)['ID'] : undefined;
    return permission === 'FULL_CONTROL' && typeof id === 'string' && id.trim() === owner;
  });
  if (!ownerOnly) throw new S3Error('AccessControlListNotSupported');
}

function ownerOnlyAcl(owner: string): string {
  const id = `<ID>${escapeXml(owner)}</ID><DisplayName>${escapeXml(owner)}</DisplayName>`;
  return `${XML_DECLARATION}<AccessControlPolicy xmlns="${S3_NAMESPACE}"><Owner>${id}</Owner><AccessControlList><Grant>`
    + `<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">${id}</Grantee>`
    + '<Permission>FULL_CONTROL</Permission></Grant></AccessControlList></AccessControlPolicy>';
}

/** The operations of this family, declared once: the router, the permission check and the free-space gate read these. */
export const FIXED_SETTING_OPERATIONS = {
  GetBucketAcl: operation({ method: 'GET', target: 'bucket', query: ['acl'], permissions: [{ action: 's3:GetBucketAcl', resource: 'bucket' }], space: 'frees-or-reads', run: getBucketAcl }),
  PutBucketAcl: operation({ method: 'PUT', target: 'bucket', query: ['acl'], permissions: [{ action: 's3:PutBucketAcl', resource: 'bucket' }], space: 'stores', run: putBucketAcl }),
  GetBucketLifecycleConfiguration: operation({ method: 'GET', target: 'bucket', query: ['lifecycle'], permissions: [{ action: 's3:GetLifecycleConfiguration', resource: 'bucket' }], space: 'frees-or-reads', run: getBucketLifecycleConfiguration }),
  GetBucketRequestPayment: operation({ method: 'GET', target: 'bucket', query: ['requestPayment'], permissions: [{ action: 's3:GetBucketRequestPayment', resource: 'bucket' }], space: 'frees-or-reads', run: getBucketRequestPayment }),
  GetObjectAcl: operation({ method: 'GET', target: 'object', query: ['acl'], permissions: [{ action: 's3:GetObjectAcl', resource: 'object' }], space: 'frees-or-reads', run: getObjectAcl }),
  PutObjectAcl: operation({ method: 'PUT', target: 'object', query: ['acl'], permissions: [{ action: 's3:PutObjectAcl', resource: 'object' }], space: 'stores', run: putObjectAcl }),
};
