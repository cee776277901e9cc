import { S3Error } from '../errors.js';

export type Target = 'service' | 'bucket' | 'object';

export type OperationName =
  | 'ListBuckets'
  | 'CreateBucket'
  | 'HeadBucket'
  | 'DeleteBucket'
  | 'GetBucketLocation'
  | 'ListObjects'
  | 'ListObjectsV2'
  | 'DeleteObjects'
  | 'PostObject'
  | 'PutObject'
  | 'CopyObject'
  | 'GetObject'
  | 'HeadObject'
  | 'DeleteObject'
  | 'PutBucketPolicy'
  | 'GetBucketPolicy'
  | 'DeleteBucketPolicy'
  | 'GetBucketPolicyStatus'
  | 'CreateMultipartUpload'
  | 'UploadPart'
  | 'UploadPartCopy'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'ListParts'
  | 'ListMultipartUploads'
  | 'PutBucketCors'
  | 'GetBucketCors'
  | 'DeleteBucketCors'
  | 'GetBucketVersioning'
  | 'PutBucketVersioning'
  | 'GetBucketAcl'
  | 'GetBucketLifecycleConfiguration'
  | 'GetBucketRequestPayment'
  | 'GetObjectAcl'
  | 'PutBucketAcl'
  | 'PutObjectAcl'
  | 'ListObjectVersions'
  | 'GetObjectTagging'
  | 'PutObjectTagging'
  | 'DeleteObjectTagging'
  | 'GetBucketTagging'
  | 'PutBucketTagging'
  | 'DeleteBucketTagging'
  | 'GetBucketOwnershipControls'
  | 'PutBucketOwnershipControls'
  | 'DeleteBucketOwnershipControls'
  | 'GetObjectAttributes'
  | 'PutPublicAccessBlock'
  | 'GetPublicAccessBlock'
  | 'DeletePublicAccessBlock';

export interface Route {
  readonly method: string;
  readonly target: Target;
  /** A query parameter that selects this route (S3 "subresource"), optionally with a value. */
  readonly query?: readonly [name: string, value?: string];
  /** A request header that selects this route (CopyObject is a PUT with x-amz-copy-source). */
  readonly header?: string;
  /** Also names the permissions checked before it runs (S3_OPERATION_ACTIONS in src/iam/s3-actions.ts). */
  readonly operation: OperationName;
  /** Where the credentials are: the request's signature (default), or the signed policy in a form body (POST Object). */
  readonly credentials?: 'form';
}

