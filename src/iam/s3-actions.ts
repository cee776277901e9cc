import { SERVICE_RESOURCE_ARN, bucketArn, objectArn } from './arn.js';

/**
 * The IAM action each S3 operation the server implements is authorised
 * against, and which resource it names, as in AWS's "Actions, resources and
 * condition keys for Amazon S3". Operations that touch two resources list one
 * permission per resource; every one must be allowed.
 */
export type S3ResourceType = 'service' | 'bucket' | 'object' | 'source-object';

export interface ActionTarget {
  readonly action: string;
  readonly resource: S3ResourceType;
}

export const S3_OPERATION_ACTIONS = {
  ListBuckets: [{ action: 's3:ListAllMyBuckets', resource: 'service' }],
  CreateBucket: [{ action: 's3:CreateBucket', resource: 'bucket' }],
  DeleteBucket: [{ action: 's3:DeleteBucket', resource: 'bucket' }],
  HeadBucket: [{ action: 's3:ListBucket', resource: 'bucket' }],
  GetBucketLocation: [{ action: 's3:GetBucketLocation', resource: 'bucket' }],
  ListObjects: [{ action: 's3:ListBucket', resource: 'bucket' }],
  ListObjectsV2: [{ action: 's3:ListBucket', resource: 'bucket' }],
  PutBucketPolicy: [{ action: 's3:PutBucketPolicy', resource: 'bucket' }],
  GetBucketPolicy: [{ action: 's3:GetBucketPolicy', resource: 'bucket' }],
  DeleteBucketPolicy: [{ action: 's3:DeleteBucketPolicy', resource: 'bucket' }],
  GetBucketPolicyStatus: [{ action: 's3:GetBucketPolicyStatus', resource: 'bucket' }],
  // AWS has no separate delete action: removing the configuration needs s3:PutBucketCORS.
  PutBucketCors: [{ action: 's3:PutBucketCORS', resource: 'bucket' }],
  GetBucketCors: [{ action: 's3:GetBucketCORS', resource: 'bucket' }],
  DeleteBucketCors: [{ action: 's3:PutBucketCORS', resource: 'bucket' }],
  ListMultipartUploads: [{ action: 's3:ListBucketMultipartUploads', resource: 'bucket' }],
  ListObjectVersions: [{ action: 's3:ListBucketVersions', resource: 'bucket' }],
  GetBucketTagging: [{ action: 's3:GetBucketTagging', resource: 'bucket' }],
  PutBucketTagging: [{ action: 's3:PutBucketTagging', resource: 'bucket' }],
  // As AWS: removing the tag set needs the put action.
  DeleteBucketTagging: [{ action: 's3:PutBucketTagging', resource: 'bucket' }],
  GetBucketOwnershipControls: [{ action: 's3:GetBucketOwnershipControls', resource: 'bucket' }],
  // As AWS: removing the controls needs the put action.
  PutBucketOwnershipControls: [{ action: 's3:PutBucketOwnershipControls', resource: 'bucket' }],
  DeleteBucketOwnershipControls: [{ action: 's3:PutBucketOwnershipControls', resource: 'bucket' }],
  // As AWS: removing the settings needs the put action.
  PutPublicAccessBlock: [{ action: 's3:PutBucketPublicAccessBlock', resource: 'bucket' }],
  GetPublicAccessBlock: [{ action: 's3:GetBucketPublicAccessBlock', resource: 'bucket' }],
  DeletePublicAccessBlock: [{ action: 's3:PutBucketPublicAccessBlock', resource: 'bucket' }],
  GetBucketVersioning: [{ action: 's3:GetBucketVersioning', resource: 'bucket' }],
  PutBucketVersioning: [{ action: 's3:PutBucketVersioning', resource: 'bucket' }],
  GetBucketAcl: [{ action: 's3:GetBucketAcl', resource: 'bucket' }],
  PutBucketAcl: [{ action: 's3:PutBucketAcl', resource: 'bucket' }],
  GetBucketLifecycleConfiguration: [{ action: 's3:GetLifecycleConfiguration', resource: 'bucket' }],
  GetBucketRequestPayment: [{ action: 's3:GetBucketRequestPayment', resource: 'bucket' }],
  PutObject: [{ action: 's3:PutObject', resource: 'object' }],
  // The key comes from the form; it is known once the form's fields are read.
  PostObject: [{ action: 's3:PutObject', resource: 'object' }],
  GetObject: [{ action: 's3:GetObject', resource: 'object' }],
  HeadObject: [{ action: 's3:GetObject', resource: 'object' }],
  DeleteObject: [{ action: 's3:DeleteObject', resource: 'object' }],
  // As AWS: the attributes action and read access to the object.
  GetObjectAttributes: [
    { action: 's3:GetObjectAttributes', resource: 'object' },
    { action: 's3:GetObject', resource: 'object' },
  ],
  GetObjectAcl: [{ action: 's3:GetObjectAcl', resource: 'object' }],
  PutObjectAcl: [{ action: 's3:PutObjectAcl', resource: 'object' }],
  GetObjectTagging: [{ action: 's3:GetObjectTagging', resource: 'object' }],
  // Checked by the operation once its body is read: s3:RequestObjectTag conditions are about the tags in it.
  PutObjectTagging: [{ action: 's3:PutObjectTagging', resource: 'object' }],
  DeleteObjectTagging: [{ action: 's3:DeleteObjectTagging', resource: 'object' }],
  // Checked once per key in the request body, each against that key's ARN.
  DeleteObjects: [{ action: 's3:DeleteObject', resource: 'object' }],
  CopyObject: [
    { action: 's3:PutObject', resource: 'object' },
    { action: 's3:GetObject', resource: 'source-object' },
  ],
  CreateMultipartUpload: [{ action: 's3:PutObject', resource: 'object' }],
  UploadPart: [{ action: 's3:PutObject', resource: 'object' }],
  UploadPartCopy: [
    { action: 's3:PutObject', resource: 'object' },
    { action: 's3:GetObject', resource: 'source-object' },
  ],
  CompleteMultipartUpload: [{ action: 's3:PutObject', resource: 'object' }],
  AbortMultipartUpload: [{ action: 's3:AbortMultipartUpload', resource: 'object' }],
  ListParts: [{ action: 's3:ListMultipartUploadParts', resource: 'object' }],
} as const satisfies Record<string, readonly ActionTarget[]>;

