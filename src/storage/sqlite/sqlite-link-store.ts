import type Database from 'better-sqlite3';
import type { Durably, Read } from './sqlite-work.js';
import type { AuditQuery, LinkAuditRecord, LinkStore, LinkUsage, RevocationCheck, RevocationInput, RevocationKind, SweepResult } from '../link-store.js';

interface AuditRow {
  at: number; link: string; access_key_id: string; user_name: string; method: string; bucket: string | null; key: string | null;
  status: number; bytes: number; client_ip: string; user_agent: string | null;
}


/** Audit rows deleted per statement, so a large sweep never holds the write lock for long. */
const SWEEP_BATCH = 5_000;

/** LinkStore on the metadata database's connection (migration 5). */
export class SqliteLinkStore implements LinkStore {
  private readonly stmt;

  constructor(
    private readonly db: Database.Database,
    private readonly durably: Durably,
    private readonly read: Read,
  ) {
    this.stmt = {
      // The conflict arm only fires while uses remain, so `changes` says whether this caller got one.
      reserve: db.prepare<[string, number, number]>(`
        INSERT INTO link_uses (link, max_uses, uses, expires_at) VALUES (?, ?, 1, ?)
        ON CONFLICT (link) DO UPDATE SET uses = uses + 1 WHERE uses < max_uses`),
      refund: db.prepare<[string]>('UPDATE link_uses SET uses = uses - 1 WHERE link = ? AND uses > 0'),
      counter: db.prepare<[string], { uses: number; max_uses: number }>('SELECT uses, max_uses FROM link_uses WHERE link = ?'),
      revoke: db.prepare<[string, string, number | null, number, number]>(`
        INSERT INTO link_revocations (kind, subject, before, created_at, expires_at) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (kind, subject) DO UPDATE SET
          before = CASE WHEN before IS NULL OR excluded.before IS NULL THEN NULL ELSE max(before, excluded.before) END,
          created_at = excluded.created_at, expires_at = max(expires_at, excluded.expires_at)`),
      revokedBy: db.prepare<{ link: string; key: string; bucket: string | null; signed: number; now: number }, { kind: RevocationKind }>(`
        SELECT kind FROM link_revocations
        WHERE expires_at > :now AND (
          (kind = 'link' AND subject = :link) OR
          (kind = 'signer' AND subject = :key AND :signed < before) OR
          (kind = 'bucket' AND subject = :bucket AND :signed < before))
        ORDER BY CASE kind WHEN 'link' THEN 0 WHEN 'signer' THEN 1 ELSE 2 END
        LIMIT 1`),
      insertAudit: db.prepare<[number, string, string, string, string, string | null, string | null, number, number, string, string | null]>(`
        INSERT INTO link_audit (at, link, access_key_id, user_name, method, bucket, key, status, bytes, client_ip, user_agent)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      queryAudit: db.prepare<{ bucket: string | null; key: string | null; signer: string | null; link: string | null; since: number; limit: number }, AuditRow>(`
        SELECT at, link, access_key_id, user_name, method, bucket, key, status, bytes, client_ip, user_agent FROM link_audit
        WHERE at >= :since
          AND (:bucket IS NULL OR bucket = :bucket)
          AND (:key IS NULL OR key = :key)
          AND (:signer IS NULL OR access_key_id = :signer OR user_name = :signer)
          AND (:link IS NULL OR link = :link)
        ORDER BY at DESC, id DESC LIMIT :limit`),
      logged: db.prepare<[string], { n: number; last: number | null }>('SELECT count(*) AS n, max(at) AS last FROM link_audit WHERE link = ? AND status BETWEEN 1 AND 399'),
      sweepRevocations: db.prepare<[number]>('DELETE FROM link_revocations WHERE expires_at <= ?'),
      sweepCounters: db.prepare<[number]>('DELETE FROM link_uses WHERE expires_at <= ?'),
      sweepAudit: db.prepare<[number, number]>('DELETE FROM link_audit WHERE id IN (SELECT id FROM link_audit WHERE at < ? ORDER BY at LIMIT ?)'),
      bucket: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM buckets WHERE name = ?'),
      revocationCount: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM link_revocations'),
    };
    this.recount();
  }

  /** Reads the revocation count again (also after a write batch rolled back). */
  recount(): void {
    this.revocations = this.stmt.revocationCount.get()?.n ?? 0;
  }

  /**
   * Rows in link_revocations, kept in step by revoke and the sweep (this
   * process is the database's only writer): almost always zero, and then no
   * link needs the lookup on its way to being served.
   */
  private revocations = 0;

  reserveUse(link: string, maxUses: number, expiresAt: Date): Promise<boolean> {
    // Durable before the body is served: a crash must not hand a one-use link a second use.
    return this.durably(() => this.stmt.reserve.run(link, maxUses, expiresAt.getTime()).changes === 1);
  }

  refundUse(link: string): Promise<void> {
    return this.durably(() => {
      this.stmt.refund.run(link);
    });
  }

  revoke(input: RevocationInput): Promise<void> {
    return this.durably(() => {
      this.stmt.revoke.run(input.kind, input.subject, input.before?.getTime() ?? null, Date.now(), input.expiresAt.getTime());
      this.recount();
    });
  }

  revokedBy(check: RevocationCheck): Promise<RevocationKind | null> {
    if (this.revocations === 0) return Promise.resolve(null);
    return this.read(
      () =>
        this.stmt.revokedBy.get({ link: check.link, key: check.accessKeyId, bucket: check.bucket ?? null, signed: check.signedAt, now: check.now.getTime() })?.kind ??
        null,
    );
  }

  appendAudit(records: readonly LinkAuditRecord[]): Promise<void> {
    // Bookkeeping, not data: it rides on the next group commit instead of waiting for its own fsync.
    return this.read(() => {
      this.db.transaction(() => {
        for (const r of records) {
          this.stmt.insertAudit.run(r.at.getTime(), r.link, r.accessKeyId, r.userName, r.method, r.bucket, r.key, r.status, r.bytes, r.clientIp, r.userAgent);
        }
      }).immediate();
    });
  }

  queryAudit(query: AuditQuery): Promise<{ records: LinkAuditRecord[]; truncated: boolean }> {
    return this.read(() => {
      const rows = this.stmt.queryAudit.all({
        bucket: query.bucket ?? null, key: query.key ?? null, signer: query.signer ?? null, link: query.link ?? null,
        since: query.since?.getTime() ?? 0, limit: query.limit + 1,
      });
      const truncated = rows.length > query.limit;
      return { records: rows.slice(0, query.limit).reverse().map(toAudit), truncated };
    });
  }

  linkUsage(link: string): Promise<LinkUsage> {
    return this.read(() => {
      const counter = this.stmt.counter.get(link);
      const logged = this.stmt.logged.get(link);
      return {
        counted: counter === undefined ? null : { uses: counter.uses, maxUses: counter.max_uses },
        logged: logged?.n ?? 0,
        lastUsedAt: logged?.last == null ? null : new Date(logged.last),
      };
    });
  }

  async sweep(now: Date, auditBefore: Date): Promise<SweepResult> {
    const { revocations, counters } = await this.durably(() => {
      const swept = {
        revocations: this.stmt.sweepRevocations.run(now.getTime()).changes,
        counters: this.stmt.sweepCounters.run(now.getTime()).changes,
      };
      this.recount();
      return swept;
    });
    let audit = 0;
    // In batches with the event loop free in between: a large backlog never stalls requests for long.
    for (;;) {
      const n = await this.durably(() => this.stmt.sweepAudit.run(auditBefore.getTime(), SWEEP_BATCH).changes);
      audit += n;
      if (n < SWEEP_BATCH) break;
    }
    return { revocations, counters, audit };
  }

  bucketExists(name: string): Promise<boolean> {
    return this.read(() => this.stmt.bucket.get(name) !== undefined);
  }
}

function toAudit(row: AuditRow): LinkAuditRecord {
  return {
    at: new Date(row.at), link: row.link, accessKeyId: row.access_key_id, userName: row.user_name, method: row.method,
    bucket: row.bucket, key: row.key, status: row.status, bytes: row.bytes, clientIp: row.client_ip, userAgent: row.user_agent,
  };
}
