import { S3Error } from '../errors.js';
import type { RequestContext } from './context.js';

/*
 * Latchkey has no ACLs: access is the bucket owner's and the policies'. That
 * is S3's "bucket owner enforced" object ownership, the default for new
 * buckets since 2023, which accepts a write that names no ACL or only the
 * owner's full control, and refuses any other instead of silently not
 * applying it (so `--acl public-read` never leaves a caller believing an
 * object is public). `private` grants the same as no ACL and is what rclone
 * sends by default.
 */
const OWNER_ONLY_CANNED = new Set(['private', 'bucket-owner-full-control']);
const GRANT_HEADERS = ['x-amz-grant-full-control', 'x-amz-grant-read', 'x-amz-grant-read-acp', 'x-amz-grant-write', 'x-amz-grant-write-acp'];

/** Whether a canned ACL (a header or a POST form field) grants no more than the owner's own access. */
export function isOwnerOnlyAcl(canned: string): boolean {
  return OWNER_ONLY_CANNED.has(canned.trim().toLowerCase());
}

/** Refuses a write whose x-amz-acl or x-amz-grant-* headers ask for anything but the owner's access. */
export function refuseAclHeaders(ctx: RequestContext, target: 'object' | 'bucket' = 'object'): void {
  const canned = ctx.header('x-amz-acl');
  const granted = GRANT_HEADERS.some((name) => ctx.hasHeader(name));
  if ((canned === undefined || isOwnerOnlyAcl(canned)) && !granted) return;
  // CreateBucket names the conflict with the ownership setting; object writes say the bucket takes no ACLs.
  throw new S3Error(target === 'bucket' ? 'InvalidBucketAclWithObjectOwnership' : 'AccessControlListNotSupported');
}
