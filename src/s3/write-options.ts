import { S3Error } from '../errors.js';

/*
 * What a write can ask for that Latchkey does not have, refused rather than
 * accepted and dropped: a caller who asked for encryption under their own
 * key, a retention lock or an archive tier must not go on believing
 * they got it. `get` reads a request header or a POST form field by its
 * lower-case name.
 */
const OBJECT_LOCK = ['x-amz-object-lock-mode', 'x-amz-object-lock-retain-until-date', 'x-amz-object-lock-legal-hold'];
const ENCRYPTION = [
  'x-amz-server-side-encryption',
  'x-amz-server-side-encryption-aws-kms-key-id',
  'x-amz-server-side-encryption-context',
  'x-amz-server-side-encryption-bucket-key-enabled',
  'x-amz-server-side-encryption-customer-algorithm',
  'x-amz-server-side-encryption-customer-key',
  'x-amz-server-side-encryption-customer-key-md5',
];

export function refuseUnsupportedWriteOptions(get: (name: string) => string | undefined): void {
  const storageClass = get('x-amz-storage-class');
  if (storageClass !== undefined && storageClass.trim() !== 'STANDARD') throw new S3Error('InvalidStorageClass');
  // S3's answer for a bucket created without Object Lock, which is every bucket here.
  if (OBJECT_LOCK.some((name) => get(name) !== undefined)) throw new S3Error('InvalidRequest', 'Bucket is missing Object Lock Configuration');
  if (ENCRYPTION.some((name) => get(name) !== undefined)) {
    throw new S3Error('NotImplemented', 'Server-side encryption is not supported: objects are stored as sent.');
  }
}

/** CreateBucket asking for Object Lock: the bucket would not have it, so it is not created. */
export function refuseObjectLockBucket(get: (name: string) => string | undefined): void {
  if (get('x-amz-bucket-object-lock-enabled')?.trim().toLowerCase() === 'true') throw new S3Error('NotImplemented', 'Object Lock is not supported.');
}
