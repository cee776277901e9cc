import { open, type FileHandle } from 'node:fs/promises';

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Makes SQLite commits durable without stalling the event loop.
 *
 * better-sqlite3 runs on the main thread, so synchronous=FULL would block every
 * request for one WAL fsync per commit (milliseconds on virtual disks). Instead
 * the store runs with synchronous=NORMAL (commits reach the OS, not the disk)
 * and each write awaits sync() here before it reports success: one fsync of
 * the WAL file on libuv's thread pool covers every commit made before it
 * started, so concurrent writers share fsyncs. Callers still see the order
 * they need: commit durable, then the replaced blob unlinked.
 */
export class GroupCommit {
  private handle: FileHandle | undefined;
  private waiting: Waiter[] = [];
  private running = false;
  /** fsyncs issued so far (tests check that writers share them). */
  syncs = 0;

  constructor(private readonly walPath: string) {}

  /** Resolves once everything committed before this call is on disk. */
  sync(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.waiting.length > 0) {
      // Taken before the fsync starts: every commit of this batch precedes it.
      const batch = this.waiting.splice(0);
      try {
        this.handle ??= await open(this.walPath, 'r+');
        this.syncs++;
        await this.handle.sync();
        for (const waiter of batch) waiter.resolve();
      } catch (error) {
        for (const waiter of batch) waiter.reject(error);
      }
    }
    this.running = false;
  }

  /** Before the database closes: SQLite removes the WAL file then. */
  async close(): Promise<void> {
    while (this.running) await this.sync();
    await this.handle?.close();
    this.handle = undefined;
  }
}
