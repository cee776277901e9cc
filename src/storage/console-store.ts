/**
 * What the web console keeps besides identities (its sessions are temporary
 * credentials in the IdentityStore): failed sign-ins, and the links it issued.
 * Both live in the metadata database so that every node behind a load
 * balancer counts the same failures and lists the same links. Writes resolve
 * only once durable; reads see every write that resolved before, through any
 * instance on the same database.
 */

/** What the console remembers about a link it issued: never the URL itself, so the table is no key ring. */
export interface IssuedLink {
  readonly id: string;
  readonly kind: 'download' | 'upload-object' | 'upload-prefix';
  readonly bucket: string;
  /** The object key, or the key prefix for an upload-prefix link. */
  readonly key: string;
  /** Who signed it (a user name, or 'root'), and with which long-term key. */
  readonly issuer: string;
  readonly accessKeyId: string;
  /** Hex SHA-256 of the signature: how revocation and the audit log name the link (the signature itself is a bearer secret). */
  readonly linkId: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly maxUses?: number;
  readonly downloadName?: string;
  readonly contentType?: string;
  readonly maxSize?: number;
  readonly revokedAt?: string;
}

export interface ConsoleStore {
  /**
   * Counts one failed sign-in of this key from this address, and forgets
   * every failure (of any pair) older than `forgetBefore`: the table holds
   * one window's failures, however many addresses and keys a flood uses.
   */
  recordSignInFailure(address: string, accessKeyId: string, at: Date, forgetBefore: Date): Promise<void>;
  /** The newest `limit` failures of this pair at or after `since`, newest first. */
  signInFailures(address: string, accessKeyId: string, since: Date, limit: number): Promise<Date[]>;

  /** Records a link; one with an id already recorded is left as it is (so importing twice is harmless). */
  addIssuedLink(link: IssuedLink): Promise<void>;
  /** Marks a link revoked at `at` unless it already was (the first time is kept); the link as it now is, or null. */
  markIssuedLinkRevoked(id: string, at: Date): Promise<IssuedLink | null>;
  getIssuedLink(id: string): Promise<IssuedLink | null>;
  /** Newest first; every link when `issuer` is undefined, else that issuer's. */
  listIssuedLinks(issuer: string | undefined): Promise<IssuedLink[]>;
}

/** The columns of console_links, shared by both backends (times in ms since the epoch). */
export interface IssuedLinkRow {
  id: string; kind: IssuedLink['kind']; bucket: string; key: string; issuer: string; access_key_id: string; link_id: string;
  created_at: number; expires_at: number; max_uses: number | null; download_name: string | null; content_type: string | null;
  max_size: number | null; revoked_at: number | null;
}

export function toIssuedLinkRow(link: IssuedLink): IssuedLinkRow {
  return {
    id: link.id, kind: link.kind, bucket: link.bucket, key: link.key, issuer: link.issuer, access_key_id: link.accessKeyId, link_id: link.linkId,
    created_at: Date.parse(link.createdAt), expires_at: Date.parse(link.expiresAt), max_uses: link.maxUses ?? null,
    download_name: link.downloadName ?? null, content_type: link.contentType ?? null, max_size: link.maxSize ?? null,
    revoked_at: link.revokedAt === undefined ? null : Date.parse(link.revokedAt),
  };
}

export function toIssuedLink(row: IssuedLinkRow): IssuedLink {
  return {
    id: row.id, kind: row.kind, bucket: row.bucket, key: row.key, issuer: row.issuer, accessKeyId: row.access_key_id, linkId: row.link_id,
    createdAt: new Date(row.created_at).toISOString(), expiresAt: new Date(row.expires_at).toISOString(),
    ...(row.max_uses === null ? {} : { maxUses: row.max_uses }),
    ...(row.download_name === null ? {} : { downloadName: row.download_name }),
    ...(row.content_type === null ? {} : { contentType: row.content_type }),
    ...(row.max_size === null ? {} : { maxSize: row.max_size }),
    ...(row.revoked_at === null ? {} : { revokedAt: new Date(row.revoked_at).toISOString() }),
  };
}

/** Column order of console_links, for INSERTs written per backend. */
export const ISSUED_LINK_COLUMNS = [
  'id', 'kind', 'bucket', 'key', 'issuer', 'access_key_id', 'link_id', 'created_at', 'expires_at', 'max_uses', 'download_name', 'content_type', 'max_size', 'revoked_at',
] as const;
