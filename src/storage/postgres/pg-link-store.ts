import type { AuditQuery, LinkAuditRecord, LinkStore, LinkUsage, RevocationCheck, RevocationInput, RevocationKind, SweepResult } from '../link-store.js';
import { guarded, type Sql } from './pg-connection.js';

interface AuditRow {
  at: number; link: string; access_key_id: string; user_name: string; method: string; bucket: string | null; key: string | null;
  status: number; bytes: number; client_ip: string; user_agent: string | null;
}

/** Audit rows deleted per statement, so a large sweep never holds locks for long. */
const SWEEP_BATCH = 5_000;

/**
 * LinkStore on PostgreSQL. Use counters are taken by one conditional upsert
 * (the row lock makes concurrent callers on every node queue for it), and
 * revocations are read from the table on every check: no count or cache of
 * them lives in a node, so one revoked through another node holds at once.
 */
export class PgLinkStore implements LinkStore {
  constructor(private readonly sql: Sql) {}

  reserveUse(link: string, maxUses: number, expiresAt: Date): Promise<boolean> {
    return guarded(async () => {
      // The conflict arm updates only while uses remain, so a returned row means this caller got one.
      const rows = await this.sql`
        INSERT INTO link_uses (link, max_uses, uses, expires_at) VALUES (${link}, ${maxUses}, 1, ${expiresAt.getTime()})
        ON CONFLICT (link) DO UPDATE SET uses = link_uses.uses + 1 WHERE link_uses.uses < link_uses.max_uses
        RETURNING uses`;
      return rows.length === 1;
    });
  }

  refundUse(link: string): Promise<void> {
    return guarded(async () => {
      await this.sql`UPDATE link_uses SET uses = uses - 1 WHERE link = ${link} AND uses > 0`;
    });
  }

  revoke(input: RevocationInput): Promise<void> {
    return guarded(async () => {
      await this.sql`
        INSERT INTO link_revocations AS r (kind, subject, before, created_at, expires_at)
        VALUES (${input.kind}, ${input.subject}, ${input.before?.getTime() ?? null}, ${Date.now()}, ${input.expiresAt.getTime()})
        ON CONFLICT (kind, subject) DO UPDATE SET
          before = CASE WHEN r.before IS NULL OR excluded.before IS NULL THEN NULL ELSE greatest(r.before, excluded.before) END,
          created_at = excluded.created_at, expires_at = greatest(r.expires_at, excluded.expires_at)`;
    });
  }

  revokedBy(check: RevocationCheck): Promise<RevocationKind | null> {
    return guarded(async () => {
      const [row] = await this.sql<{ kind: RevocationKind }[]>`
        SELECT kind FROM link_revocations
        WHERE expires_at > ${check.now.getTime()} AND (
          (kind = 'link' AND subject = ${check.link}) OR
          (kind = 'signer' AND subject = ${check.accessKeyId} AND ${check.signedAt} < before) OR
          (kind = 'bucket' AND subject = ${check.bucket ?? null} AND ${check.signedAt} < before))
        ORDER BY CASE kind WHEN 'link' THEN 0 WHEN 'signer' THEN 1 ELSE 2 END
        LIMIT 1`;
      return row?.kind ?? null;
    });
  }

  appendAudit(records: readonly LinkAuditRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    const column = <T>(pick: (r: LinkAuditRecord) => T): T[] => records.map(pick);
    return guarded(async () => {
      // One statement for the batch: atomic and one round trip.
      await this.sql`
        INSERT INTO link_audit (at, link, access_key_id, user_name, method, bucket, key, status, bytes, client_ip, user_agent)
        SELECT * FROM unnest(${column((r) => r.at.getTime())}::bigint[], ${column((r) => r.link)}::text[], ${column((r) => r.accessKeyId)}::text[],
          ${column((r) => r.userName)}::text[], ${column((r) => r.method)}::text[], ${column((r) => r.bucket)}::text[], ${column((r) => r.key)}::text[],
          ${column((r) => r.status)}::int[], ${column((r) => r.bytes)}::bigint[], ${column((r) => r.clientIp)}::text[], ${column((r) => r.userAgent)}::text[])`;
    });
  }

  queryAudit(query: AuditQuery): Promise<{ records: LinkAuditRecord[]; truncated: boolean }> {
    return guarded(async () => {
      const rows = await this.sql<AuditRow[]>`
        SELECT at, link, access_key_id, user_name, method, bucket, key, status, bytes, client_ip, user_agent FROM link_audit
        WHERE at >= ${query.since?.getTime() ?? 0}
          ${query.bucket === undefined ? this.sql`` : this.sql`AND bucket = ${query.bucket}`}
          ${query.key === undefined ? this.sql`` : this.sql`AND key = ${query.key}`}
          ${query.signer === undefined ? this.sql`` : this.sql`AND (access_key_id = ${query.signer} OR user_name = ${query.signer})`}
          ${query.link === undefined ? this.sql`` : this.sql`AND link = ${query.link}`}
        ORDER BY at DESC, id DESC LIMIT ${query.limit + 1}`;
      const truncated = rows.length > query.limit;
      return { records: rows.slice(0, query.limit).reverse().map(toAudit), truncated };
    });
  }

  linkUsage(link: string): Promise<LinkUsage> {
    return guarded(async () => {
      const [row] = await this.sql<{ uses: number | null; max_uses: number | null; n: number; last: number | null }[]>`
        SELECT (SELECT uses FROM link_uses WHERE link = ${link}) AS uses, (SELECT max_uses FROM link_uses WHERE link = ${link}) AS max_uses,
               count(*)::int AS n, max(at) AS last
        FROM link_audit WHERE link = ${link} AND status BETWEEN 1 AND 399`;
      return {
        counted: row?.uses == null || row.max_uses == null ? null : { uses: row.uses, maxUses: row.max_uses },
        logged: row?.n ?? 0,
        lastUsedAt: row?.last == null ? null : new Date(row.last),
      };
    });
  }

  async sweep(now: Date, auditBefore: Date): Promise<SweepResult> {
    const revocations = await guarded(async () => (await this.sql`DELETE FROM link_revocations WHERE expires_at <= ${now.getTime()}`).count);
    const counters = await guarded(async () => (await this.sql`DELETE FROM link_uses WHERE expires_at <= ${now.getTime()}`).count);
    let audit = 0;
    for (;;) {
      const n = await guarded(async () => (await this.sql`
        DELETE FROM link_audit WHERE id IN (SELECT id FROM link_audit WHERE at < ${auditBefore.getTime()} ORDER BY at LIMIT ${SWEEP_BATCH})`).count);
      audit += n;
      if (n < SWEEP_BATCH) break;
    }
    return { revocations, counters, audit };
  }

  bucketExists(name: string): Promise<boolean> {
    return guarded(async () => (await this.sql`SELECT 1 FROM buckets WHERE name = ${name}`).length === 1);
  }
}

function toAudit(row: AuditRow): LinkAuditRecord {
  return {
    at: new Date(row.at), link: row.link, accessKeyId: row.access_key_id, userName: row.user_name, method: row.method,
    bucket: row.bucket, key: row.key, status: row.status, bytes: row.bytes, clientIp: row.client_ip, userAgent: row.user_agent,
  };
}
