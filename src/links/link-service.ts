import type { ServerResponse } from 'node:http';
import type { Logger } from '../logger.js';
import { MAX_PRESIGN_EXPIRES } from '../sigv4/types.js';
import type { AuditQuery, LinkAuditRecord, LinkStore, LinkUsage, RevocationKind } from '../storage/link-store.js';
import { AuditLog } from './audit-log.js';
import { admitLink, type LinkAdmission, type LinkRequest, type LinkTarget, type SignedBy } from './link-guard.js';
import type { LinkMemo } from './link-memo.js';
import { parseLinkForm, parseLinkUrl, signingTimeBound, type LinkReading, type ParsedLink } from './link-identity.js';

export interface LinkServiceOptions {
  readonly store: LinkStore;
  readonly logger: Logger;
  readonly now: () => number;
  /** Audit records older than this (ms) are swept. */
  readonly auditRetentionMs: number;
  /** How a link's URL or POST policy form is read (the S3 front's addressing and policy parser). */
  readonly reading: LinkReading;
  /** Link ids and controls of links used again (one per server); without it, each request works them out afresh. */
  readonly memo?: LinkMemo;
  /** Tests shorten these. */
  readonly auditIntervalMs?: number;
  readonly sweepIntervalMs?: number;
}

export interface LinkReport extends ParsedLink {
  readonly usage: LinkUsage;
  readonly revokedBy: RevocationKind | null;
}

const LINK_LIFETIME_MS = MAX_PRESIGN_EXPIRES * 1000;
const SWEEP_MIN_MS = 1_000;
const SWEEP_MAX_MS = 10 * 60_000;
/** How long a log or show request waits at most for answers under way (a long download is not waited for). */
const SETTLE_MS = 250;

/**
 * Latchkey's link controls in one place: the request-path guard (revocation,
 * source address, use limits), the audit log, revocation and inspection for
 * the admin API, and the sweep that keeps their tables bounded.
 */
export class LinkService {
  readonly audit: AuditLog;
  private readonly sweeper: NodeJS.Timeout;
  private sweeping: Promise<void> = Promise.resolve();
  private readonly open = new Set<ServerResponse>();

  constructor(private readonly options: LinkServiceOptions) {
    const warn = (message: string, error: unknown) => options.logger.warn(message, { error: String(error) });
    this.audit = new AuditLog(options.store, { warn, ...(options.auditIntervalMs === undefined ? {} : { intervalMs: options.auditIntervalMs }) });
    const every = options.sweepIntervalMs ?? Math.min(SWEEP_MAX_MS, Math.max(SWEEP_MIN_MS, options.auditRetentionMs / 4));
    this.sweeper = setInterval(() => void this.sweep(), every);
    this.sweeper.unref();
    void this.sweep();
  }

  admit(ctx: LinkRequest, auth: SignedBy, target: LinkTarget): Promise<LinkAdmission> {
    const { store, now, logger, memo } = this.options;
    return admitLink(ctx, auth, target, {
      store, audit: this.audit, now, open: this.open, warn: (message, error) => logger.warn(message, { error: String(error) }), ...(memo === undefined ? {} : { memo }),
    });
  }

  /**
   * Waits (briefly) for answers already under way to close, which is when their
   * audit records are made: a client can hold a whole body (it has its length)
   * before the server's stream has ended the response.
   */
  private async settle(): Promise<void> {
    const closing = [...this.open].filter((res) => res.headersSent).map((res) => new Promise<void>((resolve) => res.once('close', () => resolve())));
    if (closing.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(closing), new Promise<void>((resolve) => (timer = setTimeout(resolve, SETTLE_MS)))]);
      clearTimeout(timer);
    }
    await this.audit.flush();
  }

  /** A pre-signed URL, or a POST policy's form fields. */
  parse(link: string | Readonly<Record<string, unknown>>): ParsedLink {
    return typeof link === 'string' ? parseLinkUrl(link, this.options.reading) : parseLinkForm(link, this.options.reading);
  }

  /** Revokes one link (a URL, or a POST policy by its form fields) until it expires. */
  async revokeLink(link: string | Readonly<Record<string, unknown>>): Promise<ParsedLink> {
    const parsed = this.parse(link);
    await this.options.store.revoke({ kind: 'link', subject: parsed.link.id, before: null, expiresAt: new Date(parsed.link.expiresAt) });
    return parsed;
  }

  /**
   * Revokes every link a key, or any key on a bucket, signed before `before`.
   * No such link outlives `before` by more than a link's longest life, so the
   * record expires then.
   */
  async revokeSignedBefore(kind: 'signer' | 'bucket', subject: string, before: Date): Promise<{ expiresAt: Date }> {
    const expiresAt = new Date(Math.max(before.getTime(), this.options.now()) + LINK_LIFETIME_MS);
    await this.options.store.revoke({ kind, subject, before, expiresAt });
    return { expiresAt };
  }

  async report(link: string | Readonly<Record<string, unknown>>): Promise<LinkReport> {
    const parsed = this.parse(link);
    await this.settle();
    const { store, now } = this.options;
    const [usage, revokedBy] = await Promise.all([
      store.linkUsage(parsed.link.id),
      store.revokedBy({
        link: parsed.link.id, accessKeyId: parsed.link.accessKeyId, bucket: parsed.bucket, signedAt: signingTimeBound(parsed.link), now: new Date(now()),
      }),
    ]);
    return { ...parsed, usage, revokedBy };
  }

  async log(query: AuditQuery): Promise<{ records: LinkAuditRecord[]; truncated: boolean }> {
    await this.settle();
    return this.options.store.queryAudit(query);
  }

  bucketExists(name: string): Promise<boolean> {
    return this.options.store.bucketExists(name);
  }

  /** Forgets expired revocations and counters, and audit records past retention. */
  sweep(): Promise<void> {
    const { store, now, auditRetentionMs, logger } = this.options;
    this.sweeping = this.sweeping.then(async () => {
      try {
        const at = now();
        const swept = await store.sweep(new Date(at), new Date(at - auditRetentionMs));
        if (swept.revocations + swept.counters + swept.audit > 0) logger.info('swept link records', { ...swept });
      } catch (error) {
        logger.warn('link record sweep failed', { error: String(error) });
      }
    });
    return this.sweeping;
  }

  /** Stops the sweeper and writes the audit records still in memory. */
  async close(): Promise<void> {
    clearInterval(this.sweeper);
    await this.sweeping;
    await this.audit.close();
  }
}
