import type { Operation } from '../handler.js';
import type { OperationName } from '../routes.js';
import type { S3Deps } from '../deps.js';
import { createBucket, deleteBucket, getBucketLocation, headBucket, listBuckets } from './buckets.js';
import { deleteBucketCors, getBucketCors, putBucketCors } from './bucket-cors.js';
import { deleteBucketPolicy, getBucketPolicy, getBucketPolicyStatus, putBucketPolicy } from './bucket-policy.js';
import {
  getBucketAcl, getBucketLifecycleConfiguration, getBucketRequestPayment, getObjectAcl, putBucketAcl, putObjectAcl,
} from './fixed-settings.js';
import {
  deleteBucketTagging, deleteObjectTagging, getBucketTagging, getObjectTagging, putBucketTagging, putObjectTagging,
} from './tagging.js';
import { deleteBucketOwnershipControls, getBucketOwnershipControls, putBucketOwnershipControls } from './ownership-controls.js';
import { getObjectAttributes } from './object-attributes.js';
import { deletePublicAccessBlock, getPublicAccessBlock, putPublicAccessBlock } from './public-access-block.js';
import { listObjectsV1, listObjectsV2 } from './listing.js';
import { getBucketVersioning, listObjectVersions, putBucketVersioning } from './versions.js';
import { getObject, headObject } from './objects-read.js';
import { copyObject, deleteObject, deleteObjects, putObject } from './objects-write.js';
import { abortMultipartUpload, createMultipartUpload, uploadPart, uploadPartCopy } from './multipart.js';
import { completeMultipartUpload } from './multipart-complete.js';
import { listMultipartUploads, listParts } from './multipart-list.js';
import { postObject } from '../post-object/post-object.js';

/** The route table names operations; this maps each name to its code. */
export const OPERATIONS: Readonly<Record<OperationName, Operation<S3Deps>>> = {
  ListBuckets: listBuckets,
  CreateBucket: createBucket,
  HeadBucket: headBucket,
  DeleteBucket: deleteBucket,
  GetBucketLocation: getBucketLocation,
  ListObjects: listObjectsV1,
  ListObjectsV2: listObjectsV2,
  DeleteObjects: deleteObjects,
  PostObject: postObject,
  PutObject: putObject,
  CopyObject: copyObject,
  GetObject: getObject,
  HeadObject: headObject,
  DeleteObject: deleteObject,
  PutBucketPolicy: putBucketPolicy,
  GetBucketPolicy: getBucketPolicy,
  DeleteBucketPolicy: deleteBucketPolicy,
  GetBucketPolicyStatus: getBucketPolicyStatus,
  CreateMultipartUpload: createMultipartUpload,
  UploadPart: uploadPart,
  UploadPartCopy: uploadPartCopy,
  CompleteMultipartUpload: completeMultipartUpload,
  AbortMultipartUpload: abortMultipartUpload,
  ListParts: listParts,
  ListMultipartUploads: listMultipartUploads,
  PutBucketCors: putBucketCors,
  GetBucketCors: getBucketCors,
  DeleteBucketCors: deleteBucketCors,
  GetBucketVersioning: getBucketVersioning,
  PutBucketVersioning: putBucketVersioning,
  GetBucketAcl: getBucketAcl,
  GetBucketLifecycleConfiguration: getBucketLifecycleConfiguration,
  GetBucketRequestPayment: getBucketRequestPayment,
  GetObjectAcl: getObjectAcl,
  PutBucketAcl: putBucketAcl,
  PutObjectAcl: putObjectAcl,
  ListObjectVersions: listObjectVersions,
  GetObjectTagging: getObjectTagging,
  PutObjectTagging: putObjectTagging,
  DeleteObjectTagging: deleteObjectTagging,
  GetBucketTagging: getBucketTagging,
  PutBucketTagging: putBucketTagging,
  DeleteBucketTagging: deleteBucketTagging,
  GetBucketOwnershipControls: getBucketOwnershipControls,
  PutBucketOwnershipControls: putBucketOwnershipControls,
  DeleteBucketOwnershipControls: deleteBucketOwnershipControls,
  GetObjectAttributes: getObjectAttributes,
  PutPublicAccessBlock: putPublicAccessBlock,
  GetPublicAccessBlock: getPublicAccessBlock,
  DeletePublicAccessBlock: deletePublicAccessBlock,
};
