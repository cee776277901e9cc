import type {
  AccessKeyRecord, AccessKeyStatus, AttachResult, CreateKeyResult, DeletePolicyResult, IdentityStore, KeyInUse, PolicyRecord, PublicAccessBlock,
  SessionRecord, UserRecord, UserStatus,
} from '../identity-store.js';
import { toPublicAccessBlock, type PublicAccessBlockRow } from '../rows.js';
import { guarded, isForeignKeyViolation, type Sql } from './pg-connection.js';

interface UserRow { name: string; status: UserStatus; created_at: number; policies: string[] }
interface KeyRow { access_key_id: string; user_name: string; status: AccessKeyStatus; sealed_secret: Buffer; created_at: number; last_used_at: number | null }
interface KeyInUseRow extends KeyRow { user_status: UserStatus | null; documents: string[] }
interface PolicyRow { name: string; document: string; created_at: number; updated_at: number; attached: string[] }
interface SessionRow {
  access_key_id: string; principal: string; sealed_secret: Buffer; token_hash: string; session_policy: string | null; created_at: number; expires_at: number;
}

/**
 * IdentityStore on PostgreSQL. Nothing is remembered between calls: a key
 * disabled or a policy changed through another node is what the very next
 * request here sees.
 */
export class PgIdentityStore implements IdentityStore {
  constructor(private readonly sql: Sql) {}

  createUser(name: string): Promise<'created' | 'exists'> {
    return guarded(async () => {
      const result = await this.sql`INSERT INTO users (name, status, created_at) VALUES (${name}, 'active', ${Date.now()}) ON CONFLICT (name) DO NOTHING`;
      return result.count === 1 ? 'created' : 'exists';
    });
  }

  getUser(name: string): Promise<UserRecord | null> {
    return guarded(async () => {
      const [row] = await this.sql<UserRow[]>`${this.userSelect()} WHERE u.name = ${name}`;
      return row === undefined ? null : toUser(row);
    });
  }

  listUsers(): Promise<UserRecord[]> {
    return guarded(async () => (await this.sql<UserRow[]>`${this.userSelect()} ORDER BY u.name COLLATE "C"`).map(toUser));
  }

  setUserStatus(name: string, status: UserStatus): Promise<boolean> {
    return guarded(async () => (await this.sql`UPDATE users SET status = ${status} WHERE name = ${name}`).count === 1);
  }

  deleteUser(name: string): Promise<boolean> {
    return guarded(() => this.sql.begin(async (tx) => {
      await tx`DELETE FROM sessions WHERE principal = ${name}`;
      return (await tx`DELETE FROM users WHERE name = ${name}`).count === 1;
    }));
  }

  createAccessKey(key: { accessKeyId: string; userName: string; sealedSecret: Buffer }, maxPerUser: number): Promise<CreateKeyResult> {
    return guarded(() => this.sql.begin(async (tx): Promise<CreateKeyResult> => {
      // The user row lock serializes key creation per user, so the limit holds across nodes.
      const [user] = await tx`SELECT 1 FROM users WHERE name = ${key.userName} FOR UPDATE`;
      if (user === undefined) return 'no-such-user';
      const [count] = await tx<{ n: number }[]>`SELECT count(*)::int AS n FROM access_keys WHERE user_name = ${key.userName}`;
      if ((count?.n ?? 0) >= maxPerUser) return 'limit-reached';
      await tx`INSERT INTO access_keys (access_key_id, user_name, status, sealed_secret, created_at)
               VALUES (${key.accessKeyId}, ${key.userName}, 'active', ${key.sealedSecret}, ${Date.now()})`;
      return 'created';
    }));
  }

  getAccessKey(accessKeyId: string): Promise<AccessKeyRecord | null> {
    return guarded(async () => {
      const [row] = await this.sql<KeyRow[]>`SELECT * FROM access_keys WHERE access_key_id = ${accessKeyId}`;
      return row === undefined ? null : toKey(row);
    });
  }

