import type { AnyOperation } from '../operation.js';
import { BUCKET_OPERATIONS } from './buckets.js';
import { BUCKET_POLICY_OPERATIONS } from './bucket-policy.js';
import { BUCKET_CORS_OPERATIONS } from './bucket-cors.js';
import { FIXED_SETTING_OPERATIONS } from './fixed-settings.js';
import { TAGGING_OPERATIONS } from './tagging.js';
import { MULTIPART_LIST_OPERATIONS } from './multipart-list.js';
import { VERSION_OPERATIONS } from './versions.js';
import { OWNERSHIP_CONTROL_OPERATIONS } from './ownership-controls.js';
import { LISTING_OPERATIONS } from './listing.js';
import { OBJECT_WRITE_OPERATIONS } from './objects-write.js';
import { MULTIPART_OPERATIONS } from './multipart.js';
import { MULTIPART_COMPLETE_OPERATIONS } from './multipart-complete.js';
import { OBJECT_ATTRIBUTE_OPERATIONS } from './object-attributes.js';
import { PUBLIC_ACCESS_BLOCK_OPERATIONS } from './public-access-block.js';
import { OBJECT_READ_OPERATIONS } from './objects-read.js';
import { POST_OBJECT_OPERATIONS } from '../post-object/post-object.js';

/**
 * Every S3 operation the server implements, by name. Each is declared once,
 * in its family's file; the router, the permission check, the free-space
 * gate and the names are derived from this table.
 */
export const OPERATIONS = {
  ...BUCKET_OPERATIONS,
  ...BUCKET_POLICY_OPERATIONS,
  ...BUCKET_CORS_OPERATIONS,
  ...FIXED_SETTING_OPERATIONS,
  ...TAGGING_OPERATIONS,
  ...MULTIPART_LIST_OPERATIONS,
  ...VERSION_OPERATIONS,
  ...OWNERSHIP_CONTROL_OPERATIONS,
  ...PUBLIC_ACCESS_BLOCK_OPERATIONS,
  ...LISTING_OPERATIONS,
  ...OBJECT_WRITE_OPERATIONS,
  ...MULTIPART_OPERATIONS,
  ...MULTIPART_COMPLETE_OPERATIONS,
  ...OBJECT_ATTRIBUTE_OPERATIONS,
  ...OBJECT_READ_OPERATIONS,
  ...POST_OBJECT_OPERATIONS,
} as const satisfies Record<string, AnyOperation>;

export type OperationName = keyof typeof OPERATIONS;
