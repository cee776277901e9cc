import { bucketArn, objectArn, SERVICE_RESOURCE_ARN } from '../iam/index.js';
import type { Authorizer } from '../s3/authorize.js';
import type { ConsoleSession } from './sessions.js';

/** Condition keys as the console's own S3 calls present them (signed headers, over the proxy). */
const CONSOLE_CONDITIONS = { 'aws:SecureTransport': 'false', 's3:authType': 'REST-HEADER', 's3:signatureversion': 'AWS4-HMAC-SHA256' };
/** Links are used as pre-signed URLs: a policy that tells the two apart is asked about the link's kind. */
const LINK_CONDITIONS = { ...CONSOLE_CONDITIONS, 's3:authType': 'REST-QUERY-STRING' };

export interface FolderPermissions {
  readonly list: boolean;
  readonly read: boolean;
  readonly write: boolean;
  readonly delete: boolean;
  readonly bucketSettings: boolean;
  readonly deleteBucket: boolean;
}

export interface HomePermissions {
  readonly listBuckets: boolean;
  readonly createBucket: boolean;
  readonly manageIdentities: boolean;
}

/**
 * What the signed-in person may do, asked of the S3 API's own authorizer
 * (their policies and the bucket's, as they are now), so the console offers
 * only actions that can work. The S3 API still decides each request.
 */
export class ConsolePermissions {
  constructor(private readonly authorizer: Authorizer) {}

  private allows(session: ConsoleSession, action: string, resource: string, bucket: string | undefined, conditions: Record<string, string> = CONSOLE_CONDITIONS): Promise<boolean> {
    return this.authorizer.allowsFor(session.principal, action, resource, bucket, conditions);
  }

  /** May this person sign an upload link to the key, or to any key under the prefix? */
  mayUpload(session: ConsoleSession, bucket: string, key: string, prefix: boolean): Promise<boolean> {
    return this.allows(session, 's3:PutObject', objectArn(bucket, prefix ? `${key}*` : key), bucket, LINK_CONDITIONS);
  }

  async home(session: ConsoleSession): Promise<HomePermissions> {
    const [listBuckets, createBucket, manageIdentities] = await Promise.all([
      this.allows(session, 's3:ListAllMyBuckets', SERVICE_RESOURCE_ARN, undefined),
      this.allows(session, 's3:CreateBucket', SERVICE_RESOURCE_ARN, undefined),
      this.allows(session, 'iam:ListUsers', '*', undefined),
    ]);
    return { listBuckets, createBucket, manageIdentities };
  }

  /** Rights over a folder's objects, asked for a key pattern covering the folder (`prefix*`). */
  async folder(session: ConsoleSession, bucket: string, prefix: string): Promise<FolderPermissions> {
    const objects = objectArn(bucket, `${prefix}*`);
    const [list, read, write, remove, bucketSettings, deleteBucket] = await Promise.all([
      this.allows(session, 's3:ListBucket', bucketArn(bucket), bucket),
      this.allows(session, 's3:GetObject', objects, bucket),
      this.allows(session, 's3:PutObject', objects, bucket),
      this.allows(session, 's3:DeleteObject', objects, bucket),
      this.allows(session, 's3:GetBucketPolicy', bucketArn(bucket), bucket),
      this.allows(session, 's3:DeleteBucket', bucketArn(bucket), bucket),
    ]);
    return { list, read, write, delete: remove, bucketSettings, deleteBucket };
  }
}