  getKeyInUse(accessKeyId: string): Promise<KeyInUse | null> {
    return guarded(async () => {
      const [row] = await this.sql<KeyInUseRow[]>`SELECT k.*, u.status AS user_status,
          ARRAY(SELECT p.document FROM user_policies up JOIN policies p ON p.name = up.policy_name
            WHERE up.user_name = k.user_name ORDER BY p.name COLLATE "C") AS documents
        FROM access_keys k LEFT JOIN users u ON u.name = k.user_name WHERE k.access_key_id = ${accessKeyId}`;
      return row === undefined ? null : { key: toKey(row), userStatus: row.user_status, policyDocuments: row.documents };
    });
  }

  listAccessKeys(userName?: string): Promise<AccessKeyRecord[]> {
    return guarded(async () => {
      const rows = userName === undefined
        ? await this.sql<KeyRow[]>`SELECT * FROM access_keys ORDER BY user_name COLLATE "C", created_at`
        : await this.sql<KeyRow[]>`SELECT * FROM access_keys WHERE user_name = ${userName} ORDER BY created_at`;
      return rows.map(toKey);
    });
  }

  setAccessKeyStatus(accessKeyId: string, status: AccessKeyStatus): Promise<boolean> {
    return guarded(async () => (await this.sql`UPDATE access_keys SET status = ${status} WHERE access_key_id = ${accessKeyId}`).count === 1);
  }

  deleteAccessKey(accessKeyId: string): Promise<boolean> {
    return guarded(async () => (await this.sql`DELETE FROM access_keys WHERE access_key_id = ${accessKeyId}`).count === 1);
  }

  recordKeyUse(uses: ReadonlyMap<string, Date>): Promise<void> {
    if (uses.size === 0) return Promise.resolve();
    const ids = [...uses.keys()];
    const times = [...uses.values()].map((d) => d.getTime());
    return guarded(async () => {
      await this.sql`
        UPDATE access_keys k SET last_used_at = greatest(coalesce(k.last_used_at, 0), u.at)
        FROM unnest(${ids}::text[], ${times}::bigint[]) AS u(id, at) WHERE k.access_key_id = u.id`;
    });
  }

  putPolicy(name: string, document: string): Promise<'created' | 'updated'> {
    return guarded(async () => {
      const now = Date.now();
      const [row] = await this.sql<{ inserted: boolean }[]>`
        INSERT INTO policies (name, document, created_at, updated_at) VALUES (${name}, ${document}, ${now}, ${now})
        ON CONFLICT (name) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at
        RETURNING (xmax = 0) AS inserted`;
      return row?.inserted === true ? 'created' : 'updated';
    });
  }

  getPolicy(name: string): Promise<PolicyRecord | null> {
    return guarded(async () => {
      const [row] = await this.sql<PolicyRow[]>`${this.policySelect()} WHERE p.name = ${name}`;
      return row === undefined ? null : toPolicy(row);
    });
  }

  listPolicies(): Promise<PolicyRecord[]> {
    return guarded(async () => (await this.sql<PolicyRow[]>`${this.policySelect()} ORDER BY p.name COLLATE "C"`).map(toPolicy));
  }

  deletePolicy(name: string): Promise<DeletePolicyResult> {
    return guarded(async () => {
      try {
        return await this.sql.begin(async (tx): Promise<DeletePolicyResult> => {
          const [policy] = await tx`SELECT 1 FROM policies WHERE name = ${name} FOR UPDATE`;
          if (policy === undefined) return 'no-such-policy';
          const [attached] = await tx`SELECT 1 FROM user_policies WHERE policy_name = ${name} LIMIT 1`;
          if (attached !== undefined) return 'attached';
          await tx`DELETE FROM policies WHERE name = ${name}`;
          return 'deleted';
        });
      } catch (error) {
        if (isForeignKeyViolation(error)) return 'attached'; // attached by another node meanwhile
        throw error;
      }
    });
  }

