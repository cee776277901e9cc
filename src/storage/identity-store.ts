/**
 * Identities as the metadata backend keeps them: users, their access keys
 * (secrets sealed by the caller, never plain), named policies and their
 * attachments, bucket policies, and temporary (STS) sessions. Like
 * MetadataStore, expected outcomes are results, not exceptions; writes resolve
 * only once durable (recordKeyUse, bookkeeping, may ride on a later commit),
 * and reads see every write that resolved before, through any instance.
 */

export type UserStatus = 'active' | 'disabled';
export type AccessKeyStatus = 'active' | 'inactive';

export interface UserRecord {
  readonly name: string;
  readonly status: UserStatus;
  readonly createdAt: Date;
  /** Names of the attached policies, sorted. */
  readonly policies: readonly string[];
}

export interface AccessKeyRecord {
  readonly accessKeyId: string;
  readonly userName: string;
  readonly status: AccessKeyStatus;
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
  /** SecretBox output, bound to accessKeyId. */
  readonly sealedSecret: Buffer;
}

/**
 * What a request signed with a user's access key needs, read at once: the
 * key, its user's status (null when the user is gone) and the documents of
 * the user's policies, in userPolicyDocuments' order.
 */
export interface KeyInUse {
  readonly key: AccessKeyRecord;
  readonly userStatus: UserStatus | null;
  readonly policyDocuments: readonly string[];
}

export interface PolicyRecord {
  readonly name: string;
  /** The JSON text as given (validated by the caller). */
  readonly document: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly attachedTo: readonly string[];
}

export interface SessionRecord {
  readonly accessKeyId: string;
  /** The user the session acts for; 'root' for the root identity. */
  readonly principal: string;
  readonly sealedSecret: Buffer;
  /** Hex SHA-256 of the session token: the token itself is never stored. */
  readonly tokenHash: string;
  /** An inline session policy that can only narrow the principal's rights. */
  readonly sessionPolicy: string | null;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

/** A bucket's S3 Block Public Access settings (PutPublicAccessBlock); an absent element is false. */
export interface PublicAccessBlock {
  readonly blockPublicAcls: boolean;
  readonly ignorePublicAcls: boolean;
  readonly blockPublicPolicy: boolean;
  readonly restrictPublicBuckets: boolean;
}

export type CreateKeyResult = 'created' | 'no-such-user' | 'limit-reached';
export type DeletePolicyResult = 'deleted' | 'no-such-policy' | 'attached';
export type AttachResult = 'attached' | 'no-such-user' | 'no-such-policy';

export interface IdentityStore {
  createUser(name: string): Promise<'created' | 'exists'>;
  getUser(name: string): Promise<UserRecord | null>;
  listUsers(): Promise<UserRecord[]>;
  setUserStatus(name: string, status: UserStatus): Promise<boolean>;
  /** Removes the user with its keys, attachments and sessions. */
  deleteUser(name: string): Promise<boolean>;

  /** At most `maxPerUser` keys per user (AWS: 2, so keys can be rotated). */
  createAccessKey(key: { accessKeyId: string; userName: string; sealedSecret: Buffer }, maxPerUser: number): Promise<CreateKeyResult>;
  getAccessKey(accessKeyId: string): Promise<AccessKeyRecord | null>;
  /** getAccessKey, the user's status and userPolicyDocuments in one read (one statement, one round trip): every request signed with a user key makes it. */
  getKeyInUse(accessKeyId: string): Promise<KeyInUse | null>;
  listAccessKeys(userName?: string): Promise<AccessKeyRecord[]>;
  setAccessKeyStatus(accessKeyId: string, status: AccessKeyStatus): Promise<boolean>;
  deleteAccessKey(accessKeyId: string): Promise<boolean>;
  /** Last-used times, written in batches off the request path. */
  recordKeyUse(uses: ReadonlyMap<string, Date>): Promise<void>;

  putPolicy(name: string, document: string): Promise<'created' | 'updated'>;
  getPolicy(name: string): Promise<PolicyRecord | null>;
  listPolicies(): Promise<PolicyRecord[]>;
  /** A policy still attached to a user is not deleted (AWS: DeleteConflict). */
  deletePolicy(name: string): Promise<DeletePolicyResult>;
  attachPolicy(userName: string, policyName: string): Promise<AttachResult>;
  detachPolicy(userName: string, policyName: string): Promise<boolean>;
  /** The documents attached to a user, read at the moment of each request. */
  userPolicyDocuments(userName: string): Promise<string[]>;

  /** False when the bucket does not exist. */
  putBucketPolicy(bucket: string, document: string): Promise<boolean>;
  getBucketPolicy(bucket: string): Promise<string | null>;
  deleteBucketPolicy(bucket: string): Promise<boolean>;

  /** False/null when the bucket does not exist; deleting reports whether there was a configuration. */
  putPublicAccessBlock(bucket: string, block: PublicAccessBlock): Promise<boolean>;
  getPublicAccessBlock(bucket: string): Promise<PublicAccessBlock | null>;
  deletePublicAccessBlock(bucket: string): Promise<boolean>;

  /** A bucket's CORS rules as stored JSON (validated by the caller); false/null when the bucket does not exist. */
  putBucketCors(bucket: string, document: string): Promise<boolean>;
  getBucketCors(bucket: string): Promise<string | null>;
  deleteBucketCors(bucket: string): Promise<boolean>;

  createSession(session: SessionRecord): Promise<void>;
  getSession(accessKeyId: string): Promise<SessionRecord | null>;
  /** Ends one session at once (a console sign-out); false when it did not exist. */
  deleteSession(accessKeyId: string): Promise<boolean>;
  /** Forgets sessions that ended before `now`; returns how many. */
  deleteExpiredSessions(now: Date): Promise<number>;

  /** Small named values the server keeps with its data (e.g. the master key check). */
  getSetting(name: string): Promise<Buffer | null>;
  putSetting(name: string, value: Buffer): Promise<void>;
}