/** Most specific first: the first route whose selectors all match wins. */
export const ROUTES: readonly Route[] = [
  { method: 'GET', target: 'service', operation: 'ListBuckets' },

  { method: 'GET', target: 'bucket', query: ['location'], operation: 'GetBucketLocation' },
  { method: 'GET', target: 'bucket', query: ['policyStatus'], operation: 'GetBucketPolicyStatus' },
  { method: 'GET', target: 'bucket', query: ['policy'], operation: 'GetBucketPolicy' },
  { method: 'PUT', target: 'bucket', query: ['policy'], operation: 'PutBucketPolicy' },
  { method: 'DELETE', target: 'bucket', query: ['policy'], operation: 'DeleteBucketPolicy' },
  { method: 'GET', target: 'bucket', query: ['cors'], operation: 'GetBucketCors' },
  { method: 'PUT', target: 'bucket', query: ['cors'], operation: 'PutBucketCors' },
  { method: 'DELETE', target: 'bucket', query: ['cors'], operation: 'DeleteBucketCors' },
  { method: 'GET', target: 'bucket', query: ['versioning'], operation: 'GetBucketVersioning' },
  { method: 'PUT', target: 'bucket', query: ['versioning'], operation: 'PutBucketVersioning' },
  { method: 'GET', target: 'bucket', query: ['acl'], operation: 'GetBucketAcl' },
  { method: 'PUT', target: 'bucket', query: ['acl'], operation: 'PutBucketAcl' },
  { method: 'GET', target: 'bucket', query: ['lifecycle'], operation: 'GetBucketLifecycleConfiguration' },
  { method: 'GET', target: 'bucket', query: ['requestPayment'], operation: 'GetBucketRequestPayment' },
  { method: 'GET', target: 'bucket', query: ['uploads'], operation: 'ListMultipartUploads' },
  { method: 'GET', target: 'bucket', query: ['versions'], operation: 'ListObjectVersions' },
  { method: 'GET', target: 'bucket', query: ['tagging'], operation: 'GetBucketTagging' },
  { method: 'PUT', target: 'bucket', query: ['tagging'], operation: 'PutBucketTagging' },
  { method: 'DELETE', target: 'bucket', query: ['tagging'], operation: 'DeleteBucketTagging' },
  { method: 'GET', target: 'bucket', query: ['ownershipControls'], operation: 'GetBucketOwnershipControls' },
  { method: 'PUT', target: 'bucket', query: ['ownershipControls'], operation: 'PutBucketOwnershipControls' },
  { method: 'DELETE', target: 'bucket', query: ['ownershipControls'], operation: 'DeleteBucketOwnershipControls' },
  { method: 'GET', target: 'bucket', query: ['publicAccessBlock'], operation: 'GetPublicAccessBlock' },
  { method: 'PUT', target: 'bucket', query: ['publicAccessBlock'], operation: 'PutPublicAccessBlock' },
  { method: 'DELETE', target: 'bucket', query: ['publicAccessBlock'], operation: 'DeletePublicAccessBlock' },
  { method: 'GET', target: 'bucket', query: ['list-type', '2'], operation: 'ListObjectsV2' },
  { method: 'GET', target: 'bucket', operation: 'ListObjects' },
  { method: 'HEAD', target: 'bucket', operation: 'HeadBucket' },
  { method: 'PUT', target: 'bucket', operation: 'CreateBucket' },
  { method: 'DELETE', target: 'bucket', operation: 'DeleteBucket' },
  { method: 'POST', target: 'bucket', query: ['delete'], operation: 'DeleteObjects' },
  // A browser form upload: the object's key is a form field, so the target is the bucket.
  { method: 'POST', target: 'bucket', operation: 'PostObject', credentials: 'form' },

  { method: 'POST', target: 'object', query: ['uploads'], operation: 'CreateMultipartUpload' },
  { method: 'POST', target: 'object', query: ['uploadId'], operation: 'CompleteMultipartUpload' },
  { method: 'PUT', target: 'object', query: ['uploadId'], header: 'x-amz-copy-source', operation: 'UploadPartCopy' },
  { method: 'PUT', target: 'object', query: ['uploadId'], operation: 'UploadPart' },
  { method: 'GET', target: 'object', query: ['uploadId'], operation: 'ListParts' },
  { method: 'GET', target: 'object', query: ['acl'], operation: 'GetObjectAcl' },
  { method: 'PUT', target: 'object', query: ['acl'], operation: 'PutObjectAcl' },
  { method: 'GET', target: 'object', query: ['tagging'], operation: 'GetObjectTagging' },
  { method: 'GET', target: 'object', query: ['attributes'], operation: 'GetObjectAttributes' },
  { method: 'PUT', target: 'object', query: ['tagging'], operation: 'PutObjectTagging' },
  { method: 'DELETE', target: 'object', query: ['tagging'], operation: 'DeleteObjectTagging' },
  { method: 'DELETE', target: 'object', query: ['uploadId'], operation: 'AbortMultipartUpload' },
  { method: 'PUT', target: 'object', header: 'x-amz-copy-source', operation: 'CopyObject' },
  { method: 'PUT', target: 'object', operation: 'PutObject' },
  { method: 'GET', target: 'object', operation: 'GetObject' },
  { method: 'HEAD', target: 'object', operation: 'HeadObject' },
  { method: 'DELETE', target: 'object', operation: 'DeleteObject' },
];

/**
 * Query parameters that name an S3 sub-resource. A request carrying one that
 * no route handles is an operation we do not implement (501), never a plain
 * GET or PUT of the object by mistake.
 */
const SUBRESOURCES = new Set([
  'accelerate', 'acl', 'analytics', 'attributes', 'cors', 'delete', 'encryption', 'intelligent-tiering', 'inventory',
  'legal-hold', 'lifecycle', 'list-type', 'location', 'logging', 'metrics', 'notification', 'object-lock',
  'ownershipControls', 'policy', 'policyStatus', 'publicAccessBlock', 'replication', 'requestPayment', 'restore',
  'retention', 'select', 'tagging', 'torrent', 'uploadId', 'uploads', 'versioning', 'versions', 'website',
]);

export interface RouteInput {
  readonly method: string;
  readonly target: Target;
  readonly query: ReadonlyMap<string, string>;
  readonly hasHeader: (name: string) => boolean;
}

export function findRoute(input: RouteInput): Route {
  const candidates = ROUTES.filter((r) => r.target === input.target);
  const sub = [...input.query.keys()].filter((name) => SUBRESOURCES.has(name));
  if (!candidates.some((r) => r.method === input.method)) {
    // A sub-resource names a real S3 operation we lack (POST ?restore is RestoreObject): 501, not 405.
    if (sub.some((name) => name !== 'list-type')) throw notImplemented();
    throw new S3Error('MethodNotAllowed', undefined, { Method: input.method, ResourceType: input.target.toUpperCase() });
  }
  for (const route of candidates) {
    if (route.method !== input.method) continue;
    if (route.header !== undefined && !input.hasHeader(route.header)) continue;
    if (route.query) {
      const [name, value] = route.query;
      if (!input.query.has(name) || (value !== undefined && input.query.get(name) !== value)) continue;
    } else if (sub.some((name) => name !== 'list-type')) {
      continue;
    }
    return route;
  }
  // POST /bucket/key names no operation (only POST ?uploads and ?uploadId do): 405, as without any POST route.
  if (!sub.some((name) => name !== 'list-type') && !candidates.some((r) => r.method === input.method && r.query === undefined)) {
    throw new S3Error('MethodNotAllowed', undefined, { Method: input.method, ResourceType: input.target.toUpperCase() });
  }
  throw notImplemented();
}

function notImplemented(): S3Error {
  return new S3Error('NotImplemented', 'This operation is not implemented.', {}, {});
}
