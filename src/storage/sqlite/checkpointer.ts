import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * The worker's whole program. Plain CommonJS evaluated from a string: a file
 * would need its own path under both the TypeScript sources (tests) and the
 * build, and workers do not inherit the tsx loader.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
db.pragma('synchronous = NORMAL');
// A checkpoint copies frames through its own buffers: the default 16 MB page cache would only hold memory.
db.pragma('cache_size = -512');
parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ ok: true });
  } catch (error) {
    parentPort.postMessage({ ok: false, error: String(error && error.message || error) });
  }
});
`;

/** At most one checkpoint asked for per this many milliseconds of writing. */
const AFTER_WRITE_MS = 200;
/** And one at least this often, for writes that do not wait for durability (audit, last-used times). */
const AT_LEAST_EVERY_MS = 2000;

/**
 * Copies the WAL into the database file on a thread of its own. SQLite's
 * automatic checkpoint runs inside the commit that crosses its threshold, on
 * the event loop, and with synchronous=NORMAL fsyncs the WAL and the
 * database file there: under a stream of small PUTs that stalled every
 * request a few times a second (turning it off raised the small-PUT rate by
 * about a fifth). The store raises its threshold far out of the way (it
 * remains a backstop: under writes that never pause, a checkpoint beside the
 * writer may never catch up with the end of the WAL, and only a checkpoint
 * by the writer lets the WAL start over) and calls `wrote()` after each
 * commit. A PASSIVE checkpoint never blocks the writer.
 */
export class Checkpointer {
  private readonly worker: Worker;
  private pending = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly steady: NodeJS.Timeout;
  private closed = false;

  constructor(file: string, private readonly warn: (message: string) => void = () => undefined) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { file, driver: createRequire(import.meta.url).resolve('better-sqlite3') },
    });
    this.worker.unref();
    this.worker.on('message', (reply: { ok: boolean; error?: string }) => {
      this.pending = false;
      if (!reply.ok) this.warn(`WAL checkpoint failed: ${reply.error ?? 'unknown error'}`);
    });
    this.worker.on('error', (error) => this.warn(`WAL checkpointer stopped: ${error.message}`));
    this.steady = setInterval(() => this.checkpoint(), AT_LEAST_EVERY_MS);
    this.steady.unref();
  }

  /** After a commit: a checkpoint soon, unless one is running or already due. */
  wrote(): void {
    if (this.closed || this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.checkpoint();
    }, AFTER_WRITE_MS);
    this.timer.unref();
  }

  private checkpoint(): void {
    if (this.pending || this.closed) return;
    this.pending = true;
    this.worker.postMessage('checkpoint');
  }

  /** Before the store's own connection closes, which then checkpoints the rest and removes the WAL. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    clearInterval(this.steady);
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    // Unreferenced so an idle store never keeps the process alive; its closing must.
    this.worker.ref();
    this.worker.postMessage('close');
    await exited;
  }
}
