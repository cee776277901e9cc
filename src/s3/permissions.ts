import { SERVICE_RESOURCE_ARN, bucketArn, objectArn } from '../iam/index.js';
import type { PermissionResource } from './operation.js';

export interface PermissionTarget {
  readonly bucket?: string | undefined;
  readonly key?: string | undefined;
  /** For CopyObject/UploadPartCopy: the decoded x-amz-copy-source bucket and key. */
  readonly sourceBucket?: string;
  readonly sourceKey?: string;
}

function need(value: string | undefined, what: string, operation: string): string {
  if (value === undefined) throw new TypeError(`${operation} needs a ${what}`);
  return value;
}

/** The ARN a declared permission names for the request's target; throws when the target lacks a part it needs. */
export function resourceArn(operation: string, type: PermissionResource, t: PermissionTarget): string {
  switch (type) {
    case 'service':
      return SERVICE_RESOURCE_ARN;
    case 'bucket':
      return bucketArn(need(t.bucket, 'bucket', operation));
    case 'object':
      return objectArn(need(t.bucket, 'bucket', operation), need(t.key, 'key', operation));
    case 'source-object':
      return objectArn(need(t.sourceBucket, 'source bucket', operation), need(t.sourceKey, 'source key', operation));
  }
}