export type S3OperationName = keyof typeof S3_OPERATION_ACTIONS;

/** The resource type each action applies to, used to reject bucket policies whose actions can never match their resources. */
export const S3_ACTION_RESOURCE_TYPES: ReadonlyMap<string, 'service' | 'bucket' | 'object'> = new Map(
  Object.values(S3_OPERATION_ACTIONS)
    .flat()
    .map((t): [string, 'service' | 'bucket' | 'object'] => [t.action.toLowerCase(), t.resource === 'source-object' ? 'object' : t.resource]),
);

export interface PermissionTarget {
  readonly bucket?: string;
  readonly key?: string;
  /** For CopyObject/UploadPartCopy: the decoded x-amz-copy-source bucket and key. */
  readonly sourceBucket?: string;
  readonly sourceKey?: string;
}

export interface RequiredPermission {
  readonly action: string;
  readonly resource: string;
}

/** The (action, resource ARN) pairs a request must be allowed for; throws when the target lacks a part the operation needs. */
export function requiredPermissions(operation: S3OperationName, target: PermissionTarget): RequiredPermission[] {
  const targets: readonly ActionTarget[] = S3_OPERATION_ACTIONS[operation];
  return targets.map(({ action, resource }) => ({ action, resource: resourceArn(operation, resource, target) }));
}

function need(value: string | undefined, what: string, operation: string): string {
  if (value === undefined) throw new TypeError(`${operation} needs a ${what}`);
  return value;
}

function resourceArn(operation: string, type: S3ResourceType, t: PermissionTarget): string {
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
