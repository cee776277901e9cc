import type Database from 'better-sqlite3';
import type { Durably, Read } from './sqlite-work.js';
import type {
  AccessKeyRecord, AccessKeyStatus, AttachResult, CreateKeyResult, DeletePolicyResult, IdentityStore, KeyInUse, PolicyRecord, PublicAccessBlock,
  SessionRecord, UserRecord, UserStatus,
} from '../identity-store.js';
import { LRUCache } from 'lru-cache';
import { toPublicAccessBlock, type PublicAccessBlockRow } from '../rows.js';

interface UserRow { name: string; status: UserStatus; created_at: number; policies: string | null }
interface KeyRow { access_key_id: string; user_name: string; status: AccessKeyStatus; sealed_secret: Buffer; created_at: number; last_used_at: number | null }
interface KeyInUseRow extends KeyRow { user_status: UserStatus | null; documents: string }
interface PolicyRow { name: string; document: string; created_at: number; updated_at: number; attached: string | null }
interface SessionRow {
  access_key_id: string; principal: string; sealed_secret: Buffer; token_hash: string; session_policy: string | null; created_at: number; expires_at: number;
}


/** IdentityStore on the metadata database's connection (migration 2). */
/** Buckets whose policy (or its absence) is remembered. */
const BUCKET_POLICY_CACHE = 4096;

export class SqliteIdentityStore implements IdentityStore {
  private readonly stmt;
  /**
   * Every request reads its bucket's policy. This process is the database's
   * only writer and every change goes through this class (or forgetBucket), so
   * the remembered value is the current one: still "checked at time of use".
   * A bucket without a policy is remembered as `document: null`.
   */
  private readonly bucketPolicies = new LRUCache<string, { readonly document: string | null }>({ max: BUCKET_POLICY_CACHE });

