import type { LinkAuditRecord, LinkStore } from '../storage/link-store.js';

export interface AuditLogOptions {
  /** Written at least this often (ms). */
  readonly intervalMs?: number;
  /** ...or as soon as this many records wait. */
  readonly batchSize?: number;
  /** While the database refuses writes, at most this many records are kept for the next attempt (beyond it the oldest go, and say so). */
  readonly maxPending?: number;
  /** On close, a failing write is tried this many times more, this far apart (ms). */
  readonly closeRetries?: number;
  readonly closeRetryMs?: number;
  readonly warn: (message: string, error: unknown) => void;
}

/**
 * The audit trail of requests made through links, kept off the request path:
 * records wait in memory and are written in one transaction every second or
 * every `batchSize` records, whichever comes first, and on close. A write the
 * database refuses (a full disk) loses nothing: the batch goes back in front
 * and is tried again on the next round, and close tries a few more times
 * before it gives up and says how many records it could not keep. What
 * waits in memory when the process dies (at most about a second's worth
 * when the database accepts writes) is lost.
 */
export class AuditLog {
  private pending: LinkAuditRecord[] = [];
  private writing: Promise<void> = Promise.resolve();
  private scheduled = false;
  private readonly timer: NodeJS.Timeout;
  private readonly batchSize: number;
  private readonly maxPending: number;

  constructor(
    private readonly store: Pick<LinkStore, 'appendAudit'>,
    private readonly options: AuditLogOptions,
  ) {
    this.batchSize = options.batchSize ?? 500;
    this.maxPending = options.maxPending ?? 100_000;
    this.timer = setInterval(() => void this.flush(), options.intervalMs ?? 1000);
    this.timer.unref();
  }

  record(entry: LinkAuditRecord): void {
    this.pending.push(entry);
    if (this.pending.length >= this.batchSize && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => void this.flush());
    }
  }

  /** Resolves once every record given before the call is written (or, on a database error, kept for the next try). */
  flush(): Promise<void> {
    this.writing = this.writing.then(() => this.writeBatch());
    return this.writing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    for (let retry = 0; this.pending.length > 0 && retry < (this.options.closeRetries ?? 10); retry++) {
      await new Promise((resolve) => setTimeout(resolve, this.options.closeRetryMs ?? 500));
      await this.flush();
    }
    if (this.pending.length > 0) this.options.warn(`lost ${this.pending.length} link audit records: the database refused them until shutdown`, undefined);
  }

  private async writeBatch(): Promise<void> {
    this.scheduled = false;
    const batch = this.pending.splice(0);
    if (batch.length === 0) return;
    try {
      await this.store.appendAudit(batch);
    } catch (error) {
      const keep = Math.max(0, this.maxPending - this.pending.length);
      const dropped = Math.max(0, batch.length - keep);
      this.options.warn(
        dropped === 0 ? `could not write ${batch.length} link audit records; retrying` : `could not write ${batch.length} link audit records; retrying, but ${dropped} (the oldest) are lost: more than ${this.maxPending} waited`,
        error,
      );
      this.pending.unshift(...batch.slice(dropped));
    }
  }
}
