import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/** The file whose lock marks a data dir as in use; it holds no data. */
export const LOCK_FILE = 'latchkey.lock';

export class DataDirInUseError extends Error {
  constructor(readonly dataDir: string) {
    super(`data dir ${dataDir} is in use by another latchkey server (it holds ${join(dataDir, LOCK_FILE)} locked); stop that one first or use another --data`);
    this.name = 'DataDirInUseError';
  }
}

export interface DataDirLock {
  release(): void;
}

/**
 * Claims the data dir for this process, before anything in it is read or
 * changed: a second server's start-up recovery would take the first one's
 * in-flight temp files and fresh blobs for a crash's leftovers and delete them.
 *
 * The claim is SQLite's exclusive lock on a database of its own, which is a
 * POSIX advisory lock: the kernel drops it when the holder dies, kill -9
 * included, so a crashed server never blocks its own restart (a PID file
 * would). A refused claim fails at once (no busy wait) and writes nothing:
 * the lock is asked for before any page is read. Journal in memory: the lock
 * database never changes, and a journal file would only be clutter.
 *
 * Only for a server that owns its data dir (SQLite metadata); servers sharing
 * a blob directory through PostgreSQL do not take it.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  // Owner-only: the directory holds the metadata database and, by default, the master key.
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  let db: Database.Database | undefined;
  try {
    db = new Database(join(dataDir, LOCK_FILE), { timeout: 0 });
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = MEMORY');
    // In EXCLUSIVE locking mode the lock a write transaction takes is kept until the connection closes.
    db.exec('BEGIN EXCLUSIVE');
    db.exec('COMMIT');
  } catch (error) {
    db?.close();
    if ((error as { code?: string }).code === 'SQLITE_BUSY') throw new DataDirInUseError(dataDir);
    throw error;
  }
  const held = db;
  return { release: () => held.close() };
}
