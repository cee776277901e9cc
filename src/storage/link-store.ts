/**
 * Pre-signed link controls as the metadata backend keeps them: use counters
 * of links limited by X-Latchkey-Max-Uses, revocations, and the audit log of
 * requests made through links. Links are named by a hash of their signature.
 * Every kind of row carries an expiry, so sweep() keeps the tables bounded.
 * Writes resolve only once durable (appendAudit, bookkeeping, may ride on a
 * later commit); reads see every write that resolved before, through any instance.
 */

export type RevocationKind = 'link' | 'signer' | 'bucket';

export interface RevocationInput {
  readonly kind: RevocationKind;
  /** The link's signature hash, the signer's access key id, or the bucket name. */
  readonly subject: string;
  /** signer and bucket: links signed before this instant. null for one link. */
  readonly before: Date | null;
  /** When no link it covers can still be alive. */
  readonly expiresAt: Date;
}

export interface RevocationCheck {
  readonly link: string;
  readonly accessKeyId: string;
  readonly bucket: string | undefined;
  /** When the link was signed (at the latest), epoch ms. */
  readonly signedAt: number;
  readonly now: Date;
}

export interface LinkAuditRecord {
  readonly at: Date;
  /** Signature hash. */
  readonly link: string;
  readonly accessKeyId: string;
  readonly userName: string;
  readonly method: string;
  readonly bucket: string | null;
  readonly key: string | null;
  /** The HTTP status sent; 0 when the client left before any answer. */
  readonly status: number;
  readonly bytes: number;
  readonly clientIp: string;
  readonly userAgent: string | null;
}

export interface AuditQuery {
  readonly bucket?: string;
  readonly key?: string;
  /** An access key id or a user name. */
  readonly signer?: string;
  readonly link?: string;
  readonly since?: Date;
  /** The newest `limit` matching records are returned, oldest first. */
  readonly limit: number;
}

export interface LinkUsage {
  /** Uses counted against X-Latchkey-Max-Uses; null when the link has no counter. */
  readonly counted: { readonly uses: number; readonly maxUses: number } | null;
  /** Successful (status < 400) requests in the audit log. */
  readonly logged: number;
  readonly lastUsedAt: Date | null;
}

export interface SweepResult {
  readonly revocations: number;
  readonly counters: number;
  readonly audit: number;
}

export interface LinkStore {
  /**
   * Takes one of a link's `maxUses` uses, atomically: of any number of
   * concurrent callers for the last use, exactly one gets true.
   */
  reserveUse(link: string, maxUses: number, expiresAt: Date): Promise<boolean>;
  /** Gives back a use reserved by a request that then failed before its body started. */
  refundUse(link: string): Promise<void>;

  /** Records a revocation; repeating one for the same subject keeps the later `before` and expiry. */
  revoke(input: RevocationInput): Promise<void>;
  /** The kind of the first live revocation covering the link, or null. */
  revokedBy(check: RevocationCheck): Promise<RevocationKind | null>;

  /** One transaction for the whole batch. */
  appendAudit(records: readonly LinkAuditRecord[]): Promise<void>;
  queryAudit(query: AuditQuery): Promise<{ records: LinkAuditRecord[]; truncated: boolean }>;
  linkUsage(link: string): Promise<LinkUsage>;

  /** Forgets revocations and counters past their expiry, and audit records older than `auditBefore`. */
  sweep(now: Date, auditBefore: Date): Promise<SweepResult>;
  bucketExists(name: string): Promise<boolean>;
}
