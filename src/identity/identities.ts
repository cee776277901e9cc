import { createHash, randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { IdentityStore, SessionRecord } from '../storage/identity-store.js';
import type { Credentials } from '../sigv4/types.js';
import { generateAccessKeyId } from './access-key-id.js';
import type { SecretBox } from './secret-box.js';
import { sameSecret } from './same-secret.js';

/** Who signed a request, as authorization sees it. */
export interface Principal {
  readonly kind: 'root' | 'user';
  /** 'root' for the root identity. */
  readonly name: string;
  readonly accessKeyId: string;
  /** Temporary credentials: the session's own narrowing policy, if any. */
  readonly session?: { readonly expiresAt: Date; readonly policy: string | null };
}

/** What the verifier needs for an access key, and what to check once the signature is good. */
export interface ResolvedKey {
  readonly secretAccessKey: string;
  readonly principal: Principal;
  /** Present for temporary credentials: the request must carry this token. */
  readonly tokenHash?: string;
  /**
   * A user key's identity policy documents, read in the same statement as the
   * key, for this request only: its authorization evaluates these rather than
   * reading them again. Absent for other principals (read when needed).
   */
  readonly policyDocuments?: readonly string[];
}

export const MAX_KEYS_PER_USER = 2;
/** Access keys whose opened secret is remembered. */
const OPENED_SECRETS = 4096;
export const SESSION_KEY_PREFIX = 'LKTS';

export const MASTER_KEY_CHECK = 'master-key-check';
const MASTER_KEY_CHECK_TEXT = 'latchkey master key check';

/** A new user key id: "LK" and 18 random characters, never in the sessions' namespace (1 in 1,024 would be). */
export function userKeyId(): string {
  for (;;) {
    const id = generateAccessKeyId('LK');
    if (!id.startsWith(SESSION_KEY_PREFIX)) return id;
  }
}

export class MasterKeyMismatchError extends Error {}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A session token against its stored digest, with the one comparison of secrets. */
export function tokenMatches(token: string, tokenHash: string): boolean {
  return sameSecret(hashToken(token), tokenHash);
}

/**
 * Identities over the store: key lookup for every request (read at the time
 * of use, never cached, so a disabled key or user stops working on its next
 * request), key creation with sealed secrets, temporary sessions.
 */
export class Identities {
  private readonly rootPrincipal: Principal;
  /** Last-used times waiting to be written: one batch every few seconds, not a write per request. */
  private readonly uses = new Map<string, Date>();
  /**
   * Secrets already opened, by access key id, with the sealed bytes they came
   * from: the row is still read on every request (a disabled key or a new
   * secret counts at once), only the decryption of the same bytes (an AES-GCM
   * decipher, ~7% of a pre-signed GET's CPU) is not repeated. In plain form,
   * as the verification cache holds them: this process holds the master key.
   */
  private readonly opened = new LRUCache<string, { readonly sealed: Buffer; readonly secret: string }>({ max: OPENED_SECRETS });

  constructor(
    readonly store: IdentityStore,
    private readonly box: SecretBox,
    private readonly root: Credentials,
  ) {
    this.rootPrincipal = { kind: 'root', name: 'root', accessKeyId: root.accessKeyId };
  }

  /**
   * The first start seals a known text; later starts must open it. Checked
   * against the value read before the store is opened for writing, so a
   * wrong master key is refused before anything in the data dir changes.
   */
  static verifyMasterKey(sealed: Buffer | null, box: SecretBox): void {
    if (sealed === null) return;
    try {
      if (box.open(sealed, MASTER_KEY_CHECK) === MASTER_KEY_CHECK_TEXT) return;
    } catch {
      // fall through to the refusal
    }
    throw new MasterKeyMismatchError('the master key does not match this data directory: its secrets were sealed with another key (check LATCHKEY_MASTER_KEY or --master-key-file)');
  }

  /** First start of a data dir: seal the check text under the key now in use. */
  static async recordMasterKey(store: IdentityStore, box: SecretBox): Promise<void> {
    if ((await store.getSetting(MASTER_KEY_CHECK)) === null) await store.putSetting(MASTER_KEY_CHECK, box.seal(MASTER_KEY_CHECK_TEXT, MASTER_KEY_CHECK));
  }

  async resolveKey(accessKeyId: string): Promise<ResolvedKey | undefined> {
    if (accessKeyId === this.root.accessKeyId) return { secretAccessKey: this.root.secretAccessKey, principal: this.rootPrincipal };
    // The key, its user and the user's policies in one read (one statement; on PostgreSQL one round trip, not three).
    const found = await this.store.getKeyInUse(accessKeyId);
    // User keys first: one made before user keys avoided the session prefix may start with it too.
    if (found === null) return accessKeyId.startsWith(SESSION_KEY_PREFIX) ? this.resolveSession(accessKeyId) : undefined;
    const { key, userStatus, policyDocuments } = found;
    if (key.status !== 'active' || userStatus !== 'active') return undefined;
    this.uses.set(accessKeyId, new Date());
    return { secretAccessKey: this.open(key.sealedSecret, accessKeyId), principal: { kind: 'user', name: key.userName, accessKeyId }, policyDocuments };
  }

  private async resolveSession(accessKeyId: string): Promise<ResolvedKey | undefined> {
    const session = await this.store.getSession(accessKeyId);
    if (session === null) return undefined;
    let kind: Principal['kind'] = 'root';
    if (session.principal !== 'root') {
      // A session dies with its user: deleted or disabled users' sessions stop at once.
      const user = await this.store.getUser(session.principal);
      if (user === null || user.status !== 'active') return undefined;
      kind = 'user';
    }
    return {
      secretAccessKey: this.open(session.sealedSecret, accessKeyId),
      principal: { kind, name: session.principal, accessKeyId, session: { expiresAt: session.expiresAt, policy: session.sessionPolicy } },
      tokenHash: session.tokenHash,
    };
  }

  /** The box's open, remembered for the same key id and the same sealed bytes. */
  private open(sealed: Buffer, accessKeyId: string): string {
    const hit = this.opened.get(accessKeyId);
    if (hit !== undefined && hit.sealed.equals(sealed)) return hit.secret;
    const secret = this.box.open(sealed, accessKeyId);
    this.opened.set(accessKeyId, { sealed: Buffer.from(sealed), secret });
    return secret;
  }

  /** Writes the pending last-used times; sessions that ended a day ago are forgotten. */
  async housekeeping(now: Date): Promise<void> {
    if (this.uses.size > 0) {
      const batch = new Map(this.uses);
      this.uses.clear();
      await this.store.recordKeyUse(batch);
    }
    // Kept a day past expiry so their use still answers ExpiredToken rather than an unknown key.
    await this.store.deleteExpiredSessions(new Date(now.getTime() - 24 * 3600 * 1000));
  }

  async createAccessKey(userName: string): Promise<{ result: 'created' | 'no-such-user' | 'limit-reached'; accessKeyId: string; secretAccessKey: string }> {
    const accessKeyId = userKeyId();
    const secretAccessKey = randomBytes(30).toString('base64');
    const result = await this.store.createAccessKey({ accessKeyId, userName, sealedSecret: this.box.seal(secretAccessKey, accessKeyId) }, MAX_KEYS_PER_USER);
    return { result, accessKeyId, secretAccessKey };
  }

  async createSession(principal: Principal, durationSeconds: number, sessionPolicy: string | null, now: Date): Promise<Credentials & { expiresAt: Date }> {
    const accessKeyId = generateAccessKeyId(SESSION_KEY_PREFIX);
    const secretAccessKey = randomBytes(30).toString('base64');
    const sessionToken = randomBytes(48).toString('base64');
    const expiresAt = new Date(now.getTime() + durationSeconds * 1000);
    const record: SessionRecord = {
      accessKeyId,
      principal: principal.name,
      sealedSecret: this.box.seal(secretAccessKey, accessKeyId),
      tokenHash: hashToken(sessionToken),
      sessionPolicy,
      createdAt: now,
      expiresAt,
    };
    await this.store.createSession(record);
    return { accessKeyId, secretAccessKey, sessionToken, expiresAt };
  }
}