  attachPolicy(userName: string, policyName: string): Promise<AttachResult> {
    return guarded(async () => {
      // One statement: the foreign keys' locks keep user and policy alive until it commits.
      const [row] = await this.sql<{ user_ok: boolean; policy_ok: boolean }[]>`
        WITH u AS (SELECT name FROM users WHERE name = ${userName} FOR KEY SHARE),
             p AS (SELECT name FROM policies WHERE name = ${policyName} FOR KEY SHARE),
             ins AS (INSERT INTO user_policies (user_name, policy_name) SELECT u.name, p.name FROM u, p ON CONFLICT DO NOTHING)
        SELECT EXISTS (SELECT 1 FROM u) AS user_ok, EXISTS (SELECT 1 FROM p) AS policy_ok`;
      if (row?.user_ok !== true) return 'no-such-user';
      if (row.policy_ok !== true) return 'no-such-policy';
      return 'attached';
    });
  }

  detachPolicy(userName: string, policyName: string): Promise<boolean> {
    return guarded(async () => (await this.sql`DELETE FROM user_policies WHERE user_name = ${userName} AND policy_name = ${policyName}`).count === 1);
  }

  userPolicyDocuments(userName: string): Promise<string[]> {
    return guarded(async () => (await this.sql<{ document: string }[]>`
      SELECT p.document FROM user_policies up JOIN policies p ON p.name = up.policy_name WHERE up.user_name = ${userName} ORDER BY p.name COLLATE "C"`)
      .map((r) => r.document));
  }

  putBucketPolicy(bucket: string, document: string): Promise<boolean> {
    return guarded(async () => (await this.sql`
      INSERT INTO bucket_policies (bucket_id, document) SELECT id, ${document} FROM buckets WHERE name = ${bucket}
      ON CONFLICT (bucket_id) DO UPDATE SET document = excluded.document`).count === 1);
  }

  getBucketPolicy(bucket: string): Promise<string | null> {
    return guarded(async () => {
      const [row] = await this.sql<{ document: string }[]>`
        SELECT bp.document FROM bucket_policies bp JOIN buckets b ON b.id = bp.bucket_id WHERE b.name = ${bucket}`;
      return row?.document ?? null;
    });
  }

  deleteBucketPolicy(bucket: string): Promise<boolean> {
    return guarded(async () => (await this.sql`DELETE FROM bucket_policies WHERE bucket_id = (SELECT id FROM buckets WHERE name = ${bucket})`).count === 1);
  }

  putPublicAccessBlock(bucket: string, block: PublicAccessBlock): Promise<boolean> {
    return guarded(async () => (await this.sql`
      INSERT INTO bucket_public_access_blocks (bucket_id, block_public_acls, ignore_public_acls, block_public_policy, restrict_public_buckets)
      SELECT id, ${block.blockPublicAcls}, ${block.ignorePublicAcls}, ${block.blockPublicPolicy}, ${block.restrictPublicBuckets} FROM buckets WHERE name = ${bucket}
      ON CONFLICT (bucket_id) DO UPDATE SET block_public_acls = excluded.block_public_acls, ignore_public_acls = excluded.ignore_public_acls,
        block_public_policy = excluded.block_public_policy, restrict_public_buckets = excluded.restrict_public_buckets`).count === 1);
  }

  getPublicAccessBlock(bucket: string): Promise<PublicAccessBlock | null> {
    return guarded(async () => {
      const [row] = await this.sql<PublicAccessBlockRow[]>`
        SELECT pab.* FROM bucket_public_access_blocks pab JOIN buckets b ON b.id = pab.bucket_id WHERE b.name = ${bucket}`;
      return row === undefined ? null : toPublicAccessBlock(row);
    });
  }

  deletePublicAccessBlock(bucket: string): Promise<boolean> {
    return guarded(async () => (await this.sql`
      DELETE FROM bucket_public_access_blocks WHERE bucket_id = (SELECT id FROM buckets WHERE name = ${bucket})`).count === 1);
  }

