import { S3Error } from '../../errors.js';
import type { VerifiedAuth } from '../../sigv4/verify.js';
import type { RequestContext } from '../context.js';
import type { S3Deps } from '../deps.js';
import { sendXmlText } from '../respond.js';
import { escapeXml, S3_NAMESPACE, XML_DECLARATION } from '../xml.js';
import { bucketName, requireBucket } from './buckets.js';
import { objectKey } from './objects-read.js';

/*
 * Bucket settings Latchkey has no way to change, read back as S3 reports them
 * for a bucket in the same state: ACLs disabled ("bucket owner enforced", the
 * default for new S3 buckets since 2023, so access is the owner's and the
 * policies'), versioning never enabled, no lifecycle rules, the owner pays.
 * Tools read these before they act (rclone's purge asks for the versioning
 * status; s3cmd's info and cp ask for ACLs, lifecycle and payer) and report
 * a 501 as an error.
 */

export async function getBucketVersioning(ctx: RequestContext, _auth: VerifiedAuth, deps: S3Deps): Promise<void> {
  await requireBucket(ctx, deps);
  // What S3 answers for a bucket whose versioning was never set: no Status at all.
  sendXmlText(ctx, `${XML_DECLARATION}<VersioningConfiguration xmlns="${S3_NAMESPACE}"/>`);
}

export async function getBucketLifecycleConfiguration(ctx: RequestContext, _auth: VerifiedAuth, deps: S3Deps): Promise<void> {
  const bucket = await requireBucket(ctx, deps);
  throw new S3Error('NoSuchLifecycleConfiguration', undefined, { BucketName: bucket.name });
}

export async function getBucketRequestPayment(ctx: RequestContext, _auth: VerifiedAuth, deps: S3Deps): Promise<void> {
  await requireBucket(ctx, deps);
  sendXmlText(ctx, `${XML_DECLARATION}<RequestPaymentConfiguration xmlns="${S3_NAMESPACE}"><Payer>BucketOwner</Payer></RequestPaymentConfiguration>`);
}

export async function getBucketAcl(ctx: RequestContext, _auth: VerifiedAuth, deps: S3Deps): Promise<void> {
  const bucket = await requireBucket(ctx, deps);
  sendXmlText(ctx, ownerOnlyAcl(bucket.owner));
}

export async function getObjectAcl(ctx: RequestContext, _auth: VerifiedAuth, deps: S3Deps): Promise<void> {
  const bucket = await requireBucket(ctx, deps);
  await deps.storage.headObject(bucketName(ctx), objectKey(ctx));
  // With ACLs disabled the bucket owner owns every object, whoever wrote it.
  sendXmlText(ctx, ownerOnlyAcl(bucket.owner));
}

function ownerOnlyAcl(owner: string): string {
  const id = `<ID>${escapeXml(owner)}</ID><DisplayName>${escapeXml(owner)}</DisplayName>`;
  return `${XML_DECLARATION}<AccessControlPolicy xmlns="${S3_NAMESPACE}"><Owner>${id}</Owner><AccessControlList><Grant>`
    + `<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">${id}</Grantee>`
    + '<Permission>FULL_CONTROL</Permission></Grant></AccessControlList></AccessControlPolicy>';
}
