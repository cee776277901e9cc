import type Database from 'better-sqlite3';

/**
 * One write transaction per event-loop turn. Every durable write that starts
 * during a turn runs inside it (better-sqlite3 turns each write's own
 * transaction into a savepoint, so a write that throws undoes only itself),
 * and it commits once the turn's I/O callbacks have run (setImmediate).
 *
 * Why: with 64 clients uploading small objects, a commit per PUT rewrote the
 * same B-tree pages into the WAL once per PUT; a turn's PUTs now share one
 * commit and one set of page writes. Writers still hear of success only
 * after the commit and then `afterCommit` (the WAL fsync) have completed;
 * readers on this connection may see a row a turn before its writer is told
 * it is durable, as they could between commit and fsync before.
 */
export class WriteBatch {
  private current: Promise<void> | undefined;
  private readonly begin: Database.Statement;
  private readonly commit: Database.Statement;
  private readonly rollback: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    /** Makes the commit durable (the group commit's fsync); writers wait for it. */
    private readonly afterCommit: () => Promise<void>,
    /** The commit failed and everything in it was rolled back: caches filled from it must go. */
    private readonly onRollback: () => void,
  ) {
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
  }

  /** Opens this turn's transaction if needed; resolves once it is committed and durable. */
  join(): Promise<void> {
    if (this.current !== undefined) return this.current;
    this.begin.run();
    const committed = new Promise<void>((resolve, reject) => {
      setImmediate(() => {
        this.current = undefined;
        try {
          this.commit.run();
        } catch (error) {
          if (this.db.inTransaction) this.rollback.run();
          this.onRollback();
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        this.afterCommit().then(resolve, reject);
      });
    });
    // A writer whose own work threw does not wait for the batch; its failure must not go unhandled.
    committed.catch(() => undefined);
    this.current = committed;
    return committed;
  }

  /** Before the database closes: the open batch commits first. */
  async close(): Promise<void> {
    await this.current?.catch(() => undefined);
  }
}