  putBucketCors(bucket: string, document: string): Promise<boolean> {
    return guarded(async () => (await this.sql`
      INSERT INTO bucket_cors (bucket_id, document) SELECT id, ${document} FROM buckets WHERE name = ${bucket}
      ON CONFLICT (bucket_id) DO UPDATE SET document = excluded.document`).count === 1);
  }

  getBucketCors(bucket: string): Promise<string | null> {
    return guarded(async () => {
      const [row] = await this.sql<{ document: string }[]>`
        SELECT bc.document FROM bucket_cors bc JOIN buckets b ON b.id = bc.bucket_id WHERE b.name = ${bucket}`;
      return row?.document ?? null;
    });
  }

  deleteBucketCors(bucket: string): Promise<boolean> {
    return guarded(async () => (await this.sql`DELETE FROM bucket_cors WHERE bucket_id = (SELECT id FROM buckets WHERE name = ${bucket})`).count === 1);
  }

  createSession(s: SessionRecord): Promise<void> {
    return guarded(async () => {
      await this.sql`
        INSERT INTO sessions (access_key_id, principal, sealed_secret, token_hash, session_policy, created_at, expires_at)
        VALUES (${s.accessKeyId}, ${s.principal}, ${s.sealedSecret}, ${s.tokenHash}, ${s.sessionPolicy}, ${s.createdAt.getTime()}, ${s.expiresAt.getTime()})`;
    });
  }

  getSession(accessKeyId: string): Promise<SessionRecord | null> {
    return guarded(async () => {
      const [row] = await this.sql<SessionRow[]>`SELECT * FROM sessions WHERE access_key_id = ${accessKeyId}`;
      return row === undefined
        ? null
        : {
            accessKeyId: row.access_key_id, principal: row.principal, sealedSecret: row.sealed_secret, tokenHash: row.token_hash,
            sessionPolicy: row.session_policy, createdAt: new Date(row.created_at), expiresAt: new Date(row.expires_at),
          };
    });
  }

  deleteSession(accessKeyId: string): Promise<boolean> {
    return guarded(async () => (await this.sql`DELETE FROM sessions WHERE access_key_id = ${accessKeyId}`).count === 1);
  }

  deleteExpiredSessions(now: Date): Promise<number> {
    return guarded(async () => (await this.sql`DELETE FROM sessions WHERE expires_at < ${now.getTime()}`).count);
  }

  getSetting(name: string): Promise<Buffer | null> {
    return guarded(async () => {
      const [row] = await this.sql<{ value: Buffer }[]>`SELECT value FROM settings WHERE name = ${name}`;
      return row?.value ?? null;
    });
  }

  putSetting(name: string, value: Buffer): Promise<void> {
    return guarded(async () => {
      await this.sql`INSERT INTO settings (name, value) VALUES (${name}, ${value}) ON CONFLICT (name) DO UPDATE SET value = excluded.value`;
    });
  }

  private userSelect() {
    return this.sql`SELECT u.name, u.status, u.created_at,
        ARRAY(SELECT policy_name FROM user_policies p WHERE p.user_name = u.name ORDER BY policy_name COLLATE "C") AS policies
      FROM users u`;
  }

  private policySelect() {
    return this.sql`SELECT p.name, p.document, p.created_at, p.updated_at,
        ARRAY(SELECT user_name FROM user_policies up WHERE up.policy_name = p.name ORDER BY user_name COLLATE "C") AS attached
      FROM policies p`;
  }
}

function toUser(row: UserRow): UserRecord {
  return { name: row.name, status: row.status, createdAt: new Date(row.created_at), policies: row.policies };
}

function toKey(row: KeyRow): AccessKeyRecord {
  return {
    accessKeyId: row.access_key_id, userName: row.user_name, status: row.status, createdAt: new Date(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : new Date(row.last_used_at), sealedSecret: row.sealed_secret,
  };
}

function toPolicy(row: PolicyRow): PolicyRecord {
  return { name: row.name, document: row.document, createdAt: new Date(row.created_at), updatedAt: new Date(row.updated_at), attachedTo: row.attached };
}