  constructor(
    private readonly db: Database.Database,
    private readonly durably: Durably,
    private readonly read: Read,
  ) {
    const userSelect = `SELECT u.name, u.status, u.created_at,
        (SELECT json_group_array(policy_name) FROM (SELECT policy_name FROM user_policies p WHERE p.user_name = u.name ORDER BY policy_name)) AS policies
      FROM users u`;
    const policySelect = `SELECT p.name, p.document, p.created_at, p.updated_at,
        (SELECT json_group_array(user_name) FROM (SELECT user_name FROM user_policies up WHERE up.policy_name = p.name ORDER BY user_name)) AS attached
      FROM policies p`;
    this.stmt = {
      insertUser: db.prepare<[string, number]>("INSERT INTO users (name, status, created_at) VALUES (?, 'active', ?) ON CONFLICT (name) DO NOTHING"),
      user: db.prepare<[string], UserRow>(`${userSelect} WHERE u.name = ?`),
      users: db.prepare<[], UserRow>(`${userSelect} ORDER BY u.name`),
      userStatus: db.prepare<[UserStatus, string]>('UPDATE users SET status = ? WHERE name = ?'),
      deleteUser: db.prepare<[string]>('DELETE FROM users WHERE name = ?'),
      deleteUserSessions: db.prepare<[string]>('DELETE FROM sessions WHERE principal = ?'),
      keyCount: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM access_keys WHERE user_name = ?'),
      userExists: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM users WHERE name = ?'),
      insertKey: db.prepare<[string, string, Buffer, number]>(
        "INSERT INTO access_keys (access_key_id, user_name, status, sealed_secret, created_at) VALUES (?, ?, 'active', ?, ?)"),
      key: db.prepare<[string], KeyRow>('SELECT * FROM access_keys WHERE access_key_id = ?'),
      keyInUse: db.prepare<[string], KeyInUseRow>(`SELECT k.*, u.status AS user_status,
          (SELECT json_group_array(document) FROM
            (SELECT p.document FROM user_policies up JOIN policies p ON p.name = up.policy_name WHERE up.user_name = k.user_name ORDER BY p.name)) AS documents
        FROM access_keys k LEFT JOIN users u ON u.name = k.user_name WHERE k.access_key_id = ?`),
      keys: db.prepare<[], KeyRow>('SELECT * FROM access_keys ORDER BY user_name, created_at'),
      userKeys: db.prepare<[string], KeyRow>('SELECT * FROM access_keys WHERE user_name = ? ORDER BY created_at'),
      keyStatus: db.prepare<[AccessKeyStatus, string]>('UPDATE access_keys SET status = ? WHERE access_key_id = ?'),
      deleteKey: db.prepare<[string]>('DELETE FROM access_keys WHERE access_key_id = ?'),
      keyUsed: db.prepare<[number, string]>('UPDATE access_keys SET last_used_at = max(coalesce(last_used_at, 0), ?) WHERE access_key_id = ?'),
      upsertPolicy: db.prepare<[string, string, number, number]>(
        'INSERT INTO policies (name, document, created_at, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at'),
      policyExists: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM policies WHERE name = ?'),
      policy: db.prepare<[string], PolicyRow>(`${policySelect} WHERE p.name = ?`),
      policies: db.prepare<[], PolicyRow>(`${policySelect} ORDER BY p.name`),
      attachedCount: db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM user_policies WHERE policy_name = ?'),
      deletePolicy: db.prepare<[string]>('DELETE FROM policies WHERE name = ?'),
      attach: db.prepare<[string, string]>('INSERT INTO user_policies (user_name, policy_name) VALUES (?, ?) ON CONFLICT DO NOTHING'),
      detach: db.prepare<[string, string]>('DELETE FROM user_policies WHERE user_name = ? AND policy_name = ?'),
      userDocuments: db.prepare<[string], { document: string }>(
        'SELECT p.document FROM user_policies up JOIN policies p ON p.name = up.policy_name WHERE up.user_name = ? ORDER BY p.name'),
      bucketId: db.prepare<[string], { id: number }>('SELECT id FROM buckets WHERE name = ?'),
      putBucketPolicy: db.prepare<[number, string]>(
        'INSERT INTO bucket_policies (bucket_id, document) VALUES (?, ?) ON CONFLICT (bucket_id) DO UPDATE SET document = excluded.document'),
      bucketPolicy: db.prepare<[string], { document: string }>(
        'SELECT bp.document FROM bucket_policies bp JOIN buckets b ON b.id = bp.bucket_id WHERE b.name = ?'),
      deleteBucketPolicy: db.prepare<[string]>('DELETE FROM bucket_policies WHERE bucket_id = (SELECT id FROM buckets WHERE name = ?)'),
      putPublicAccessBlock: db.prepare<[number, number, number, number, number]>(`
        INSERT INTO bucket_public_access_blocks (bucket_id, block_public_acls, ignore_public_acls, block_public_policy, restrict_public_buckets)
        VALUES (?, ?, ?, ?, ?) ON CONFLICT (bucket_id) DO UPDATE SET block_public_acls = excluded.block_public_acls,
          ignore_public_acls = excluded.ignore_public_acls, block_public_policy = excluded.block_public_policy,
          restrict_public_buckets = excluded.restrict_public_buckets`),
      publicAccessBlock: db.prepare<[string], PublicAccessBlockRow>(
        'SELECT pab.* FROM bucket_public_access_blocks pab JOIN buckets b ON b.id = pab.bucket_id WHERE b.name = ?'),
      deletePublicAccessBlock: db.prepare<[string]>(
        'DELETE FROM bucket_public_access_blocks WHERE bucket_id = (SELECT id FROM buckets WHERE name = ?)'),
      putBucketCors: db.prepare<[number, string]>(
        'INSERT INTO bucket_cors (bucket_id, document) VALUES (?, ?) ON CONFLICT (bucket_id) DO UPDATE SET document = excluded.document'),
      bucketCors: db.prepare<[string], { document: string }>(
        'SELECT bc.document FROM bucket_cors bc JOIN buckets b ON b.id = bc.bucket_id WHERE b.name = ?'),
      deleteBucketCors: db.prepare<[string]>('DELETE FROM bucket_cors WHERE bucket_id = (SELECT id FROM buckets WHERE name = ?)'),
      insertSession: db.prepare<[string, string, Buffer, string, string | null, number, number]>(
        'INSERT INTO sessions (access_key_id, principal, sealed_secret, token_hash, session_policy, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      session: db.prepare<[string], SessionRow>('SELECT * FROM sessions WHERE access_key_id = ?'),
      expireSessions: db.prepare<[number]>('DELETE FROM sessions WHERE expires_at < ?'),
      deleteSession: db.prepare<[string]>('DELETE FROM sessions WHERE access_key_id = ?'),
      setting: db.prepare<[string], { value: Buffer }>('SELECT value FROM settings WHERE name = ?'),
      putSetting: db.prepare<[string, Buffer]>('INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value'),
    };
  }

  createUser(name: string): Promise<'created' | 'exists'> {
    return this.durably(() => (this.stmt.insertUser.run(name, Date.now()).changes === 1 ? 'created' : 'exists'));
  }

  getUser(name: string): Promise<UserRecord | null> {
    return this.read(() => {
      const row = this.stmt.user.get(name);
      return row === undefined ? null : toUser(row);
    });
  }

  listUsers(): Promise<UserRecord[]> {
    return this.read(() => this.stmt.users.all().map(toUser));
  }

  setUserStatus(name: string, status: UserStatus): Promise<boolean> {
    return this.durably(() => this.stmt.userStatus.run(status, name).changes === 1);
  }

  deleteUser(name: string): Promise<boolean> {
    return this.durably(() =>
      this.db.transaction(() => {
        this.stmt.deleteUserSessions.run(name);
        return this.stmt.deleteUser.run(name).changes === 1;
      }).immediate(),
    );
  }

  createAccessKey(key: { accessKeyId: string; userName: string; sealedSecret: Buffer }, maxPerUser: number): Promise<CreateKeyResult> {
    return this.durably(() =>
      this.db.transaction((): CreateKeyResult => {
        if (this.stmt.userExists.get(key.userName) === undefined) return 'no-such-user';
        if ((this.stmt.keyCount.get(key.userName)?.n ?? 0) >= maxPerUser) return 'limit-reached';
        this.stmt.insertKey.run(key.accessKeyId, key.userName, key.sealedSecret, Date.now());
        return 'created';
      }).immediate(),
    );
  }

  getAccessKey(accessKeyId: string): Promise<AccessKeyRecord | null> {
    return this.read(() => {
      const row = this.stmt.key.get(accessKeyId);
      return row === undefined ? null : toKey(row);
    });
  }

  getKeyInUse(accessKeyId: string): Promise<KeyInUse | null> {
    return this.read(() => {
      const row = this.stmt.keyInUse.get(accessKeyId);
      return row === undefined ? null : { key: toKey(row), userStatus: row.user_status, policyDocuments: names(row.documents) };
    });
  }

  listAccessKeys(userName?: string): Promise<AccessKeyRecord[]> {
    return this.read(() => (userName === undefined ? this.stmt.keys.all() : this.stmt.userKeys.all(userName)).map(toKey));
  }

  setAccessKeyStatus(accessKeyId: string, status: AccessKeyStatus): Promise<boolean> {
    return this.durably(() => this.stmt.keyStatus.run(status, accessKeyId).changes === 1);
  }

  deleteAccessKey(accessKeyId: string): Promise<boolean> {
    return this.durably(() => this.stmt.deleteKey.run(accessKeyId).changes === 1);
  }

  recordKeyUse(uses: ReadonlyMap<string, Date>): Promise<void> {
    // Bookkeeping, not data: it rides on the next group commit instead of waiting for its own.
    return this.read(() => {
      this.db.transaction(() => {
        for (const [id, when] of uses) this.stmt.keyUsed.run(when.getTime(), id);
      }).immediate();
    });
  }

  putPolicy(name: string, document: string): Promise<'created' | 'updated'> {
    return this.durably(() =>
      this.db.transaction(() => {
        const existed = this.stmt.policyExists.get(name) !== undefined;
        const now = Date.now();
        this.stmt.upsertPolicy.run(name, document, now, now);
        return existed ? 'updated' : 'created';
      }).immediate(),
    );
  }

  getPolicy(name: string): Promise<PolicyRecord | null> {
    return this.read(() => {
      const row = this.stmt.policy.get(name);
      return row === undefined ? null : toPolicy(row);
    });
  }

  listPolicies(): Promise<PolicyRecord[]> {
    return this.read(() => this.stmt.policies.all().map(toPolicy));
  }

  deletePolicy(name: string): Promise<DeletePolicyResult> {
    return this.durably(() =>
      this.db.transaction((): DeletePolicyResult => {
        if (this.stmt.policyExists.get(name) === undefined) return 'no-such-policy';
        if ((this.stmt.attachedCount.get(name)?.n ?? 0) > 0) return 'attached';
        this.stmt.deletePolicy.run(name);
        return 'deleted';
      }).immediate(),
    );
  }

  attachPolicy(userName: string, policyName: string): Promise<AttachResult> {
    return this.durably(() =>
      this.db.transaction((): AttachResult => {
        if (this.stmt.userExists.get(userName) === undefined) return 'no-such-user';
        if (this.stmt.policyExists.get(policyName) === undefined) return 'no-such-policy';
        this.stmt.attach.run(userName, policyName);
        return 'attached';
      }).immediate(),
    );
  }

  detachPolicy(userName: string, policyName: string): Promise<boolean> {
    return this.durably(() => this.stmt.detach.run(userName, policyName).changes === 1);
  }

  userPolicyDocuments(userName: string): Promise<string[]> {
    return this.read(() => this.stmt.userDocuments.all(userName).map((r) => r.document));
  }

  putBucketPolicy(bucket: string, document: string): Promise<boolean> {
    this.bucketPolicies.delete(bucket);
    return this.durably(() => {
      const row = this.stmt.bucketId.get(bucket);
      if (row === undefined) return false;
      this.stmt.putBucketPolicy.run(row.id, document);
      return true;
    });
  }

  getBucketPolicy(bucket: string): Promise<string | null> {
    const cached = this.bucketPolicies.get(bucket);
    if (cached !== undefined) return Promise.resolve(cached.document);
    return this.read(() => {
      const document = this.stmt.bucketPolicy.get(bucket)?.document ?? null;
      this.bucketPolicies.set(bucket, { document });
      return document;
    });
  }

  deleteBucketPolicy(bucket: string): Promise<boolean> {
    this.bucketPolicies.delete(bucket);
    return this.durably(() => this.stmt.deleteBucketPolicy.run(bucket).changes === 1);
  }

  /** A write batch rolled back: remembered policies may be ones it wrote. */
  forgetReads(): void {
    this.bucketPolicies.clear();
  }

  /** The bucket is gone (its policy row went with it): forget what was read of it. */
  forgetBucket(bucket: string): void {
    this.bucketPolicies.delete(bucket);
  }

  putPublicAccessBlock(bucket: string, block: PublicAccessBlock): Promise<boolean> {
    return this.durably(() => {
      const row = this.stmt.bucketId.get(bucket);
      if (row === undefined) return false;
      const flag = (on: boolean): number => (on ? 1 : 0);
      this.stmt.putPublicAccessBlock.run(row.id, flag(block.blockPublicAcls), flag(block.ignorePublicAcls), flag(block.blockPublicPolicy), flag(block.restrictPublicBuckets));
      return true;
    });
  }

  getPublicAccessBlock(bucket: string): Promise<PublicAccessBlock | null> {
    return this.read(() => {
      const row = this.stmt.publicAccessBlock.get(bucket);
      return row === undefined ? null : toPublicAccessBlock(row);
    });
  }

  deletePublicAccessBlock(bucket: string): Promise<boolean> {
    return this.durably(() => this.stmt.deletePublicAccessBlock.run(bucket).changes === 1);
  }

  putBucketCors(bucket: string, document: string): Promise<boolean> {
    return this.durably(() => {
      const row = this.stmt.bucketId.get(bucket);
      if (row === undefined) return false;
      this.stmt.putBucketCors.run(row.id, document);
      return true;
    });
  }

  getBucketCors(bucket: string): Promise<string | null> {
    return this.read(() => this.stmt.bucketCors.get(bucket)?.document ?? null);
  }

  deleteBucketCors(bucket: string): Promise<boolean> {
    return this.durably(() => this.stmt.deleteBucketCors.run(bucket).changes === 1);
  }

  createSession(s: SessionRecord): Promise<void> {
    return this.durably(() => {
      this.stmt.insertSession.run(s.accessKeyId, s.principal, s.sealedSecret, s.tokenHash, s.sessionPolicy, s.createdAt.getTime(), s.expiresAt.getTime());
    });
  }

  getSession(accessKeyId: string): Promise<SessionRecord | null> {
    return this.read(() => {
      const row = this.stmt.session.get(accessKeyId);
      return row === undefined
        ? null
        : {
            accessKeyId: row.access_key_id, principal: row.principal, sealedSecret: row.sealed_secret, tokenHash: row.token_hash,
            sessionPolicy: row.session_policy, createdAt: new Date(row.created_at), expiresAt: new Date(row.expires_at),
          };
    });
  }

  deleteSession(accessKeyId: string): Promise<boolean> {
    return this.durably(() => this.stmt.deleteSession.run(accessKeyId).changes === 1);
  }

  deleteExpiredSessions(now: Date): Promise<number> {
    return this.durably(() => this.stmt.expireSessions.run(now.getTime()).changes);
  }

  getSetting(name: string): Promise<Buffer | null> {
    return this.read(() => this.stmt.setting.get(name)?.value ?? null);
  }

  putSetting(name: string, value: Buffer): Promise<void> {
    return this.durably(() => {
      this.stmt.putSetting.run(name, value);
    });
  }
}

function names(json: string | null): string[] {
  return json === null ? [] : (JSON.parse(json) as string[]);
}

function toUser(row: UserRow): UserRecord {
  return { name: row.name, status: row.status, createdAt: new Date(row.created_at), policies: names(row.policies) };
}

function toKey(row: KeyRow): AccessKeyRecord {
  return {
    accessKeyId: row.access_key_id, userName: row.user_name, status: row.status, createdAt: new Date(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : new Date(row.last_used_at), sealedSecret: row.sealed_secret,
  };
}

function toPolicy(row: PolicyRow): PolicyRecord {
  return {
    name: row.name, document: row.document, createdAt: new Date(row.created_at), updatedAt: new Date(row.updated_at), attachedTo: names(row.attached),
  };
}
