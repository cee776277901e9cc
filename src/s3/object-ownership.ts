import { S3Error } from '../errors.js';

/**
 * Latchkey has no ACLs, which is S3's "bucket owner enforced" object
 * ownership. The other two settings exist to make ACLs take effect, so a
 * request for them is refused rather than accepted and not honoured.
 */
export const OBJECT_OWNERSHIP = 'BucketOwnerEnforced';
const ACL_OWNERSHIPS = new Set(['BucketOwnerPreferred', 'ObjectWriter']);

export function requireOwnerEnforced(value: string): void {
  if (value === OBJECT_OWNERSHIP) return;
  if (ACL_OWNERSHIPS.has(value)) {
    throw new S3Error('NotImplemented', `Object ownership ${value} needs ACLs, which Latchkey does not support; buckets are always ${OBJECT_OWNERSHIP}.`);
  }
  throw new S3Error('InvalidArgument', 'Invalid x-amz-object-ownership header', { ArgumentName: 'x-amz-object-ownership', ArgumentValue: value });
}
