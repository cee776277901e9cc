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
  | 'PutObject'
  | 'CopyObject'
  | 'GetObject'
  | 'HeadObject'
  | 'DeleteObject';

export interface Route {
  readonly method: string;
  readonly target: Target;
  /** A query parameter that selects this route (S3 "subresource"), optionally with a value. */
  readonly query?: readonly [name: string, value?: string];
  /** A request header that selects this route (CopyObject is a PUT with x-amz-copy-source). */
  readonly header?: string;
  readonly operation: OperationName;
  /** The IAM action checked before the operation runs. */
  readonly action: string;
}

/** Most specific first: the first route whose selectors all match wins. */
export const ROUTES: readonly Route[] = [
  { method: 'GET', target: 'service', operation: 'ListBuckets', action: 's3:ListAllMyBuckets' },

  { method: 'GET', target: 'bucket', query: ['location'], operation: 'GetBucketLocation', action: 's3:GetBucketLocation' },
  { method: 'GET', target: 'bucket', query: ['list-type', '2'], operation: 'ListObjectsV2', action: 's3:ListBucket' },
  { method: 'GET', target: 'bucket', operation: 'ListObjects', action: 's3:ListBucket' },
  { method: 'HEAD', target: 'bucket', operation: 'HeadBucket', action: 's3:ListBucket' },
  { method: 'PUT', target: 'bucket', operation: 'CreateBucket', action: 's3:CreateBucket' },
  { method: 'DELETE', target: 'bucket', operation: 'DeleteBucket', action: 's3:DeleteBucket' },
  { method: 'POST', target: 'bucket', query: ['delete'], operation: 'DeleteObjects', action: 's3:DeleteObject' },

  { method: 'PUT', target: 'object', header: 'x-amz-copy-source', operation: 'CopyObject', action: 's3:PutObject' },
  { method: 'PUT', target: 'object', operation: 'PutObject', action: 's3:PutObject' },
  { method: 'GET', target: 'object', operation: 'GetObject', action: 's3:GetObject' },
  { method: 'HEAD', target: 'object', operation: 'HeadObject', action: 's3:GetObject' },
  { method: 'DELETE', target: 'object', operation: 'DeleteObject', action: 's3:DeleteObject' },
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
  if (!candidates.some((r) => r.method === input.method)) throw new S3Error('MethodNotAllowed', undefined, { Method: input.method, ResourceType: input.target.toUpperCase() });
  const sub = [...input.query.keys()].filter((name) => SUBRESOURCES.has(name));
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
  throw new S3Error('NotImplemented', 'This operation is not implemented.', {}, {});
}
