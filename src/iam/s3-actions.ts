/**
 * The S3 actions the server authorises requests against, and the resource
 * type each applies to, as in AWS's "Actions, resources and condition keys
 * for Amazon S3". Which operation needs which action is declared with the
 * operation (src/s3/operations/); this is IAM's side: the actions a policy
 * can name and what they can match, so that a bucket policy whose actions
 * can never match its resources is refused.
 */
export const S3_ACTIONS = {
  's3:ListAllMyBuckets': 'service',
  's3:CreateBucket': 'bucket',
  's3:DeleteBucket': 'bucket',
  's3:ListBucket': 'bucket',
  's3:GetBucketLocation': 'bucket',
  's3:PutBucketPolicy': 'bucket',
  's3:GetBucketPolicy': 'bucket',
  's3:DeleteBucketPolicy': 'bucket',
  's3:GetBucketPolicyStatus': 'bucket',
  's3:PutBucketCORS': 'bucket',
  's3:GetBucketCORS': 'bucket',
  's3:ListBucketMultipartUploads': 'bucket',
  's3:ListBucketVersions': 'bucket',
  's3:GetBucketTagging': 'bucket',
  's3:PutBucketTagging': 'bucket',
  's3:GetBucketOwnershipControls': 'bucket',
  's3:PutBucketOwnershipControls': 'bucket',
  's3:GetBucketPublicAccessBlock': 'bucket',
  's3:PutBucketPublicAccessBlock': 'bucket',
  's3:GetBucketVersioning': 'bucket',
  's3:PutBucketVersioning': 'bucket',
  's3:GetBucketAcl': 'bucket',
  's3:PutBucketAcl': 'bucket',
  's3:GetLifecycleConfiguration': 'bucket',
  's3:GetBucketRequestPayment': 'bucket',
  's3:PutObject': 'object',
  's3:GetObject': 'object',
  // Checked on top of the plain action when a request names a version (?versionId=, a versioned copy source).
  's3:GetObjectVersion': 'object',
  's3:DeleteObject': 'object',
  's3:DeleteObjectVersion': 'object',
  's3:GetObjectAttributes': 'object',
  's3:GetObjectAcl': 'object',
  's3:PutObjectAcl': 'object',
  's3:GetObjectTagging': 'object',
  's3:PutObjectTagging': 'object',
  's3:DeleteObjectTagging': 'object',
  's3:AbortMultipartUpload': 'object',
  's3:ListMultipartUploadParts': 'object',
} as const satisfies Record<string, 'service' | 'bucket' | 'object'>;

export type S3Action = keyof typeof S3_ACTIONS;

/** The resource type each action applies to, by lower-case action name (IAM action names are case-insensitive). */
export const S3_ACTION_RESOURCE_TYPES: ReadonlyMap<string, 'service' | 'bucket' | 'object'> = new Map(
  Object.entries(S3_ACTIONS).map(([action, type]): [string, 'service' | 'bucket' | 'object'] => [action.toLowerCase(), type]),
);
